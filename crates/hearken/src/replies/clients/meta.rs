//! Meta Graph API: Facebook Page comment replies (`POST /{comment-id}/comments`), Instagram
//! comment replies (`POST /{ig-comment-id}/replies`), and private messages through the Send
//! API (`POST /me/messages` with `recipient.id` and `messaging_type: RESPONSE`) for
//! Messenger and Instagram messaging.
//!
//! Graph throttling usually arrives as HTTP 400 with error code 4, 17, 32 or 613 rather than
//! 429; those are waited out and retried like a 429. The Send API has no idempotency key.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;

use super::transport::{self, Reply, Transport, Verdict};
use super::{base, bearer, parent, recipient, refusal, require_id, text_at};
use crate::domain::channel::Visibility;
use crate::replies::adapter::{ChannelAdapter, OutboundRequest, SendError, SentReceipt};
use crate::replies::credentials::CredentialSource;

/// Which Meta surface a client sends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    /// Page posts and comments; private replies go through Messenger.
    Facebook,
    /// Page conversations: always private.
    Messenger,
    /// Instagram comments, and Instagram messaging for private items.
    Instagram,
}

impl Surface {
    /// The Hearken channel name.
    pub fn channel(self) -> &'static str {
        match self {
            Surface::Facebook => "facebook",
            Surface::Messenger => "messenger",
            Surface::Instagram => "instagram",
        }
    }

    fn platform(self) -> &'static str {
        match self {
            Surface::Facebook => "Facebook",
            Surface::Messenger => "Messenger",
            Surface::Instagram => "Instagram",
        }
    }
}

/// Graph error codes that mean "slow down" (application, user, page and
/// Messenger-specific rate limits).
const THROTTLE_CODES: [i64; 4] = [4, 17, 32, 613];

/// Sends on one Meta surface as a Page or Instagram account.
pub struct MetaClient {
    surface: Surface,
    base: String,
    credentials: Arc<dyn CredentialSource>,
    transport: Transport,
}

impl MetaClient {
    /// A client for `surface` against the Graph API at `base` (with its version).
    pub fn new(
        surface: Surface,
        base: &str,
        credentials: Arc<dyn CredentialSource>,
        transport: Transport,
    ) -> Self {
        MetaClient {
            surface,
            base: base.to_owned(),
            credentials,
            transport,
        }
    }

    /// The URL, body and id field of the request that answers `req` on this surface.
    fn request(
        &self,
        base: &str,
        req: &OutboundRequest,
    ) -> Result<(String, serde_json::Value, &'static str), SendError> {
        let platform = self.surface.platform();
        let private = self.surface == Surface::Messenger || req.visibility == Visibility::Private;
        if private {
            let body = json!({
                "recipient": { "id": recipient(platform, req)? },
                "messaging_type": "RESPONSE",
                "message": { "text": req.text },
            });
            return Ok((format!("{base}/me/messages"), body, "/message_id"));
        }
        let target = parent(platform, req)?;
        let edge = match self.surface {
            Surface::Instagram => "replies",
            _ => "comments",
        };
        let body = json!({ "message": req.text });
        Ok((format!("{base}/{target}/{edge}"), body, "/id"))
    }
}

fn judge(reply: &Reply) -> Verdict {
    let code = reply.body.pointer("/error/code").and_then(|v| v.as_i64());
    if code.is_some_and(|c| THROTTLE_CODES.contains(&c)) {
        return Verdict::Throttled(transport::retry_after(&reply.headers));
    }
    transport::standard_verdict(reply, transport::retry_after(&reply.headers))
}

#[async_trait]
impl ChannelAdapter for MetaClient {
    async fn send(&self, req: &OutboundRequest) -> Result<SentReceipt, SendError> {
        let platform = self.surface.platform();
        let creds = self
            .credentials
            .credentials(req.workspace, req.account_id, self.surface.channel())
            .await?;
        let (url, body, id_at) = self.request(base(&creds, &self.base), req)?;
        let auth = bearer(&creds);
        let reply = self
            .transport
            .execute(
                platform,
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
            return Err(refusal(platform, &reply, text_at(&reply, "/error/message")));
        }
        let platform_id = require_id(platform, text_at(&reply, id_at))?;
        Ok(SentReceipt { platform_id })
    }
}
