//! Forms on the person's page that change what is kept about them: attributes (agents),
//! legal holds and privacy erasure (admins). Each goes through the same store calls as the
//! API, so validation and audit are the same.

use axum::extract::{Path, State};
use axum::response::Redirect;
use axum::Form;
use serde::Deserialize;

use super::require;
use crate::app::AppState;
use crate::domain::role::Permission;
use crate::domain::Actor;
use crate::history::contacts::{self, AttributeRequest};
use crate::http::api::history::{reason, ReasonRequest};
use crate::http::error::{ApiError, PageError};
use crate::http::session::PageUser;
use crate::storage::ErasureRequest;

fn back(id: i64) -> Redirect {
    Redirect::to(&format!("/contacts/{id}"))
}

/// The attribute form; a checkbox is absent from the form when unticked.
#[derive(Deserialize)]
pub struct AttributeForm {
    kind: String,
    #[serde(default)]
    name: String,
    value: String,
    #[serde(default)]
    verified: Option<String>,
}

/// POST /contacts/{id}/attributes
pub async fn add_attribute(
    State(state): State<AppState>,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<AttributeForm>,
) -> Result<Redirect, PageError> {
    require(&who, Permission::WorkConversations)?;
    let req = AttributeRequest {
        kind: f.kind,
        name: Some(f.name).filter(|n| !n.trim().is_empty()),
        value: f.value,
        verified: f.verified.is_some(),
    };
    let actor = Actor::User(who.user_id);
    contacts::add_attribute(&state.store, who.workspace, id, &req, &actor).await?;
    Ok(back(id))
}

/// A reason, for holds and erasure.
#[derive(Deserialize)]
pub struct ReasonForm {
    reason: String,
    /// Erasure asks for a typed confirmation: the word `erase`.
    #[serde(default)]
    confirm: String,
}

/// POST /contacts/{id}/holds: a legal hold on the person.
pub async fn place_hold(
    State(state): State<AppState>,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<ReasonForm>,
) -> Result<Redirect, PageError> {
    require(&who, Permission::ManageUsers)?;
    let why = reason(&ReasonRequest { reason: f.reason })?;
    let actor = Actor::User(who.user_id);
    state
        .store
        .place_hold(who.workspace, "contact", id, &why, &actor)
        .await?;
    Ok(back(id))
}

/// The release form says which contact page to return to.
#[derive(Deserialize)]
pub struct ReleaseForm {
    contact_id: i64,
}

/// POST /holds/{id}/release
pub async fn release_hold(
    State(state): State<AppState>,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<ReleaseForm>,
) -> Result<Redirect, PageError> {
    require(&who, Permission::ManageUsers)?;
    let actor = Actor::User(who.user_id);
    state.store.release_hold(who.workspace, id, &actor).await?;
    Ok(back(f.contact_id))
}

/// POST /contacts/{id}/erasure: a privacy erasure request, refused while a hold covers it.
pub async fn erase(
    State(state): State<AppState>,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<ReasonForm>,
) -> Result<Redirect, PageError> {
    require(&who, Permission::ManageUsers)?;
    if f.confirm.trim() != "erase" {
        let why = "type the word erase to confirm; erasure cannot be undone";
        return Err(ApiError::BadRequest(why.into()).into());
    }
    let req = ErasureRequest {
        cause: "privacy_request".into(),
        reason: reason(&ReasonRequest { reason: f.reason })?,
    };
    let actor = Actor::User(who.user_id);
    state
        .store
        .erase_contact(who.workspace, id, &req, &actor)
        .await?;
    Ok(back(id))
}
