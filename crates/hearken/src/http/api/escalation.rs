//! SLA escalation rules over the API (issue #3): what happens to a conversation when
//! one of its clocks breaches (or, optionally, enters warning). Admins and managers only.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use crate::app::AppState;
use crate::auth::Principal;
use crate::domain::role::Permission;
use crate::domain::{Actor, WorkspaceId};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::session::require;
use crate::sla::escalation::{EscalationRule, EscalationRuleRequest};

/// The escalation rules, in evaluation order.
#[utoipa::path(get, path = "/api/v1/sla/escalation-rules", responses((status = 200, body = Vec<EscalationRule>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<Vec<EscalationRule>>, ApiError> {
    require(&who, Permission::ManageSla)?;
    Ok(Json(state.store.escalation_rules(who.workspace).await?))
}

/// One escalation rule.
#[utoipa::path(get, path = "/api/v1/sla/escalation-rules/{id}", params(("id" = i64, Path)), responses((status = 200, body = EscalationRule), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<EscalationRule>, ApiError> {
    require(&who, Permission::ManageSla)?;
    let rule = state.store.escalation_rule(who.workspace, id).await?;
    Ok(Json(rule.ok_or(ApiError::NotFound)?))
}

/// Create an escalation rule: on a breach (and with `on_warning` a warning) of `metric`,
/// optionally only under the policy `policy_key`, assign to `assign_user_id` and/or move
/// to `assign_team_id` (unassigned unless a user is named too) and/or raise the priority
/// to at least `raise_priority`. Each rule acts at most once per crossing.
#[utoipa::path(post, path = "/api/v1/sla/escalation-rules", request_body = EscalationRuleRequest, responses((status = 201, body = EscalationRule), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    who: Principal,
    ApiJson(req): ApiJson<EscalationRuleRequest>,
) -> Result<(StatusCode, Json<EscalationRule>), ApiError> {
    require(&who, Permission::ManageSla)?;
    let req = check(&state, who.workspace, &req).await?;
    let rule = state
        .store
        .create_escalation_rule(who.workspace, &req, &Actor::User(who.user_id))
        .await?;
    Ok((StatusCode::CREATED, Json(rule)))
}

/// Replace an escalation rule's content; its version goes up by one.
#[utoipa::path(put, path = "/api/v1/sla/escalation-rules/{id}", params(("id" = i64, Path)), request_body = EscalationRuleRequest, responses((status = 200, body = EscalationRule), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<EscalationRuleRequest>,
) -> Result<Json<EscalationRule>, ApiError> {
    require(&who, Permission::ManageSla)?;
    let req = check(&state, who.workspace, &req).await?;
    let rule = state
        .store
        .update_escalation_rule(who.workspace, id, &req, &Actor::User(who.user_id))
        .await?;
    Ok(Json(rule))
}

/// Delete an escalation rule; what it already did stays recorded.
#[utoipa::path(delete, path = "/api/v1/sla/escalation-rules/{id}", params(("id" = i64, Path)), responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    require(&who, Permission::ManageSla)?;
    state
        .store
        .delete_escalation_rule(who.workspace, id, &Actor::User(who.user_id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Validates the request, and that its user, team and policy are this workspace's.
async fn check(
    state: &AppState,
    ws: WorkspaceId,
    req: &EscalationRuleRequest,
) -> Result<EscalationRuleRequest, ApiError> {
    let req = req
        .validated()
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    if let Some(u) = req.assign_user_id {
        if state.store.user(ws, u).await?.is_none() {
            return Err(ApiError::BadRequest(
                "assign_user_id: no such user in this workspace".into(),
            ));
        }
    }
    if let Some(t) = req.assign_team_id {
        if !state.store.teams(ws).await?.iter().any(|x| x.id == t) {
            return Err(ApiError::BadRequest(
                "assign_team_id: no such team in this workspace".into(),
            ));
        }
    }
    if let Some(k) = &req.policy_key {
        let policies = state.store.sla_policies(ws).await?;
        if !policies.iter().any(|p| &p.policy_key == k) {
            return Err(ApiError::BadRequest(
                "policy_key: no SLA policy with this key".into(),
            ));
        }
    }
    Ok(req)
}
