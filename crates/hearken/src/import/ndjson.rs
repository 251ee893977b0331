//! Hearken's canonical message format: one JSON object per line, as `export` writes.
//!
//! ```json
//! {"conversation_id":"x:3","conversation":{"status":"open","priority":"normal","tags":["refund"]},
//!  "channel":"x","account":"sprintcare","platform_id":"1","direction":"out",
//!  "visibility":"public","reply_to":"3","customer":null,"text":"…",
//!  "created_at":"2017-10-31T22:10:47Z","earlier_versions":[],"deleted_at":null}
//! ```
//!
//! `conversation_id` is the conversation's stable key: lines that share it belong to one
//! conversation, whatever their reply links say. `customer` is the customer identity the
//! message is from (inbound) or to (outbound).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{Parsed, Rejection};
use crate::domain::channel::{Channel, Visibility};
use crate::domain::message::{AuthorRef, ConversationAttrs, Direction, IncomingMessage};

/// One message in the canonical format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CanonicalMessage {
    /// The conversation's stable key.
    pub conversation_id: String,
    /// Work attributes of the conversation.
    #[serde(default)]
    pub conversation: Option<ConversationAttrs>,
    #[schema(value_type = String, example = "x")]
    pub channel: Channel,
    /// The brand account's handle.
    pub account: String,
    pub platform_id: String,
    pub direction: Direction,
    #[schema(value_type = String, example = "public")]
    pub visibility: Visibility,
    #[serde(default)]
    pub reply_to: Option<String>,
    #[serde(default)]
    pub customer: Option<AuthorRef>,
    pub text: String,
    /// RFC 3339 instant.
    #[schema(value_type = String, example = "2017-10-31T22:10:47Z")]
    pub created_at: Timestamp,
    /// Earlier versions of the text, oldest first.
    #[serde(default)]
    pub earlier_versions: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub deleted_at: Option<Timestamp>,
}

impl CanonicalMessage {
    /// Converts to an incoming message keyed to its conversation.
    pub fn into_incoming(self) -> IncomingMessage {
        IncomingMessage {
            channel: self.channel,
            account: self.account,
            platform_id: self.platform_id,
            direction: self.direction,
            visibility: self.visibility,
            reply_to: self.reply_to,
            customer: self.customer,
            text: self.text,
            platform_time: self.created_at.as_millisecond(),
            conversation_key: Some(self.conversation_id),
            conversation_attrs: self.conversation,
            earlier_versions: self.earlier_versions,
            deleted_at: self.deleted_at.map(|t| t.as_millisecond()),
        }
    }
}

/// Parses NDJSON; blank lines are skipped, a bad line is rejected with its number.
pub fn parse(bytes: &[u8]) -> impl Iterator<Item = Parsed> + '_ {
    bytes
        .split(|b| *b == b'\n')
        .enumerate()
        .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace))
        .map(|(n, l)| {
            let line = n as u64 + 1;
            serde_json::from_slice::<CanonicalMessage>(l)
                .map(|c| (line, c.into_incoming()))
                .map_err(|e| Rejection {
                    line,
                    reason: format!("not a canonical message: {e}"),
                })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_and_bad_lines() {
        let input = concat!(
            r#"{"conversation_id":"k1","channel":"x","account":"acme","platform_id":"1","direction":"in","visibility":"private","text":"hi 𠮷","created_at":"2024-01-01T00:00:00Z"}"#,
            "\n\n",
            r#"{"conversation_id":"k1","channel":"fax","account":"acme","platform_id":"2","direction":"in","visibility":"public","text":"x","created_at":"2024-01-01T00:00:00Z"}"#,
            "\n"
        );
        let out: Vec<Parsed> = parse(input.as_bytes()).collect();
        assert_eq!(out.len(), 2);
        let (line, m) = out[0].clone().unwrap();
        assert_eq!(line, 1);
        assert_eq!(m.conversation_key.as_deref(), Some("k1"));
        assert_eq!(m.visibility, Visibility::Private);
        assert_eq!(m.text, "hi 𠮷");
        let bad = out[1].clone().unwrap_err();
        assert_eq!(bad.line, 3);
        assert!(bad.reason.contains("fax"));
    }
}
