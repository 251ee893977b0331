//! Messages as they enter the desk, whatever their source.

use serde::{Deserialize, Serialize};

use super::channel::{Channel, Visibility};

/// Whether a message came from a customer or from the brand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// From a customer to the brand.
    In,
    /// From the brand to a customer.
    Out,
}

impl Direction {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }
}

/// The author of an item as the platform names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuthorRef {
    /// The platform's stable user id.
    pub platform_user_id: String,
    /// The current handle (may change over time).
    pub handle: String,
    /// The display name, when the platform gives one.
    #[serde(default)]
    pub display_name: Option<String>,
}

/// One item to place in the desk: validated, but not yet threaded.
#[derive(Debug, Clone, PartialEq)]
pub struct IncomingMessage {
    /// The channel it came from.
    pub channel: Channel,
    /// The brand account handle it belongs to.
    pub account: String,
    /// The platform's id of the item; unique per channel.
    pub platform_id: String,
    /// In or out.
    pub direction: Direction,
    /// Public or private.
    pub visibility: Visibility,
    /// The platform id of the item this one replies to.
    pub reply_to: Option<String>,
    /// The customer who wrote it (inbound) or to whom it is addressed (outbound), if known.
    pub customer: Option<AuthorRef>,
    /// The text, exactly as received.
    pub text: String,
    /// When the platform says it was created, epoch ms.
    pub platform_time: i64,
    /// A conversation key that overrides threading (canonical ndjson import).
    pub conversation_key: Option<String>,
    /// Conversation attributes carried by a canonical import.
    pub conversation_attrs: Option<ConversationAttrs>,
    /// Earlier versions of the text, oldest first (canonical import of edited items).
    pub earlier_versions: Vec<String>,
    /// When the item was deleted on the platform, epoch ms.
    pub deleted_at: Option<i64>,
}

/// Attributes of a conversation carried in the canonical export.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConversationAttrs {
    /// Stored status name.
    pub status: String,
    /// Stored priority name.
    pub priority: String,
    /// Tags, sorted.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// Why an incoming item was refused before it reached storage.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum InvalidMessage {
    #[error("the platform id is empty")]
    EmptyId,
    #[error("the account handle is empty")]
    EmptyAccount,
    #[error("the platform id is longer than 512 characters")]
    IdTooLong,
    #[error("the text is longer than 100000 bytes")]
    TextTooLong,
    #[error("the text contains a NUL character")]
    NulInText,
}

impl IncomingMessage {
    /// Checks what storage and the UI rely on: ids present and bounded, text storable.
    /// Instagram message ids run to about 170 characters, so the bound is 512.
    pub fn validate(&self) -> Result<(), InvalidMessage> {
        if self.platform_id.trim().is_empty() {
            return Err(InvalidMessage::EmptyId);
        }
        if self.platform_id.chars().count() > 512 {
            return Err(InvalidMessage::IdTooLong);
        }
        if self.account.trim().is_empty() {
            return Err(InvalidMessage::EmptyAccount);
        }
        if self.text.len() > 100_000 {
            return Err(InvalidMessage::TextTooLong);
        }
        // PostgreSQL text cannot hold NUL; refusing it on every backend keeps them equal.
        if self.text.contains('\0') {
            return Err(InvalidMessage::NulInText);
        }
        Ok(())
    }
}

/// A short single-line preview that never cuts a grapheme cluster.
pub fn preview(text: &str, max: usize) -> String {
    use unicode_segmentation::UnicodeSegmentation;
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = String::new();
    for (n, g) in flat.graphemes(true).enumerate() {
        if n == max {
            out.push('…');
            return out;
        }
        out.push_str(g);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preview_keeps_graphemes_whole() {
        // Family emoji is one grapheme of 7 code points; cutting at 2 keeps it intact.
        let p = preview("a👨‍👩‍👧‍👦bc", 2);
        assert_eq!(p, "a👨‍👩‍👧‍👦…");
        assert_eq!(preview("short\n text", 20), "short text");
    }
}
