//! Reply length as each platform counts it, and validation against its limit.
//!
//! Platforms disagree on what a "character" is, so a reply that fits on one
//! can be refused by another. [`weighted_length`] reproduces each platform's
//! published counting rule; [`check_length`] compares it with
//! [`Platform::limit`].
//!
//! # X (formerly Twitter)
//!
//! Models the weighted counting of the twitter-text "v3" configuration
//! (limit 280, scale 100, default weight 200, URLs 23), re-implemented from
//! its published description:
//!
//! * every URL counts 23, whatever its length. Both `http(s)://` URLs and bare
//!   domains such as `example.com` are links; a bare domain needs a known
//!   top-level domain (every country code plus common generic ones such as
//!   `.com`, `.org`, `.io`; not `.example`) and must not follow `@`,
//!   so `@customer@remote.example` and `me@example.com` stay plain text;
//! * every emoji grapheme cluster (ZWJ sequences such as 👩‍💻, flags such
//!   as 🇯🇵 and 🏳️‍🌈, tag sequences such as 🏴󠁧󠁢󠁳󠁣󠁴󠁿, skin-tone sequences such as 👍🏽,
//!   keycaps such as 1️⃣) counts 2;
//! * every other code point counts 1 if it lies in U+0000–U+10FF,
//!   U+2000–U+200D, U+2010–U+201F or U+2032–U+2037, and 2 otherwise (so CJK,
//!   ❤ U+2764 and 😊 count 2, while © U+00A9 counts 1).
//!
//! X normalises the text to NFC before counting. This crate does **not**
//! normalise (it would need Unicode composition tables): a decomposed `é`
//! (`e` + U+0301) counts 2 here where X counts 1. Text typed on phones and
//! browsers is already NFC, so the difference only ever over-counts.
//!
//! # Mastodon
//!
//! Models Mastodon's status length rule: the text is counted in extended
//! grapheme clusters, every `http://` or `https://` URL counts 23 (a bare
//! domain is *not* a link there and counts literally), and a remote mention
//! `@user@domain` counts only its local part `@user`. Limit 500, the default
//! of a stock instance.
//!
//! # Facebook, Instagram, Messenger, Reddit
//!
//! These count UTF-16 code units (what their JavaScript and Java clients
//! measure with `String.length`): an emoji outside the Basic Multilingual
//! Plane counts 2, CJK counts 1. Limits: Facebook comment 8000, Instagram
//! comment 2200, Messenger message 2000, Reddit comment 10000.
//!
//! # Sandbox
//!
//! The in-house test platform counts Unicode scalar values (Rust `char`s)
//! against a limit of 10000.

mod mastodon;
mod url;
mod x;

use serde::{Deserialize, Serialize};
use std::fmt;

/// A platform Hearken replies on; each has its own counting rule and limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// X (formerly Twitter): weighted length, limit 280.
    X,
    /// Mastodon: grapheme clusters, URLs 23, remote mentions shortened; 500.
    Mastodon,
    /// Facebook comment: UTF-16 code units, limit 8000.
    Facebook,
    /// Instagram comment: UTF-16 code units, limit 2200.
    Instagram,
    /// Messenger message: UTF-16 code units, limit 2000.
    Messenger,
    /// Reddit comment: UTF-16 code units, limit 10000.
    Reddit,
    /// The in-house sandbox: Unicode scalar values, limit 10000.
    Sandbox,
}

impl Platform {
    /// Every platform, in declaration order.
    pub const ALL: [Platform; 7] = [
        Platform::X,
        Platform::Mastodon,
        Platform::Facebook,
        Platform::Instagram,
        Platform::Messenger,
        Platform::Reddit,
        Platform::Sandbox,
    ];

    /// The longest reply the platform accepts, in its own unit of length.
    pub const fn limit(self) -> usize {
        match self {
            Platform::X => 280,
            Platform::Mastodon => 500,
            Platform::Facebook => 8000,
            Platform::Instagram => 2200,
            Platform::Messenger => 2000,
            Platform::Reddit | Platform::Sandbox => 10000,
        }
    }

    /// The platform's display name, as used in error messages.
    pub const fn name(self) -> &'static str {
        match self {
            Platform::X => "X",
            Platform::Mastodon => "Mastodon",
            Platform::Facebook => "Facebook",
            Platform::Instagram => "Instagram",
            Platform::Messenger => "Messenger",
            Platform::Reddit => "Reddit",
            Platform::Sandbox => "Sandbox",
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A reply that is longer than its platform allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("reply is {length} long as {platform} counts it; the limit is {limit}")]
pub struct LengthError {
    /// The platform whose rule was applied.
    pub platform: Platform,
    /// The length as that platform counts it.
    pub length: usize,
    /// The platform's limit.
    pub limit: usize,
}

/// The length of `text` as `platform` counts it (see the module docs).
pub fn weighted_length(platform: Platform, text: &str) -> usize {
    match platform {
        Platform::X => x::weighted_length(text),
        Platform::Mastodon => mastodon::length(text),
        Platform::Facebook | Platform::Instagram | Platform::Messenger | Platform::Reddit => {
            text.encode_utf16().count()
        }
        Platform::Sandbox => text.chars().count(),
    }
}

/// Counts `text` as `platform` does and returns that length if it fits the
/// platform's limit (a length equal to the limit fits).
pub fn check_length(platform: Platform, text: &str) -> Result<usize, LengthError> {
    let length = weighted_length(platform, text);
    let limit = platform.limit();
    if length <= limit {
        Ok(length)
    } else {
        Err(LengthError {
            platform,
            length,
            limit,
        })
    }
}

#[cfg(test)]
mod tests;
