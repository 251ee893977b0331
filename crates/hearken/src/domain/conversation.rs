//! Conversations: the unit of work, with status, priority, assignee, team and tags.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where a conversation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    New,
    Open,
    Pending,
    Resolved,
    Closed,
}

impl Status {
    /// Every status, in workflow order.
    pub const ALL: [Status; 5] = [
        Status::New,
        Status::Open,
        Status::Pending,
        Status::Resolved,
        Status::Closed,
    ];

    /// The stored lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Open => "open",
            Status::Pending => "pending",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
        }
    }

    /// A new customer message reopens a resolved or closed conversation.
    pub fn after_customer_message(self) -> Status {
        match self {
            Status::Resolved | Status::Closed | Status::Pending => Status::Open,
            other => other,
        }
    }
}

/// A status name that does not exist.
#[derive(Debug, thiserror::Error)]
#[error("unknown status {0:?}; expected new, open, pending, resolved or closed")]
pub struct UnknownStatus(pub String);

impl FromStr for Status {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

/// How urgent a conversation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Low,
    Normal,
    High,
    Urgent,
}

impl Priority {
    /// Every priority, lowest first.
    pub const ALL: [Priority; 4] = [
        Priority::Low,
        Priority::Normal,
        Priority::High,
        Priority::Urgent,
    ];

    /// The stored lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }
}

/// A priority name that does not exist.
#[derive(Debug, thiserror::Error)]
#[error("unknown priority {0:?}; expected low, normal, high or urgent")]
pub struct UnknownPriority(pub String);

impl FromStr for Priority {
    type Err = UnknownPriority;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Priority::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| UnknownPriority(s.to_owned()))
    }
}

/// A validated tag: 1 to 64 characters, no control characters, trimmed and lowercased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Tag(String);

/// Why a tag was refused.
#[derive(Debug, thiserror::Error)]
pub enum TagError {
    #[error("a tag cannot be empty")]
    Empty,
    #[error("a tag is at most 64 characters")]
    TooLong,
    #[error("a tag cannot contain control characters")]
    Control,
}

impl Tag {
    /// Parses user input into a tag.
    pub fn parse(raw: &str) -> Result<Tag, TagError> {
        let t = raw.trim().to_lowercase();
        if t.is_empty() {
            return Err(TagError::Empty);
        }
        if t.chars().count() > 64 {
            return Err(TagError::TooLong);
        }
        if t.chars().any(char::is_control) {
            return Err(TagError::Control);
        }
        Ok(Tag(t))
    }

    /// The tag text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_normalised_and_validated() {
        assert_eq!(Tag::parse("  Refund ").unwrap().as_str(), "refund");
        assert!(matches!(Tag::parse("   "), Err(TagError::Empty)));
        assert!(matches!(
            Tag::parse(&"a".repeat(65)),
            Err(TagError::TooLong)
        ));
        assert!(matches!(Tag::parse("a\u{7}b"), Err(TagError::Control)));
    }

    #[test]
    fn customer_message_reopens_finished_work() {
        assert_eq!(Status::Resolved.after_customer_message(), Status::Open);
        assert_eq!(Status::New.after_customer_message(), Status::New);
    }
}
