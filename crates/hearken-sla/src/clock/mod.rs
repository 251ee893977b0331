//! SLA clocks computed from a conversation's ordered events.
//!
//! [`compute`] / [`compute_at`] turn events into [`ConversationMetrics`]:
//!
//! * **First response** runs from the first customer message to the first
//!   human reply, public or private (a DM). Automatic messages and private
//!   notes never stop it.
//! * **Next response**: after a human reply, the next customer message starts
//!   a new clock; further customer messages before the answer do not restart
//!   it. After a reopen the customer's new message starts the new cycle's
//!   clock (a next response, with an incremented `cycle`).
//! * **Resolution** runs from the conversation's first event to a resolved
//!   status. While the status is one of the policy's `pause_statuses` it is
//!   paused; while resolved it is stopped; a reopen resumes it, and it ends at
//!   the final resolution. Pauses apply to the resolution clock only.
//! * **Approval** waits are measured apart and do not pause any clock.
//!
//! All figures are given in calendar and business minutes, truncated toward
//! zero from exact durations (so per-segment figures in [`ClockMetric::explain`]
//! may differ from a total by rounding only when events are not on whole
//! minutes).
//!
//! # Policy versions
//! Each stretch of a clock is judged under the policy version in force at
//! its start (clocks are split at every `effective_from`). Consumed time is
//! carried across versions: a change applies to open clocks from the moment
//! it takes effect, against the time already used. A breach that already
//! happened stays a breach even if a later version is more lenient, and a
//! stricter version that is already exceeded breaches at the moment it takes
//! effect, never earlier. Before the first version's `effective_from`, the
//! earliest version applies.

mod eval;
mod explain;
mod timeline;
mod walk;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::calendar::BusinessCalendar;
use crate::policy::{Metric, SlaPolicy, Target};
use eval::Ctx;
use timeline::Timeline;

/// What happened in a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// The customer wrote (publicly or privately).
    CustomerMessage,
    /// A human agent replied publicly.
    AgentPublicReply,
    /// A human agent replied in a private channel (DM); counts as a response.
    AgentPrivateReply,
    /// Bot or auto-acknowledgement: never ends a response clock.
    AutomaticMessage,
    /// Internal note: never ends a clock.
    PrivateNote,
    /// The conversation's status changed.
    StatusChanged {
        /// New status name.
        to: String,
    },
    /// The conversation was (re)assigned.
    Assigned,
    /// Waiting on an internal approval began.
    ApprovalWaitStarted,
    /// Waiting on an internal approval ended.
    ApprovalWaitEnded,
    /// The conversation was reopened.
    Reopened,
}

impl EventKind {
    /// Whether this is a human reply that ends a response clock.
    pub fn is_human_reply(&self) -> bool {
        matches!(
            self,
            EventKind::AgentPublicReply | EventKind::AgentPrivateReply
        )
    }

    /// Short human-readable description, used in explanations.
    pub fn describe(&self) -> String {
        match self {
            EventKind::CustomerMessage => "customer message".into(),
            EventKind::AgentPublicReply => "agent public reply".into(),
            EventKind::AgentPrivateReply => "agent private reply".into(),
            EventKind::AutomaticMessage => "automatic message (not a response)".into(),
            EventKind::PrivateNote => "private note (not a response)".into(),
            EventKind::StatusChanged { to } => format!("status -> {to}"),
            EventKind::Assigned => "assigned".into(),
            EventKind::ApprovalWaitStarted => "approval wait started".into(),
            EventKind::ApprovalWaitEnded => "approval wait ended".into(),
            EventKind::Reopened => "reopened".into(),
        }
    }
}

/// One event at an instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// When it happened.
    pub at: Timestamp,
    /// What happened.
    pub kind: EventKind,
}

impl Event {
    /// Builds an event.
    pub fn new(at: Timestamp, kind: EventKind) -> Self {
        Event { at, kind }
    }
}

/// How a stretch of a clock counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SegmentState {
    /// Counted against the target.
    Active,
    /// Paused by a pause status.
    Paused,
    /// Not counted (conversation resolved, awaiting reopen).
    Stopped,
}

/// A stretch of a clock, from one event (or policy change) to the next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// Start (the instant of the event in `label`).
    pub from: Timestamp,
    /// End (next event, stop, or evaluation instant).
    pub to: Timestamp,
    /// The event or change that began the stretch.
    pub label: String,
    /// How it counted.
    pub state: SegmentState,
    /// Policy version in force.
    pub policy_version: Option<u32>,
    /// Calendar time of the stretch.
    pub calendar: SignedDuration,
    /// Business time of the stretch.
    pub business: SignedDuration,
}

/// Result of one clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Stopped within target.
    Met,
    /// Target exceeded (final once it happened).
    Breached,
    /// Running, within target, below the warning threshold.
    Pending,
    /// Running, past `warn_at_percent` of the target.
    Warning,
    /// Running but currently paused.
    Paused,
    /// Stopped without its goal: resolved while the customer waited.
    Cancelled,
    /// No target applies.
    NoTarget,
}

/// Figures of one clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockMetric {
    /// Which metric.
    pub metric: Metric,
    /// Response cycle (1, then +1 per reopen).
    pub cycle: u32,
    /// Clock start.
    pub started_at: Timestamp,
    /// Clock stop; `None` while running.
    pub ended_at: Option<Timestamp>,
    /// Counted calendar minutes (active + paused; stopped stretches excluded).
    pub calendar_minutes: i64,
    /// Counted business minutes (active + paused).
    pub business_minutes: i64,
    /// Active calendar minutes.
    pub active_calendar_minutes: i64,
    /// Paused calendar minutes.
    pub paused_calendar_minutes: i64,
    /// Active business minutes.
    pub active_business_minutes: i64,
    /// Paused business minutes.
    pub paused_business_minutes: i64,
    /// Target of the version in force at the end.
    pub target: Option<Target>,
    /// That version's number.
    pub policy_version: Option<u32>,
    /// Breach instant if breached; otherwise the projected due time
    /// (`None` while paused or without target).
    pub due_at: Option<Timestamp>,
    /// Instant of the breach.
    pub breached_at: Option<Timestamp>,
    /// Active minutes past the breach (in the target's kind of time).
    pub overdue_minutes: i64,
    /// Minutes left (negative = overdue); `None` without target.
    pub time_left_minutes: Option<i64>,
    /// Outcome.
    pub outcome: Outcome,
    /// The stretches the figures come from.
    pub segments: Vec<Segment>,
}

/// Time spent waiting on approvals, measured apart from the clocks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalTime {
    /// Calendar minutes.
    pub calendar_minutes: i64,
    /// Business minutes.
    pub business_minutes: i64,
    /// Each wait (an open wait ends at the evaluation instant).
    pub waits: Vec<Segment>,
}

/// All SLA figures of a conversation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationMetrics {
    /// First event.
    pub created_at: Option<Timestamp>,
    /// Instant the figures were evaluated at.
    pub evaluated_at: Timestamp,
    /// First response clock.
    pub first_response: Option<ClockMetric>,
    /// Next response clocks, in order.
    pub next_responses: Vec<ClockMetric>,
    /// Resolution clock.
    pub resolution: Option<ClockMetric>,
    /// Approval waits.
    pub approval: ApprovalTime,
    /// Number of reopens.
    pub reopen_count: u32,
}

impl ConversationMetrics {
    /// All clocks: first response, next responses, resolution.
    pub fn clocks(&self) -> impl Iterator<Item = &ClockMetric> {
        self.first_response
            .iter()
            .chain(&self.next_responses)
            .chain(&self.resolution)
    }
}

/// Figures as of the last event. See [`compute_at`].
pub fn compute(
    events: &[Event],
    calendar: &BusinessCalendar,
    policy_versions: &[SlaPolicy],
) -> ConversationMetrics {
    let now = events.iter().map(|e| e.at).max().unwrap_or_default();
    compute_at(events, now, calendar, policy_versions)
}

/// Figures as of `now`: events after `now` are ignored and running clocks are
/// measured up to `now`. `policy_versions` are the versions of the one policy
/// applying to this conversation, in any order.
pub fn compute_at(
    events: &[Event],
    now: Timestamp,
    calendar: &BusinessCalendar,
    policy_versions: &[SlaPolicy],
) -> ConversationMetrics {
    let mut sorted: Vec<&Event> = events.iter().filter(|e| e.at <= now).collect();
    sorted.sort_by_key(|e| e.at);
    let timeline = Timeline::new(policy_versions);
    let walk = walk::walk(&sorted, &timeline);
    let ctx = Ctx {
        cal: calendar,
        timeline: &timeline,
        now,
    };
    let mut responses = walk.responses.iter().map(|d| eval::evaluate(d, &ctx));
    let first_response = responses.next(); // the first response draft always comes first
    ConversationMetrics {
        created_at: walk.created_at,
        evaluated_at: now,
        first_response,
        next_responses: responses.collect(),
        resolution: walk.resolution.as_ref().map(|d| eval::evaluate(d, &ctx)),
        approval: approval_time(&walk.approvals, now, calendar),
        reopen_count: walk.reopen_count,
    }
}

fn approval_time(
    waits: &[(Timestamp, Option<Timestamp>)],
    now: Timestamp,
    cal: &BusinessCalendar,
) -> ApprovalTime {
    let waits: Vec<Segment> = waits
        .iter()
        .map(|&(from, to)| {
            let to = to.unwrap_or(now);
            Segment {
                from,
                to,
                label: "approval wait".into(),
                state: SegmentState::Active,
                policy_version: None,
                calendar: to.duration_since(from),
                business: cal.business_duration(from, to),
            }
        })
        .collect();
    let calendar: SignedDuration = waits.iter().map(|w| w.calendar).sum();
    let business: SignedDuration = waits.iter().map(|w| w.business).sum();
    ApprovalTime {
        calendar_minutes: calendar.as_mins(),
        business_minutes: business.as_mins(),
        waits,
    }
}

/// Live state of the most urgent running clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LiveState {
    /// Within target.
    Ok,
    /// Past the warning threshold.
    Warning,
    /// Target exceeded.
    Breached,
    /// Clock paused.
    Paused,
}

/// What an agent's queue shows for a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveSla {
    /// The clock shown.
    pub metric: Metric,
    /// Due (or breach) instant; `None` while paused.
    pub due_at: Option<Timestamp>,
    /// Minutes left in the target's kind of time (negative = overdue).
    pub time_left_minutes: i64,
    /// State.
    pub state: LiveState,
}

/// The most urgent running clock with a target at `now` (earliest due time;
/// breached clocks first, paused clocks last), or `None` if no clock with a
/// target is running.
pub fn live_state(
    events: &[Event],
    now: Timestamp,
    calendar: &BusinessCalendar,
    policy_versions: &[SlaPolicy],
) -> Option<LiveSla> {
    let metrics = compute_at(events, now, calendar, policy_versions);
    metrics
        .clocks()
        .filter(|c| c.ended_at.is_none())
        .filter_map(|c| Some((c, c.time_left_minutes?)))
        .min_by_key(|(c, _)| (c.due_at.is_none(), c.due_at))
        .map(|(c, left)| LiveSla {
            metric: c.metric,
            due_at: c.due_at,
            time_left_minutes: left,
            state: live(c.outcome),
        })
}

fn live(outcome: Outcome) -> LiveState {
    match outcome {
        Outcome::Breached => LiveState::Breached,
        Outcome::Warning => LiveState::Warning,
        Outcome::Paused => LiveState::Paused,
        _ => LiveState::Ok,
    }
}

#[cfg(test)]
mod tests;
