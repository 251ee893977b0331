//! Recomputing the SLA figures of many conversations at once (issue #3), for imports,
//! channel batches, policy changes and rebuilds.
//!
//! The result is the one `sla_refresh_in` gives conversation by conversation; what
//! changes is the cost. The inputs of a chunk of conversations are read with one query
//! per table, states and clocks are written with multi-row statements, and the rollups
//! of the whole batch are summed in memory (`RollupBatch`) so each rollup row is read and
//! written once per batch instead of once per conversation.

/// Conversations read per chunk (one IN list per input table).
pub(crate) const REFRESH_CHUNK: usize = 200;

/// Rows per multi-row write, near 500 parameters a statement (see `ingest::positional`
/// for why SQLite's parameter binding cares).
pub(crate) const STATE_ROWS: usize = 25;
pub(crate) const CLOCK_ROWS: usize = 20;
pub(crate) const ROLLUP_ROWS: usize = 30;
pub(crate) const ROLLUP_KEYS: usize = 100;

macro_rules! sla_batch_sql {
    () => {
        use std::collections::BTreeMap;

        use crate::sla::rollup::RollupBatch;
        use crate::storage::ingest::placeholders as batch_placeholders;
        use crate::storage::sla_batch::{
            CLOCK_ROWS, REFRESH_CHUNK, ROLLUP_KEYS, ROLLUP_ROWS, STATE_ROWS,
        };

        /// `sla_refresh_in` for many conversations; `unroll` false when the rollups were
        /// cleared beforehand (a rebuild).
        async fn sla_refresh_many_in(
            conn: &mut Conn,
            ws: WorkspaceId,
            ids: &[i64],
            unroll: bool,
        ) -> StoreResult<()> {
            if ids.is_empty() {
                return Ok(());
            }
            let policies = sla_policies_in(conn, ws).await?;
            let calendars: Vec<SlaCalendarRow> =
                sqlx::query_as("SELECT * FROM sla_calendars WHERE workspace_id = $1 ORDER BY id")
                    .bind(ws.0)
                    .fetch_all(&mut *conn)
                    .await?;
            let tz = crate::sla::engine::workspace_tz(&calendars);
            let teams: HashMap<i64, String> =
                sqlx::query_as::<_, (i64, String)>("SELECT id, name FROM teams WHERE workspace_id = $1")
                    .bind(ws.0)
                    .fetch_all(&mut *conn)
                    .await?
                    .into_iter()
                    .collect();
            let mut rollups = RollupBatch::default();
            let now = now_millis();
            for chunk in ids.chunks(REFRESH_CHUNK) {
                if unroll {
                    sla_unroll_chunk(conn, ws, chunk, &tz, &mut rollups).await?;
                }
                let inputs = sla_inputs_chunk(conn, ws, chunk, &teams, &policies, &calendars).await?;
                let list = batch_placeholders(2, chunk.len());
                let q = format!(
                    "DELETE FROM sla_clocks WHERE workspace_id = $1 AND conversation_id IN ({list})"
                );
                let q = sql_text(q);
                let mut dq = sqlx::query(&q).bind(ws.0);
                for id in chunk {
                    dq = dq.bind(*id);
                }
                dq.execute(&mut *conn).await?;
                let mut states = Vec::new();
                let mut clocks = Vec::new();
                let mut gone: Vec<i64> = Vec::new();
                for id in chunk {
                    let Some(input) = inputs.get(id) else {
                        gone.push(*id);
                        continue;
                    };
                    let computed = crate::sla::engine::compute_rows(input, now, None);
                    match computed.state {
                        Some(state) => {
                            let c = crate::sla::rollup::contributions(
                                &state,
                                &computed.clocks,
                                &input.tags,
                                &tz,
                            );
                            rollups.add(&c, 1);
                            let tags = serde_json::to_string(&input.tags).unwrap_or_default();
                            states.push((state, tags));
                        }
                        None => gone.push(*id),
                    }
                    clocks.extend(computed.clocks);
                }
                if !gone.is_empty() {
                    let q = format!(
                        "DELETE FROM sla_conversations WHERE workspace_id = $1 AND conversation_id IN ({})",
                        batch_placeholders(2, gone.len())
                    );
                    let q = sql_text(q);
                    let mut dq = sqlx::query(&q).bind(ws.0);
                    for id in &gone {
                        dq = dq.bind(*id);
                    }
                    dq.execute(&mut *conn).await?;
                }
                sla_write_states(conn, ws, &states, now).await?;
                sla_write_clocks(conn, ws, &clocks).await?;
            }
            sla_write_rollups(conn, ws, &rollups).await
        }

        /// Takes a chunk's stored contributions out (into the batch).
        async fn sla_unroll_chunk(
            conn: &mut Conn,
            ws: WorkspaceId,
            chunk: &[i64],
            tz: &jiff::tz::TimeZone,
            rollups: &mut RollupBatch,
        ) -> StoreResult<()> {
            let list = batch_placeholders(2, chunk.len());
            let q = format!(
                "{SLA_STATE_SELECT} WHERE workspace_id = $1 AND conversation_id IN ({list})"
            );
            let q = sql_text(q);
            let mut q = sqlx::query_as::<_, SlaStateRow>(&q).bind(ws.0);
            for id in chunk {
                q = q.bind(*id);
            }
            let old: Vec<SlaStateRow> = q.fetch_all(&mut *conn).await?;
            if old.is_empty() {
                return Ok(());
            }
            let q = format!(
                "SELECT conversation_id, rollup_tags FROM sla_conversations \
                 WHERE workspace_id = $1 AND conversation_id IN ({list})"
            );
            let q = sql_text(q);
            let mut q = sqlx::query_as::<_, (i64, Option<String>)>(&q).bind(ws.0);
            for id in chunk {
                q = q.bind(*id);
            }
            let tags: HashMap<i64, Vec<String>> = q
                .fetch_all(&mut *conn)
                .await?
                .into_iter()
                .map(|(id, t)| (id, t.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default()))
                .collect();
            let q = format!(
                "{SLA_CLOCK_SELECT} WHERE workspace_id = $1 AND conversation_id IN ({list}) \
                 ORDER BY conversation_id, seq"
            );
            let q = sql_text(q);
            let mut q = sqlx::query_as::<_, SlaClockRow>(&q).bind(ws.0);
            for id in chunk {
                q = q.bind(*id);
            }
            let mut clocks: HashMap<i64, Vec<SlaClockRow>> = HashMap::new();
            for k in q.fetch_all(&mut *conn).await? {
                clocks.entry(k.conversation_id).or_default().push(k);
            }
            for s in &old {
                let own = clocks.get(&s.conversation_id).map(Vec::as_slice).unwrap_or(&[]);
                let t = tags.get(&s.conversation_id).map(Vec::as_slice).unwrap_or(&[]);
                rollups.add(&crate::sla::rollup::contributions(s, own, t, tz), -1);
            }
            Ok(())
        }

        /// The inputs of a chunk of conversations, one query per table.
        async fn sla_inputs_chunk(
            conn: &mut Conn,
            ws: WorkspaceId,
            chunk: &[i64],
            teams: &HashMap<i64, String>,
            policies: &[SlaPolicyRow],
            calendars: &[SlaCalendarRow],
        ) -> StoreResult<HashMap<i64, SlaInputs>> {
            let list = batch_placeholders(2, chunk.len());
            let q = format!("{} WHERE c.workspace_id = $1 AND c.id IN ({list})", sql::CONVERSATION_SELECT);
            let q = sql_text(q);
            let mut q = sqlx::query_as::<_, ConversationRow>(&q).bind(ws.0);
            for id in chunk {
                q = q.bind(*id);
            }
            let conversations: Vec<ConversationRow> = q.fetch_all(&mut *conn).await?;
            let mut out: HashMap<i64, SlaInputs> = HashMap::with_capacity(conversations.len());
            if conversations.is_empty() {
                return Ok(out);
            }

            let q = format!(
                "SELECT conversation_id, tag FROM conversation_tags WHERE workspace_id = $1 \
                 AND conversation_id IN ({list}) ORDER BY conversation_id, tag"
            );
            let q = sql_text(q);
            let mut tq = sqlx::query_as::<_, (i64, String)>(&q).bind(ws.0);
            for id in chunk {
                tq = tq.bind(*id);
            }
            let mut tags: HashMap<i64, Vec<String>> = HashMap::new();
            for (id, tag) in tq.fetch_all(&mut *conn).await? {
                tags.entry(id).or_default().push(tag);
            }

            let contacts: Vec<i64> = {
                let mut v: Vec<i64> = conversations.iter().filter_map(|c| c.contact_id).collect();
                v.sort_unstable();
                v.dedup();
                v
            };
            let mut vip: HashSet<i64> = HashSet::new();
            if !contacts.is_empty() {
                let q = format!(
                    "SELECT id, CAST(vip AS BIGINT) FROM contacts WHERE workspace_id = $1 AND id IN ({})",
                    batch_placeholders(2, contacts.len())
                );
                let q = sql_text(q);
                let mut vq = sqlx::query_as::<_, (i64, i64)>(&q).bind(ws.0);
                for id in &contacts {
                    vq = vq.bind(*id);
                }
                for (id, v) in vq.fetch_all(&mut *conn).await? {
                    if v != 0 {
                        vip.insert(id);
                    }
                }
            }

            let q = format!(
                "SELECT conversation_id, id, platform_time, direction, visibility, sender_kind \
                 FROM messages WHERE workspace_id = $1 AND conversation_id IN ({list}) \
                 ORDER BY conversation_id, platform_time, id"
            );
            let q = sql_text(q);
            let mut mq =
                sqlx::query_as::<_, (i64, i64, i64, String, String, String)>(&q).bind(ws.0);
            for id in chunk {
                mq = mq.bind(*id);
            }
            let mut messages: HashMap<i64, Vec<SlaMessageRow>> = HashMap::new();
            for (conv, id, platform_time, direction, visibility, sender_kind) in
                mq.fetch_all(&mut *conn).await?
            {
                messages.entry(conv).or_default().push(SlaMessageRow {
                    id,
                    platform_time,
                    direction,
                    visibility,
                    sender_kind,
                });
            }

            let q = format!(
                "SELECT conversation_id, created_at FROM notes WHERE workspace_id = $1 \
                 AND conversation_id IN ({list})"
            );
            let q = sql_text(q);
            let mut nq = sqlx::query_as::<_, (i64, i64)>(&q).bind(ws.0);
            for id in chunk {
                nq = nq.bind(*id);
            }
            let mut notes: HashMap<i64, Vec<i64>> = HashMap::new();
            for (conv, at) in nq.fetch_all(&mut *conn).await? {
                notes.entry(conv).or_default().push(at);
            }

            let q = format!(
                "SELECT conversation_id, at, kind, detail FROM sla_events WHERE workspace_id = $1 \
                 AND conversation_id IN ({list}) ORDER BY conversation_id, at, id"
            );
            let q = sql_text(q);
            let mut eq = sqlx::query_as::<_, (i64, i64, String, Option<String>)>(&q).bind(ws.0);
            for id in chunk {
                eq = eq.bind(*id);
            }
            let mut events: HashMap<i64, Vec<SlaEventRow>> = HashMap::new();
            for (conv, at, kind, detail) in eq.fetch_all(&mut *conn).await? {
                events.entry(conv).or_default().push(SlaEventRow { at, kind, detail });
            }

            for conversation in conversations {
                let id = conversation.id;
                out.insert(
                    id,
                    SlaInputs {
                        team_name: conversation.team_id.and_then(|t| teams.get(&t).cloned()),
                        tags: tags.remove(&id).unwrap_or_default(),
                        vip: conversation.contact_id.is_some_and(|c| vip.contains(&c)),
                        messages: messages.remove(&id).unwrap_or_default(),
                        notes: notes.remove(&id).unwrap_or_default(),
                        events: events.remove(&id).unwrap_or_default(),
                        policies: policies.to_vec(),
                        calendars: calendars.to_vec(),
                        conversation,
                    },
                );
            }
            Ok(out)
        }

        /// Upserts live states; a warning already announced stays announced while the due
        /// instant is unchanged.
        async fn sla_write_states(
            conn: &mut Conn,
            ws: WorkspaceId,
            states: &[(SlaStateRow, String)],
            now: i64,
        ) -> StoreResult<()> {
            for chunk in states.chunks(STATE_ROWS) {
                let rows: Vec<String> = (0..chunk.len())
                    .map(|i| {
                        let p = batch_placeholders(i * 17 + 1, 17);
                        format!("({p}, NULL)")
                    })
                    .collect();
                let q = format!(
                    "INSERT INTO sla_conversations (conversation_id, workspace_id, policy_key, \
                     policy_version, calendar_id, opened_at, live_metric, live_state, due_at, \
                     warn_at, business_time, account_id, channel, assignee_id, team_id, \
                     computed_at, rollup_tags, notified_state) VALUES {} \
                     ON CONFLICT (conversation_id) DO UPDATE SET \
                     policy_key = excluded.policy_key, policy_version = excluded.policy_version, \
                     calendar_id = excluded.calendar_id, opened_at = excluded.opened_at, \
                     live_metric = excluded.live_metric, live_state = excluded.live_state, \
                     due_at = excluded.due_at, warn_at = excluded.warn_at, \
                     business_time = excluded.business_time, account_id = excluded.account_id, \
                     channel = excluded.channel, assignee_id = excluded.assignee_id, \
                     team_id = excluded.team_id, \
                     notified_state = CASE WHEN sla_conversations.due_at IS NOT DISTINCT FROM \
                        excluded.due_at THEN sla_conversations.notified_state ELSE NULL END, \
                     computed_at = excluded.computed_at, rollup_tags = excluded.rollup_tags",
                    rows.join(", ")
                );
                let q = sql_text(q);
                let mut q = sqlx::query(&q);
                for (s, tags) in chunk {
                    q = q
                        .bind(s.conversation_id)
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
                        .bind(tags);
                }
                q.execute(&mut *conn).await?;
            }
            Ok(())
        }

        async fn sla_write_clocks(
            conn: &mut Conn,
            ws: WorkspaceId,
            clocks: &[SlaClockRow],
        ) -> StoreResult<()> {
            for chunk in clocks.chunks(CLOCK_ROWS) {
                let rows: Vec<String> = (0..chunk.len())
                    .map(|i| format!("({})", batch_placeholders(i * 25 + 1, 25)))
                    .collect();
                let q = format!(
                    "INSERT INTO sla_clocks (workspace_id, conversation_id, seq, metric, cycle, \
                     started_at, ended_at, calendar_minutes, business_minutes, \
                     active_calendar_minutes, active_business_minutes, paused_business_minutes, \
                     target_minutes, target_business, outcome, due_at, breached_at, \
                     overdue_minutes, inbound_items, policy_key, policy_version, account_id, \
                     channel, assignee_id, team_id) VALUES {}",
                    rows.join(", ")
                );
                let q = sql_text(q);
                let mut q = sqlx::query(&q);
                for k in chunk {
                    q = q
                        .bind(ws.0)
                        .bind(k.conversation_id)
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
                        .bind(k.team_id);
                }
                q.execute(&mut *conn).await?;
            }
            Ok(())
        }

        /// Writes a batch's rollup changes: the stored sketches of the rows whose samples
        /// change are read in chunks, then every row is upserted once.
        async fn sla_write_rollups(
            conn: &mut Conn,
            ws: WorkspaceId,
            rollups: &RollupBatch,
        ) -> StoreResult<()> {
            type SketchKey = (String, String, String, String);
            let sampled: Vec<&crate::sla::rollup::Key> =
                rollups.rows().filter(|(_, d)| d.has_samples()).map(|(k, _)| k).collect();
            // Read per (dimension, day) with IN lists: every column of the key is then an
            // index equality (a row-value IN list would make SQLite walk the workspace).
            let mut groups: BTreeMap<(&str, &str), (BTreeSet<&str>, BTreeSet<&str>)> =
                BTreeMap::new();
            for k in &sampled {
                let g = groups.entry((k.dim.as_str(), k.day.as_str())).or_default();
                g.0.insert(k.value.as_str());
                g.1.insert(k.metric.as_str());
            }
            let mut stored: HashMap<SketchKey, (Option<String>, Option<String>)> = HashMap::new();
            for ((dim, day), (values, metrics)) in groups {
                let values: Vec<&str> = values.into_iter().collect();
                let metrics: Vec<&str> = metrics.into_iter().collect();
                for chunk in values.chunks(ROLLUP_KEYS) {
                    let q = format!(
                        "SELECT dim_value, metric, sketch_business, sketch_calendar \
                         FROM sla_rollups WHERE workspace_id = $1 AND dim = $2 AND day = $3 \
                         AND dim_value IN ({}) AND metric IN ({})",
                        batch_placeholders(4, chunk.len()),
                        batch_placeholders(4 + chunk.len(), metrics.len())
                    );
                    let q = sql_text(q);
                    let mut q = sqlx::query_as::<_, (String, String, Option<String>, Option<String>)>(&q)
                        .bind(ws.0)
                        .bind(dim)
                        .bind(day);
                    for v in chunk.iter().chain(&metrics) {
                        q = q.bind(*v);
                    }
                    for (value, metric, sb, sc) in q.fetch_all(&mut *conn).await? {
                        stored.insert((dim.to_owned(), day.to_owned(), value, metric), (sb, sc));
                    }
                }
            }
            let rows: Vec<_> = rollups.rows().collect();
            for chunk in rows.chunks(ROLLUP_ROWS) {
                let values: Vec<String> = (0..chunk.len())
                    .map(|i| format!("({})", batch_placeholders(i * 16 + 1, 16)))
                    .collect();
                let q = format!(
                    "INSERT INTO sla_rollups (workspace_id, dim, day, dim_value, metric, count, \
                     unanswered, sum_business, sum_calendar, met, breached, inbound, answered, \
                     opened, sketch_business, sketch_calendar) VALUES {} \
                     ON CONFLICT (workspace_id, dim, day, dim_value, metric) DO UPDATE SET \
                     count = sla_rollups.count + excluded.count, \
                     unanswered = sla_rollups.unanswered + excluded.unanswered, \
                     sum_business = sla_rollups.sum_business + excluded.sum_business, \
                     sum_calendar = sla_rollups.sum_calendar + excluded.sum_calendar, \
                     met = sla_rollups.met + excluded.met, \
                     breached = sla_rollups.breached + excluded.breached, \
                     inbound = sla_rollups.inbound + excluded.inbound, \
                     answered = sla_rollups.answered + excluded.answered, \
                     opened = sla_rollups.opened + excluded.opened, \
                     sketch_business = COALESCE(excluded.sketch_business, sla_rollups.sketch_business), \
                     sketch_calendar = COALESCE(excluded.sketch_calendar, sla_rollups.sketch_calendar)",
                    values.join(", ")
                );
                let q = sql_text(q);
                let mut q = sqlx::query(&q);
                for (k, d) in chunk {
                    let (sb, sc) = if d.has_samples() {
                        let key = (k.dim.clone(), k.day.clone(), k.value.clone(), k.metric.clone());
                        let (b, c) = stored.get(&key).cloned().unwrap_or((None, None));
                        let (b, c) = d.sketches(b.as_deref(), c.as_deref());
                        (Some(b), Some(c))
                    } else {
                        (None, None)
                    };
                    let s = &d.sums;
                    q = q
                        .bind(ws.0)
                        .bind(&k.dim)
                        .bind(&k.day)
                        .bind(&k.value)
                        .bind(&k.metric)
                        .bind(s.count)
                        .bind(s.unanswered)
                        .bind(s.sum_business)
                        .bind(s.sum_calendar)
                        .bind(s.met)
                        .bind(s.breached)
                        .bind(s.inbound)
                        .bind(s.answered)
                        .bind(s.opened)
                        .bind(sb)
                        .bind(sc);
                }
                q.execute(&mut *conn).await?;
            }
            Ok(())
        }
    };
}

pub(crate) use sla_batch_sql;
