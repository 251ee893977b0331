//! SLA pages (#3): the reporting dashboard, and the live SLA state shown in the inbox
//! and on the conversation page.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Html;
use serde_json::json;

use super::{render, require, MeView};
use crate::app::AppState;
use crate::domain::role::Permission;
use crate::domain::time::now_millis;
use crate::domain::WorkspaceId;
use crate::http::error::{ApiError, PageError};
use crate::http::session::PageUser;
use crate::sla::engine::{live_view, LiveView};
use crate::sla::report::{self, ReportParams, ReportRow, RunError};
use crate::storage::StoreResult;

/// Live SLA state of the given conversations at this instant.
pub async fn live_states(
    state: &AppState,
    ws: WorkspaceId,
    ids: &[i64],
) -> StoreResult<HashMap<i64, LiveView>> {
    let rows = state.store.sla_states(ws, ids).await?;
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    let cals = state.store.sla_calendars(ws).await?;
    let now = now_millis();
    Ok(rows
        .iter()
        .filter_map(|r| live_view(r, &cals, now).map(|v| (r.conversation_id, v)))
        .collect())
}

/// GET /reports/sla
pub async fn page(
    State(state): State<AppState>,
    PageUser(who): PageUser,
    Query(p): Query<ReportParams>,
) -> Result<Html<String>, PageError> {
    require(&who, Permission::ViewReports)?;
    let result = if p.exact == Some(true) {
        report::run(&state.store, who.workspace, &p, now_millis())
            .await
            .map(|x| x.0)
    } else {
        report::run_rollups(&state.store, who.workspace, &p, now_millis()).await
    };
    let r = match result {
        Ok(x) => x,
        Err(RunError::Invalid(m)) => return Err(PageError(ApiError::BadRequest(m))),
        Err(RunError::Store(e)) => return Err(PageError(e.into())),
    };
    let charts = [
        (
            "First response median",
            (|r: &ReportRow| r.first_response.median) as fn(&ReportRow) -> Option<f64>,
        ),
        ("First response p90", |r: &ReportRow| r.first_response.p90),
        ("Next response median", |r: &ReportRow| {
            r.next_response.median
        }),
        ("Resolution median", |r: &ReportRow| r.resolution.median),
    ]
    .iter()
    .map(|(t, f)| report::median_chart_svg(&r, t, *f))
    .collect::<Vec<_>>();
    let query = serde_urlencoded::to_string([
        ("from", p.from.clone().unwrap_or_default()),
        ("to", p.to.clone().unwrap_or_default()),
        ("bucket", p.bucket.clone().unwrap_or_default()),
        ("by", p.by.clone().unwrap_or_default()),
        ("time", p.time.clone().unwrap_or_default()),
    ])
    .unwrap_or_default();
    render(
        &state,
        "sla_report.html",
        json!({
            "me": MeView::of(&who),
            "r": r,
            "p": {
                "from": p.from, "to": p.to, "bucket": r.bucket, "by": r.by, "time": r.time,
            },
            "charts": charts,
            "query": query,
            "dimensions": ["none", "agent", "team", "channel", "account", "tag", "policy"],
        }),
    )
}

/// The inbox's `sort` parameter: `due` orders by SLA time left.
#[derive(Debug, Default, serde::Deserialize)]
pub struct SortParam {
    pub sort: Option<String>,
}

/// The inbox page, by activity (with paging) or by SLA due time (one page, no cursor).
pub async fn inbox_page(
    state: &AppState,
    who: &crate::auth::Principal,
    params: &crate::inbox::InboxParams,
    by_due: bool,
) -> Result<crate::inbox::InboxPage, PageError> {
    if !by_due {
        return crate::inbox::list(state, who, params)
            .await
            .map_err(|e| PageError(e.into()));
    }
    let filter = params
        .to_filter()
        .map_err(|e| PageError(ApiError::from(e)))?;
    let rows = state
        .store
        .sla_inbox_by_due(who.workspace, &filter, params.limit())
        .await
        .map_err(|e| PageError(e.into()))?;
    Ok(crate::inbox::InboxPage { rows, next: None })
}
