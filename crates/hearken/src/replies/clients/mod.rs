//! Real send clients, one per platform, behind the `ChannelAdapter` trait.
//!
//! Each client turns an `OutboundRequest` into the platform's own request: a public reply
//! in the thread when the answered item was public, a direct message when it was private.
//! Base URLs are configurable so tests point the clients at a local stand-in server.
//! Retries and rate limits are handled once, in `transport`.

pub mod mastodon;
pub mod meta;
pub mod reddit;
pub mod transport;
pub mod x;

use std::sync::Arc;

use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};

use self::transport::{Reply, Transport};
use super::adapter::{OutboundRequest, SendError};
use super::credentials::{CredentialSource, Credentials};
use crate::app::Adapters;

/// The platforms' base URLs.
#[derive(Debug, Clone)]
pub struct Endpoints {
    /// X API v2 host.
    pub x: String,
    /// Meta Graph API, with its version (Facebook, Messenger, Instagram).
    pub graph: String,
    /// Default Mastodon instance (an account's credentials usually name its own).
    pub mastodon: String,
    /// Reddit's OAuth API host.
    pub reddit: String,
}

impl Default for Endpoints {
    fn default() -> Self {
        Endpoints {
            x: "https://api.x.com".into(),
            graph: "https://graph.facebook.com/v21.0".into(),
            mastodon: "https://mastodon.social".into(),
            reddit: "https://oauth.reddit.com".into(),
        }
    }
}

impl Endpoints {
    /// Every platform at one base URL: a test's stand-in server.
    pub fn all_at(base: &str) -> Endpoints {
        Endpoints {
            x: base.into(),
            graph: base.into(),
            mastodon: base.into(),
            reddit: base.into(),
        }
    }
}

/// Puts the real clients in place of the sandbox for every platform channel.
pub fn install(
    adapters: &mut Adapters,
    endpoints: &Endpoints,
    credentials: Arc<dyn CredentialSource>,
    transport: Transport,
) {
    let x = x::XClient::new(&endpoints.x, credentials.clone(), transport.clone());
    adapters.insert("x", Arc::new(x));
    for surface in [
        meta::Surface::Facebook,
        meta::Surface::Messenger,
        meta::Surface::Instagram,
    ] {
        let client = meta::MetaClient::new(
            surface,
            &endpoints.graph,
            credentials.clone(),
            transport.clone(),
        );
        adapters.insert(surface.channel(), Arc::new(client));
    }
    let mastodon =
        mastodon::MastodonClient::new(&endpoints.mastodon, credentials.clone(), transport.clone());
    adapters.insert("mastodon", Arc::new(mastodon));
    let reddit = reddit::RedditClient::new(&endpoints.reddit, credentials, transport);
    adapters.insert("reddit", Arc::new(reddit));
}

/// The base URL to use: the account's own, else the client's default, without a trailing `/`.
fn base<'a>(creds: &'a Credentials, default: &'a str) -> &'a str {
    creds
        .base_url
        .as_deref()
        .unwrap_or(default)
        .trim_end_matches('/')
}

fn bearer(creds: &Credentials) -> String {
    format!("Bearer {}", creds.access_token.expose_secret())
}

/// A key that is the same for every try of the same reply, so a platform that honours
/// idempotency keys posts it once even when an answer was lost and we retried.
pub fn idempotency_key(req: &OutboundRequest) -> String {
    let mut h = Sha256::new();
    for part in [
        req.workspace.0.to_string(),
        req.account_id.to_string(),
        req.visibility.as_str().to_owned(),
        req.in_reply_to.clone().unwrap_or_default(),
        req.recipient.clone().unwrap_or_default(),
        req.text.clone(),
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    hex::encode(&h.finalize()[..16])
}

/// A text field of the answer body, by JSON pointer.
fn text_at(reply: &Reply, pointer: &str) -> Option<String> {
    match reply.body.pointer(pointer)? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A final refusal, with the platform's own explanation when it gave one.
fn refusal(platform: &str, reply: &Reply, explanation: Option<String>) -> SendError {
    let why = explanation.unwrap_or_else(|| format!("status {}", reply.status.as_u16()));
    tracing::warn!(
        http.status = reply.status.as_u16(),
        "{platform} refused a reply with status {}",
        reply.status.as_u16()
    );
    SendError::Refused(format!("{platform}: {why}"))
}

/// The id of the new item, or an error saying the answer lacked it.
fn require_id(platform: &str, id: Option<String>) -> Result<String, SendError> {
    id.filter(|s| !s.is_empty()).ok_or_else(|| {
        SendError::Unavailable(format!("{platform} accepted the reply but returned no id"))
    })
}

/// The in-reply-to id a public reply needs.
fn parent(platform: &str, req: &OutboundRequest) -> Result<String, SendError> {
    req.in_reply_to
        .clone()
        .ok_or_else(|| SendError::Refused(format!("{platform}: nothing to reply to")))
}

/// The recipient a direct message needs.
fn recipient(platform: &str, req: &OutboundRequest) -> Result<String, SendError> {
    req.recipient
        .clone()
        .ok_or_else(|| SendError::Refused(format!("{platform}: the customer's id is unknown")))
}
