//! Listening queries over the API (issue #6).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use crate::app::AppState;
use crate::auth::Principal;
use crate::domain::role::Permission;
use crate::domain::Actor;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::session::require;
use crate::listening::{self, ListeningError, ListeningReport, PublicPost, QueryRequest};
use crate::storage::listening::ListeningQueryRow;

impl From<ListeningError> for ApiError {
    fn from(e: ListeningError) -> Self {
        match e {
            ListeningError::Invalid(m) => ApiError::BadRequest(m),
            ListeningError::Store(s) => s.into(),
        }
    }
}

/// The workspace's listening queries, newest first.
#[utoipa::path(get, path = "/api/v1/listening/queries", responses((status = 200, body = Vec<ListeningQueryRow>)))]
pub async fn list(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<Vec<ListeningQueryRow>>, ApiError> {
    require(&who, Permission::ReadConversations)?;
    Ok(Json(state.store.listening_queries(who.workspace).await?))
}

/// Save a query; an invalid one is refused with an error that points at the fault.
#[utoipa::path(post, path = "/api/v1/listening/queries", request_body = QueryRequest, responses((status = 201, body = ListeningQueryRow), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    who: Principal,
    ApiJson(req): ApiJson<QueryRequest>,
) -> Result<(StatusCode, Json<ListeningQueryRow>), ApiError> {
    require(&who, Permission::ManageRouting)?;
    let row = listening::save(&state, who.workspace, &req, &Actor::User(who.user_id)).await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// Stop a query; what it found stays in the inbox.
#[utoipa::path(delete, path = "/api/v1/listening/queries/{id}", params(("id" = i64, Path)), responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn disable(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    require(&who, Permission::ManageRouting)?;
    state
        .store
        .disable_listening_query(who.workspace, id, &Actor::User(who.user_id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Offer public posts to listening: those not addressed to an account that match a query
/// land in the inbox.
#[utoipa::path(post, path = "/api/v1/listening/posts", request_body = Vec<PublicPost>, responses((status = 200, body = ListeningReport), (status = 422, body = ErrorBody)))]
pub async fn offer(
    State(state): State<AppState>,
    who: Principal,
    ApiJson(posts): ApiJson<Vec<PublicPost>>,
) -> Result<Json<ListeningReport>, ApiError> {
    require(&who, Permission::MoveData)?;
    Ok(Json(listening::offer(&state, who.workspace, &posts).await?))
}
