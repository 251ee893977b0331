//! Meta webhook payloads: Facebook Pages, Messenger and Instagram.
//!
//! [`parse_meta`] takes one webhook POST body (`{"object": "page" | "instagram",
//! "entry": [...]}`) and handles, per entry:
//!
//! * **`changes`** (Graph "Page" / "Instagram" fields):
//!   * `feed` with `item` comment, post, status, photo, video, share and verb
//!     `add` → [`InboundEvent::Message`]; `edited`/`edit` → [`InboundEvent::Edit`];
//!     `remove` → `Delete(ByAuthor)`; `hide` → `Delete(Hidden)`; `unhide` → a
//!     re-upsert `Message` with `raw_kind` `<item>.unhide`; `block`/`mute`/...
//!     → skipped. `like`/`reaction` items and other items (album, event) → skipped.
//!   * `mention` (the Page was mentioned in a post or comment) → `Message`.
//!   * `ratings`: `rating` add/edit/remove (a review) → Message/Edit/Delete;
//!     comments on reviews as in `feed`; likes/reactions skipped.
//!   * Instagram `comments` / `live_comments` → `Message`; `mentions` carry only
//!     ids → skipped as incomplete (fetch the comment via the API).
//!   * anything else (`story_insights`, `parking`, unknown fields) → skipped.
//! * **`messaging`** and **`standby`** (Messenger / Instagram messaging):
//!   `message` → private `Message` (attachments become `[image]`-style
//!   placeholders, `reply_to` → `in_reply_to`); `is_echo` → [`InboundEvent::Echo`];
//!   `is_deleted` (unsend) → `Delete(ByAuthor)`; `message_edit` → `Edit`;
//!   reactions, read, delivery, postback, referral, optin, handover and the rest
//!   → skipped with the event kind as reason.
//!
//! Ids may arrive as strings or integers; both are accepted. Times are epoch
//! seconds or milliseconds (values above 10^11 are milliseconds); when an item
//! has no time of its own the entry `time` is used. For DMs `thread_root_id` is
//! the customer's id (one thread per customer). An item whose author id is
//! absent is skipped as `incomplete` rather than attributed to nobody.

use jiff::Timestamp;
use serde_json::Value;

use crate::model::{
    AccountContext, Author, Channel, DeleteReason, InboundEvent, ItemUpsert, ParseError, Visibility,
};
use crate::util::{
    arr_field, as_obj, decode, epoch_field, flatten, id_field, need_id, obj_field, rfc3339_field,
    str_field, EntryResult, Obj,
};

pub use crate::signature::{
    meta_signature_256, meta_signature_sha1, verify_meta_signature_256, verify_meta_signature_sha1,
    verify_subscription,
};

/// Feed items that are conversation content.
const CONTENT_ITEMS: &[&str] = &["comment", "post", "status", "photo", "video", "share"];

/// Messaging event keys that are recognised but not turned into items.
const SKIPPED_MESSAGING: &[&str] = &[
    "reaction",
    "read",
    "delivery",
    "postback",
    "optin",
    "referral",
    "account_linking",
    "app_roles",
    "pass_thread_control",
    "take_thread_control",
    "request_thread_control",
    "payment",
    "checkout_update",
    "policy-enforcement",
    "pre_checkout",
    "game_play",
];

/// Per-entry context.
struct Entry<'a> {
    ctx: &'a AccountContext,
    instagram: bool,
    time: Option<Timestamp>,
}

/// Parse one Meta webhook body (see module docs).
pub fn parse_meta(body: &[u8], ctx: &AccountContext) -> Result<Vec<InboundEvent>, ParseError> {
    let value = decode(body)?;
    let top = value
        .as_object()
        .ok_or_else(|| ParseError::Shape("Meta webhook body is not an object".into()))?;
    let entries = top
        .get("entry")
        .and_then(Value::as_array)
        .ok_or_else(|| ParseError::Shape("Meta webhook body lacks an `entry` array".into()))?;
    let instagram = str_field(top, "object") == Some("instagram");
    let mut out = Vec::new();
    for entry in entries {
        flatten(parse_entry(entry, ctx, instagram), &mut out);
    }
    Ok(out)
}

fn parse_entry(entry: &Value, ctx: &AccountContext, instagram: bool) -> EntryResult {
    let e = as_obj(entry, "Meta entry")?;
    let en = Entry {
        ctx,
        instagram,
        time: epoch_field(e, "time"),
    };
    let mut out = Vec::new();
    for change in arr_field(e, "changes") {
        flatten(parse_change(change, &en), &mut out);
    }
    for key in ["messaging", "standby"] {
        for m in arr_field(e, key) {
            flatten(parse_messaging(m, &en), &mut out);
        }
    }
    if out.is_empty() {
        out.push(InboundEvent::skipped(
            "Meta: entry without changes or messaging",
        ));
    }
    Ok(out)
}

// --------------------------------------------------------------- changes --

fn parse_change(change: &Value, en: &Entry) -> EntryResult {
    let c = as_obj(change, "Meta change")?;
    let field = str_field(c, "field").unwrap_or("?");
    let empty = Obj::new();
    let v = obj_field(c, "value").unwrap_or(&empty);
    match field {
        "feed" => feed_change(v, en),
        "mention" => mention_change(v, en),
        "ratings" => ratings_change(v, en),
        "comments" | "live_comments" => ig_comment(v, en, field),
        "mentions" => Ok(vec![ig_mention(v)]),
        other => Ok(vec![InboundEvent::skipped(format!(
            "Meta: `{other}` change is not a conversation item"
        ))]),
    }
}

fn item_verb(v: &Obj) -> (&str, &str) {
    (
        str_field(v, "item").unwrap_or("?"),
        str_field(v, "verb").unwrap_or("?"),
    )
}

fn feed_change(v: &Obj, en: &Entry) -> EntryResult {
    let (item, verb) = item_verb(v);
    if CONTENT_ITEMS.contains(&item) {
        return content_change(v, en, item, verb);
    }
    let target = id_field(v, "comment_id")
        .or_else(|| id_field(v, "post_id"))
        .unwrap_or_default();
    Ok(vec![InboundEvent::skipped(format!(
        "Facebook: {item} {verb} {target} is not a conversation item"
    ))])
}

/// add / edited / remove / hide / unhide of a post-like item or a comment.
fn content_change(v: &Obj, en: &Entry, item: &str, verb: &str) -> EntryResult {
    if !matches!(
        verb,
        "add" | "unhide" | "edited" | "edit" | "remove" | "hide"
    ) {
        let target = id_field(v, "post_id")
            .or_else(|| id_field(v, "video_id"))
            .unwrap_or_default();
        return Ok(vec![InboundEvent::skipped(format!(
            "Facebook: {item} {target} verb {verb} is a moderation flag, not content"
        ))]);
    }
    let id = content_id(v, item)?;
    let at = item_time(v, en);
    let event = match verb {
        "add" => return content_message(v, en, item, id, item.to_string()),
        "unhide" => return content_message(v, en, item, id, format!("{item}.unhide")),
        "edited" | "edit" => match str_field(v, "message") {
            Some(text) => InboundEvent::Edit {
                platform_id: id,
                text: text.to_string(),
                edited_at: at.ok_or("Facebook edit without any time")?,
                version_id: None,
            },
            None => InboundEvent::skipped(format!("Facebook: {item} {id} edited without text")),
        },
        "remove" => delete(id, at, DeleteReason::ByAuthor),
        _ => delete(id, at, DeleteReason::Hidden),
    };
    Ok(vec![event])
}

fn delete(platform_id: String, at: Option<Timestamp>, reason: DeleteReason) -> InboundEvent {
    InboundEvent::Delete {
        platform_id,
        deleted_at: at,
        reason,
    }
}

fn content_id(v: &Obj, item: &str) -> Result<String, String> {
    let key = if item == "comment" {
        "comment_id"
    } else {
        "post_id"
    };
    need_id(v, key, &format!("Facebook {item}"))
}

/// The item's own time, else the entry time.
fn item_time(v: &Obj, en: &Entry) -> Option<Timestamp> {
    epoch_field(v, "created_time")
        .or_else(|| rfc3339_field(v, "created_time"))
        .or(en.time)
}

fn content_message(v: &Obj, en: &Entry, item: &str, id: String, kind: String) -> EntryResult {
    let Some(author) = fb_author(v) else {
        return Ok(vec![incomplete(item, &id)]);
    };
    let post_id = id_field(v, "post_id");
    let in_reply_to = if item == "comment" {
        id_field(v, "parent_id").or(post_id.clone())
    } else {
        None
    };
    let text = str_field(v, "message")
        .or_else(|| str_field(v, "review_text"))
        .map(str::to_string)
        .unwrap_or_else(|| placeholder(item));
    Ok(vec![InboundEvent::Message(ItemUpsert {
        channel: Channel::Facebook,
        thread_root_id: post_id.or_else(|| Some(id.clone())),
        in_reply_to,
        visibility: Visibility::Public,
        from_brand: en.ctx.is_brand(&author.platform_user_id),
        author,
        text,
        created_at: item_time(v, en).ok_or("Facebook item without any time")?,
        lang: None,
        raw_kind: kind,
        platform_id: id,
    })])
}

fn placeholder(item: &str) -> String {
    match item {
        "photo" | "video" | "share" => format!("[{item}]"),
        _ => String::new(),
    }
}

fn incomplete(what: &str, id: &str) -> InboundEvent {
    InboundEvent::skipped(format!(
        "Meta: incomplete {what} {id}: no author id; fetch it via the Graph API"
    ))
}

/// `from {id, name}` or `sender_id` / `sender_name` (or reviewer fields).
fn fb_author(v: &Obj) -> Option<Author> {
    let from = obj_field(v, "from");
    let id = from
        .and_then(|f| id_field(f, "id"))
        .or_else(|| id_field(v, "sender_id"))
        .or_else(|| id_field(v, "reviewer_id"))?;
    let name = from
        .and_then(|f| str_field(f, "name"))
        .or_else(|| str_field(v, "sender_name"))
        .or_else(|| str_field(v, "reviewer_name"));
    let handle = from.and_then(|f| str_field(f, "username"));
    Some(Author {
        platform_user_id: id,
        handle: handle.map(str::to_string),
        display_name: name.map(str::to_string),
        followers: None,
    })
}

fn mention_change(v: &Obj, en: &Entry) -> EntryResult {
    let (item, verb) = item_verb(v);
    match (item, verb) {
        ("post" | "comment", "add") => {
            let id = content_id(v, item)?;
            content_message(v, en, item, id, format!("mention.{item}"))
        }
        ("post" | "comment", "remove") => {
            let id = content_id(v, item)?;
            Ok(vec![delete(id, item_time(v, en), DeleteReason::ByAuthor)])
        }
        _ => Ok(vec![InboundEvent::skipped(format!(
            "Facebook: mention {item} {verb}"
        ))]),
    }
}

fn ratings_change(v: &Obj, en: &Entry) -> EntryResult {
    let (item, verb) = item_verb(v);
    match item {
        "rating" => rating(v, en, verb),
        "comment" => content_change(v, en, item, verb),
        _ => Ok(vec![InboundEvent::skipped(format!(
            "Facebook: ratings {item} {verb}"
        ))]),
    }
}

/// A Page review (`open_graph_story_id` identifies it).
fn rating(v: &Obj, en: &Entry, verb: &str) -> EntryResult {
    let id = need_id(v, "open_graph_story_id", "Facebook rating")?;
    let text = str_field(v, "review_text").unwrap_or("").to_string();
    let at = item_time(v, en);
    let event = match verb {
        "add" => return content_message(v, en, "rating", id, "rating".into()),
        "edit" | "edited" => InboundEvent::Edit {
            platform_id: id,
            text,
            edited_at: at.ok_or("Facebook rating edit without any time")?,
            version_id: None,
        },
        "remove" => delete(id, at, DeleteReason::ByAuthor),
        other => InboundEvent::skipped(format!("Facebook: rating {id} verb {other}")),
    };
    Ok(vec![event])
}

// ------------------------------------------------------------- Instagram --

fn ig_comment(v: &Obj, en: &Entry, field: &str) -> EntryResult {
    let id = need_id(v, "id", "Instagram comment")?;
    let from = obj_field(v, "from");
    let Some(user_id) = from.and_then(|f| id_field(f, "id")) else {
        return Ok(vec![incomplete("Instagram comment", &id)]);
    };
    let media = obj_field(v, "media").and_then(|m| id_field(m, "id"));
    Ok(vec![InboundEvent::Message(ItemUpsert {
        channel: Channel::Instagram,
        thread_root_id: media.clone(),
        in_reply_to: id_field(v, "parent_id").or(media),
        visibility: Visibility::Public,
        from_brand: en.ctx.is_brand(&user_id),
        author: Author {
            handle: from
                .and_then(|f| str_field(f, "username"))
                .map(str::to_string),
            ..Author::id_only(user_id)
        },
        text: str_field(v, "text").unwrap_or("").to_string(),
        created_at: item_time(v, en).ok_or("Instagram comment without any time")?,
        lang: None,
        raw_kind: field.trim_end_matches('s').to_string(),
        platform_id: id,
    })])
}

fn ig_mention(v: &Obj) -> InboundEvent {
    let comment = id_field(v, "comment_id").unwrap_or_default();
    let media = id_field(v, "media_id").unwrap_or_default();
    InboundEvent::skipped(format!(
        "Instagram: incomplete mention (comment {comment} on media {media}): no text or author; fetch via the Graph API"
    ))
}

// ------------------------------------------------------------- messaging --

fn channel(en: &Entry) -> Channel {
    if en.instagram {
        Channel::Instagram
    } else {
        Channel::Messenger
    }
}

fn parse_messaging(m: &Value, en: &Entry) -> EntryResult {
    let m = as_obj(m, "Meta messaging event")?;
    let at = epoch_field(m, "timestamp").or(en.time);
    if let Some(msg) = obj_field(m, "message") {
        return message_event(m, msg, en, at.ok_or("Meta message without timestamp")?);
    }
    if let Some(edit) = obj_field(m, "message_edit") {
        return message_edit(edit, at.ok_or("Meta message_edit without timestamp")?);
    }
    let label = if en.instagram {
        "Instagram"
    } else {
        "Messenger"
    };
    let reason = match SKIPPED_MESSAGING.iter().find(|k| m.contains_key(**k)) {
        Some(key) => format!("{label}: `{key}` event is not a message"),
        None => format!("{label}: messaging event without content"),
    };
    Ok(vec![InboundEvent::skipped(reason)])
}

fn party(m: &Obj, key: &str) -> Option<String> {
    obj_field(m, key).and_then(|p| id_field(p, "id"))
}

fn message_event(m: &Obj, msg: &Obj, en: &Entry, at: Timestamp) -> EntryResult {
    let mid = need_id(msg, "mid", "Meta message")?;
    let text = message_text(msg);
    if msg.get("is_echo").and_then(Value::as_bool) == Some(true) {
        let recipient_id = party(m, "recipient").ok_or("Meta echo without recipient.id")?;
        let app_id = id_field(msg, "app_id");
        return Ok(vec![InboundEvent::Echo {
            platform_id: mid,
            app_id,
            recipient_id,
            text,
            at,
        }]);
    }
    if msg.get("is_deleted").and_then(Value::as_bool) == Some(true) {
        return Ok(vec![delete(mid, Some(at), DeleteReason::ByAuthor)]);
    }
    if msg.get("is_unsupported").and_then(Value::as_bool) == Some(true) {
        return Ok(vec![InboundEvent::skipped(format!(
            "Meta: message {mid} is of an unsupported type"
        ))]);
    }
    let Some(sender) = party(m, "sender") else {
        return Ok(vec![incomplete("message", &mid)]);
    };
    Ok(vec![InboundEvent::Message(ItemUpsert {
        channel: channel(en),
        thread_root_id: Some(sender.clone()),
        in_reply_to: reply_to(msg),
        visibility: Visibility::Private,
        from_brand: en.ctx.is_brand(&sender),
        author: Author::id_only(sender),
        text,
        created_at: at,
        lang: None,
        raw_kind: "message".into(),
        platform_id: mid,
    })])
}

/// `reply_to.mid`, or the story replied to.
fn reply_to(msg: &Obj) -> Option<String> {
    let r = obj_field(msg, "reply_to")?;
    id_field(r, "mid").or_else(|| obj_field(r, "story").and_then(|s| id_field(s, "id")))
}

/// Message text, or placeholders for attachments (`[image]`, `[location]`...).
fn message_text(msg: &Obj) -> String {
    if let Some(t) = str_field(msg, "text") {
        return t.to_string();
    }
    arr_field(msg, "attachments")
        .iter()
        .filter_map(Value::as_object)
        .map(|a| format!("[{}]", str_field(a, "type").unwrap_or("attachment")))
        .collect::<Vec<_>>()
        .join(" ")
}

fn message_edit(edit: &Obj, at: Timestamp) -> EntryResult {
    Ok(vec![InboundEvent::Edit {
        platform_id: need_id(edit, "mid", "Meta message_edit")?,
        text: str_field(edit, "text").unwrap_or("").to_string(),
        edited_at: at,
        version_id: id_field(edit, "num_edit"),
    }])
}
