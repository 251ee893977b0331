//! Canonical inbound event model shared by every platform parser.
//!
//! Every parser turns one platform payload into a `Vec<InboundEvent>`. The
//! model is intentionally small and serde-serialisable so it can be queued,
//! logged or stored as JSON by the service crate.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The social platform (or platform surface) an item came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// X (formerly Twitter): tweets and DMs.
    X,
    /// Facebook Page feed (posts, comments, ratings, mentions).
    Facebook,
    /// Instagram comments, mentions and Instagram messaging.
    Instagram,
    /// Facebook Messenger conversations with a Page.
    Messenger,
    /// Mastodon statuses, notifications and conversations.
    Mastodon,
    /// Reddit comments, submissions and inbox items.
    Reddit,
}

/// Who can see an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Anyone (or anyone with the link) can read it; replies are public too.
    Public,
    /// Direct message or otherwise restricted audience.
    Private,
}

/// The author of an item as the platform describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    /// Stable platform user id (Reddit: `t2_` fullname when known, else the username).
    pub platform_user_id: String,
    /// Handle / username without a leading `@`, when known.
    pub handle: Option<String>,
    /// Display name, when known and non-empty.
    pub display_name: Option<String>,
    /// Follower count, when the payload carries it.
    pub followers: Option<u64>,
}

impl Author {
    /// An author known only by id.
    pub fn id_only(id: impl Into<String>) -> Self {
        Author {
            platform_user_id: id.into(),
            handle: None,
            display_name: None,
            followers: None,
        }
    }
}

/// Why an item disappeared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeleteReason {
    /// The author deleted / unsent it (or made it unavailable: protected, deactivated).
    ByAuthor,
    /// The platform or a moderator removed it.
    ByPlatform,
    /// The page/brand hid it (still exists, not shown publicly).
    Hidden,
}

/// A new item: post, comment, reply or direct message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemUpsert {
    /// Platform surface.
    pub channel: Channel,
    /// Platform id of the item (Reddit: without the `t1_`/`t3_` prefix).
    pub platform_id: String,
    /// Root of the thread: X `conversation_id`, Reddit `link_id`, Facebook post id,
    /// the item itself for roots; for DMs the conversation / customer id.
    pub thread_root_id: Option<String>,
    /// Direct parent item, when this is a reply.
    pub in_reply_to: Option<String>,
    /// Who can see it.
    pub visibility: Visibility,
    /// Who wrote it.
    pub author: Author,
    /// True when authored by the connected (brand) account.
    pub from_brand: bool,
    /// Plain text (HTML stripped, entities decoded). Attachment-only messages get
    /// placeholders such as `[image]`.
    pub text: String,
    /// When the platform says it was created.
    pub created_at: Timestamp,
    /// Language tag when the platform supplies one.
    pub lang: Option<String>,
    /// Platform-specific kind, e.g. `tweet`, `dm`, `comment`, `status`, `t1`.
    pub raw_kind: String,
}

/// One canonical event produced from a platform payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InboundEvent {
    /// A new item (post, comment, reply, DM) or a re-upsert of a known one.
    Message(ItemUpsert),
    /// The text of an existing item changed.
    Edit {
        /// Id of the item as first seen (X: the original tweet id).
        platform_id: String,
        /// New full text.
        text: String,
        /// When the edit happened.
        edited_at: Timestamp,
        /// Platform version marker (X: id of the latest version; Messenger: edit count).
        version_id: Option<String>,
    },
    /// An item was deleted, removed or hidden.
    Delete {
        /// Id of the item.
        platform_id: String,
        /// When, if the platform says.
        deleted_at: Option<Timestamp>,
        /// Why.
        reason: DeleteReason,
    },
    /// Our own outbound message echoed back by the platform (Messenger `is_echo`,
    /// X DMs sent by our app).
    Echo {
        /// Id of the echoed message.
        platform_id: String,
        /// Id of the app that sent it, when given.
        app_id: Option<String>,
        /// The customer it was sent to.
        recipient_id: String,
        /// Text sent.
        text: String,
        /// When it was sent.
        at: Timestamp,
    },
    /// Recognised but deliberately not turned into an item (reactions, read
    /// receipts, likes, handover, incomplete webhook stubs...).
    Skipped {
        /// Human-readable reason, naming the payload kind and id where possible.
        reason: String,
    },
    /// One entry of a payload was malformed; the rest of the payload was still parsed.
    Invalid {
        /// What was wrong with the entry.
        reason: String,
    },
}

impl InboundEvent {
    /// Build a `Skipped` event.
    pub fn skipped(reason: impl Into<String>) -> Self {
        InboundEvent::Skipped {
            reason: reason.into(),
        }
    }

    /// Build an `Invalid` event.
    pub fn invalid(reason: impl Into<String>) -> Self {
        InboundEvent::Invalid {
            reason: reason.into(),
        }
    }
}

/// Identifies the connected account, so brand-authored items and echoes can be recognised.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountContext {
    /// Platform id of the connected account (X user id, Facebook Page id, Instagram
    /// business account id, Mastodon account id, Reddit username or `t2_` fullname).
    pub brand_user_id: String,
    /// Our app id (Meta app id / X app id), used to recognise our own echoes.
    pub app_id: Option<String>,
}

impl AccountContext {
    /// Context for a brand account without an app id.
    pub fn new(brand_user_id: impl Into<String>) -> Self {
        AccountContext {
            brand_user_id: brand_user_id.into(),
            app_id: None,
        }
    }

    /// Whether `id` is the connected account.
    pub fn is_brand(&self, id: &str) -> bool {
        !self.brand_user_id.is_empty() && self.brand_user_id == id
    }
}

/// A payload that could not be parsed at all.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// The body is not valid JSON (or truncated).
    #[error("invalid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The body is valid JSON but its top level has the wrong shape.
    #[error("unexpected payload shape: {0}")]
    Shape(String),
    /// The body is not valid UTF-8 (event-stream input).
    #[error("body is not UTF-8")]
    Utf8,
}
