//! SLA storage (issue #3): business calendars, versioned policies, the conversation
//! events the clocks need, and the per-conversation figures kept up to date as events
//! arrive.
//!
//! Where the clocks' events come from: customer and brand messages from `messages`
//! (`direction`, `visibility`, `sender_kind`), private notes from `notes`, and status
//! changes, assignments and approval waits from `sla_events`, appended in the same
//! transaction as the change. So every figure can be recomputed from stored rows and
//! explained event by event. After any change the conversation's figures are recomputed
//! (`sla_refresh_in`) into `sla_conversations` (live state, due and warning instants)
//! and `sla_clocks` (one row per clock), which the inbox and the reports read instead of
//! messages.

use async_trait::async_trait;
use serde::Serialize;

use super::{ConversationRow, InboxFilter, StoreResult};
use crate::domain::{Actor, WorkspaceId};

/// A business calendar as stored; `spec` is a `hearken_sla::CalendarSpec` in JSON.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct SlaCalendarRow {
    pub id: i64,
    pub workspace_id: i64,
    pub name: String,
    pub spec: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One version of an SLA policy; `body` is a `hearken_sla::SlaPolicy` in JSON whose id,
/// version, name and effective_from are taken from the columns.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct SlaPolicyRow {
    pub id: i64,
    pub workspace_id: i64,
    pub policy_key: String,
    pub version: i64,
    pub name: String,
    pub position: i64,
    pub calendar_id: Option<i64>,
    pub effective_from: i64,
    pub body: String,
    pub created_at: i64,
    pub created_by: String,
}

/// A new policy version to append; the store assigns the version number.
#[derive(Debug, Clone)]
pub struct NewPolicyVersion {
    pub policy_key: String,
    pub name: String,
    pub position: i64,
    pub calendar_id: Option<i64>,
    pub effective_from: i64,
    pub body: String,
}

/// A stored conversation event (status change, assignment, approval wait).
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct SlaEventRow {
    pub at: i64,
    pub kind: String,
    pub detail: Option<String>,
}

/// A message as the clocks see it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SlaMessageRow {
    pub id: i64,
    pub platform_time: i64,
    pub direction: String,
    pub visibility: String,
    pub sender_kind: String,
}

/// Everything needed to compute one conversation's clocks.
#[derive(Debug, Clone)]
pub struct SlaInputs {
    pub conversation: ConversationRow,
    pub team_name: Option<String>,
    pub tags: Vec<String>,
    pub vip: bool,
    pub messages: Vec<SlaMessageRow>,
    /// Creation instants of private notes.
    pub notes: Vec<i64>,
    pub events: Vec<SlaEventRow>,
    pub policies: Vec<SlaPolicyRow>,
    pub calendars: Vec<SlaCalendarRow>,
}

/// A conversation's stored SLA state.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct SlaStateRow {
    pub conversation_id: i64,
    pub policy_key: Option<String>,
    pub policy_version: Option<i64>,
    pub calendar_id: Option<i64>,
    pub opened_at: i64,
    pub live_metric: Option<String>,
    pub live_state: Option<String>,
    pub due_at: Option<i64>,
    pub warn_at: Option<i64>,
    pub business_time: i64,
    pub account_id: i64,
    pub channel: String,
    pub assignee_id: Option<i64>,
    pub team_id: Option<i64>,
    pub notified_state: Option<String>,
    pub computed_at: i64,
}

/// One stored clock.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct SlaClockRow {
    pub conversation_id: i64,
    pub seq: i64,
    pub metric: String,
    pub cycle: i64,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub calendar_minutes: i64,
    pub business_minutes: i64,
    pub active_calendar_minutes: i64,
    pub active_business_minutes: i64,
    pub paused_business_minutes: i64,
    pub target_minutes: Option<i64>,
    pub target_business: Option<i64>,
    pub outcome: String,
    pub due_at: Option<i64>,
    pub breached_at: Option<i64>,
    pub overdue_minutes: i64,
    pub inbound_items: i64,
    pub policy_key: Option<String>,
    pub policy_version: Option<i64>,
    pub account_id: i64,
    pub channel: String,
    pub assignee_id: Option<i64>,
    pub team_id: Option<i64>,
}

/// One stored rollup row (see migration 0003).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SlaRollupRow {
    pub day: String,
    pub dim_value: String,
    pub metric: String,
    pub count: i64,
    pub unanswered: i64,
    pub sum_business: i64,
    pub sum_calendar: i64,
    pub met: i64,
    pub breached: i64,
    pub inbound: i64,
    pub answered: i64,
    pub opened: i64,
    pub sketch_business: Option<String>,
    pub sketch_calendar: Option<String>,
}

/// Reads one rollup row packed by `sla_rollups`: nine numbers, the day, the metric, the
/// slice value's length in characters, then the slice value and the sketch back to back.
pub(crate) fn unpack_rollup(packed: &str, business: bool) -> Option<SlaRollupRow> {
    let mut parts = packed.splitn(13, ',');
    let mut num = || parts.next()?.parse::<i64>().ok();
    let (count, unanswered, sum_business, sum_calendar) = (num()?, num()?, num()?, num()?);
    let (met, breached, inbound, answered, opened) = (num()?, num()?, num()?, num()?, num()?);
    let day = parts.next()?.to_owned();
    let metric = parts.next()?.to_owned();
    let chars: usize = parts.next()?.parse().ok()?;
    let rest = parts.next()?;
    let split = rest
        .char_indices()
        .nth(chars)
        .map_or(rest.len(), |(i, _)| i);
    let (dim_value, sketch) = rest.split_at(split);
    let sketch = Some(sketch.to_owned()).filter(|s| !s.is_empty());
    let (sketch_business, sketch_calendar) = match business {
        true => (sketch, None),
        false => (None, sketch),
    };
    Some(SlaRollupRow {
        day,
        dim_value: dim_value.to_owned(),
        metric,
        count,
        unanswered,
        sum_business,
        sum_calendar,
        met,
        breached,
        inbound,
        answered,
        opened,
        sketch_business,
        sketch_calendar,
    })
}

/// What a recomputation wrote for one conversation, handed back to the caller.
#[derive(Debug, Clone, Default)]
pub struct SlaComputed {
    pub state: Option<SlaStateRow>,
    pub clocks: Vec<SlaClockRow>,
}

/// SLA storage; see the module docs.
#[async_trait]
pub trait SlaStore {
    /// Creates or replaces a calendar by name (spec already validated), with audit.
    async fn sla_save_calendar(
        &self,
        ws: WorkspaceId,
        name: &str,
        spec: &str,
        actor: &Actor,
    ) -> StoreResult<SlaCalendarRow>;
    async fn sla_calendars(&self, ws: WorkspaceId) -> StoreResult<Vec<SlaCalendarRow>>;
    /// Appends a policy version (never edits one) and recomputes open conversations so
    /// the change applies to them from its effective instant.
    async fn sla_add_policy_version(
        &self,
        ws: WorkspaceId,
        new: &NewPolicyVersion,
        actor: &Actor,
    ) -> StoreResult<SlaPolicyRow>;
    /// Every version of every policy, by position then key then version.
    async fn sla_policies(&self, ws: WorkspaceId) -> StoreResult<Vec<SlaPolicyRow>>;
    /// Records a conversation event at a given instant (historical import, approval
    /// waits) and recomputes the conversation, with audit.
    async fn sla_record_event(
        &self,
        ws: WorkspaceId,
        conversation_id: i64,
        at: i64,
        kind: &str,
        detail: Option<&str>,
        actor: &Actor,
    ) -> StoreResult<()>;
    /// Marks a stored outbound message as `human`, `automatic` or `bot`, with audit.
    async fn sla_set_sender_kind(
        &self,
        ws: WorkspaceId,
        message_id: i64,
        kind: &str,
        actor: &Actor,
    ) -> StoreResult<()>;
    /// The inputs of one conversation's clocks (for explanations and what-if).
    async fn sla_inputs(
        &self,
        ws: WorkspaceId,
        conversation_id: i64,
    ) -> StoreResult<Option<SlaInputs>>;
    /// Recomputes every conversation of the workspace (after a calendar change).
    async fn sla_recompute_all(&self, ws: WorkspaceId) -> StoreResult<u64>;
    async fn sla_states(&self, ws: WorkspaceId, ids: &[i64]) -> StoreResult<Vec<SlaStateRow>>;
    async fn sla_clocks_of(
        &self,
        ws: WorkspaceId,
        conversation_id: i64,
    ) -> StoreResult<Vec<SlaClockRow>>;
    /// The inbox ordered by SLA due time (least time left first; none last).
    async fn sla_inbox_by_due(
        &self,
        ws: WorkspaceId,
        filter: &InboxFilter,
        limit: i64,
    ) -> StoreResult<Vec<ConversationRow>>;
    /// Clocks that ended or started in `[from, to)`.
    async fn sla_report_clocks(
        &self,
        ws: WorkspaceId,
        from: i64,
        to: i64,
    ) -> StoreResult<Vec<SlaClockRow>>;
    /// Conversations opened in `[from, to)`.
    async fn sla_report_opened(
        &self,
        ws: WorkspaceId,
        from: i64,
        to: i64,
    ) -> StoreResult<Vec<SlaStateRow>>;
    /// (conversation id, tag) of conversations with a clock or an opening in `[from, to)`.
    async fn sla_report_tags(
        &self,
        ws: WorkspaceId,
        from: i64,
        to: i64,
    ) -> StoreResult<Vec<(i64, String)>>;
    /// Rollup rows of one dimension for days `from_day..=to_day` (YYYY-MM-DD), with only
    /// the sketch of the time kind a report reads (`business` or calendar): the sketches
    /// are most of a row's bytes.
    async fn sla_rollups(
        &self,
        ws: WorkspaceId,
        dim: &str,
        from_day: &str,
        to_day: &str,
        business: bool,
    ) -> StoreResult<Vec<SlaRollupRow>>;
    /// Writes rollup rows as given, with their dimension (benchmarks and rebuilds).
    async fn sla_put_rollups(
        &self,
        ws: WorkspaceId,
        rows: &[(String, SlaRollupRow)],
    ) -> StoreResult<()>;
}

/// The SQL of `SlaStore`, expanded next to `sql_store!` in each backend module.
macro_rules! sla_sql {
    ($store:ty) => {
        use crate::storage::sla::*;

        const SLA_STATE_SELECT: &str = "SELECT conversation_id, policy_key, policy_version, \
            calendar_id, opened_at, live_metric, live_state, due_at, warn_at, business_time, \
            account_id, channel, assignee_id, team_id, notified_state, computed_at \
            FROM sla_conversations";

        const SLA_CLOCK_SELECT: &str = "SELECT conversation_id, seq, metric, cycle, started_at, \
            ended_at, calendar_minutes, business_minutes, active_calendar_minutes, \
            active_business_minutes, paused_business_minutes, target_minutes, target_business, \
            outcome, due_at, breached_at, overdue_minutes, inbound_items, policy_key, \
            policy_version, account_id, channel, assignee_id, team_id FROM sla_clocks";

        async fn sla_inputs_in(
            conn: &mut Conn,
            ws: WorkspaceId,
            id: i64,
        ) -> StoreResult<Option<SlaInputs>> {
            let Some(conversation) = conversation_in(conn, ws, id).await? else {
                return Ok(None);
            };
            let team_name: Option<(String,)> =
                sqlx::query_as("SELECT name FROM teams WHERE workspace_id = $1 AND id = $2")
                    .bind(ws.0)
                    .bind(conversation.team_id.unwrap_or(-1))
                    .fetch_optional(&mut *conn)
                    .await?;
            let tags: Vec<(String,)> = sqlx::query_as(
                "SELECT tag FROM conversation_tags WHERE workspace_id = $1 \
                 AND conversation_id = $2 ORDER BY tag",
            )
            .bind(ws.0)
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
            let vip: Option<(i64,)> = sqlx::query_as(
                "SELECT CAST(vip AS BIGINT) FROM contacts WHERE workspace_id = $1 AND id = $2",
            )
            .bind(ws.0)
            .bind(conversation.contact_id.unwrap_or(-1))
            .fetch_optional(&mut *conn)
            .await?;
            let messages: Vec<SlaMessageRow> = sqlx::query_as(
                "SELECT id, platform_time, direction, visibility, sender_kind FROM messages \
                 WHERE workspace_id = $1 AND conversation_id = $2 ORDER BY platform_time, id",
            )
            .bind(ws.0)
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
            let notes: Vec<(i64,)> = sqlx::query_as(
                "SELECT created_at FROM notes WHERE workspace_id = $1 AND conversation_id = $2",
            )
            .bind(ws.0)
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
            let events: Vec<SlaEventRow> = sqlx::query_as(
                "SELECT at, kind, detail FROM sla_events WHERE workspace_id = $1 \
                 AND conversation_id = $2 ORDER BY at, id",
            )
            .bind(ws.0)
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
            let policies = sla_policies_in(conn, ws).await?;
            let calendars: Vec<SlaCalendarRow> = sqlx::query_as(
                "SELECT * FROM sla_calendars WHERE workspace_id = $1 ORDER BY id",
            )
            .bind(ws.0)
            .fetch_all(&mut *conn)
            .await?;
            Ok(Some(SlaInputs {
                conversation,
                team_name: team_name.map(|t| t.0),
                tags: tags.into_iter().map(|t| t.0).collect(),
                vip: vip.is_some_and(|v| v.0 != 0),
                messages,
                notes: notes.into_iter().map(|n| n.0).collect(),
                events,
                policies,
                calendars,
            }))
        }

        async fn sla_policies_in(conn: &mut Conn, ws: WorkspaceId) -> StoreResult<Vec<SlaPolicyRow>> {
            Ok(sqlx::query_as(
                "SELECT * FROM sla_policies WHERE workspace_id = $1 \
                 ORDER BY position, policy_key, version",
            )
            .bind(ws.0)
            .fetch_all(&mut *conn)
            .await?)
        }

        /// Adds (`sign` 1) or subtracts (-1) contributions to the rollups.
        async fn sla_roll_in(
            conn: &mut Conn,
            ws: WorkspaceId,
            contribs: &std::collections::BTreeMap<crate::sla::rollup::Key, crate::sla::rollup::Delta>,
            sign: i64,
        ) -> StoreResult<()> {
            for (k, d) in contribs {
                let stored: Option<(Option<String>, Option<String>)> = sqlx::query_as(
                    "SELECT sketch_business, sketch_calendar FROM sla_rollups WHERE workspace_id = $1 \
                     AND dim = $2 AND day = $3 AND dim_value = $4 AND metric = $5",
                )
                .bind(ws.0)
                .bind(&k.dim)
                .bind(&k.day)
                .bind(&k.value)
                .bind(&k.metric)
                .fetch_optional(&mut *conn)
                .await?;
                let (sb, sc) = stored.unwrap_or((None, None));
                let (sb, sc) = if d.business.is_empty() {
                    (sb, sc)
                } else {
                    use crate::sla::rollup::apply_sketch;
                    (
                        Some(apply_sketch(sb.as_deref(), &d.business, sign > 0)),
                        Some(apply_sketch(sc.as_deref(), &d.calendar, sign > 0)),
                    )
                };
                sqlx::query(
                    "INSERT INTO sla_rollups (workspace_id, dim, day, dim_value, metric, count, \
                     unanswered, sum_business, sum_calendar, met, breached, inbound, answered, \
                     opened, sketch_business, sketch_calendar) VALUES ($1, $2, $3, $4, $5, $6, $7, \
                     $8, $9, $10, $11, $12, $13, $14, $15, $16) \
                     ON CONFLICT (workspace_id, dim, day, dim_value, metric) DO UPDATE SET \
                     count = sla_rollups.count + $6, unanswered = sla_rollups.unanswered + $7, \
                     sum_business = sla_rollups.sum_business + $8, \
                     sum_calendar = sla_rollups.sum_calendar + $9, met = sla_rollups.met + $10, \
                     breached = sla_rollups.breached + $11, inbound = sla_rollups.inbound + $12, \
                     answered = sla_rollups.answered + $13, opened = sla_rollups.opened + $14, \
                     sketch_business = $15, sketch_calendar = $16",
                )
                .bind(ws.0)
                .bind(&k.dim)
                .bind(&k.day)
                .bind(&k.value)
                .bind(&k.metric)
                .bind(sign * d.count)
                .bind(sign * d.unanswered)
                .bind(sign * d.sum_business)
                .bind(sign * d.sum_calendar)
                .bind(sign * d.met)
                .bind(sign * d.breached)
                .bind(sign * d.inbound)
                .bind(sign * d.answered)
                .bind(sign * d.opened)
                .bind(sb)
                .bind(sc)
                .execute(&mut *conn)
                .await?;
            }
            Ok(())
        }

        async fn sla_zone_in(conn: &mut Conn, ws: WorkspaceId) -> StoreResult<jiff::tz::TimeZone> {
            let calendars: Vec<SlaCalendarRow> = sqlx::query_as(
                "SELECT * FROM sla_calendars WHERE workspace_id = $1 ORDER BY id LIMIT 1",
            )
            .bind(ws.0)
            .fetch_all(&mut *conn)
            .await?;
            Ok(crate::sla::engine::workspace_tz(&calendars))
        }

        /// Takes a conversation's stored contributions out of the rollups.
        async fn sla_unroll_in(conn: &mut Conn, ws: WorkspaceId, id: i64) -> StoreResult<()> {
            let q = format!("{SLA_STATE_SELECT} WHERE workspace_id = $1 AND conversation_id = $2");
            let old: Option<SlaStateRow> =
                sqlx::query_as(&q).bind(ws.0).bind(id).fetch_optional(&mut *conn).await?;
            let Some(old) = old else {
                return Ok(());
            };
            let tags: (Option<String>,) = sqlx::query_as(
                "SELECT rollup_tags FROM sla_conversations WHERE workspace_id = $1 AND conversation_id = $2",
            )
            .bind(ws.0)
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
            let tags: Vec<String> = tags
                .0
                .and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or_default();
            let q = format!("{SLA_CLOCK_SELECT} WHERE workspace_id = $1 AND conversation_id = $2");
            let clocks: Vec<SlaClockRow> =
                sqlx::query_as(&q).bind(ws.0).bind(id).fetch_all(&mut *conn).await?;
            let tz = sla_zone_in(conn, ws).await?;
            let contribs = crate::sla::rollup::contributions(&old, &clocks, &tags, &tz);
            sla_roll_in(conn, ws, &contribs, -1).await
        }

        /// Recomputes one conversation's SLA rows from its events (the hook every
        /// change calls inside its transaction), keeping the rollups in step.
        async fn sla_refresh_in(conn: &mut Conn, ws: WorkspaceId, id: i64) -> StoreResult<()> {
            sla_refresh_with(conn, ws, id, true).await
        }

        async fn sla_refresh_with(
            conn: &mut Conn,
            ws: WorkspaceId,
            id: i64,
            unroll: bool,
        ) -> StoreResult<()> {
            if unroll {
                sla_unroll_in(conn, ws, id).await?;
            }
            sqlx::query("DELETE FROM sla_clocks WHERE workspace_id = $1 AND conversation_id = $2")
                .bind(ws.0)
                .bind(id)
                .execute(&mut *conn)
                .await?;
            let Some(inputs) = sla_inputs_in(conn, ws, id).await? else {
                sqlx::query(
                    "DELETE FROM sla_conversations WHERE workspace_id = $1 AND conversation_id = $2",
                )
                .bind(ws.0)
                .bind(id)
                .execute(&mut *conn)
                .await?;
                return Ok(());
            };
            let now = now_millis();
            let computed = crate::sla::engine::compute_rows(&inputs, now, None);
            if let Some(s) = &computed.state {
                sqlx::query(
                    "INSERT INTO sla_conversations (conversation_id, workspace_id, policy_key, \
                     policy_version, calendar_id, opened_at, live_metric, live_state, due_at, \
                     warn_at, business_time, account_id, channel, assignee_id, team_id, \
                     notified_state, computed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
                     $10, $11, $12, $13, $14, $15, NULL, $16) \
                     ON CONFLICT (conversation_id) DO UPDATE SET policy_key = $3, \
                     policy_version = $4, calendar_id = $5, opened_at = $6, live_metric = $7, \
                     live_state = $8, due_at = $9, warn_at = $10, business_time = $11, \
                     account_id = $12, channel = $13, assignee_id = $14, team_id = $15, \
                     notified_state = CASE WHEN sla_conversations.due_at IS NOT DISTINCT FROM $9 \
                        THEN sla_conversations.notified_state ELSE NULL END, \
                     computed_at = $16",
                )
                .bind(id)
                .bind(ws.0)
                .bind(&s.policy_key)
                .bind(s.policy_version)
                .bind(s.calendar_id)
                .bind(s.opened_at)
                .bind(&s.live_metric)
                .bind(&s.live_state)
                .bind(s.due_at)
                .bind(s.warn_at)
                .bind(s.business_time)
                .bind(s.account_id)
                .bind(&s.channel)
                .bind(s.assignee_id)
                .bind(s.team_id)
                .bind(now)
                .execute(&mut *conn)
                .await?;
            }
            for k in &computed.clocks {
                sqlx::query(
                    "INSERT INTO sla_clocks (workspace_id, conversation_id, seq, metric, cycle, \
                     started_at, ended_at, calendar_minutes, business_minutes, \
                     active_calendar_minutes, active_business_minutes, paused_business_minutes, \
                     target_minutes, target_business, outcome, due_at, breached_at, \
                     overdue_minutes, inbound_items, policy_key, policy_version, account_id, \
                     channel, assignee_id, team_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
                     $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)",
                )
                .bind(ws.0)
                .bind(id)
                .bind(k.seq)
                .bind(&k.metric)
                .bind(k.cycle)
                .bind(k.started_at)
                .bind(k.ended_at)
                .bind(k.calendar_minutes)
                .bind(k.business_minutes)
                .bind(k.active_calendar_minutes)
                .bind(k.active_business_minutes)
                .bind(k.paused_business_minutes)
                .bind(k.target_minutes)
                .bind(k.target_business)
                .bind(&k.outcome)
                .bind(k.due_at)
                .bind(k.breached_at)
                .bind(k.overdue_minutes)
                .bind(k.inbound_items)
                .bind(&k.policy_key)
                .bind(k.policy_version)
                .bind(k.account_id)
                .bind(&k.channel)
                .bind(k.assignee_id)
                .bind(k.team_id)
                .execute(&mut *conn)
                .await?;
            }
            if let Some(state) = &computed.state {
                let tz = crate::sla::engine::workspace_tz(&inputs.calendars);
                let contribs =
                    crate::sla::rollup::contributions(state, &computed.clocks, &inputs.tags, &tz);
                sla_roll_in(conn, ws, &contribs, 1).await?;
                sqlx::query(
                    "UPDATE sla_conversations SET rollup_tags = $3 WHERE workspace_id = $1 AND conversation_id = $2",
                )
                .bind(ws.0)
                .bind(id)
                .bind(serde_json::to_string(&inputs.tags).unwrap_or_default())
                .execute(&mut *conn)
                .await?;
            }
            Ok(())
        }

        /// Appends a conversation event (no audit: the caller's change carries it).
        async fn sla_event_in(
            conn: &mut Conn,
            ws: WorkspaceId,
            id: i64,
            at: i64,
            kind: &str,
            detail: Option<&str>,
            actor: &Actor,
        ) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO sla_events (workspace_id, conversation_id, at, kind, detail, actor, \
                 recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(ws.0)
            .bind(id)
            .bind(at)
            .bind(kind)
            .bind(detail)
            .bind(actor.as_audit_text())
            .bind(now_millis())
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        /// Hook for `change_conversation`: records status and assignment events, then
        /// recomputes.
        async fn sla_after_change_in(
            conn: &mut Conn,
            ws: WorkspaceId,
            before: &ConversationRow,
            after: &ConversationRow,
            actor: &Actor,
        ) -> StoreResult<()> {
            let now = now_millis();
            if before.status != after.status {
                sla_event_in(conn, ws, after.id, now, "status_changed", Some(&after.status), actor)
                    .await?;
            }
            if before.assignee_id != after.assignee_id || before.team_id != after.team_id {
                sla_event_in(conn, ws, after.id, now, "assigned", None, actor).await?;
            }
            sla_refresh_in(conn, ws, after.id).await
        }

        /// Hook for the ingest merge: `from`'s events move to `into`, its rows go.
        async fn sla_merge_in(conn: &mut Conn, ws: WorkspaceId, from: i64, into: i64) -> StoreResult<()> {
            sla_unroll_in(conn, ws, from).await?;
            sqlx::query(
                "UPDATE sla_events SET conversation_id = $1 WHERE workspace_id = $2 AND conversation_id = $3",
            )
            .bind(into)
            .bind(ws.0)
            .bind(from)
            .execute(&mut *conn)
            .await?;
            sqlx::query(
                "UPDATE notifications SET conversation_id = $1 WHERE workspace_id = $2 AND conversation_id = $3",
            )
            .bind(into)
            .bind(ws.0)
            .bind(from)
            .execute(&mut *conn)
            .await?;
            for table in ["sla_clocks", "sla_conversations"] {
                let q = format!("DELETE FROM {table} WHERE workspace_id = $1 AND conversation_id = $2");
                sqlx::query(&q).bind(ws.0).bind(from).execute(&mut *conn).await?;
            }
            Ok(())
        }

        #[async_trait]
        impl SlaStore for $store {
            async fn sla_save_calendar(
                &self,
                ws: WorkspaceId,
                name: &str,
                spec: &str,
                actor: &Actor,
            ) -> StoreResult<SlaCalendarRow> {
                let mut tx = self.writer().begin().await?;
                let now = now_millis();
                let before: Option<SlaCalendarRow> = sqlx::query_as(
                    "SELECT * FROM sla_calendars WHERE workspace_id = $1 AND name = $2",
                )
                .bind(ws.0)
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?;
                let row: SlaCalendarRow = sqlx::query_as(
                    "INSERT INTO sla_calendars (workspace_id, name, spec, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $4) ON CONFLICT (workspace_id, name) \
                     DO UPDATE SET spec = $3, updated_at = $4 RETURNING *",
                )
                .bind(ws.0)
                .bind(name)
                .bind(spec)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                let parse = |s: &str| serde_json::from_str::<serde_json::Value>(s).ok();
                let ev = event(
                    actor,
                    "sla.calendar_saved",
                    format!("sla_calendar:{}", row.id),
                    before.as_ref().and_then(|b| parse(&b.spec)),
                    parse(&row.spec),
                );
                append_audit_in(&mut tx, ws, &ev).await?;
                tx.commit().await?;
                Ok(row)
            }

            async fn sla_calendars(&self, ws: WorkspaceId) -> StoreResult<Vec<SlaCalendarRow>> {
                Ok(sqlx::query_as("SELECT * FROM sla_calendars WHERE workspace_id = $1 ORDER BY id")
                    .bind(ws.0)
                    .fetch_all(self.reader())
                    .await?)
            }

            async fn sla_add_policy_version(
                &self,
                ws: WorkspaceId,
                new: &NewPolicyVersion,
                actor: &Actor,
            ) -> StoreResult<SlaPolicyRow> {
                let mut tx = self.writer().begin().await?;
                let last: (Option<i64>,) = sqlx::query_as(
                    "SELECT MAX(version) FROM sla_policies WHERE workspace_id = $1 AND policy_key = $2",
                )
                .bind(ws.0)
                .bind(&new.policy_key)
                .fetch_one(&mut *tx)
                .await?;
                let version = last.0.unwrap_or(0) + 1;
                let row: SlaPolicyRow = sqlx::query_as(
                    "INSERT INTO sla_policies (workspace_id, policy_key, version, name, position, \
                     calendar_id, effective_from, body, created_at, created_by) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *",
                )
                .bind(ws.0)
                .bind(&new.policy_key)
                .bind(version)
                .bind(&new.name)
                .bind(new.position)
                .bind(new.calendar_id)
                .bind(new.effective_from)
                .bind(&new.body)
                .bind(now_millis())
                .bind(actor.as_audit_text())
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| StoreError::from_insert(e, "this policy version"))?;
                let ev = event(
                    actor,
                    "sla.policy_version_added",
                    format!("sla_policy:{}", row.policy_key),
                    None,
                    Some(serde_json::json!({
                        "version": row.version,
                        "effective_from": row.effective_from,
                        "policy": serde_json::from_str::<serde_json::Value>(&row.body).ok(),
                    })),
                );
                append_audit_in(&mut tx, ws, &ev).await?;
                let open: Vec<(i64,)> = sqlx::query_as(
                    "SELECT id FROM conversations WHERE workspace_id = $1 \
                     AND status NOT IN ('resolved', 'closed')",
                )
                .bind(ws.0)
                .fetch_all(&mut *tx)
                .await?;
                let open: Vec<i64> = open.into_iter().map(|(id,)| id).collect();
                sla_refresh_many_in(&mut tx, ws, &open, true).await?;
                tx.commit().await?;
                Ok(row)
            }

            async fn sla_policies(&self, ws: WorkspaceId) -> StoreResult<Vec<SlaPolicyRow>> {
                let mut conn = self.reader().acquire().await?;
                sla_policies_in(&mut conn, ws).await
            }

            async fn sla_record_event(
                &self,
                ws: WorkspaceId,
                conversation_id: i64,
                at: i64,
                kind: &str,
                detail: Option<&str>,
                actor: &Actor,
            ) -> StoreResult<()> {
                let mut tx = self.writer().begin().await?;
                conversation_in(&mut tx, ws, conversation_id)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                sla_event_in(&mut tx, ws, conversation_id, at, kind, detail, actor).await?;
                if let (true, Some(status)) = (kind == "status_changed", detail) {
                    // Recorded history in order: the conversation takes the status it names.
                    let resolved_at = matches!(status, "resolved" | "closed").then_some(at);
                    sqlx::query(
                        "UPDATE conversations SET status = $3, resolved_at = $4 \
                         WHERE workspace_id = $1 AND id = $2",
                    )
                    .bind(ws.0)
                    .bind(conversation_id)
                    .bind(status)
                    .bind(resolved_at)
                    .execute(&mut *tx)
                    .await?;
                }
                let ev = event(
                    actor,
                    "sla.event_recorded",
                    format!("conversation:{conversation_id}"),
                    None,
                    Some(serde_json::json!({ "at": at, "kind": kind, "detail": detail })),
                );
                append_audit_in(&mut tx, ws, &ev).await?;
                sla_refresh_in(&mut tx, ws, conversation_id).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn sla_set_sender_kind(
                &self,
                ws: WorkspaceId,
                message_id: i64,
                kind: &str,
                actor: &Actor,
            ) -> StoreResult<()> {
                let mut tx = self.writer().begin().await?;
                let found: Option<(i64, String)> = sqlx::query_as(
                    "SELECT conversation_id, sender_kind FROM messages WHERE workspace_id = $1 AND id = $2",
                )
                .bind(ws.0)
                .bind(message_id)
                .fetch_optional(&mut *tx)
                .await?;
                let (conversation_id, before) = found.ok_or(StoreError::NotFound)?;
                sqlx::query("UPDATE messages SET sender_kind = $3 WHERE workspace_id = $1 AND id = $2")
                    .bind(ws.0)
                    .bind(message_id)
                    .bind(kind)
                    .execute(&mut *tx)
                    .await?;
                let ev = event(
                    actor,
                    "message.sender_kind_set",
                    format!("message:{message_id}"),
                    Some(serde_json::json!({ "sender_kind": before })),
                    Some(serde_json::json!({ "sender_kind": kind })),
                );
                append_audit_in(&mut tx, ws, &ev).await?;
                sla_refresh_in(&mut tx, ws, conversation_id).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn sla_inputs(&self, ws: WorkspaceId, id: i64) -> StoreResult<Option<SlaInputs>> {
                let mut conn = self.reader().acquire().await?;
                sla_inputs_in(&mut conn, ws, id).await
            }

            async fn sla_recompute_all(&self, ws: WorkspaceId) -> StoreResult<u64> {
                // Rebuilt from scratch (the days may be cut in a new time zone) in one
                // transaction: a change by another writer lands wholly before or wholly
                // after it, never between the emptying and the re-adding of its figures.
                // SQLite has one writer; PostgreSQL locks the SLA tables for the rebuild.
                let mut tx = self.writer().begin().await?;
                if let Some(lock) = DIALECT.lock_sla {
                    sqlx::query(lock).execute(&mut *tx).await?;
                }
                let ids: Vec<(i64,)> =
                    sqlx::query_as("SELECT id FROM conversations WHERE workspace_id = $1 ORDER BY id")
                        .bind(ws.0)
                        .fetch_all(&mut *tx)
                        .await?;
                sqlx::query("DELETE FROM sla_rollups WHERE workspace_id = $1")
                    .bind(ws.0)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("UPDATE sla_conversations SET rollup_tags = NULL WHERE workspace_id = $1")
                    .bind(ws.0)
                    .execute(&mut *tx)
                    .await?;
                let mut n = 0;
                for chunk in ids.chunks(1000) {
                    let chunk: Vec<i64> = chunk.iter().map(|(id,)| *id).collect();
                    sla_refresh_many_in(&mut tx, ws, &chunk, false).await?;
                    n += chunk.len() as u64;
                }
                tx.commit().await?;
                Ok(n)
            }

            async fn sla_states(&self, ws: WorkspaceId, ids: &[i64]) -> StoreResult<Vec<SlaStateRow>> {
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let list: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
                let q = format!(
                    "{SLA_STATE_SELECT} WHERE workspace_id = $1 AND conversation_id IN ({})",
                    list.join(",")
                );
                Ok(sqlx::query_as(&q).bind(ws.0).fetch_all(self.reader()).await?)
            }

            async fn sla_clocks_of(&self, ws: WorkspaceId, id: i64) -> StoreResult<Vec<SlaClockRow>> {
                let q = format!("{SLA_CLOCK_SELECT} WHERE workspace_id = $1 AND conversation_id = $2 ORDER BY seq");
                Ok(sqlx::query_as(&q).bind(ws.0).bind(id).fetch_all(self.reader()).await?)
            }

            async fn sla_inbox_by_due(
                &self,
                ws: WorkspaceId,
                filter: &InboxFilter,
                limit: i64,
            ) -> StoreResult<Vec<ConversationRow>> {
                let mut f = filter.clone();
                f.after = None;
                let clauses = inbox_clauses(ws, &f);
                let select = sql::CONVERSATION_SELECT.replace(
                    "FROM conversations c",
                    "FROM conversations c LEFT JOIN sla_conversations s ON s.conversation_id = c.id",
                );
                let q = format!(
                    "{select} WHERE {} ORDER BY CASE WHEN s.due_at IS NULL THEN 1 ELSE 0 END, \
                     s.due_at, c.activity_at DESC, c.id DESC LIMIT ${}",
                    clauses.joined(),
                    clauses.next_placeholder()
                );
                let query = bind_args(sqlx::query_as::<_, ConversationRow>(&q), &clauses.args);
                Ok(query.bind(limit).fetch_all(self.reader()).await?)
            }

            async fn sla_report_clocks(&self, ws: WorkspaceId, from: i64, to: i64) -> StoreResult<Vec<SlaClockRow>> {
                let q = format!(
                    "{SLA_CLOCK_SELECT} WHERE workspace_id = $1 AND ended_at >= $2 AND ended_at < $3 \
                     UNION {SLA_CLOCK_SELECT} WHERE workspace_id = $1 AND started_at >= $2 AND started_at < $3"
                );
                Ok(sqlx::query_as(&q).bind(ws.0).bind(from).bind(to).fetch_all(self.reader()).await?)
            }

            async fn sla_report_opened(&self, ws: WorkspaceId, from: i64, to: i64) -> StoreResult<Vec<SlaStateRow>> {
                let q = format!("{SLA_STATE_SELECT} WHERE workspace_id = $1 AND opened_at >= $2 AND opened_at < $3");
                Ok(sqlx::query_as(&q).bind(ws.0).bind(from).bind(to).fetch_all(self.reader()).await?)
            }

            async fn sla_report_tags(&self, ws: WorkspaceId, from: i64, to: i64) -> StoreResult<Vec<(i64, String)>> {
                Ok(sqlx::query_as(
                    "SELECT t.conversation_id, t.tag FROM conversation_tags t WHERE t.workspace_id = $1 \
                     AND t.conversation_id IN (SELECT conversation_id FROM sla_clocks WHERE workspace_id = $1 \
                        AND ((ended_at >= $2 AND ended_at < $3) OR (started_at >= $2 AND started_at < $3)) \
                        UNION SELECT conversation_id FROM sla_conversations WHERE workspace_id = $1 \
                        AND opened_at >= $2 AND opened_at < $3)",
                )
                .bind(ws.0)
                .bind(from)
                .bind(to)
                .fetch_all(self.reader())
                .await?)
            }

            async fn sla_rollups(
                &self,
                ws: WorkspaceId,
                dim: &str,
                from_day: &str,
                to_day: &str,
                business: bool,
            ) -> StoreResult<Vec<SlaRollupRow>> {
                let sketch = if business { "sketch_business" } else { "sketch_calendar" };
                if !DIALECT.pack_rollups {
                    let other = if business { "NULL AS sketch_calendar" } else { "NULL AS sketch_business" };
                    let q = format!(
                        "SELECT day, dim_value, metric, count, unanswered, sum_business, sum_calendar, \
                         met, breached, inbound, answered, opened, {sketch}, {other} \
                         FROM sla_rollups WHERE workspace_id = $1 AND dim = $2 AND day >= $3 AND day <= $4"
                    );
                    return Ok(sqlx::query_as(&q)
                        .bind(ws.0)
                        .bind(dim)
                        .bind(from_day)
                        .bind(to_day)
                        .fetch_all(self.reader())
                        .await?);
                }
                // Each row comes out as one text value: most of the cost of a sliced report
                // on SQLite is per value its worker hands over, and a 30-day window sliced by
                // agent holds ~12,000 rows.
                let q = format!(
                    "SELECT count || ',' || unanswered || ',' || sum_business || ',' || sum_calendar \
                     || ',' || met || ',' || breached || ',' || inbound || ',' || answered || ',' \
                     || opened || ',' || day || ',' || metric || ',' || length(dim_value) || ',' \
                     || dim_value || COALESCE({sketch}, '') \
                     FROM sla_rollups WHERE workspace_id = $1 AND dim = $2 AND day >= $3 AND day <= $4"
                );
                let packed: Vec<(String,)> = sqlx::query_as(&q)
                    .bind(ws.0)
                    .bind(dim)
                    .bind(from_day)
                    .bind(to_day)
                    .fetch_all(self.reader())
                    .await?;
                packed
                    .iter()
                    .map(|(p,)| unpack_rollup(p, business))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| StoreError::Conflict("an SLA rollup row could not be read".into()))
            }

            async fn sla_put_rollups(&self, ws: WorkspaceId, rows: &[(String, SlaRollupRow)]) -> StoreResult<()> {
                for chunk in rows.chunks(2000) {
                    let mut tx = self.writer().begin().await?;
                    for (dim, r) in chunk {
                        sqlx::query(
                            "INSERT INTO sla_rollups (workspace_id, dim, day, dim_value, metric, count, \
                             unanswered, sum_business, sum_calendar, met, breached, inbound, answered, \
                             opened, sketch_business, sketch_calendar) VALUES ($1, $2, $3, $4, $5, $6, \
                             $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
                        )
                        .bind(ws.0)
                        .bind(dim)
                        .bind(&r.day)
                        .bind(&r.dim_value)
                        .bind(&r.metric)
                        .bind(r.count)
                        .bind(r.unanswered)
                        .bind(r.sum_business)
                        .bind(r.sum_calendar)
                        .bind(r.met)
                        .bind(r.breached)
                        .bind(r.inbound)
                        .bind(r.answered)
                        .bind(r.opened)
                        .bind(&r.sketch_business)
                        .bind(&r.sketch_calendar)
                        .execute(&mut *tx)
                        .await?;
                    }
                    tx.commit().await?;
                }
                Ok(())
            }
        }
    };
}

pub(crate) use sla_sql;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packed_rollup_row_reads_back_with_commas_and_wide_characters_in_its_slice() {
        let sketch = "qs1|0.01|0|2|3|9|12:1,4:1";
        let packed = format!("2,1,30,40,1,1,3,2,0,2024-06-10,first_response,5,a,ü😀b{sketch}");
        let r = unpack_rollup(&packed, true).unwrap();
        assert_eq!(
            (r.count, r.unanswered, r.sum_business, r.sum_calendar),
            (2, 1, 30, 40)
        );
        assert_eq!(
            (r.met, r.breached, r.inbound, r.answered, r.opened),
            (1, 1, 3, 2, 0)
        );
        assert_eq!(
            (r.day.as_str(), r.metric.as_str()),
            ("2024-06-10", "first_response")
        );
        assert_eq!(r.dim_value, "a,ü😀b");
        assert_eq!(r.sketch_business.as_deref(), Some(sketch));
        assert_eq!(r.sketch_calendar, None);
        let none = unpack_rollup("0,0,0,0,0,0,0,0,5,2024-06-10,case,0,", false).unwrap();
        assert_eq!((none.opened, none.dim_value.as_str()), (5, ""));
        assert_eq!(none.sketch_calendar, None);
        assert!(unpack_rollup("1,2,x", true).is_none());
    }
}
