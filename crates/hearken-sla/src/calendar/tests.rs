use super::*;
use jiff::civil::{date, time};

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn spec(json: &str) -> Result<BusinessCalendar, CalendarError> {
    serde_json::from_str::<CalendarSpec>(json).unwrap().build()
}

#[test]
fn split_windows_and_boundaries() {
    let cal = spec(r#"{"zone":"UTC","weekly":{"monday":["13:00-17:00","09:00-12:00"]}}"#).unwrap();
    // Mon 11:00 → 14:00: 11–12 (60) + 13–14 (60).
    assert_eq!(
        cal.business_minutes(ts("2024-06-10T11:00:00Z"), ts("2024-06-10T14:00:00Z")),
        120
    );
    assert_eq!(
        cal.business_minutes(ts("2024-06-10T14:00:00Z"), ts("2024-06-10T11:00:00Z")),
        -120
    );
    assert!(cal.is_open(ts("2024-06-10T09:00:00Z")));
    assert!(!cal.is_open(ts("2024-06-10T12:00:00Z")));
    assert!(!cal.is_open(ts("2024-06-10T17:00:00Z")));
    // 180 minutes from 09:00 ends exactly at 12:00, not at the next opening.
    assert_eq!(
        cal.add_business_minutes(ts("2024-06-10T09:00:00Z"), 180),
        ts("2024-06-10T12:00:00Z")
    );
    // 181 minutes: one minute into the afternoon window.
    assert_eq!(
        cal.add_business_minutes(ts("2024-06-10T09:00:00Z"), 181),
        ts("2024-06-10T13:01:00Z")
    );
    // From outside hours, the clock starts at the next opening (next Monday).
    assert_eq!(
        cal.add_business_minutes(ts("2024-06-10T18:00:00Z"), 30),
        ts("2024-06-17T09:30:00Z")
    );
    assert_eq!(
        cal.add_business_minutes(ts("2024-06-10T18:00:00Z"), 0),
        ts("2024-06-10T18:00:00Z")
    );
    assert_eq!(cal.windows(Weekday::Monday)[0].to_string(), "09:00-12:00");
}

#[test]
fn dst_gap_window_is_empty() {
    // 02:00–03:00 does not exist in Berlin on 2024-03-31.
    let cal = spec(r#"{"zone":"Europe/Berlin","weekly":{"sunday":["02:00-03:00"]}}"#).unwrap();
    assert!(cal.open_intervals(date(2024, 3, 31)).is_empty());
    assert_eq!(cal.open_intervals(date(2024, 3, 24)).len(), 1);
}

#[test]
fn spec_validation_errors() {
    let unknown = spec(r#"{"zone":"Mars/Olympus","weekly":{"monday":["09:00-17:00"]}}"#);
    assert_eq!(
        unknown.unwrap_err(),
        CalendarError::UnknownZone {
            zone: "Mars/Olympus".into()
        }
    );
    let backwards = spec(r#"{"zone":"UTC","weekly":{"tuesday":["17:00-09:00"]}}"#).unwrap_err();
    assert_eq!(
        backwards,
        CalendarError::EndNotAfterStart {
            day: "tuesday".into(),
            window: "17:00-09:00".into()
        }
    );
    let overlap =
        spec(r#"{"zone":"UTC","weekly":{"friday":["12:00-18:00","09:00-13:00"]}}"#).unwrap_err();
    assert_eq!(
        overlap,
        CalendarError::Overlap {
            day: "friday".into(),
            first: "09:00-13:00".into(),
            second: "12:00-18:00".into()
        }
    );
    assert!(matches!(
        spec(r#"{"zone":"UTC","weekly":{"monday":["nine-five"]}}"#),
        Err(CalendarError::BadWindow { .. })
    ));
    assert!(matches!(
        spec(r#"{"zone":"UTC","weekly":{"monday":["09:00-00:00"]}}"#),
        Err(CalendarError::BadWindow { .. })
    ));
    assert_eq!(
        spec(r#"{"zone":"UTC"}"#).unwrap_err(),
        CalendarError::NoOpenHours
    );
    // Touching windows are fine.
    assert!(spec(r#"{"zone":"UTC","weekly":{"monday":["09:00-12:00","12:00-24:00"]}}"#).is_ok());
    assert!(serde_json::from_str::<CalendarSpec>(r#"{"zone":"UTC","weekly":{"mon":[]}}"#).is_err());
    assert!(backwards.to_string().contains("tuesday"));
}

#[test]
fn spec_round_trip() {
    let json = r#"{"zone":"Europe/Berlin","weekly":{"monday":["09:00-12:00","13:00-24:00"],"saturday":["10:00-14:00"]},"holidays":["2024-12-25"]}"#;
    let cal = spec(json).unwrap();
    assert!(cal.is_holiday(date(2024, 12, 25)));
    assert_eq!(cal.windows(Weekday::Monday)[1].end(), time(0, 0, 0, 0));
    let back = CalendarSpec::from_calendar(&cal);
    assert_eq!(back.weekly.monday, ["09:00-12:00", "13:00-24:00"]);
    assert_eq!(back.build().unwrap().holidays(), cal.holidays());
    let text = serde_json::to_string(&back).unwrap();
    assert_eq!(serde_json::from_str::<CalendarSpec>(&text).unwrap(), back);
    let always = CalendarSpec {
        zone: "UTC".into(),
        always_open: true,
        weekly: WeeklySpec::default(),
        holidays: vec![],
    };
    assert!(always.build().unwrap().is_always_open());
}

const FEED: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTART;VALUE=DATE:20241225\r\nDTEND;VALUE=DATE:20241227\r\nSUMMARY:Christmas\\, and\r\n  Boxing Day\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nEND:VALARM\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20240101\r\nSUMMARY:New Year\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART:20240501\r\nDURATION:P1W\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

#[test]
fn ics_multi_day_and_folding() {
    let days = parse_ics_holidays(FEED).unwrap();
    assert_eq!(
        days,
        vec![
            (date(2024, 12, 25), "Christmas, and Boxing Day".to_string()),
            (date(2024, 12, 26), "Christmas, and Boxing Day".to_string()),
            (date(2024, 1, 1), "New Year".to_string()),
        ]
    );
    let cal = spec(r#"{"zone":"UTC","weekly":{"monday":["09:00-17:00"]}}"#)
        .unwrap()
        .with_holidays(days.into_iter().map(|(d, _)| d));
    assert!(cal.is_holiday(date(2024, 12, 26)) && !cal.is_holiday(date(2024, 12, 27)));
}

#[test]
fn ics_errors_carry_line_numbers() {
    let err = |text: &str| parse_ics_holidays(text).unwrap_err();
    assert_eq!(
        err("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20241332\nEND:VEVENT"),
        IcsError::InvalidDate {
            line: 2,
            property: "DTSTART".into(),
            value: "20241332".into()
        }
    );
    assert_eq!(
        err("BEGIN:VEVENT\nDTSTART:20241225T090000Z\nEND:VEVENT"),
        IcsError::NotAllDay {
            line: 2,
            property: "DTSTART".into()
        }
    );
    assert_eq!(
        err("BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT"),
        IcsError::MissingStart { line: 2 }
    );
    assert_eq!(
        err("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20241225\n"),
        IcsError::Unterminated { line: 1 }
    );
    assert_eq!(err("X:1\nno colon here"), IcsError::Malformed { line: 2 });
    assert_eq!(
        err("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20241225\nDTEND;VALUE=DATE:20241225\nEND:VEVENT"),
        IcsError::BadRange { line: 4 }
    );
    assert_eq!(
        err("BEGIN:VEVENT\nRRULE:FREQ=YEARLY\nEND:VEVENT"),
        IcsError::Recurrence { line: 2 }
    );
    assert!(matches!(
        err("END:VEVENT"),
        IcsError::Unexpected { line: 1, .. }
    ));
    // Folded lines report the line where the logical line starts.
    let folded = "BEGIN:VEVENT\nSUMMARY:a\n b\nDTSTART;VALUE=DATE:2024\n 1225\nDTEND;VALUE=DATE:bad\nEND:VEVENT";
    assert!(matches!(err(folded), IcsError::InvalidDate { line: 6, .. }));
    assert!(err("BEGIN:VEVENT\nDURATION:PT1H\nEND:VEVENT")
        .to_string()
        .starts_with("line 2:"));
}
