//! The approver's queue: what waits for me, with the conversation beside it, the diff
//! between versions and the rules that put it there; approve, reject with a note, or edit.

use axum::extract::{Path, State};
use axum::response::{Html, Redirect};
use axum::Form;
use serde::Deserialize;
use serde_json::json;

use super::{render, require, MeView};
use crate::app::AppState;
use crate::approvals::decide;
use crate::approvals::view::word_diff;
use crate::domain::role::Permission;
use crate::http::api::approvals::waiting_for;
use crate::http::error::{ApiError, PageError};
use crate::http::session::PageUser;
use crate::http::views::MessageView;

/// GET /approvals
pub async fn page(
    State(state): State<AppState>,
    PageUser(who): PageUser,
) -> Result<Html<String>, PageError> {
    require(&who, Permission::ReadConversations)?;
    let ws = who.workspace;
    let mut items = Vec::new();
    for d in waiting_for(&state, &who).await? {
        let messages: Vec<MessageView> = state
            .store
            .conversation_messages(ws, d.conversation_id)
            .await?
            .into_iter()
            .map(|m| MessageView::new(m, None))
            .collect();
        let previous = d
            .versions
            .len()
            .checked_sub(2)
            .map(|i| d.versions[i].text.clone())
            .unwrap_or_else(|| d.text.clone());
        let diff = word_diff(&previous, &d.text);
        items.push(json!({ "draft": d, "messages": messages, "diff": diff }));
    }
    let notifications = state.store.notifications(ws, who.user_id).await?;
    render(
        &state,
        "approvals_queue.html",
        json!({ "me": MeView::of(&who), "items": items, "notifications": notifications }),
    )
}

/// A decision from the queue page.
#[derive(Deserialize)]
pub struct DecisionForm {
    version_hash: String,
    note: Option<String>,
    text: Option<String>,
}

/// POST /approvals/{id}/approve
pub async fn approve(
    State(state): State<AppState>,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<DecisionForm>,
) -> Result<Redirect, PageError> {
    require(&who, Permission::DecideApprovals)?;
    decide::approve(&state, &who, id, &f.version_hash).await?;
    Ok(Redirect::to("/approvals"))
}

/// POST /approvals/{id}/reject
pub async fn reject(
    State(state): State<AppState>,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<DecisionForm>,
) -> Result<Redirect, PageError> {
    require(&who, Permission::DecideApprovals)?;
    let note = f.note.unwrap_or_default();
    if note.trim().is_empty() {
        return Err(PageError(ApiError::BadRequest(
            "a rejection needs a note".into(),
        )));
    }
    decide::reject(&state, &who, id, &f.version_hash, &note).await?;
    Ok(Redirect::to("/approvals"))
}

/// POST /approvals/{id}/edit
pub async fn edit(
    State(state): State<AppState>,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<DecisionForm>,
) -> Result<Redirect, PageError> {
    require(&who, Permission::DecideApprovals)?;
    decide::edit(&state, &who, id, f.text.as_deref().unwrap_or("")).await?;
    Ok(Redirect::to("/approvals"))
}

/// POST /drafts/{id}/seen: the author has read what arrived since writing.
pub async fn seen(
    State(state): State<AppState>,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
) -> Result<Redirect, PageError> {
    require(&who, Permission::WorkConversations)?;
    let row = decide::seen(&state, &who, id).await?;
    Ok(Redirect::to(&format!(
        "/conversations/{}",
        row.conversation_id
    )))
}

/// POST /drafts/{id}/send: sends an approved draft now.
pub async fn send(
    State(state): State<AppState>,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
) -> Result<Redirect, PageError> {
    require(&who, Permission::WorkConversations)?;
    let msg = decide::send(&state, &who, id).await?;
    Ok(Redirect::to(&format!(
        "/conversations/{}",
        msg.conversation_id
    )))
}
