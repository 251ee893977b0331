//! SQL shared by the SQLite and PostgreSQL backends.
//!
//! Both dialects accept `$n` placeholders, `RETURNING`, `ON CONFLICT` and row-value
//! comparison, so one text serves both; `Dialect` carries what differs. The `sql_store!`
//! macro instantiates the `Store` implementation for one backend's pool and connection
//! types, so every query is written once and runs (and is tested) on both databases.

/// What differs between the SQL dialects.
pub(crate) struct Dialect {
    /// Substring position function: `instr` (SQLite) or `strpos` (PostgreSQL).
    pub position_fn: &'static str,
    /// The statement that refreshes the planner's statistics of the tables an import
    /// grows, or `None` where the plans do not depend on them.
    pub analyze: Option<&'static str>,
    /// Whether a sliced SLA report reads each rollup row packed into one text value: on
    /// SQLite the cost is per value handed over by its worker thread, while PostgreSQL
    /// pays more for the concatenation than it saves.
    pub pack_rollups: bool,
    /// The statement that keeps other writers off the SLA tables while a full rebuild runs,
    /// where one writer does not already guarantee it.
    pub lock_sla: Option<&'static str>,
}

/// An identity's current handle, display name, and the platform time that set them.
pub(crate) type IdentityName = (String, Option<String>, Option<i64>);

/// The handle an erased identity keeps.
pub(crate) const ERASED_HANDLE: &str = "(erased)";

/// The tables an import grows, for `Dialect::analyze`.
pub(crate) const ANALYZE_PG: &str = "ANALYZE messages, message_versions, conversations, \
    conversation_tags, contacts, identities, accounts, sla_conversations, sla_clocks, sla_rollups";

/// A value bound to a dynamically built query.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Int(i64),
    Text(String),
}

/// Builds a WHERE clause with numbered placeholders and the values to bind.
#[derive(Default)]
pub(crate) struct Clauses {
    pub sql: Vec<String>,
    pub args: Vec<Arg>,
}

impl Clauses {
    /// Adds a condition whose single `?` becomes the next placeholder.
    pub fn push(&mut self, cond: &str, arg: Arg) {
        self.args.push(arg);
        let n = self.args.len();
        self.sql.push(cond.replace('?', &format!("${n}")));
    }

    /// Adds a condition with two placeholders bound to the given values, in order.
    pub fn push2(&mut self, cond: &str, a: Arg, b: Arg) {
        self.args.push(a);
        let first = self.args.len();
        self.args.push(b);
        let with_first = cond.replacen('?', &format!("${first}"), 1);
        self.sql
            .push(with_first.replacen('?', &format!("${}", first + 1), 1));
    }

    /// Adds a condition without parameters.
    pub fn push_plain(&mut self, cond: &str) {
        self.sql.push(cond.to_owned());
    }

    /// The next placeholder number, for LIMIT and friends.
    pub fn next_placeholder(&self) -> usize {
        self.args.len() + 1
    }

    /// `a AND b AND …`.
    pub fn joined(&self) -> String {
        self.sql.join(" AND ")
    }
}

pub(crate) const CONVERSATION_SELECT: &str = "SELECT c.id, c.workspace_id, c.conv_key, \
    c.account_id, a.handle AS account_handle, c.channel, c.visibility, c.identity_id, \
    i.handle AS customer_handle, c.contact_id, c.status, c.priority, c.assignee_id, c.team_id, \
    c.preview, c.message_count, c.first_message_at, c.activity_at, c.waiting_since, \
    c.resolved_at, c.locale \
    FROM conversations c JOIN accounts a ON a.id = c.account_id \
    LEFT JOIN identities i ON i.id = c.identity_id";

pub(crate) const MESSAGE_SELECT: &str = "SELECT m.id, m.workspace_id, m.conversation_id, \
    m.account_id, m.channel, m.platform_id, m.direction, m.visibility, m.reply_to, \
    m.identity_id, i.handle AS identity_handle, m.author_user_id, m.text, m.platform_time, \
    m.received_at, m.delivery, m.deleted_at, \
    (SELECT COUNT(*) FROM message_versions v WHERE v.message_id = m.id) AS version_count \
    FROM messages m LEFT JOIN identities i ON i.id = m.identity_id";

pub(crate) const EXPORT_SELECT: &str = "SELECT m.id, c.conv_key, c.status AS conv_status, \
    c.priority AS conv_priority, a.handle AS account_handle, m.channel, m.platform_id, \
    m.direction, m.visibility, m.reply_to, i.platform_user_id AS author_platform_user_id, \
    i.handle AS author_handle, i.display_name AS author_display_name, m.text, \
    m.platform_time, m.deleted_at, m.conversation_id, \
    (SELECT COUNT(*) FROM message_versions v WHERE v.message_id = m.id) AS version_count \
    FROM messages m JOIN conversations c ON c.id = m.conversation_id \
    JOIN accounts a ON a.id = m.account_id LEFT JOIN identities i ON i.id = m.identity_id \
    WHERE m.workspace_id = $1 AND m.id > $2 ORDER BY m.id LIMIT $3";

/// SQL recomputing conversations' derived fields from their messages. `conv` is how the
/// subqueries name the conversation (`$1`, or `conversations.id` for many at once), `now`
/// the placeholder of the current time, `filter` the WHERE condition.
pub(crate) fn recompute_sql(conv: &str, now: &str, filter: &str) -> String {
    format!(
        "UPDATE conversations SET \
         message_count = (SELECT COUNT(*) FROM messages WHERE conversation_id = {conv}), \
         first_message_at = COALESCE((SELECT MIN(platform_time) FROM messages \
             WHERE conversation_id = {conv}), first_message_at), \
         activity_at = COALESCE((SELECT MAX(platform_time) FROM messages \
             WHERE conversation_id = {conv}), activity_at), \
         waiting_since = (SELECT MIN(m.platform_time) FROM messages m \
             WHERE m.conversation_id = {conv} AND m.direction = 'in' \
             AND m.platform_time > COALESCE((SELECT MAX(o.platform_time) FROM messages o \
             WHERE o.conversation_id = {conv} AND o.direction = 'out'), -9000000000000000)), \
         preview = COALESCE((SELECT text FROM messages WHERE conversation_id = {conv} \
             AND direction = 'in' AND deleted_at IS NULL \
             ORDER BY platform_time DESC, id DESC LIMIT 1), ''), \
         identity_id = COALESCE(identity_id, (SELECT identity_id FROM messages \
             WHERE conversation_id = {conv} AND direction = 'in' AND identity_id IS NOT NULL \
             ORDER BY platform_time, id LIMIT 1)), \
         updated_at = {now} \
         WHERE {filter}"
    )
}

/// SQL filling the contact from the identity once the identity is known.
pub(crate) fn fill_contact_sql(filter: &str) -> String {
    format!(
        "UPDATE conversations SET contact_id = \
         (SELECT contact_id FROM identities WHERE identities.id = conversations.identity_id) \
         WHERE {filter} AND contact_id IS NULL AND identity_id IS NOT NULL"
    )
}

macro_rules! sql_store {
    ($store:ty, $db:ty, $conn:ty, $dialect:expr) => {
        crate::storage::ingest::ingest_sql!();

        use std::collections::{BTreeSet, HashMap};

        use async_trait::async_trait;
        use sqlx::Row as _;

        use crate::audit::chain::{content_hash, link_hash, Link, GENESIS};
        use crate::domain::message::{Direction, IncomingMessage};
        use crate::domain::role::Role;
        use crate::domain::time::now_millis;
        use crate::domain::{Actor, WorkspaceId};
        use crate::storage::sql::{self, Arg, Clauses, Dialect, IdentityName, ERASED_HANDLE};
        use crate::domain::message::AuthorRef;
        use crate::storage::*;

        const DIALECT: Dialect = $dialect;

        type Conn = $conn;
        type QueryAs<'q, O> =
            sqlx::query::QueryAs<'q, $db, O, <$db as sqlx::Database>::Arguments<'q>>;

        fn bind_args<'q, O>(mut q: QueryAs<'q, O>, args: &'q [Arg]) -> QueryAs<'q, O> {
            for a in args {
                q = match a {
                    Arg::Int(v) => q.bind(*v),
                    Arg::Text(v) => q.bind(v.as_str()),
                };
            }
            q
        }

        /// Per-batch caches so repeated accounts and identities cost one lookup.
        #[derive(Default)]
        struct BatchCache {
            accounts: HashMap<(String, String), i64>,
            identities: HashMap<(String, String), (i64, i64)>,
            /// Customers the current batch's preload (`load_identities`) found unknown, so
            /// creating them needs no second look.
            absent: std::collections::HashSet<(String, String)>,
            /// Identity id → its current handle, display name and the platform time of the
            /// message that set them, for noticing a rename.
            names: HashMap<i64, IdentityName>,
            touched: BTreeSet<i64>,
            merged: u64,
        }

        async fn append_audit_in(
            conn: &mut Conn,
            ws: WorkspaceId,
            ev: &NewAuditEvent,
        ) -> StoreResult<AuditRow> {
            let head: (i64, String) = sqlx::query_as(
                "UPDATE audit_heads SET seq = seq + 1 WHERE workspace_id = $1 RETURNING seq, hash",
            )
            .bind(ws.0)
            .fetch_one(&mut *conn)
            .await?;
            let before = ev.before.as_ref().map(|v| v.to_string());
            let after = ev.after.as_ref().map(|v| v.to_string());
            let hash = link_hash(&Link {
                workspace_id: ws.0,
                seq: head.0,
                at: ev.at,
                actor: &ev.actor,
                action: &ev.action,
                subject: &ev.subject,
                before: before.as_deref(),
                after: after.as_deref(),
                prev_hash: &head.1,
            });
            sqlx::query("UPDATE audit_heads SET hash = $2 WHERE workspace_id = $1")
                .bind(ws.0)
                .bind(&hash)
                .execute(&mut *conn)
                .await?;
            let row = sqlx::query_as::<_, AuditRow>(
                "INSERT INTO audit_events (workspace_id, seq, at, actor, action, subject, \
                 before_state, after_state, prev_hash, hash) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *",
            )
            .bind(ws.0)
            .bind(head.0)
            .bind(ev.at)
            .bind(&ev.actor)
            .bind(&ev.action)
            .bind(&ev.subject)
            .bind(before)
            .bind(after)
            .bind(&head.1)
            .bind(&hash)
            .fetch_one(&mut *conn)
            .await?;
            Ok(row)
        }

        fn event(
            actor: &Actor,
            action: &str,
            subject: String,
            before: Option<serde_json::Value>,
            after: Option<serde_json::Value>,
        ) -> NewAuditEvent {
            NewAuditEvent {
                at: now_millis(),
                actor: actor.as_audit_text(),
                action: action.to_owned(),
                subject,
                before,
                after,
            }
        }

        async fn account_id_in(
            conn: &mut Conn,
            ws: WorkspaceId,
            channel: &str,
            handle: &str,
        ) -> StoreResult<AccountRow> {
            sqlx::query(
                "INSERT INTO accounts (workspace_id, channel, handle, created_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (workspace_id, channel, handle) DO NOTHING",
            )
            .bind(ws.0)
            .bind(channel)
            .bind(handle)
            .bind(now_millis())
            .execute(&mut *conn)
            .await?;
            let row = sqlx::query_as::<_, AccountRow>(
                "SELECT * FROM accounts WHERE workspace_id = $1 AND channel = $2 AND handle = $3",
            )
            .bind(ws.0)
            .bind(channel)
            .bind(handle)
            .fetch_one(&mut *conn)
            .await?;
            Ok(row)
        }

        async fn cached_account(
            conn: &mut Conn,
            ws: WorkspaceId,
            cache: &mut BatchCache,
            m: &IncomingMessage,
        ) -> StoreResult<i64> {
            let key = (m.channel.as_str().to_owned(), m.account.clone());
            if let Some(id) = cache.accounts.get(&key) {
                return Ok(*id);
            }
            let row = account_id_in(conn, ws, &key.0, &key.1).await?;
            cache.accounts.insert(key, row.id);
            Ok(row.id)
        }

        async fn cached_identity(
            conn: &mut Conn,
            ws: WorkspaceId,
            cache: &mut BatchCache,
            m: &IncomingMessage,
        ) -> StoreResult<Option<(i64, i64)>> {
            let Some(who) = &m.customer else {
                return Ok(None);
            };
            let key = (m.channel.as_str().to_owned(), who.platform_user_id.clone());
            if let Some(found) = cache.identities.get(&key).copied() {
                note_name(conn, ws, cache, found.0, who, m.platform_time).await?;
                return Ok(Some(found));
            }
            let found: Option<(i64, i64, String, Option<String>, Option<i64>)> =
                match cache.absent.remove(&key) {
                    true => None,
                    false => {
                        sqlx::query_as(
                            "SELECT id, contact_id, handle, display_name, name_seen_at FROM identities \
                             WHERE workspace_id = $1 AND channel = $2 AND platform_user_id = $3",
                        )
                        .bind(ws.0)
                        .bind(&key.0)
                        .bind(&key.1)
                        .fetch_optional(&mut *conn)
                        .await?
                    }
                };
            let pair = match found {
                Some((id, contact, handle, display, seen)) => {
                    cache.names.insert(id, (handle, display, seen));
                    cache.identities.insert(key, (id, contact));
                    note_name(conn, ws, cache, id, who, m.platform_time).await?;
                    return Ok(Some((id, contact)));
                }
                None => {
                    let now = now_millis();
                    let name = who.display_name.clone().unwrap_or_else(|| who.handle.clone());
                    let contact: (i64,) = sqlx::query_as(
                        "INSERT INTO contacts (workspace_id, display_name, vip, created_at) \
                         VALUES ($1, $2, 0, $3) RETURNING id",
                    )
                    .bind(ws.0)
                    .bind(&name)
                    .bind(now)
                    .fetch_one(&mut *conn)
                    .await?;
                    let ident: (i64,) = sqlx::query_as(
                        "INSERT INTO identities (workspace_id, channel, platform_user_id, handle, \
                         display_name, contact_id, created_at, name_seen_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                    )
                    .bind(ws.0)
                    .bind(&key.0)
                    .bind(&key.1)
                    .bind(&who.handle)
                    .bind(&who.display_name)
                    .bind(contact.0)
                    .bind(now)
                    .bind(m.platform_time)
                    .fetch_one(&mut *conn)
                    .await?;
                    let name = (who.handle.clone(), who.display_name.clone(), Some(m.platform_time));
                    cache.names.insert(ident.0, name);
                    (ident.0, contact.0)
                }
            };
            cache.identities.insert(key, pair);
            Ok(Some(pair))
        }

        /// Renames the identity when a newer message carries another handle or display
        /// name, keeping the name it replaces in `identity_names` (#5). A message without a
        /// display name says nothing about it; a message older than the one that set the
        /// current name never renames. A name blanked by erasure is not history.
        async fn note_name(
            conn: &mut Conn,
            ws: WorkspaceId,
            cache: &mut BatchCache,
            id: i64,
            who: &AuthorRef,
            at: i64,
        ) -> StoreResult<()> {
            let Some((handle, display, seen)) = cache.names.get(&id) else {
                return Ok(());
            };
            let display_changed = who.display_name.is_some() && who.display_name != *display;
            if (who.handle == *handle && !display_changed) || seen.is_some_and(|s| at <= s) {
                return Ok(());
            }
            if handle != ERASED_HANDLE {
                sqlx::query(
                    "INSERT INTO identity_names (workspace_id, identity_id, handle, display_name, until_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(ws.0)
                .bind(id)
                .bind(handle)
                .bind(display)
                .bind(at)
                .execute(&mut *conn)
                .await?;
            }
            let display = who.display_name.clone().or_else(|| display.clone());
            sqlx::query(
                "UPDATE identities SET handle = $3, display_name = $4, name_seen_at = $5 \
                 WHERE workspace_id = $1 AND id = $2",
            )
            .bind(ws.0)
            .bind(id)
            .bind(&who.handle)
            .bind(&display)
            .bind(at)
            .execute(&mut *conn)
            .await?;
            cache.names.insert(id, (who.handle.clone(), display, Some(at)));
            Ok(())
        }

        async fn conversation_by_key(
            conn: &mut Conn,
            ws: WorkspaceId,
            key: &str,
        ) -> StoreResult<Option<i64>> {
            let found: Option<(i64,)> = sqlx::query_as(
                "SELECT id FROM conversations WHERE workspace_id = $1 AND conv_key = $2",
            )
            .bind(ws.0)
            .bind(key)
            .fetch_optional(&mut *conn)
            .await?;
            Ok(found.map(|r| r.0))
        }

        async fn create_conversation(
            conn: &mut Conn,
            ws: WorkspaceId,
            key: &str,
            account_id: i64,
            m: &IncomingMessage,
        ) -> StoreResult<i64> {
            let now = now_millis();
            let (status, priority) = match &m.conversation_attrs {
                Some(a) => (a.status.clone(), a.priority.clone()),
                None => ("new".to_owned(), "normal".to_owned()),
            };
            let row: (i64,) = sqlx::query_as(
                "INSERT INTO conversations (workspace_id, conv_key, account_id, channel, \
                 visibility, status, priority, preview, message_count, first_message_at, \
                 activity_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, '', 0, $8, $8, $9, $9) RETURNING id",
            )
            .bind(ws.0)
            .bind(key)
            .bind(account_id)
            .bind(m.channel.as_str())
            .bind(m.visibility.as_str())
            .bind(status)
            .bind(priority)
            .bind(m.platform_time)
            .bind(now)
            .fetch_one(&mut *conn)
            .await?;
            if let Some(attrs) = &m.conversation_attrs {
                for tag in &attrs.tags {
                    insert_tag(conn, ws, row.0, tag).await?;
                }
            }
            Ok(row.0)
        }

        async fn insert_tag(
            conn: &mut Conn,
            ws: WorkspaceId,
            conversation_id: i64,
            tag: &str,
        ) -> StoreResult<u64> {
            let done = sqlx::query(
                "INSERT INTO conversation_tags (workspace_id, conversation_id, tag) \
                 VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(ws.0)
            .bind(conversation_id)
            .bind(tag)
            .execute(&mut *conn)
            .await?;
            Ok(done.rows_affected())
        }

        /// Moves everything of conversation `from` into `into` and removes `from`.
        async fn merge_conversation(
            conn: &mut Conn,
            ws: WorkspaceId,
            from: i64,
            into: i64,
        ) -> StoreResult<()> {
            for table in ["messages", "notes"] {
                let q = format!(
                    "UPDATE {table} SET conversation_id = $1 \
                     WHERE workspace_id = $2 AND conversation_id = $3"
                );
                sqlx::query(&q).bind(into).bind(ws.0).bind(from).execute(&mut *conn).await?;
            }
            sqlx::query(
                "INSERT INTO conversation_tags (workspace_id, conversation_id, tag) \
                 SELECT workspace_id, $1, tag FROM conversation_tags WHERE conversation_id = $2 \
                 ON CONFLICT DO NOTHING",
            )
            .bind(into)
            .bind(from)
            .execute(&mut *conn)
            .await?;
            sqlx::query("DELETE FROM conversation_tags WHERE conversation_id = $1")
                .bind(from)
                .execute(&mut *conn)
                .await?;
            sla_merge_in(conn, ws, from, into).await?; // SLA hook (#3)
            sqlx::query("DELETE FROM conversations WHERE workspace_id = $1 AND id = $2")
                .bind(ws.0)
                .bind(from)
                .execute(&mut *conn)
                .await?;
            Ok(())
        }

        async fn insert_version(
            conn: &mut Conn,
            ws: WorkspaceId,
            message_id: i64,
            version: i64,
            text: &str,
            at: i64,
        ) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO message_versions (workspace_id, message_id, version, text, recorded_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(ws.0)
            .bind(message_id)
            .bind(version)
            .bind(text)
            .bind(at)
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        /// A customer writing again reopens a conversation the team had set aside.
        async fn reopen_on_customer_message(
            conn: &mut Conn,
            ws: WorkspaceId,
            conversation_id: i64,
            at: i64,
        ) -> StoreResult<()> {
            let done = sqlx::query(
                "UPDATE conversations SET status = 'open', resolved_at = NULL \
                 WHERE id = $1 AND status IN ('pending', 'resolved', 'closed') AND activity_at <= $2",
            )
            .bind(conversation_id)
            .bind(at)
            .execute(&mut *conn)
            .await?;
            if done.rows_affected() > 0 {
                // SLA hook (#3): the reopen is a status change the clocks must see.
                let system = Actor::System("ingest");
                sla_event_in(conn, ws, conversation_id, at, "status_changed", Some("open"), &system).await?;
            }
            Ok(())
        }

        async fn recompute(conn: &mut Conn, conversation_id: i64) -> StoreResult<()> {
            sqlx::query(&sql::recompute_sql("$1", "$2", "id = $1"))
                .bind(conversation_id)
                .bind(now_millis())
                .execute(&mut *conn)
                .await?;
            sqlx::query(&sql::fill_contact_sql("id = $1"))
                .bind(conversation_id)
                .execute(&mut *conn)
                .await?;
            Ok(())
        }

        async fn conversation_in(
            conn: &mut Conn,
            ws: WorkspaceId,
            id: i64,
        ) -> StoreResult<Option<ConversationRow>> {
            let q = format!("{} WHERE c.workspace_id = $1 AND c.id = $2", sql::CONVERSATION_SELECT);
            Ok(sqlx::query_as::<_, ConversationRow>(&q)
                .bind(ws.0)
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?)
        }

        fn work_state(c: &ConversationRow) -> serde_json::Value {
            serde_json::json!({
                "status": c.status,
                "priority": c.priority,
                "assignee_id": c.assignee_id,
                "team_id": c.team_id,
                "locale": c.locale,
            })
        }

        async fn apply_change(
            conn: &mut Conn,
            before: &ConversationRow,
            change: &ConversationChange,
        ) -> StoreResult<()> {
            let status = change.status.clone().unwrap_or_else(|| before.status.clone());
            let resolved_at = match status.as_str() {
                "resolved" | "closed" => before.resolved_at.or(Some(now_millis())),
                _ => None,
            };
            sqlx::query(
                "UPDATE conversations SET status = $2, priority = $3, assignee_id = $4, \
                 team_id = $5, resolved_at = $6, updated_at = $7, locale = $8 WHERE id = $1",
            )
            .bind(before.id)
            .bind(status)
            .bind(change.priority.clone().unwrap_or_else(|| before.priority.clone()))
            .bind(change.assignee_id.unwrap_or(before.assignee_id))
            .bind(change.team_id.unwrap_or(before.team_id))
            .bind(resolved_at)
            .bind(now_millis())
            .bind(change.locale.clone().unwrap_or_else(|| before.locale.clone()))
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        /// Changes status, priority, assignee or team inside the caller's transaction, with
        /// the SLA events and refresh and the audit event: the one path for a person's
        /// edit (`conversation.changed`) and for automations such as SLA escalation, which
        /// name their own action and add what caused the change (`cause`, merged into the
        /// event's `after`). Returns the conversation before and after.
        async fn change_conversation_in(
            conn: &mut Conn,
            ws: WorkspaceId,
            id: i64,
            change: &ConversationChange,
            actor: &Actor,
            action: &str,
            cause: Option<serde_json::Value>,
        ) -> StoreResult<(ConversationRow, ConversationRow)> {
            let before = conversation_in(conn, ws, id).await?.ok_or(StoreError::NotFound)?;
            apply_change(conn, &before, change).await?;
            let after = conversation_in(conn, ws, id).await?.ok_or(StoreError::NotFound)?;
            sla_after_change_in(conn, ws, &before, &after, actor).await?; // SLA hook (#3)
            let mut after_json = work_state(&after);
            if let Some(serde_json::Value::Object(extra)) = cause {
                for (k, v) in extra {
                    after_json[k] = v;
                }
            }
            let ev = event(
                actor,
                action,
                format!("conversation:{id}"),
                Some(work_state(&before)),
                Some(after_json),
            );
            append_audit_in(conn, ws, &ev).await?;
            Ok((before, after))
        }

        /// Records a sent reply inside the caller's transaction (approvals add their stamp
        /// in the same one).
        async fn record_outbound_in(
            conn: &mut Conn,
            ws: WorkspaceId,
            r: &NewOutbound,
            actor: &Actor,
        ) -> StoreResult<MessageRow> {
            conversation_in(&mut *conn, ws, r.conversation_id)
                .await?
                .ok_or(StoreError::NotFound)?;
            let row: (i64,) = sqlx::query_as(
                "INSERT INTO messages (workspace_id, conversation_id, account_id, channel, \
                 platform_id, direction, visibility, reply_to, identity_id, author_user_id, \
                 text, platform_time, received_at, delivery) \
                 VALUES ($1, $2, $3, $4, $5, 'out', $6, $7, $8, $9, $10, $11, $11, 'sent') \
                 RETURNING id",
            )
            .bind(ws.0)
            .bind(r.conversation_id)
            .bind(r.account_id)
            .bind(&r.channel)
            .bind(&r.platform_id)
            .bind(&r.visibility)
            .bind(&r.reply_to)
            .bind(r.identity_id)
            .bind(r.author_user_id)
            .bind(&r.text)
            .bind(r.sent_at)
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| StoreError::from_insert(e, "a message with this platform id"))?;
            insert_version(&mut *conn, ws, row.0, 1, &r.text, r.sent_at).await?;
            sqlx::query("UPDATE conversations SET status = 'open' WHERE id = $1 AND status = 'new'")
                .bind(r.conversation_id)
                .execute(&mut *conn)
                .await?;
            recompute(&mut *conn, r.conversation_id).await?;
            sla_refresh_in(conn, ws, r.conversation_id).await?; // SLA hook (#3)
            let ev = event(
                actor,
                "reply.sent",
                format!("message:{}", row.0),
                None,
                Some(serde_json::json!({
                    "conversation_id": r.conversation_id,
                    "channel": r.channel,
                    "visibility": r.visibility,
                    "platform_id": r.platform_id,
                    "text_sha256": content_hash(&r.text),
                    "template_id": r.provenance.template_id,
                    "locale": r.provenance.locale,
                    "style_version": r.provenance.style_version,
                })),
            );
            append_audit_in(&mut *conn, ws, &ev).await?;
            let q = format!("{} WHERE m.id = $1", sql::MESSAGE_SELECT);
            let msg = sqlx::query_as::<_, MessageRow>(&q).bind(row.0).fetch_one(&mut *conn).await?;
            Ok(msg)
        }

        fn inbox_clauses(ws: WorkspaceId, f: &InboxFilter) -> Clauses {
            let mut c = Clauses::default();
            c.push("c.workspace_id = ?", Arg::Int(ws.0));
            if let Some(v) = &f.channel {
                c.push("c.channel = ?", Arg::Text(v.clone()));
            }
            if let Some(v) = f.account_id {
                c.push("c.account_id = ?", Arg::Int(v));
            }
            if let Some(v) = &f.status {
                c.push("c.status = ?", Arg::Text(v.clone()));
            }
            if let Some(v) = f.assignee_id {
                c.push("c.assignee_id = ?", Arg::Int(v));
            }
            if f.unassigned {
                c.push_plain("c.assignee_id IS NULL");
            }
            if let Some(v) = f.team_id {
                c.push("c.team_id = ?", Arg::Int(v));
            }
            if let Some(v) = &f.tag {
                // Driven from the tag index, so a rare tag costs its own rows, not a scan.
                c.push2(
                    "c.id IN (SELECT t.conversation_id FROM conversation_tags t \
                     WHERE t.workspace_id = ? AND t.tag = ?)",
                    Arg::Int(ws.0),
                    Arg::Text(v.clone()),
                );
            }
            if f.waiting {
                c.push_plain("c.waiting_since IS NOT NULL AND c.status NOT IN ('resolved', 'closed')");
            }
            if let Some(v) = &f.text {
                let cond = format!(
                    "EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id \
                     AND m.deleted_at IS NULL AND {}(lower(m.text), lower(?)) > 0)",
                    DIALECT.position_fn
                );
                c.push(&cond, Arg::Text(v.clone()));
            }
            if let Some(k) = f.after {
                c.push2("(c.activity_at, c.id) < (?, ?)", Arg::Int(k.activity_at), Arg::Int(k.id));
            }
            c
        }

        fn audit_clauses(ws: WorkspaceId, f: &AuditFilter) -> Clauses {
            let mut c = Clauses::default();
            c.push("workspace_id = ?", Arg::Int(ws.0));
            if let Some(v) = &f.actor {
                c.push("actor = ?", Arg::Text(v.clone()));
            }
            if let Some(v) = &f.action {
                c.push("action = ?", Arg::Text(v.clone()));
            }
            if let Some(v) = &f.subject {
                c.push("subject = ?", Arg::Text(v.clone()));
            }
            if let Some(v) = f.from {
                c.push("at >= ?", Arg::Int(v));
            }
            if let Some(v) = f.to {
                c.push("at < ?", Arg::Int(v));
            }
            if let Some(v) = f.before_seq {
                c.push("seq < ?", Arg::Int(v));
            }
            c
        }

        #[async_trait]
        impl Store for $store {
            fn backend(&self) -> &'static str {
                Self::BACKEND
            }

            async fn refresh_planner_stats(&self) -> StoreResult<()> {
                if let Some(sql) = DIALECT.analyze {
                    sqlx::query(sql).execute(self.writer()).await?;
                }
                Ok(())
            }

            async fn migrate(&self) -> StoreResult<()> {
                self.run_migrations().await
            }

            async fn create_workspace(&self, slug: &str, name: &str) -> StoreResult<WorkspaceRow> {
                let mut tx = self.writer().begin().await?;
                let row = sqlx::query_as::<_, WorkspaceRow>(
                    "INSERT INTO workspaces (slug, name, created_at) VALUES ($1, $2, $3) RETURNING *",
                )
                .bind(slug)
                .bind(name)
                .bind(now_millis())
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| StoreError::from_insert(e, "workspace"))?;
                sqlx::query("INSERT INTO audit_heads (workspace_id, seq, hash) VALUES ($1, 0, $2)")
                    .bind(row.id)
                    .bind(GENESIS)
                    .execute(&mut *tx)
                    .await?;
                let ev = event(
                    &Actor::System("setup"),
                    "workspace.created",
                    format!("workspace:{}", row.id),
                    None,
                    Some(serde_json::json!({ "slug": slug })),
                );
                append_audit_in(&mut tx, WorkspaceId(row.id), &ev).await?;
                tx.commit().await?;
                Ok(row)
            }

            async fn workspace_by_slug(&self, slug: &str) -> StoreResult<Option<WorkspaceRow>> {
                Ok(sqlx::query_as("SELECT * FROM workspaces WHERE slug = $1")
                    .bind(slug)
                    .fetch_optional(self.reader())
                    .await?)
            }

            async fn workspaces(&self) -> StoreResult<Vec<WorkspaceRow>> {
                Ok(sqlx::query_as("SELECT * FROM workspaces ORDER BY id")
                    .fetch_all(self.reader())
                    .await?)
            }

            async fn create_user(
                &self,
                ws: WorkspaceId,
                user: &NewUser,
                actor: &Actor,
            ) -> StoreResult<UserRow> {
                let mut tx = self.writer().begin().await?;
                let row = sqlx::query_as::<_, UserRow>(
                    "INSERT INTO users (workspace_id, email, display_name, role, team_id, \
                     password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
                )
                .bind(ws.0)
                .bind(&user.email)
                .bind(&user.display_name)
                .bind(&user.role)
                .bind(user.team_id)
                .bind(&user.password_hash)
                .bind(now_millis())
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| StoreError::from_insert(e, "a user with this email"))?;
                let ev = event(
                    actor,
                    "user.created",
                    format!("user:{}", row.id),
                    None,
                    Some(serde_json::json!({ "role": row.role, "team_id": row.team_id })),
                );
                append_audit_in(&mut tx, ws, &ev).await?;
                tx.commit().await?;
                Ok(row)
            }

            async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserRow>> {
                Ok(sqlx::query_as("SELECT * FROM users WHERE email = $1")
                    .bind(email)
                    .fetch_optional(self.reader())
                    .await?)
            }

            async fn user(&self, ws: WorkspaceId, id: i64) -> StoreResult<Option<UserRow>> {
                Ok(sqlx::query_as("SELECT * FROM users WHERE workspace_id = $1 AND id = $2")
                    .bind(ws.0)
                    .bind(id)
                    .fetch_optional(self.reader())
                    .await?)
            }

            async fn users(&self, ws: WorkspaceId) -> StoreResult<Vec<UserRow>> {
                Ok(sqlx::query_as("SELECT * FROM users WHERE workspace_id = $1 ORDER BY id")
                    .bind(ws.0)
                    .fetch_all(self.reader())
                    .await?)
            }

            async fn set_role(
                &self,
                ws: WorkspaceId,
                id: i64,
                role: Role,
                actor: &Actor,
            ) -> StoreResult<UserRow> {
                let mut tx = self.writer().begin().await?;
                let before: Option<UserRow> =
                    sqlx::query_as("SELECT * FROM users WHERE workspace_id = $1 AND id = $2")
                        .bind(ws.0)
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?;
                let before = before.ok_or(StoreError::NotFound)?;
                let after = sqlx::query_as::<_, UserRow>(
                    "UPDATE users SET role = $3 WHERE workspace_id = $1 AND id = $2 RETURNING *",
                )
                .bind(ws.0)
                .bind(id)
                .bind(role.as_str())
                .fetch_one(&mut *tx)
                .await?;
                let ev = event(
                    actor,
                    "user.role_changed",
                    format!("user:{id}"),
                    Some(serde_json::json!({ "role": before.role })),
                    Some(serde_json::json!({ "role": after.role })),
                );
                append_audit_in(&mut tx, ws, &ev).await?;
                tx.commit().await?;
                Ok(after)
            }

            async fn set_password(
                &self,
                ws: WorkspaceId,
                id: i64,
                hash: &str,
                actor: &Actor,
            ) -> StoreResult<()> {
                let mut tx = self.writer().begin().await?;
                let done = sqlx::query(
                    "UPDATE users SET password_hash = $3 WHERE workspace_id = $1 AND id = $2",
                )
                .bind(ws.0)
                .bind(id)
                .bind(hash)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                let ev = event(actor, "user.password_reset", format!("user:{id}"), None, None);
                append_audit_in(&mut tx, ws, &ev).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn create_team(
                &self,
                ws: WorkspaceId,
                name: &str,
                actor: &Actor,
            ) -> StoreResult<TeamRow> {
                let mut tx = self.writer().begin().await?;
                let row = sqlx::query_as::<_, TeamRow>(
                    "INSERT INTO teams (workspace_id, name) VALUES ($1, $2) RETURNING *",
                )
                .bind(ws.0)
                .bind(name)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| StoreError::from_insert(e, "a team with this name"))?;
                let ev = event(
                    actor,
                    "team.created",
                    format!("team:{}", row.id),
                    None,
                    Some(serde_json::json!({ "name": name })),
                );
                append_audit_in(&mut tx, ws, &ev).await?;
                tx.commit().await?;
                Ok(row)
            }

            async fn set_team_lead(
                &self,
                ws: WorkspaceId,
                team_id: i64,
                lead_user_id: Option<i64>,
                actor: &Actor,
            ) -> StoreResult<TeamRow> {
                let mut tx = self.writer().begin().await?;
                let before: Option<TeamRow> =
                    sqlx::query_as("SELECT * FROM teams WHERE workspace_id = $1 AND id = $2")
                        .bind(ws.0)
                        .bind(team_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                let lead_ok = match lead_user_id {
                    Some(uid) => sqlx::query_as::<_, (i64,)>(
                        "SELECT id FROM users WHERE workspace_id = $1 AND id = $2",
                    )
                    .bind(ws.0)
                    .bind(uid)
                    .fetch_optional(&mut *tx)
                    .await?
                    .is_some(),
                    None => true,
                };
                let Some(before) = before.filter(|_| lead_ok) else {
                    tx.rollback().await?;
                    return Err(StoreError::NotFound);
                };
                let row = sqlx::query_as::<_, TeamRow>(
                    "UPDATE teams SET lead_user_id = $3 WHERE workspace_id = $1 AND id = $2 \
                     RETURNING *",
                )
                .bind(ws.0)
                .bind(team_id)
                .bind(lead_user_id)
                .fetch_one(&mut *tx)
                .await?;
                let ev = event(
                    actor,
                    "team.lead_set",
                    format!("team:{team_id}"),
                    Some(serde_json::json!({ "lead_user_id": before.lead_user_id })),
                    Some(serde_json::json!({ "lead_user_id": row.lead_user_id })),
                );
                append_audit_in(&mut tx, ws, &ev).await?;
                tx.commit().await?;
                Ok(row)
            }

            async fn teams(&self, ws: WorkspaceId) -> StoreResult<Vec<TeamRow>> {
                Ok(sqlx::query_as("SELECT * FROM teams WHERE workspace_id = $1 ORDER BY name")
                    .bind(ws.0)
                    .fetch_all(self.reader())
                    .await?)
            }

            async fn create_session(&self, s: &SessionRow) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO sessions (token_hash, user_id, workspace_id, csrf_token, \
                     created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&s.token_hash)
                .bind(s.user_id)
                .bind(s.workspace_id)
                .bind(&s.csrf_token)
                .bind(s.created_at)
                .bind(s.expires_at)
                .execute(self.writer())
                .await?;
                Ok(())
            }

            async fn session(&self, token_hash: &str, now: i64) -> StoreResult<Option<SessionRow>> {
                Ok(sqlx::query_as(
                    "SELECT * FROM sessions WHERE token_hash = $1 AND expires_at > $2",
                )
                .bind(token_hash)
                .bind(now)
                .fetch_optional(self.reader())
                .await?)
            }

            async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                    .bind(token_hash)
                    .execute(self.writer())
                    .await?;
                Ok(())
            }

            async fn create_token(
                &self,
                ws: WorkspaceId,
                user_id: i64,
                name: &str,
                token_hash: &str,
                actor: &Actor,
            ) -> StoreResult<TokenRow> {
                let mut tx = self.writer().begin().await?;
                let row = sqlx::query_as::<_, TokenRow>(
                    "INSERT INTO api_tokens (workspace_id, user_id, name, token_hash, created_at) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING *",
                )
                .bind(ws.0)
                .bind(user_id)
                .bind(name)
                .bind(token_hash)
                .bind(now_millis())
                .fetch_one(&mut *tx)
                .await?;
                let ev = event(
                    actor,
                    "token.created",
                    format!("user:{user_id}"),
                    None,
                    Some(serde_json::json!({ "token_id": row.id, "name": name })),
                );
                append_audit_in(&mut tx, ws, &ev).await?;
                tx.commit().await?;
                Ok(row)
            }

            async fn token(&self, token_hash: &str) -> StoreResult<Option<TokenRow>> {
                Ok(sqlx::query_as("SELECT * FROM api_tokens WHERE token_hash = $1")
                    .bind(token_hash)
                    .fetch_optional(self.reader())
                    .await?)
            }

            async fn ensure_account(
                &self,
                ws: WorkspaceId,
                channel: &str,
                handle: &str,
            ) -> StoreResult<AccountRow> {
                let mut conn = self.writer().acquire().await?;
                account_id_in(&mut conn, ws, channel, handle).await
            }

            async fn accounts(&self, ws: WorkspaceId) -> StoreResult<Vec<AccountRow>> {
                Ok(sqlx::query_as(
                    "SELECT * FROM accounts WHERE workspace_id = $1 ORDER BY channel, handle",
                )
                .bind(ws.0)
                .fetch_all(self.reader())
                .await?)
            }

            async fn ingest(
                &self,
                ws: WorkspaceId,
                actor: &Actor,
                batch: &[IncomingMessage],
            ) -> StoreResult<IngestReport> {
                let mut tx = self.writer().begin().await?;
                let mut cache = BatchCache::default();
                let ids = ingest_batch(&mut tx, ws, &mut cache, batch).await?;
                let mut report = IngestReport {
                    imported: ids.len() as u64,
                    duplicates: (batch.len() - ids.len()) as u64,
                    touched_conversations: Vec::new(),
                };
                let last_id = ids.last().copied();
                let touched: Vec<i64> = cache.touched.iter().copied().collect();
                sla_refresh_many_in(&mut tx, ws, &touched, true).await?; // SLA hook (#3)
                if report.imported > 0 {
                    let subject = match (report.imported, last_id) {
                        (1, Some(id)) => format!("message:{id}"),
                        _ => format!("workspace:{}", ws.0),
                    };
                    let ev = event(
                        actor,
                        "messages.ingested",
                        subject,
                        None,
                        Some(serde_json::json!({
                            "imported": report.imported,
                            "duplicates": report.duplicates,
                            "conversations_joined": cache.merged,
                        })),
                    );
                    append_audit_in(&mut tx, ws, &ev).await?;
                }
                tx.commit().await?;
                report.touched_conversations = cache.touched.into_iter().collect();
                Ok(report)
            }

            async fn inbox(
                &self,
                ws: WorkspaceId,
                filter: &InboxFilter,
                limit: i64,
            ) -> StoreResult<Vec<ConversationRow>> {
                let clauses = inbox_clauses(ws, filter);
                let q = format!(
                    "{} WHERE {} ORDER BY c.activity_at DESC, c.id DESC LIMIT ${}",
                    sql::CONVERSATION_SELECT,
                    clauses.joined(),
                    clauses.next_placeholder()
                );
                let query = bind_args(sqlx::query_as::<_, ConversationRow>(&q), &clauses.args);
                Ok(query.bind(limit).fetch_all(self.reader()).await?)
            }

            async fn conversation(
                &self,
                ws: WorkspaceId,
                id: i64,
            ) -> StoreResult<Option<ConversationRow>> {
                let mut conn = self.reader().acquire().await?;
                conversation_in(&mut conn, ws, id).await
            }

            async fn conversation_messages(
                &self,
                ws: WorkspaceId,
                id: i64,
            ) -> StoreResult<Vec<MessageRow>> {
                let q = format!(
                    "{} WHERE m.workspace_id = $1 AND m.conversation_id = $2 \
                     ORDER BY m.platform_time, m.id",
                    sql::MESSAGE_SELECT
                );
                Ok(sqlx::query_as(&q).bind(ws.0).bind(id).fetch_all(self.reader()).await?)
            }

            async fn message_versions(
                &self,
                ws: WorkspaceId,
                message_id: i64,
            ) -> StoreResult<Vec<String>> {
                let rows: Vec<(String,)> = sqlx::query_as(
                    "SELECT text FROM message_versions WHERE workspace_id = $1 \
                     AND message_id = $2 ORDER BY version",
                )
                .bind(ws.0)
                .bind(message_id)
                .fetch_all(self.reader())
                .await?;
                Ok(rows.into_iter().map(|r| r.0).collect())
            }

            async fn contact_conversations(
                &self,
                ws: WorkspaceId,
                contact_id: i64,
            ) -> StoreResult<Vec<ConversationRow>> {
                let q = format!(
                    "{} WHERE c.workspace_id = $1 AND c.contact_id = $2 \
                     ORDER BY c.activity_at DESC, c.id DESC LIMIT 100",
                    sql::CONVERSATION_SELECT
                );
                Ok(sqlx::query_as(&q)
                    .bind(ws.0)
                    .bind(contact_id)
                    .fetch_all(self.reader())
                    .await?)
            }

            async fn notes(&self, ws: WorkspaceId, conversation_id: i64) -> StoreResult<Vec<NoteRow>> {
                Ok(sqlx::query_as(
                    "SELECT n.id, n.workspace_id, n.conversation_id, n.author_id, \
                     u.display_name AS author_name, n.body, n.created_at \
                     FROM notes n JOIN users u ON u.id = n.author_id \
                     WHERE n.workspace_id = $1 AND n.conversation_id = $2 ORDER BY n.id",
                )
                .bind(ws.0)
                .bind(conversation_id)
                .fetch_all(self.reader())
                .await?)
            }

            async fn tags(&self, ws: WorkspaceId, conversation_id: i64) -> StoreResult<Vec<String>> {
                let rows: Vec<(String,)> = sqlx::query_as(
                    "SELECT tag FROM conversation_tags WHERE workspace_id = $1 \
                     AND conversation_id = $2 ORDER BY tag",
                )
                .bind(ws.0)
                .bind(conversation_id)
                .fetch_all(self.reader())
                .await?;
                Ok(rows.into_iter().map(|r| r.0).collect())
            }

            async fn change_conversation(
                &self,
                ws: WorkspaceId,
                id: i64,
                change: &ConversationChange,
                actor: &Actor,
            ) -> StoreResult<ConversationRow> {
                let mut tx = self.writer().begin().await?;
                let (_, after) =
                    change_conversation_in(&mut tx, ws, id, change, actor, "conversation.changed", None)
                        .await?;
                tx.commit().await?;
                Ok(after)
            }

            async fn add_tag(&self, ws: WorkspaceId, id: i64, tag: &str, actor: &Actor) -> StoreResult<()> {
                let mut tx = self.writer().begin().await?;
                conversation_in(&mut tx, ws, id).await?.ok_or(StoreError::NotFound)?;
                if insert_tag(&mut tx, ws, id, tag).await? > 0 {
                    let ev = event(
                        actor,
                        "conversation.tag_added",
                        format!("conversation:{id}"),
                        None,
                        Some(serde_json::json!({ "tag": tag })),
                    );
                    append_audit_in(&mut tx, ws, &ev).await?;
                    // The SLA rollups slice by tag: move this conversation's figures (#3).
                    sla_refresh_in(&mut tx, ws, id).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn remove_tag(&self, ws: WorkspaceId, id: i64, tag: &str, actor: &Actor) -> StoreResult<()> {
                let mut tx = self.writer().begin().await?;
                let done = sqlx::query(
                    "DELETE FROM conversation_tags WHERE workspace_id = $1 \
                     AND conversation_id = $2 AND tag = $3",
                )
                .bind(ws.0)
                .bind(id)
                .bind(tag)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() > 0 {
                    let ev = event(
                        actor,
                        "conversation.tag_removed",
                        format!("conversation:{id}"),
                        Some(serde_json::json!({ "tag": tag })),
                        None,
                    );
                    append_audit_in(&mut tx, ws, &ev).await?;
                    sla_refresh_in(&mut tx, ws, id).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn add_note(
                &self,
                ws: WorkspaceId,
                id: i64,
                author_id: i64,
                body: &str,
            ) -> StoreResult<NoteRow> {
                let mut tx = self.writer().begin().await?;
                conversation_in(&mut tx, ws, id).await?.ok_or(StoreError::NotFound)?;
                let row: (i64,) = sqlx::query_as(
                    "INSERT INTO notes (workspace_id, conversation_id, author_id, body, created_at) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(ws.0)
                .bind(id)
                .bind(author_id)
                .bind(body)
                .bind(now_millis())
                .fetch_one(&mut *tx)
                .await?;
                let ev = event(
                    &Actor::User(author_id),
                    "conversation.note_added",
                    format!("conversation:{id}"),
                    None,
                    Some(serde_json::json!({ "note_id": row.0, "body_sha256": content_hash(body) })),
                );
                append_audit_in(&mut tx, ws, &ev).await?;
                let note = sqlx::query_as::<_, NoteRow>(
                    "SELECT n.id, n.workspace_id, n.conversation_id, n.author_id, \
                     u.display_name AS author_name, n.body, n.created_at \
                     FROM notes n JOIN users u ON u.id = n.author_id WHERE n.id = $1",
                )
                .bind(row.0)
                .fetch_one(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(note)
            }

            async fn sandbox_deliver(&self, ws: WorkspaceId, r: &OutboxRow) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO sandbox_outbox (workspace_id, account_id, platform_id, kind, \
                     in_reply_to, text, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(ws.0)
                .bind(r.account_id)
                .bind(&r.platform_id)
                .bind(&r.kind)
                .bind(&r.in_reply_to)
                .bind(&r.text)
                .bind(r.created_at)
                .execute(self.writer())
                .await?;
                Ok(())
            }

            async fn sandbox_outbox(&self, ws: WorkspaceId) -> StoreResult<Vec<OutboxRow>> {
                Ok(sqlx::query_as(
                    "SELECT workspace_id, account_id, platform_id, kind, in_reply_to, text, \
                     created_at FROM sandbox_outbox WHERE workspace_id = $1 ORDER BY id",
                )
                .bind(ws.0)
                .fetch_all(self.reader())
                .await?)
            }

            async fn record_outbound(
                &self,
                ws: WorkspaceId,
                r: &NewOutbound,
                actor: &Actor,
            ) -> StoreResult<MessageRow> {
                let mut tx = self.writer().begin().await?;
                let msg = record_outbound_in(&mut tx, ws, r, actor).await?;
                tx.commit().await?;
                Ok(msg)
            }

            async fn append_audit(&self, ws: WorkspaceId, ev: &NewAuditEvent) -> StoreResult<AuditRow> {
                let mut tx = self.writer().begin().await?;
                let row = append_audit_in(&mut tx, ws, ev).await?;
                tx.commit().await?;
                Ok(row)
            }

            async fn audit_events(
                &self,
                ws: WorkspaceId,
                filter: &AuditFilter,
                limit: i64,
            ) -> StoreResult<Vec<AuditRow>> {
                let clauses = audit_clauses(ws, filter);
                let q = format!(
                    "SELECT * FROM audit_events WHERE {} ORDER BY seq DESC LIMIT ${}",
                    clauses.joined(),
                    clauses.next_placeholder()
                );
                let query = bind_args(sqlx::query_as::<_, AuditRow>(&q), &clauses.args);
                Ok(query.bind(limit).fetch_all(self.reader()).await?)
            }

            async fn audit_chain(
                &self,
                ws: WorkspaceId,
                after_seq: i64,
                limit: i64,
            ) -> StoreResult<Vec<AuditRow>> {
                Ok(sqlx::query_as(
                    "SELECT * FROM audit_events WHERE workspace_id = $1 AND seq > $2 \
                     ORDER BY seq LIMIT $3",
                )
                .bind(ws.0)
                .bind(after_seq)
                .bind(limit)
                .fetch_all(self.reader())
                .await?)
            }

            async fn volume(
                &self,
                ws: WorkspaceId,
                since: i64,
                bucket_ms: i64,
            ) -> StoreResult<Vec<VolumeRow>> {
                Ok(sqlx::query_as(
                    "SELECT (platform_time / $2) * $2 AS bucket, channel, account_id, \
                     COUNT(*) AS count FROM messages \
                     WHERE workspace_id = $1 AND direction = 'in' AND platform_time >= $3 \
                     GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
                )
                .bind(ws.0)
                .bind(bucket_ms)
                .bind(since)
                .fetch_all(self.reader())
                .await?)
            }

            async fn waiting_stats(&self, ws: WorkspaceId, resolved_since: i64) -> StoreResult<WaitingStats> {
                let row = sqlx::query(
                    "SELECT COUNT(*) AS waiting, MIN(waiting_since) AS oldest, \
                     COALESCE(SUM(CASE WHEN NOT EXISTS (SELECT 1 FROM messages m \
                        WHERE m.conversation_id = c.id AND m.direction = 'out') THEN 1 ELSE 0 END), 0) AS first \
                     FROM conversations c WHERE c.workspace_id = $1 \
                     AND c.waiting_since IS NOT NULL AND c.status NOT IN ('resolved', 'closed')",
                )
                .bind(ws.0)
                .fetch_one(self.reader())
                .await?;
                let resolved: (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM conversations WHERE workspace_id = $1 \
                     AND status IN ('resolved', 'closed') AND resolved_at >= $2",
                )
                .bind(ws.0)
                .bind(resolved_since)
                .fetch_one(self.reader())
                .await?;
                Ok(WaitingStats {
                    waiting: row.try_get("waiting")?,
                    waiting_first_answer: row.try_get("first")?,
                    oldest_waiting_since: row.try_get("oldest")?,
                    resolved_since: resolved.0,
                })
            }

            async fn export_page(
                &self,
                ws: WorkspaceId,
                after_id: i64,
                limit: i64,
            ) -> StoreResult<Vec<ExportRow>> {
                Ok(sqlx::query_as(sql::EXPORT_SELECT)
                    .bind(ws.0)
                    .bind(after_id)
                    .bind(limit)
                    .fetch_all(self.reader())
                    .await?)
            }
        }
    };
}

pub(crate) use sql_store;
