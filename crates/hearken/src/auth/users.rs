//! Creating users, shared by the CLI, the admin page and the API.

use serde::Deserialize;

use super::password;
use crate::domain::role::Role;
use crate::domain::{Actor, WorkspaceId};
use crate::http::error::ApiError;
use crate::storage::{DynStore, NewUser, UserRow};

/// A request to create a user.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewUserRequest {
    pub name: String,
    pub email: String,
    pub role: String,
    pub password: String,
}

/// Validates and creates a user.
pub async fn create(
    store: &DynStore,
    ws: WorkspaceId,
    req: &NewUserRequest,
    actor: &Actor,
) -> Result<UserRow, ApiError> {
    let email = req.email.trim().to_lowercase();
    let valid_email = email.len() <= 254
        && email.split_once('@').is_some_and(|(a, b)| {
            !a.is_empty()
                && b.contains('.')
                && !b.contains(char::is_whitespace)
                && !a.contains(char::is_whitespace)
        });
    if !valid_email {
        return Err(ApiError::BadRequest(
            "the email address is not valid".into(),
        ));
    }
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(
            "a name is 1 to 100 characters without control characters".into(),
        ));
    }
    let role: Role = req
        .role
        .parse()
        .map_err(|e: crate::domain::role::UnknownRole| ApiError::BadRequest(e.to_string()))?;
    let hash = password::hash(&req.password).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let user = NewUser {
        email,
        display_name: name.to_owned(),
        role: role.as_str().to_owned(),
        team_id: None,
        password_hash: hash,
    };
    Ok(store.create_user(ws, &user, actor).await?)
}
