//! The JSON API under `/api/v1`, described by the OpenAPI document at
//! `/api/v1/openapi.json`. Bearer tokens or the browser session authenticate; errors are
//! `{"error":{"code","message"}}`.

pub mod admin;
pub mod approvals;
pub mod audit;
pub mod channels;
pub mod conversations;
pub mod dashboard;
pub mod data;
pub mod escalation;
pub mod history;
pub mod listening;
pub mod routing;
pub mod sla;

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::auth::Principal;
use crate::http::error::ApiError;

/// The OpenAPI description of every API route.
#[derive(OpenApi)]
#[openapi(
    info(title = "Hearken API", description = "Social customer care desk", version = "1"),
    paths(
        me,
        conversations::list, conversations::get, conversations::change, conversations::reply,
        conversations::add_tag, conversations::remove_tag, conversations::add_note,
        conversations::presence,
        dashboard::get, audit::list, admin::list_users, admin::create_user, admin::set_role,
        admin::create_token, admin::accounts, admin::teams, admin::create_team, admin::change_team, data::import, data::export, data::outbox,
        sla::calendars, sla::save_calendar_api, sla::import_holidays, sla::policies,
        sla::add_policy, sla::explain, sla::record_event, sla::set_sender_kind, sla::report,
        sla::conversations_csv,
        escalation::list, escalation::get, escalation::create, escalation::update,
        escalation::delete,
        channels::list, channels::connect, channels::ledger, channels::reconcile,
        approvals::put_style_guide, approvals::style_check, approvals::templates,
        approvals::create_template, approvals::put_path, approvals::put_routing,
        approvals::add_team_member, approvals::create_department,
        approvals::add_department_member, approvals::drafts, approvals::get_draft,
        approvals::approve, approvals::reject, approvals::edit, approvals::seen,
        approvals::send, approvals::queue, approvals::notifications,
        approvals::read_notifications, approvals::certifications, approvals::grant,
        approvals::revoke, approvals::tests, approvals::test_paper, approvals::create_test, approvals::take_test, approvals::grade,
        approvals::report,
        // Issue #5: history, originals, erasure, audit export and verification.
        audit::export, audit::verify, audit::checkpoint,
        history::timeline, history::change_contact, history::add_attribute, history::link,
        history::undo_link, history::suggestions, history::dismiss_suggestion, history::delete_contact,
        history::contact_originals, history::original, history::reply_record,
        history::erase_contact, history::redact_card, history::retention,
        history::set_retention, history::run_retention, history::holds, history::place_hold,
        history::release_hold,
        routing::list, routing::create, routing::update, routing::dismissals, routing::undo,
        listening::list, listening::create, listening::disable, listening::offer,
    ),
    components(schemas(
        crate::http::error::ErrorBody, crate::http::error::ErrorDetail,
        crate::http::views::ConversationView, crate::http::views::MessageView,
        crate::http::views::NoteView, crate::http::views::UserView, crate::http::views::AuditView,
        crate::inbox::ChangeRequest, crate::import::ndjson::CanonicalMessage,
        crate::auth::users::NewUserRequest, crate::dashboard::Dashboard, crate::dashboard::Series,
        crate::storage::sla::SlaCalendarRow, crate::storage::sla::SlaPolicyRow,
        crate::sla::report::Report, crate::sla::report::ReportRow, crate::sla::report::Stat,
        crate::sla::engine::LiveView, sla::CalendarRequest, sla::PolicyRequest,
        sla::ExplainResponse, sla::EventRequest, sla::SenderKindRequest,
        crate::sla::escalation::EscalationRule, crate::sla::escalation::EscalationRuleRequest,
        admin::TeamChangeRequest,
        crate::channels::connect::ConnectRequest, crate::channels::connect::ConnectionView,
        crate::channels::monitor::SourceHealth, crate::storage::channels::ReconcileReport,
        crate::storage::channels::DeliveryStats,
        crate::routing::rules::Rule, crate::routing::rules::RuleRequest,
        crate::routing::rules::Conditions, crate::routing::rules::Actions,
        crate::storage::routing::DismissalRow, crate::storage::listening::ListeningQueryRow,
        crate::listening::QueryRequest, crate::listening::PublicPost,
        crate::listening::ListeningReport,
        conversations::PresenceRequest, crate::approvals::presence::Presence,
        crate::approvals::presence::PresentUser,
    )),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// GET /api/v1/openapi.json
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// Who the caller is.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct MeResponse {
    pub user_id: i64,
    pub workspace_id: i64,
    pub name: String,
    pub role: String,
}

/// The caller.
#[utoipa::path(get, path = "/api/v1/me", responses((status = 200, body = MeResponse), (status = 401, body = crate::http::error::ErrorBody)))]
pub async fn me(who: Principal) -> Result<Json<MeResponse>, ApiError> {
    Ok(Json(MeResponse {
        user_id: who.user_id,
        workspace_id: who.workspace.0,
        name: who.display_name,
        role: who.role.to_string(),
    }))
}
