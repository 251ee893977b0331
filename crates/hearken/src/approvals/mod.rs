//! Approvals, the brand voice and reply rights (issue #4), enforced on the server for every
//! way a reply can leave: the composer, the raw API and the scheduler.
//!
//! - `voice`: the workspace's style book, routing table and paths, loaded from storage and
//!   handed to the pure `hearken-voice` engine; style checks count length as each platform
//!   does (`hearken-text`).
//! - `gate`: what `replies::send` asks before a reply leaves: refuse (style), send now, or
//!   hold as a pending draft.
//! - `decide`: approve, reject, edit, mark seen and send a draft.
//! - `schedule`: the background tick (deadlines, escalation, expiry, scheduled sends,
//!   certification expiry).
//! - `certify`: communication tests, grading and reply rights.
//! - `reports`: time waiting in approval, decision rates and approver edits.
//! - `presence`: who else is viewing or writing in a conversation.
//! - `bench`: `hearken bench-approvals`.
//!
//! Style guides, templates, approval paths, routing, teams and departments are set up through
//! the API (`/brand-voice` shows them); tests, grading and reply rights have pages (`/tests`,
//! `/certifications`); granting rights without a test is API only.

pub mod bench;
pub mod certify;
pub mod decide;
pub mod directory;
pub mod gate;
pub mod presence;
pub mod reports;
pub mod schedule;
pub mod view;
pub mod voice;

use hearken_voice::approval::{ApprovalError, SendRefusal};
use hearken_voice::style::Violation;

use crate::replies::adapter::SendError;
use crate::storage::StoreError;

/// Why an approvals operation was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    /// The text breaks blocking style rules.
    #[error("the reply breaks {} blocking style rule(s)", .0.iter().filter(|v| v.severity == hearken_voice::style::Severity::Blocking).count())]
    Style(Vec<Violation>),
    /// The request itself is malformed.
    #[error("{0}")]
    Invalid(String),
    /// The caller may not do this to this draft.
    #[error("{0}")]
    Forbidden(String),
    /// The draft is not in a state that allows it (not approved, expired, stale, collision).
    #[error("{0}")]
    Conflict(String),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Send(#[from] SendError),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for FlowError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => FlowError::NotFound,
            StoreError::Conflict(m) => FlowError::Conflict(m),
            other => FlowError::Store(other),
        }
    }
}

impl From<ApprovalError> for FlowError {
    fn from(e: ApprovalError) -> Self {
        match e {
            ApprovalError::SelfApproval(_)
            | ApprovalError::NotEligible { .. }
            | ApprovalError::NotEditor(_) => FlowError::Forbidden(e.to_string()),
            ApprovalError::Unreachable { .. }
            | ApprovalError::InvalidPath(_)
            | ApprovalError::Unchanged => FlowError::Invalid(e.to_string()),
            _ => FlowError::Conflict(e.to_string()),
        }
    }
}

impl From<SendRefusal> for FlowError {
    fn from(e: SendRefusal) -> Self {
        FlowError::Conflict(e.to_string())
    }
}

/// The engine's user id for a desk user.
pub(crate) fn uid(user_id: i64) -> hearken_voice::approval::UserId {
    hearken_voice::approval::UserId(user_id.to_string())
}

/// The desk user behind an engine user id.
pub(crate) fn user_of(id: &hearken_voice::approval::UserId) -> i64 {
    id.0.parse().unwrap_or(0)
}
