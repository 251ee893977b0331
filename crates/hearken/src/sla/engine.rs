//! Turns stored rows into `hearken_sla` events, picks the policy and calendar, and
//! computes the clocks and the live state of one conversation.

use hearken_sla::clock::{ClockMetric, Outcome};
use hearken_sla::policy::{select_policy_at, Metric};
use hearken_sla::{
    compute_at, live_state, BusinessCalendar, CalendarSpec, ConversationFacts, ConversationMetrics,
    Event, EventKind, LiveSla, LiveState, SlaPolicy,
};
use jiff::Timestamp;

use crate::domain::time::{from_millis, to_millis};
use crate::storage::sla::{
    SlaCalendarRow, SlaClockRow, SlaComputed, SlaInputs, SlaPolicyRow, SlaStateRow,
};

/// Event kinds accepted in `sla_events` (besides those derived from messages and notes).
/// `private_note` and `automatic_message` are for history imported from elsewhere, where
/// only the instant is known.
pub const RECORDABLE_KINDS: [&str; 7] = [
    "status_changed",
    "private_note",
    "automatic_message",
    "assigned",
    "approval_wait_started",
    "approval_wait_ended",
    "reopened",
];

/// Message sender kinds: only `human` replies end a response clock.
pub const SENDER_KINDS: [&str; 3] = ["human", "automatic", "bot"];

/// The calendar used when a workspace has none: open 24x7 in UTC.
pub fn fallback_calendar() -> BusinessCalendar {
    BusinessCalendar::always_open("UTC").expect("UTC exists")
}

/// Parses a stored calendar; a spec that no longer builds falls back to 24x7 UTC.
pub fn build_calendar(row: &SlaCalendarRow) -> BusinessCalendar {
    serde_json::from_str::<CalendarSpec>(&row.spec)
        .ok()
        .and_then(|s| s.build().ok())
        .unwrap_or_else(fallback_calendar)
}

/// The calendar with this id, else the workspace default (lowest id), else 24x7 UTC.
pub fn calendar_for(
    calendars: &[SlaCalendarRow],
    id: Option<i64>,
) -> (Option<i64>, BusinessCalendar) {
    let row = id
        .and_then(|id| calendars.iter().find(|c| c.id == id))
        .or_else(|| calendars.first());
    match row {
        Some(r) => (Some(r.id), build_calendar(r)),
        None => (None, fallback_calendar()),
    }
}

/// The workspace's time zone: its default (first) calendar's zone, else UTC.
pub fn workspace_tz(calendars: &[SlaCalendarRow]) -> jiff::tz::TimeZone {
    calendars
        .first()
        .map(|c| build_calendar(c).time_zone().clone())
        .unwrap_or(jiff::tz::TimeZone::UTC)
}

/// A stored policy version as the engine's type; the columns win over the body.
pub fn parse_policy(row: &SlaPolicyRow) -> Option<SlaPolicy> {
    let mut p: SlaPolicy = serde_json::from_str(&row.body).ok()?;
    p.id = row.policy_key.clone();
    p.version = u32::try_from(row.version).ok()?;
    p.name = row.name.clone();
    p.effective_from = from_millis(row.effective_from);
    Some(p)
}

/// The clocks' events of a conversation, in time order.
pub fn events_of(inputs: &SlaInputs) -> Vec<Event> {
    let mut events: Vec<Event> = Vec::new();
    for m in &inputs.messages {
        let kind = match (m.direction.as_str(), m.sender_kind.as_str()) {
            ("in", _) => EventKind::CustomerMessage,
            (_, "human") if m.visibility == "public" => EventKind::AgentPublicReply,
            (_, "human") => EventKind::AgentPrivateReply,
            _ => EventKind::AutomaticMessage,
        };
        events.push(Event::new(from_millis(m.platform_time), kind));
    }
    for n in &inputs.notes {
        events.push(Event::new(from_millis(*n), EventKind::PrivateNote));
    }
    for e in &inputs.events {
        let kind = match e.kind.as_str() {
            "status_changed" => EventKind::StatusChanged {
                to: e.detail.clone().unwrap_or_default(),
            },
            "assigned" => EventKind::Assigned,
            "approval_wait_started" => EventKind::ApprovalWaitStarted,
            "approval_wait_ended" => EventKind::ApprovalWaitEnded,
            "reopened" => EventKind::Reopened,
            "private_note" => EventKind::PrivateNote,
            "automatic_message" => EventKind::AutomaticMessage,
            _ => continue,
        };
        events.push(Event::new(from_millis(e.at), kind));
    }
    events.sort_by_key(|e| e.at);
    events
}

/// A conversation evaluated under its policy.
pub struct Evaluation {
    pub policy_key: Option<String>,
    pub calendar_id: Option<i64>,
    pub calendar: BusinessCalendar,
    pub versions: Vec<SlaPolicy>,
    pub events: Vec<Event>,
    pub metrics: ConversationMetrics,
    pub live: Option<LiveSla>,
}

/// Evaluates at `now`. `what_if` = (policy key, version): judge the whole conversation
/// under that one version instead of the policy chosen and its history.
pub fn evaluate(inputs: &SlaInputs, now: i64, what_if: Option<(&str, i64)>) -> Evaluation {
    let c = &inputs.conversation;
    let facts = ConversationFacts {
        priority: Some(c.priority.clone()),
        channel: Some(c.channel.clone()),
        account: Some(c.account_handle.clone()),
        team: inputs.team_name.clone(),
        tags: inputs.tags.clone(),
        vip: inputs.vip,
    };
    let parsed: Vec<(&SlaPolicyRow, SlaPolicy)> = inputs
        .policies
        .iter()
        .filter_map(|r| parse_policy(r).map(|p| (r, p)))
        .collect();
    let now_ts = from_millis(now);
    let (key, versions): (Option<String>, Vec<SlaPolicy>) = match what_if {
        Some((key, version)) => {
            let chosen: Vec<SlaPolicy> = parsed
                .iter()
                .filter(|(r, _)| r.policy_key == key && r.version == version)
                .map(|(_, p)| {
                    let mut p = p.clone();
                    p.effective_from = Timestamp::MIN;
                    p
                })
                .collect();
            (Some(key.to_owned()), chosen)
        }
        None => {
            let all: Vec<SlaPolicy> = parsed.iter().map(|(_, p)| p.clone()).collect();
            // A policy whose versions all start after now still applies (earliest first).
            let at = all
                .iter()
                .map(|p| p.effective_from)
                .min()
                .map_or(now_ts, |first| first.max(now_ts));
            match select_policy_at(&all, &facts, at) {
                Some(p) => {
                    let key = p.id.clone();
                    let versions = all.into_iter().filter(|v| v.id == key).collect();
                    (Some(key), versions)
                }
                None => (None, Vec::new()),
            }
        }
    };
    let calendar_row = key.as_ref().and_then(|k| {
        parsed
            .iter()
            .filter(|(r, _)| &r.policy_key == k)
            .max_by_key(|(r, _)| r.version)
            .and_then(|(r, _)| r.calendar_id)
    });
    let (calendar_id, calendar) = calendar_for(&inputs.calendars, calendar_row);
    let events = events_of(inputs);
    let metrics = compute_at(&events, now_ts, &calendar, &versions);
    let live = live_state(&events, now_ts, &calendar, &versions);
    Evaluation {
        policy_key: key,
        calendar_id,
        calendar,
        versions,
        events,
        metrics,
        live,
    }
}

fn metric_name(m: Metric) -> &'static str {
    match m {
        Metric::FirstResponse => "first_response",
        Metric::NextResponse => "next_response",
        Metric::Resolution => "resolution",
    }
}

/// The stored name of an outcome.
pub fn outcome_name(o: Outcome) -> &'static str {
    match o {
        Outcome::Met => "met",
        Outcome::Breached => "breached",
        Outcome::Pending => "pending",
        Outcome::Warning => "warning",
        Outcome::Paused => "paused",
        Outcome::Cancelled => "cancelled",
        Outcome::NoTarget => "no_target",
    }
}

fn live_name(s: LiveState) -> &'static str {
    match s {
        LiveState::Ok => "ok",
        LiveState::Warning => "warning",
        LiveState::Breached => "breached",
        LiveState::Paused => "paused",
    }
}

/// The rows to store for a conversation at `now`.
pub fn compute_rows(inputs: &SlaInputs, now: i64, what_if: Option<(&str, i64)>) -> SlaComputed {
    let ev = evaluate(inputs, now, what_if);
    let c = &inputs.conversation;
    let version_now = ev
        .versions
        .iter()
        .filter(|p| p.effective_from <= from_millis(now))
        .max_by_key(|p| (p.effective_from, p.version))
        .or_else(|| ev.versions.iter().min_by_key(|p| p.effective_from));
    let policy_version = version_now.map(|p| i64::from(p.version));
    let customer_times: Vec<Timestamp> = ev
        .events
        .iter()
        .filter(|e| e.kind == EventKind::CustomerMessage)
        .map(|e| e.at)
        .collect();
    let responses: Vec<&ClockMetric> = ev
        .metrics
        .first_response
        .iter()
        .chain(&ev.metrics.next_responses)
        .collect();
    let mut clocks = Vec::new();
    for (i, k) in responses.iter().enumerate() {
        let until = responses.get(i + 1).map(|n| n.started_at);
        let items = customer_times
            .iter()
            .filter(|t| **t >= k.started_at && until.is_none_or(|u| **t < u))
            .count() as i64;
        clocks.push(clock_row(c, &ev, k, i as i64, items));
    }
    if let Some(r) = &ev.metrics.resolution {
        clocks.push(clock_row(c, &ev, r, responses.len() as i64, 0));
    }
    let (due_at, warn_at, business_time) = match (&ev.live, version_now) {
        (Some(l), Some(p)) => {
            let target = p.target(l.metric);
            let business = target.is_none_or(|t| t.business_time);
            let warn_left = target.map_or(0, |t| {
                t.minutes * (100 - i64::from(p.warn_at_percent)) / 100
            });
            let warn_at = l.due_at.map(|due| {
                let ahead = l.time_left_minutes - warn_left;
                if ahead <= 0 {
                    now.min(to_millis(due))
                } else if business {
                    to_millis(ev.calendar.add_business_minutes(from_millis(now), ahead))
                } else {
                    now + ahead * 60_000
                }
            });
            (l.due_at.map(to_millis), warn_at, business)
        }
        _ => (None, None, true),
    };
    let state = SlaStateRow {
        conversation_id: c.id,
        policy_key: ev.policy_key.clone(),
        policy_version,
        calendar_id: ev.calendar_id,
        opened_at: ev
            .metrics
            .created_at
            .map(to_millis)
            .unwrap_or(c.first_message_at),
        live_metric: ev.live.map(|l| metric_name(l.metric).to_owned()),
        live_state: ev.live.map(|l| live_name(l.state).to_owned()),
        due_at,
        warn_at,
        business_time: i64::from(business_time),
        account_id: c.account_id,
        channel: c.channel.clone(),
        assignee_id: c.assignee_id,
        team_id: c.team_id,
        notified_state: None,
        computed_at: now,
    };
    SlaComputed {
        state: Some(state),
        clocks,
    }
}

fn clock_row(
    c: &crate::storage::ConversationRow,
    ev: &Evaluation,
    k: &ClockMetric,
    seq: i64,
    inbound_items: i64,
) -> SlaClockRow {
    SlaClockRow {
        conversation_id: c.id,
        seq,
        metric: metric_name(k.metric).to_owned(),
        cycle: i64::from(k.cycle),
        started_at: to_millis(k.started_at),
        ended_at: k.ended_at.map(to_millis),
        calendar_minutes: k.calendar_minutes,
        business_minutes: k.business_minutes,
        active_calendar_minutes: k.active_calendar_minutes,
        active_business_minutes: k.active_business_minutes,
        paused_business_minutes: k.paused_business_minutes,
        target_minutes: k.target.map(|t| t.minutes),
        target_business: k.target.map(|t| i64::from(t.business_time)),
        outcome: outcome_name(k.outcome).to_owned(),
        due_at: k.due_at.map(to_millis),
        breached_at: k.breached_at.map(to_millis),
        overdue_minutes: k.overdue_minutes,
        inbound_items,
        policy_key: ev.policy_key.clone(),
        policy_version: k.policy_version.map(i64::from),
        account_id: c.account_id,
        channel: c.channel.clone(),
        assignee_id: c.assignee_id,
        team_id: c.team_id,
    }
}

/// The live state of a stored row at `now`: the stored due and warning instants decide,
/// so a conversation goes into warning or breach without a new event.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct LiveView {
    /// `ok`, `warning`, `breached` or `paused`.
    pub state: String,
    /// Which clock: `first_response`, `next_response` or `resolution`.
    pub metric: String,
    /// Minutes left in the target's kind of time (negative = overdue); none while paused.
    pub time_left_minutes: Option<i64>,
    /// Whether those are business minutes.
    pub business_time: bool,
    /// Due instant, epoch ms.
    pub due_at: Option<i64>,
}

/// Reads a stored state at `now` with its calendar.
pub fn live_view(row: &SlaStateRow, calendars: &[SlaCalendarRow], now: i64) -> Option<LiveView> {
    let metric = row.live_metric.clone()?;
    let business = row.business_time != 0;
    let Some(due) = row.due_at else {
        return Some(LiveView {
            state: "paused".into(),
            metric,
            time_left_minutes: None,
            business_time: business,
            due_at: None,
        });
    };
    let left = if business {
        let (_, cal) = calendar_for(calendars, row.calendar_id);
        cal.business_minutes(from_millis(now), from_millis(due))
    } else {
        (due - now) / 60_000
    };
    let state = if now >= due {
        "breached"
    } else if row.warn_at.is_some_and(|w| now >= w) {
        "warning"
    } else {
        "ok"
    };
    Some(LiveView {
        state: state.into(),
        metric,
        time_left_minutes: Some(left),
        business_time: business,
        due_at: Some(due),
    })
}
