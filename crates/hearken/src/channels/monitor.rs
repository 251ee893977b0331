//! The completeness ledger as people read it, and the quiet-source alert.

use serde::Serialize;

use crate::domain::time::now_millis;
use crate::domain::WorkspaceId;
use crate::storage::channels::LedgerRow;
use crate::storage::{DynStore, StoreResult};

/// A source is quiet when nothing arrived for this many normal gaps...
pub const QUIET_FACTOR: i64 = 4;
/// ...and for at least this long, so a busy source is not flagged for a short pause.
pub const QUIET_FLOOR_MS: i64 = 10 * 60_000;

/// One source's health, for the dashboard and the API.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SourceHealth {
    pub account_id: i64,
    pub account: String,
    pub source: String,
    pub last_item_id: Option<String>,
    pub last_item_at: Option<i64>,
    pub last_arrival_at: Option<i64>,
    pub deliveries: i64,
    pub items: i64,
    /// Mean and maximum delay from platform time to arrival, ms.
    pub lag_mean_ms: Option<i64>,
    pub lag_max_ms: i64,
    pub normal_gap_ms: Option<i64>,
    pub failed_signatures: i64,
    pub gaps_found: i64,
    pub gaps_filled: i64,
    pub untriaged: i64,
    /// Quiet longer than its normal gap allows.
    pub quiet: bool,
}

/// Whether a ledger row counts as quiet at `now`, and for how long.
pub fn quiet_for(row: &LedgerRow, now: i64) -> Option<i64> {
    let (last, gap) = (row.last_arrival_at?, row.normal_gap_ms?);
    let silent = now - last;
    (silent > (gap * QUIET_FACTOR).max(QUIET_FLOOR_MS)).then_some(silent)
}

/// The health of every source of a workspace.
pub async fn health(store: &DynStore, ws: WorkspaceId) -> StoreResult<Vec<SourceHealth>> {
    let now = now_millis();
    let names: std::collections::HashMap<i64, String> = store
        .accounts(ws)
        .await?
        .into_iter()
        .map(|a| (a.id, format!("{}:{}", a.channel, a.handle)))
        .collect();
    let mut out = Vec::new();
    for r in store.ledger(ws).await? {
        out.push(SourceHealth {
            account: names.get(&r.account_id).cloned().unwrap_or_default(),
            untriaged: store.untriaged(ws, r.account_id).await?,
            quiet: quiet_for(&r, now).is_some(),
            lag_mean_ms: (r.lag_count > 0).then(|| r.lag_sum_ms / r.lag_count),
            account_id: r.account_id,
            source: r.source,
            last_item_id: r.last_item_id,
            last_item_at: r.last_item_at,
            last_arrival_at: r.last_arrival_at,
            deliveries: r.deliveries,
            items: r.items,
            lag_max_ms: r.lag_max_ms,
            normal_gap_ms: r.normal_gap_ms,
            failed_signatures: r.failed_signatures,
            gaps_found: r.gaps_found,
            gaps_filled: r.gaps_filled,
        });
    }
    Ok(out)
}

/// Raises the quiet alert (log line and audit event, once per quiet spell) for every
/// source of every workspace that has gone quiet. Returns how many were raised.
pub async fn check_quiet(store: &DynStore) -> StoreResult<usize> {
    let now = now_millis();
    let mut raised = 0;
    for w in store.workspaces().await? {
        let ws = WorkspaceId(w.id);
        for r in store.ledger(ws).await? {
            let Some(silent) = quiet_for(&r, now) else {
                continue;
            };
            if r.quiet_alerted_at.is_none()
                && store
                    .mark_quiet(ws, r.account_id, &r.source, silent)
                    .await?
            {
                tracing::warn!(
                    workspace.id = ws.0,
                    account.id = r.account_id,
                    source = %r.source,
                    quiet_for_ms = silent,
                    "source {} of account {} is quiet for {} s, longer than its normal gap",
                    r.source,
                    r.account_id,
                    silent / 1000
                );
                raised += 1;
            }
        }
    }
    Ok(raised)
}
