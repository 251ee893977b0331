//! The conversation page and its forms.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::response::{Html, Redirect};
use axum::Form;
use serde::Deserialize;
use serde_json::json;

use super::{render, require, MeView};
use crate::app::AppState;
use crate::auth::Principal;
use crate::domain::conversation::{Priority, Status};
use crate::domain::role::Permission;
use crate::http::error::{ApiError, PageError};
use crate::http::session::PageUser;
use crate::http::views::{ConversationView, MessageView, NoteView, UserView};
use crate::inbox::{self, ChangeRequest};
use crate::replies::send::{send_reply, ReplyOptions};

/// Everything the conversation page and API show about one conversation.
pub struct Detail {
    pub conversation: ConversationView,
    pub messages: Vec<MessageView>,
    pub notes: Vec<NoteView>,
    pub tags: Vec<String>,
    pub others: Vec<ConversationView>,
    pub users: Vec<UserView>,
}

/// Loads a conversation with its thread, notes, tags and the customer's other conversations.
pub async fn load(state: &AppState, who: &Principal, id: i64) -> Result<Detail, ApiError> {
    let ws = who.workspace;
    let conv = state
        .store
        .conversation(ws, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let users: Vec<UserView> = state
        .store
        .users(ws)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    let names: HashMap<i64, String> = users.iter().map(|u| (u.id, u.name.clone())).collect();
    let messages = state
        .store
        .conversation_messages(ws, id)
        .await?
        .into_iter()
        .map(|m| {
            let author = m.author_user_id.and_then(|u| names.get(&u).cloned());
            MessageView::new(m, author)
        })
        .collect();
    let notes = state
        .store
        .notes(ws, id)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    let tags = state.store.tags(ws, id).await?;
    let others = match conv.contact_id {
        Some(contact) => state
            .store
            .contact_conversations(ws, contact)
            .await?
            .into_iter()
            .filter(|c| c.id != id)
            .map(Into::into)
            .collect(),
        None => Vec::new(),
    };
    Ok(Detail {
        conversation: conv.into(),
        messages,
        notes,
        tags,
        others,
        users,
    })
}

/// GET /conversations/{id}
pub async fn page(
    State(state): State<AppState>,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
) -> Result<Html<String>, PageError> {
    require(&who, Permission::ReadConversations)?;
    let d = load(&state, &who, id).await?;
    let teams = state.store.teams(who.workspace).await?;
    let reply_private = d
        .messages
        .iter()
        .rev()
        .find(|m| m.direction == "in")
        .map(|m| m.visibility == "private")
        .unwrap_or(d.conversation.visibility == "private");
    let c = &d.conversation;
    let assignee = c
        .assignee_id
        .and_then(|a| d.users.iter().find(|u| u.id == a))
        .map(|u| u.name.clone());
    let team = c
        .team_id
        .and_then(|t| teams.iter().find(|x| x.id == t))
        .map(|t| t.name.clone());
    let mut cview = serde_json::to_value(c).map_err(|e| ApiError::Internal(e.into()))?;
    cview["reply_private"] = json!(reply_private);
    cview["assignee"] = json!(assignee);
    cview["team"] = json!(team);
    // SLA (#3): live state and the explanation of every clock.
    let sla = crate::http::api::sla::explain_of(
        &state,
        &who,
        id,
        &crate::http::api::sla::ExplainParams {
            policy: None,
            version: None,
        },
    )
    .await?;
    // Issue #4: what the author has seen, so a reply is refused (409) if more arrives.
    let seen = state.store.conversation_marker(who.workspace, id).await?;
    let drafts: Vec<serde_json::Value> = state
        .store
        .drafts(who.workspace, None)
        .await?
        .into_iter()
        .filter(|d| d.conversation_id == id && d.status != "sent")
        .map(|d| json!({ "id": d.id, "status": d.status, "mine": d.author_id == who.user_id }))
        .collect();
    // Issue #4: the locales with a style guide, offered in the conversation's locale field.
    let mut locales: Vec<String> = state
        .store
        .style_guides(who.workspace)
        .await?
        .into_iter()
        .map(|g| g.locale)
        .collect();
    locales.sort();
    locales.dedup();
    render(
        &state,
        "conversation.html",
        json!({
            "me": MeView::of(&who),
            "c": cview,
            "messages": d.messages,
            "notes": d.notes,
            "tags": d.tags,
            "others": d.others,
            "users": d.users,
            "teams": teams,
            "can_work": who.can(Permission::WorkConversations),
            "seen": { "message": seen.0, "note": seen.1 },
            "drafts": drafts,
            "can_read_originals": who.can(Permission::ReadAudit),
            "statuses": Status::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            "priorities": Priority::ALL.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
            "sla": sla,
            "locales": locales,
        }),
    )
}

/// The reply form.
#[derive(Deserialize)]
pub struct ReplyForm {
    text: String,
    /// What the author had seen when the page was rendered (collision check).
    seen_message_id: Option<i64>,
    seen_note_id: Option<i64>,
    /// The template the composer inserted, if any.
    template_id: Option<i64>,
}

fn back(id: i64) -> Redirect {
    Redirect::to(&format!("/conversations/{id}"))
}

/// POST /conversations/{id}/reply
pub async fn reply(
    State(state): State<AppState>,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<ReplyForm>,
) -> Result<Redirect, PageError> {
    require(&who, Permission::WorkConversations)?;
    let opts = ReplyOptions {
        seen: f.seen_message_id.zip(f.seen_note_id),
        template_id: f.template_id,
        ..ReplyOptions::default()
    };
    send_reply(&state, &who, id, &f.text, &opts).await?;
    Ok(back(id))
}

/// POST /conversations/{id}/change
pub async fn change(
    State(state): State<AppState>,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<ChangeRequest>,
) -> Result<Redirect, PageError> {
    require(&who, Permission::WorkConversations)?;
    inbox::change(&state, &who, id, &f).await?;
    Ok(back(id))
}

/// The tag forms.
#[derive(Deserialize)]
pub struct TagForm {
    tag: String,
}

/// POST /conversations/{id}/tags
pub async fn add_tag(
    State(state): State<AppState>,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<TagForm>,
) -> Result<Redirect, PageError> {
    require(&who, Permission::WorkConversations)?;
    inbox::add_tag(&state, &who, id, &f.tag).await?;
    Ok(back(id))
}

/// POST /conversations/{id}/tags/remove
pub async fn remove_tag(
    State(state): State<AppState>,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<TagForm>,
) -> Result<Redirect, PageError> {
    require(&who, Permission::WorkConversations)?;
    inbox::remove_tag(&state, &who, id, &f.tag).await?;
    Ok(back(id))
}

/// The note form.
#[derive(Deserialize)]
pub struct NoteForm {
    body: String,
}

/// POST /conversations/{id}/notes
pub async fn add_note(
    State(state): State<AppState>,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<NoteForm>,
) -> Result<Redirect, PageError> {
    require(&who, Permission::WorkConversations)?;
    inbox::add_note(&state, &who, id, &f.body).await?;
    Ok(back(id))
}
