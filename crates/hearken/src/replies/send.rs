//! Sending a reply from the inbox: choose the door, deliver, record.

use tracing::instrument;

use super::adapter::{OutboundRequest, SendError, SentReceipt};
use crate::app::{AppState, DeskEvent};
use crate::approvals::gate::{self, Gate};
use crate::approvals::FlowError;
use crate::auth::Principal;
use crate::domain::channel::Visibility;
use crate::domain::time::now_millis;
use crate::domain::Actor;
use crate::storage::{ConversationRow, MessageRow, NewOutbound, Provenance, StoreError};

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
    /// Refused or held by the approvals gate.
    #[error(transparent)]
    Approval(#[from] FlowError),
}

/// What became of a reply.
#[derive(Debug)]
pub enum ReplyOutcome {
    /// It left and is recorded in the conversation.
    Sent(Box<MessageRow>),
    /// It waits for approval (or for its scheduled time) as the draft with this id.
    Held(i64),
}

/// What the composer or API said besides the text.
#[derive(Debug, Clone, Default)]
pub struct ReplyOptions {
    /// The highest message and note ids the author had seen when writing.
    pub seen: Option<(i64, i64)>,
    /// Send at this instant (epoch ms) instead of now.
    pub send_at: Option<i64>,
    /// The style guide locale to check against.
    pub locale: Option<String>,
    /// The template the reply started from (checked to exist in the workspace).
    pub template_id: Option<i64>,
}

/// Sends `text` as a reply in the conversation and records it, unless the approvals gate
/// refuses it or holds it as a draft.
#[instrument(skip_all, fields(conversation.id = conversation_id, user.id = who.user_id))]
pub async fn send_reply(
    state: &AppState,
    who: &Principal,
    conversation_id: i64,
    text: &str,
    opts: &ReplyOptions,
) -> Result<ReplyOutcome, ReplyError> {
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
    if let Some(l) = &opts.locale {
        crate::domain::conversation::Locale::parse(l)
            .map_err(|e| FlowError::Invalid(e.to_string()))?;
    }
    if let Some(t) = opts.template_id {
        let Some(row) = state.store.template(ws, t).await? else {
            let why = format!("template {t} does not exist in this workspace");
            return Err(FlowError::Invalid(why).into());
        };
        if row.channel.as_deref().is_some_and(|c| c != conv.channel) {
            let why = format!("template {t} is for another channel");
            return Err(FlowError::Invalid(why).into());
        }
    }
    // Over-long text is refused before anything is held or sent (issue #6).
    let mut probe = door(&conv, &messages, text.clone(), ws);
    super::outbound::prepare(state, &conv, &mut probe).await?;
    let provenance = match gate::check(state, who, &conv, &messages, &text, opts).await? {
        Gate::Held(draft) => return Ok(ReplyOutcome::Held(draft.id)),
        Gate::Direct(provenance) => provenance,
    };
    let (request, receipt) = dispatch(state, &conv, &messages, text.clone()).await?;
    let reply = outbound(&conv, &request, receipt, who.user_id, text, provenance);
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
    Ok(ReplyOutcome::Sent(Box::new(msg)))
}

/// Delivers `text` through the conversation's adapter, by its door.
pub async fn dispatch(
    state: &AppState,
    conv: &ConversationRow,
    messages: &[MessageRow],
    text: String,
) -> Result<(OutboundRequest, SentReceipt), SendError> {
    let ws = crate::domain::WorkspaceId(conv.workspace_id);
    let mut request = door(conv, messages, text, ws);
    let adapter = super::outbound::prepare(state, conv, &mut request)
        .await
        .map_err(|e| match e {
            ReplyError::Send(s) => s,
            other => SendError::Refused(other.to_string()),
        })?;
    let receipt = adapter.send(&request).await?;
    Ok((request, receipt))
}

/// The record of a delivered reply.
pub fn outbound(
    conv: &ConversationRow,
    request: &OutboundRequest,
    receipt: SentReceipt,
    author_user_id: i64,
    text: String,
    provenance: Provenance,
) -> NewOutbound {
    NewOutbound {
        conversation_id: conv.id,
        account_id: conv.account_id,
        channel: conv.channel.clone(),
        platform_id: receipt.platform_id,
        visibility: request.visibility.as_str().to_owned(),
        reply_to: request.in_reply_to.clone(),
        identity_id: conv.identity_id,
        author_user_id,
        text,
        sent_at: now_millis(),
        provenance,
    }
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
