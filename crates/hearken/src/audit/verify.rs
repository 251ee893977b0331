//! Walks a workspace's audit chain and reports the first broken link.

use super::chain::{link_hash, Link, GENESIS};
use crate::domain::WorkspaceId;
use crate::storage::{AuditRow, DynStore, StoreResult};

/// The result of checking a chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Verdict {
    /// Every link checks out.
    Intact { events: i64, head: String },
    /// The first event whose stored fields or links do not match.
    Broken { seq: i64, id: i64, reason: String },
}

/// Checks one row against the hash it should have and the previous row's hash.
pub fn check_row(row: &AuditRow, expected_seq: i64, prev_hash: &str) -> Result<(), String> {
    if row.seq != expected_seq {
        return Err(format!(
            "expected sequence {expected_seq}, found {}",
            row.seq
        ));
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

/// Verifies a workspace's whole chain, page by page.
pub async fn verify(store: &DynStore, ws: WorkspaceId) -> StoreResult<Verdict> {
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
            prev = row.hash.clone();
            expected += 1;
        }
    }
    Ok(Verdict::Intact {
        events: expected - 1,
        head: prev,
    })
}
