//! Users, roles, tokens and accounts over the API.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::auth::secret::{new_api_token, token_hash};
use crate::auth::users::{self, NewUserRequest};
use crate::auth::Principal;
use crate::domain::role::{Permission, Role};
use crate::domain::Actor;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::session::require;
use crate::http::views::UserView;
use crate::storage::{AccountRow, TeamRow};

/// Users of the workspace.
#[utoipa::path(get, path = "/api/v1/users", responses((status = 200, body = Vec<UserView>), (status = 403, body = ErrorBody)))]
pub async fn list_users(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<Vec<UserView>>, ApiError> {
    require(&who, Permission::ManageUsers)?;
    Ok(Json(
        state
            .store
            .users(who.workspace)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Create a user.
#[utoipa::path(post, path = "/api/v1/users", request_body = NewUserRequest, responses((status = 201, body = UserView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_user(
    State(state): State<AppState>,
    who: Principal,
    ApiJson(req): ApiJson<NewUserRequest>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    require(&who, Permission::ManageUsers)?;
    let user = users::create(&state.store, who.workspace, &req, &Actor::User(who.user_id)).await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

/// A role change.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct RoleRequest {
    pub role: String,
}

/// Set a user's role.
#[utoipa::path(patch, path = "/api/v1/users/{id}", params(("id" = i64, Path)), request_body = RoleRequest, responses((status = 200, body = UserView), (status = 404, body = ErrorBody)))]
pub async fn set_role(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<RoleRequest>,
) -> Result<Json<UserView>, ApiError> {
    require(&who, Permission::ManageUsers)?;
    let role: Role = req
        .role
        .parse()
        .map_err(|e: crate::domain::role::UnknownRole| ApiError::BadRequest(e.to_string()))?;
    Ok(Json(
        state
            .store
            .set_role(who.workspace, id, role, &Actor::User(who.user_id))
            .await?
            .into(),
    ))
}

/// A token to create.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct TokenRequest {
    pub name: String,
}

/// The new token, shown once.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    pub id: i64,
    pub token: String,
}

/// Create an API token for a user; the token is shown only in this response.
#[utoipa::path(post, path = "/api/v1/users/{id}/tokens", params(("id" = i64, Path)), request_body = TokenRequest, responses((status = 201, body = TokenResponse)))]
pub async fn create_token(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<TokenRequest>,
) -> Result<(StatusCode, Json<TokenResponse>), ApiError> {
    require(&who, Permission::ManageUsers)?;
    state
        .store
        .user(who.workspace, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let name = req.name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(ApiError::BadRequest(
            "a token name is 1 to 100 characters".into(),
        ));
    }
    let token = new_api_token();
    let row = state
        .store
        .create_token(
            who.workspace,
            id,
            name,
            &token_hash(&token),
            &Actor::User(who.user_id),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(TokenResponse { id: row.id, token }),
    ))
}

/// Connected accounts.
#[utoipa::path(get, path = "/api/v1/accounts", responses((status = 200, body = Vec<AccountRow>)))]
pub async fn accounts(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<Vec<AccountRow>>, ApiError> {
    require(&who, Permission::ReadConversations)?;
    Ok(Json(state.store.accounts(who.workspace).await?))
}

/// Teams of the workspace.
#[utoipa::path(get, path = "/api/v1/teams", responses((status = 200, body = Vec<TeamRow>)))]
pub async fn teams(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<Vec<TeamRow>>, ApiError> {
    require(&who, Permission::ReadConversations)?;
    Ok(Json(state.store.teams(who.workspace).await?))
}

/// A team to create.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct TeamRequest {
    pub name: String,
}

/// Create a team.
#[utoipa::path(post, path = "/api/v1/teams", request_body = TeamRequest, responses((status = 201, body = TeamRow), (status = 409, body = ErrorBody)))]
pub async fn create_team(
    State(state): State<AppState>,
    who: Principal,
    ApiJson(req): ApiJson<TeamRequest>,
) -> Result<(StatusCode, Json<TeamRow>), ApiError> {
    require(&who, Permission::ManageBrandVoice)?;
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(
            "a team name is 1 to 64 characters without control characters".into(),
        ));
    }
    let team = state
        .store
        .create_team(who.workspace, name, &Actor::User(who.user_id))
        .await?;
    Ok((StatusCode::CREATED, Json(team)))
}

/// A change to a team.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamChangeRequest {
    /// The team lead: a user id of this workspace, or null to clear. The lead is told about
    /// SLA warnings and breaches of the team's conversations.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub lead_user_id: Option<Option<i64>>,
}

/// A field that is present (possibly null) reads as `Some`, an absent one as `None`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(d).map(Some)
}

/// Change a team: set or clear its lead.
#[utoipa::path(patch, path = "/api/v1/teams/{id}", params(("id" = i64, Path)), request_body = TeamChangeRequest, responses((status = 200, body = TeamRow), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_team(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<TeamChangeRequest>,
) -> Result<Json<TeamRow>, ApiError> {
    require(&who, Permission::ManageBrandVoice)?;
    let Some(lead) = req.lead_user_id else {
        return Err(ApiError::BadRequest(
            "lead_user_id: give a user id, or null to clear the lead".into(),
        ));
    };
    if !state
        .store
        .teams(who.workspace)
        .await?
        .iter()
        .any(|t| t.id == id)
    {
        return Err(ApiError::NotFound);
    }
    if let Some(uid) = lead {
        if state.store.user(who.workspace, uid).await?.is_none() {
            return Err(ApiError::BadRequest(
                "lead_user_id: no such user in this workspace".into(),
            ));
        }
    }
    let team = state
        .store
        .set_team_lead(who.workspace, id, lead, &Actor::User(who.user_id))
        .await?;
    Ok(Json(team))
}
