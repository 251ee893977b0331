//! Connected accounts and the completeness ledger over the API (issue #6).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use crate::app::AppState;
use crate::auth::Principal;
use crate::channels::connect::{self, ConnectError, ConnectRequest, ConnectionView};
use crate::channels::monitor::{self, SourceHealth};
use crate::channels::reconcile;
use crate::domain::role::Permission;
use crate::domain::{Actor, WorkspaceId};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::session::require;
use crate::storage::channels::ReconcileReport;

impl From<ConnectError> for ApiError {
    fn from(e: ConnectError) -> Self {
        match e {
            ConnectError::Invalid(m) => ApiError::BadRequest(m),
            ConnectError::Seal(s) => ApiError::Conflict(s.to_string()),
            ConnectError::Store(s) => s.into(),
        }
    }
}

/// Connected accounts with masked credentials and their webhook addresses.
#[utoipa::path(get, path = "/api/v1/channels/accounts", responses((status = 200, body = Vec<ConnectionView>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<Vec<ConnectionView>>, ApiError> {
    require(&who, Permission::ManageUsers)?;
    Ok(Json(connect::list(&state.store, who.workspace).await?))
}

/// Connect an account (or replace its credentials).
#[utoipa::path(post, path = "/api/v1/channels/accounts", request_body = ConnectRequest, responses((status = 201, body = ConnectionView), (status = 422, body = ErrorBody)))]
pub async fn connect(
    State(state): State<AppState>,
    who: Principal,
    ApiJson(req): ApiJson<ConnectRequest>,
) -> Result<(StatusCode, Json<ConnectionView>), ApiError> {
    require(&who, Permission::ManageUsers)?;
    let view = connect::connect(
        &state.channels,
        &state.store,
        who.workspace,
        &req,
        &Actor::User(who.user_id),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Completeness of every source: last item, lag, failed signatures, gaps, untriaged.
#[utoipa::path(get, path = "/api/v1/channels/ledger", responses((status = 200, body = Vec<SourceHealth>)))]
pub async fn ledger(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<Vec<SourceHealth>>, ApiError> {
    require(&who, Permission::ViewDashboard)?;
    Ok(Json(monitor::health(&state.store, who.workspace).await?))
}

/// Run a reconciliation poll of one account now.
#[utoipa::path(post, path = "/api/v1/channels/accounts/{id}/reconcile", params(("id" = i64, Path)), responses((status = 200, body = ReconcileReport), (status = 404, body = ErrorBody)))]
pub async fn reconcile(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ReconcileReport>, ApiError> {
    require(&who, Permission::ManageUsers)?;
    let row = state
        .store
        .connections(who.workspace)
        .await?
        .into_iter()
        .find(|c| c.account_id == id)
        .ok_or(ApiError::NotFound)?;
    if row.channel != "mastodon" {
        return Err(ApiError::BadRequest(format!(
            "reconciliation polls Mastodon accounts; this one is on {}",
            row.channel
        )));
    }
    let report = reconcile::reconcile_mastodon(&state.channels, &state.store, &row, 40)
        .await
        .map_err(|e| ApiError::Upstream(e.to_string()))?;
    let _ = WorkspaceId(row.workspace_id);
    Ok(Json(report))
}
