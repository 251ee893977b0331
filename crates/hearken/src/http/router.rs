//! The one route table. Every handler is named by its module path.

use axum::extract::{MatchedPath, Request};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{delete, get, patch, post, put};
use axum::{middleware, Router};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use super::{api, session, ui};
use crate::app::AppState;

/// Largest request body accepted (imports through the API included).
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// Builds the whole application router over the given state.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/openapi.json", get(api::openapi))
        .route("/me", get(api::me))
        .route("/conversations", get(api::conversations::list))
        .route(
            "/conversations/{id}",
            get(api::conversations::get).patch(api::conversations::change),
        )
        .route(
            "/conversations/{id}/replies",
            post(api::conversations::reply),
        )
        .route(
            "/conversations/{id}/tags",
            post(api::conversations::add_tag),
        )
        .route(
            "/conversations/{id}/tags/{tag}",
            delete(api::conversations::remove_tag),
        )
        .route(
            "/conversations/{id}/notes",
            post(api::conversations::add_note),
        )
        .route("/dashboard", get(api::dashboard::get))
        .route("/audit", get(api::audit::list))
        .route(
            "/users",
            get(api::admin::list_users).post(api::admin::create_user),
        )
        .route("/users/{id}", patch(api::admin::set_role))
        .route("/users/{id}/tokens", post(api::admin::create_token))
        .route("/accounts", get(api::admin::accounts))
        .route("/import", post(api::data::import))
        .route("/export", get(api::data::export))
        .route("/sandbox/outbox", get(api::data::outbox))
        // Issue #6 (outbound half): routing rules, dismissals, listening.
        .route(
            "/routing/rules",
            get(api::routing::list).post(api::routing::create),
        )
        .route("/routing/rules/{id}", put(api::routing::update))
        .route("/routing/dismissals", get(api::routing::dismissals))
        .route("/routing/dismissals/{id}/undo", post(api::routing::undo))
        .route(
            "/listening/queries",
            get(api::listening::list).post(api::listening::create),
        )
        .route("/listening/queries/{id}", delete(api::listening::disable))
        .route("/listening/posts", post(api::listening::offer))
        .fallback(api_not_found);

    let pages = Router::new()
        .route("/", get(|| async { Redirect::to("/inbox") }))
        .route("/login", get(ui::login::page).post(ui::login::submit))
        .route("/logout", post(ui::login::logout))
        .route("/inbox", get(ui::inbox::page))
        .route("/conversations/{id}", get(ui::conversation::page))
        .route("/conversations/{id}/reply", post(ui::conversation::reply))
        .route("/conversations/{id}/change", post(ui::conversation::change))
        .route("/conversations/{id}/tags", post(ui::conversation::add_tag))
        .route(
            "/conversations/{id}/tags/remove",
            post(ui::conversation::remove_tag),
        )
        .route(
            "/conversations/{id}/notes",
            post(ui::conversation::add_note),
        )
        .route("/dashboard", get(ui::dashboard::page))
        .route("/dashboard/panel", get(ui::dashboard::panel))
        .route("/events", get(ui::dashboard::events))
        .route("/audit", get(ui::audit::page))
        .route("/admin/users", get(ui::users::page).post(ui::users::create))
        .route("/admin/users/{id}/role", post(ui::users::set_role))
        // Issue #6 (outbound half): listening queries.
        .route(
            "/admin/listening",
            get(ui::listening::page).post(ui::listening::create),
        )
        .route("/static/app.css", get(static_css))
        .route("/static/app.js", get(static_js))
        .route("/healthz", get(|| async { "ok" }));

    Router::new()
        .nest("/api/v1", api)
        .merge(pages)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            session::authenticate,
        ))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(security_headers())
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let route = req
                .extensions()
                .get::<MatchedPath>()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default();
            tracing::info_span!("request", http.method = %req.method(), http.route = %route)
        }))
        .with_state(state)
}

fn security_headers() -> tower::layer::util::Stack<
    SetResponseHeaderLayer<HeaderValue>,
    tower::layer::util::Stack<
        SetResponseHeaderLayer<HeaderValue>,
        SetResponseHeaderLayer<HeaderValue>,
    >,
> {
    let csp = HeaderValue::from_static("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'");
    tower::layer::util::Stack::new(
        SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, csp),
        tower::layer::util::Stack::new(
            SetResponseHeaderLayer::if_not_present(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            SetResponseHeaderLayer::if_not_present(
                header::REFERRER_POLICY,
                HeaderValue::from_static("same-origin"),
            ),
        ),
    )
}

async fn api_not_found() -> impl IntoResponse {
    super::error::ApiError::NotFound
}

async fn static_css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../static/app.css"),
    )
}

async fn static_js() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../static/app.js"),
    )
}
