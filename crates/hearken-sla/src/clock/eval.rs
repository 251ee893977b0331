//! Second pass: measure each draft piece by piece, find the breach instant
//! under the policy version in force for each piece, and project due times.

use jiff::{SignedDuration, Timestamp};

use super::timeline::Timeline;
use super::walk::{Draft, Mark, Phase, Stop};
use super::{ClockMetric, Outcome, Segment, SegmentState};
use crate::calendar::BusinessCalendar;
use crate::policy::{Metric, SlaPolicy, Target};

/// What the evaluation needs besides the draft.
pub(super) struct Ctx<'a, 'p> {
    pub cal: &'a BusinessCalendar,
    pub timeline: &'a Timeline<'p>,
    pub now: Timestamp,
}

/// Time counted so far on one clock.
#[derive(Debug, Default, Clone, Copy)]
struct Meter {
    active_cal: SignedDuration,
    active_bus: SignedDuration,
    paused_cal: SignedDuration,
    paused_bus: SignedDuration,
}

impl Meter {
    fn consumed(&self, business: bool) -> SignedDuration {
        match business {
            true => self.active_bus,
            false => self.active_cal,
        }
    }

    fn add(&mut self, state: SegmentState, cal: SignedDuration, bus: SignedDuration) {
        match state {
            SegmentState::Active => {
                self.active_cal += cal;
                self.active_bus += bus;
            }
            SegmentState::Paused => {
                self.paused_cal += cal;
                self.paused_bus += bus;
            }
            SegmentState::Stopped => {}
        }
    }
}

/// The first instant the target in force was exceeded.
#[derive(Debug, Clone, Copy)]
struct Breach {
    at: Timestamp,
    consumed_at_breach: SignedDuration,
    business: bool,
}

#[derive(Default)]
struct Acc<'p> {
    meter: Meter,
    breach: Option<Breach>,
    segments: Vec<Segment>,
    last_state: Option<SegmentState>,
    last_version: Option<&'p SlaPolicy>,
}

/// A stretch of a clock between two marks.
struct Piece {
    from: Timestamp,
    to: Timestamp,
    label: String,
    phase: Phase,
}

/// Evaluates one draft up to its stop (or `ctx.now` while running).
pub(super) fn evaluate(draft: &Draft, ctx: &Ctx<'_, '_>) -> ClockMetric {
    let end = draft.stop.map_or(ctx.now, |(at, _)| at);
    let mut acc = Acc::default();
    for piece in pieces(draft, end, ctx.timeline) {
        acc.add(piece, draft.metric, ctx);
    }
    acc.finish(draft, end, ctx)
}

/// Splits the draft at its marks and at policy version changes.
fn pieces(draft: &Draft, end: Timestamp, timeline: &Timeline<'_>) -> Vec<Piece> {
    let mut marks: Vec<Mark> = draft
        .marks
        .iter()
        .filter(|m| m.at <= end)
        .cloned()
        .collect();
    let Some(start) = marks.first().map(|m| m.at) else {
        return Vec::new();
    };
    let changes: Vec<Mark> = timeline
        .changes_within(start, end)
        .map(|v| Mark {
            at: v.effective_from,
            label: format!("policy {} v{} takes effect", v.id, v.version),
            phase: marks
                .iter()
                .rev()
                .find(|m| m.at <= v.effective_from)
                .map(|m| m.phase.clone())
                .unwrap_or(Phase::Open(None)),
        })
        .collect();
    marks.extend(changes);
    marks.sort_by_key(|m| m.at);
    let ends: Vec<Timestamp> = marks.iter().skip(1).map(|m| m.at).chain([end]).collect();
    marks
        .into_iter()
        .zip(ends)
        .map(|(m, to)| Piece {
            from: m.at,
            to,
            label: m.label,
            phase: m.phase,
        })
        .collect()
}

fn state_of(phase: &Phase, version: Option<&SlaPolicy>) -> SegmentState {
    match phase {
        Phase::Resolved => SegmentState::Stopped,
        Phase::Open(Some(s)) if version.is_some_and(|v| v.is_pause_status(s)) => {
            SegmentState::Paused
        }
        Phase::Open(_) => SegmentState::Active,
    }
}

/// Moves `from` forward by `d` of the target's kind of time.
fn advance(
    cal: &BusinessCalendar,
    from: Timestamp,
    d: SignedDuration,
    business: bool,
) -> Timestamp {
    match (d <= SignedDuration::ZERO, business) {
        (true, _) => from,
        (false, true) => cal.add_business(from, d),
        (false, false) => from.checked_add(d).unwrap_or(Timestamp::MAX),
    }
}

/// Whether an active piece exceeds the target, and where.
fn find_breach(
    meter: &Meter,
    t: Target,
    p: &Piece,
    cal_d: SignedDuration,
    bus_d: SignedDuration,
    cal: &BusinessCalendar,
) -> Option<Breach> {
    let used = meter.consumed(t.business_time);
    let remaining = t.duration() - used;
    let piece = if t.business_time { bus_d } else { cal_d };
    if remaining >= piece {
        return None;
    }
    Some(Breach {
        at: advance(cal, p.from, remaining, t.business_time),
        consumed_at_breach: used + remaining.max(SignedDuration::ZERO),
        business: t.business_time,
    })
}

impl<'p> Acc<'p> {
    fn add(&mut self, p: Piece, metric: Metric, ctx: &Ctx<'_, 'p>) {
        let version = ctx.timeline.at(p.from);
        let state = state_of(&p.phase, version);
        let cal_d = p.to.duration_since(p.from);
        let bus_d = ctx.cal.business_duration(p.from, p.to);
        let target = version.and_then(|v| v.target(metric));
        if let (SegmentState::Active, None, Some(t)) = (state, self.breach, target) {
            self.breach = find_breach(&self.meter, t, &p, cal_d, bus_d, ctx.cal);
        }
        self.meter.add(state, cal_d, bus_d);
        self.last_state = Some(state);
        self.last_version = version;
        let policy_version = version.map(|v| v.version);
        let (from, to, label) = (p.from, p.to, p.label);
        self.segments.push(Segment {
            from,
            to,
            label,
            state,
            policy_version,
            calendar: cal_d,
            business: bus_d,
        });
    }

    fn finish(self, draft: &Draft, end: Timestamp, ctx: &Ctx<'_, 'p>) -> ClockMetric {
        let target = self.last_version.and_then(|v| v.target(draft.metric));
        let paused = draft.stop.is_none() && self.last_state == Some(SegmentState::Paused);
        let m = self.meter;
        let due_at = match (self.breach, target) {
            (Some(b), _) => Some(b.at),
            (None, Some(t)) if !paused => Some(advance(
                ctx.cal,
                end,
                t.duration() - m.consumed(t.business_time),
                t.business_time,
            )),
            _ => None,
        };
        let (overdue, time_left) = match (self.breach, target) {
            (Some(b), _) => (m.consumed(b.business) - b.consumed_at_breach, None),
            (None, Some(t)) => (
                SignedDuration::ZERO,
                Some(t.duration() - m.consumed(t.business_time)),
            ),
            (None, None) => (SignedDuration::ZERO, None),
        };
        let time_left = time_left.unwrap_or(-overdue);
        let outcome = self.outcome(draft.stop.map(|(_, s)| s), target, paused);
        ClockMetric {
            metric: draft.metric,
            cycle: draft.cycle,
            started_at: self.segments.first().map_or(end, |s| s.from),
            ended_at: draft.stop.map(|(at, _)| at),
            calendar_minutes: (m.active_cal + m.paused_cal).as_mins(),
            business_minutes: (m.active_bus + m.paused_bus).as_mins(),
            active_calendar_minutes: m.active_cal.as_mins(),
            paused_calendar_minutes: m.paused_cal.as_mins(),
            active_business_minutes: m.active_bus.as_mins(),
            paused_business_minutes: m.paused_bus.as_mins(),
            target,
            policy_version: self.last_version.map(|v| v.version),
            due_at,
            breached_at: self.breach.map(|b| b.at),
            overdue_minutes: overdue.as_mins(),
            time_left_minutes: (target.is_some() || self.breach.is_some())
                .then_some(time_left.as_mins()),
            outcome,
            segments: self.segments,
        }
    }

    fn outcome(&self, stop: Option<Stop>, target: Option<Target>, paused: bool) -> Outcome {
        if self.breach.is_some() {
            return Outcome::Breached;
        }
        let Some(t) = target else {
            return Outcome::NoTarget;
        };
        match stop {
            Some(Stop::Goal) => Outcome::Met,
            Some(Stop::Cancelled) => Outcome::Cancelled,
            None if paused => Outcome::Paused,
            None if self.in_warning(t) => Outcome::Warning,
            None => Outcome::Pending,
        }
    }

    fn in_warning(&self, t: Target) -> bool {
        let percent = i128::from(self.last_version.map_or(100, |v| v.warn_at_percent));
        let used = self.meter.consumed(t.business_time).as_nanos();
        used * 100 >= t.duration().as_nanos() * percent
    }
}
