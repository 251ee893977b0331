//! X API v2: public replies with `POST /2/tweets` and `reply.in_reply_to_tweet_id`, direct
//! messages with `POST /2/dm_conversations/with/:participant_id/messages`.
//!
//! X has no idempotency key for either call, so a lost answer after a 5xx can in rare cases
//! post twice; X refuses an identical tweet text in a short window, which bounds that.
//! Rate limits come as 429 with `x-rate-limit-reset` (epoch seconds).

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;

use super::transport::{self, Reply, Transport, Verdict};
use super::{base, bearer, parent, recipient, refusal, require_id, text_at};
use crate::domain::channel::Visibility;
use crate::replies::adapter::{ChannelAdapter, OutboundRequest, SendError, SentReceipt};
use crate::replies::credentials::CredentialSource;

const PLATFORM: &str = "X";

/// Sends replies and DMs as an X account.
pub struct XClient {
    base: String,
    credentials: Arc<dyn CredentialSource>,
    transport: Transport,
}

impl XClient {
    /// A client for the API at `base` (e.g. `https://api.x.com`).
    pub fn new(base: &str, credentials: Arc<dyn CredentialSource>, transport: Transport) -> Self {
        XClient {
            base: base.to_owned(),
            credentials,
            transport,
        }
    }
}

fn judge(reply: &Reply) -> Verdict {
    let wait = transport::retry_after(&reply.headers)
        .or_else(|| transport::reset_epoch_secs(&reply.headers, "x-rate-limit-reset"));
    transport::standard_verdict(reply, wait)
}

fn explanation(reply: &Reply) -> Option<String> {
    text_at(reply, "/detail").or_else(|| text_at(reply, "/errors/0/message"))
}

#[async_trait]
impl ChannelAdapter for XClient {
    async fn send(&self, req: &OutboundRequest) -> Result<SentReceipt, SendError> {
        let creds = self
            .credentials
            .credentials(req.workspace, req.account_id, "x")
            .await?;
        let base = base(&creds, &self.base);
        let (url, body, id_at) = match req.visibility {
            Visibility::Public => {
                let body = json!({
                    "text": req.text,
                    "reply": { "in_reply_to_tweet_id": parent(PLATFORM, req)? },
                });
                (format!("{base}/2/tweets"), body, "/data/id")
            }
            Visibility::Private => {
                let to = recipient(PLATFORM, req)?;
                let url = format!("{base}/2/dm_conversations/with/{to}/messages");
                (url, json!({ "text": req.text }), "/data/dm_event_id")
            }
        };
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
                        .json(&body)
                },
                judge,
            )
            .await?;
        if !reply.status.is_success() {
            return Err(refusal(PLATFORM, &reply, explanation(&reply)));
        }
        let platform_id = require_id(PLATFORM, text_at(&reply, id_at))?;
        Ok(SentReceipt { platform_id })
    }
}
