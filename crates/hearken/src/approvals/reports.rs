//! Approval reports: time waiting per path and step, decision rates, and how often
//! approvers had to edit each agent's drafts (who is ready to lose the trainee flag).
//!
//! A step's wait, for one version of a draft, runs from the moment the step started (the
//! version's time for the first step, the previous step's last approval otherwise) to the
//! last decision given at that step on that version.

use std::collections::BTreeMap;

use hearken_voice::approval::{Draft, Verdict};
use serde::Serialize;

use super::FlowError;
use crate::app::AppState;
use crate::domain::time::to_millis;
use crate::domain::WorkspaceId;

/// Waiting time at one step of one path.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StepWait {
    pub path: String,
    pub step: usize,
    /// Step passes measured.
    pub samples: u64,
    pub mean_ms: i64,
    pub max_ms: i64,
}

/// Decisions on one path.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PathRates {
    pub path: String,
    pub drafts: u64,
    pub approvals: u64,
    pub rejections: u64,
    /// Rejections over all decisions, 0..=1.
    pub rejection_rate: f64,
}

/// One author's record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AgentRecord {
    pub author_id: i64,
    pub drafts: u64,
    /// Versions written by someone other than the author.
    pub approver_edits: u64,
    pub rejections: u64,
}

/// The approvals report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ApprovalReport {
    pub steps: Vec<StepWait>,
    pub paths: Vec<PathRates>,
    pub agents: Vec<AgentRecord>,
}

/// Builds the report over the workspace's drafts.
pub async fn build(state: &AppState, ws: WorkspaceId) -> Result<ApprovalReport, FlowError> {
    let mut drafts = Vec::new();
    for row in state.store.drafts(ws, None).await? {
        if let Ok(d) = serde_json::from_str::<Draft>(&row.state) {
            drafts.push((row.path_key, row.author_id, d));
        }
    }
    Ok(report(&drafts))
}

/// The report over (path key, author id, draft) triples.
pub fn report(drafts: &[(String, i64, Draft)]) -> ApprovalReport {
    let mut waits: BTreeMap<(String, usize), Vec<i64>> = BTreeMap::new();
    let mut paths: BTreeMap<String, PathRates> = BTreeMap::new();
    let mut agents: BTreeMap<i64, AgentRecord> = BTreeMap::new();
    for (path, author, d) in drafts {
        let rates = paths.entry(path.clone()).or_insert_with(|| PathRates {
            path: path.clone(),
            ..Default::default()
        });
        rates.drafts += 1;
        let agent = agents.entry(*author).or_insert_with(|| AgentRecord {
            author_id: *author,
            ..Default::default()
        });
        agent.drafts += 1;
        agent.approver_edits += d.versions().iter().filter(|v| v.by != *d.author()).count() as u64;
        for dec in d.decisions() {
            match dec.verdict {
                Verdict::Approve => rates.approvals += 1,
                Verdict::Reject { .. } => {
                    rates.rejections += 1;
                    agent.rejections += 1;
                }
            }
        }
        for (step, ms) in step_waits(d) {
            waits.entry((path.clone(), step)).or_default().push(ms);
        }
    }
    let steps = waits
        .into_iter()
        .map(|((path, step), v)| StepWait {
            path,
            step,
            samples: v.len() as u64,
            mean_ms: v.iter().sum::<i64>() / v.len().max(1) as i64,
            max_ms: v.iter().copied().max().unwrap_or(0),
        })
        .collect();
    let paths = paths
        .into_values()
        .map(|mut p| {
            let all = p.approvals + p.rejections;
            p.rejection_rate = if all == 0 {
                0.0
            } else {
                p.rejections as f64 / all as f64
            };
            p
        })
        .collect();
    ApprovalReport {
        steps,
        paths,
        agents: agents.into_values().collect(),
    }
}

/// (step, wait in ms) for every step pass of every version of the draft.
fn step_waits(d: &Draft) -> Vec<(usize, i64)> {
    let mut out = Vec::new();
    for v in d.versions() {
        let mut start = to_millis(v.at);
        for step in 0..d.path().steps.len() {
            let last = d
                .decisions()
                .iter()
                .filter(|x| x.version == v.number && x.step == step)
                .map(|x| to_millis(x.at))
                .max();
            let Some(end) = last else { break };
            out.push((step, end - start));
            start = end;
        }
    }
    out
}
