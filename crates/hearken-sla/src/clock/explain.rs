//! Human-readable justification of clock figures.

use std::fmt::Write;

use jiff::SignedDuration;

use super::{ClockMetric, ConversationMetrics, Segment, SegmentState};
use crate::policy::Metric;

/// `90 min` or `0 min 5 s`.
fn minutes(d: SignedDuration) -> String {
    let secs = d.as_secs();
    match secs % 60 {
        0 => format!("{} min", secs / 60),
        s => format!("{} min {} s", secs / 60, s.abs()),
    }
}

fn metric_name(m: Metric) -> &'static str {
    match m {
        Metric::FirstResponse => "first response",
        Metric::NextResponse => "next response",
        Metric::Resolution => "resolution",
    }
}

impl Segment {
    /// One line: start, event, state, and the calendar and business time the
    /// stretch contributed.
    pub fn describe(&self) -> String {
        let state = match self.state {
            SegmentState::Active => "active",
            SegmentState::Paused => "paused",
            SegmentState::Stopped => "stopped",
        };
        let version = self
            .policy_version
            .map_or(String::new(), |v| format!(" [v{v}]"));
        format!(
            "{} {:<44} {:<7} +{} calendar, +{} business{}",
            self.from,
            self.label,
            state,
            minutes(self.calendar),
            minutes(self.business),
            version
        )
    }
}

impl ClockMetric {
    /// A header with the totals, target and outcome, then one line per
    /// segment. Active segments sum to the active figures, paused segments to
    /// the paused ones; stopped segments are listed but not counted.
    pub fn explain(&self) -> String {
        let mut out = format!(
            "{} (cycle {}): {} calendar min, {} business min (active {}, paused {}); outcome {:?}",
            metric_name(self.metric),
            self.cycle,
            self.calendar_minutes,
            self.business_minutes,
            self.active_business_minutes,
            self.paused_business_minutes,
            self.outcome
        );
        if let Some(t) = self.target {
            let kind = if t.business_time {
                "business"
            } else {
                "calendar"
            };
            let _ = write!(out, "; target {} {kind} min", t.minutes);
        }
        if let Some(due) = self.due_at {
            let _ = write!(out, "; due {due}");
        }
        if self.breached_at.is_some() {
            let _ = write!(out, "; overdue {} min", self.overdue_minutes);
        }
        for s in &self.segments {
            let _ = write!(out, "\n  {}", s.describe());
        }
        out
    }
}

impl ConversationMetrics {
    /// Explanation of every clock and of approval time.
    pub fn explain(&self) -> String {
        let mut parts: Vec<String> = self.clocks().map(ClockMetric::explain).collect();
        if !self.approval.waits.is_empty() {
            let mut a = format!(
                "approval (measured apart): {} calendar min, {} business min",
                self.approval.calendar_minutes, self.approval.business_minutes
            );
            for w in &self.approval.waits {
                let _ = write!(a, "\n  {}", w.describe());
            }
            parts.push(a);
        }
        parts.join("\n")
    }
}
