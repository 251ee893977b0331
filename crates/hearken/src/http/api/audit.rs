//! The audit log over the API (auditors and admins).

use axum::extract::State;
use axum::Json;

use crate::app::AppState;
use crate::auth::Principal;
use crate::domain::role::Permission;
use crate::http::error::ApiError;
use crate::http::extract::ApiQuery;
use crate::http::session::require;
use crate::http::ui::audit::AuditParams;
use crate::http::views::AuditView;

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
