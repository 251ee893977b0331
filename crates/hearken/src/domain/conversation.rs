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

/// A conversation's language: a BCP 47-like tag (`es`, `pt-BR`, `zh-Hant-TW`), at most 35
/// characters, in canonical case (language lower, script title, region upper). `_` is
/// read as `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Locale(String);

/// Why a locale tag was refused.
#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not a language tag such as es or pt-BR")]
pub struct LocaleError(String);

impl Locale {
    /// Parses user input into a canonical tag.
    pub fn parse(raw: &str) -> Result<Locale, LocaleError> {
        let refuse = || LocaleError(raw.chars().take(40).collect());
        let t = raw.trim().replace('_', "-");
        if t.is_empty() || t.len() > 35 {
            return Err(refuse());
        }
        let mut out = Vec::new();
        for (i, sub) in t.split('-').enumerate() {
            let letters = sub.chars().all(|c| c.is_ascii_alphabetic());
            let alnum = sub.chars().all(|c| c.is_ascii_alphanumeric());
            let digits = sub.chars().all(|c| c.is_ascii_digit());
            let canonical = match (i, sub.len()) {
                (0, 2..=3 | 5..=8) if letters => sub.to_ascii_lowercase(),
                (0, _) => return Err(refuse()),
                (_, 4) if letters => {
                    let (first, rest) = sub.split_at(1);
                    first.to_ascii_uppercase() + &rest.to_ascii_lowercase()
                }
                (_, 2) if letters => sub.to_ascii_uppercase(),
                (_, 3) if digits => sub.to_owned(),
                (_, 1..=8) if alnum => sub.to_ascii_lowercase(),
                _ => return Err(refuse()),
            };
            out.push(canonical);
        }
        Ok(Locale(out.join("-")))
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
    fn locales_are_canonical_language_tags() {
        let ok = |raw: &str| Locale::parse(raw).unwrap().as_str().to_owned();
        assert_eq!(ok("es"), "es");
        assert_eq!(ok(" pt_br "), "pt-BR");
        assert_eq!(ok("ZH-hant-tw"), "zh-Hant-TW");
        assert_eq!(ok("es-419"), "es-419");
        assert_eq!(ok("de-CH-1996"), "de-CH-1996");
        for bad in [
            "",
            "e",
            "english1",
            "en-",
            "en--US",
            "1en",
            "en US",
            "fr-<b>",
            "a".repeat(36).as_str(),
        ] {
            assert!(Locale::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn customer_message_reopens_finished_work() {
        assert_eq!(Status::Resolved.after_customer_message(), Status::Open);
        assert_eq!(Status::New.after_customer_message(), Status::New);
    }
}
