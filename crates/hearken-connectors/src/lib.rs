#![deny(missing_docs)]
//! Hearken connectors: pure parsers that turn social-platform payloads into
//! canonical [`InboundEvent`]s. No I/O happens here: the service crate receives
//! webhooks / polls APIs and hands the raw bytes to these functions.
//!
//! One module per platform:
//!
//! * [`x`]: X API v2 / v1.1 objects, Account Activity webhooks, compliance lines,
//!   CRC and signature helpers;
//! * [`meta`]: Facebook Page `feed`/`mention`/`ratings` changes, Messenger and
//!   Instagram messaging, Instagram comments/mentions, hub challenge and
//!   `X-Hub-Signature(-256)` checks;
//! * [`mastodon`]: REST entities, streaming (`text/event-stream`) events and a
//!   `min_id` polling cursor;
//! * [`reddit`]: listings, comment trees, inbox items and `/api/comment` responses.
//!
//! Every parser has the shape
//! `fn(body: &[u8], ctx: &AccountContext) -> Result<Vec<InboundEvent>, ParseError>`:
//! `Err` only when the body as a whole is unusable (not JSON, wrong top level);
//! a malformed entry inside a payload becomes [`InboundEvent::Invalid`] and the
//! other entries are still parsed; recognised non-content events (reactions,
//! receipts, likes...) become [`InboundEvent::Skipped`] with a reason.

pub mod html;
pub mod mastodon;
pub mod meta;
pub mod model;
pub mod reddit;
pub mod signature;
mod util;
pub mod x;

pub use mastodon::{parse_mastodon, parse_mastodon_stream};
pub use meta::parse_meta;
pub use model::{
    AccountContext, Author, Channel, DeleteReason, InboundEvent, ItemUpsert, ParseError, Visibility,
};
pub use reddit::parse_reddit;
pub use util::parse_json_lines;
pub use x::{parse_x, parse_x_lines};
