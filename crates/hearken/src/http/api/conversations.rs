//! Conversations over the API: the inbox, one conversation, and working it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::auth::Principal;
use crate::domain::role::Permission;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::session::require;
use crate::http::ui::conversation::load;
use crate::http::views::{ConversationView, MessageView, NoteView};
use crate::inbox::{self, ChangeRequest, InboxParams};
use crate::replies::send::{send_reply, ReplyOptions, ReplyOutcome};

/// One inbox page.
#[derive(Serialize, utoipa::ToSchema)]
pub struct InboxResponse {
    pub conversations: Vec<ConversationView>,
    /// Pass as `after` to get the next page; absent on the last page.
    pub next: Option<String>,
}

/// The unified inbox, newest activity first, with keyset pagination.
#[utoipa::path(get, path = "/api/v1/conversations", params(InboxParams), responses((status = 200, body = InboxResponse), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    who: Principal,
    ApiQuery(p): ApiQuery<InboxParams>,
) -> Result<Json<InboxResponse>, ApiError> {
    require(&who, Permission::ReadConversations)?;
    let page = inbox::list(&state, &who, &p).await?;
    Ok(Json(InboxResponse {
        conversations: page.rows.into_iter().map(Into::into).collect(),
        next: page.next,
    }))
}

/// A conversation with its thread.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ConversationResponse {
    pub conversation: ConversationView,
    pub messages: Vec<MessageView>,
    pub notes: Vec<NoteView>,
    pub tags: Vec<String>,
    /// The same customer's other conversations, on any account.
    pub other_conversations: Vec<ConversationView>,
}

/// One conversation.
#[utoipa::path(get, path = "/api/v1/conversations/{id}", params(("id" = i64, Path)), responses((status = 200, body = ConversationResponse), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ConversationResponse>, ApiError> {
    require(&who, Permission::ReadConversations)?;
    let d = load(&state, &who, id).await?;
    Ok(Json(ConversationResponse {
        conversation: d.conversation,
        messages: d.messages,
        notes: d.notes,
        tags: d.tags,
        other_conversations: d.others,
    }))
}

/// Change status, priority, assignee, team or locale.
#[utoipa::path(patch, path = "/api/v1/conversations/{id}", params(("id" = i64, Path)), request_body = ChangeRequest, responses((status = 200, body = ConversationView), (status = 422, body = ErrorBody)))]
pub async fn change(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<ChangeRequest>,
) -> Result<Json<ConversationView>, ApiError> {
    require(&who, Permission::WorkConversations)?;
    Ok(Json(inbox::change(&state, &who, id, &req).await?.into()))
}

/// A reply to send.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ReplyRequest {
    pub text: String,
    /// The highest message id the author had seen (with `seen_note_id`): sending is refused
    /// with 409 when someone else wrote in the conversation since.
    pub seen_message_id: Option<i64>,
    pub seen_note_id: Option<i64>,
    /// RFC 3339 instant to send at; the reply waits as a draft until then.
    pub send_at: Option<String>,
    /// Style guide locale to check against (the workspace default otherwise).
    pub locale: Option<String>,
    /// The template the reply started from; named in the reply's record.
    pub template_id: Option<i64>,
}

/// Send a reply; it leaves by the door the customer came in. A reply that needs approval
/// (or is scheduled) is held as a draft: 202 with the draft.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/replies", params(("id" = i64, Path)), request_body = ReplyRequest, responses((status = 201, body = MessageView), (status = 202, body = crate::approvals::view::DraftView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reply(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<ReplyRequest>,
) -> Result<Response, ApiError> {
    require(&who, Permission::WorkConversations)?;
    let send_at = match &req.send_at {
        Some(t) => Some(schedule_time(t)?),
        None => None,
    };
    let opts = ReplyOptions {
        seen: req.seen_message_id.zip(req.seen_note_id),
        send_at,
        locale: req.locale.clone(),
        template_id: req.template_id,
    };
    match send_reply(&state, &who, id, &req.text, &opts).await? {
        ReplyOutcome::Sent(msg) => {
            let name = Some(who.display_name.clone());
            Ok((StatusCode::CREATED, Json(MessageView::new(*msg, name))).into_response())
        }
        ReplyOutcome::Held(draft_id) => {
            let view =
                crate::http::api::approvals::draft_view(&state, who.workspace, draft_id).await?;
            Ok((StatusCode::ACCEPTED, Json(view)).into_response())
        }
    }
}

/// Parses an RFC 3339 instant into epoch milliseconds.
pub fn parse_instant(text: &str) -> Result<i64, ApiError> {
    let ts: jiff::Timestamp = text.parse().map_err(|e| {
        ApiError::BadRequest(format!("{text:?} is not a usable RFC 3339 instant: {e}"))
    })?;
    Ok(crate::domain::time::to_millis(ts))
}

/// A scheduled send time: from now (a minute's grace for clocks) to a year ahead.
fn schedule_time(text: &str) -> Result<i64, ApiError> {
    let refuse = || {
        ApiError::BadRequest(format!(
            "send_at {text:?} must be an RFC 3339 instant between now and a year from now"
        ))
    };
    let at = parse_instant(text).map_err(|_| refuse())?;
    let now = crate::domain::time::now_millis();
    let year = 366 * 24 * 60 * 60 * 1000;
    if at < now - 60_000 || at > now + year {
        return Err(refuse());
    }
    Ok(at)
}

/// A tag to add.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct TagRequest {
    pub tag: String,
}

/// Add a tag.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/tags", params(("id" = i64, Path)), request_body = TagRequest, responses((status = 204), (status = 422, body = ErrorBody)))]
pub async fn add_tag(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<TagRequest>,
) -> Result<StatusCode, ApiError> {
    require(&who, Permission::WorkConversations)?;
    inbox::add_tag(&state, &who, id, &req.tag).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove a tag.
#[utoipa::path(delete, path = "/api/v1/conversations/{id}/tags/{tag}", params(("id" = i64, Path), ("tag" = String, Path)), responses((status = 204)))]
pub async fn remove_tag(
    State(state): State<AppState>,
    who: Principal,
    ApiPath((id, tag)): ApiPath<(i64, String)>,
) -> Result<StatusCode, ApiError> {
    require(&who, Permission::WorkConversations)?;
    inbox::remove_tag(&state, &who, id, &tag).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A note to add.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct NoteRequest {
    pub body: String,
}

/// Add an internal note.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/notes", params(("id" = i64, Path)), request_body = NoteRequest, responses((status = 201, body = NoteView), (status = 422, body = ErrorBody)))]
pub async fn add_note(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<NoteRequest>,
) -> Result<(StatusCode, Json<NoteView>), ApiError> {
    require(&who, Permission::WorkConversations)?;
    let note = inbox::add_note(&state, &who, id, &req.body).await?;
    Ok((StatusCode::CREATED, Json(note.into())))
}

/// A presence heartbeat.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct PresenceRequest {
    /// True while the caller is typing a reply.
    #[serde(default)]
    pub writing: bool,
}

/// Records that the caller has the conversation open (and whether they are writing) and
/// returns the other users of the workspace seen on it within the last 30 seconds.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/presence", params(("id" = i64, Path)), request_body = PresenceRequest, responses((status = 200, body = crate::approvals::presence::Presence), (status = 404, body = ErrorBody)))]
pub async fn presence(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<PresenceRequest>,
) -> Result<Json<crate::approvals::presence::Presence>, ApiError> {
    require(&who, Permission::ReadConversations)?;
    let p = crate::approvals::presence::heartbeat(&state, &who, id, req.writing).await?;
    Ok(Json(p))
}
