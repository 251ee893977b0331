//! User administration pages (admins only).

use axum::extract::{Path, State};
use axum::response::{Html, Redirect};
use axum::Form;
use serde::Deserialize;
use serde_json::json;

use super::{render, require, MeView};
use crate::app::AppState;
use crate::auth::users::{self, NewUserRequest};
use crate::domain::role::{Permission, Role};
use crate::domain::Actor;
use crate::http::error::{ApiError, PageError};
use crate::http::session::PageUser;
use crate::http::views::UserView;

/// GET /admin/users
pub async fn page(
    State(state): State<AppState>,
    PageUser(who): PageUser,
) -> Result<Html<String>, PageError> {
    require(&who, Permission::ManageUsers)?;
    let list: Vec<UserView> = state
        .store
        .users(who.workspace)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    render(
        &state,
        "users.html",
        json!({ "me": MeView::of(&who), "users": list, "roles": Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>(), "flash": null }),
    )
}

/// POST /admin/users
pub async fn create(
    State(state): State<AppState>,
    PageUser(who): PageUser,
    Form(f): Form<NewUserRequest>,
) -> Result<Redirect, PageError> {
    require(&who, Permission::ManageUsers)?;
    users::create(&state.store, who.workspace, &f, &Actor::User(who.user_id)).await?;
    Ok(Redirect::to("/admin/users"))
}

/// The role form.
#[derive(Deserialize)]
pub struct RoleForm {
    role: String,
}

/// POST /admin/users/{id}/role
pub async fn set_role(
    State(state): State<AppState>,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<RoleForm>,
) -> Result<Redirect, PageError> {
    require(&who, Permission::ManageUsers)?;
    let role: Role = f
        .role
        .parse()
        .map_err(|e: crate::domain::role::UnknownRole| ApiError::BadRequest(e.to_string()))?;
    state
        .store
        .set_role(who.workspace, id, role, &Actor::User(who.user_id))
        .await?;
    Ok(Redirect::to("/admin/users"))
}
