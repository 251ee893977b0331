//! Storage for SLA crossings and escalation (issue #3): the rules, and announcing a
//! warning or breach — record the crossing once, apply the matching rules through the
//! conversation change path, notify the assignee and team lead — in one transaction.

use async_trait::async_trait;
use serde::Serialize;

use super::StoreResult;
use crate::domain::{Actor, WorkspaceId};
use crate::sla::escalation::{Crossing, EscalationRule, EscalationRuleRequest};

/// A rule as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EscalationRuleRow {
    pub id: i64,
    pub name: String,
    pub position: i64,
    pub version: i64,
    pub enabled: i64,
    pub metric: String,
    pub on_warning: i64,
    pub policy_key: Option<String>,
    pub assign_user_id: Option<i64>,
    pub assign_team_id: Option<i64>,
    pub raise_priority: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<EscalationRuleRow> for EscalationRule {
    fn from(r: EscalationRuleRow) -> Self {
        EscalationRule {
            id: r.id,
            name: r.name,
            position: r.position,
            version: r.version,
            enabled: r.enabled != 0,
            metric: r.metric,
            on_warning: r.on_warning != 0,
            policy_key: r.policy_key,
            assign_user_id: r.assign_user_id,
            assign_team_id: r.assign_team_id,
            raise_priority: r.raise_priority,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// What one rule did on a crossing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EscalationOutcome {
    pub rule_id: i64,
    pub rule_version: i64,
    /// `applied` (the conversation changed) or `unchanged`.
    pub outcome: String,
}

/// A crossing announced: who was told and what the rules did.
#[derive(Debug, Clone, Serialize)]
pub struct Announcement {
    pub crossing_id: i64,
    pub crossing: Crossing,
    pub notified: Vec<i64>,
    pub escalations: Vec<EscalationOutcome>,
}

/// Escalation rules and the announcing of SLA crossings.
#[async_trait]
pub trait EscalationStore {
    /// The rules not deleted, in evaluation order.
    async fn escalation_rules(&self, ws: WorkspaceId) -> StoreResult<Vec<EscalationRule>>;
    async fn escalation_rule(
        &self,
        ws: WorkspaceId,
        id: i64,
    ) -> StoreResult<Option<EscalationRule>>;
    /// Saves a validated rule (see `EscalationRuleRequest::validated`), with audit.
    async fn create_escalation_rule(
        &self,
        ws: WorkspaceId,
        req: &EscalationRuleRequest,
        actor: &Actor,
    ) -> StoreResult<EscalationRule>;
    /// Replaces a rule's content and raises its version, with audit.
    async fn update_escalation_rule(
        &self,
        ws: WorkspaceId,
        id: i64,
        req: &EscalationRuleRequest,
        actor: &Actor,
    ) -> StoreResult<EscalationRule>;
    /// Deletes a rule (it keeps its id and what it did), with audit.
    async fn delete_escalation_rule(
        &self,
        ws: WorkspaceId,
        id: i64,
        actor: &Actor,
    ) -> StoreResult<()>;
    /// Running clocks whose warning or due instant is at or before `now` and whose state
    /// was not announced yet, most overdue first, at most `limit`.
    async fn sla_pending_crossings(
        &self,
        ws: WorkspaceId,
        now: i64,
        limit: i64,
    ) -> StoreResult<Vec<Crossing>>;
    /// Announces one crossing in one transaction: marks the conversation's state
    /// announced, records the crossing (once: `None` when it was already announced or the
    /// conversation moved on), applies every matching enabled rule through the change
    /// path (audited as `sla.escalation_applied` by `system:sla`), notifies the assignee
    /// and the team lead before and after, and audits `sla.crossing_announced`.
    async fn sla_announce_crossing(
        &self,
        ws: WorkspaceId,
        crossing: &Crossing,
    ) -> StoreResult<Option<Announcement>>;
}

macro_rules! escalation_sql {
    ($store:ty) => {
        const ESCALATION_RULE_SELECT: &str = "SELECT id, name, position, version, enabled, \
            metric, on_warning, policy_key, assign_user_id, assign_team_id, raise_priority, \
            created_at, updated_at FROM sla_escalation_rules";

        async fn escalation_rule_in(
            conn: &mut Conn,
            ws: WorkspaceId,
            id: i64,
        ) -> StoreResult<Option<crate::sla::escalation::EscalationRule>> {
            let q = format!(
                "{ESCALATION_RULE_SELECT} WHERE workspace_id = $1 AND id = $2 AND deleted_at IS NULL"
            );
            let row: Option<crate::storage::escalation::EscalationRuleRow> =
                sqlx::query_as(&q).bind(ws.0).bind(id).fetch_optional(&mut *conn).await?;
            Ok(row.map(Into::into))
        }

        async fn escalation_rules_in(
            conn: &mut Conn,
            ws: WorkspaceId,
        ) -> StoreResult<Vec<crate::sla::escalation::EscalationRule>> {
            let q = format!(
                "{ESCALATION_RULE_SELECT} WHERE workspace_id = $1 AND deleted_at IS NULL \
                 ORDER BY position, id"
            );
            let rows: Vec<crate::storage::escalation::EscalationRuleRow> =
                sqlx::query_as(&q).bind(ws.0).fetch_all(&mut *conn).await?;
            Ok(rows.into_iter().map(Into::into).collect())
        }

        fn escalation_rule_json(r: &crate::sla::escalation::EscalationRule) -> serde_json::Value {
            serde_json::to_value(r).unwrap_or_default()
        }

        async fn team_lead_in(conn: &mut Conn, ws: WorkspaceId, team: Option<i64>)
            -> StoreResult<Option<i64>> {
            let Some(team) = team else {
                return Ok(None);
            };
            let row: Option<(Option<i64>,)> =
                sqlx::query_as("SELECT lead_user_id FROM teams WHERE workspace_id = $1 AND id = $2")
                    .bind(ws.0)
                    .bind(team)
                    .fetch_optional(&mut *conn)
                    .await?;
            Ok(row.and_then(|r| r.0))
        }

        #[async_trait]
        impl crate::storage::escalation::EscalationStore for $store {
            async fn escalation_rules(
                &self,
                ws: WorkspaceId,
            ) -> StoreResult<Vec<crate::sla::escalation::EscalationRule>> {
                let mut conn = self.reader().acquire().await?;
                escalation_rules_in(&mut conn, ws).await
            }

            async fn escalation_rule(
                &self,
                ws: WorkspaceId,
                id: i64,
            ) -> StoreResult<Option<crate::sla::escalation::EscalationRule>> {
                let mut conn = self.reader().acquire().await?;
                escalation_rule_in(&mut conn, ws, id).await
            }

            async fn create_escalation_rule(
                &self,
                ws: WorkspaceId,
                req: &crate::sla::escalation::EscalationRuleRequest,
                actor: &Actor,
            ) -> StoreResult<crate::sla::escalation::EscalationRule> {
                let mut tx = self.writer().begin().await?;
                let next: (i64,) = sqlx::query_as(
                    "SELECT COALESCE(MAX(position), 0) + 1 FROM sla_escalation_rules \
                     WHERE workspace_id = $1",
                )
                .bind(ws.0)
                .fetch_one(&mut *tx)
                .await?;
                let now = now_millis();
                let id: (i64,) = sqlx::query_as(
                    "INSERT INTO sla_escalation_rules (workspace_id, name, position, version, \
                     enabled, metric, on_warning, policy_key, assign_user_id, assign_team_id, \
                     raise_priority, created_at, updated_at) \
                     VALUES ($1, $2, $3, 1, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
                )
                .bind(ws.0)
                .bind(&req.name)
                .bind(req.position.unwrap_or(next.0))
                .bind(req.enabled as i64)
                .bind(&req.metric)
                .bind(req.on_warning as i64)
                .bind(&req.policy_key)
                .bind(req.assign_user_id)
                .bind(req.assign_team_id)
                .bind(&req.raise_priority)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                let rule = escalation_rule_in(&mut tx, ws, id.0).await?.ok_or(StoreError::NotFound)?;
                let ev = event(
                    actor,
                    "sla.escalation_rule_created",
                    format!("sla_escalation_rule:{}", rule.id),
                    None,
                    Some(escalation_rule_json(&rule)),
                );
                append_audit_in(&mut tx, ws, &ev).await?;
                tx.commit().await?;
                Ok(rule)
            }

            async fn update_escalation_rule(
                &self,
                ws: WorkspaceId,
                id: i64,
                req: &crate::sla::escalation::EscalationRuleRequest,
                actor: &Actor,
            ) -> StoreResult<crate::sla::escalation::EscalationRule> {
                let mut tx = self.writer().begin().await?;
                let Some(before) = escalation_rule_in(&mut tx, ws, id).await? else {
                    tx.rollback().await?;
                    return Err(StoreError::NotFound);
                };
                sqlx::query(
                    "UPDATE sla_escalation_rules SET name = $3, position = $4, \
                     version = version + 1, enabled = $5, metric = $6, on_warning = $7, \
                     policy_key = $8, assign_user_id = $9, assign_team_id = $10, \
                     raise_priority = $11, updated_at = $12 WHERE workspace_id = $1 AND id = $2",
                )
                .bind(ws.0)
                .bind(id)
                .bind(&req.name)
                .bind(req.position.unwrap_or(before.position))
                .bind(req.enabled as i64)
                .bind(&req.metric)
                .bind(req.on_warning as i64)
                .bind(&req.policy_key)
                .bind(req.assign_user_id)
                .bind(req.assign_team_id)
                .bind(&req.raise_priority)
                .bind(now_millis())
                .execute(&mut *tx)
                .await?;
                let after = escalation_rule_in(&mut tx, ws, id).await?.ok_or(StoreError::NotFound)?;
                let ev = event(
                    actor,
                    "sla.escalation_rule_updated",
                    format!("sla_escalation_rule:{id}"),
                    Some(escalation_rule_json(&before)),
                    Some(escalation_rule_json(&after)),
                );
                append_audit_in(&mut tx, ws, &ev).await?;
                tx.commit().await?;
                Ok(after)
            }

            async fn delete_escalation_rule(
                &self,
                ws: WorkspaceId,
                id: i64,
                actor: &Actor,
            ) -> StoreResult<()> {
                let mut tx = self.writer().begin().await?;
                let Some(before) = escalation_rule_in(&mut tx, ws, id).await? else {
                    tx.rollback().await?;
                    return Err(StoreError::NotFound);
                };
                let now = now_millis();
                sqlx::query(
                    "UPDATE sla_escalation_rules SET deleted_at = $3, updated_at = $3 \
                     WHERE workspace_id = $1 AND id = $2",
                )
                .bind(ws.0)
                .bind(id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                let ev = event(
                    actor,
                    "sla.escalation_rule_deleted",
                    format!("sla_escalation_rule:{id}"),
                    Some(escalation_rule_json(&before)),
                    None,
                );
                append_audit_in(&mut tx, ws, &ev).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn sla_pending_crossings(
                &self,
                ws: WorkspaceId,
                now: i64,
                limit: i64,
            ) -> StoreResult<Vec<crate::sla::escalation::Crossing>> {
                let rows: Vec<(i64, Option<i64>, Option<String>, Option<String>)> = sqlx::query_as(
                    "SELECT conversation_id, due_at, live_metric, policy_key FROM sla_conversations \
                     WHERE workspace_id = $1 AND live_metric IS NOT NULL AND due_at IS NOT NULL \
                     AND ((due_at <= $2 AND (notified_state IS NULL OR notified_state <> 'breached')) \
                        OR (warn_at IS NOT NULL AND warn_at <= $2 AND notified_state IS NULL)) \
                     ORDER BY due_at, conversation_id LIMIT $3",
                )
                .bind(ws.0)
                .bind(now)
                .bind(limit)
                .fetch_all(self.reader())
                .await?;
                Ok(rows
                    .into_iter()
                    .filter_map(|(id, due, metric, policy_key)| {
                        let due = due?;
                        Some(crate::sla::escalation::Crossing {
                            conversation_id: id,
                            metric: metric?,
                            state: if due <= now { "breached" } else { "warning" }.to_owned(),
                            due_at: due,
                            policy_key,
                        })
                    })
                    .collect())
            }

            async fn sla_announce_crossing(
                &self,
                ws: WorkspaceId,
                c: &crate::sla::escalation::Crossing,
            ) -> StoreResult<Option<crate::storage::escalation::Announcement>> {
                use crate::sla::escalation as esc;
                let mut tx = self.writer().begin().await?;
                // Lock the conversation first, in the order a change takes its rows
                // (conversations, sla_conversations, audit_heads), so the watcher and a
                // person's edit never wait on each other in a cycle.
                let locked = sqlx::query(
                    "UPDATE conversations SET updated_at = updated_at WHERE workspace_id = $1 AND id = $2",
                )
                .bind(ws.0)
                .bind(c.conversation_id)
                .execute(&mut *tx)
                .await?;
                // Claim the announcement: only while the conversation still stands where the
                // watcher saw it (same clock, same due instant) and this state is news.
                let claimed = if locked.rows_affected() == 0 {
                    0
                } else {
                    sqlx::query(
                        "UPDATE sla_conversations SET notified_state = $3 \
                         WHERE workspace_id = $1 AND conversation_id = $2 AND due_at = $4 \
                         AND live_metric = $5 \
                         AND (notified_state IS NULL OR ($6 = 1 AND notified_state <> 'breached'))",
                    )
                    .bind(ws.0)
                    .bind(c.conversation_id)
                    .bind(&c.state)
                    .bind(c.due_at)
                    .bind(&c.metric)
                    .bind(i64::from(c.state == "breached"))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                };
                if claimed == 0 {
                    tx.rollback().await?;
                    return Ok(None);
                }
                let now = now_millis();
                let crossing: Option<(i64,)> = sqlx::query_as(
                    "INSERT INTO sla_crossings (workspace_id, conversation_id, metric, state, \
                     due_at, policy_key, crossed_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (workspace_id, conversation_id, metric, state, due_at) DO NOTHING \
                     RETURNING id",
                )
                .bind(ws.0)
                .bind(c.conversation_id)
                .bind(&c.metric)
                .bind(&c.state)
                .bind(c.due_at)
                .bind(&c.policy_key)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((crossing_id,)) = crossing else {
                    // This very crossing was announced before: keep the claim, say nothing.
                    tx.commit().await?;
                    return Ok(None);
                };
                let before = conversation_in(&mut tx, ws, c.conversation_id)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                let mut current = before.clone();
                let mut applied = Vec::new();
                let mut outcomes = Vec::new();
                for rule in escalation_rules_in(&mut tx, ws).await? {
                    if !rule.matches(c) {
                        continue;
                    }
                    let outcome = match rule.change_for(&current) {
                        Some(change) => {
                            let cause = serde_json::json!({
                                "escalation_rule_id": rule.id,
                                "escalation_rule_version": rule.version,
                                "crossing_id": crossing_id,
                                "metric": c.metric,
                                "sla_state": c.state,
                                "due_at": c.due_at,
                                "policy_key": c.policy_key,
                            });
                            let (b, a) = change_conversation_in(
                                &mut tx,
                                ws,
                                c.conversation_id,
                                &change,
                                &Actor::System(esc::ACTOR),
                                "sla.escalation_applied",
                                Some(cause),
                            )
                            .await?;
                            current = a.clone();
                            applied.push(esc::AppliedEscalation {
                                rule_id: rule.id,
                                before: b,
                                after: a,
                            });
                            "applied"
                        }
                        None => "unchanged",
                    };
                    sqlx::query(
                        "INSERT INTO sla_escalations (workspace_id, crossing_id, rule_id, \
                         rule_version, conversation_id, outcome, at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(ws.0)
                    .bind(crossing_id)
                    .bind(rule.id)
                    .bind(rule.version)
                    .bind(c.conversation_id)
                    .bind(outcome)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    outcomes.push(crate::storage::escalation::EscalationOutcome {
                        rule_id: rule.id,
                        rule_version: rule.version,
                        outcome: outcome.to_owned(),
                    });
                }
                let notified = esc::recipients([
                    before.assignee_id,
                    team_lead_in(&mut tx, ws, before.team_id).await?,
                    current.assignee_id,
                    team_lead_in(&mut tx, ws, current.team_id).await?,
                ]);
                let message = esc::notification_text(c, &applied);
                for user in &notified {
                    sqlx::query(
                        "INSERT INTO notifications (workspace_id, user_id, kind, conversation_id, \
                         message, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(ws.0)
                    .bind(user)
                    .bind(esc::notification_kind(&c.state))
                    .bind(c.conversation_id)
                    .bind(&message)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                let ev = event(
                    &Actor::System(esc::ACTOR),
                    "sla.crossing_announced",
                    format!("conversation:{}", c.conversation_id),
                    None,
                    Some(serde_json::json!({
                        "crossing_id": crossing_id,
                        "metric": c.metric,
                        "sla_state": c.state,
                        "due_at": c.due_at,
                        "policy_key": c.policy_key,
                        "notified_user_ids": notified,
                        "escalations": outcomes,
                    })),
                );
                append_audit_in(&mut tx, ws, &ev).await?;
                tx.commit().await?;
                Ok(Some(crate::storage::escalation::Announcement {
                    crossing_id,
                    crossing: c.clone(),
                    notified,
                    escalations: outcomes,
                }))
            }
        }
    };
}

pub(crate) use escalation_sql;
