//! The monitoring figures over the API.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::Principal;
use crate::dashboard::{self, Dashboard};
use crate::domain::role::Permission;
use crate::http::error::ApiError;
use crate::http::extract::ApiQuery;
use crate::http::session::require;

/// The window to report.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DashboardParams {
    /// Hours back from now, 1 to 720 (default 24).
    pub hours: Option<i64>,
}

/// Volume per channel and account, waiting items, oldest wait, resolved today.
#[utoipa::path(get, path = "/api/v1/dashboard", params(DashboardParams), responses((status = 200, body = Dashboard)))]
pub async fn get(
    State(state): State<AppState>,
    who: Principal,
    ApiQuery(p): ApiQuery<DashboardParams>,
) -> Result<Json<Dashboard>, ApiError> {
    require(&who, Permission::ViewDashboard)?;
    let hours = p.hours.unwrap_or(24);
    if !(1..=720).contains(&hours) {
        return Err(ApiError::BadRequest(
            "hours must be between 1 and 720".into(),
        ));
    }
    Ok(Json(
        dashboard::compute(&state.store, who.workspace, hours).await?,
    ))
}
