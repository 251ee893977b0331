//! Routing: ordered rules that triage new inbound messages (assign a team, set a priority,
//! add tags, dismiss as spam), with the sentiment score they can test.
//!
//! Routing runs after ingest, from the code that stored the messages and publishes the
//! `DeskEvent` (see `after_ingest`). It is safe to run twice: a message is routed once,
//! claimed by its `message_signals` row in the same transaction as the actions taken.

pub mod rules;
pub mod sentiment;

use tracing::instrument;

use self::rules::{Candidate, Compiled, Facts};
use crate::app::{AppState, DeskEvent};
use crate::domain::WorkspaceId;
use crate::storage::routing::RoutingOutcome;
use crate::storage::{IngestReport, StoreResult};

/// Routes the new inbound messages of the conversations an ingest touched, and tells live
/// listeners about every conversation routing changed. Returns how many messages it routed.
#[instrument(skip_all, fields(workspace.id = ws.0))]
pub async fn after_ingest(
    state: &AppState,
    ws: WorkspaceId,
    report: &IngestReport,
) -> StoreResult<u64> {
    route_conversations(state, ws, &report.touched_conversations, None).await
}

/// Routes the unrouted inbound messages of `conversations`. `listening` names the query
/// (id, tag) that found the message with the given platform id, when listening brought it.
pub async fn route_conversations(
    state: &AppState,
    ws: WorkspaceId,
    conversations: &[i64],
    listening: Option<(&str, i64, String)>,
) -> StoreResult<u64> {
    if conversations.is_empty() {
        return Ok(0);
    }
    let candidates = state.store.routing_candidates(ws, conversations).await?;
    if candidates.is_empty() {
        return Ok(0);
    }
    let rules: Vec<Compiled> = state
        .store
        .routing_rules(ws)
        .await?
        .into_iter()
        .map(Compiled::new)
        .collect();
    let mut routed = 0;
    for c in &candidates {
        let found_by = listening
            .as_ref()
            .filter(|(pid, _, _)| *pid == c.platform_id)
            .map(|(_, id, tag)| (*id, tag.clone()));
        if route_one(state, ws, &rules, c, found_by).await? {
            routed += 1;
        }
    }
    Ok(routed)
}

async fn route_one(
    state: &AppState,
    ws: WorkspaceId,
    rules: &[Compiled],
    c: &Candidate,
    listening: Option<(i64, String)>,
) -> StoreResult<bool> {
    let facts = Facts {
        candidate: c,
        sentiment: sentiment::score(&c.text),
        listening_query_id: listening.as_ref().map(|l| l.0),
    };
    let applied = rules::evaluate(rules, &facts);
    let outcome = RoutingOutcome {
        message_id: c.message_id,
        conversation_id: c.conversation_id,
        sentiment: facts.sentiment,
        listening,
        applied,
    };
    let stored = state.store.apply_routing(ws, &outcome).await?;
    if stored && !outcome.applied.is_empty() {
        tracing::info!(
            message.id = c.message_id,
            conversation.id = c.conversation_id,
            rules = outcome.applied.len(),
            "routing applied {} rules to message {}",
            outcome.applied.len(),
            c.message_id
        );
        state.publish(DeskEvent::changed(ws, c.conversation_id));
    }
    Ok(stored)
}
