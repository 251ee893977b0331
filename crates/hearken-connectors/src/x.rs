//! X (Twitter) payloads.
//!
//! [`parse_x`] accepts one JSON document and recognises these shapes:
//!
//! * **API v2 responses** (`data` object or array, `includes.users`, `errors`,
//!   `meta`): tweets become [`InboundEvent::Message`] with `conversation_id` as
//!   thread root and `referenced_tweets[type=replied_to]` as `in_reply_to`;
//!   retweets are skipped; a tweet whose `edit_history_tweet_ids` has several
//!   ids and which is the latest version becomes an [`InboundEvent::Edit`] of
//!   the *original* (first) id, with the latest id as `version_id`. v2 DM events
//!   (`event_type: MessageCreate`) become private messages. Write confirmations
//!   (`deleted`, `hidden`, `dm_event_id`), user objects and `errors` entries are
//!   skipped with a reason.
//! * **Account Activity webhook deliveries** (`for_user_id` plus
//!   `tweet_create_events`, `direct_message_events` with `users`/`apps` maps,
//!   `tweet_delete_events`; other `*_events` are skipped). When one delivery
//!   holds several `*_events` arrays they are visited in key order.
//! * **v1.1 objects**: a status, an array of statuses, DM `event` / `events`
//!   (`message_create`), user objects (skipped), `null` bodies (skipped).
//! * **Compliance stream lines** (`{"id", "action": "delete", "reason"}`).
//!
//! JSON Lines files (twarc output) are parsed with [`parse_x_lines`].
//!
//! Missing `created_at` is derived from the tweet/DM id (a snowflake encodes its
//! creation time). An item without an author id cannot be attributed and is
//! skipped as `incomplete`, naming the field to request. A DM sent by the brand
//! from our own app (`source_app_id` = `ctx.app_id`) is an [`InboundEvent::Echo`].
//! Text is entity-decoded (`&amp;` → `&`), as X escapes `&`, `<`, `>`.

use jiff::Timestamp;
use serde_json::Value;

use crate::html::decode_entities;
use crate::model::{
    AccountContext, Author, Channel, DeleteReason, InboundEvent, ItemUpsert, ParseError, Visibility,
};
use crate::util::{
    arr_field, as_obj, decode, epoch_field, flatten, id_field, id_value, need_id, obj_field,
    parse_json_lines, rfc3339_field, str_field, u64_field, EntryResult, Obj,
};

pub use crate::signature::{crc_response, verify_x_signature, x_signature};

/// Twitter snowflake epoch (2010-11-04T01:42:54.657Z) in milliseconds.
const SNOWFLAKE_EPOCH_MS: i64 = 1_288_834_974_657;

/// Parse one X JSON document (see module docs for the accepted shapes).
pub fn parse_x(body: &[u8], ctx: &AccountContext) -> Result<Vec<InboundEvent>, ParseError> {
    let value = decode(body)?;
    Ok(parse_value(&value, ctx))
}

/// Parse X JSON Lines (one document per line); a bad line yields `Invalid`.
pub fn parse_x_lines(body: &[u8], ctx: &AccountContext) -> Vec<InboundEvent> {
    parse_json_lines(body, |line| parse_x(line, ctx))
}

fn parse_value(value: &Value, ctx: &AccountContext) -> Vec<InboundEvent> {
    let mut out = Vec::new();
    match value {
        Value::Null => out.push(InboundEvent::skipped("X: empty (null) body")),
        Value::Array(items) => {
            for item in items {
                flatten(v1_status_value(item, ctx), &mut out);
            }
        }
        Value::Object(o) => parse_object(o, ctx, &mut out),
        _ => out.push(InboundEvent::invalid(
            "X: top level is not an object or array",
        )),
    }
    out
}

fn parse_object(o: &Obj, ctx: &AccountContext, out: &mut Vec<InboundEvent>) {
    if o.contains_key("for_user_id") || o.keys().any(|k| k.ends_with("_events")) {
        account_activity(o, ctx, out);
    } else if o.contains_key("data") || o.contains_key("errors") || o.contains_key("meta") {
        v2_response(o, ctx, out);
    } else if o.contains_key("action") {
        flatten(compliance(o), out);
    } else if let Some(event) = o.get("event") {
        flatten(v1_dm_value(event, o, ctx), out);
    } else if let Some(events) = o.get("events").and_then(Value::as_array) {
        events
            .iter()
            .for_each(|e| flatten(v1_dm_value(e, o, ctx), out));
    } else if o.contains_key("user") && (o.contains_key("text") || o.contains_key("full_text")) {
        flatten(v1_status(o, ctx), out);
    } else if o.contains_key("screen_name") {
        out.push(InboundEvent::skipped(
            "X: user object, not a conversation item",
        ));
    } else {
        out.push(InboundEvent::skipped(format!(
            "X: unrecognised payload (keys: {})",
            o.keys().cloned().collect::<Vec<_>>().join(",")
        )));
    }
}

// ---------------------------------------------------------------- v2 ------

/// `includes.users` of a v2 response, for author lookup.
struct Includes<'a> {
    users: &'a [Value],
}

impl Includes<'_> {
    fn author(&self, id: &str) -> Author {
        let found = self
            .users
            .iter()
            .filter_map(Value::as_object)
            .find(|u| id_field(u, "id").as_deref() == Some(id));
        let Some(u) = found else {
            return Author::id_only(id);
        };
        Author {
            platform_user_id: id.to_string(),
            handle: str_field(u, "username").map(str::to_string),
            display_name: str_field(u, "name").map(str::to_string),
            followers: obj_field(u, "public_metrics").and_then(|m| u64_field(m, "followers_count")),
        }
    }
}

fn v2_response(o: &Obj, ctx: &AccountContext, out: &mut Vec<InboundEvent>) {
    let includes = Includes {
        users: obj_field(o, "includes")
            .map(|i| arr_field(i, "users"))
            .unwrap_or(&[]),
    };
    match o.get("data") {
        Some(Value::Array(items)) => items
            .iter()
            .for_each(|i| flatten(v2_item(i, &includes, ctx), out)),
        Some(item @ Value::Object(_)) => flatten(v2_item(item, &includes, ctx), out),
        Some(Value::Null) | None => {}
        Some(_) => out.push(InboundEvent::invalid("X v2: `data` has the wrong type")),
    }
    for err in arr_field(o, "errors") {
        out.push(InboundEvent::skipped(v2_error_reason(err)));
    }
}

fn v2_error_reason(err: &Value) -> String {
    let o = err.as_object();
    let get = |k| o.and_then(|o| str_field(o, k)).unwrap_or("?");
    format!("X v2 error: {}: {}", get("title"), get("detail"))
}

fn v2_item(item: &Value, inc: &Includes, ctx: &AccountContext) -> EntryResult {
    let o = as_obj(item, "X v2 data item")?;
    if o.contains_key("event_type") {
        v2_dm(o, ctx)
    } else if o.contains_key("text") && o.contains_key("id") {
        v2_tweet(o, inc, ctx)
    } else {
        Ok(vec![InboundEvent::skipped(v2_other_reason(o))])
    }
}

fn v2_other_reason(o: &Obj) -> String {
    let what = if o.contains_key("username") {
        "user object"
    } else if o.contains_key("deleted") {
        "delete-tweet confirmation"
    } else if o.contains_key("hidden") {
        "hide-reply confirmation"
    } else if o.contains_key("dm_event_id") {
        "DM send confirmation (no text)"
    } else {
        "unrecognised data item"
    };
    format!("X v2: {what}")
}

fn referenced(o: &Obj, kind: &str) -> Option<String> {
    arr_field(o, "referenced_tweets")
        .iter()
        .filter_map(Value::as_object)
        .find(|r| str_field(r, "type") == Some(kind))
        .and_then(|r| id_field(r, "id"))
}

fn v2_tweet(o: &Obj, inc: &Includes, ctx: &AccountContext) -> EntryResult {
    let id = need_id(o, "id", "X tweet")?;
    if let Some(orig) = referenced(o, "retweeted") {
        return Ok(vec![InboundEvent::skipped(format!(
            "X: tweet {id} is a retweet of {orig}"
        ))]);
    }
    let text = decode_entities(tweet_text(o));
    let created_at = tweet_time(o, &id)?;
    if let Some(edit) = v2_edit(o, &id, &text, created_at) {
        return Ok(vec![edit]);
    }
    let Some(author_id) = id_field(o, "author_id") else {
        return Ok(vec![incomplete(
            &id,
            "tweet",
            "author_id (tweet.fields=author_id)",
        )]);
    };
    Ok(vec![InboundEvent::Message(ItemUpsert {
        channel: Channel::X,
        thread_root_id: id_field(o, "conversation_id"),
        in_reply_to: referenced(o, "replied_to"),
        visibility: Visibility::Public,
        from_brand: ctx.is_brand(&author_id),
        author: inc.author(&author_id),
        text,
        created_at,
        lang: lang(o),
        raw_kind: "tweet".into(),
        platform_id: id,
    })])
}

fn tweet_text(o: &Obj) -> &str {
    obj_field(o, "note_tweet")
        .and_then(|n| str_field(n, "text"))
        .or_else(|| str_field(o, "text"))
        .unwrap_or("")
}

/// An edited tweet seen in its latest version: Edit of the original id.
fn v2_edit(o: &Obj, id: &str, text: &str, at: Timestamp) -> Option<InboundEvent> {
    let history: Vec<String> = arr_field(o, "edit_history_tweet_ids")
        .iter()
        .filter_map(id_value)
        .collect();
    let (first, last) = (history.first()?, history.last()?);
    (history.len() > 1 && last == id && first != id).then(|| InboundEvent::Edit {
        platform_id: first.clone(),
        text: text.to_string(),
        edited_at: at,
        version_id: Some(id.to_string()),
    })
}

fn v2_dm(o: &Obj, ctx: &AccountContext) -> EntryResult {
    let id = need_id(o, "id", "X DM event")?;
    let kind = str_field(o, "event_type").unwrap_or("?");
    if kind != "MessageCreate" {
        return Ok(vec![InboundEvent::skipped(format!(
            "X: DM event {id} of type {kind}"
        ))]);
    }
    let Some(sender) = id_field(o, "sender_id") else {
        return Ok(vec![incomplete(
            &id,
            "DM",
            "sender_id (dm_event.fields=sender_id)",
        )]);
    };
    Ok(vec![InboundEvent::Message(ItemUpsert {
        channel: Channel::X,
        thread_root_id: id_field(o, "dm_conversation_id"),
        in_reply_to: None,
        visibility: Visibility::Private,
        from_brand: ctx.is_brand(&sender),
        author: Author::id_only(sender),
        text: decode_entities(str_field(o, "text").unwrap_or("")),
        created_at: tweet_time(o, &id)?,
        lang: None,
        raw_kind: "dm".into(),
        platform_id: id,
    })])
}

fn incomplete(id: &str, what: &str, field: &str) -> InboundEvent {
    InboundEvent::skipped(format!(
        "X: incomplete {what} {id}: no author; request {field}"
    ))
}

/// `created_at` (RFC 3339), else the time encoded in the snowflake id.
fn tweet_time(o: &Obj, id: &str) -> Result<Timestamp, String> {
    rfc3339_field(o, "created_at")
        .or_else(|| snowflake_time(id))
        .ok_or_else(|| format!("X item {id}: no created_at and id is not a snowflake"))
}

/// Creation time encoded in a snowflake id (ids from late 2010 on).
pub fn snowflake_time(id: &str) -> Option<Timestamp> {
    let n: u64 = id.parse().ok()?;
    if n < 1_000_000_000_000_000 {
        return None;
    }
    let ms = i64::try_from(n >> 22).ok()? + SNOWFLAKE_EPOCH_MS;
    Timestamp::from_millisecond(ms).ok()
}

fn lang(o: &Obj) -> Option<String> {
    str_field(o, "lang")
        .filter(|l| !matches!(*l, "und" | "qst" | "qme" | "zxx"))
        .map(str::to_string)
}

// -------------------------------------------------------------- v1.1 ------

fn v1_status_value(v: &Value, ctx: &AccountContext) -> EntryResult {
    v1_status(as_obj(v, "X status")?, ctx)
}

fn v1_status(o: &Obj, ctx: &AccountContext) -> EntryResult {
    let id = id_field(o, "id_str")
        .or_else(|| id_field(o, "id"))
        .ok_or("X status lacks an id")?;
    if let Some(rt) = obj_field(o, "retweeted_status") {
        let orig = id_field(rt, "id_str").unwrap_or_default();
        return Ok(vec![InboundEvent::skipped(format!(
            "X: tweet {id} is a retweet of {orig}"
        ))]);
    }
    let user = obj_field(o, "user").ok_or_else(|| format!("X status {id} lacks `user`"))?;
    let author = v1_user(user).ok_or_else(|| format!("X status {id}: user lacks id"))?;
    let in_reply_to = id_field(o, "in_reply_to_status_id_str");
    Ok(vec![InboundEvent::Message(ItemUpsert {
        channel: Channel::X,
        thread_root_id: if in_reply_to.is_none() {
            Some(id.clone())
        } else {
            None
        },
        in_reply_to,
        visibility: Visibility::Public,
        from_brand: ctx.is_brand(&author.platform_user_id),
        author,
        text: decode_entities(v1_text(o)),
        created_at: v1_time(o, &id)?,
        lang: lang(o),
        raw_kind: "tweet".into(),
        platform_id: id,
    })])
}

fn v1_text(o: &Obj) -> &str {
    obj_field(o, "extended_tweet")
        .and_then(|e| str_field(e, "full_text"))
        .or_else(|| str_field(o, "full_text"))
        .or_else(|| str_field(o, "text"))
        .unwrap_or("")
}

fn v1_user(u: &Obj) -> Option<Author> {
    Some(Author {
        platform_user_id: id_field(u, "id_str").or_else(|| id_field(u, "id"))?,
        handle: str_field(u, "screen_name").map(str::to_string),
        display_name: str_field(u, "name").map(str::to_string),
        followers: u64_field(u, "followers_count"),
    })
}

/// `timestamp_ms`, else `created_at` like `Fri Dec 13 04:48:09 +0000 2019`, else the snowflake.
fn v1_time(o: &Obj, id: &str) -> Result<Timestamp, String> {
    epoch_field(o, "timestamp_ms")
        .or_else(|| str_field(o, "created_at").and_then(parse_v1_date))
        .or_else(|| snowflake_time(id))
        .ok_or_else(|| format!("X status {id}: no usable timestamp"))
}

/// Parse the classic X date format `Fri Dec 13 04:48:09 +0000 2019`.
pub fn parse_v1_date(s: &str) -> Option<Timestamp> {
    jiff::fmt::strtime::parse("%a %b %d %H:%M:%S %z %Y", s)
        .ok()?
        .to_timestamp()
        .ok()
}

// ---------------------------------------------------------------- DMs -----

fn v1_dm_value(v: &Value, envelope: &Obj, ctx: &AccountContext) -> EntryResult {
    v1_dm(as_obj(v, "X DM event")?, envelope, ctx)
}

/// A v1.1 / Account Activity `message_create` event; `envelope` holds the `users` map.
fn v1_dm(e: &Obj, envelope: &Obj, ctx: &AccountContext) -> EntryResult {
    let id = need_id(e, "id", "X DM event")?;
    if str_field(e, "type") != Some("message_create") {
        let kind = str_field(e, "type").unwrap_or("?");
        return Ok(vec![InboundEvent::skipped(format!(
            "X: DM event {id} of type {kind}"
        ))]);
    }
    let mc =
        obj_field(e, "message_create").ok_or_else(|| format!("X DM {id} lacks message_create"))?;
    let sender = need_id(mc, "sender_id", "X DM message_create")?;
    let recipient = obj_field(mc, "target")
        .and_then(|t| id_field(t, "recipient_id"))
        .ok_or_else(|| format!("X DM {id} lacks target.recipient_id"))?;
    let text = obj_field(mc, "message_data")
        .and_then(|d| str_field(d, "text"))
        .map(decode_entities)
        .unwrap_or_default();
    let at = epoch_field(e, "created_timestamp")
        .or_else(|| snowflake_time(&id))
        .ok_or_else(|| format!("X DM {id} lacks created_timestamp"))?;
    let app_id = id_field(mc, "source_app_id");
    if ctx.is_brand(&sender) && app_id.is_some() && app_id == ctx.app_id {
        let ev = InboundEvent::Echo {
            platform_id: id,
            app_id,
            recipient_id: recipient,
            text,
            at,
        };
        return Ok(vec![ev]);
    }
    Ok(vec![InboundEvent::Message(ItemUpsert {
        channel: Channel::X,
        thread_root_id: Some(dm_conversation_id(&sender, &recipient)),
        in_reply_to: None,
        visibility: Visibility::Private,
        from_brand: ctx.is_brand(&sender),
        author: dm_author(envelope, &sender),
        text,
        created_at: at,
        lang: None,
        raw_kind: "dm".into(),
        platform_id: id,
    })])
}

fn dm_author(envelope: &Obj, sender: &str) -> Author {
    obj_field(envelope, "users")
        .and_then(|users| obj_field(users, sender))
        .and_then(v1_user)
        .unwrap_or_else(|| Author::id_only(sender))
}

/// X's one-to-one conversation id: `<smaller id>-<larger id>`.
pub fn dm_conversation_id(a: &str, b: &str) -> String {
    let (lo, hi) = if crate::mastodon::id_cmp(a, b).is_le() {
        (a, b)
    } else {
        (b, a)
    };
    format!("{lo}-{hi}")
}

// ----------------------------------------------------- Account Activity ---

fn account_activity(o: &Obj, ctx: &AccountContext, out: &mut Vec<InboundEvent>) {
    if let Some(for_user) = id_field(o, "for_user_id") {
        if !ctx.brand_user_id.is_empty() && !ctx.is_brand(&for_user) {
            out.push(InboundEvent::invalid(format!(
                "X: delivery for user {for_user}, but the connected account is {}",
                ctx.brand_user_id
            )));
            return;
        }
    }
    for (key, value) in o.iter().filter(|(k, _)| k.ends_with("_events")) {
        let Some(events) = value.as_array() else {
            out.push(InboundEvent::invalid(format!("X: `{key}` is not an array")));
            continue;
        };
        for event in events {
            flatten(activity_event(key, event, o, ctx), out);
        }
    }
}

fn activity_event(key: &str, event: &Value, envelope: &Obj, ctx: &AccountContext) -> EntryResult {
    match key {
        "tweet_create_events" => v1_status_value(event, ctx),
        "direct_message_events" => v1_dm_value(event, envelope, ctx),
        "tweet_delete_events" => tweet_delete(as_obj(event, "tweet_delete_event")?),
        other => Ok(vec![InboundEvent::skipped(format!(
            "X: `{other}` entry is not a conversation item"
        ))]),
    }
}

fn tweet_delete(e: &Obj) -> EntryResult {
    let status = obj_field(e, "status").ok_or("X tweet_delete_event lacks `status`")?;
    let id = need_id(status, "id", "X tweet_delete_event status")?;
    Ok(vec![InboundEvent::Delete {
        platform_id: id,
        deleted_at: epoch_field(e, "timestamp_ms"),
        reason: DeleteReason::ByAuthor,
    }])
}

// ------------------------------------------------------------ compliance --

fn compliance(o: &Obj) -> EntryResult {
    let id = need_id(o, "id", "X compliance event")?;
    let action = str_field(o, "action").unwrap_or("?");
    let reason = str_field(o, "reason").unwrap_or("deleted");
    if action != "delete" {
        return Ok(vec![InboundEvent::skipped(format!(
            "X compliance: action {action} for {id}"
        ))]);
    }
    let reason = match reason {
        "suspended" | "withheld" => DeleteReason::ByPlatform,
        _ => DeleteReason::ByAuthor,
    };
    Ok(vec![InboundEvent::Delete {
        platform_id: id,
        deleted_at: rfc3339_field(o, "created_at"),
        reason,
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snowflake_decodes() {
        // 1576994789110992896 was created 2022-10-03T17:57:11Z (per its created_at).
        let t = snowflake_time("1576994789110992896").unwrap();
        assert_eq!(t.as_second(), 1_664_819_831);
        assert_eq!(snowflake_time("25712847277"), None);
        assert_eq!(snowflake_time("x"), None);
    }

    #[test]
    fn v1_date() {
        let t = parse_v1_date("Fri Dec 13 04:48:09 +0000 2019").unwrap();
        assert_eq!(t.to_string(), "2019-12-13T04:48:09Z");
        assert_eq!(parse_v1_date("yesterday"), None);
    }

    #[test]
    fn conversation_id_orders_numerically() {
        assert_eq!(
            dm_conversation_id("1072250532645998596", "750362064426721281"),
            "750362064426721281-1072250532645998596"
        );
    }
}
