//! The channel adapter trait: how a reply leaves Hearken.

use async_trait::async_trait;

use crate::domain::channel::Visibility;
use crate::domain::WorkspaceId;

/// Everything an adapter needs to deliver one reply.
#[derive(Debug, Clone)]
pub struct OutboundRequest {
    pub workspace: WorkspaceId,
    pub account_id: i64,
    pub account_handle: String,
    /// Public reply in the thread, or a direct message.
    pub visibility: Visibility,
    /// The platform id of the item being answered.
    pub in_reply_to: Option<String>,
    /// The customer's platform user id, for direct messages.
    pub recipient: Option<String>,
    pub text: String,
}

/// What the platform said when it accepted the reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentReceipt {
    /// The platform's id for the new item.
    pub platform_id: String,
}

/// Why a reply could not be delivered.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The platform refused the content; the message says why and can be shown.
    #[error("the platform refused the reply: {0}")]
    Refused(String),
    /// The platform or network failed; the reply may be retried.
    #[error("delivery failed: {0}")]
    Unavailable(String),
    /// No adapter can deliver on this channel yet.
    #[error("replies on {0} are not supported yet")]
    Unsupported(String),
}

/// One platform's way out.
#[async_trait]
pub trait ChannelAdapter: Send + Sync {
    /// Delivers the reply and returns the platform's receipt.
    async fn send(&self, req: &OutboundRequest) -> Result<SentReceipt, SendError>;
}
