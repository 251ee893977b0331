use super::*;
use crate::calendar::{CalendarSpec, WeeklySpec};

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// 2024-06-10 is a Monday; `t("mon 10:00")`-style helper.
fn t(day_time: &str) -> Timestamp {
    let (day, time) = day_time.split_once(' ').unwrap();
    let d = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .position(|x| *x == day)
        .unwrap()
        + 10;
    ts(&format!("2024-06-{d:02}T{time}:00Z"))
}

fn ev(at: &str, kind: EventKind) -> Event {
    Event::new(t(at), kind)
}

fn status(at: &str, to: &str) -> Event {
    ev(at, EventKind::StatusChanged { to: to.into() })
}

fn office() -> BusinessCalendar {
    let weekly = WeeklySpec::weekdays(&["09:00-17:00"]);
    CalendarSpec {
        zone: "UTC".into(),
        always_open: false,
        weekly,
        holidays: vec![],
    }
    .build()
    .unwrap()
}

fn policy(first: i64, next: i64, resolution: i64) -> SlaPolicy {
    let mut p = SlaPolicy::new("p", 1, "P", ts("2024-01-01T00:00:00Z"));
    p.first_response = Some(Target::business(first));
    p.next_response = Some(Target::business(next));
    p.resolution = Some(Target::business(resolution));
    p.pause_statuses = vec!["pending".into()];
    p
}

fn version(base: &SlaPolicy, n: u32, from: &str) -> SlaPolicy {
    let mut v = base.clone();
    v.version = n;
    v.effective_from = t(from);
    v
}

#[test]
fn next_responses_start_at_first_unanswered_message() {
    let events = [
        ev("mon 10:00", EventKind::CustomerMessage),
        ev("mon 10:30", EventKind::AgentPublicReply),
        ev("mon 11:00", EventKind::CustomerMessage),
        ev("mon 11:10", EventKind::CustomerMessage),
        ev("mon 12:00", EventKind::AgentPrivateReply),
        ev("mon 13:00", EventKind::CustomerMessage),
    ];
    let m = compute(&events, &office(), &[policy(60, 60, 480)]);
    assert_eq!(m.first_response.as_ref().unwrap().business_minutes, 30);
    assert_eq!(m.next_responses.len(), 2);
    let n0 = &m.next_responses[0];
    // 11:00 → 12:00 = 60, exactly the target: met, not breached.
    assert_eq!(
        (n0.started_at, n0.business_minutes, n0.outcome),
        (t("mon 11:00"), 60, Outcome::Met)
    );
    let n1 = &m.next_responses[1];
    assert_eq!(
        (n1.ended_at, n1.outcome, n1.due_at),
        (None, Outcome::Pending, Some(t("mon 14:00")))
    );
}

#[test]
fn reopen_starts_new_cycle_at_customer_message() {
    let events = [
        ev("mon 09:00", EventKind::CustomerMessage),
        ev("mon 09:30", EventKind::AgentPublicReply),
        status("mon 10:00", "resolved"),
        ev("tue 09:00", EventKind::Reopened),
        ev("tue 10:00", EventKind::CustomerMessage),
        ev("tue 10:15", EventKind::AgentPublicReply),
        status("tue 11:00", "closed"),
    ];
    let m = compute(&events, &office(), &[policy(60, 60, 480)]);
    assert_eq!(m.reopen_count, 1);
    let next = &m.next_responses[0];
    assert_eq!(
        (next.cycle, next.started_at, next.business_minutes),
        (2, t("tue 10:00"), 15)
    );
    let r = m.resolution.as_ref().unwrap();
    // Open Mon 09–10 (60) and Tue 09–11 (120); Mon 10:00 → Tue 09:00 is stopped.
    assert_eq!(
        (
            r.active_business_minutes,
            r.calendar_minutes,
            r.paused_business_minutes
        ),
        (180, 180, 0)
    );
    assert_eq!(
        (r.ended_at, r.outcome),
        (Some(t("tue 11:00")), Outcome::Met)
    );
    assert!(r.segments.iter().any(|s| s.state == SegmentState::Stopped));
    assert!(m.explain().contains("stopped"));
}

#[test]
fn customer_message_reopens_and_resolving_cancels_waiting_clock() {
    let events = [
        ev("mon 09:00", EventKind::CustomerMessage),
        status("mon 09:10", "resolved"),
        ev("mon 12:00", EventKind::CustomerMessage),
        ev("mon 12:20", EventKind::AgentPublicReply),
    ];
    let m = compute(&events, &office(), &[policy(60, 60, 480)]);
    assert_eq!(
        m.first_response.as_ref().unwrap().outcome,
        Outcome::Cancelled
    );
    assert_eq!(m.reopen_count, 1);
    assert_eq!(m.next_responses[0].business_minutes, 20);
    let r = m.resolution.as_ref().unwrap();
    // 09:00–09:10 plus 12:00–12:20 (still open at the last event).
    assert_eq!((r.active_business_minutes, r.ended_at), (30, None));
    assert_eq!(crate::stats::first_response_samples(&[m], true), vec![None]);
}

#[test]
fn approval_is_measured_apart() {
    let events = [
        ev("mon 09:00", EventKind::CustomerMessage),
        ev("mon 10:00", EventKind::ApprovalWaitStarted),
        ev("mon 16:00", EventKind::ApprovalWaitEnded),
        ev("mon 16:30", EventKind::AgentPublicReply),
        ev("tue 09:00", EventKind::ApprovalWaitStarted),
    ];
    let m = compute_at(&events, t("tue 10:00"), &office(), &[policy(60, 60, 480)]);
    // 10:00–16:00 (360) + open wait Tue 09:00–10:00 (60).
    assert_eq!(
        (m.approval.business_minutes, m.approval.waits.len()),
        (420, 2)
    );
    // Mon 10:00 → 16:00 = 360 calendar minutes + 60.
    assert_eq!(m.approval.calendar_minutes, 420);
    // The response clock was not paused by the approval wait: 09:00 → 16:30.
    assert_eq!(m.first_response.as_ref().unwrap().business_minutes, 450);
}

#[test]
fn breach_stands_when_a_later_version_is_lenient() {
    let v1 = policy(60, 60, 480);
    let mut v2 = version(&v1, 2, "mon 11:00");
    v2.first_response = Some(Target::business(600));
    let events = [
        ev("mon 09:00", EventKind::CustomerMessage),
        ev("mon 12:00", EventKind::AgentPublicReply),
    ];
    let fr = compute(&events, &office(), &[v2, v1])
        .first_response
        .unwrap();
    // Breached at 10:00 under v1; 180 used − 60 = 120 overdue.
    assert_eq!(
        (fr.outcome, fr.breached_at, fr.overdue_minutes),
        (Outcome::Breached, Some(t("mon 10:00")), 120)
    );
    assert_eq!(
        fr.segments
            .iter()
            .filter(|s| s.label.contains("takes effect"))
            .count(),
        1
    );
}

#[test]
fn stricter_version_already_exceeded_breaches_at_its_moment() {
    let v1 = policy(600, 60, 480);
    let mut v2 = version(&v1, 2, "mon 12:00");
    v2.first_response = Some(Target::business(60));
    let events = [
        ev("mon 09:00", EventKind::CustomerMessage),
        ev("mon 13:00", EventKind::AgentPublicReply),
    ];
    let fr = compute(&events, &office(), &[v1, v2])
        .first_response
        .unwrap();
    // 180 already used at 12:00 > 60: breached at the change, overdue only after it (60).
    assert_eq!(
        (fr.breached_at, fr.overdue_minutes),
        (Some(t("mon 12:00")), 60)
    );
}

#[test]
fn live_warning_then_breached() {
    let mut p = policy(100, 60, 4800);
    p.warn_at_percent = 80;
    let events = [ev("mon 09:00", EventKind::CustomerMessage)];
    let warn = live_state(&events, t("mon 10:20"), &office(), std::slice::from_ref(&p)).unwrap();
    // 80 of 100 used: warning, 20 left, due 10:40.
    assert_eq!(
        (warn.state, warn.time_left_minutes, warn.due_at),
        (LiveState::Warning, 20, Some(t("mon 10:40")))
    );
    assert_eq!(warn.metric, Metric::FirstResponse);
    let ok = live_state(&events, t("mon 10:19"), &office(), std::slice::from_ref(&p)).unwrap();
    assert_eq!(ok.state, LiveState::Ok);
    let late = live_state(&events, t("mon 10:50"), &office(), &[p]).unwrap();
    assert_eq!(
        (late.state, late.time_left_minutes, late.due_at),
        (LiveState::Breached, -10, Some(t("mon 10:40")))
    );
    assert_eq!(live_state(&events, t("mon 10:50"), &office(), &[]), None);
}

#[test]
fn calendar_time_targets_and_unsorted_input() {
    let mut p = policy(60, 60, 480);
    p.first_response = Some(Target::calendar(60));
    let events = [
        ev("sat 11:30", EventKind::AgentPublicReply),
        ev("sat 10:00", EventKind::CustomerMessage),
    ];
    let fr = compute(&events, &office(), &[p]).first_response.unwrap();
    // Sorted: message 10:00, reply 11:30 → 90 calendar minutes, 0 business; due 11:00.
    assert_eq!((fr.calendar_minutes, fr.business_minutes), (90, 0));
    assert_eq!(
        (fr.breached_at, fr.overdue_minutes),
        (Some(t("sat 11:00")), 30)
    );
}

#[test]
fn events_after_now_are_ignored_and_empty_input_is_empty() {
    let events = [
        ev("mon 09:00", EventKind::CustomerMessage),
        ev("mon 09:30", EventKind::AgentPublicReply),
    ];
    let m = compute_at(&events, t("mon 09:10"), &office(), &[policy(60, 60, 480)]);
    let fr = m.first_response.unwrap();
    assert_eq!(
        (fr.ended_at, fr.business_minutes, fr.time_left_minutes),
        (None, 10, Some(50))
    );
    let empty = compute(&[], &office(), &[]);
    assert!(empty.created_at.is_none() && empty.clocks().next().is_none());
}

#[test]
fn events_serialise_with_a_type_tag() {
    let e = Event::new(
        t("mon 09:00"),
        EventKind::StatusChanged {
            to: "pending".into(),
        },
    );
    let json = serde_json::to_string(&e).unwrap();
    assert_eq!(
        json,
        r#"{"at":"2024-06-10T09:00:00Z","kind":{"type":"status_changed","to":"pending"}}"#
    );
    assert_eq!(serde_json::from_str::<Event>(&json).unwrap(), e);
}
