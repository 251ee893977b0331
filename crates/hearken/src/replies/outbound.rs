//! Before a reply leaves: the platform's length rule, the customer's platform id for a
//! direct message, and the adapter of the conversation's channel.

use std::sync::Arc;

use hearken_text::{LengthError, Platform};

use super::adapter::{ChannelAdapter, OutboundRequest};
use super::clients::mastodon::direct_text;
use super::send::ReplyError;
use crate::app::AppState;
use crate::domain::channel::Visibility;
use crate::storage::ConversationRow;

/// The platform whose counting rule applies on a channel.
pub fn platform(channel: &str) -> Platform {
    match channel {
        "x" => Platform::X,
        "mastodon" => Platform::Mastodon,
        "facebook" => Platform::Facebook,
        "instagram" => Platform::Instagram,
        "messenger" => Platform::Messenger,
        "reddit" => Platform::Reddit,
        _ => Platform::Sandbox,
    }
}

/// Counts the reply as its platform will, text exactly as it will be sent (a Mastodon
/// direct message gains the customer's mention), and refuses it when it is too long.
pub fn check_length(channel: &str, req: &OutboundRequest) -> Result<usize, LengthError> {
    let platform = platform(channel);
    match (platform, req.visibility, &req.recipient) {
        (Platform::Mastodon, Visibility::Private, Some(handle)) => {
            hearken_text::check_length(platform, &direct_text(handle, &req.text))
        }
        _ => hearken_text::check_length(platform, &req.text),
    }
}

/// Checks the reply and completes the request; returns the adapter that delivers it.
pub async fn prepare(
    state: &AppState,
    conv: &ConversationRow,
    req: &mut OutboundRequest,
) -> Result<Arc<dyn ChannelAdapter>, ReplyError> {
    check_length(&conv.channel, req)?;
    if needs_user_id(&conv.channel) {
        if let Some(identity) = conv.identity_id {
            let id = state
                .store
                .identity_platform_user_id(req.workspace, identity)
                .await?;
            req.recipient = id.or(req.recipient.take());
        }
    }
    Ok(state.adapters.for_channel(&conv.channel)?)
}

/// X and Meta address direct messages by user id; Mastodon and Reddit by handle.
fn needs_user_id(channel: &str) -> bool {
    matches!(channel, "x" | "facebook" | "messenger" | "instagram")
}
