//! Mastodon payloads: REST entities, streaming events and a polling cursor.
//!
//! [`parse_mastodon`] takes one REST response body and recognises, per object
//! (a top-level array is taken element by element):
//!
//! * **Status** → [`InboundEvent::Message`] (`in_reply_to_id` → `in_reply_to`;
//!   a status that is not a reply is its own thread root). A status with
//!   `edited_at` additionally yields an [`InboundEvent::Edit`]. Boosts (`reblog`)
//!   are skipped.
//! * **Notification**: `mention` / `status` → the status as a `Message`;
//!   `update` → `Edit`; `favourite`, `reblog`, `follow`, `poll`... → skipped.
//! * **Conversation** (DM thread) → its `last_status`.
//! * **Context** (`ancestors` / `descendants`) → every status in it.
//! * Accounts, status sources, edit-history entries, push subscriptions,
//!   counters and `{"error": ..}` bodies → skipped with a reason.
//!
//! [`parse_mastodon_stream`] takes a `text/event-stream` body (see
//! [`parse_event_stream`]) and maps events: `update` → `Message`,
//! `status.update` → `Edit`, `notification` and `conversation` as above,
//! `delete` (data = bare status id) → `Delete(ByAuthor)`; others skipped.
//!
//! Visibility: `public` and `unlisted` are [`Visibility::Public`]; `private`
//! (followers only), `direct`, `limited` and anything unknown are
//! [`Visibility::Private`], so nothing with a restricted audience is answered
//! in public. `content` HTML is converted with [`crate::html::html_to_text`]; a
//! content warning is kept as a `[CW: ...]` prefix.
//!
//! [`poll_since`] walks forward from a stored cursor with `min_id` so that
//! nothing is skipped when more items arrived than one page holds.

use std::cmp::Ordering;
use std::collections::HashSet;

use serde_json::Value;

use crate::html::html_to_text;
use crate::model::{
    AccountContext, Author, Channel, DeleteReason, InboundEvent, ItemUpsert, ParseError, Visibility,
};
use crate::util::{
    arr_field, as_obj, decode, flatten, id_field, need_id, obj_field, rfc3339_field, str_field,
    u64_field, EntryResult, Obj,
};

/// Parse one Mastodon REST response body (see module docs).
pub fn parse_mastodon(body: &[u8], ctx: &AccountContext) -> Result<Vec<InboundEvent>, ParseError> {
    let value = decode(body)?;
    let mut out = Vec::new();
    match &value {
        Value::Array(items) => items.iter().for_each(|i| flatten(entity(i, ctx), &mut out)),
        Value::Object(_) => flatten(entity(&value, ctx), &mut out),
        _ => {
            return Err(ParseError::Shape(
                "Mastodon body is not an object or array".into(),
            ))
        }
    }
    Ok(out)
}

/// Dispatch one REST entity by its shape.
fn entity(v: &Value, ctx: &AccountContext) -> EntryResult {
    let o = as_obj(v, "Mastodon entity")?;
    if o.contains_key("ancestors") || o.contains_key("descendants") {
        return context(o, ctx);
    }
    if o.contains_key("last_status") && o.contains_key("accounts") {
        return conversation(o, ctx);
    }
    if o.contains_key("type") && o.contains_key("account") && !o.contains_key("content") {
        return notification(o, ctx);
    }
    if o.contains_key("content") && o.contains_key("id") && o.contains_key("account") {
        return status(o, ctx);
    }
    Ok(vec![InboundEvent::skipped(other_reason(o))])
}

fn other_reason(o: &Obj) -> String {
    let what = if let Some(err) = str_field(o, "error") {
        format!("API error: {err}")
    } else if o.contains_key("account") && o.contains_key("text") {
        "status with source text (delete/redraft response)".into()
    } else if o.contains_key("acct") {
        "account object".into()
    } else if o.contains_key("content") {
        "status edit-history entry".into()
    } else if o.contains_key("text") && o.contains_key("spoiler_text") {
        "status source".into()
    } else if o.contains_key("endpoint") {
        "push subscription".into()
    } else if o.is_empty() {
        "empty object".into()
    } else {
        let keys: Vec<&str> = o.keys().map(String::as_str).collect();
        format!("unrecognised entity (keys: {})", keys.join(","))
    };
    format!("Mastodon: {what}")
}

fn context(o: &Obj, ctx: &AccountContext) -> EntryResult {
    let mut out = Vec::new();
    for s in arr_field(o, "ancestors")
        .iter()
        .chain(arr_field(o, "descendants"))
    {
        flatten(
            as_obj(s, "context status").and_then(|s| status(s, ctx)),
            &mut out,
        );
    }
    Ok(out)
}

fn conversation(o: &Obj, ctx: &AccountContext) -> EntryResult {
    match obj_field(o, "last_status") {
        Some(s) => status(s, ctx),
        None => {
            let id = id_field(o, "id").unwrap_or_default();
            Ok(vec![InboundEvent::skipped(format!(
                "Mastodon: conversation {id} without last_status"
            ))])
        }
    }
}

fn notification(o: &Obj, ctx: &AccountContext) -> EntryResult {
    let id = need_id(o, "id", "Mastodon notification")?;
    let kind = str_field(o, "type").unwrap_or("?");
    let st = obj_field(o, "status");
    match (kind, st) {
        ("mention" | "status", Some(s)) => status(s, ctx),
        ("update", Some(s)) => status_edit(s).map(|e| vec![e]),
        _ => Ok(vec![InboundEvent::skipped(format!(
            "Mastodon: notification {id} of type {kind} is not a message"
        ))]),
    }
}

/// A status as an upsert (plus an Edit when it was edited).
fn status(o: &Obj, ctx: &AccountContext) -> EntryResult {
    let id = need_id(o, "id", "Mastodon status")?;
    if o.get("reblog").is_some_and(Value::is_object) {
        return Ok(vec![InboundEvent::skipped(format!(
            "Mastodon: status {id} is a boost"
        ))]);
    }
    let account =
        obj_field(o, "account").ok_or_else(|| format!("Mastodon status {id} lacks account"))?;
    let author =
        account_author(account).ok_or_else(|| format!("Mastodon status {id}: account lacks id"))?;
    let created_at = rfc3339_field(o, "created_at")
        .ok_or_else(|| format!("Mastodon status {id}: bad created_at"))?;
    let in_reply_to = id_field(o, "in_reply_to_id");
    let text = status_text(o);
    let mut out = Vec::new();
    if let Some(edited_at) = rfc3339_field(o, "edited_at") {
        out.push(InboundEvent::Edit {
            platform_id: id.clone(),
            text: text.clone(),
            edited_at,
            version_id: None,
        });
    }
    out.insert(
        0,
        InboundEvent::Message(ItemUpsert {
            channel: Channel::Mastodon,
            thread_root_id: if in_reply_to.is_none() {
                Some(id.clone())
            } else {
                None
            },
            in_reply_to,
            visibility: visibility(str_field(o, "visibility")),
            from_brand: ctx.is_brand(&author.platform_user_id),
            author,
            text,
            created_at,
            lang: str_field(o, "language").map(str::to_string),
            raw_kind: "status".into(),
            platform_id: id,
        }),
    );
    Ok(out)
}

/// A `status.update` / `update` notification: the new text of a known status.
fn status_edit(o: &Obj) -> Result<InboundEvent, String> {
    let id = need_id(o, "id", "Mastodon status")?;
    let edited_at = rfc3339_field(o, "edited_at")
        .or_else(|| rfc3339_field(o, "created_at"))
        .ok_or_else(|| format!("Mastodon status {id}: no edited_at"))?;
    Ok(InboundEvent::Edit {
        platform_id: id,
        text: status_text(o),
        edited_at,
        version_id: None,
    })
}

fn status_text(o: &Obj) -> String {
    let body = html_to_text(str_field(o, "content").unwrap_or(""));
    match str_field(o, "spoiler_text") {
        Some(cw) => format!("[CW: {cw}] {body}"),
        None => body,
    }
}

fn account_author(a: &Obj) -> Option<Author> {
    Some(Author {
        platform_user_id: id_field(a, "id")?,
        handle: str_field(a, "acct").map(str::to_string),
        display_name: str_field(a, "display_name").map(str::to_string),
        followers: u64_field(a, "followers_count"),
    })
}

/// Map a Mastodon visibility string (unknown or missing → Private).
pub fn visibility(v: Option<&str>) -> Visibility {
    match v {
        Some("public" | "unlisted") => Visibility::Public,
        _ => Visibility::Private,
    }
}

// -------------------------------------------------------------- streaming -

/// One `text/event-stream` frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseFrame {
    /// The `event:` name (`message` when the frame had none).
    pub event: String,
    /// The `data:` lines joined with `\n`.
    pub data: String,
}

/// Split a `text/event-stream` body into frames. Comment lines (`:` heartbeats)
/// are ignored, `data:` lines are joined with `\n`, a blank line ends a frame, and
/// a frame without data is dropped. A trailing frame without the final blank
/// line is still returned.
pub fn parse_event_stream(body: &str) -> Vec<SseFrame> {
    let mut frames = Vec::new();
    let (mut event, mut data): (Option<String>, Option<String>) = (None, None);
    for line in body.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)) {
        if line.is_empty() {
            push_frame(&mut frames, event.take(), data.take());
            continue;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => event = Some(value.to_string()),
            "data" => match &mut data {
                Some(d) => {
                    d.push('\n');
                    d.push_str(value)
                }
                None => data = Some(value.to_string()),
            },
            _ => {} // comments (empty field), id, retry
        }
    }
    push_frame(&mut frames, event, data);
    frames
}

fn push_frame(frames: &mut Vec<SseFrame>, event: Option<String>, data: Option<String>) {
    if let Some(data) = data {
        frames.push(SseFrame {
            event: event.unwrap_or_else(|| "message".into()),
            data,
        });
    }
}

/// Parse a Mastodon streaming body (`text/event-stream`) into events.
pub fn parse_mastodon_stream(
    body: &[u8],
    ctx: &AccountContext,
) -> Result<Vec<InboundEvent>, ParseError> {
    let text = std::str::from_utf8(body).map_err(|_| ParseError::Utf8)?;
    Ok(parse_event_stream(text)
        .iter()
        .flat_map(|f| parse_stream_event(&f.event, &f.data, ctx))
        .collect())
}

/// Map one streaming event (name + raw data) to canonical events.
pub fn parse_stream_event(event: &str, data: &str, ctx: &AccountContext) -> Vec<InboundEvent> {
    let mut out = Vec::new();
    if event == "delete" {
        out.push(stream_delete(data));
        return out;
    }
    if !matches!(
        event,
        "update" | "status.update" | "notification" | "conversation"
    ) {
        out.push(InboundEvent::skipped(format!(
            "Mastodon stream: `{event}` event"
        )));
        return out;
    }
    let parsed = serde_json::from_str::<Value>(data)
        .map_err(|e| format!("Mastodon stream `{event}`: bad JSON: {e}"))
        .and_then(|v| stream_payload(event, &v, ctx));
    flatten(parsed, &mut out);
    out
}

fn stream_payload(event: &str, v: &Value, ctx: &AccountContext) -> EntryResult {
    let o = as_obj(v, "Mastodon stream payload")?;
    match event {
        "update" => status(o, ctx),
        "status.update" => status_edit(o).map(|e| vec![e]),
        "notification" => notification(o, ctx),
        _ => conversation(o, ctx),
    }
}

fn stream_delete(data: &str) -> InboundEvent {
    let id = data.trim().trim_matches('"');
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return InboundEvent::invalid(format!("Mastodon stream delete: bad status id {data:?}"));
    }
    InboundEvent::Delete {
        platform_id: id.to_string(),
        deleted_at: None,
        reason: DeleteReason::ByAuthor,
    }
}

// ----------------------------------------------------------------- cursor -

/// Compare Mastodon ids (decimal strings): by length, then lexicographically.
pub fn id_cmp(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// One page returned by a [`Pager`].
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// Status JSON objects, in any order (Mastodon returns newest first).
    pub items: Vec<Value>,
    /// The `min_id` for the next newer page (from the `Link: rel="prev"` header);
    /// `None` means there is no newer page.
    pub next_min_id: Option<String>,
}

/// Fetches one page of a timeline; the HTTP side lives outside this crate.
pub trait Pager {
    /// Items strictly newer than `min_id` (the oldest such items first, up to
    /// `limit`), as Mastodon's `min_id` parameter does. `None`: the newest page.
    fn page(&mut self, min_id: Option<&str>, limit: usize) -> Page;
}

/// Result of [`poll_since`].
#[derive(Debug, Clone, Default)]
pub struct Poll {
    /// New items, oldest first, each exactly once.
    pub items: Vec<Value>,
    /// The cursor to store: newest id seen (unchanged if nothing new).
    pub cursor: Option<String>,
}

/// Safety bound on pages walked in one poll.
const MAX_PAGES: usize = 10_000;

/// Walk forward from `last_seen_id` with `min_id` until no newer items remain.
///
/// Each page asks for items newer than the newest id seen so far, so a burst
/// larger than one page is read completely and nothing is skipped or repeated.
/// Without a cursor only the newest page is taken (history is not back-filled).
pub fn poll_since<P: Pager>(pager: &mut P, last_seen_id: Option<&str>, limit: usize) -> Poll {
    let mut cursor = last_seen_id.map(str::to_string);
    let mut seen = HashSet::new();
    let mut items = Vec::new();
    for _ in 0..MAX_PAGES {
        let page = pager.page(cursor.as_deref(), limit.max(1));
        let mut fresh: Vec<(String, Value)> = page
            .items
            .into_iter()
            .filter_map(|v| item_id(&v).map(|id| (id, v)))
            .filter(|(id, _)| cursor.as_deref().is_none_or(|c| id_cmp(id, c).is_gt()))
            .filter(|(id, _)| seen.insert(id.clone()))
            .collect();
        if fresh.is_empty() {
            break;
        }
        fresh.sort_by(|a, b| id_cmp(&a.0, &b.0));
        let first_poll = cursor.is_none();
        cursor = fresh.last().map(|(id, _)| id.clone());
        items.extend(fresh.into_iter().map(|(_, v)| v));
        if first_poll || page.next_min_id.is_none() {
            break;
        }
    }
    Poll { items, cursor }
}

fn item_id(v: &Value) -> Option<String> {
    v.as_object().and_then(|o| id_field(o, "id"))
}
