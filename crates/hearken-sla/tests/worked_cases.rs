//! The worked cases from the specification, with expected values reasoned by
//! hand (the arithmetic is in the comments).

use hearken_sla::calendar::{BusinessCalendar, CalendarSpec, WeeklySpec};
use hearken_sla::clock::{compute, compute_at, live_state, Event, EventKind, LiveState, Outcome};
use hearken_sla::policy::{SlaPolicy, Target};
use hearken_sla::stats::{first_response_samples, summarize, QuantileMethod};
use jiff::civil::{date, Date};
use jiff::Timestamp;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn ev(at: &str, kind: EventKind) -> Event {
    Event::new(ts(at), kind)
}

fn status(at: &str, to: &str) -> Event {
    ev(at, EventKind::StatusChanged { to: to.into() })
}

/// Monday–Friday 09:00–17:00 in `zone`.
fn office(zone: &str, holidays: &[Date]) -> BusinessCalendar {
    let spec = CalendarSpec {
        zone: zone.into(),
        always_open: false,
        weekly: WeeklySpec::weekdays(&["09:00-17:00"]),
        holidays: holidays.to_vec(),
    };
    spec.build().unwrap()
}

fn policy() -> SlaPolicy {
    let mut p = SlaPolicy::new("std", 1, "Standard", ts("2024-01-01T00:00:00Z"));
    p.first_response = Some(Target::business(240));
    p.resolution = Some(Target::business(480));
    p.pause_statuses = vec!["waiting_on_customer".into()];
    p
}

// ---- Case 1: weekend and holiday --------------------------------------------

#[test]
fn case1_weekend_first_response() {
    let cal = office("UTC", &[]);
    let events = [
        ev("2024-06-08T10:00:00Z", EventKind::CustomerMessage), // Saturday
        ev("2024-06-10T10:30:00Z", EventKind::AgentPublicReply), // Monday
    ];
    let fr = compute(&events, &cal, &[policy()]).first_response.unwrap();
    // Sat 10:00 → Mon 10:30 = 2 days (2880) + 30 = 2910 calendar minutes.
    assert_eq!(fr.calendar_minutes, 2910);
    // Only Monday 09:00–10:30 is open: 90 business minutes.
    assert_eq!(fr.business_minutes, 90);
    assert_eq!(fr.outcome, Outcome::Met);
}

#[test]
fn case1_holiday_monday() {
    let cal = office("UTC", &[date(2024, 6, 10)]);
    let events = [
        ev("2024-06-08T10:00:00Z", EventKind::CustomerMessage),
        ev("2024-06-11T09:30:00Z", EventKind::AgentPublicReply), // Tuesday
    ];
    let fr = compute(&events, &cal, &[policy()]).first_response.unwrap();
    // Sat, Sun closed, Mon holiday: only Tue 09:00–09:30.
    assert_eq!(fr.business_minutes, 30);
    // Sat 10:00 → Tue 09:30 = 3 days − 30 min = 4290.
    assert_eq!(fr.calendar_minutes, 4290);
}

#[test]
fn case1_due_time_across_weekend_and_holiday() {
    let cal = office("UTC", &[date(2024, 6, 10)]);
    // Fri 15:00–17:00 uses 120; Sat/Sun closed; Mon holiday; Tue 09:00 + 120 = 11:00.
    let due = cal.add_business_minutes(ts("2024-06-07T15:00:00Z"), 240);
    assert_eq!(due, ts("2024-06-11T11:00:00Z"));
    // The same through the clock: a message Fri 15:00 with a 4-business-hour target.
    let events = [ev("2024-06-07T15:00:00Z", EventKind::CustomerMessage)];
    let fr = compute(&events, &cal, &[policy()]).first_response.unwrap();
    assert_eq!(fr.due_at, Some(ts("2024-06-11T11:00:00Z")));
    assert_eq!(fr.outcome, Outcome::Pending);
}

// ---- Case 2: auto-ack and private note do not answer ------------------------

fn case2_events() -> Vec<Event> {
    vec![
        ev("2024-06-10T10:00:00Z", EventKind::CustomerMessage),
        ev("2024-06-10T10:00:05Z", EventKind::AutomaticMessage),
        ev("2024-06-11T10:00:00Z", EventKind::CustomerMessage),
        ev("2024-06-11T11:00:00Z", EventKind::PrivateNote),
        ev("2024-06-12T10:00:00Z", EventKind::CustomerMessage),
        ev("2024-06-13T10:00:00Z", EventKind::AgentPublicReply),
    ]
}

#[test]
fn case2_first_response_ignores_bots_and_notes() {
    let cal = office("UTC", &[]);
    let m = compute(&case2_events(), &cal, &[policy()]);
    let fr = m.first_response.as_ref().unwrap();
    // Mon 10:00 → Thu 10:00 = 3 days = 4320 calendar minutes.
    assert_eq!(fr.calendar_minutes, 4320);
    // Mon 10–17 (420) + Tue (480) + Wed (480) + Thu 9–10 (60) = 1440.
    assert_eq!(fr.business_minutes, 1440);
    assert!(
        m.next_responses.is_empty(),
        "later customer messages were part of the same wait"
    );
    // Target 240 business minutes from Mon 10:00 → Mon 14:00; overdue 1440 − 240 = 1200.
    assert_eq!(fr.outcome, Outcome::Breached);
    assert_eq!(fr.breached_at, Some(ts("2024-06-10T14:00:00Z")));
    assert_eq!(fr.overdue_minutes, 1200);
}

#[test]
fn case2_explanation_lists_each_event() {
    let cal = office("UTC", &[]);
    let fr = compute(&case2_events(), &cal, &[policy()])
        .first_response
        .unwrap();
    assert_eq!(fr.segments.len(), 6, "one stretch per event");
    let auto = &fr.segments[1];
    assert!(auto.label.contains("automatic"));
    assert_eq!(auto.calendar.as_secs(), 24 * 3600 - 5); // 10:00:05 → next day 10:00
    let text = fr.explain();
    assert!(text.contains("0 min 5 s"), "{text}"); // the first stretch: 5 seconds
    assert!(text.contains("private note"), "{text}");
    assert_eq!(text.lines().count(), 7, "{text}"); // header + 6 stretches
}

// ---- Case 3: pause, resolution, and a policy change mid-way -----------------

fn case3_events() -> Vec<Event> {
    vec![
        ev("2024-06-10T09:00:00Z", EventKind::CustomerMessage), // created, Monday
        ev("2024-06-10T09:30:00Z", EventKind::AgentPublicReply),
        status("2024-06-10T11:00:00Z", "waiting_on_customer"),
        status("2024-06-11T15:00:00Z", "open"),
        status("2024-06-12T10:00:00Z", "resolved"),
    ]
}

#[test]
fn case3_pause_and_resolution() {
    let cal = office("UTC", &[]);
    let r = compute(&case3_events(), &cal, &[policy()])
        .resolution
        .unwrap();
    // Active: Mon 09–11 (120) + Tue 15–17 (120) + Wed 09–10 (60) = 300.
    assert_eq!(r.active_business_minutes, 300);
    // Paused: Mon 11–17 (360) + Tue 09–15 (360) = 720.
    assert_eq!(r.paused_business_minutes, 720);
    assert_eq!(r.outcome, Outcome::Met);
    // 480 target: 120 used before the pause, 360 left from Tue 15:00:
    // Tue 15–17 (120), Wed 09:00 + 240 = 13:00.
    assert_eq!(r.due_at, Some(ts("2024-06-12T13:00:00Z")));
    // Mon 09:00 → Wed 10:00 = 2 days + 1 h = 2940 calendar minutes.
    assert_eq!(r.calendar_minutes, 2940);
}

#[test]
fn case3_policy_change_applies_from_its_moment() {
    let cal = office("UTC", &[]);
    let v1 = policy();
    let mut v2 = v1.clone();
    v2.version = 2;
    v2.effective_from = ts("2024-06-11T12:00:00Z"); // during the pause
    v2.resolution = Some(Target::business(240));
    let r = compute(&case3_events(), &cal, &[v1, v2])
        .resolution
        .unwrap();
    // 120 used before the pause; 240 − 120 = 120 left from Tue 15:00 → Tue 17:00.
    assert_eq!(r.due_at, Some(ts("2024-06-11T17:00:00Z")));
    assert_eq!(r.breached_at, Some(ts("2024-06-11T17:00:00Z")));
    assert_eq!(r.outcome, Outcome::Breached);
    // Active after the breach: Wed 09–10 = 60.
    assert_eq!(r.overdue_minutes, 60);
    assert_eq!(
        (r.active_business_minutes, r.paused_business_minutes),
        (300, 720)
    );
    assert_eq!(r.policy_version, Some(2));
}

#[test]
fn case3_live_state_while_paused_and_after_resume() {
    let cal = office("UTC", &[]);
    let events = case3_events();
    let paused = live_state(&events, ts("2024-06-11T12:00:00Z"), &cal, &[policy()]).unwrap();
    assert_eq!(paused.state, LiveState::Paused);
    assert_eq!(paused.due_at, None);
    assert_eq!(paused.time_left_minutes, 360); // 480 − 120
    let running = live_state(&events, ts("2024-06-11T16:00:00Z"), &cal, &[policy()]).unwrap();
    // Used 120 + Tue 15–16 (60) = 180; 300 left: Tue 16–17 (60) + Wed 09:00 + 240.
    assert_eq!(running.state, LiveState::Ok);
    assert_eq!(running.time_left_minutes, 300);
    assert_eq!(running.due_at, Some(ts("2024-06-12T13:00:00Z")));
}

// ---- Case 4: statistics with an unanswered case ------------------------------

#[test]
fn case4_first_response_statistics() {
    let cal = BusinessCalendar::always_open("UTC").unwrap();
    let start = ts("2024-06-10T10:00:00Z");
    let conversation = |reply_after: Option<i64>| {
        let mut events = vec![Event::new(start, EventKind::CustomerMessage)];
        if let Some(m) = reply_after {
            let at = start
                .checked_add(jiff::SignedDuration::from_mins(m))
                .unwrap();
            events.push(Event::new(at, EventKind::AgentPublicReply));
        }
        compute_at(&events, ts("2024-06-20T00:00:00Z"), &cal, &[policy()])
    };
    let all: Vec<_> = [Some(2), Some(3), Some(4), Some(5), Some(600), None]
        .into_iter()
        .map(conversation)
        .collect();
    let samples = first_response_samples(&all, false);
    let s = summarize(&samples, QuantileMethod::NearestRank);
    // (2 + 3 + 4 + 5 + 600) / 5 = 614 / 5 = 122.8; sorted middle value = 4.
    assert!((s.mean.unwrap() - 122.8).abs() < 1e-9);
    assert_eq!(s.median, Some(4.0));
    assert_eq!((s.count, s.unanswered), (5, 1));
}

// ---- DST and 24x7 --------------------------------------------------------------

#[test]
fn dst_berlin_spring_forward() {
    let cal = office("Europe/Berlin", &[]);
    // Fri 2024-03-29 16:00 CET = 15:00Z; Mon 2024-04-01 10:00 CEST = 08:00Z (clocks
    // moved forward on Sun 31 March). Business: Fri 16–17 (60) + Mon 09–10 (60).
    let (from, to) = (ts("2024-03-29T15:00:00Z"), ts("2024-04-01T08:00:00Z"));
    assert_eq!(cal.business_minutes(from, to), 120);
    // Calendar: 15:00Z Fri → 08:00Z Mon = 2 days 17 h = 3900 minutes (one hour
    // less than the wall clocks suggest).
    assert_eq!(to.duration_since(from).as_mins(), 3900);
    // Monday opens at 09:00 CEST = 07:00Z; Friday opened at 09:00 CET = 08:00Z.
    assert!(cal.is_open(ts("2024-04-01T07:30:00Z")));
    assert!(!cal.is_open(ts("2024-03-29T07:30:00Z")));
    // 90 business minutes from Fri 16:00 CET: 60 on Friday, 30 from Mon 09:00 CEST.
    assert_eq!(
        cal.add_business_minutes(from, 90),
        ts("2024-04-01T07:30:00Z")
    );
}

#[test]
fn dst_new_york_fall_back() {
    let cal = office("America/New_York", &[]);
    // Fri 2024-11-01 16:00 EDT = 20:00Z; Mon 2024-11-04 10:00 EST = 15:00Z.
    let (from, to) = (ts("2024-11-01T20:00:00Z"), ts("2024-11-04T15:00:00Z"));
    assert_eq!(cal.business_minutes(from, to), 120);
    // 20:00Z Fri → 15:00Z Mon = 2 days 19 h = 4020 minutes (one hour more).
    assert_eq!(to.duration_since(from).as_mins(), 4020);
    assert!(cal.is_open(ts("2024-11-04T14:30:00Z"))); // 09:30 EST
    assert!(!cal.is_open(ts("2024-11-04T13:30:00Z"))); // 08:30 EST
}

#[test]
fn dst_whole_day_window_is_25_hours_on_fall_back_sunday() {
    let spec = CalendarSpec {
        zone: "America/New_York".into(),
        always_open: false,
        weekly: WeeklySpec {
            sunday: vec!["00:00-24:00".into()],
            ..Default::default()
        },
        holidays: vec![],
    };
    let cal = spec.build().unwrap();
    // Sunday 2024-11-03 00:00 EDT = 04:00Z to Monday 00:00 EST = 05:00Z: 25 hours.
    let minutes = cal.business_minutes(ts("2024-11-02T00:00:00Z"), ts("2024-11-05T00:00:00Z"));
    assert_eq!(minutes, 25 * 60);
}

#[test]
fn always_open_equals_calendar_minutes() {
    let cal = BusinessCalendar::always_open("Europe/Berlin")
        .unwrap()
        .with_holidays([date(2024, 3, 31)]);
    let pairs = [
        ("2024-03-30T12:00:00Z", "2024-04-01T12:00:00Z"), // across the DST change and a "holiday"
        ("2024-06-08T10:00:00Z", "2024-06-10T10:30:00Z"),
        ("2024-01-01T00:00:00Z", "2024-01-01T00:00:01Z"),
    ];
    // Hand values: 48 h = 2880, 2910 as in case 1, and 1 second → 0 minutes.
    for ((from, to), expected) in pairs.iter().zip([2880, 2910, 0]) {
        assert_eq!(cal.business_minutes(ts(from), ts(to)), expected);
    }
    let events = [
        ev("2024-06-08T10:00:00Z", EventKind::CustomerMessage),
        ev("2024-06-10T10:30:00Z", EventKind::AgentPrivateReply),
    ];
    let fr = compute(&events, &cal, &[policy()]).first_response.unwrap();
    assert_eq!((fr.calendar_minutes, fr.business_minutes), (2910, 2910));
}
