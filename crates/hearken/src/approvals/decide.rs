//! Acting on a draft: approve, reject, edit, mark seen, send. Each action first applies the
//! draft's deadlines as of now (so an expired draft stays expired whoever comes first), then
//! asks the engine, then stores the new state with its audit event in one transaction.

use hearken_voice::approval::{
    can_send, ApproveOutcome, Directory, Draft, DraftStatus, TickEvent, Verdict,
};
use jiff::{SignedDuration, Timestamp};

use super::directory::DeskDirectory;
use super::gate::refuse_collision;
use super::{uid, user_of, voice, FlowError};
use crate::app::{AppState, DeskEvent};
use crate::auth::Principal;
use crate::domain::role::Role;
use crate::domain::time::{from_millis, now_millis, to_millis};
use crate::domain::{Actor, WorkspaceId};
use crate::replies::send::{dispatch, outbound};
use crate::storage::approvals::{
    ApprovalStamp, DecisionRow, DraftEvent, DraftRow, DraftVersionRow, DraftWrite, NewNotification,
};
use crate::storage::{MessageRow, Provenance};

/// What stays the same about a draft across its versions.
#[derive(Debug, Clone)]
pub struct Meta {
    pub conversation_id: i64,
    pub author_id: i64,
    pub channel: String,
    pub path_key: String,
    pub rule_id: Option<String>,
    pub reasons: Vec<String>,
    pub risk: i64,
    pub style_version: Option<i64>,
    pub send_at: Option<i64>,
    pub seen: (i64, i64),
    /// The template the reply started from.
    pub template_id: Option<i64>,
    /// The style guide locale its versions are checked against.
    pub locale: Option<String>,
}

impl Meta {
    fn from_row(r: &DraftRow) -> Meta {
        Meta {
            conversation_id: r.conversation_id,
            author_id: r.author_id,
            channel: r.channel.clone(),
            path_key: r.path_key.clone(),
            rule_id: r.rule_id.clone(),
            reasons: serde_json::from_str(&r.reasons).unwrap_or_default(),
            risk: r.risk,
            style_version: r.style_version,
            send_at: r.send_at,
            seen: (r.seen_message_id, r.seen_note_id),
            template_id: r.template_id,
            locale: r.locale.clone(),
        }
    }
}

/// One change to store: where the draft stood before, and what to tell whom.
#[derive(Debug, Clone)]
pub struct Change {
    existing: Option<(i64, i64)>,
    versions_before: usize,
    decisions_before: usize,
    events: Vec<DraftEvent>,
    notify_approvers: bool,
    notify_author: Option<String>,
}

impl Change {
    /// A change to the draft `existing` (id, revision), which had these counts before.
    pub fn new(existing: Option<(i64, i64)>, versions: usize, decisions: usize) -> Change {
        Change {
            existing,
            versions_before: versions,
            decisions_before: decisions,
            events: Vec::new(),
            notify_approvers: existing.is_none(),
            notify_author: None,
        }
    }

    fn of(l: &Loaded) -> Change {
        Change::new(
            Some((l.row.id, l.row.revision)),
            l.draft.versions().len(),
            l.draft.decisions().len(),
        )
    }

    /// Adds an audit event.
    pub fn event(mut self, action: &str, after: serde_json::Value) -> Change {
        self.events.push(DraftEvent {
            action: action.to_owned(),
            after,
        });
        self
    }

    fn approvers(mut self) -> Change {
        self.notify_approvers = true;
        self
    }

    fn author(mut self, message: String) -> Change {
        self.notify_author = Some(message);
        self
    }
}

/// A draft as read: the row and the engine state.
pub struct Loaded {
    pub row: DraftRow,
    pub draft: Draft,
    pub dir: DeskDirectory,
}

/// The locale a conversation's replies are checked against (`None`: the default guide).
async fn conversation_locale(
    state: &AppState,
    ws: WorkspaceId,
    conversation_id: i64,
) -> Result<Option<String>, FlowError> {
    Ok(state
        .store
        .conversation(ws, conversation_id)
        .await?
        .and_then(|c| c.locale))
}

/// The workspace's directory of approvers.
pub async fn directory(state: &AppState, ws: WorkspaceId) -> Result<DeskDirectory, FlowError> {
    Ok(DeskDirectory::new(state.store.directory(ws).await?))
}

/// Reads a draft and checks its stored state.
pub async fn load(state: &AppState, ws: WorkspaceId, id: i64) -> Result<Loaded, FlowError> {
    let row = state
        .store
        .draft(ws, id)
        .await?
        .ok_or(FlowError::NotFound)?;
    let draft: Draft = serde_json::from_str(&row.state)
        .map_err(|e| FlowError::Conflict(format!("draft {id} fails its integrity check: {e}")))?;
    let dir = directory(state, ws).await?;
    Ok(Loaded { row, draft, dir })
}

/// The status word stored beside the state.
pub fn status_word(s: &DraftStatus) -> &'static str {
    match s {
        DraftStatus::Unsubmitted => "unsubmitted",
        DraftStatus::Pending { .. } => "pending",
        DraftStatus::Approved => "approved",
        DraftStatus::Rejected => "rejected",
        DraftStatus::Expired => "expired",
        DraftStatus::Sent => "sent",
    }
}

/// When the tick must next look at the draft: its send time or its nearest deadline.
pub fn due_at(draft: &Draft, send_at: Option<i64>) -> Option<i64> {
    match draft.status() {
        DraftStatus::Pending { step } => {
            let branches = &draft.path().steps[*step].branches;
            let deadlines = draft
                .branch_states()
                .iter()
                .zip(branches)
                .filter(|(s, _)| !s.done)
                .filter_map(|(s, b)| deadline(s.started_at, b.deadline_minutes?));
            deadlines.chain(send_at).min()
        }
        DraftStatus::Approved => send_at,
        _ => None,
    }
}

fn deadline(started: Timestamp, minutes: i64) -> Option<i64> {
    let at = started
        .checked_add(SignedDuration::from_mins(minutes))
        .ok()?;
    Some(to_millis(at))
}

/// Stores the draft's new state with its copies, notifications and events.
pub async fn persist(
    state: &AppState,
    ws: WorkspaceId,
    meta: &Meta,
    draft: &Draft,
    dir: &DeskDirectory,
    change: Change,
    actor: &Actor,
) -> Result<DraftRow, FlowError> {
    let w = DraftWrite {
        existing: change.existing,
        conversation_id: meta.conversation_id,
        author_id: meta.author_id,
        channel: meta.channel.clone(),
        status: status_word(draft.status()).to_owned(),
        path_key: meta.path_key.clone(),
        rule_id: meta.rule_id.clone(),
        reasons: serde_json::to_string(&meta.reasons).unwrap_or_else(|_| "[]".into()),
        risk: meta.risk,
        style_version: meta.style_version,
        state: serde_json::to_string(draft).map_err(|e| FlowError::Invalid(e.to_string()))?,
        current_hash: draft.current().hash.clone(),
        send_at: meta.send_at,
        due_at: due_at(draft, meta.send_at),
        seen_message_id: meta.seen.0,
        seen_note_id: meta.seen.1,
        template_id: meta.template_id,
        locale: meta.locale.clone(),
        new_versions: new_versions(draft, change.versions_before, meta.style_version),
        new_decisions: new_decisions(draft, change.decisions_before),
        notifications: notifications(draft, dir, meta, &change),
        events: change.events,
    };
    let row = state.store.write_draft(ws, &w, actor).await?;
    state.publish(DeskEvent::changed(ws, meta.conversation_id));
    Ok(row)
}

/// The versions appended by this change; each change writes at most one, checked against
/// `style_version`.
fn new_versions(draft: &Draft, before: usize, style_version: Option<i64>) -> Vec<DraftVersionRow> {
    draft.versions()[before.min(draft.versions().len())..]
        .iter()
        .map(|v| DraftVersionRow {
            version: i64::from(v.number),
            text: v.text.clone(),
            hash: v.hash.clone(),
            by_user: user_of(&v.by),
            at: to_millis(v.at),
            style_version,
        })
        .collect()
}

fn new_decisions(draft: &Draft, before: usize) -> Vec<DecisionRow> {
    draft.decisions()[before.min(draft.decisions().len())..]
        .iter()
        .map(|d| {
            let (verdict, note) = match &d.verdict {
                Verdict::Approve => ("approve", None),
                Verdict::Reject { note } => ("reject", Some(note.clone())),
            };
            DecisionRow {
                approver_id: user_of(&d.approver),
                step: i64::try_from(d.step).unwrap_or(0),
                version: i64::from(d.version),
                version_hash: d.version_hash.clone(),
                verdict: verdict.to_owned(),
                note,
                at: to_millis(d.at),
            }
        })
        .collect()
}

fn notifications(
    draft: &Draft,
    dir: &DeskDirectory,
    meta: &Meta,
    change: &Change,
) -> Vec<NewNotification> {
    let mut out = Vec::new();
    if let (true, DraftStatus::Pending { step }) = (change.notify_approvers, draft.status()) {
        let mut users = std::collections::BTreeSet::new();
        for b in draft.branch_states().iter().filter(|b| !b.done) {
            users.extend(draft.eligible(dir as &dyn Directory, &b.group));
        }
        out.extend(users.into_iter().map(|u| NewNotification {
            user_id: user_of(&u),
            kind: "approval_requested".into(),
            message: format!(
                "A reply in conversation {} waits for your approval (step {}).",
                meta.conversation_id,
                step + 1
            ),
        }));
    }
    if let Some(message) = &change.notify_author {
        out.push(NewNotification {
            user_id: meta.author_id,
            kind: "draft_update".into(),
            message: message.clone(),
        });
    }
    out
}

/// Applies deadlines and the scheduled time as of `now`, storing what changed.
pub async fn tick(
    state: &AppState,
    ws: WorkspaceId,
    l: &mut Loaded,
    now: i64,
) -> Result<(), FlowError> {
    let mut draft = l.draft.clone();
    let events = draft.tick(&l.dir, from_millis(now));
    if events.is_empty() {
        return Ok(());
    }
    let mut change = Change::of(l);
    for e in &events {
        change = match e {
            TickEvent::Escalated { step, branch, to } => change.approvers().event(
                "draft.escalated",
                serde_json::json!({ "step": step, "branch": branch, "to": to,
                    "version_hash": draft.current().hash }),
            ),
            TickEvent::Advanced(outcome) => change.approvers().event(
                "draft.advanced",
                serde_json::json!({ "outcome": format!("{outcome:?}"),
                    "version_hash": draft.current().hash }),
            ),
            TickEvent::Expired(reason) => change
                .author(format!(
                    "Your reply in conversation {} expired before approval.",
                    l.row.conversation_id
                ))
                .event(
                    "draft.expired",
                    serde_json::json!({ "reason": format!("{reason:?}"),
                        "version_hash": draft.current().hash }),
                ),
        };
    }
    let meta = Meta::from_row(&l.row);
    let actor = Actor::System("approvals");
    l.row = persist(state, ws, &meta, &draft, &l.dir, change, &actor).await?;
    l.draft = draft;
    Ok(())
}

/// Approves the version with `version_hash`; sends at once when fully approved and not
/// scheduled for later.
pub async fn approve(
    state: &AppState,
    who: &Principal,
    id: i64,
    version_hash: &str,
) -> Result<DraftRow, FlowError> {
    let ws = who.workspace;
    let mut l = load(state, ws, id).await?;
    let now = now_millis();
    tick(state, ws, &mut l, now).await?;
    let mut draft = l.draft.clone();
    let outcome = draft.approve(&l.dir, &uid(who.user_id), version_hash, from_millis(now))?;
    let step = l.draft.status().clone();
    let mut change = Change::of(&l).event(
        "draft.approved",
        serde_json::json!({
            "step": step,
            "version": draft.current().number,
            "version_hash": version_hash,
            "outcome": format!("{outcome:?}"),
        }),
    );
    change = match &outcome {
        ApproveOutcome::Recorded { .. } => change,
        ApproveOutcome::StepCompleted { .. } => change.approvers(),
        ApproveOutcome::Approved { .. } => change.author(format!(
            "Your reply in conversation {} is approved.",
            l.row.conversation_id
        )),
    };
    let meta = Meta::from_row(&l.row);
    let row = persist(
        state,
        ws,
        &meta,
        &draft,
        &l.dir,
        change,
        &Actor::User(who.user_id),
    )
    .await?;
    let approved = matches!(outcome, ApproveOutcome::Approved { .. });
    if approved && row.send_at.is_none() {
        let actor = Actor::User(who.user_id);
        return send_if_clear(
            state,
            ws,
            Loaded {
                row,
                draft,
                dir: l.dir,
            },
            &actor,
        )
        .await;
    }
    Ok(row)
}

/// Sends an approved draft unless it collides; a collision leaves it approved for the
/// author to review and send.
async fn send_if_clear(
    state: &AppState,
    ws: WorkspaceId,
    l: Loaded,
    actor: &Actor,
) -> Result<DraftRow, FlowError> {
    let id = l.row.id;
    match deliver(state, ws, l, actor).await {
        Ok(_) => {}
        Err(FlowError::Conflict(why)) => hold_for_author(state, ws, id, &why).await?,
        Err(e) => return Err(e),
    }
    state.store.draft(ws, id).await?.ok_or(FlowError::NotFound)
}

/// An approved draft that could not leave (new activity, or the style guide changed) waits
/// for its author: the scheduler stops looking at it and the author is told why.
pub async fn hold_for_author(
    state: &AppState,
    ws: WorkspaceId,
    id: i64,
    why: &str,
) -> Result<(), FlowError> {
    tracing::info!(draft.id = id, "approved draft {id} held for its author");
    let l = load(state, ws, id).await?;
    let mut meta = Meta::from_row(&l.row);
    meta.send_at = None;
    let change = Change::of(&l)
        .author(format!(
            "Your approved reply in conversation {} was not sent: {why}",
            l.row.conversation_id
        ))
        .event(
            "draft.held",
            serde_json::json!({ "version_hash": l.draft.current().hash, "reason": why }),
        );
    let actor = Actor::System("approvals");
    persist(state, ws, &meta, &l.draft, &l.dir, change, &actor).await?;
    Ok(())
}

/// Rejects the version with `version_hash`, with a note for the author.
pub async fn reject(
    state: &AppState,
    who: &Principal,
    id: i64,
    version_hash: &str,
    note: &str,
) -> Result<DraftRow, FlowError> {
    let ws = who.workspace;
    let mut l = load(state, ws, id).await?;
    let now = now_millis();
    tick(state, ws, &mut l, now).await?;
    let mut draft = l.draft.clone();
    draft.reject(
        &l.dir,
        &uid(who.user_id),
        version_hash,
        note,
        from_millis(now),
    )?;
    let change = Change::of(&l)
        .author(format!(
            "Your reply in conversation {} was rejected.",
            l.row.conversation_id
        ))
        .event(
            "draft.rejected",
            serde_json::json!({
                "version": draft.current().number,
                "version_hash": version_hash,
                "note_sha256": crate::audit::chain::content_hash(note),
            }),
        );
    let meta = Meta::from_row(&l.row);
    persist(
        state,
        ws,
        &meta,
        &draft,
        &l.dir,
        change,
        &Actor::User(who.user_id),
    )
    .await
}

/// Writes a new version (author or an approver on the path); approval starts over.
pub async fn edit(
    state: &AppState,
    who: &Principal,
    id: i64,
    text: &str,
) -> Result<DraftRow, FlowError> {
    let ws = who.workspace;
    let text = text.trim();
    if text.is_empty() {
        return Err(FlowError::Invalid("the reply is empty".into()));
    }
    let mut l = load(state, ws, id).await?;
    let now = now_millis();
    tick(state, ws, &mut l, now).await?;
    let mut meta = Meta::from_row(&l.row);
    // The guide locale the draft was checked against, else the conversation's.
    let locale = match &l.row.locale {
        Some(l) => Some(l.clone()),
        None => conversation_locale(state, ws, l.row.conversation_id).await?,
    };
    let guide = voice::enforce(state, ws, text, &l.row.channel, locale.as_deref()).await?;
    meta.style_version = guide.map(|g| g.version);
    let previous = l.draft.current().hash.clone();
    let mut draft = l.draft.clone();
    let out = draft.edit(&l.dir, &uid(who.user_id), text, from_millis(now))?;
    let change = Change::of(&l).approvers().event(
        "draft.edited",
        serde_json::json!({
            "version": out.version,
            "version_hash": out.hash,
            "previous_hash": previous,
            "by": who.user_id,
        }),
    );
    persist(
        state,
        ws,
        &meta,
        &draft,
        &l.dir,
        change,
        &Actor::User(who.user_id),
    )
    .await
}

/// Records that the author has now seen everything in the conversation.
pub async fn seen(state: &AppState, who: &Principal, id: i64) -> Result<DraftRow, FlowError> {
    let ws = who.workspace;
    let l = load(state, ws, id).await?;
    if l.row.author_id != who.user_id {
        return Err(FlowError::Forbidden(
            "only the author marks a draft as seen".into(),
        ));
    }
    let mut meta = Meta::from_row(&l.row);
    meta.seen = state
        .store
        .conversation_marker(ws, l.row.conversation_id)
        .await?;
    let change = Change::of(&l).event(
        "draft.seen",
        serde_json::json!({ "message_id": meta.seen.0, "note_id": meta.seen.1 }),
    );
    persist(
        state,
        ws,
        &meta,
        &l.draft,
        &l.dir,
        change,
        &Actor::User(who.user_id),
    )
    .await
}

/// Sends an approved draft now, at its author's (or a manager's) request.
pub async fn send(state: &AppState, who: &Principal, id: i64) -> Result<MessageRow, FlowError> {
    let ws = who.workspace;
    let mut l = load(state, ws, id).await?;
    let manager = matches!(who.role, Role::Admin | Role::Manager);
    if l.row.author_id != who.user_id && !manager {
        return Err(FlowError::Forbidden(
            "only the author sends their draft".into(),
        ));
    }
    tick(state, ws, &mut l, now_millis()).await?;
    deliver(state, ws, l, &Actor::User(who.user_id)).await
}

/// Delivers an approved draft: the text is exactly the approved version, the collision and
/// style checks run again, and the message records the approved version's hash.
pub async fn deliver(
    state: &AppState,
    ws: WorkspaceId,
    l: Loaded,
    actor: &Actor,
) -> Result<MessageRow, FlowError> {
    let Loaded { row, mut draft, .. } = l;
    let text = draft.current().text.clone();
    if row.status != "approved" {
        can_send(&draft, &text)?;
        return Err(FlowError::Conflict(format!("the draft is {}", row.status)));
    }
    let approved = can_send(&draft, &text)?;
    let conv = state
        .store
        .conversation(ws, row.conversation_id)
        .await?
        .ok_or(FlowError::NotFound)?;
    let locale = row.locale.as_deref().or(conv.locale.as_deref());
    let guide = voice::enforce(state, ws, &text, &conv.channel, locale).await?;
    refuse_collision(
        state,
        &conv,
        (row.seen_message_id, row.seen_note_id),
        row.author_id,
    )
    .await?;
    let revision = state
        .store
        .set_draft_status(ws, row.id, row.revision, "sending")
        .await?;
    draft.mark_sent(&text)?;
    let messages = state.store.conversation_messages(ws, conv.id).await?;
    let (request, receipt) = match dispatch(state, &conv, &messages, text.clone()).await {
        Ok(sent) => sent,
        Err(e) => {
            let _ = state
                .store
                .set_draft_status(ws, row.id, revision, "approved")
                .await;
            return Err(e.into());
        }
    };
    let provenance = Provenance {
        template_id: row.template_id,
        locale: guide.as_ref().map(|g| g.locale.clone()),
        style_version: guide.map(|g| g.version),
    };
    let reply = outbound(&conv, &request, receipt, row.author_id, text, provenance);
    let stamp = ApprovalStamp {
        draft_id: row.id,
        revision,
        version: i64::from(approved.version),
        version_hash: approved.hash,
        state: serde_json::to_string(&draft).map_err(|e| FlowError::Invalid(e.to_string()))?,
    };
    let msg = state
        .store
        .record_approved_outbound(ws, &reply, &stamp, actor)
        .await?;
    tracing::info!(
        draft.id = row.id,
        message.id = msg.id,
        "draft {} sent as message {}",
        row.id,
        msg.id
    );
    state.publish(DeskEvent::changed(ws, conv.id));
    Ok(msg)
}
