//! Sending a reply from the inbox: choose the door, deliver, record.

use tracing::instrument;

use super::adapter::{OutboundRequest, SendError};
use crate::app::{AppState, DeskEvent};
use crate::auth::Principal;
use crate::domain::channel::Visibility;
use crate::domain::time::now_millis;
use crate::domain::Actor;
use crate::storage::{ConversationRow, MessageRow, NewOutbound, StoreError};

/// Why a reply was not sent.
#[derive(Debug, thiserror::Error)]
pub enum ReplyError {
    #[error("the reply is empty")]
    Empty,
    #[error("the reply is longer than 10000 characters")]
    TooLong,
    #[error("conversation not found")]
    NotFound,
    /// Longer than the platform allows, counted the platform's way.
    #[error(transparent)]
    Length(#[from] hearken_text::LengthError),
    #[error(transparent)]
    Send(#[from] SendError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Sends `text` as a reply in the conversation and records it.
#[instrument(skip_all, fields(conversation.id = conversation_id, user.id = who.user_id))]
pub async fn send_reply(
    state: &AppState,
    who: &Principal,
    conversation_id: i64,
    text: &str,
) -> Result<MessageRow, ReplyError> {
    let text = validate(text)?;
    let ws = who.workspace;
    let conv = state
        .store
        .conversation(ws, conversation_id)
        .await?
        .ok_or(ReplyError::NotFound)?;
    let messages = state
        .store
        .conversation_messages(ws, conversation_id)
        .await?;
    let mut request = door(&conv, &messages, text.clone(), ws);
    let adapter = super::outbound::prepare(state, &conv, &mut request).await?;
    let receipt = adapter.send(&request).await?;
    let reply = NewOutbound {
        conversation_id,
        account_id: conv.account_id,
        channel: conv.channel.clone(),
        platform_id: receipt.platform_id,
        visibility: request.visibility.as_str().to_owned(),
        reply_to: request.in_reply_to.clone(),
        identity_id: conv.identity_id,
        author_user_id: who.user_id,
        text,
        sent_at: now_millis(),
    };
    let msg = state
        .store
        .record_outbound(ws, &reply, &Actor::User(who.user_id))
        .await?;
    tracing::info!(
        message.id = msg.id,
        conversation.id = conversation_id,
        "reply {} sent in conversation {}",
        msg.id,
        conversation_id
    );
    state.publish(DeskEvent::changed(ws, conversation_id));
    Ok(msg)
}

fn validate(text: &str) -> Result<String, ReplyError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(ReplyError::Empty);
    }
    if trimmed.chars().count() > 10_000 {
        return Err(ReplyError::TooLong);
    }
    Ok(trimmed.to_owned())
}

/// The door a reply leaves by: it answers the newest customer message, on the same
/// account, and in private exactly when that message was private.
pub fn door(
    conv: &ConversationRow,
    messages: &[MessageRow],
    text: String,
    ws: crate::domain::WorkspaceId,
) -> OutboundRequest {
    let answered = messages.iter().rev().find(|m| m.direction == "in");
    let visibility = answered
        .and_then(|m| Visibility::parse(&m.visibility))
        .or_else(|| Visibility::parse(&conv.visibility))
        .unwrap_or(Visibility::Public);
    OutboundRequest {
        workspace: ws,
        account_id: conv.account_id,
        account_handle: conv.account_handle.clone(),
        visibility,
        in_reply_to: answered.map(|m| m.platform_id.clone()),
        recipient: conv.customer_handle.clone(),
        text,
    }
}
