//! The audit log over the API (auditors and admins): search, export, verification and
//! signed checkpoints.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::audit::checkpoint::record;
use crate::audit::export::{write, ExportFormat};
use crate::audit::verify::verify_with;
use crate::auth::Principal;
use crate::domain::role::Permission;
use crate::domain::time::now_millis;
use crate::domain::Actor;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::ApiQuery;
use crate::http::session::require;
use crate::http::ui::audit::AuditParams;
use crate::http::views::AuditView;
use crate::storage::{CheckpointRow, NewAuditEvent};

/// Audit events, newest first; page with `before`.
#[utoipa::path(get, path = "/api/v1/audit", params(AuditParams), responses((status = 200, body = Vec<AuditView>)))]
pub async fn list(
    State(state): State<AppState>,
    who: Principal,
    ApiQuery(p): ApiQuery<AuditParams>,
) -> Result<Json<Vec<AuditView>>, ApiError> {
    require(&who, Permission::ReadAudit)?;
    let rows = state
        .store
        .audit_events(who.workspace, &p.filter(), p.limit())
        .await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// The export format.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatParam {
    /// `jsonl` (default) or `csv`.
    pub format: Option<ExportFormat>,
}

/// Largest export, in events; narrow the filters for more.
const MAX_EXPORT: usize = 1_000_000;

/// Export the events matching the filters, oldest first, as JSON lines or CSV (formula
/// cells made inert). The export is itself audited.
#[utoipa::path(get, path = "/api/v1/audit/export", params(AuditParams, FormatParam), responses((status = 200, description = "JSON lines or CSV"), (status = 403, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    who: Principal,
    ApiQuery(p): ApiQuery<AuditParams>,
    ApiQuery(f): ApiQuery<FormatParam>,
) -> Result<impl IntoResponse, ApiError> {
    require(&who, Permission::ReadAudit)?;
    let format = f.format.unwrap_or(ExportFormat::Jsonl);
    let mut filter = p.filter();
    let mut rows = Vec::new();
    loop {
        let page = state
            .store
            .audit_events(who.workspace, &filter, 500)
            .await?;
        let Some(last) = page.last() else { break };
        filter.before_seq = Some(last.seq);
        rows.extend(page);
        if rows.len() >= MAX_EXPORT {
            return Err(ApiError::BadRequest(
                "too many events; narrow the filters".into(),
            ));
        }
    }
    rows.reverse();
    let body = write(format, &rows).map_err(ApiError::Internal)?;
    let f = p.filter();
    let ev = NewAuditEvent {
        at: now_millis(),
        actor: Actor::User(who.user_id).as_audit_text(),
        action: "audit.exported".into(),
        subject: format!("workspace:{}", who.workspace.0),
        before: None,
        after: Some(serde_json::json!({
            "format": format.as_str(), "events": rows.len(), "actor": f.actor, "action": f.action,
            "subject": f.subject, "from": f.from, "to": f.to,
        })),
    };
    state.store.append_audit(who.workspace, &ev).await?;
    let name = format!("attachment; filename=\"audit.{}\"", format.as_str());
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_owned()),
            (header::CONTENT_DISPOSITION, name),
        ],
        body,
    ))
}

/// The result of verifying the chain.
#[derive(Serialize, utoipa::ToSchema)]
pub struct VerifyResponse {
    pub intact: bool,
    pub message: String,
}

/// Verify the workspace's chain and checkpoints (signatures too when the key is set).
#[utoipa::path(get, path = "/api/v1/audit/verify", responses((status = 200, body = VerifyResponse)))]
pub async fn verify(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<VerifyResponse>, ApiError> {
    require(&who, Permission::ReadAudit)?;
    let key = state.settings.audit_key();
    let v = verify_with(&state.store, who.workspace, key.as_ref()).await?;
    Ok(Json(VerifyResponse {
        intact: v.is_intact(),
        message: v.describe(),
    }))
}

/// Sign a checkpoint of the chain head now (admins; needs `HEARKEN_AUDIT_KEY`).
#[utoipa::path(post, path = "/api/v1/audit/checkpoints", responses((status = 201, body = CheckpointRow), (status = 422, body = ErrorBody)))]
pub async fn checkpoint(
    State(state): State<AppState>,
    who: Principal,
) -> Result<(StatusCode, Json<CheckpointRow>), ApiError> {
    require(&who, Permission::ManageUsers)?;
    let key = state
        .settings
        .audit_key()
        .ok_or_else(|| ApiError::BadRequest("no audit key is configured".into()))?;
    let cp = record(&state.store, who.workspace, &key).await?;
    Ok((StatusCode::CREATED, Json(cp)))
}
