//! The server-rendered UI. Handlers gather views and render templates; forms post back
//! and redirect (post/redirect/get), so the UI works without JavaScript.

pub mod approvals;
pub mod audit;
pub mod brand_voice;
pub mod channels;
pub mod comm_tests;
pub mod conversation;
pub mod dashboard;
pub mod history;
pub mod inbox;
pub mod listening;
pub mod login;
pub mod person;
pub mod sla;
pub mod users;

use axum::response::Html;
use serde::Serialize;

use super::error::{ApiError, PageError};
use crate::app::AppState;
use crate::auth::Principal;
use crate::domain::role::Permission;

/// The signed-in user as the page header shows them.
#[derive(Serialize)]
pub struct MeView {
    pub name: String,
    pub role: String,
    pub csrf: String,
    pub can_dashboard: bool,
    pub can_audit: bool,
    pub can_users: bool,
    /// SLA reports (#3).
    pub can_reports: bool,
    /// Communication tests, reply rights and the brand voice pages (#4).
    pub can_tests: bool,
    /// Grading communication tests (#4).
    pub can_review_tests: bool,
}

impl MeView {
    /// Builds the header view of a principal.
    pub fn of(p: &Principal) -> MeView {
        MeView {
            name: p.display_name.clone(),
            role: p.role.to_string(),
            csrf: p.csrf_token().to_owned(),
            can_dashboard: p.can(Permission::ViewDashboard),
            can_audit: p.can(Permission::ReadAudit),
            can_users: p.can(Permission::ManageUsers),
            can_reports: p.can(Permission::ViewReports),
            can_tests: p.can(Permission::ReadConversations),
            can_review_tests: crate::approvals::certify::may_review(p.role),
        }
    }
}

/// Renders a template into an HTML response.
pub fn render<S: Serialize>(
    state: &AppState,
    name: &str,
    ctx: S,
) -> Result<Html<String>, PageError> {
    state
        .templates
        .render(name, ctx)
        .map(Html)
        .map_err(|e| PageError(ApiError::Internal(anyhow::anyhow!("rendering {name}: {e}"))))
}

/// Refuses with a 403 page unless the role grants the permission.
pub fn require(who: &Principal, p: Permission) -> Result<(), PageError> {
    super::session::require(who, p).map_err(PageError)
}
