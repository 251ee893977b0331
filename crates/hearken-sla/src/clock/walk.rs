//! First pass: turn the ordered events into clock drafts (start, the events
//! seen while running, and how each clock stopped).

use jiff::Timestamp;

use super::timeline::Timeline;
use super::{Event, EventKind};
use crate::policy::Metric;

/// The conversation's phase after an event, as seen by a clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Phase {
    /// Open, with the current status if one was set.
    Open(Option<String>),
    /// Resolved (the resolution clock is stopped).
    Resolved,
}

/// An event as recorded on a clock.
#[derive(Debug, Clone)]
pub(super) struct Mark {
    pub at: Timestamp,
    pub label: String,
    pub phase: Phase,
}

/// How a clock stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stop {
    /// Its goal was reached (human reply, resolution).
    Goal,
    /// The conversation was resolved while a customer still waited.
    Cancelled,
}

/// A clock before evaluation.
#[derive(Debug, Clone)]
pub(super) struct Draft {
    pub metric: Metric,
    pub cycle: u32,
    pub marks: Vec<Mark>,
    pub stop: Option<(Timestamp, Stop)>,
}

impl Draft {
    fn new(metric: Metric, cycle: u32) -> Self {
        Draft {
            metric,
            cycle,
            marks: Vec::new(),
            stop: None,
        }
    }
}

/// Everything the first pass found.
#[derive(Debug, Default)]
pub(super) struct Walk {
    pub created_at: Option<Timestamp>,
    pub responses: Vec<Draft>,
    pub resolution: Option<Draft>,
    pub approvals: Vec<(Timestamp, Option<Timestamp>)>,
    pub reopen_count: u32,
}

struct Walker<'t, 'p> {
    timeline: &'t Timeline<'p>,
    out: Walk,
    waiting: Option<usize>,
    status: Option<String>,
    resolved: bool,
    cycle: u32,
}

/// Runs the first pass over events already sorted by time.
pub(super) fn walk(events: &[&Event], timeline: &Timeline<'_>) -> Walk {
    let mut w = Walker {
        timeline,
        out: Walk::default(),
        waiting: None,
        status: None,
        resolved: false,
        cycle: 1,
    };
    for e in events {
        w.step(e);
    }
    w.out
}

impl Walker<'_, '_> {
    fn step(&mut self, e: &Event) {
        let label = e.kind.describe();
        if self.out.resolution.is_none() {
            self.out.created_at = Some(e.at);
            self.out.resolution = Some(Draft::new(Metric::Resolution, self.cycle));
        }
        match &e.kind {
            EventKind::CustomerMessage => self.customer_message(e.at),
            k if k.is_human_reply() => self.stop_waiting(e.at, &label, Stop::Goal),
            EventKind::StatusChanged { to } => self.status_changed(e.at, to, &label),
            EventKind::Reopened => self.reopen(),
            EventKind::ApprovalWaitStarted => self.approval(e.at, true),
            EventKind::ApprovalWaitEnded => self.approval(e.at, false),
            _ => {}
        }
        self.record(e.at, label);
    }

    fn customer_message(&mut self, _at: Timestamp) {
        self.reopen();
        if self.waiting.is_none() {
            let metric = match self.out.responses.is_empty() {
                true => Metric::FirstResponse,
                false => Metric::NextResponse,
            };
            self.out.responses.push(Draft::new(metric, self.cycle));
            self.waiting = Some(self.out.responses.len() - 1);
        }
    }

    fn stop_waiting(&mut self, at: Timestamp, label: &str, how: Stop) {
        if let Some(i) = self.waiting.take() {
            let draft = &mut self.out.responses[i];
            draft.marks.push(Mark {
                at,
                label: label.to_string(),
                phase: Phase::Open(None),
            });
            draft.stop = Some((at, how));
        }
    }

    fn status_changed(&mut self, at: Timestamp, to: &str, label: &str) {
        if self.timeline.is_resolved_status(at, to) {
            let label = format!("{label} (resolved while the customer waited)");
            self.stop_waiting(at, &label, Stop::Cancelled);
            self.resolved = true;
        } else {
            self.reopen();
        }
        self.status = Some(to.to_string());
    }

    fn reopen(&mut self) {
        if self.resolved {
            self.resolved = false;
            self.status = None;
            self.cycle += 1;
            self.out.reopen_count += 1;
        }
    }

    fn approval(&mut self, at: Timestamp, starts: bool) {
        let open = self
            .out
            .approvals
            .last()
            .is_some_and(|(_, end)| end.is_none());
        match (starts, open) {
            (true, false) => self.out.approvals.push((at, None)),
            (false, true) => self.out.approvals.last_mut().unwrap().1 = Some(at),
            _ => {}
        }
    }

    /// Adds the event to the running response clock and the resolution clock.
    fn record(&mut self, at: Timestamp, label: String) {
        if let Some(i) = self.waiting {
            let phase = Phase::Open(None);
            self.out.responses[i].marks.push(Mark {
                at,
                label: label.clone(),
                phase,
            });
        }
        let phase = match self.resolved {
            true => Phase::Resolved,
            false => Phase::Open(self.status.clone()),
        };
        let res = self
            .out
            .resolution
            .as_mut()
            .expect("created on first event");
        res.marks.push(Mark { at, label, phase });
        res.stop = match (self.resolved, res.stop) {
            (true, None) => Some((at, Stop::Goal)),
            (true, kept) => kept,
            (false, _) => None,
        };
    }
}
