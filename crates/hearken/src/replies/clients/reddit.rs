//! Reddit: `POST /api/comment` with `thing_id` (the parent's fullname) answers a comment
//! (`t1_`), a post (`t3_`) or, for a private item, a private message (`t4_`).
//!
//! Reddit reports some refusals inside a 200 answer (`json.errors`); a `RATELIMIT` error
//! there is treated as a rate limit. Its headers give `x-ratelimit-reset` in seconds from
//! now. Reddit has no idempotency key.

use std::sync::Arc;

use async_trait::async_trait;

use super::transport::{self, Reply, Transport, Verdict};
use super::{base, bearer, parent, refusal, require_id, text_at};
use crate::domain::channel::Visibility;
use crate::replies::adapter::{ChannelAdapter, OutboundRequest, SendError, SentReceipt};
use crate::replies::credentials::CredentialSource;

const PLATFORM: &str = "Reddit";

/// Comments and answers messages as a Reddit account.
pub struct RedditClient {
    base: String,
    credentials: Arc<dyn CredentialSource>,
    transport: Transport,
}

impl RedditClient {
    /// A client for the OAuth API at `base` (e.g. `https://oauth.reddit.com`).
    pub fn new(base: &str, credentials: Arc<dyn CredentialSource>, transport: Transport) -> Self {
        RedditClient {
            base: base.to_owned(),
            credentials,
            transport,
        }
    }
}

/// The fullname of the item answered. Connectors store ids without their kind prefix;
/// a private item is a message (`t4_`), a public one a comment (`t1_`) unless the id
/// already carries its kind.
// TODO(#6): keep the kind (t1/t3/t4) from the connector so a reply to a post is not sent
// with a `t1_` prefix.
pub fn fullname(id: &str, visibility: Visibility) -> String {
    let has_kind = id.len() > 3 && id.starts_with('t') && id.as_bytes()[2] == b'_';
    if has_kind {
        return id.to_owned();
    }
    match visibility {
        Visibility::Public => format!("t1_{id}"),
        Visibility::Private => format!("t4_{id}"),
    }
}

fn first_error(reply: &Reply) -> Option<(String, String)> {
    let e = reply.body.pointer("/json/errors/0")?;
    let code = e.get(0)?.as_str()?.to_owned();
    let message = e.get(1).and_then(|m| m.as_str()).unwrap_or("").to_owned();
    Some((code, message))
}

fn judge(reply: &Reply) -> Verdict {
    let wait = transport::retry_after(&reply.headers)
        .or_else(|| transport::reset_delta_secs(&reply.headers, "x-ratelimit-reset"));
    if matches!(first_error(reply), Some((code, _)) if code == "RATELIMIT") {
        return Verdict::Throttled(wait);
    }
    transport::standard_verdict(reply, wait)
}

#[async_trait]
impl ChannelAdapter for RedditClient {
    async fn send(&self, req: &OutboundRequest) -> Result<SentReceipt, SendError> {
        let creds = self
            .credentials
            .credentials(req.workspace, req.account_id, "reddit")
            .await?;
        let url = format!("{}/api/comment", base(&creds, &self.base));
        let thing = fullname(&parent(PLATFORM, req)?, req.visibility);
        let form = [
            ("api_type", "json"),
            ("thing_id", thing.as_str()),
            ("text", req.text.as_str()),
        ];
        let auth = bearer(&creds);
        let reply = self
            .transport
            .execute(
                PLATFORM,
                || {
                    self.transport
                        .http
                        .post(&url)
                        .header("authorization", &auth)
                        .form(&form)
                },
                judge,
            )
            .await?;
        if let Some((code, message)) = first_error(&reply) {
            return Err(refusal(
                PLATFORM,
                &reply,
                Some(format!("{code}: {message}")),
            ));
        }
        if !reply.status.is_success() {
            return Err(refusal(PLATFORM, &reply, text_at(&reply, "/message")));
        }
        let id = text_at(&reply, "/json/data/things/0/data/id");
        Ok(SentReceipt {
            platform_id: require_id(PLATFORM, id)?,
        })
    }
}
