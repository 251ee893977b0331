//! Storage of connected accounts, webhook deliveries, parked events and the completeness
//! ledger (issue #6). The SQL is in `channels_sql!`, expanded once per backend beside
//! `sql_store!` so it can reuse ingest, recompute and the audit chain.

use async_trait::async_trait;
use serde::Serialize;

use super::StoreResult;
use crate::domain::message::IncomingMessage;
use crate::domain::{Actor, WorkspaceId};

/// A connected account with its sealed credentials.
#[derive(Clone, sqlx::FromRow)]
pub struct ConnectionRow {
    pub account_id: i64,
    pub workspace_id: i64,
    pub channel: String,
    pub handle: String,
    pub platform_user_id: String,
    pub app_id: Option<String>,
    pub base_url: Option<String>,
    /// Nonce and ciphertext; opened only by `channels::secrets::Sealer`.
    pub sealed_credentials: Vec<u8>,
    /// JSON object of masked credentials, safe to show.
    pub credential_masks: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl std::fmt::Debug for ConnectionRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionRow")
            .field("account_id", &self.account_id)
            .field("workspace_id", &self.workspace_id)
            .field("channel", &self.channel)
            .field("sealed_credentials", &"[redacted]")
            .finish()
    }
}

/// An account to connect (or whose credentials to replace).
#[derive(Clone)]
pub struct NewConnection {
    pub channel: String,
    pub handle: String,
    pub platform_user_id: String,
    pub app_id: Option<String>,
    pub base_url: Option<String>,
    pub sealed_credentials: Vec<u8>,
    pub credential_masks: String,
}

/// A webhook delivery as received, to write before answering.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub workspace_id: i64,
    pub account_id: i64,
    pub channel: String,
    pub body: Vec<u8>,
    pub headers: String,
    pub received_at: i64,
}

/// A pending delivery with what processing needs to know about its account.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryRow {
    pub id: i64,
    pub workspace_id: i64,
    pub account_id: i64,
    pub channel: String,
    pub handle: String,
    pub platform_user_id: String,
    pub app_id: Option<String>,
    pub body: Vec<u8>,
    pub headers: String,
    pub received_at: i64,
}

/// What one platform event asks the store to do.
#[derive(Debug, Clone)]
pub enum Action {
    /// A new item from a customer (or a re-delivery of a known one), with the author's
    /// follower count when the payload carries one.
    Ingest {
        message: IncomingMessage,
        followers: Option<i64>,
    },
    /// The text of an item changed on the platform.
    Edit {
        platform_id: String,
        text: String,
        at: i64,
    },
    /// An item was deleted, removed or hidden on the platform.
    Delete {
        platform_id: String,
        at: i64,
        reason: String,
    },
    /// A brand message the platform reports back: ours (confirm it) or typed elsewhere.
    Echo {
        message: IncomingMessage,
        /// Whether the echo names our app.
        ours: bool,
    },
    /// Recognised but not turned into anything, with the reason.
    Skip(String),
}

/// What processing makes of one delivery.
#[derive(Debug, Clone, Default)]
pub struct DeliveryPlan {
    pub actions: Vec<Action>,
    /// Set when the body as a whole could not be used.
    pub failed: Option<String>,
}

/// Turns a stored delivery into its plan (pure; runs inside the processing transaction).
pub type Planner = fn(&DeliveryRow) -> DeliveryPlan;

/// Counts of what a processing run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ProcessReport {
    pub deliveries: u64,
    pub failed_deliveries: u64,
    pub messages: u64,
    pub duplicates: u64,
    pub edits: u64,
    pub deletes: u64,
    pub parked: u64,
    pub unparked: u64,
    pub confirmed: u64,
    pub sent_outside: u64,
    pub skipped: u64,
    /// Conversations created or changed, by workspace.
    #[serde(skip)]
    pub touched: Vec<(i64, i64)>,
}

/// One row of the completeness ledger.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct LedgerRow {
    pub workspace_id: i64,
    pub account_id: i64,
    pub source: String,
    pub last_item_id: Option<String>,
    pub last_item_at: Option<i64>,
    pub last_arrival_at: Option<i64>,
    pub deliveries: i64,
    pub items: i64,
    pub lag_count: i64,
    pub lag_sum_ms: i64,
    pub lag_max_ms: i64,
    pub normal_gap_ms: Option<i64>,
    pub failed_signatures: i64,
    pub gaps_found: i64,
    pub gaps_filled: i64,
    pub cursor: Option<String>,
    pub last_reconciled_at: Option<i64>,
    pub quiet_alerted_at: Option<i64>,
}

/// Delivery counts of one account, for its page.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct DeliveryStats {
    pub pending: i64,
    pub done: i64,
    pub failed: i64,
    pub last_received_at: Option<i64>,
}

/// What one reconciliation poll found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReconcileReport {
    /// Items the poll returned.
    pub polled: u64,
    /// Of those, items the desk did not have (gaps).
    pub gaps_found: u64,
    /// Gaps stored now.
    pub gaps_filled: u64,
    /// The cursor stored after the poll.
    pub cursor: Option<String>,
}

/// Storage of connected accounts, deliveries and the ledger.
#[async_trait]
pub trait ChannelStore: Send + Sync {
    /// Connects an account (creating it if needed) or replaces its credentials.
    async fn connect_account(
        &self,
        ws: WorkspaceId,
        c: &NewConnection,
        actor: &Actor,
    ) -> StoreResult<ConnectionRow>;

    /// The connection of an account, found by account id alone: the webhook entry point,
    /// where the workspace comes from this row.
    async fn connection_for_hook(&self, account_id: i64) -> StoreResult<Option<ConnectionRow>>;

    /// The workspace's connected accounts.
    async fn connections(&self, ws: WorkspaceId) -> StoreResult<Vec<ConnectionRow>>;

    /// Writes a group of deliveries in one transaction; when this returns they are durable.
    async fn accept_deliveries(&self, batch: &[NewDelivery]) -> StoreResult<()>;

    /// Counts a refused signature in the ledger and the audit log.
    async fn record_refused_signature(
        &self,
        ws: WorkspaceId,
        account_id: i64,
        reason: &str,
    ) -> StoreResult<()>;

    /// Claims up to `limit` pending deliveries, applies what `plan` makes of each and marks
    /// them done, all in one transaction: a crash leaves them pending, never half applied.
    async fn process_pending(&self, limit: i64, plan: Planner) -> StoreResult<ProcessReport>;

    /// Applies items a poll returned for one account and source, counting the ones the desk
    /// did not have as gaps found and filled, and stores the cursor.
    async fn apply_polled(
        &self,
        ws: WorkspaceId,
        account_id: i64,
        source: &str,
        actions: &[Action],
        cursor: Option<&str>,
    ) -> StoreResult<ReconcileReport>;

    /// The workspace's ledger rows.
    async fn ledger(&self, ws: WorkspaceId) -> StoreResult<Vec<LedgerRow>>;

    /// Conversations of an account still untriaged (status `new`).
    async fn untriaged(&self, ws: WorkspaceId, account_id: i64) -> StoreResult<i64>;

    /// Delivery counts of an account.
    async fn delivery_stats(&self, ws: WorkspaceId, account_id: i64) -> StoreResult<DeliveryStats>;

    /// Pending deliveries across all workspaces (for the worker and tests).
    async fn pending_deliveries(&self) -> StoreResult<i64>;

    /// Messages of a workspace with this channel and platform id (zero or one; more would
    /// be a doubled item), for checks.
    async fn messages_by_platform_id(
        &self,
        ws: WorkspaceId,
        channel: &str,
        platform_id: &str,
    ) -> StoreResult<Vec<crate::storage::MessageRow>>;

    /// Deliveries of an account in arrival order: id, state and processing outcome.
    async fn deliveries(
        &self,
        ws: WorkspaceId,
        account_id: i64,
    ) -> StoreResult<Vec<(i64, String, Option<String>)>>;

    /// Marks a source as alerted quiet, with its audit event; false if already alerted.
    async fn mark_quiet(
        &self,
        ws: WorkspaceId,
        account_id: i64,
        source: &str,
        quiet_for_ms: i64,
    ) -> StoreResult<bool>;
}

macro_rules! channels_sql {
    ($store:ty) => {
        mod channels_impl {
            use std::collections::HashMap;

            use async_trait::async_trait;

            use super::*;
            use crate::storage::channels::*;

            const CHAN_PLATFORM: Actor = Actor::System("platform");

            fn chan_lock_clause() -> &'static str {
                if <$store>::BACKEND == "postgres" {
                    " FOR UPDATE OF d SKIP LOCKED"
                } else {
                    ""
                }
            }

            const CONNECTION_SELECT: &str = "SELECT c.account_id, c.workspace_id, a.channel, \
                a.handle, c.platform_user_id, c.app_id, c.base_url, c.sealed_credentials, \
                c.credential_masks, c.created_at, c.updated_at \
                FROM account_connections c JOIN accounts a ON a.id = c.account_id";

            /// Per-account ledger figures gathered over one processing run.
            #[derive(Default)]
            struct LedgerDelta {
                deliveries: i64,
                items: i64,
                last_item: Option<(i64, String)>,
                last_arrival: i64,
                lag_count: i64,
                lag_sum: i64,
                lag_max: i64,
            }

            impl LedgerDelta {
                fn item(&mut self, platform_id: &str, platform_time: i64, arrival: i64) {
                    self.items += 1;
                    let lag = (arrival - platform_time).max(0);
                    self.lag_count += 1;
                    self.lag_sum += lag;
                    self.lag_max = self.lag_max.max(lag);
                    if self.last_item.as_ref().is_none_or(|(t, _)| platform_time >= *t) {
                        self.last_item = Some((platform_time, platform_id.to_owned()));
                    }
                }
            }

            /// Everything one run changes in one workspace.
            #[derive(Default)]
            struct WsRun {
                cache: BatchCache,
                report: ProcessReport,
            }

            async fn chan_message(
                conn: &mut Conn,
                ws: WorkspaceId,
                channel: &str,
                platform_id: &str,
            ) -> StoreResult<Option<(i64, i64, String, String, Option<i64>)>> {
                Ok(sqlx::query_as(
                    "SELECT id, conversation_id, text, direction, deleted_at FROM messages \
                     WHERE workspace_id = $1 AND channel = $2 AND platform_id = $3",
                )
                .bind(ws.0)
                .bind(channel)
                .bind(platform_id)
                .fetch_optional(&mut *conn)
                .await?)
            }

            async fn chan_park(
                conn: &mut Conn,
                ws: WorkspaceId,
                channel: &str,
                platform_id: &str,
                action: &Action,
            ) -> StoreResult<()> {
                let (kind, event) = match action {
                    Action::Edit { text, at, .. } => {
                        ("edit", serde_json::json!({ "text": text, "at": at }))
                    }
                    Action::Delete { at, reason, .. } => {
                        ("delete", serde_json::json!({ "at": at, "reason": reason }))
                    }
                    _ => return Ok(()),
                };
                sqlx::query(
                    "INSERT INTO parked_events (workspace_id, channel, platform_id, kind, event, \
                     created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(ws.0)
                .bind(channel)
                .bind(platform_id)
                .bind(kind)
                .bind(event.to_string())
                .bind(now_millis())
                .execute(&mut *conn)
                .await?;
                Ok(())
            }

            /// Applies an edit; parks it when the item is not here yet.
            async fn chan_edit(
                conn: &mut Conn,
                ws: WorkspaceId,
                run: &mut WsRun,
                channel: &str,
                action: &Action,
            ) -> StoreResult<()> {
                let Action::Edit { platform_id, text, at } = action else {
                    return Ok(());
                };
                let Some((id, conv, current, _, _)) =
                    chan_message(conn, ws, channel, platform_id).await?
                else {
                    chan_park(conn, ws, channel, platform_id, action).await?;
                    run.report.parked += 1;
                    return Ok(());
                };
                if current == *text {
                    return Ok(());
                }
                let next: (i64,) = sqlx::query_as(
                    "SELECT COALESCE(MAX(version), 0) + 1 FROM message_versions \
                     WHERE workspace_id = $1 AND message_id = $2",
                )
                .bind(ws.0)
                .bind(id)
                .fetch_one(&mut *conn)
                .await?;
                insert_version(conn, ws, id, next.0, text, *at).await?;
                sqlx::query("UPDATE messages SET text = $3 WHERE workspace_id = $1 AND id = $2")
                    .bind(ws.0)
                    .bind(id)
                    .bind(text)
                    .execute(&mut *conn)
                    .await?;
                let ev = event(
                    &CHAN_PLATFORM,
                    "message.edited",
                    format!("message:{id}"),
                    None,
                    Some(serde_json::json!({
                        "version": next.0,
                        "edited_at": at,
                        "text_sha256": crate::audit::chain::content_hash(text),
                    })),
                );
                append_audit_in(conn, ws, &ev).await?;
                run.cache.touched.insert(conv);
                run.report.edits += 1;
                Ok(())
            }

            /// Marks an item deleted on the platform, keeping its text; parks it when the
            /// item is not here yet.
            async fn chan_delete(
                conn: &mut Conn,
                ws: WorkspaceId,
                run: &mut WsRun,
                channel: &str,
                action: &Action,
            ) -> StoreResult<()> {
                let Action::Delete { platform_id, at, reason } = action else {
                    return Ok(());
                };
                let Some((id, conv, _, _, deleted_at)) =
                    chan_message(conn, ws, channel, platform_id).await?
                else {
                    chan_park(conn, ws, channel, platform_id, action).await?;
                    run.report.parked += 1;
                    return Ok(());
                };
                if deleted_at.is_some() {
                    return Ok(());
                }
                sqlx::query(
                    "UPDATE messages SET deleted_at = $3 WHERE workspace_id = $1 AND id = $2",
                )
                .bind(ws.0)
                .bind(id)
                .bind(*at)
                .execute(&mut *conn)
                .await?;
                let ev = event(
                    &CHAN_PLATFORM,
                    "message.deleted_on_platform",
                    format!("message:{id}"),
                    Some(serde_json::json!({ "deleted_at": null })),
                    Some(serde_json::json!({ "deleted_at": at, "reason": reason })),
                );
                append_audit_in(conn, ws, &ev).await?;
                run.cache.touched.insert(conv);
                run.report.deletes += 1;
                Ok(())
            }

            /// Applies edits and deletions that waited for this item, in arrival order.
            async fn chan_unpark(
                conn: &mut Conn,
                ws: WorkspaceId,
                run: &mut WsRun,
                channel: &str,
                platform_id: &str,
            ) -> StoreResult<()> {
                let parked: Vec<(i64, String, String)> = sqlx::query_as(
                    "SELECT id, kind, event FROM parked_events WHERE workspace_id = $1 \
                     AND channel = $2 AND platform_id = $3 ORDER BY id",
                )
                .bind(ws.0)
                .bind(channel)
                .bind(platform_id)
                .fetch_all(&mut *conn)
                .await?;
                for (id, kind, raw) in parked {
                    let v: serde_json::Value = serde_json::from_str(&raw).unwrap_or_default();
                    let at = v["at"].as_i64().unwrap_or_else(now_millis);
                    let action = if kind == "edit" {
                        Action::Edit {
                            platform_id: platform_id.to_owned(),
                            text: v["text"].as_str().unwrap_or_default().to_owned(),
                            at,
                        }
                    } else {
                        Action::Delete {
                            platform_id: platform_id.to_owned(),
                            at,
                            reason: v["reason"].as_str().unwrap_or("by_author").to_owned(),
                        }
                    };
                    if kind == "edit" {
                        chan_edit(conn, ws, run, channel, &action).await?;
                    } else {
                        chan_delete(conn, ws, run, channel, &action).await?;
                    }
                    sqlx::query("DELETE FROM parked_events WHERE id = $1")
                        .bind(id)
                        .execute(&mut *conn)
                        .await?;
                    run.report.unparked += 1;
                }
                Ok(())
            }

            /// Stores a new item once; true when it was new.
            async fn chan_ingest(
                conn: &mut Conn,
                ws: WorkspaceId,
                run: &mut WsRun,
                m: &IncomingMessage,
            ) -> StoreResult<Option<i64>> {
                let stored = ingest_one(conn, ws, &mut run.cache, m).await?;
                match stored {
                    Some(_) => {
                        run.report.messages += 1;
                        chan_unpark(conn, ws, run, m.channel.as_str(), &m.platform_id).await?;
                    }
                    None => run.report.duplicates += 1,
                }
                Ok(stored)
            }

            /// Our echo confirms our outbound message; a brand message typed elsewhere is
            /// stored once, marked as sent outside Hearken.
            async fn chan_echo(
                conn: &mut Conn,
                ws: WorkspaceId,
                run: &mut WsRun,
                m: &IncomingMessage,
                ours: bool,
            ) -> StoreResult<()> {
                let channel = m.channel.as_str();
                if let Some((id, _, _, direction, _)) =
                    chan_message(conn, ws, channel, &m.platform_id).await?
                {
                    if direction == "out" {
                        let done = sqlx::query(
                            "UPDATE messages SET delivery = 'confirmed' WHERE workspace_id = $1 \
                             AND id = $2 AND delivery = 'sent'",
                        )
                        .bind(ws.0)
                        .bind(id)
                        .execute(&mut *conn)
                        .await?;
                        if done.rows_affected() > 0 {
                            run.report.confirmed += 1;
                        }
                    }
                    run.report.duplicates += 1;
                    return Ok(());
                }
                let Some(id) = ingest_one(conn, ws, &mut run.cache, m).await? else {
                    return Ok(());
                };
                // TODO(#6): an echo naming our app that arrives before the send is recorded
                // is stored as confirmed; the send then finds the platform id taken.
                let delivery = if ours { "confirmed" } else { "sent_outside" };
                sqlx::query("UPDATE messages SET delivery = $3 WHERE workspace_id = $1 AND id = $2")
                    .bind(ws.0)
                    .bind(id)
                    .bind(delivery)
                    .execute(&mut *conn)
                    .await?;
                if ours {
                    run.report.confirmed += 1;
                } else {
                    run.report.sent_outside += 1;
                }
                chan_unpark(conn, ws, run, channel, &m.platform_id).await?;
                Ok(())
            }

            async fn chan_apply(
                conn: &mut Conn,
                ws: WorkspaceId,
                run: &mut WsRun,
                channel: &str,
                action: &Action,
                delta: &mut LedgerDelta,
                arrival: i64,
            ) -> StoreResult<bool> {
                match action {
                    Action::Ingest { message: m, followers } => {
                        delta.item(&m.platform_id, m.platform_time, arrival);
                        let stored = chan_ingest(conn, ws, run, m).await?.is_some();
                        if let (Some(n), Some(who)) = (followers, &m.customer) {
                            // After the item, so a new customer's identity exists (#4).
                            note_followers_in(
                                conn,
                                ws,
                                m.channel.as_str(),
                                &who.platform_user_id,
                                *n,
                                m.platform_time,
                            )
                            .await?;
                        }
                        return Ok(stored);
                    }
                    Action::Echo { message, ours } => {
                        delta.item(&message.platform_id, message.platform_time, arrival);
                        chan_echo(conn, ws, run, message, *ours).await?;
                    }
                    Action::Edit { .. } => chan_edit(conn, ws, run, channel, action).await?,
                    Action::Delete { .. } => chan_delete(conn, ws, run, channel, action).await?,
                    Action::Skip(_) => run.report.skipped += 1,
                }
                Ok(false)
            }

            async fn chan_ledger_add(
                conn: &mut Conn,
                ws: i64,
                account_id: i64,
                source: &str,
                d: &LedgerDelta,
            ) -> StoreResult<()> {
                let (last_at, last_id) = match &d.last_item {
                    Some((t, id)) => (Some(*t), Some(id.clone())),
                    None => (None, None),
                };
                sqlx::query(
                    "INSERT INTO ingest_ledger (workspace_id, account_id, source, last_item_id, \
                     last_item_at, last_arrival_at, deliveries, items, lag_count, lag_sum_ms, \
                     lag_max_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                     ON CONFLICT (account_id, source) DO UPDATE SET \
                     last_item_id = CASE WHEN excluded.last_item_at IS NOT NULL AND \
                        (ingest_ledger.last_item_at IS NULL OR excluded.last_item_at >= ingest_ledger.last_item_at) \
                        THEN excluded.last_item_id ELSE ingest_ledger.last_item_id END, \
                     last_item_at = CASE WHEN excluded.last_item_at IS NOT NULL AND \
                        (ingest_ledger.last_item_at IS NULL OR excluded.last_item_at >= ingest_ledger.last_item_at) \
                        THEN excluded.last_item_at ELSE ingest_ledger.last_item_at END, \
                     normal_gap_ms = CASE WHEN ingest_ledger.last_arrival_at IS NULL THEN NULL \
                        WHEN ingest_ledger.normal_gap_ms IS NULL \
                        THEN excluded.last_arrival_at - ingest_ledger.last_arrival_at \
                        ELSE (ingest_ledger.normal_gap_ms * 7 + excluded.last_arrival_at - ingest_ledger.last_arrival_at) / 8 END, \
                     last_arrival_at = excluded.last_arrival_at, \
                     deliveries = ingest_ledger.deliveries + excluded.deliveries, \
                     items = ingest_ledger.items + excluded.items, \
                     lag_count = ingest_ledger.lag_count + excluded.lag_count, \
                     lag_sum_ms = ingest_ledger.lag_sum_ms + excluded.lag_sum_ms, \
                     lag_max_ms = CASE WHEN excluded.lag_max_ms > ingest_ledger.lag_max_ms \
                        THEN excluded.lag_max_ms ELSE ingest_ledger.lag_max_ms END, \
                     quiet_alerted_at = NULL",
                )
                .bind(ws)
                .bind(account_id)
                .bind(source)
                .bind(last_id)
                .bind(last_at)
                .bind(d.last_arrival)
                .bind(d.deliveries)
                .bind(d.items)
                .bind(d.lag_count)
                .bind(d.lag_sum)
                .bind(d.lag_max)
                .execute(&mut *conn)
                .await?;
                Ok(())
            }

            async fn chan_finish_ws(conn: &mut Conn, ws: i64, run: &mut WsRun) -> StoreResult<()> {
                let wsid = WorkspaceId(ws);
                let touched: Vec<i64> = run.cache.touched.iter().copied().collect();
                recompute_many(conn, &touched).await?;
                sla_refresh_many_in(conn, wsid, &touched, true).await?; // SLA hook (#3)
                run.report.touched.extend(touched.into_iter().map(|id| (ws, id)));
                if run.report.messages > 0 || run.report.sent_outside > 0 {
                    let r = &run.report;
                    let ev = event(
                        &Actor::System("webhook"),
                        "messages.ingested",
                        format!("workspace:{ws}"),
                        None,
                        Some(serde_json::json!({
                            "imported": r.messages + r.sent_outside,
                            "duplicates": r.duplicates,
                            "confirmed": r.confirmed,
                            "sent_outside": r.sent_outside,
                        })),
                    );
                    append_audit_in(conn, wsid, &ev).await?;
                }
                Ok(())
            }

            fn merge(into: &mut ProcessReport, r: ProcessReport) {
                into.deliveries += r.deliveries;
                into.failed_deliveries += r.failed_deliveries;
                into.messages += r.messages;
                into.duplicates += r.duplicates;
                into.edits += r.edits;
                into.deletes += r.deletes;
                into.parked += r.parked;
                into.unparked += r.unparked;
                into.confirmed += r.confirmed;
                into.sent_outside += r.sent_outside;
                into.skipped += r.skipped;
                into.touched.extend(r.touched);
            }

            #[async_trait]
            impl ChannelStore for $store {
                async fn connect_account(
                    &self,
                    ws: WorkspaceId,
                    c: &NewConnection,
                    actor: &Actor,
                ) -> StoreResult<ConnectionRow> {
                    let mut tx = self.writer().begin().await?;
                    let account = account_id_in(&mut tx, ws, &c.channel, &c.handle).await?;
                    let now = now_millis();
                    sqlx::query(
                        "INSERT INTO account_connections (account_id, workspace_id, \
                         platform_user_id, app_id, base_url, sealed_credentials, \
                         credential_masks, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
                         ON CONFLICT (account_id) DO UPDATE SET \
                         platform_user_id = excluded.platform_user_id, app_id = excluded.app_id, \
                         base_url = excluded.base_url, \
                         sealed_credentials = excluded.sealed_credentials, \
                         credential_masks = excluded.credential_masks, updated_at = excluded.updated_at",
                    )
                    .bind(account.id)
                    .bind(ws.0)
                    .bind(&c.platform_user_id)
                    .bind(&c.app_id)
                    .bind(&c.base_url)
                    .bind(&c.sealed_credentials)
                    .bind(&c.credential_masks)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    let masks: serde_json::Value =
                        serde_json::from_str(&c.credential_masks).unwrap_or_default();
                    let ev = event(
                        actor,
                        "account.connected",
                        format!("account:{}", account.id),
                        None,
                        Some(serde_json::json!({
                            "channel": c.channel,
                            "platform_user_id": c.platform_user_id,
                            "app_id": c.app_id,
                            "credentials": masks,
                        })),
                    );
                    append_audit_in(&mut tx, ws, &ev).await?;
                    let q = format!("{CONNECTION_SELECT} WHERE c.workspace_id = $1 AND c.account_id = $2");
                    let row = sqlx::query_as::<_, ConnectionRow>(&q)
                        .bind(ws.0)
                        .bind(account.id)
                        .fetch_one(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok(row)
                }

                async fn connection_for_hook(
                    &self,
                    account_id: i64,
                ) -> StoreResult<Option<ConnectionRow>> {
                    let q = format!("{CONNECTION_SELECT} WHERE c.account_id = $1");
                    Ok(sqlx::query_as(&q).bind(account_id).fetch_optional(self.reader()).await?)
                }

                async fn connections(&self, ws: WorkspaceId) -> StoreResult<Vec<ConnectionRow>> {
                    let q = format!("{CONNECTION_SELECT} WHERE c.workspace_id = $1 ORDER BY c.account_id");
                    Ok(sqlx::query_as(&q).bind(ws.0).fetch_all(self.reader()).await?)
                }

                async fn accept_deliveries(&self, batch: &[NewDelivery]) -> StoreResult<()> {
                    let mut tx = self.writer().begin().await?;
                    for chunk in batch.chunks(500) {
                        let mut q = String::from(
                            "INSERT INTO webhook_deliveries (workspace_id, account_id, channel, \
                             body, headers, received_at) VALUES ",
                        );
                        for n in 0..chunk.len() {
                            let b = n * 6;
                            if n > 0 {
                                q.push_str(", ");
                            }
                            q.push_str(&format!(
                                "(${}, ${}, ${}, ${}, ${}, ${})",
                                b + 1, b + 2, b + 3, b + 4, b + 5, b + 6
                            ));
                        }
                        let mut query = sqlx::query(&q);
                        for d in chunk {
                            query = query
                                .bind(d.workspace_id)
                                .bind(d.account_id)
                                .bind(&d.channel)
                                .bind(&d.body)
                                .bind(&d.headers)
                                .bind(d.received_at);
                        }
                        query.execute(&mut *tx).await?;
                    }
                    tx.commit().await?;
                    Ok(())
                }

                async fn record_refused_signature(
                    &self,
                    ws: WorkspaceId,
                    account_id: i64,
                    reason: &str,
                ) -> StoreResult<()> {
                    let mut tx = self.writer().begin().await?;
                    sqlx::query(
                        "INSERT INTO ingest_ledger (workspace_id, account_id, source, failed_signatures) \
                         VALUES ($1, $2, 'webhook', 1) ON CONFLICT (account_id, source) \
                         DO UPDATE SET failed_signatures = ingest_ledger.failed_signatures + 1",
                    )
                    .bind(ws.0)
                    .bind(account_id)
                    .execute(&mut *tx)
                    .await?;
                    let ev = event(
                        &Actor::System("webhook"),
                        "webhook.signature_refused",
                        format!("account:{account_id}"),
                        None,
                        Some(serde_json::json!({ "reason": reason })),
                    );
                    append_audit_in(&mut tx, ws, &ev).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn process_pending(
                    &self,
                    limit: i64,
                    plan: Planner,
                ) -> StoreResult<ProcessReport> {
                    let mut tx = self.writer().begin().await?;
                    let q = format!(
                        "SELECT d.id, d.workspace_id, d.account_id, d.channel, a.handle, \
                         c.platform_user_id, c.app_id, d.body, d.headers, d.received_at \
                         FROM webhook_deliveries d JOIN accounts a ON a.id = d.account_id \
                         JOIN account_connections c ON c.account_id = d.account_id \
                         WHERE d.state = 'pending' ORDER BY d.id LIMIT $1{}",
                        chan_lock_clause()
                    );
                    let rows: Vec<DeliveryRow> =
                        sqlx::query_as(&q).bind(limit).fetch_all(&mut *tx).await?;
                    let mut runs: HashMap<i64, WsRun> = HashMap::new();
                    let mut deltas: HashMap<(i64, i64), LedgerDelta> = HashMap::new();
                    let mut report = ProcessReport::default();
                    for d in &rows {
                        let p = plan(d);
                        let ws = WorkspaceId(d.workspace_id);
                        let run = runs.entry(d.workspace_id).or_default();
                        let delta = deltas.entry((d.workspace_id, d.account_id)).or_default();
                        delta.deliveries += 1;
                        delta.last_arrival = delta.last_arrival.max(d.received_at);
                        for action in &p.actions {
                            chan_apply(&mut tx, ws, run, &d.channel, action, delta, d.received_at)
                                .await?;
                        }
                        let state = if p.failed.is_some() { "failed" } else { "done" };
                        if p.failed.is_some() {
                            report.failed_deliveries += 1;
                        }
                        let outcome = serde_json::json!({
                            "actions": p.actions.len(),
                            "error": p.failed,
                            "skipped": p.actions.iter().filter_map(|a| match a {
                                Action::Skip(r) => Some(r.as_str()),
                                _ => None,
                            }).collect::<Vec<_>>(),
                        });
                        sqlx::query(
                            "UPDATE webhook_deliveries SET state = $2, processed_at = $3, \
                             outcome = $4 WHERE id = $1",
                        )
                        .bind(d.id)
                        .bind(state)
                        .bind(now_millis())
                        .bind(outcome.to_string())
                        .execute(&mut *tx)
                        .await?;
                        report.deliveries += 1;
                    }
                    for ((ws, account), delta) in &deltas {
                        chan_ledger_add(&mut tx, *ws, *account, "webhook", delta).await?;
                    }
                    let mut ids: Vec<i64> = runs.keys().copied().collect();
                    ids.sort_unstable();
                    for ws in ids {
                        let mut run = runs.remove(&ws).unwrap_or_default();
                        chan_finish_ws(&mut tx, ws, &mut run).await?;
                        merge(&mut report, run.report);
                    }
                    tx.commit().await?;
                    Ok(report)
                }

                async fn apply_polled(
                    &self,
                    ws: WorkspaceId,
                    account_id: i64,
                    source: &str,
                    actions: &[Action],
                    cursor: Option<&str>,
                ) -> StoreResult<ReconcileReport> {
                    let mut tx = self.writer().begin().await?;
                    let mut run = WsRun::default();
                    let mut delta = LedgerDelta::default();
                    let now = now_millis();
                    delta.last_arrival = now;
                    let mut out = ReconcileReport {
                        cursor: cursor.map(str::to_owned),
                        ..ReconcileReport::default()
                    };
                    for action in actions {
                        if matches!(action, Action::Ingest { .. } | Action::Echo { .. }) {
                            out.polled += 1;
                        }
                        let channel = match action {
                            Action::Ingest { message: m, .. } | Action::Echo { message: m, .. } => {
                                m.channel.as_str()
                            }
                            _ => "mastodon",
                        };
                        if chan_apply(&mut tx, ws, &mut run, channel, action, &mut delta, now).await? {
                            out.gaps_found += 1;
                            out.gaps_filled += 1;
                        }
                    }
                    chan_ledger_add(&mut tx, ws.0, account_id, source, &delta).await?;
                    sqlx::query(
                        "UPDATE ingest_ledger SET cursor = COALESCE($3, cursor), \
                         gaps_found = gaps_found + $4, gaps_filled = gaps_filled + $5, \
                         last_reconciled_at = $6 WHERE account_id = $1 AND source = $2 \
                         AND workspace_id = $7",
                    )
                    .bind(account_id)
                    .bind(source)
                    .bind(cursor)
                    .bind(out.gaps_found as i64)
                    .bind(out.gaps_filled as i64)
                    .bind(now)
                    .bind(ws.0)
                    .execute(&mut *tx)
                    .await?;
                    chan_finish_ws(&mut tx, ws.0, &mut run).await?;
                    if out.gaps_found > 0 {
                        let ev = event(
                            &Actor::System("reconcile"),
                            "source.gaps_filled",
                            format!("account:{account_id}"),
                            None,
                            Some(serde_json::json!({
                                "source": source,
                                "gaps_found": out.gaps_found,
                                "gaps_filled": out.gaps_filled,
                            })),
                        );
                        append_audit_in(&mut tx, ws, &ev).await?;
                    }
                    tx.commit().await?;
                    Ok(out)
                }

                async fn ledger(&self, ws: WorkspaceId) -> StoreResult<Vec<LedgerRow>> {
                    Ok(sqlx::query_as(
                        "SELECT * FROM ingest_ledger WHERE workspace_id = $1 \
                         ORDER BY account_id, source",
                    )
                    .bind(ws.0)
                    .fetch_all(self.reader())
                    .await?)
                }

                async fn untriaged(&self, ws: WorkspaceId, account_id: i64) -> StoreResult<i64> {
                    let n: (i64,) = sqlx::query_as(
                        "SELECT COUNT(*) FROM conversations WHERE workspace_id = $1 \
                         AND account_id = $2 AND status = 'new'",
                    )
                    .bind(ws.0)
                    .bind(account_id)
                    .fetch_one(self.reader())
                    .await?;
                    Ok(n.0)
                }

                async fn delivery_stats(
                    &self,
                    ws: WorkspaceId,
                    account_id: i64,
                ) -> StoreResult<DeliveryStats> {
                    let rows: Vec<(String, i64, Option<i64>)> = sqlx::query_as(
                        "SELECT state, COUNT(*), MAX(received_at) FROM webhook_deliveries \
                         WHERE workspace_id = $1 AND account_id = $2 GROUP BY state",
                    )
                    .bind(ws.0)
                    .bind(account_id)
                    .fetch_all(self.reader())
                    .await?;
                    let mut s = DeliveryStats::default();
                    for (state, n, last) in rows {
                        match state.as_str() {
                            "pending" => s.pending = n,
                            "done" => s.done = n,
                            _ => s.failed += n,
                        }
                        s.last_received_at = s.last_received_at.max(last);
                    }
                    Ok(s)
                }

                async fn pending_deliveries(&self) -> StoreResult<i64> {
                    let n: (i64,) = sqlx::query_as(
                        "SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'pending'",
                    )
                    .fetch_one(self.reader())
                    .await?;
                    Ok(n.0)
                }

                async fn messages_by_platform_id(
                    &self,
                    ws: WorkspaceId,
                    channel: &str,
                    platform_id: &str,
                ) -> StoreResult<Vec<MessageRow>> {
                    let q = format!(
                        "{} WHERE m.workspace_id = $1 AND m.channel = $2 AND m.platform_id = $3",
                        sql::MESSAGE_SELECT
                    );
                    Ok(sqlx::query_as(&q)
                        .bind(ws.0)
                        .bind(channel)
                        .bind(platform_id)
                        .fetch_all(self.reader())
                        .await?)
                }

                async fn deliveries(
                    &self,
                    ws: WorkspaceId,
                    account_id: i64,
                ) -> StoreResult<Vec<(i64, String, Option<String>)>> {
                    Ok(sqlx::query_as(
                        "SELECT id, state, outcome FROM webhook_deliveries                          WHERE workspace_id = $1 AND account_id = $2 ORDER BY id",
                    )
                    .bind(ws.0)
                    .bind(account_id)
                    .fetch_all(self.reader())
                    .await?)
                }

                async fn mark_quiet(
                    &self,
                    ws: WorkspaceId,
                    account_id: i64,
                    source: &str,
                    quiet_for_ms: i64,
                ) -> StoreResult<bool> {
                    let mut tx = self.writer().begin().await?;
                    let done = sqlx::query(
                        "UPDATE ingest_ledger SET quiet_alerted_at = $4 WHERE workspace_id = $1 \
                         AND account_id = $2 AND source = $3 AND quiet_alerted_at IS NULL",
                    )
                    .bind(ws.0)
                    .bind(account_id)
                    .bind(source)
                    .bind(now_millis())
                    .execute(&mut *tx)
                    .await?;
                    let fresh = done.rows_affected() > 0;
                    if fresh {
                        let ev = event(
                            &Actor::System("monitor"),
                            "source.quiet",
                            format!("account:{account_id}"),
                            None,
                            Some(serde_json::json!({ "source": source, "quiet_for_ms": quiet_for_ms })),
                        );
                        append_audit_in(&mut tx, ws, &ev).await?;
                    }
                    tx.commit().await?;
                    Ok(fresh)
                }
            }
        }
    };
}

pub(crate) use channels_sql;
