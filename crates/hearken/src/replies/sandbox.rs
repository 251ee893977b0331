//! The sandbox channel: delivers replies to a local outbox table, exactly as a platform
//! would receive them, so demos and tests run the whole loop without a network.

use async_trait::async_trait;

use super::adapter::{ChannelAdapter, OutboundRequest, SendError, SentReceipt};
use crate::domain::channel::Visibility;
use crate::domain::time::now_millis;
use crate::storage::{DynStore, OutboxRow};

/// Delivers into `sandbox_outbox`.
pub struct SandboxAdapter {
    store: DynStore,
}

impl SandboxAdapter {
    /// An adapter writing to the given store.
    pub fn new(store: DynStore) -> SandboxAdapter {
        SandboxAdapter { store }
    }
}

#[async_trait]
impl ChannelAdapter for SandboxAdapter {
    async fn send(&self, req: &OutboundRequest) -> Result<SentReceipt, SendError> {
        let platform_id = format!("sbx-{}", crate::auth::secret::new_token());
        let kind = match req.visibility {
            Visibility::Private => "dm",
            Visibility::Public => "public",
        };
        let row = OutboxRow {
            workspace_id: req.workspace.0,
            account_id: req.account_id,
            platform_id: platform_id.clone(),
            kind: kind.to_owned(),
            in_reply_to: req.in_reply_to.clone(),
            text: req.text.clone(),
            created_at: now_millis(),
        };
        self.store
            .sandbox_deliver(req.workspace, &row)
            .await
            .map_err(|e| SendError::Unavailable(e.to_string()))?;
        Ok(SentReceipt { platform_id })
    }
}
