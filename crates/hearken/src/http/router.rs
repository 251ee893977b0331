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
        .route(
            "/conversations/{id}/presence",
            post(api::conversations::presence),
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
        .route(
            "/teams",
            get(api::admin::teams).post(api::admin::create_team),
        )
        .route("/teams/{id}", patch(api::admin::change_team))
        .route("/import", post(api::data::import))
        .route("/export", get(api::data::export))
        .route("/sandbox/outbox", get(api::data::outbox))
        // SLA policies, calendars and reports (#3)
        .route(
            "/sla/calendars",
            get(api::sla::calendars).post(api::sla::save_calendar_api),
        )
        .route(
            "/sla/calendars/{name}/holidays",
            post(api::sla::import_holidays),
        )
        .route(
            "/sla/policies",
            get(api::sla::policies).post(api::sla::add_policy),
        )
        .route("/sla/conversations/{id}", get(api::sla::explain))
        .route(
            "/conversations/{id}/sla-events",
            post(api::sla::record_event),
        )
        .route("/messages/{id}/sender-kind", put(api::sla::set_sender_kind))
        .route("/reports/sla", get(api::sla::report))
        .route(
            "/reports/sla/conversations.csv",
            get(api::sla::conversations_csv),
        )
        .route(
            "/sla/escalation-rules",
            get(api::escalation::list).post(api::escalation::create),
        )
        .route(
            "/sla/escalation-rules/{id}",
            get(api::escalation::get)
                .put(api::escalation::update)
                .delete(api::escalation::delete),
        )
        // Issue #6: connected accounts and the completeness ledger.
        .route(
            "/channels/accounts",
            get(api::channels::list).post(api::channels::connect),
        )
        .route("/channels/ledger", get(api::channels::ledger))
        .route(
            "/channels/accounts/{id}/reconcile",
            post(api::channels::reconcile),
        )
        // Issue #4: approval paths, the communication test and one brand voice.
        .route(
            "/style-guides/{locale}",
            axum::routing::put(api::approvals::put_style_guide),
        )
        .route("/style-check", post(api::approvals::style_check))
        .route(
            "/templates",
            get(api::approvals::templates).post(api::approvals::create_template),
        )
        .route(
            "/approval-paths/{key}",
            axum::routing::put(api::approvals::put_path),
        )
        .route("/routing", axum::routing::put(api::approvals::put_routing))
        .route("/teams/{id}/members", post(api::approvals::add_team_member))
        .route("/departments", post(api::approvals::create_department))
        .route(
            "/departments/{id}/members",
            post(api::approvals::add_department_member),
        )
        .route("/drafts", get(api::approvals::drafts))
        .route("/drafts/{id}", get(api::approvals::get_draft))
        .route("/drafts/{id}/approve", post(api::approvals::approve))
        .route("/drafts/{id}/reject", post(api::approvals::reject))
        .route("/drafts/{id}/edit", post(api::approvals::edit))
        .route("/drafts/{id}/seen", post(api::approvals::seen))
        .route("/drafts/{id}/send", post(api::approvals::send))
        .route("/approvals/queue", get(api::approvals::queue))
        .route("/notifications", get(api::approvals::notifications))
        .route(
            "/notifications/read",
            post(api::approvals::read_notifications),
        )
        .route(
            "/certifications",
            get(api::approvals::certifications).post(api::approvals::grant),
        )
        .route("/certifications/{id}/revoke", post(api::approvals::revoke))
        .route(
            "/comm-tests",
            get(api::approvals::tests).post(api::approvals::create_test),
        )
        .route("/comm-tests/{id}", get(api::approvals::test_paper))
        .route("/comm-tests/{id}/attempts", post(api::approvals::take_test))
        .route("/comm-attempts/{id}/grade", post(api::approvals::grade))
        .route("/reports/approvals", get(api::approvals::report))
        // Issue #5: message history, preserved originals, erasure, audit export.
        .route("/audit/export", get(api::audit::export))
        .route("/audit/verify", get(api::audit::verify))
        .route("/audit/checkpoints", post(api::audit::checkpoint))
        .route(
            "/contacts/{id}",
            patch(api::history::change_contact).delete(api::history::delete_contact),
        )
        .route("/contacts/{id}/timeline", get(api::history::timeline))
        .route(
            "/contacts/{id}/attributes",
            post(api::history::add_attribute),
        )
        .route("/contacts/{id}/links", post(api::history::link))
        .route(
            "/contacts/{id}/originals",
            get(api::history::contact_originals),
        )
        .route("/contacts/{id}/erasure", post(api::history::erase_contact))
        .route("/contact-suggestions", get(api::history::suggestions))
        .route(
            "/contact-suggestions/dismiss",
            post(api::history::dismiss_suggestion),
        )
        .route("/links/{id}/undo", post(api::history::undo_link))
        .route("/messages/{id}/original", get(api::history::original))
        .route("/messages/{id}/record", get(api::history::reply_record))
        .route(
            "/messages/{id}/card-redaction",
            post(api::history::redact_card),
        )
        .route(
            "/retention",
            get(api::history::retention).put(api::history::set_retention),
        )
        .route("/retention/run", post(api::history::run_retention))
        .route(
            "/legal-holds",
            get(api::history::holds).post(api::history::place_hold),
        )
        .route(
            "/legal-holds/{id}/release",
            post(api::history::release_hold),
        )
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
        // Issue #5: the person's timeline and audited originals.
        .route("/contacts/{id}", get(ui::history::timeline))
        .route("/contacts/{id}/links", post(ui::history::link))
        .route("/contacts/{id}/vip", post(ui::history::vip))
        .route("/contacts/{id}/attributes", post(ui::person::add_attribute))
        .route("/contacts/{id}/holds", post(ui::person::place_hold))
        .route("/holds/{id}/release", post(ui::person::release_hold))
        .route("/contacts/{id}/erasure", post(ui::person::erase))
        .route(
            "/contacts/{id}/suggestions/dismiss",
            post(ui::history::dismiss_suggestion),
        )
        .route("/links/{id}/undo", post(ui::history::undo_link))
        .route("/messages/{id}/original", get(ui::history::original))
        .route("/messages/{id}/record", get(ui::history::reply_record))
        .route("/admin/users", get(ui::users::page).post(ui::users::create))
        .route("/admin/users/{id}/role", post(ui::users::set_role))
        // SLA report (#3)
        .route("/reports/sla", get(ui::sla::page))
        // Issue #6: webhook endpoints and the connected-accounts page.
        .route(
            "/hooks/{channel}/{account}",
            get(super::hooks::verify).post(super::hooks::deliver),
        )
        .route(
            "/admin/accounts",
            get(ui::channels::page).post(ui::channels::create),
        )
        // Issue #4: the approver's queue.
        .route("/approvals", get(ui::approvals::page))
        .route("/approvals/{id}/approve", post(ui::approvals::approve))
        .route("/approvals/{id}/reject", post(ui::approvals::reject))
        .route("/approvals/{id}/edit", post(ui::approvals::edit))
        .route("/drafts/{id}/seen", post(ui::approvals::seen))
        .route("/drafts/{id}/send", post(ui::approvals::send))
        // Issue #4: communication tests, grading, reply rights, the brand voice in force.
        .route(
            "/tests",
            get(ui::comm_tests::list).post(ui::comm_tests::create),
        )
        .route("/tests/review", get(ui::comm_tests::review))
        .route("/tests/{id}", get(ui::comm_tests::paper))
        .route("/tests/{id}/attempts", post(ui::comm_tests::take))
        .route("/attempts/{id}", get(ui::comm_tests::result))
        .route("/attempts/{id}/grade", post(ui::comm_tests::grade))
        .route("/certifications", get(ui::comm_tests::certifications))
        .route("/certifications/{id}/revoke", post(ui::comm_tests::revoke))
        .route("/brand-voice", get(ui::brand_voice::page))
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
