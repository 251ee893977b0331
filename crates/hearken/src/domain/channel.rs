//! Channels (platforms) and message visibility.

use std::fmt;
use std::str::FromStr;

/// A platform Hearken connects to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    X,
    Facebook,
    Instagram,
    Messenger,
    Mastodon,
    Reddit,
    Sandbox,
}

impl Channel {
    /// Every channel, in display order.
    pub const ALL: [Channel; 7] = [
        Channel::X,
        Channel::Facebook,
        Channel::Instagram,
        Channel::Messenger,
        Channel::Mastodon,
        Channel::Reddit,
        Channel::Sandbox,
    ];

    /// The lowercase name stored in the database and used in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::X => "x",
            Channel::Facebook => "facebook",
            Channel::Instagram => "instagram",
            Channel::Messenger => "messenger",
            Channel::Mastodon => "mastodon",
            Channel::Reddit => "reddit",
            Channel::Sandbox => "sandbox",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A channel name that Hearken does not know.
#[derive(Debug, thiserror::Error)]
#[error("unknown channel {0:?}; expected one of x, facebook, instagram, messenger, mastodon, reddit, sandbox")]
pub struct UnknownChannel(pub String);

impl FromStr for Channel {
    type Err = UnknownChannel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Channel::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownChannel(s.to_owned()))
    }
}

/// Whether an item is public (post, comment, reply) or private (direct message).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    Public,
    Private,
}

impl Visibility {
    /// The lowercase name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Private => "private",
        }
    }

    /// Parses the stored name; anything unknown is treated as an error by callers.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "public" => Some(Visibility::Public),
            "private" => Some(Visibility::Private),
            _ => None,
        }
    }
}
