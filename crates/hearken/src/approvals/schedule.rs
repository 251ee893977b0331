//! The approvals tick: deadlines escalate or expire drafts, scheduled drafts are sent when
//! approved (and expire when still pending), and lapsed reply rights are logged as expired.
//!
//! Every run handles a bounded batch per workspace and is safe to run twice: drafts are
//! claimed by revision before they are sent, so two ticks never send one draft twice.

use std::time::Duration;

use super::decide;
use super::FlowError;
use crate::app::AppState;
use crate::domain::time::now_millis;
use crate::domain::{Actor, WorkspaceId};

/// Drafts looked at per workspace and run.
const BATCH: i64 = 200;

/// What one run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TickReport {
    pub drafts_seen: usize,
    pub sent: usize,
    pub expired: usize,
    pub certifications_expired: usize,
}

/// Runs the tick as of `now` over every workspace.
pub async fn tick(state: &AppState, now: i64) -> Result<TickReport, FlowError> {
    let mut report = TickReport::default();
    for w in state.store.workspaces().await? {
        tick_workspace(state, WorkspaceId(w.id), now, &mut report).await?;
    }
    Ok(report)
}

async fn tick_workspace(
    state: &AppState,
    ws: WorkspaceId,
    now: i64,
    report: &mut TickReport,
) -> Result<(), FlowError> {
    let lapsed = state.store.expire_certifications(ws, now).await?;
    report.certifications_expired += lapsed.len();
    for row in state.store.due_drafts(ws, now, BATCH).await? {
        report.drafts_seen += 1;
        match tick_draft(state, ws, row.id, now).await {
            Ok(Outcome::Sent) => report.sent += 1,
            Ok(Outcome::Expired) => report.expired += 1,
            Ok(Outcome::Waiting) => {}
            Err(e) => tracing::warn!(
                draft.id = row.id,
                error = %e,
                "tick could not finish draft {}",
                row.id
            ),
        }
    }
    Ok(())
}

enum Outcome {
    Sent,
    Expired,
    Waiting,
}

async fn tick_draft(
    state: &AppState,
    ws: WorkspaceId,
    id: i64,
    now: i64,
) -> Result<Outcome, FlowError> {
    let mut l = decide::load(state, ws, id).await?;
    decide::tick(state, ws, &mut l, now).await?;
    match l.row.status.as_str() {
        "expired" => Ok(Outcome::Expired),
        "approved" if l.row.send_at.is_none_or(|t| t <= now) => {
            match decide::deliver(state, ws, l, &Actor::System("scheduler")).await {
                Ok(_) => Ok(Outcome::Sent),
                Err(FlowError::Conflict(why)) => {
                    decide::hold_for_author(state, ws, id, &why).await?;
                    Ok(Outcome::Waiting)
                }
                Err(e) => Err(e),
            }
        }
        _ => Ok(Outcome::Waiting),
    }
}

/// Runs the tick every `every` until the process ends.
pub fn spawn(state: AppState, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        loop {
            interval.tick().await;
            if let Err(e) = tick(&state, now_millis()).await {
                tracing::error!(error = %e, "approvals tick failed");
            }
        }
    })
}
