//! The monitoring dashboard: inbound volume over time per channel and account, what is
//! waiting for a first answer, the oldest wait, and what was resolved today.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::time::now_millis;
use crate::domain::WorkspaceId;
use crate::storage::{DynStore, StoreResult, WaitingStats};

pub mod chart;

/// One hour, the bucket width of the volume chart.
pub const HOUR_MS: i64 = 3_600_000;

/// A series of counts per bucket for one channel or account.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Series {
    pub label: String,
    pub total: i64,
    /// (bucket start epoch ms, count), buckets with no items omitted.
    pub points: Vec<(i64, i64)>,
}

/// Everything the dashboard shows.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    /// Start of the window, epoch ms.
    pub since: i64,
    pub bucket_ms: i64,
    pub by_channel: Vec<Series>,
    pub by_account: Vec<Series>,
    /// Conversations with a customer message not yet answered.
    pub waiting: i64,
    /// Of those, conversations never answered at all.
    pub waiting_first_answer: i64,
    /// The oldest unanswered customer message, epoch ms.
    pub oldest_waiting_since: Option<i64>,
    /// Minutes that message has waited.
    pub oldest_wait_minutes: Option<i64>,
    /// Conversations resolved since midnight UTC.
    pub resolved_today: i64,
}

/// Computes the dashboard for a window ending now.
pub async fn compute(
    store: &DynStore,
    ws: WorkspaceId,
    window_hours: i64,
) -> StoreResult<Dashboard> {
    let now = now_millis();
    let since = (now - window_hours * HOUR_MS) / HOUR_MS * HOUR_MS;
    let rows = store.volume(ws, since, HOUR_MS).await?;
    let accounts: BTreeMap<i64, String> = store
        .accounts(ws)
        .await?
        .into_iter()
        .map(|a| (a.id, format!("{}:{}", a.channel, a.handle)))
        .collect();
    let by_channel = series(rows.iter().map(|r| (r.channel.clone(), r.bucket, r.count)));
    let by_account = series(rows.iter().map(|r| {
        let label = accounts
            .get(&r.account_id)
            .cloned()
            .unwrap_or_else(|| r.account_id.to_string());
        (label, r.bucket, r.count)
    }));
    let midnight = now - now.rem_euclid(24 * HOUR_MS);
    let WaitingStats {
        waiting,
        waiting_first_answer,
        oldest_waiting_since,
        resolved_since,
    } = store.waiting_stats(ws, midnight).await?;
    Ok(Dashboard {
        since,
        bucket_ms: HOUR_MS,
        by_channel,
        by_account,
        waiting,
        waiting_first_answer,
        oldest_waiting_since,
        oldest_wait_minutes: oldest_waiting_since.map(|t| (now - t).max(0) / 60_000),
        resolved_today: resolved_since,
    })
}

/// Groups (label, bucket, count) rows into series sorted by total, largest first.
pub fn series(rows: impl Iterator<Item = (String, i64, i64)>) -> Vec<Series> {
    let mut map: BTreeMap<String, BTreeMap<i64, i64>> = BTreeMap::new();
    for (label, bucket, count) in rows {
        *map.entry(label).or_default().entry(bucket).or_default() += count;
    }
    let mut out: Vec<Series> = map
        .into_iter()
        .map(|(label, points)| Series {
            label,
            total: points.values().sum(),
            points: points.into_iter().collect(),
        })
        .collect();
    out.sort_by(|a, b| b.total.cmp(&a.total).then(a.label.cmp(&b.label)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_sum_per_label_and_bucket() {
        let rows = vec![
            ("x".to_owned(), 0, 2),
            ("x".to_owned(), 0, 3),
            ("x".to_owned(), 3600, 1),
            ("sandbox".to_owned(), 0, 1),
        ];
        let s = series(rows.into_iter());
        assert_eq!(s[0].label, "x");
        assert_eq!(s[0].total, 6);
        assert_eq!(s[0].points, vec![(0, 5), (3600, 1)]);
        assert_eq!(s[1].total, 1);
    }
}
