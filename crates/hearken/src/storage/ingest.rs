//! Batched ingest: placing a batch of messages exactly once, with their threads rebuilt.
//!
//! A batch costs a handful of set-based queries (which ids exist already, which stored
//! messages are the parents or the early replies of the batch's messages, which identities
//! are known) plus one multi-row insert per chunk, instead of several queries per message.
//! Placement runs in memory in batch order: a message joins its parent's conversation, or
//! the conversation of replies that arrived before it (merging them when there are several),
//! or starts a new one. When conversations merge, every reference the batch holds to the
//! merged-away one is rewritten at once: SQLite may hand a deleted row's id to the next new
//! conversation, so a stale id must never survive in the batch's maps.

/// Rows per multi-row INSERT (700 parameters). SQLite resolves a `$n` parameter's name
/// through a list searched linearly, so the SQLite backend rewrites these statements to
/// plain `?` (`positional`); the chunk stays moderate for statements that cannot be.
pub(crate) const INSERT_CHUNK: usize = 50;

/// A preloaded identity: platform user id, id, contact, handle, display name, and the
/// platform time that set the name.
pub(crate) type IdentityPreload = (String, i64, i64, String, Option<String>, Option<i64>);

/// Values per IN list in lookups, for the same reason.
pub(crate) const LOOKUP_CHUNK: usize = 200;

/// `$from, $from+1, …` for `n` placeholders.
pub(crate) fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The statement with `$1, $2, …` written as plain `?` when each appears once and in
/// order, else `None`. SQLite binds a plain `?` by position without looking up its name,
/// so the generated multi-row statements bind in linear rather than quadratic time; the
/// SQLite backend passes them through this (PostgreSQL keeps `$n`). Text between single
/// quotes is copied as it is.
pub(crate) fn positional(sql: &str) -> Option<String> {
    let mut out = String::with_capacity(sql.len());
    let mut next = 1usize;
    let mut quoted = false;
    let mut chars = sql.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c == '\'' {
            quoted = !quoted;
        }
        if c != '$' || quoted {
            out.push(c);
            continue;
        }
        let digits: String = std::iter::from_fn(|| chars.next_if(|(_, d)| d.is_ascii_digit()))
            .map(|(_, d)| d)
            .collect();
        match digits.parse::<usize>() {
            Ok(n) if n == next => {
                out.push('?');
                next += 1;
            }
            _ => return None,
        }
    }
    Some(out)
}

macro_rules! ingest_sql {
    () => {
        use std::collections::HashSet;

        use crate::storage::ingest::{placeholders, IdentityPreload, INSERT_CHUNK, LOOKUP_CHUNK};

        /// Everything known about the batch while it is being placed.
        #[derive(Default)]
        struct Placement {
            /// (channel, platform id) → conversation, for stored and already-placed messages.
            conv_of: HashMap<(String, String), i64>,
            /// (channel, platform id) → conversations of messages replying to it.
            replies_to: HashMap<(String, String), Vec<i64>>,
            /// Conversation key → conversation.
            by_key: HashMap<String, i64>,
            created: HashSet<i64>,
            /// Messages placed so far, waiting to be inserted.
            placed_convs: Vec<i64>,
            /// Conversations that saw a customer message, with the latest such time.
            reopen: HashMap<i64, i64>,
        }

        impl Placement {
            /// Rewrites every reference to `from` as `into`.
            fn merged(&mut self, from: i64, into: i64) {
                let swap = |c: &mut i64| {
                    if *c == from {
                        *c = into;
                    }
                };
                self.conv_of.values_mut().for_each(swap);
                self.by_key.values_mut().for_each(swap);
                self.placed_convs.iter_mut().for_each(swap);
                for v in self.replies_to.values_mut() {
                    v.iter_mut().for_each(swap);
                }
                if self.created.remove(&from) {
                    self.created.insert(into);
                }
                if let Some(at) = self.reopen.remove(&from) {
                    let e = self.reopen.entry(into).or_insert(at);
                    *e = (*e).max(at);
                }
            }
        }

        /// A message ready to insert.
        struct Placed<'a> {
            m: &'a IncomingMessage,
            conversation_id: i64,
            account_id: i64,
            identity_id: Option<i64>,
        }

        fn by_channel<'a>(
            items: impl Iterator<Item = (&'a str, &'a str)>,
        ) -> HashMap<&'a str, Vec<&'a str>> {
            let mut map: HashMap<&str, Vec<&str>> = HashMap::new();
            for (channel, id) in items {
                map.entry(channel).or_default().push(id);
            }
            map
        }

        /// Rows `(a, b)` of `SELECT a, b … WHERE workspace_id = $1 AND channel = $2 AND
        /// <column> IN (…)`, chunked.
        async fn lookup_in(
            conn: &mut Conn,
            select: &str,
            column: &str,
            ws: WorkspaceId,
            channel: &str,
            values: &[&str],
        ) -> StoreResult<Vec<(String, i64)>> {
            let mut out = Vec::new();
            for chunk in values.chunks(LOOKUP_CHUNK) {
                let q = format!(
                    "{select} WHERE workspace_id = $1 AND channel = $2 AND {column} IN ({})",
                    placeholders(3, chunk.len())
                );
                let q = sql_text(q);
                let mut query = sqlx::query_as::<_, (String, i64)>(&q).bind(ws.0).bind(channel);
                for v in chunk {
                    query = query.bind(*v);
                }
                out.extend(query.fetch_all(&mut *conn).await?);
            }
            Ok(out)
        }

        /// Which of the batch's (channel, platform id) pairs are stored already.
        async fn stored_ids(
            conn: &mut Conn,
            ws: WorkspaceId,
            batch: &[IncomingMessage],
        ) -> StoreResult<HashSet<(String, String)>> {
            let groups = by_channel(batch.iter().map(|m| (m.channel.as_str(), m.platform_id.as_str())));
            let mut found = HashSet::new();
            for (channel, ids) in groups {
                let sql = "SELECT platform_id, id FROM messages";
                for (pid, _) in lookup_in(conn, sql, "platform_id", ws, channel, &ids).await? {
                    found.insert((channel.to_owned(), pid));
                }
            }
            Ok(found)
        }

        /// Loads the stored parents and early replies of the fresh messages.
        async fn load_threads(
            conn: &mut Conn,
            ws: WorkspaceId,
            fresh: &[&IncomingMessage],
            p: &mut Placement,
        ) -> StoreResult<()> {
            let parents = by_channel(
                fresh.iter().filter_map(|m| m.reply_to.as_deref().map(|r| (m.channel.as_str(), r))),
            );
            for (channel, ids) in parents {
                let sql = "SELECT platform_id, conversation_id FROM messages";
                for (pid, conv) in lookup_in(conn, sql, "platform_id", ws, channel, &ids).await? {
                    p.conv_of.insert((channel.to_owned(), pid), conv);
                }
            }
            let own = by_channel(fresh.iter().map(|m| (m.channel.as_str(), m.platform_id.as_str())));
            for (channel, ids) in own {
                let sql = "SELECT reply_to, conversation_id FROM messages";
                for (parent, conv) in lookup_in(conn, sql, "reply_to", ws, channel, &ids).await? {
                    p.replies_to.entry((channel.to_owned(), parent)).or_default().push(conv);
                }
            }
            Ok(())
        }

        /// Preloads the batch's brand accounts that exist already into the cache.
        async fn load_accounts(
            conn: &mut Conn,
            ws: WorkspaceId,
            fresh: &[&IncomingMessage],
            cache: &mut BatchCache,
        ) -> StoreResult<()> {
            let mut groups = by_channel(fresh.iter().map(|m| (m.channel.as_str(), m.account.as_str())));
            for (channel, handles) in &mut groups {
                handles.sort_unstable();
                handles.dedup();
                handles.retain(|h| !cache.accounts.contains_key(&((*channel).to_owned(), (*h).to_owned())));
                let sql = "SELECT handle, id FROM accounts";
                for (handle, id) in lookup_in(conn, sql, "handle", ws, channel, handles).await? {
                    cache.accounts.insert(((*channel).to_owned(), handle), id);
                }
            }
            Ok(())
        }

        /// Preloads the identities of the batch's customers into the cache.
        async fn load_identities(
            conn: &mut Conn,
            ws: WorkspaceId,
            fresh: &[&IncomingMessage],
            cache: &mut BatchCache,
        ) -> StoreResult<()> {
            let groups = by_channel(fresh.iter().filter_map(|m| {
                m.customer.as_ref().map(|c| (m.channel.as_str(), c.platform_user_id.as_str()))
            }));
            // Every customer of the batch not cached is absent until the lookup finds it.
            cache.absent.clear();
            for (channel, ids) in &groups {
                for uid in ids {
                    let key = ((*channel).to_owned(), (*uid).to_owned());
                    if !cache.identities.contains_key(&key) {
                        cache.absent.insert(key);
                    }
                }
            }
            for (channel, ids) in groups {
                for chunk in ids.chunks(LOOKUP_CHUNK) {
                    let q = format!(
                        "SELECT platform_user_id, id, contact_id, handle, display_name, name_seen_at FROM identities \
                         WHERE workspace_id = $1 AND channel = $2 AND platform_user_id IN ({})",
                        placeholders(3, chunk.len())
                    );
                    let q = sql_text(q);
                    let mut query =
                        sqlx::query_as::<_, IdentityPreload>(&q).bind(ws.0).bind(channel);
                    for v in chunk {
                        query = query.bind(*v);
                    }
                    for (uid, id, contact, handle, display, seen) in query.fetch_all(&mut *conn).await? {
                        let key = (channel.to_owned(), uid);
                        cache.absent.remove(&key);
                        cache.identities.insert(key, (id, contact));
                        cache.names.insert(id, (handle, display, seen));
                    }
                }
            }
            Ok(())
        }

        /// Chooses (creating or merging as needed) the conversation of one message.
        async fn place_one(
            conn: &mut Conn,
            ws: WorkspaceId,
            cache: &mut BatchCache,
            p: &mut Placement,
            account_id: i64,
            m: &IncomingMessage,
        ) -> StoreResult<i64> {
            if let Some(key) = &m.conversation_key {
                if let Some(id) = p.by_key.get(key) {
                    return Ok(*id);
                }
                let id = match conversation_by_key(conn, ws, key).await? {
                    Some(id) => id,
                    None => {
                        let id = create_conversation(conn, ws, key, account_id, m).await?;
                        p.created.insert(id);
                        id
                    }
                };
                p.by_key.insert(key.clone(), id);
                return Ok(id);
            }
            let channel = m.channel.as_str().to_owned();
            let parent = m
                .reply_to
                .as_ref()
                .and_then(|r| p.conv_of.get(&(channel.clone(), r.clone())))
                .copied();
            let mut early: Vec<i64> = p
                .replies_to
                .get(&(channel.clone(), m.platform_id.clone()))
                .cloned()
                .unwrap_or_default();
            early.sort_unstable();
            early.dedup();
            let target = match parent.or_else(|| early.first().copied()) {
                Some(id) => id,
                None => {
                    let key = format!("{channel}:{}", m.platform_id);
                    let id = create_conversation(conn, ws, &key, account_id, m).await?;
                    p.created.insert(id);
                    id
                }
            };
            for other in early.into_iter().filter(|c| *c != target) {
                merge_conversation(conn, ws, other, target).await?;
                p.merged(other, target);
                cache.touched.remove(&other);
                cache.merged += 1;
            }
            Ok(target)
        }

        /// Inserts placed messages with multi-row INSERTs and their first versions.
        async fn insert_placed(
            conn: &mut Conn,
            ws: WorkspaceId,
            placed: &[Placed<'_>],
        ) -> StoreResult<Vec<i64>> {
            let now = now_millis();
            let mut ids = Vec::with_capacity(placed.len());
            for chunk in placed.chunks(INSERT_CHUNK) {
                let rows: Vec<String> = (0..chunk.len())
                    .map(|i| format!("({})", placeholders(i * 14 + 1, 14)))
                    .collect();
                let q = format!(
                    "INSERT INTO messages (workspace_id, conversation_id, account_id, channel, \
                     platform_id, direction, visibility, reply_to, identity_id, text, \
                     platform_time, received_at, delivery, deleted_at) VALUES {} \
                     RETURNING platform_id, id",
                    rows.join(", ")
                );
                let q = sql_text(q);
                let mut query = sqlx::query_as::<_, (String, i64)>(&q);
                for r in chunk {
                    let delivery = match r.m.direction {
                        Direction::In => "received",
                        Direction::Out => "sent",
                    };
                    query = query
                        .bind(ws.0)
                        .bind(r.conversation_id)
                        .bind(r.account_id)
                        .bind(r.m.channel.as_str())
                        .bind(&r.m.platform_id)
                        .bind(r.m.direction.as_str())
                        .bind(r.m.visibility.as_str())
                        .bind(&r.m.reply_to)
                        .bind(r.identity_id)
                        .bind(&r.m.text)
                        .bind(r.m.platform_time)
                        .bind(now)
                        .bind(delivery)
                        .bind(r.m.deleted_at);
                }
                let returned: HashMap<String, i64> =
                    query.fetch_all(&mut *conn).await?.into_iter().collect();
                let first = ids.len();
                ids.extend(chunk.iter().map(|r| returned[&r.m.platform_id]));
                let versions: Vec<(i64, i64, &str)> = chunk
                    .iter()
                    .zip(&ids[first..])
                    .flat_map(|(r, id)| {
                        let texts = r.m.earlier_versions.iter().chain(std::iter::once(&r.m.text));
                        texts.enumerate().map(|(n, t)| (*id, n as i64 + 1, t.as_str()))
                    })
                    .collect();
                insert_versions(conn, ws, &versions, now).await?;
            }
            Ok(ids)
        }

        /// Stores every version `(message, number, text)` of new messages, several rows per
        /// statement.
        async fn insert_versions(
            conn: &mut Conn,
            ws: WorkspaceId,
            versions: &[(i64, i64, &str)],
            at: i64,
        ) -> StoreResult<()> {
            for chunk in versions.chunks(INSERT_CHUNK) {
                let rows: Vec<String> = (0..chunk.len())
                    .map(|i| format!("({})", placeholders(i * 5 + 1, 5)))
                    .collect();
                let q = format!(
                    "INSERT INTO message_versions (workspace_id, message_id, version, text, \
                     recorded_at) VALUES {}",
                    rows.join(", ")
                );
                let q = sql_text(q);
                let mut query = sqlx::query(&q);
                for (id, n, text) in chunk {
                    query = query.bind(ws.0).bind(*id).bind(*n).bind(*text).bind(at);
                }
                query.execute(&mut *conn).await?;
            }
            Ok(())
        }

        /// Recomputes derived fields of many conversations, one statement per chunk.
        async fn recompute_many(conn: &mut Conn, ids: &[i64]) -> StoreResult<()> {
            for chunk in ids.chunks(LOOKUP_CHUNK) {
                let filter = format!("id IN ({})", placeholders(2, chunk.len()));
                let recompute = sql_text(sql::recompute_sql("conversations.id", "$1", &filter));
                let mut q = sqlx::query(&recompute).bind(now_millis());
                for id in chunk {
                    q = q.bind(*id);
                }
                q.execute(&mut *conn).await?;
                let filter = format!("id IN ({})", placeholders(1, chunk.len()));
                let fill = sql_text(sql::fill_contact_sql(&filter));
                let mut q = sqlx::query(&fill);
                for id in chunk {
                    q = q.bind(*id);
                }
                q.execute(&mut *conn).await?;
            }
            Ok(())
        }

        /// Places and stores one message; `None` when it was stored already.
        async fn ingest_one(
            conn: &mut Conn,
            ws: WorkspaceId,
            cache: &mut BatchCache,
            m: &IncomingMessage,
        ) -> StoreResult<Option<i64>> {
            let ids = ingest_batch(conn, ws, cache, std::slice::from_ref(m)).await?;
            Ok(ids.first().copied())
        }

        /// Places and stores a batch; returns the new messages' ids.
        async fn ingest_batch(
            conn: &mut Conn,
            ws: WorkspaceId,
            cache: &mut BatchCache,
            batch: &[IncomingMessage],
        ) -> StoreResult<Vec<i64>> {
            let stored = stored_ids(conn, ws, batch).await?;
            let mut seen = HashSet::new();
            let fresh: Vec<&IncomingMessage> = batch
                .iter()
                .filter(|m| {
                    let key = (m.channel.as_str().to_owned(), m.platform_id.clone());
                    !stored.contains(&key) && seen.insert(key)
                })
                .collect();
            let mut p = Placement::default();
            load_threads(conn, ws, &fresh, &mut p).await?;
            load_identities(conn, ws, &fresh, cache).await?;
            load_accounts(conn, ws, &fresh, cache).await?;
            let mut fresh_placed = Vec::with_capacity(fresh.len());
            // Conversations this call changed; `cache.touched` spans the caller's whole run.
            let mut here: HashSet<i64> = HashSet::new();
            for m in &fresh {
                let account_id = cached_account(conn, ws, cache, m).await?;
                let identity = cached_identity(conn, ws, cache, m).await?;
                let conv = place_one(conn, ws, cache, &mut p, account_id, m).await?;
                let channel = m.channel.as_str().to_owned();
                p.conv_of.insert((channel.clone(), m.platform_id.clone()), conv);
                if let Some(r) = &m.reply_to {
                    p.replies_to.entry((channel, r.clone())).or_default().push(conv);
                }
                let customer_wrote = m.direction == Direction::In && m.conversation_attrs.is_none();
                if customer_wrote && !p.created.contains(&conv) {
                    let at = p.reopen.entry(conv).or_insert(m.platform_time);
                    *at = (*at).max(m.platform_time);
                }
                cache.touched.insert(conv);
                here.insert(conv);
                p.placed_convs.push(conv);
                fresh_placed.push((account_id, identity.map(|i| i.0)));
            }
            for (conv, at) in std::mem::take(&mut p.reopen) {
                reopen_on_customer_message(conn, ws, conv, at).await?;
            }
            let placed: Vec<Placed> = fresh
                .iter()
                .zip(&p.placed_convs)
                .zip(&fresh_placed)
                .map(|((m, conv), (account_id, identity_id))| Placed {
                    m,
                    conversation_id: *conv,
                    account_id: *account_id,
                    identity_id: *identity_id,
                })
                .collect();
            let ids = insert_placed(conn, ws, &placed).await?;
            let mut touched: Vec<i64> = here.into_iter().collect();
            touched.sort_unstable();
            recompute_many(conn, &touched).await?;
            Ok(ids)
        }
    };
}

pub(crate) use ingest_sql;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positional_rewrites_only_ordered_single_use_parameters() {
        assert_eq!(
            positional("SELECT a FROM t WHERE w = $1 AND id IN ($2, $3)").as_deref(),
            Some("SELECT a FROM t WHERE w = ? AND id IN (?, ?)")
        );
        assert_eq!(
            positional("INSERT INTO t VALUES ($1, '$5', $2)").as_deref(),
            Some("INSERT INTO t VALUES (?, '$5', ?)")
        );
        // Reused, out of order or named parameters keep their numbers.
        assert_eq!(positional("WHERE a = $1 OR b = $1"), None);
        assert_eq!(positional("UPDATE t SET a = $2 WHERE w = $1"), None);
        assert_eq!(positional("WHERE a = $x"), None);
        assert_eq!(positional("SELECT 1").as_deref(), Some("SELECT 1"));
    }

    #[test]
    fn placeholders_number_from_the_start() {
        assert_eq!(placeholders(3, 3), "$3, $4, $5");
        assert_eq!(placeholders(1, 0), "");
    }
}
