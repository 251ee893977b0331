//! Approval paths as data and a pure draft state machine.
//!
//! An [`ApprovalPath`] is a list of [`Step`]s run in order; the [`Branch`]es
//! of one step run in parallel and the step completes when every branch has
//! reached its [`Quorum`]. Groups are resolved to users by the caller's
//! [`Directory`]; the draft's author (and the author of the current version,
//! when an approver edited it) is never an eligible member.
//!
//! The [`Draft`] machine:
//!
//! ```text
//! Unsubmitted --submit--> Pending{0} --approve..--> Pending{n} --approve--> Approved --mark_sent--> Sent
//!                           |   ^                      |                       |
//!                           |   +-------- edit --------+-----------------------+
//!                        reject / tick(deadline or send_by passed)
//!                           v
//!                    Rejected (edit restarts at Pending{0}) | Expired (final)
//! ```
//!
//! Judgement calls:
//! - An approval from a member of a *later* step while an earlier step is
//!   active is refused with [`ApprovalError::StepNotActive`] (not held).
//! - One approval counts toward every branch of the active step whose group
//!   contains the approver.
//! - Approvals count only for the step and version they were given on: after
//!   an edit every step must approve again, even if the text returns to an
//!   earlier version's bytes.
//! - Escalation replaces the branch's group; approvals by people outside the
//!   new group stop counting. The escalated branch gets a fresh deadline of
//!   the same length, measured from the original deadline (not from when
//!   `tick` ran), and expires the draft if that passes too.
//! - Approving, rejecting or editing at a time when a deadline has already
//!   passed is refused with [`ApprovalError::DeadlinePassed`]; call
//!   [`Draft::tick`] first.

pub mod rules;

use std::collections::BTreeSet;
use std::fmt;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A user id as the application knows it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(pub String);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for UserId {
    fn from(s: &str) -> Self {
        UserId(s.to_string())
    }
}

impl From<String> for UserId {
    fn from(s: String) -> Self {
        UserId(s)
    }
}

/// Who may approve: the union of users, teams, roles and departments.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApproverGroup {
    /// Named users.
    #[serde(default)]
    pub users: Vec<UserId>,
    /// Team ids.
    #[serde(default)]
    pub teams: Vec<String>,
    /// Role names.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Department ids.
    #[serde(default)]
    pub departments: Vec<String>,
}

impl ApproverGroup {
    /// A group made of one team.
    pub fn team(name: &str) -> Self {
        ApproverGroup {
            teams: vec![name.to_string()],
            ..Default::default()
        }
    }

    /// A group made of named users.
    pub fn users<I: IntoIterator<Item = S>, S: Into<UserId>>(users: I) -> Self {
        ApproverGroup {
            users: users.into_iter().map(Into::into).collect(),
            ..Default::default()
        }
    }
}

/// Resolves groups to concrete users; implemented by the application.
pub trait Directory {
    /// Every user in `group` (the author is removed by the caller of this).
    fn members(&self, group: &ApproverGroup) -> BTreeSet<UserId>;
}

/// How many eligible members of a branch must approve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Quorum {
    /// One eligible member.
    Any,
    /// Every eligible member (the group minus the author).
    All,
    /// At least k eligible members.
    AtLeast(u32),
}

impl Quorum {
    /// Approvals needed from `eligible` members, or `None` if unreachable.
    /// A branch with no eligible member can never complete.
    pub fn required(&self, eligible: usize) -> Option<usize> {
        let need = match self {
            Quorum::Any => 1,
            Quorum::All => eligible,
            Quorum::AtLeast(k) => usize::try_from(*k).ok()?,
        };
        (need >= 1 && need <= eligible).then_some(need)
    }
}

/// What happens when a branch's deadline passes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnDeadline {
    /// Move the branch to this group (once).
    Escalate(ApproverGroup),
    /// Expire the draft.
    Expire,
}

/// One parallel branch of a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Branch {
    /// Display name, e.g. `Legal`.
    pub name: String,
    /// Who may approve.
    pub group: ApproverGroup,
    /// How many must approve.
    pub quorum: Quorum,
    /// Minutes from the step's start until the deadline.
    #[serde(default)]
    pub deadline_minutes: Option<i64>,
    /// What the deadline does.
    pub on_deadline: OnDeadline,
}

/// Branches that run in parallel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// The parallel branches; all must complete.
    pub branches: Vec<Branch>,
}

/// An ordered list of steps a draft must pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalPath {
    /// Identifier.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Steps in order.
    pub steps: Vec<Step>,
}

/// A structurally invalid path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// A step has no branches.
    #[error("step {step} has no branches")]
    EmptyStep {
        /// Step index.
        step: usize,
    },
    /// `AtLeast(0)`.
    #[error("branch `{branch}` of step {step} has a zero quorum")]
    ZeroQuorum {
        /// Step index.
        step: usize,
        /// Branch name.
        branch: String,
    },
    /// Deadline not positive or too large.
    #[error("branch `{branch}` of step {step} has an invalid deadline of {minutes} minutes")]
    BadDeadline {
        /// Step index.
        step: usize,
        /// Branch name.
        branch: String,
        /// The value given.
        minutes: i64,
    },
}

/// Longest accepted deadline: one year.
const MAX_DEADLINE_MINUTES: i64 = 366 * 24 * 60;

impl ApprovalPath {
    /// Checks the structure (not membership; see [`Draft::submit`]).
    pub fn validate(&self) -> Result<(), PathError> {
        for (step, s) in self.steps.iter().enumerate() {
            if s.branches.is_empty() {
                return Err(PathError::EmptyStep { step });
            }
            for b in &s.branches {
                b.validate(step)?;
            }
        }
        Ok(())
    }
}

impl Branch {
    fn validate(&self, step: usize) -> Result<(), PathError> {
        let branch = self.name.clone();
        if self.quorum == Quorum::AtLeast(0) {
            return Err(PathError::ZeroQuorum { step, branch });
        }
        match self.deadline_minutes {
            Some(m) if !(1..=MAX_DEADLINE_MINUTES).contains(&m) => Err(PathError::BadDeadline {
                step,
                branch,
                minutes: m,
            }),
            _ => Ok(()),
        }
    }
}

/// Lower-case hex SHA-256 of the text's bytes.
pub fn text_hash(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// One version of a draft's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    /// 1-based version number.
    pub number: u32,
    /// The text.
    pub text: String,
    /// [`text_hash`] of the text.
    pub hash: String,
    /// Who wrote this version.
    pub by: UserId,
    /// When.
    pub at: Timestamp,
}

/// An approver's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Approved.
    Approve,
    /// Rejected with a note for the author.
    Reject {
        /// Why.
        note: String,
    },
}

/// A recorded verdict on one version at one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Who decided.
    pub approver: UserId,
    /// Version number seen.
    pub version: u32,
    /// Hash of the version seen.
    pub version_hash: String,
    /// Step index the decision was given at.
    pub step: usize,
    /// The verdict.
    pub verdict: Verdict,
    /// When.
    pub at: Timestamp,
}

/// Where a draft stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum DraftStatus {
    /// Written but not submitted.
    Unsubmitted,
    /// Waiting for approvals at this step.
    Pending {
        /// Active step index.
        step: usize,
    },
    /// Every step approved the current version.
    Approved,
    /// An approver rejected the current version; an edit resubmits.
    Rejected,
    /// A deadline passed; final.
    Expired,
    /// Sent; final.
    Sent,
}

/// Live state of a branch of the active step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BranchState {
    /// Current group (the escalation group after escalation).
    pub group: ApproverGroup,
    /// Whether the branch has escalated.
    pub escalated: bool,
    /// When the deadline clock started.
    pub started_at: Timestamp,
    /// Whether the quorum is reached.
    pub done: bool,
}

/// A reply under approval.
///
/// Fields are private so the state can only change through the operations.
/// Deserializing checks integrity: at least one version, numbers 1..=n in
/// order, and every stored hash equal to the SHA-256 of its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "DraftData")]
pub struct Draft {
    id: String,
    author: UserId,
    path: ApprovalPath,
    versions: Vec<Version>,
    decisions: Vec<Decision>,
    status: DraftStatus,
    branches: Vec<BranchState>,
    send_by: Option<Timestamp>,
}

/// Serialized form of [`Draft`], checked before it becomes one.
#[derive(Deserialize)]
struct DraftData {
    id: String,
    author: UserId,
    path: ApprovalPath,
    versions: Vec<Version>,
    decisions: Vec<Decision>,
    status: DraftStatus,
    branches: Vec<BranchState>,
    send_by: Option<Timestamp>,
}

impl TryFrom<DraftData> for Draft {
    type Error = String;

    fn try_from(d: DraftData) -> Result<Self, Self::Error> {
        if d.versions.is_empty() {
            return Err("a draft needs at least one version".into());
        }
        for (i, v) in d.versions.iter().enumerate() {
            if usize::try_from(v.number).ok() != Some(i + 1) || v.hash != text_hash(&v.text) {
                return Err(format!("version {} fails its integrity check", v.number));
            }
        }
        Ok(Draft {
            id: d.id,
            author: d.author,
            path: d.path,
            versions: d.versions,
            decisions: d.decisions,
            status: d.status,
            branches: d.branches,
            send_by: d.send_by,
        })
    }
}

/// Errors of draft operations. A failed operation leaves the draft unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApprovalError {
    /// The operation is not allowed in this status.
    #[error("cannot {action} a draft that is {status:?}")]
    InvalidState {
        /// The attempted operation.
        action: &'static str,
        /// The draft's status.
        status: DraftStatus,
    },
    /// The draft expired; nothing more can happen to it.
    #[error("the draft has expired")]
    Expired,
    /// A deadline has passed and `tick` has not been applied yet.
    #[error("a deadline passed; apply tick before acting")]
    DeadlinePassed,
    /// The approver wrote the draft or its current version.
    #[error("{0} wrote this draft or version and cannot approve or reject it")]
    SelfApproval(UserId),
    /// The approver is in no branch of the active step, but in a later step.
    #[error("{approver} approves at step {their_step}; step {active_step} is still active")]
    StepNotActive {
        /// Who tried.
        approver: UserId,
        /// The active step.
        active_step: usize,
        /// The first later step the approver belongs to.
        their_step: usize,
    },
    /// The approver is in no branch of the active or any later step.
    #[error("{approver} is not an approver of step {step}")]
    NotEligible {
        /// Who tried.
        approver: UserId,
        /// The active step.
        step: usize,
    },
    /// The decision refers to an older version.
    #[error("version {given} is not the current version {current}")]
    StaleVersion {
        /// Hash given.
        given: String,
        /// Current hash.
        current: String,
    },
    /// The approver already decided on this version at this step.
    #[error("{0} already decided on this version at this step")]
    AlreadyDecided(UserId),
    /// Only the author or an approver on the path may edit.
    #[error("{0} may not edit this draft")]
    NotEditor(UserId),
    /// The edit does not change the text.
    #[error("the edit does not change the text")]
    Unchanged,
    /// A branch can never reach its quorum for this author.
    #[error("branch `{branch}` of step {step} has {eligible} eligible approvers, too few for its quorum")]
    Unreachable {
        /// Step index.
        step: usize,
        /// Branch name.
        branch: String,
        /// Eligible member count.
        eligible: usize,
    },
    /// The path is malformed.
    #[error(transparent)]
    InvalidPath(#[from] PathError),
}

/// Result of [`Draft::submit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitOutcome {
    /// Waiting at step 0.
    Pending,
    /// The path has no steps: approved at once.
    Approved,
}

/// Result of [`Draft::approve`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApproveOutcome {
    /// Recorded; these branches of the step still wait.
    Recorded {
        /// Active step.
        step: usize,
        /// Names of incomplete branches.
        waiting: Vec<String>,
    },
    /// The step completed and the next one started.
    StepCompleted {
        /// The completed step.
        completed: usize,
        /// The new active step.
        next: usize,
    },
    /// The last step completed.
    Approved {
        /// Hash of the approved version.
        version_hash: String,
    },
}

/// Result of [`Draft::edit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditOutcome {
    /// New version number.
    pub version: u32,
    /// New version hash.
    pub hash: String,
    /// Status after the edit.
    pub status: DraftStatus,
}

/// Why a deadline expired the draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpiryReason {
    /// The scheduled send-by time passed.
    SendByPassed,
    /// A branch's deadline passed.
    BranchDeadline {
        /// Step index.
        step: usize,
        /// Branch name.
        branch: String,
    },
}

/// Something [`Draft::tick`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TickEvent {
    /// A branch moved to its escalation group.
    Escalated {
        /// Step index.
        step: usize,
        /// Branch name.
        branch: String,
        /// The new group.
        to: ApproverGroup,
    },
    /// Escalation completed the step.
    Advanced(ApproveOutcome),
    /// The draft expired.
    Expired(ExpiryReason),
}

/// Proof that text may be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovedVersion {
    /// Approved version number.
    pub version: u32,
    /// Its hash.
    pub hash: String,
}

/// Why [`can_send`] refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendRefusal {
    /// Not approved (yet).
    #[error("the draft is not approved (status {0:?})")]
    NotApproved(DraftStatus),
    /// Expired drafts are never sent.
    #[error("the draft has expired")]
    Expired,
    /// Already sent.
    #[error("the draft was already sent")]
    AlreadySent,
    /// The text differs from the approved version.
    #[error("text (hash {given}) differs from the approved version (hash {approved})")]
    TextMismatch {
        /// Approved hash.
        approved: String,
        /// Hash of the text offered.
        given: String,
    },
}

impl Draft {
    /// A new unsubmitted draft with version 1.
    pub fn new(id: &str, author: UserId, text: &str, path: ApprovalPath, now: Timestamp) -> Self {
        let v1 = Version {
            number: 1,
            text: text.to_string(),
            hash: text_hash(text),
            by: author.clone(),
            at: now,
        };
        Draft {
            id: id.to_string(),
            author,
            path,
            versions: vec![v1],
            decisions: Vec::new(),
            status: DraftStatus::Unsubmitted,
            branches: Vec::new(),
            send_by: None,
        }
    }

    /// Sets a scheduled time; a draft still pending then expires.
    pub fn with_send_by(mut self, send_by: Timestamp) -> Self {
        self.send_by = Some(send_by);
        self
    }

    /// Draft id.
    pub fn id(&self) -> &str {
        &self.id
    }
    /// The author.
    pub fn author(&self) -> &UserId {
        &self.author
    }
    /// The path (a snapshot taken when the draft was created).
    pub fn path(&self) -> &ApprovalPath {
        &self.path
    }
    /// All versions, oldest first.
    pub fn versions(&self) -> &[Version] {
        &self.versions
    }
    /// The current version.
    pub fn current(&self) -> &Version {
        self.versions.last().expect("a draft always has a version")
    }
    /// Every decision ever recorded, oldest first.
    pub fn decisions(&self) -> &[Decision] {
        &self.decisions
    }
    /// Current status.
    pub fn status(&self) -> &DraftStatus {
        &self.status
    }
    /// Branch states of the active step (empty unless pending).
    pub fn branch_states(&self) -> &[BranchState] {
        &self.branches
    }
    /// Scheduled send-by time.
    pub fn send_by(&self) -> Option<Timestamp> {
        self.send_by
    }

    /// Submits for approval; checks the path and that every branch can reach
    /// its quorum without the author.
    pub fn submit(
        &mut self,
        dir: &dyn Directory,
        now: Timestamp,
    ) -> Result<SubmitOutcome, ApprovalError> {
        if self.status != DraftStatus::Unsubmitted {
            return Err(self.invalid("submit"));
        }
        self.path.validate()?;
        self.check_reachable(dir)?;
        Ok(self.restart(now))
    }

    /// Records an approval of `version_hash` (which must be current).
    pub fn approve(
        &mut self,
        dir: &dyn Directory,
        approver: &UserId,
        version_hash: &str,
        at: Timestamp,
    ) -> Result<ApproveOutcome, ApprovalError> {
        let step = self.check_decidable(dir, approver, version_hash, at)?;
        self.record(approver, step, Verdict::Approve, at);
        self.refresh(dir);
        Ok(self.advance(step, at))
    }

    /// Records a rejection; the draft becomes `Rejected`.
    pub fn reject(
        &mut self,
        dir: &dyn Directory,
        approver: &UserId,
        version_hash: &str,
        note: &str,
        at: Timestamp,
    ) -> Result<(), ApprovalError> {
        let step = self.check_decidable(dir, approver, version_hash, at)?;
        let note = note.to_string();
        self.record(approver, step, Verdict::Reject { note }, at);
        self.status = DraftStatus::Rejected;
        self.branches.clear();
        Ok(())
    }

    /// Adds a new version. Unless unsubmitted, approval restarts at step 0.
    pub fn edit(
        &mut self,
        dir: &dyn Directory,
        editor: &UserId,
        new_text: &str,
        at: Timestamp,
    ) -> Result<EditOutcome, ApprovalError> {
        self.check_editable(dir, editor, new_text, at)?;
        let number = self.current().number + 1;
        let hash = text_hash(new_text);
        self.versions.push(Version {
            number,
            text: new_text.to_string(),
            hash: hash.clone(),
            by: editor.clone(),
            at,
        });
        if self.status != DraftStatus::Unsubmitted {
            self.restart(at);
        }
        let status = self.status.clone();
        Ok(EditOutcome {
            version: number,
            hash,
            status,
        })
    }

    /// Applies deadlines and the send-by time as of `now`.
    pub fn tick(&mut self, dir: &dyn Directory, now: Timestamp) -> Vec<TickEvent> {
        let DraftStatus::Pending { step } = self.status else {
            return Vec::new();
        };
        if self.send_by.is_some_and(|t| now >= t) {
            return vec![self.expire(ExpiryReason::SendByPassed)];
        }
        let mut events = Vec::new();
        for i in 0..self.branches.len() {
            if let Some(expired) = self.tick_branch(step, i, now, &mut events) {
                events.push(expired);
                return events;
            }
        }
        if events.is_empty() {
            return events;
        }
        self.refresh(dir);
        let outcome = self.advance(step, now);
        if !matches!(outcome, ApproveOutcome::Recorded { .. }) {
            events.push(TickEvent::Advanced(outcome));
        }
        events
    }

    /// Marks the approved `text` as sent.
    pub fn mark_sent(&mut self, text: &str) -> Result<ApprovedVersion, SendRefusal> {
        let approved = can_send(self, text)?;
        self.status = DraftStatus::Sent;
        Ok(approved)
    }

    /// Eligible members of a group: the directory's members minus the author
    /// and minus the writer of the current version.
    pub fn eligible(&self, dir: &dyn Directory, group: &ApproverGroup) -> BTreeSet<UserId> {
        let mut members = dir.members(group);
        members.remove(&self.author);
        members.remove(&self.current().by);
        members
    }

    // ---- internals -------------------------------------------------------

    fn invalid(&self, action: &'static str) -> ApprovalError {
        match self.status {
            DraftStatus::Expired => ApprovalError::Expired,
            ref s => ApprovalError::InvalidState {
                action,
                status: s.clone(),
            },
        }
    }

    fn check_reachable(&self, dir: &dyn Directory) -> Result<(), ApprovalError> {
        for (step, s) in self.path.steps.iter().enumerate() {
            for b in &s.branches {
                let eligible = self.eligible(dir, &b.group).len();
                if b.quorum.required(eligible).is_none() {
                    let branch = b.name.clone();
                    return Err(ApprovalError::Unreachable {
                        step,
                        branch,
                        eligible,
                    });
                }
            }
        }
        Ok(())
    }

    /// Back to the first step (or straight to approved for an empty path).
    fn restart(&mut self, now: Timestamp) -> SubmitOutcome {
        if self.path.steps.is_empty() {
            self.status = DraftStatus::Approved;
            self.branches.clear();
            return SubmitOutcome::Approved;
        }
        self.start_step(0, now);
        SubmitOutcome::Pending
    }

    fn start_step(&mut self, step: usize, now: Timestamp) {
        self.status = DraftStatus::Pending { step };
        self.branches = self.path.steps[step]
            .branches
            .iter()
            .map(|b| BranchState {
                group: b.group.clone(),
                escalated: false,
                started_at: now,
                done: false,
            })
            .collect();
    }

    fn pending_step(&self, action: &'static str) -> Result<usize, ApprovalError> {
        match self.status {
            DraftStatus::Pending { step } => Ok(step),
            _ => Err(self.invalid(action)),
        }
    }

    fn check_decidable(
        &self,
        dir: &dyn Directory,
        approver: &UserId,
        version_hash: &str,
        at: Timestamp,
    ) -> Result<usize, ApprovalError> {
        let step = self.pending_step("decide on")?;
        if self.overdue(at) {
            return Err(ApprovalError::DeadlinePassed);
        }
        if *approver == self.author || *approver == self.current().by {
            return Err(ApprovalError::SelfApproval(approver.clone()));
        }
        if version_hash != self.current().hash {
            return Err(ApprovalError::StaleVersion {
                given: version_hash.to_string(),
                current: self.current().hash.clone(),
            });
        }
        self.check_in_step(dir, approver, step)?;
        if self.decided(approver, step) {
            return Err(ApprovalError::AlreadyDecided(approver.clone()));
        }
        Ok(step)
    }

    fn check_in_step(
        &self,
        dir: &dyn Directory,
        approver: &UserId,
        step: usize,
    ) -> Result<(), ApprovalError> {
        let in_active = self
            .branches
            .iter()
            .any(|b| self.eligible(dir, &b.group).contains(approver));
        if in_active {
            return Ok(());
        }
        let later = (step + 1..self.path.steps.len()).find(|&s| self.in_step(dir, approver, s));
        Err(match later {
            Some(their_step) => ApprovalError::StepNotActive {
                approver: approver.clone(),
                active_step: step,
                their_step,
            },
            None => ApprovalError::NotEligible {
                approver: approver.clone(),
                step,
            },
        })
    }

    fn in_step(&self, dir: &dyn Directory, user: &UserId, step: usize) -> bool {
        self.path.steps[step].branches.iter().any(|b| {
            let escalation = match &b.on_deadline {
                OnDeadline::Escalate(g) => dir.members(g).contains(user),
                OnDeadline::Expire => false,
            };
            escalation || dir.members(&b.group).contains(user)
        })
    }

    fn decided(&self, approver: &UserId, step: usize) -> bool {
        let version = self.current().number;
        self.decisions
            .iter()
            .any(|d| d.approver == *approver && d.step == step && d.version == version)
    }

    fn record(&mut self, approver: &UserId, step: usize, verdict: Verdict, at: Timestamp) {
        let current = self.current();
        self.decisions.push(Decision {
            approver: approver.clone(),
            version: current.number,
            version_hash: current.hash.clone(),
            step,
            verdict,
            at,
        });
    }

    /// Approvers counted at `step` for the current version.
    fn approvers_at(&self, step: usize) -> BTreeSet<&UserId> {
        let version = self.current().number;
        self.decisions
            .iter()
            .filter(|d| d.step == step && d.version == version && d.verdict == Verdict::Approve)
            .map(|d| &d.approver)
            .collect()
    }

    /// Recomputes `done` for every branch of the active step.
    fn refresh(&mut self, dir: &dyn Directory) {
        let DraftStatus::Pending { step } = self.status else {
            return;
        };
        let done: Vec<bool> = (0..self.branches.len())
            .map(|i| self.branch_done(dir, step, i))
            .collect();
        for (state, d) in self.branches.iter_mut().zip(done) {
            state.done = d;
        }
    }

    fn branch_done(&self, dir: &dyn Directory, step: usize, i: usize) -> bool {
        let eligible = self.eligible(dir, &self.branches[i].group);
        let approvers = self.approvers_at(step);
        let count = eligible.iter().filter(|u| approvers.contains(u)).count();
        let quorum = self.path.steps[step].branches[i].quorum;
        quorum.required(eligible.len()).is_some_and(|n| count >= n)
    }

    fn advance(&mut self, step: usize, now: Timestamp) -> ApproveOutcome {
        if !self.branches.iter().all(|b| b.done) {
            let names = &self.path.steps[step].branches;
            let waiting = self
                .branches
                .iter()
                .zip(names)
                .filter(|(s, _)| !s.done)
                .map(|(_, b)| b.name.clone())
                .collect();
            return ApproveOutcome::Recorded { step, waiting };
        }
        if step + 1 < self.path.steps.len() {
            self.start_step(step + 1, now);
            return ApproveOutcome::StepCompleted {
                completed: step,
                next: step + 1,
            };
        }
        self.status = DraftStatus::Approved;
        self.branches.clear();
        ApproveOutcome::Approved {
            version_hash: self.current().hash.clone(),
        }
    }

    fn deadline(&self, step: usize, i: usize) -> Option<Timestamp> {
        let minutes = self.path.steps[step].branches[i].deadline_minutes?;
        let state = &self.branches[i];
        state
            .started_at
            .checked_add(SignedDuration::from_mins(minutes))
            .ok()
    }

    /// True when a deadline that `tick` would act on has passed at `at`.
    fn overdue(&self, at: Timestamp) -> bool {
        let DraftStatus::Pending { step } = self.status else {
            return false;
        };
        let send_by = self.send_by.is_some_and(|t| at >= t);
        send_by
            || (0..self.branches.len())
                .any(|i| !self.branches[i].done && self.deadline(step, i).is_some_and(|d| at >= d))
    }

    /// Escalates or expires branch `i`; returns an expiry event if expired.
    fn tick_branch(
        &mut self,
        step: usize,
        i: usize,
        now: Timestamp,
        events: &mut Vec<TickEvent>,
    ) -> Option<TickEvent> {
        while !self.branches[i].done {
            let deadline = self.deadline(step, i)?;
            if now < deadline {
                return None;
            }
            let branch = &self.path.steps[step].branches[i];
            let name = branch.name.clone();
            match (&branch.on_deadline, self.branches[i].escalated) {
                (OnDeadline::Escalate(group), false) => {
                    let to = group.clone();
                    let state = &mut self.branches[i];
                    state.group = to.clone();
                    state.escalated = true;
                    state.started_at = deadline;
                    events.push(TickEvent::Escalated {
                        step,
                        branch: name,
                        to,
                    });
                }
                _ => {
                    let reason = ExpiryReason::BranchDeadline { step, branch: name };
                    return Some(self.expire(reason));
                }
            }
        }
        None
    }

    fn expire(&mut self, reason: ExpiryReason) -> TickEvent {
        self.status = DraftStatus::Expired;
        self.branches.clear();
        TickEvent::Expired(reason)
    }

    fn check_editable(
        &self,
        dir: &dyn Directory,
        editor: &UserId,
        new_text: &str,
        at: Timestamp,
    ) -> Result<(), ApprovalError> {
        if matches!(self.status, DraftStatus::Expired | DraftStatus::Sent) {
            return Err(self.invalid("edit"));
        }
        if self.overdue(at) {
            return Err(ApprovalError::DeadlinePassed);
        }
        let on_path = (0..self.path.steps.len()).any(|s| self.in_step(dir, editor, s));
        if *editor != self.author && !on_path {
            return Err(ApprovalError::NotEditor(editor.clone()));
        }
        if new_text == self.current().text {
            return Err(ApprovalError::Unchanged);
        }
        Ok(())
    }
}

/// May `text` be sent for `draft`? Requires status `Approved` and `text`
/// byte-identical to the approved (current) version.
pub fn can_send(draft: &Draft, text: &str) -> Result<ApprovedVersion, SendRefusal> {
    match draft.status() {
        DraftStatus::Approved => {}
        DraftStatus::Expired => return Err(SendRefusal::Expired),
        DraftStatus::Sent => return Err(SendRefusal::AlreadySent),
        other => return Err(SendRefusal::NotApproved(other.clone())),
    }
    let approved = draft.current();
    if text.as_bytes() != approved.text.as_bytes() {
        return Err(SendRefusal::TextMismatch {
            approved: approved.hash.clone(),
            given: text_hash(text),
        });
    }
    Ok(ApprovedVersion {
        version: approved.number,
        hash: approved.hash.clone(),
    })
}
