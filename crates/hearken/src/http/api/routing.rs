//! Routing rules and dismissals over the API (issue #6).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use crate::app::{AppState, DeskEvent};
use crate::auth::Principal;
use crate::domain::role::Permission;
use crate::domain::{Actor, WorkspaceId};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::session::require;
use crate::http::views::ConversationView;
use crate::routing::rules::{Rule, RuleRequest};
use crate::storage::routing::DismissalRow;

/// The routing rules, in evaluation order.
#[utoipa::path(get, path = "/api/v1/routing/rules", responses((status = 200, body = Vec<Rule>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<Vec<Rule>>, ApiError> {
    require(&who, Permission::ManageRouting)?;
    Ok(Json(state.store.routing_rules(who.workspace).await?))
}

/// Create a rule.
#[utoipa::path(post, path = "/api/v1/routing/rules", request_body = RuleRequest, responses((status = 201, body = Rule), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    who: Principal,
    ApiJson(req): ApiJson<RuleRequest>,
) -> Result<(StatusCode, Json<Rule>), ApiError> {
    require(&who, Permission::ManageRouting)?;
    check(&state, who.workspace, &req).await?;
    let rule = state
        .store
        .create_rule(who.workspace, &req, &Actor::User(who.user_id))
        .await?;
    Ok((StatusCode::CREATED, Json(rule)))
}

/// Replace a rule's content; its version goes up by one.
#[utoipa::path(put, path = "/api/v1/routing/rules/{id}", params(("id" = i64, Path)), request_body = RuleRequest, responses((status = 200, body = Rule), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<RuleRequest>,
) -> Result<Json<Rule>, ApiError> {
    require(&who, Permission::ManageRouting)?;
    check(&state, who.workspace, &req).await?;
    let rule = state
        .store
        .update_rule(who.workspace, id, &req, &Actor::User(who.user_id))
        .await?;
    Ok(Json(rule))
}

async fn check(state: &AppState, ws: WorkspaceId, req: &RuleRequest) -> Result<(), ApiError> {
    req.validate()
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    if let Some(team) = req.actions.team_id {
        let teams = state.store.teams(ws).await?;
        if !teams.iter().any(|t| t.id == team) {
            return Err(ApiError::BadRequest("actions.team_id: no such team".into()));
        }
    }
    Ok(())
}

/// Recent dismissals as spam, newest first.
#[utoipa::path(get, path = "/api/v1/routing/dismissals", responses((status = 200, body = Vec<DismissalRow>)))]
pub async fn dismissals(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<Vec<DismissalRow>>, ApiError> {
    require(&who, Permission::ReadConversations)?;
    Ok(Json(state.store.dismissals(who.workspace, 200).await?))
}

/// Undo a dismissal: the conversation gets its status back and loses the spam tag.
#[utoipa::path(post, path = "/api/v1/routing/dismissals/{id}/undo", params(("id" = i64, Path)), responses((status = 200, body = ConversationView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn undo(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ConversationView>, ApiError> {
    require(&who, Permission::WorkConversations)?;
    let conv = state
        .store
        .undo_dismissal(who.workspace, id, &Actor::User(who.user_id))
        .await?;
    state.publish(DeskEvent::changed(who.workspace, conv.id));
    Ok(Json(conv.into()))
}
