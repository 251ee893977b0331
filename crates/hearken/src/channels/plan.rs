//! What a delivery means: the connectors parse the raw body into platform events, and
//! this module turns each event into a storage `Action` for the account it came to.
//!
//! Everything here is pure, so the worker can run it inside the processing transaction.

use hearken_connectors::{
    parse_mastodon, parse_meta, parse_reddit, parse_x, AccountContext, DeleteReason, InboundEvent,
    ItemUpsert, ParseError,
};

use crate::domain::channel::{Channel, Visibility};
use crate::domain::message::{AuthorRef, Direction, IncomingMessage};
use crate::storage::channels::{Action, DeliveryPlan, DeliveryRow};

/// Stands in for an unpaired UTF-16 surrogate escape so the rest of a body still parses;
/// an item whose text holds it is refused. U+FDD0 is a noncharacter: real text lacks it.
const SURROGATE_SENTINEL: &str = "\\ufdd0";

/// The account a delivery came to, as parsing needs it.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    pub account_id: i64,
    pub channel: &'a str,
    pub handle: &'a str,
    pub platform_user_id: &'a str,
    pub app_id: Option<&'a str>,
}

impl<'a> Target<'a> {
    /// The target of a stored delivery.
    pub fn of(d: &'a DeliveryRow) -> Target<'a> {
        Target {
            account_id: d.account_id,
            channel: &d.channel,
            handle: &d.handle,
            platform_user_id: &d.platform_user_id,
            app_id: d.app_id.as_deref(),
        }
    }

    fn context(&self) -> AccountContext {
        AccountContext {
            brand_user_id: self.platform_user_id.to_owned(),
            app_id: self.app_id.map(str::to_owned),
        }
    }
}

/// The plan for one stored delivery.
pub fn plan_delivery(d: &DeliveryRow) -> DeliveryPlan {
    plan_body(&Target::of(d), &d.body)
}

/// Parses a body for a target and turns every event into an action.
pub fn plan_body(t: &Target<'_>, body: &[u8]) -> DeliveryPlan {
    let body = replace_lone_surrogates(body);
    match parse(t, &body) {
        Ok(events) => DeliveryPlan {
            actions: events.into_iter().map(|e| action(t, e)).collect(),
            failed: None,
        },
        Err(e) => DeliveryPlan {
            actions: Vec::new(),
            failed: Some(e.to_string()),
        },
    }
}

fn parse(t: &Target<'_>, body: &[u8]) -> Result<Vec<InboundEvent>, ParseError> {
    let ctx = t.context();
    match t.channel {
        "x" => parse_x(body, &ctx),
        "facebook" | "instagram" | "messenger" => parse_meta(body, &ctx),
        "mastodon" => parse_mastodon(&mastodon_object(body), &ctx),
        "reddit" => parse_reddit(body, &ctx),
        other => Err(ParseError::Shape(format!(
            "no webhook parser for channel {other}"
        ))),
    }
}

/// A Mastodon webhook wraps the entity as `{"event": "...", "object": {...}}`.
fn mastodon_object(body: &[u8]) -> Vec<u8> {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v) if v.get("event").is_some() && v.get("object").is_some() => {
            serde_json::to_vec(&v["object"]).unwrap_or_default()
        }
        _ => body.to_vec(),
    }
}

/// Replaces `\uD800`-`\uDFFF` escapes that are not part of a valid pair with a sentinel.
pub fn replace_lone_surrogates(body: &[u8]) -> Vec<u8> {
    let Ok(text) = std::str::from_utf8(body) else {
        return body.to_vec();
    };
    if !text.contains("\\u") {
        return body.to_vec();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("\\u") {
        // Escaped backslashes: count the run before this one.
        let backslashes = rest[..pos].chars().rev().take_while(|c| *c == '\\').count();
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        let unit = hex_unit(tail);
        if backslashes % 2 == 1 || unit.is_none() {
            out.push_str("\\u");
            rest = &tail[2..];
            continue;
        }
        let unit = unit.unwrap_or(0);
        match unit {
            0xD800..=0xDBFF => match hex_unit(&tail[6..]) {
                Some(low @ 0xDC00..=0xDFFF) => {
                    out.push_str(&tail[..12]);
                    let _ = low;
                    rest = &tail[12..];
                }
                _ => {
                    out.push_str(SURROGATE_SENTINEL);
                    rest = &tail[6..];
                }
            },
            0xDC00..=0xDFFF => {
                out.push_str(SURROGATE_SENTINEL);
                rest = &tail[6..];
            }
            _ => {
                out.push_str(&tail[..6]);
                rest = &tail[6..];
            }
        }
    }
    out.push_str(rest);
    out.into_bytes()
}

/// The code unit of a `\uXXXX` escape at the start of `s`.
fn hex_unit(s: &str) -> Option<u32> {
    let hex = s.strip_prefix("\\u")?.get(..4)?;
    u32::from_str_radix(hex, 16).ok()
}

fn action(t: &Target<'_>, e: InboundEvent) -> Action {
    match e {
        InboundEvent::Message(item) => item_action(t, item),
        InboundEvent::Edit {
            platform_id,
            text,
            edited_at,
            ..
        } => Action::Edit {
            platform_id,
            text,
            at: edited_at.as_millisecond(),
        },
        InboundEvent::Delete {
            platform_id,
            deleted_at,
            reason,
        } => Action::Delete {
            platform_id,
            at: deleted_at
                .map(|t| t.as_millisecond())
                .unwrap_or_else(crate::domain::time::now_millis),
            reason: delete_reason(reason).to_owned(),
        },
        InboundEvent::Echo {
            platform_id,
            app_id,
            recipient_id,
            text,
            at,
        } => {
            let ours = app_id.is_some() && app_id.as_deref() == t.app_id;
            let mut m = base_message(t, platform_id, text, at.as_millisecond());
            m.direction = Direction::Out;
            m.visibility = Visibility::Private;
            m.conversation_key = Some(dm_key(t, &recipient_id));
            m.customer = Some(AuthorRef {
                handle: recipient_id.clone(),
                platform_user_id: recipient_id,
                display_name: None,
            });
            checked(Action::Echo { message: m, ours })
        }
        InboundEvent::Skipped { reason } => Action::Skip(reason),
        InboundEvent::Invalid { reason } => Action::Skip(format!("invalid entry: {reason}")),
    }
}

fn delete_reason(r: DeleteReason) -> &'static str {
    match r {
        DeleteReason::ByAuthor => "by_author",
        DeleteReason::ByPlatform => "by_platform",
        DeleteReason::Hidden => "hidden",
    }
}

fn base_message(t: &Target<'_>, platform_id: String, text: String, at: i64) -> IncomingMessage {
    IncomingMessage {
        channel: t.channel.parse().unwrap_or(Channel::Sandbox),
        account: t.handle.to_owned(),
        platform_id,
        direction: Direction::In,
        visibility: Visibility::Public,
        reply_to: None,
        customer: None,
        text,
        platform_time: at,
        conversation_key: None,
        conversation_attrs: None,
        earlier_versions: Vec::new(),
        deleted_at: None,
    }
}

/// One conversation per customer for private messages on an account.
fn dm_key(t: &Target<'_>, customer: &str) -> String {
    format!("{}:{}:dm:{customer}", t.channel, t.account_id)
}

fn item_action(t: &Target<'_>, item: ItemUpsert) -> Action {
    let mut m = base_message(
        t,
        item.platform_id,
        item.text,
        item.created_at.as_millisecond(),
    );
    m.reply_to = item.in_reply_to;
    m.visibility = match item.visibility {
        hearken_connectors::Visibility::Public => Visibility::Public,
        hearken_connectors::Visibility::Private => Visibility::Private,
    };
    if m.visibility == Visibility::Private {
        let thread = item
            .thread_root_id
            .unwrap_or_else(|| item.author.platform_user_id.clone());
        m.conversation_key = Some(dm_key(t, &thread));
    }
    if item.from_brand {
        // The brand's own item that Hearken did not send: confirmed if we have it, else
        // stored as sent outside Hearken.
        m.direction = Direction::Out;
        return checked(Action::Echo {
            message: m,
            ours: false,
        });
    }
    m.customer = Some(AuthorRef {
        handle: item
            .author
            .handle
            .clone()
            .unwrap_or_else(|| item.author.platform_user_id.clone()),
        platform_user_id: item.author.platform_user_id,
        display_name: item.author.display_name,
    });
    let followers = item.author.followers.and_then(|n| i64::try_from(n).ok());
    checked(Action::Ingest {
        message: m,
        followers,
    })
}

/// Refuses items that storage could not keep faithfully.
fn checked(a: Action) -> Action {
    let m = match &a {
        Action::Ingest { message: m, .. } | Action::Echo { message: m, .. } => m,
        _ => return a,
    };
    if m.text.contains('\u{FDD0}') {
        return Action::Skip(format!(
            "item {} has an unpaired UTF-16 surrogate in its text",
            m.platform_id
        ));
    }
    match m.validate() {
        Ok(()) => a,
        Err(e) => Action::Skip(format!("item {} refused: {e}", m.platform_id)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_surrogates_are_replaced_and_pairs_kept() {
        let body = br#"{"a":"x\ud800y","b":"\ud83d\ude00","c":"\\ud800","d":"\udc00"}"#;
        let out = String::from_utf8(replace_lone_surrogates(body)).unwrap();
        assert_eq!(
            out,
            r#"{"a":"x\ufdd0y","b":"\ud83d\ude00","c":"\\ud800","d":"\ufdd0"}"#
        );
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["b"], "😀");
    }
}
