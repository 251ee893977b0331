//! Presence (issue #4, collision): who else has a conversation open, and who is writing.
//!
//! The conversation page sends a heartbeat every few seconds and whenever the agent starts
//! or stops typing; each heartbeat answers with the other users seen within the window.
//! Heartbeats live in the store, so users served by different instances see each other.

use serde::Serialize;

use super::FlowError;
use crate::app::AppState;
use crate::auth::Principal;
use crate::domain::time::{now_millis, rfc3339};

/// How long a heartbeat counts: a user not heard from for longer has left.
pub const WINDOW_MS: i64 = 30_000;

/// Another user on the conversation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PresentUser {
    pub user_id: i64,
    pub name: String,
    /// True while the user is typing a reply.
    pub writing: bool,
    /// When the user was last heard from (RFC 3339).
    pub seen_at: String,
}

/// The answer to a heartbeat.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Presence {
    /// The other users seen on this conversation within the window; never the caller.
    pub others: Vec<PresentUser>,
    /// The window, in seconds.
    pub window_seconds: i64,
}

/// Records the caller's heartbeat on a conversation of their workspace and returns the
/// others there; `NotFound` for a conversation of another workspace.
pub async fn heartbeat(
    state: &AppState,
    who: &Principal,
    conversation_id: i64,
    writing: bool,
) -> Result<Presence, FlowError> {
    let now = now_millis();
    let ws = who.workspace;
    state
        .store
        .conversation(ws, conversation_id)
        .await?
        .ok_or(FlowError::NotFound)?;
    let rows = state
        .store
        .presence_heartbeat(
            ws,
            conversation_id,
            who.user_id,
            writing,
            now,
            now - WINDOW_MS,
        )
        .await?;
    tracing::debug!(
        conversation.id = conversation_id,
        user.id = who.user_id,
        others = rows.len(),
        "presence heartbeat"
    );
    Ok(Presence {
        others: rows
            .into_iter()
            .map(|r| PresentUser {
                user_id: r.user_id,
                name: r.name,
                writing: r.writing != 0,
                seen_at: rfc3339(r.seen_at),
            })
            .collect(),
        window_seconds: WINDOW_MS / 1000,
    })
}
