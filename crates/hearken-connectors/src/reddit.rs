//! Reddit API payloads.
//!
//! [`parse_reddit`] takes one response body and walks "things":
//!
//! * `Listing` (and arrays of listings, as `/comments/<id>` returns) → children;
//! * `t1` comment → [`InboundEvent::Message`] with `parent_id` → `in_reply_to`
//!   and `link_id` → `thread_root_id` (prefixes `t1_`/`t3_` stripped). Inbox
//!   items (comment replies, username mentions) have no `link_id`; the root is
//!   taken from their `context` path (`/r/<sub>/comments/<link>/...`) or from a
//!   `t3_` parent. Nested `replies` listings are walked recursively;
//! * `t3` submission → `Message` (title, blank line, selftext), its own root;
//! * `t4` private message → private `Message`;
//! * `more` (unloaded comments) and other kinds → skipped;
//! * `/api/comment` and `/api/editusertext` responses (`{"json": {"errors",
//!   "data": {"things"}}}`) → their things; each error → `Invalid`;
//! * `{}` (e.g. the `/api/del` acknowledgement) → skipped.
//!
//! `created_utc` (float seconds) gives `created_at`. `edited` is `false`/`null`
//! or a timestamp; a timestamp adds an [`InboundEvent::Edit`] after the
//! `Message`. A comment whose body (or submission whose selftext) is
//! `[deleted]` → `Delete(ByAuthor)`, `[removed]` → `Delete(ByPlatform)`; its
//! replies are still walked. Authors are identified by `author_fullname`
//! (`t2_…`) when present, else by username; `from_brand` matches either.

use serde_json::Value;

use crate::model::{
    AccountContext, Author, Channel, DeleteReason, InboundEvent, ItemUpsert, ParseError, Visibility,
};
use crate::util::{
    arr_field, decode, epoch, flatten, id_field, obj_field, str_field, strip_fullname, EntryResult,
    Obj,
};

/// Maximum depth of nested `replies` followed (hostile input guard).
const MAX_DEPTH: usize = 200;

/// Parse one Reddit API response body (see module docs).
pub fn parse_reddit(body: &[u8], ctx: &AccountContext) -> Result<Vec<InboundEvent>, ParseError> {
    let value = decode(body)?;
    let mut out = Vec::new();
    match &value {
        Value::Array(items) => items.iter().for_each(|v| thing(v, ctx, 0, &mut out)),
        Value::Object(o) if o.contains_key("kind") => thing(&value, ctx, 0, &mut out),
        Value::Object(o) if o.contains_key("json") => api_response(o, ctx, &mut out),
        Value::Object(o) if o.is_empty() => out.push(InboundEvent::skipped(
            "Reddit: empty response (action acknowledgement)",
        )),
        Value::Object(_) => out.push(InboundEvent::skipped("Reddit: unrecognised response")),
        _ => {
            return Err(ParseError::Shape(
                "Reddit body is not an object or array".into(),
            ))
        }
    }
    Ok(out)
}

fn api_response(o: &Obj, ctx: &AccountContext, out: &mut Vec<InboundEvent>) {
    let Some(json) = obj_field(o, "json") else {
        out.push(InboundEvent::invalid("Reddit: `json` is not an object"));
        return;
    };
    for err in arr_field(json, "errors") {
        out.push(InboundEvent::invalid(format!("Reddit API error: {err}")));
    }
    let things = obj_field(json, "data")
        .map(|d| arr_field(d, "things"))
        .unwrap_or(&[]);
    things.iter().for_each(|t| thing(t, ctx, 0, out));
}

/// One `{kind, data}` thing; listings recurse.
fn thing(v: &Value, ctx: &AccountContext, depth: usize, out: &mut Vec<InboundEvent>) {
    if depth > MAX_DEPTH {
        out.push(InboundEvent::invalid(
            "Reddit: comment tree nested too deeply",
        ));
        return;
    }
    let Some(o) = v.as_object() else {
        out.push(InboundEvent::invalid("Reddit: thing is not an object"));
        return;
    };
    let kind = str_field(o, "kind").unwrap_or("?");
    let Some(data) = obj_field(o, "data") else {
        out.push(InboundEvent::invalid(format!(
            "Reddit: {kind} thing without data"
        )));
        return;
    };
    match kind {
        "Listing" => arr_field(data, "children")
            .iter()
            .for_each(|c| thing(c, ctx, depth + 1, out)),
        "t1" | "t3" | "t4" => {
            flatten(item(kind, data, ctx), out);
            if let Some(replies) = data.get("replies").filter(|r| r.is_object()) {
                thing(replies, ctx, depth + 1, out);
            }
        }
        "more" => out.push(InboundEvent::skipped(format!(
            "Reddit: {} more comment(s) not loaded",
            arr_field(data, "children").len()
        ))),
        other => out.push(InboundEvent::skipped(format!(
            "Reddit: `{other}` thing is not a conversation item"
        ))),
    }
}

/// A comment, submission or private message.
fn item(kind: &str, d: &Obj, ctx: &AccountContext) -> EntryResult {
    let id = id_field(d, "id")
        .or_else(|| str_field(d, "name").map(|n| strip_fullname(n).to_string()))
        .ok_or_else(|| format!("Reddit {kind} without id"))?;
    let created_at = d
        .get("created_utc")
        .and_then(epoch)
        .ok_or_else(|| format!("Reddit {kind} {id}: bad created_utc"))?;
    let text = item_text(kind, d);
    if let Some(reason) = deletion(&text, d) {
        return Ok(vec![InboundEvent::Delete {
            platform_id: id,
            deleted_at: None,
            reason,
        }]);
    }
    let author = author(d).ok_or_else(|| format!("Reddit {kind} {id} without author"))?;
    let from_brand = ctx.is_brand(&author.platform_user_id)
        || author.handle.as_deref().is_some_and(|h| ctx.is_brand(h));
    let mut out = vec![InboundEvent::Message(ItemUpsert {
        channel: Channel::Reddit,
        thread_root_id: thread_root(kind, d, &id),
        in_reply_to: str_field(d, "parent_id").map(|p| strip_fullname(p).to_string()),
        visibility: if kind == "t4" {
            Visibility::Private
        } else {
            Visibility::Public
        },
        from_brand,
        author,
        text: text.clone(),
        created_at,
        lang: None,
        raw_kind: str_field(d, "type").unwrap_or(kind).to_string(),
        platform_id: id.clone(),
    })];
    if let Some(edited_at) = d.get("edited").filter(|e| e.is_number()).and_then(epoch) {
        out.push(InboundEvent::Edit {
            platform_id: id,
            text,
            edited_at,
            version_id: None,
        });
    }
    Ok(out)
}

fn item_text(kind: &str, d: &Obj) -> String {
    let body = str_field(d, if kind == "t3" { "selftext" } else { "body" }).unwrap_or("");
    match (kind, str_field(d, "title")) {
        ("t3", Some(title)) if body.is_empty() => title.to_string(),
        ("t3", Some(title)) => format!("{title}\n\n{body}"),
        _ => body.to_string(),
    }
}

/// `[deleted]` / `[removed]` markers.
fn deletion(text: &str, d: &Obj) -> Option<DeleteReason> {
    let body = str_field(d, "body")
        .or_else(|| str_field(d, "selftext"))
        .unwrap_or(text);
    match body {
        "[removed]" => Some(DeleteReason::ByPlatform),
        "[deleted]" => Some(DeleteReason::ByAuthor),
        _ => None,
    }
}

fn author(d: &Obj) -> Option<Author> {
    let name = str_field(d, "author")?;
    Some(Author {
        platform_user_id: str_field(d, "author_fullname").unwrap_or(name).to_string(),
        handle: Some(name.to_string()),
        display_name: None,
        followers: None,
    })
}

/// `link_id`, else the link in `context`, else a `t3_` parent; submissions are their own root.
fn thread_root(kind: &str, d: &Obj, id: &str) -> Option<String> {
    if kind == "t3" {
        return Some(id.to_string());
    }
    if kind == "t4" {
        return str_field(d, "first_message_name")
            .map(|f| strip_fullname(f).to_string())
            .or_else(|| Some(id.to_string()));
    }
    str_field(d, "link_id")
        .map(|l| strip_fullname(l).to_string())
        .or_else(|| str_field(d, "context").and_then(link_from_context))
        .or_else(|| {
            str_field(d, "parent_id")
                .filter(|p| p.starts_with("t3_"))
                .map(|p| p[3..].to_string())
        })
}

/// `/r/<sub>/comments/<link>/<slug>/<id>/?context=3` → `<link>`.
fn link_from_context(ctx: &str) -> Option<String> {
    let mut parts = ctx.split('/');
    parts.find(|p| *p == "comments")?;
    parts.next().filter(|l| !l.is_empty()).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_link() {
        assert_eq!(
            link_from_context("/r/a/comments/bb24k7/x/ekftbox/?context=3").as_deref(),
            Some("bb24k7")
        );
        assert_eq!(link_from_context("/message/messages/1"), None);
    }
}
