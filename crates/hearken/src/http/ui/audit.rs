//! The audit log page: read-only for auditors and admins.

use axum::extract::{Query, State};
use axum::response::Html;
use serde::Deserialize;
use serde_json::json;

use super::{render, require, MeView};
use crate::app::AppState;
use crate::domain::role::Permission;
use crate::http::error::PageError;
use crate::http::session::PageUser;
use crate::http::views::AuditView;
use crate::storage::AuditFilter;

/// Audit filters from the URL.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub subject: Option<String>,
    /// Only events at or after this epoch-ms instant.
    pub from: Option<i64>,
    /// Only events before this epoch-ms instant.
    pub to: Option<i64>,
    /// Page backwards from this sequence number.
    pub before: Option<i64>,
    pub limit: Option<i64>,
}

impl AuditParams {
    /// The storage filter; blank fields are ignored.
    pub fn filter(&self) -> AuditFilter {
        let blank = |v: &Option<String>| {
            v.as_ref()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
        };
        AuditFilter {
            actor: blank(&self.actor),
            action: blank(&self.action),
            subject: blank(&self.subject),
            from: self.from,
            to: self.to,
            before_seq: self.before,
        }
    }

    /// Page size, 1..=500, default 100.
    pub fn limit(&self) -> i64 {
        self.limit.unwrap_or(100).clamp(1, 500)
    }
}

/// GET /audit
pub async fn page(
    State(state): State<AppState>,
    PageUser(who): PageUser,
    Query(p): Query<AuditParams>,
) -> Result<Html<String>, PageError> {
    require(&who, Permission::ReadAudit)?;
    let limit = p.limit();
    let events: Vec<AuditView> = state
        .store
        .audit_events(who.workspace, &p.filter(), limit)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    let next = (events.len() as i64 == limit)
        .then(|| events.last().map(|e| e.seq))
        .flatten()
        .map(|seq| {
            let pairs = [
                ("actor", p.actor.clone().unwrap_or_default()),
                ("action", p.action.clone().unwrap_or_default()),
                ("subject", p.subject.clone().unwrap_or_default()),
                ("before", seq.to_string()),
            ];
            format!(
                "/audit?{}",
                serde_urlencoded::to_string(pairs).unwrap_or_default()
            )
        });
    render(
        &state,
        "audit.html",
        json!({ "me": MeView::of(&who), "events": events, "f": { "actor": p.actor, "action": p.action, "subject": p.subject }, "next": next }),
    )
}
