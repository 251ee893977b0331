//! Message history across channels (issue #5): contacts and the evidence-carrying links
//! between them, the person's timeline, preserved originals of deleted content, the
//! reply-level record of an outbound message, and privacy erasure (card numbers included).
//!
//! Handlers call these functions; the store writes every change with its audit event.

pub mod bench;
pub mod card;
pub mod contacts;
pub mod record;
pub mod retention;
pub mod timeline;

use crate::domain::time::rfc3339;
use crate::storage::StoreError;

/// Why a history request was refused.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("{0}")]
    Invalid(String),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for HistoryError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => HistoryError::NotFound,
            other => HistoryError::Store(other),
        }
    }
}

/// What an agent sees in place of a message deleted on the platform.
pub fn tombstone(channel: &str, deleted_at: i64) -> String {
    let platform = match channel {
        "x" => "X",
        "facebook" => "Facebook",
        "instagram" => "Instagram",
        "messenger" => "Messenger",
        "mastodon" => "Mastodon",
        "reddit" => "Reddit",
        "sandbox" => "the sandbox",
        other => other,
    };
    format!(
        "deleted on {platform} at {}",
        rfc3339(deleted_at).replace('T', " ").trim_end_matches('Z')
    ) + " UTC"
}

/// What anyone sees in place of erased content.
pub fn erased_mark(erased_at: i64) -> String {
    format!(
        "content erased at {} UTC",
        rfc3339(erased_at).replace('T', " ").trim_end_matches('Z')
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tombstone_names_platform_and_time() {
        // 1_700_000_000_000 ms is 2023-11-14T22:13:20Z.
        assert_eq!(
            tombstone("x", 1_700_000_000_000),
            "deleted on X at 2023-11-14 22:13:20 UTC"
        );
    }
}
