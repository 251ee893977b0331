//! The person's timeline page beside the conversation, the reply record page, and the
//! audited original page.

use axum::extract::{Path, State};
use axum::response::{Html, Redirect};
use axum::Form;
use serde::Deserialize;
use serde_json::json;

use super::{render, require, MeView};
use crate::app::AppState;
use crate::domain::role::Permission;
use crate::domain::Actor;
use crate::history::contacts::{self, LinkReason, LinkRequest};
use crate::history::{record, timeline};
use crate::http::api::history::{dismiss, read_original, DismissRequest};
use crate::http::error::PageError;
use crate::http::session::PageUser;

/// GET /contacts/{id}
pub async fn timeline(
    State(state): State<AppState>,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
) -> Result<Html<String>, PageError> {
    require(&who, Permission::ReadConversations)?;
    let t = timeline::build(&state.store, who.workspace, id).await?;
    let can_admin = who.can(Permission::ManageUsers);
    // Active legal holds on this person, for the admins' forms.
    let holds: Vec<_> = match can_admin {
        true => state
            .store
            .holds(who.workspace)
            .await?
            .into_iter()
            .filter(|h| h.subject_kind == "contact" && h.subject_id == id)
            .filter(|h| h.released_at.is_none())
            .collect(),
        false => Vec::new(),
    };
    render(
        &state,
        "history_timeline.html",
        json!({
            "me": MeView::of(&who),
            "t": t,
            "contact_id": id,
            "holds": holds,
            "can_work": who.can(Permission::WorkConversations),
            "can_admin": can_admin,
            "can_read_originals": who.can(Permission::ReadAudit),
        }),
    )
}

/// GET /messages/{id}/original (auditors and admins; the opening is audited)
pub async fn original(
    State(state): State<AppState>,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
) -> Result<Html<String>, PageError> {
    require(&who, Permission::ReadAudit)?;
    let o = read_original(&state, &who, id).await?;
    render(
        &state,
        "history_original.html",
        json!({ "me": MeView::of(&who), "o": o }),
    )
}

/// GET /messages/{id}/record: how a reply was composed, approved and sent.
pub async fn reply_record(
    State(state): State<AppState>,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
) -> Result<Html<String>, PageError> {
    require(&who, Permission::ReadConversations)?;
    let r = record::build(&state.store, who.workspace, id).await?;
    render(
        &state,
        "history_record.html",
        json!({ "me": MeView::of(&who), "r": r }),
    )
}

/// The form dismissing a suggested link.
#[derive(Deserialize)]
pub struct DismissForm {
    other_contact_id: i64,
    basis: String,
    reason: String,
}

/// POST /contacts/{id}/suggestions/dismiss
pub async fn dismiss_suggestion(
    State(state): State<AppState>,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<DismissForm>,
) -> Result<Redirect, PageError> {
    require(&who, Permission::WorkConversations)?;
    let req = DismissRequest {
        contact_id: id,
        other_contact_id: f.other_contact_id,
        basis: f.basis,
        reason: f.reason,
    };
    dismiss(&state, &who, &req).await?;
    Ok(back(id))
}

/// The link form.
#[derive(Deserialize)]
pub struct LinkForm {
    linked_contact_id: i64,
    reason: LinkReason,
    #[serde(default)]
    evidence: String,
}

fn back(id: i64) -> Redirect {
    Redirect::to(&format!("/contacts/{id}"))
}

/// POST /contacts/{id}/links
pub async fn link(
    State(state): State<AppState>,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<LinkForm>,
) -> Result<Redirect, PageError> {
    require(&who, Permission::WorkConversations)?;
    let req = LinkRequest {
        linked_contact_id: f.linked_contact_id,
        reason: f.reason,
        evidence: f.evidence,
    };
    contacts::link(
        &state.store,
        who.workspace,
        id,
        &req,
        &Actor::User(who.user_id),
    )
    .await?;
    Ok(back(id))
}

/// The undo form says which contact page to return to.
#[derive(Deserialize)]
pub struct UndoForm {
    contact_id: i64,
}

/// POST /links/{id}/undo
pub async fn undo_link(
    State(state): State<AppState>,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<UndoForm>,
) -> Result<Redirect, PageError> {
    require(&who, Permission::WorkConversations)?;
    state
        .store
        .undo_link(who.workspace, id, &Actor::User(who.user_id))
        .await?;
    Ok(back(f.contact_id))
}

/// The VIP form.
#[derive(Deserialize)]
pub struct VipForm {
    vip: String,
}

/// POST /contacts/{id}/vip
pub async fn vip(
    State(state): State<AppState>,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<VipForm>,
) -> Result<Redirect, PageError> {
    require(&who, Permission::WorkConversations)?;
    state
        .store
        .set_vip(
            who.workspace,
            id,
            f.vip == "true",
            &Actor::User(who.user_id),
        )
        .await?;
    Ok(back(id))
}
