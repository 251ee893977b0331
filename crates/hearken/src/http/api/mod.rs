//! The JSON API under `/api/v1`, described by the OpenAPI document at
//! `/api/v1/openapi.json`. Bearer tokens or the browser session authenticate; errors are
//! `{"error":{"code","message"}}`.

pub mod admin;
pub mod audit;
pub mod conversations;
pub mod dashboard;
pub mod data;
pub mod listening;
pub mod routing;

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
        dashboard::get, audit::list, admin::list_users, admin::create_user, admin::set_role,
        admin::create_token, admin::accounts, data::import, data::export, data::outbox,
        routing::list, routing::create, routing::update, routing::dismissals, routing::undo,
        listening::list, listening::create, listening::disable, listening::offer,
    ),
    components(schemas(
        crate::http::error::ErrorBody, crate::http::error::ErrorDetail,
        crate::http::views::ConversationView, crate::http::views::MessageView,
        crate::http::views::NoteView, crate::http::views::UserView, crate::http::views::AuditView,
        crate::inbox::ChangeRequest, crate::import::ndjson::CanonicalMessage,
        crate::auth::users::NewUserRequest, crate::dashboard::Dashboard, crate::dashboard::Series,
        crate::routing::rules::Rule, crate::routing::rules::RuleRequest,
        crate::routing::rules::Conditions, crate::routing::rules::Actions,
        crate::storage::routing::DismissalRow, crate::storage::listening::ListeningQueryRow,
        crate::listening::QueryRequest, crate::listening::PublicPost,
        crate::listening::ListeningReport,
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
