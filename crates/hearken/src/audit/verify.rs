//! Walks a workspace's audit chain and reports the first broken link.
//!
//! Besides each link, verification checks the stored checkpoints: each must match the
//! chain's hash at its sequence number and, when the audit key is known, carry a valid
//! signature. A checkpoint (or the recorded head) beyond the chain's end means the tail
//! was cut off.

use std::collections::BTreeMap;

use super::chain::{link_hash, Link, GENESIS};
use super::checkpoint::AuditKey;
use crate::domain::WorkspaceId;
use crate::storage::{AuditRow, CheckpointRow, DynStore, StoreResult};

/// The result of checking a chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Verdict {
    /// Every link and every checkpoint checks out.
    Intact {
        events: i64,
        head: String,
        checkpoints: usize,
    },
    /// The first event whose stored fields or links do not match.
    Broken { seq: i64, id: i64, reason: String },
    /// Events after `events` are missing: a checkpoint or the head names a later one.
    Truncated { events: i64, expected: i64 },
    /// A checkpoint's signature is not valid under the audit key.
    BadCheckpoint { id: i64, seq: i64, reason: String },
}

impl Verdict {
    /// Whether the chain verified.
    pub fn is_intact(&self) -> bool {
        matches!(self, Verdict::Intact { .. })
    }

    /// One line for the command line and logs.
    pub fn describe(&self) -> String {
        match self {
            Verdict::Intact { events, head, checkpoints } => format!(
                "audit chain intact: {events} events, head {head}, {checkpoints} checkpoints checked"
            ),
            Verdict::Broken { seq, id, reason } => {
                format!("audit chain broken at sequence {seq} (row id {id}): {reason}")
            }
            Verdict::Truncated { events, expected } => format!(
                "audit chain truncated: it ends at sequence {events} but sequence {expected} was recorded"
            ),
            Verdict::BadCheckpoint { id, seq, reason } => {
                format!("audit checkpoint {id} (sequence {seq}) is not valid: {reason}")
            }
        }
    }
}

/// Checks one row against the hash it should have and the previous row's hash.
pub fn check_row(row: &AuditRow, expected_seq: i64, prev_hash: &str) -> Result<(), String> {
    if row.seq != expected_seq {
        return Err(format!(
            "expected sequence {expected_seq}, found {}",
            row.seq
        ));
    }
    if row.actor.trim().is_empty() {
        return Err("the event names no actor".into());
    }
    if row.prev_hash != prev_hash {
        return Err("previous-hash link does not match the event before it".into());
    }
    let computed = link_hash(&Link {
        workspace_id: row.workspace_id,
        seq: row.seq,
        at: row.at,
        actor: &row.actor,
        action: &row.action,
        subject: &row.subject,
        before: row.before_state.as_deref(),
        after: row.after_state.as_deref(),
        prev_hash: &row.prev_hash,
    });
    if computed != row.hash {
        return Err("stored fields do not match the event's hash".into());
    }
    Ok(())
}

/// Verifies a workspace's whole chain and its checkpoints' hashes (not signatures).
pub async fn verify(store: &DynStore, ws: WorkspaceId) -> StoreResult<Verdict> {
    verify_with(store, ws, None).await
}

/// Verifies a workspace's chain and checkpoints, checking signatures when given the key.
pub async fn verify_with(
    store: &DynStore,
    ws: WorkspaceId,
    key: Option<&AuditKey>,
) -> StoreResult<Verdict> {
    let checkpoints = store.checkpoints(ws).await?;
    if let Some(bad) = key.and_then(|k| bad_signature(ws, k, &checkpoints)) {
        return Ok(bad);
    }
    let mut by_seq: BTreeMap<i64, Vec<&CheckpointRow>> = BTreeMap::new();
    for cp in &checkpoints {
        by_seq.entry(cp.seq).or_default().push(cp);
    }
    let mut prev = GENESIS.to_owned();
    let mut expected = 1;
    loop {
        let page = store.audit_chain(ws, expected - 1, 1000).await?;
        if page.is_empty() {
            break;
        }
        for row in &page {
            if let Err(reason) = check_row(row, expected, &prev) {
                return Ok(Verdict::Broken {
                    seq: expected,
                    id: row.id,
                    reason,
                });
            }
            if let Some(cp) = by_seq
                .get(&row.seq)
                .and_then(|c| c.iter().find(|c| c.hash != row.hash))
            {
                return Ok(Verdict::Broken {
                    seq: row.seq,
                    id: row.id,
                    reason: format!(
                        "the chain was rewritten at or before this event: checkpoint {} recorded another hash",
                        cp.id
                    ),
                });
            }
            prev = row.hash.clone();
            expected += 1;
        }
    }
    let events = expected - 1;
    let (head_seq, _) = store.audit_head(ws).await?;
    let recorded = checkpoints
        .iter()
        .map(|c| c.seq)
        .max()
        .unwrap_or(0)
        .max(head_seq);
    if recorded > events {
        return Ok(Verdict::Truncated {
            events,
            expected: recorded,
        });
    }
    Ok(Verdict::Intact {
        events,
        head: prev,
        checkpoints: checkpoints.len(),
    })
}

fn bad_signature(ws: WorkspaceId, key: &AuditKey, cps: &[CheckpointRow]) -> Option<Verdict> {
    cps.iter().find_map(|c| {
        let reason = if c.key_id != key.id() {
            format!(
                "signed by key {}, not by the configured key {}",
                c.key_id,
                key.id()
            )
        } else if !key.verify(ws, c.seq, &c.hash, c.at, &c.signature) {
            "the signature does not match".to_owned()
        } else {
            return None;
        };
        Some(Verdict::BadCheckpoint {
            id: c.id,
            seq: c.seq,
            reason,
        })
    })
}
