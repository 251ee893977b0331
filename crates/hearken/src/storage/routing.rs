//! Storage for routing: the ordered rules, what routing worked out about each message,
//! the actions it took (audited as `system:routing` with the rule's id and version) and
//! dismissals that a person can undo.

use async_trait::async_trait;
use serde::Serialize;

use super::{ConversationRow, StoreResult};
use crate::domain::{Actor, WorkspaceId};
use crate::routing::rules::{Applied, Candidate, Rule, RuleRequest};

/// A rule as stored; conditions and actions are JSON text.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RuleRow {
    pub id: i64,
    pub workspace_id: i64,
    pub name: String,
    pub position: i64,
    pub version: i64,
    pub enabled: i64,
    pub conditions: String,
    pub actions: String,
}

impl RuleRow {
    /// The rule with its JSON parsed; unreadable JSON reads as a rule that never matches.
    pub fn into_rule(self) -> Rule {
        let conditions = serde_json::from_str(&self.conditions).ok();
        let actions = serde_json::from_str(&self.actions).unwrap_or_default();
        Rule {
            id: self.id,
            name: self.name,
            position: self.position,
            version: self.version,
            enabled: self.enabled != 0 && conditions.is_some(),
            conditions: conditions.unwrap_or_default(),
            actions,
        }
    }
}

/// What routing decided for one message, to store in one transaction.
#[derive(Debug, Clone)]
pub struct RoutingOutcome {
    pub message_id: i64,
    pub conversation_id: i64,
    pub sentiment: f64,
    /// The listening query that found the message, and the tag that marks it.
    pub listening: Option<(i64, String)>,
    pub applied: Vec<Applied>,
}

/// What routing stored about a message.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct SignalRow {
    pub message_id: i64,
    pub sentiment: Option<f64>,
    pub listening_query_id: Option<i64>,
    pub routed_at: i64,
}

/// A dismissal as spam.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct DismissalRow {
    pub id: i64,
    pub conversation_id: i64,
    pub rule_id: i64,
    pub rule_version: i64,
    pub previous_status: String,
    pub dismissed_at: i64,
    pub undone_at: Option<i64>,
    pub undone_by: Option<i64>,
}

/// Routing rules and their effects.
#[async_trait]
pub trait RoutingStore {
    /// Every rule, in evaluation order.
    async fn routing_rules(&self, ws: WorkspaceId) -> StoreResult<Vec<Rule>>;
    async fn create_rule(
        &self,
        ws: WorkspaceId,
        req: &RuleRequest,
        actor: &Actor,
    ) -> StoreResult<Rule>;
    /// Replaces a rule's content and raises its version.
    async fn update_rule(
        &self,
        ws: WorkspaceId,
        id: i64,
        req: &RuleRequest,
        actor: &Actor,
    ) -> StoreResult<Rule>;
    /// Inbound messages of these conversations that routing has not seen yet.
    async fn routing_candidates(
        &self,
        ws: WorkspaceId,
        conversation_ids: &[i64],
    ) -> StoreResult<Vec<Candidate>>;
    /// Stores the outcome and applies its actions; `false` when the message was already
    /// routed (by a concurrent run), in which case nothing changes.
    async fn apply_routing(&self, ws: WorkspaceId, outcome: &RoutingOutcome) -> StoreResult<bool>;
    async fn message_signal(
        &self,
        ws: WorkspaceId,
        message_id: i64,
    ) -> StoreResult<Option<SignalRow>>;
    /// The newest dismissals first.
    async fn dismissals(&self, ws: WorkspaceId, limit: i64) -> StoreResult<Vec<DismissalRow>>;
    /// Puts the conversation back as it was before the dismissal.
    async fn undo_dismissal(
        &self,
        ws: WorkspaceId,
        id: i64,
        actor: &Actor,
    ) -> StoreResult<ConversationRow>;
}

/// Tag added to a conversation dismissed as spam.
pub const SPAM_TAG: &str = "spam";

macro_rules! routing_sql {
    ($store:ty) => {
        async fn routing_rule_in(conn: &mut Conn, ws: WorkspaceId, id: i64)
            -> StoreResult<crate::storage::routing::RuleRow> {
            sqlx::query_as(
                "SELECT id, workspace_id, name, position, version, enabled, conditions, actions \
                 FROM routing_rules WHERE workspace_id = $1 AND id = $2",
            )
            .bind(ws.0)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(StoreError::NotFound)
        }

        fn routing_rule_json(r: &crate::routing::rules::Rule) -> serde_json::Value {
            serde_json::json!({
                "rule_id": r.id,
                "rule_version": r.version,
                "name": r.name,
                "position": r.position,
                "enabled": r.enabled,
                "conditions": r.conditions,
                "actions": r.actions,
            })
        }

        async fn routing_act(
            conn: &mut Conn,
            ws: WorkspaceId,
            o: &crate::storage::routing::RoutingOutcome,
            a: &crate::routing::rules::Applied,
        ) -> StoreResult<()> {
            let cid = o.conversation_id;
            let before = conversation_in(conn, ws, cid).await?.ok_or(StoreError::NotFound)?;
            let act = &a.actions;
            sqlx::query(
                "UPDATE conversations SET team_id = COALESCE($3, team_id), \
                 priority = COALESCE($4, priority), updated_at = $5 \
                 WHERE workspace_id = $1 AND id = $2",
            )
            .bind(ws.0)
            .bind(cid)
            .bind(act.team_id)
            .bind(&act.priority)
            .bind(now_millis())
            .execute(&mut *conn)
            .await?;
            for tag in &act.tags {
                if let Ok(tag) = crate::domain::conversation::Tag::parse(tag) {
                    insert_tag(conn, ws, cid, tag.as_str()).await?;
                }
            }
            let mut dismissal = None;
            if act.dismiss && before.status != "closed" {
                let row: (i64,) = sqlx::query_as(
                    "INSERT INTO routing_dismissals (workspace_id, conversation_id, rule_id, \
                     rule_version, previous_status, dismissed_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(ws.0)
                .bind(cid)
                .bind(a.rule_id)
                .bind(a.rule_version)
                .bind(&before.status)
                .bind(now_millis())
                .fetch_one(&mut *conn)
                .await?;
                sqlx::query(
                    "UPDATE conversations SET status = 'closed', resolved_at = $3 \
                     WHERE workspace_id = $1 AND id = $2",
                )
                .bind(ws.0)
                .bind(cid)
                .bind(now_millis())
                .execute(&mut *conn)
                .await?;
                insert_tag(conn, ws, cid, crate::storage::routing::SPAM_TAG).await?;
                dismissal = Some(row.0);
            }
            let after = conversation_in(conn, ws, cid).await?.ok_or(StoreError::NotFound)?;
            let mut after_json = work_state(&after);
            after_json["rule_id"] = a.rule_id.into();
            after_json["rule_version"] = a.rule_version.into();
            after_json["message_id"] = o.message_id.into();
            after_json["tags_added"] = serde_json::json!(act.tags);
            after_json["dismissal_id"] = serde_json::json!(dismissal);
            let ev = event(
                &Actor::System("routing"),
                "routing.applied",
                format!("conversation:{cid}"),
                Some(work_state(&before)),
                Some(after_json),
            );
            append_audit_in(conn, ws, &ev).await?;
            Ok(())
        }

        #[async_trait]
        impl crate::storage::routing::RoutingStore for $store {
            async fn routing_rules(&self, ws: WorkspaceId)
                -> StoreResult<Vec<crate::routing::rules::Rule>> {
                let rows: Vec<crate::storage::routing::RuleRow> = sqlx::query_as(
                    "SELECT id, workspace_id, name, position, version, enabled, conditions, \
                     actions FROM routing_rules WHERE workspace_id = $1 ORDER BY position, id",
                )
                .bind(ws.0)
                .fetch_all(self.reader())
                .await?;
                Ok(rows.into_iter().map(|r| r.into_rule()).collect())
            }

            async fn create_rule(
                &self,
                ws: WorkspaceId,
                req: &crate::routing::rules::RuleRequest,
                actor: &Actor,
            ) -> StoreResult<crate::routing::rules::Rule> {
                let mut tx = self.writer().begin().await?;
                let next: (i64,) = sqlx::query_as(
                    "SELECT COALESCE(MAX(position), 0) + 1 FROM routing_rules WHERE workspace_id = $1",
                )
                .bind(ws.0)
                .fetch_one(&mut *tx)
                .await?;
                let now = now_millis();
                let id: (i64,) = sqlx::query_as(
                    "INSERT INTO routing_rules (workspace_id, name, position, version, enabled, \
                     conditions, actions, created_at, updated_at) \
                     VALUES ($1, $2, $3, 1, $4, $5, $6, $7, $7) RETURNING id",
                )
                .bind(ws.0)
                .bind(req.name.trim())
                .bind(req.position.unwrap_or(next.0))
                .bind(req.enabled as i64)
                .bind(serde_json::to_string(&req.conditions).unwrap_or_default())
                .bind(serde_json::to_string(&req.actions).unwrap_or_default())
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                let rule = routing_rule_in(&mut tx, ws, id.0).await?.into_rule();
                let ev = event(
                    actor,
                    "routing.rule_created",
                    format!("routing_rule:{}", rule.id),
                    None,
                    Some(routing_rule_json(&rule)),
                );
                append_audit_in(&mut tx, ws, &ev).await?;
                tx.commit().await?;
                Ok(rule)
            }

            async fn update_rule(
                &self,
                ws: WorkspaceId,
                id: i64,
                req: &crate::routing::rules::RuleRequest,
                actor: &Actor,
            ) -> StoreResult<crate::routing::rules::Rule> {
                let mut tx = self.writer().begin().await?;
                let before = match routing_rule_in(&mut tx, ws, id).await {
                    Ok(row) => row.into_rule(),
                    Err(e) => {
                        tx.rollback().await?;
                        return Err(e);
                    }
                };
                sqlx::query(
                    "UPDATE routing_rules SET name = $3, position = $4, version = version + 1, \
                     enabled = $5, conditions = $6, actions = $7, updated_at = $8 \
                     WHERE workspace_id = $1 AND id = $2",
                )
                .bind(ws.0)
                .bind(id)
                .bind(req.name.trim())
                .bind(req.position.unwrap_or(before.position))
                .bind(req.enabled as i64)
                .bind(serde_json::to_string(&req.conditions).unwrap_or_default())
                .bind(serde_json::to_string(&req.actions).unwrap_or_default())
                .bind(now_millis())
                .execute(&mut *tx)
                .await?;
                let after = routing_rule_in(&mut tx, ws, id).await?.into_rule();
                let ev = event(
                    actor,
                    "routing.rule_updated",
                    format!("routing_rule:{id}"),
                    Some(routing_rule_json(&before)),
                    Some(routing_rule_json(&after)),
                );
                append_audit_in(&mut tx, ws, &ev).await?;
                tx.commit().await?;
                Ok(after)
            }

            async fn routing_candidates(
                &self,
                ws: WorkspaceId,
                conversation_ids: &[i64],
            ) -> StoreResult<Vec<crate::routing::rules::Candidate>> {
                let mut out = Vec::new();
                for cid in conversation_ids {
                    let rows: Vec<crate::routing::rules::Candidate> = sqlx::query_as(
                        "SELECT m.id AS message_id, m.platform_id, m.conversation_id, m.channel, \
                         m.account_id, m.visibility, m.text, i.handle AS author, \
                         COALESCE(ct.vip, 0) AS vip, i.followers \
                         FROM messages m LEFT JOIN identities i ON i.id = m.identity_id \
                         LEFT JOIN contacts ct ON ct.id = i.contact_id \
                         WHERE m.workspace_id = $1 AND m.conversation_id = $2 \
                         AND m.direction = 'in' AND m.deleted_at IS NULL \
                         AND NOT EXISTS (SELECT 1 FROM message_signals s WHERE s.message_id = m.id) \
                         ORDER BY m.platform_time, m.id",
                    )
                    .bind(ws.0)
                    .bind(cid)
                    .fetch_all(self.reader())
                    .await?;
                    out.extend(rows);
                }
                Ok(out)
            }

            async fn apply_routing(
                &self,
                ws: WorkspaceId,
                o: &crate::storage::routing::RoutingOutcome,
            ) -> StoreResult<bool> {
                let mut tx = self.writer().begin().await?;
                let done = sqlx::query(
                    "INSERT INTO message_signals (message_id, workspace_id, sentiment, \
                     listening_query_id, routed_at) \
                     SELECT id, workspace_id, $3, $4, $5 FROM messages \
                     WHERE workspace_id = $1 AND id = $2 ON CONFLICT DO NOTHING",
                )
                .bind(ws.0)
                .bind(o.message_id)
                .bind(o.sentiment)
                .bind(o.listening.as_ref().map(|l| l.0))
                .bind(now_millis())
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    // Roll back now: a dropped transaction keeps its connection idle in
                    // transaction until the pool reuses it.
                    tx.rollback().await?;
                    return Ok(false);
                }
                if let Some((query_id, tag)) = &o.listening {
                    insert_tag(&mut tx, ws, o.conversation_id, tag).await?;
                    let ev = event(
                        &Actor::System("listening"),
                        "listening.matched",
                        format!("message:{}", o.message_id),
                        None,
                        Some(serde_json::json!({
                            "listening_query_id": query_id,
                            "conversation_id": o.conversation_id,
                            "tag": tag,
                        })),
                    );
                    append_audit_in(&mut tx, ws, &ev).await?;
                }
                for a in &o.applied {
                    routing_act(&mut tx, ws, o, a).await?;
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn message_signal(
                &self,
                ws: WorkspaceId,
                message_id: i64,
            ) -> StoreResult<Option<crate::storage::routing::SignalRow>> {
                Ok(sqlx::query_as(
                    "SELECT message_id, sentiment, listening_query_id, routed_at \
                     FROM message_signals WHERE workspace_id = $1 AND message_id = $2",
                )
                .bind(ws.0)
                .bind(message_id)
                .fetch_optional(self.reader())
                .await?)
            }

            async fn dismissals(
                &self,
                ws: WorkspaceId,
                limit: i64,
            ) -> StoreResult<Vec<crate::storage::routing::DismissalRow>> {
                Ok(sqlx::query_as(
                    "SELECT id, conversation_id, rule_id, rule_version, previous_status, \
                     dismissed_at, undone_at, undone_by FROM routing_dismissals \
                     WHERE workspace_id = $1 ORDER BY dismissed_at DESC, id DESC LIMIT $2",
                )
                .bind(ws.0)
                .bind(limit)
                .fetch_all(self.reader())
                .await?)
            }

            async fn undo_dismissal(
                &self,
                ws: WorkspaceId,
                id: i64,
                actor: &Actor,
            ) -> StoreResult<ConversationRow> {
                let mut tx = self.writer().begin().await?;
                let d: Option<crate::storage::routing::DismissalRow> = sqlx::query_as(
                    "SELECT id, conversation_id, rule_id, rule_version, previous_status, \
                     dismissed_at, undone_at, undone_by FROM routing_dismissals \
                     WHERE workspace_id = $1 AND id = $2",
                )
                .bind(ws.0)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
                let d = match d {
                    Some(d) if d.undone_at.is_none() => d,
                    other => {
                        tx.rollback().await?;
                        return Err(match other {
                            Some(_) => StoreError::Conflict("this dismissal was already undone".into()),
                            None => StoreError::NotFound,
                        });
                    }
                };
                let cid = d.conversation_id;
                let before = conversation_in(&mut tx, ws, cid).await?.ok_or(StoreError::NotFound)?;
                sqlx::query(
                    "UPDATE conversations SET status = $3, resolved_at = NULL, updated_at = $4 \
                     WHERE workspace_id = $1 AND id = $2",
                )
                .bind(ws.0)
                .bind(cid)
                .bind(&d.previous_status)
                .bind(now_millis())
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "DELETE FROM conversation_tags WHERE workspace_id = $1 \
                     AND conversation_id = $2 AND tag = $3",
                )
                .bind(ws.0)
                .bind(cid)
                .bind(crate::storage::routing::SPAM_TAG)
                .execute(&mut *tx)
                .await?;
                let user = match actor {
                    Actor::User(u) => Some(*u),
                    Actor::System(_) => None,
                };
                sqlx::query(
                    "UPDATE routing_dismissals SET undone_at = $3, undone_by = $4 \
                     WHERE workspace_id = $1 AND id = $2",
                )
                .bind(ws.0)
                .bind(id)
                .bind(now_millis())
                .bind(user)
                .execute(&mut *tx)
                .await?;
                let after = conversation_in(&mut tx, ws, cid).await?.ok_or(StoreError::NotFound)?;
                let mut after_json = work_state(&after);
                after_json["dismissal_id"] = id.into();
                after_json["rule_id"] = d.rule_id.into();
                after_json["rule_version"] = d.rule_version.into();
                let ev = event(
                    actor,
                    "routing.dismissal_undone",
                    format!("conversation:{cid}"),
                    Some(work_state(&before)),
                    Some(after_json),
                );
                append_audit_in(&mut tx, ws, &ev).await?;
                tx.commit().await?;
                Ok(after)
            }
        }
    };
}

pub(crate) use routing_sql;
