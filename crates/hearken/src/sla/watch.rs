//! Pushes SLA warnings and breaches live: a clock crosses its warning or due instant
//! with no new event, so a watcher looks for crossings, announces each once (notifying
//! the assignee and the team lead and running the escalation rules, see
//! `sla::escalation`) and tells open dashboards through the `DeskEvent` broadcast.

use std::time::Duration;

use crate::app::{AppState, DeskEvent};
use crate::domain::time::now_millis;
use crate::domain::WorkspaceId;

/// How often crossings are looked for.
pub const INTERVAL: Duration = Duration::from_secs(30);

/// Most crossings announced per workspace and pass; the rest wait for the next pass.
pub const BATCH: i64 = 500;

/// One pass over every workspace; returns (workspace, conversation, state) announced.
///
/// Each crossing is announced in its own transaction, at most once: a second pass, or a
/// second node running the watcher, finds it already claimed. A crossing that fails (a
/// lock timeout, say) is logged and left for the next pass.
pub async fn tick(state: &AppState) -> anyhow::Result<Vec<(WorkspaceId, i64, String)>> {
    let now = now_millis();
    let mut out = Vec::new();
    for w in state.store.workspaces().await? {
        let ws = WorkspaceId(w.id);
        for c in state.store.sla_pending_crossings(ws, now, BATCH).await? {
            let a = match state.store.sla_announce_crossing(ws, &c).await {
                Ok(Some(a)) => a,
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!(
                        workspace_id = ws.0,
                        conversation_id = c.conversation_id,
                        error = %e,
                        "sla crossing not announced; retried next pass"
                    );
                    continue;
                }
            };
            let applied = a
                .escalations
                .iter()
                .filter(|e| e.outcome == "applied")
                .count();
            tracing::info!(
                workspace_id = ws.0,
                conversation_id = c.conversation_id,
                crossing_id = a.crossing_id,
                sla_state = %c.state,
                sla_metric = %c.metric,
                notified = a.notified.len(),
                escalations_applied = applied,
                "sla crossing"
            );
            state.publish(DeskEvent::changed(ws, c.conversation_id));
            out.push((ws, c.conversation_id, c.state));
        }
    }
    Ok(out)
}

/// Runs `tick` forever in the background.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(INTERVAL);
        loop {
            every.tick().await;
            if let Err(e) = tick(&state).await {
                tracing::warn!(error = %e, "sla watch failed");
            }
        }
    })
}
