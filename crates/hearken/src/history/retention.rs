//! The retention schedule (issue #5): each workspace's retention policy is applied on its
//! own, not only when an admin asks, so content older than the set age does not outlive it
//! by more than one period. Every run is audited under the system actor `retention`, with
//! what it erased and what a legal hold kept.

use std::time::Duration;

use crate::domain::{Actor, WorkspaceId};
use crate::storage::history::ErasureReport;
use crate::storage::{DynStore, StoreResult};

/// The actor the schedule's runs are audited under.
pub const ACTOR: Actor = Actor::System("retention");

/// Applies the retention policy of every workspace that has one, as of `now`. A workspace
/// that fails is logged and the others still run.
pub async fn run_all(store: &DynStore, now: i64) -> StoreResult<Vec<(WorkspaceId, ErasureReport)>> {
    let mut done = Vec::new();
    for w in store.workspaces().await? {
        let ws = WorkspaceId(w.id);
        if store.retention(ws).await?.is_none() {
            continue;
        }
        match store.apply_retention(ws, now, &ACTOR).await {
            Ok(report) => done.push((ws, report)),
            Err(e) => tracing::error!(error = %e, workspace.id = ws.0, "retention run failed"),
        }
    }
    Ok(done)
}

/// Runs `run_all` every `every`, the first time one period after start.
pub fn spawn(store: DynStore, every: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.tick().await;
        loop {
            tick.tick().await;
            match run_all(&store, crate::domain::time::now_millis()).await {
                Ok(runs) => {
                    let messages: u64 = runs.iter().map(|(_, r)| r.messages).sum();
                    tracing::info!(workspaces = runs.len(), messages, "retention applied");
                }
                Err(e) => tracing::error!(error = %e, "retention schedule failed"),
            }
        }
    });
}
