//! Pushes SLA warnings and breaches live: a clock crosses its warning or due instant
//! with no new event, so a watcher looks for crossings and tells open dashboards through
//! the `DeskEvent` broadcast.

use std::time::Duration;

use crate::app::{AppState, DeskEvent};
use crate::domain::time::now_millis;
use crate::domain::WorkspaceId;

/// How often crossings are looked for.
pub const INTERVAL: Duration = Duration::from_secs(30);

/// One pass over every workspace; returns (workspace, conversation, state) announced.
pub async fn tick(state: &AppState) -> anyhow::Result<Vec<(WorkspaceId, i64, String)>> {
    let now = now_millis();
    let mut out = Vec::new();
    for w in state.store.workspaces().await? {
        let ws = WorkspaceId(w.id);
        for (id, s) in state.store.sla_take_crossings(ws, now).await? {
            tracing::info!(workspace_id = ws.0, conversation_id = id, sla_state = %s, "sla crossing");
            state.publish(DeskEvent::changed(ws, id));
            out.push((ws, id, s));
        }
    }
    // TODO(#3): notify the assignee and the team lead, and run escalation rules
    // (reassign, raise priority) on breach.
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
