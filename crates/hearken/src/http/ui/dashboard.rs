//! The monitoring dashboard page, its live panel, and the server-sent event stream that
//! tells open dashboards when to refresh.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::Html;
use futures::Stream;
use serde_json::json;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::StreamExt;

use super::{render, require, MeView};
use crate::app::AppState;
use crate::auth::Principal;
use crate::dashboard::{self, chart};
use crate::domain::role::Permission;
use crate::domain::time::now_millis;
use crate::http::error::PageError;
use crate::http::session::PageUser;

/// Hours shown on the dashboard.
pub const WINDOW_HOURS: i64 = 24;

async fn panel_context(state: &AppState, who: &Principal) -> Result<serde_json::Value, PageError> {
    let d = dashboard::compute(&state.store, who.workspace, WINDOW_HOURS).await?;
    let hours = WINDOW_HOURS as usize + 1;
    // Issue #6: source health from the completeness ledger.
    let sources = crate::channels::monitor::health(&state.store, who.workspace).await?;
    Ok(json!({
        "me": MeView::of(who),
        "channel_svg": chart::volume_svg(&d.by_channel, d.since, d.bucket_ms, hours),
        "account_svg": chart::volume_svg(&d.by_account, d.since, d.bucket_ms, hours),
        "hours": WINDOW_HOURS,
        "now": now_millis(),
        "d": d,
        "sources": sources,
    }))
}

/// GET /dashboard
pub async fn page(
    State(state): State<AppState>,
    PageUser(who): PageUser,
) -> Result<Html<String>, PageError> {
    require(&who, Permission::ViewDashboard)?;
    let ctx = panel_context(&state, &who).await?;
    render(&state, "dashboard.html", ctx)
}

/// GET /dashboard/panel: the live part, re-fetched when an event arrives.
pub async fn panel(
    State(state): State<AppState>,
    PageUser(who): PageUser,
) -> Result<Html<String>, PageError> {
    require(&who, Permission::ViewDashboard)?;
    let ctx = panel_context(&state, &who).await?;
    render(&state, "dashboard_panel.html", ctx)
}

/// GET /events: a `changed` event whenever something in the caller's workspace changes.
/// Events carry no content, only that something changed, so nothing private leaks into
/// the stream.
pub async fn events(
    State(state): State<AppState>,
    PageUser(who): PageUser,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, PageError> {
    require(&who, Permission::ViewDashboard)?;
    let ws = who.workspace;
    let stream = BroadcastStream::new(state.events.subscribe()).filter_map(move |e| match e {
        Ok(ev) if ev.workspace == ws => Some(Ok(Event::default().event("changed").data("1"))),
        // A lagging listener missed events: one refresh covers them all.
        Err(_) => Some(Ok(Event::default().event("changed").data("1"))),
        Ok(_) => None,
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
