//! Mastodon: `POST /api/v1/statuses` with `in_reply_to_id`; a direct message is a status
//! with `visibility=direct` that mentions the customer. Every send carries an
//! `Idempotency-Key` that is the same on every retry of the same reply, so the instance
//! posts it once. Rate limits come as 429 with `X-RateLimit-Reset` (an ISO 8601 time).

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;

use super::transport::{self, Reply, Transport, Verdict};
use super::{base, bearer, idempotency_key, parent, recipient, refusal, require_id, text_at};
use crate::domain::channel::Visibility;
use crate::replies::adapter::{ChannelAdapter, OutboundRequest, SendError, SentReceipt};
use crate::replies::credentials::CredentialSource;

const PLATFORM: &str = "Mastodon";

/// Posts statuses as a Mastodon account.
pub struct MastodonClient {
    base: String,
    credentials: Arc<dyn CredentialSource>,
    transport: Transport,
}

impl MastodonClient {
    /// A client for the instance at `base`, unless the account's credentials name another.
    pub fn new(base: &str, credentials: Arc<dyn CredentialSource>, transport: Transport) -> Self {
        MastodonClient {
            base: base.to_owned(),
            credentials,
            transport,
        }
    }
}

fn judge(reply: &Reply) -> Verdict {
    let wait = transport::retry_after(&reply.headers)
        .or_else(|| transport::reset_iso(&reply.headers, "x-ratelimit-reset"));
    transport::standard_verdict(reply, wait)
}

/// The text of a direct status: Mastodon delivers it to the accounts it mentions, so it
/// must mention the customer.
pub fn direct_text(handle: &str, text: &str) -> String {
    let mention = format!("@{}", handle.trim_start_matches('@'));
    let already = text
        .split_whitespace()
        .any(|w| w.eq_ignore_ascii_case(&mention));
    if already {
        text.to_owned()
    } else {
        format!("{mention} {text}")
    }
}

#[async_trait]
impl ChannelAdapter for MastodonClient {
    async fn send(&self, req: &OutboundRequest) -> Result<SentReceipt, SendError> {
        let creds = self
            .credentials
            .credentials(req.workspace, req.account_id, "mastodon")
            .await?;
        let url = format!("{}/api/v1/statuses", base(&creds, &self.base));
        let body = match req.visibility {
            Visibility::Public => json!({
                "status": req.text,
                "in_reply_to_id": parent(PLATFORM, req)?,
                "visibility": "public",
            }),
            Visibility::Private => json!({
                "status": direct_text(&recipient(PLATFORM, req)?, &req.text),
                "in_reply_to_id": req.in_reply_to,
                "visibility": "direct",
            }),
        };
        let auth = bearer(&creds);
        let key = idempotency_key(req);
        let reply = self
            .transport
            .execute(
                PLATFORM,
                || {
                    self.transport
                        .http
                        .post(&url)
                        .header("authorization", &auth)
                        .header("idempotency-key", &key)
                        .json(&body)
                },
                judge,
            )
            .await?;
        if !reply.status.is_success() {
            return Err(refusal(PLATFORM, &reply, text_at(&reply, "/error")));
        }
        let platform_id = require_id(PLATFORM, text_at(&reply, "/id"))?;
        Ok(SentReceipt { platform_id })
    }
}
