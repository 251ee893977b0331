//! Business calendars: when is the desk open, and how much *business time*
//! lies between two instants.
//!
//! A [`BusinessCalendar`] has an IANA time zone, a weekly pattern of opening
//! [`Window`]s (several per weekday allowed), a set of holiday dates and an
//! optional 24x7 flag. Every computation works on real instants
//! ([`jiff::Timestamp`]): each local day's windows are turned into instants in
//! the calendar's zone with the offset in force *on that day*, so daylight
//! saving changes are handled without ever assuming a fixed offset.
//!
//! Windows are half-open: `[start, end)`. A window whose end is `00:00`
//! (written `24:00` in a [`CalendarSpec`]) runs to the following midnight.
//! Local times that fall in a DST gap are resolved forward (the "compatible"
//! rule), ambiguous ones to the earlier instant.

mod ics;
mod spec;

pub use ics::{parse_ics_holidays, IcsError};
pub use spec::{CalendarSpec, WeeklySpec};

use std::collections::BTreeSet;
use std::fmt;

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

/// Errors raised while building or validating a calendar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The zone name is not in the IANA time zone database.
    #[error("unknown time zone {zone:?}")]
    UnknownZone {
        /// The rejected name.
        zone: String,
    },
    /// A window string could not be parsed (expected `HH:MM-HH:MM`).
    #[error("{day}: cannot parse window {text:?} (expected HH:MM-HH:MM)")]
    BadWindow {
        /// Weekday name, lower case.
        day: String,
        /// The rejected text.
        text: String,
    },
    /// A window ends at or before its start.
    #[error("{day}: window {window} ends at or before its start")]
    EndNotAfterStart {
        /// Weekday name, lower case.
        day: String,
        /// The rejected window.
        window: String,
    },
    /// Two windows of the same weekday overlap.
    #[error("{day}: windows {first} and {second} overlap")]
    Overlap {
        /// Weekday name, lower case.
        day: String,
        /// The earlier window.
        first: String,
        /// The window overlapping it.
        second: String,
    },
    /// The calendar is not 24x7 and has no opening window at all, so no due
    /// time could ever be reached.
    #[error("calendar has no opening hours (no windows and not always open)")]
    NoOpenHours,
}

/// One opening window of a weekday, `[start, end)` in local civil time.
///
/// `end == 00:00` means "until the following midnight".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Window {
    start: Time,
    end: Time,
}

const SECS_PER_DAY: i32 = 86_400;

impl Window {
    /// Builds a window; `end` must be after `start`, or `00:00` (midnight at
    /// the end of the day).
    pub fn new(start: Time, end: Time) -> Result<Self, CalendarError> {
        let w = Window { start, end };
        if w.end_secs() <= w.start_secs() {
            return Err(CalendarError::EndNotAfterStart {
                day: String::new(),
                window: w.to_string(),
            });
        }
        Ok(w)
    }

    /// Local start time.
    pub fn start(&self) -> Time {
        self.start
    }

    /// Local end time (`00:00` = following midnight).
    pub fn end(&self) -> Time {
        self.end
    }

    fn start_secs(&self) -> i32 {
        secs_of_day(self.start)
    }

    fn end_secs(&self) -> i32 {
        match self.end == Time::midnight() {
            true => SECS_PER_DAY,
            false => secs_of_day(self.end),
        }
    }

    /// The real instants this window covers on `date` in `tz`.
    fn instants(&self, date: Date, tz: &TimeZone) -> Option<(Timestamp, Timestamp)> {
        let start = local_instant(tz, date, self.start)?;
        let end = match self.end == Time::midnight() {
            true => local_instant(tz, date.tomorrow().ok()?, Time::midnight())?,
            false => local_instant(tz, date, self.end)?,
        };
        (end > start).then_some((start, end))
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let end = match self.end == Time::midnight() {
            true => "24:00".to_string(),
            false => hhmm(self.end),
        };
        write!(f, "{}-{}", hhmm(self.start), end)
    }
}

fn hhmm(t: Time) -> String {
    match t.second() == 0 && t.subsec_nanosecond() == 0 {
        true => format!("{:02}:{:02}", t.hour(), t.minute()),
        false => format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second()),
    }
}

fn secs_of_day(t: Time) -> i32 {
    i32::from(t.hour()) * 3600 + i32::from(t.minute()) * 60 + i32::from(t.second())
}

fn local_instant(tz: &TimeZone, date: Date, time: Time) -> Option<Timestamp> {
    tz.to_ambiguous_timestamp(date.to_datetime(time))
        .compatible()
        .ok()
}

/// Lower-case English name of a weekday (used in errors and specs).
pub fn weekday_name(day: Weekday) -> &'static str {
    const NAMES: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    NAMES[day.to_monday_zero_offset() as usize]
}

/// Weekdays in order, Monday first.
pub const WEEKDAYS: [Weekday; 7] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
    Weekday::Saturday,
    Weekday::Sunday,
];

/// Opening hours in an IANA time zone, with holidays.
///
/// Build it with [`BusinessCalendar::new`], [`BusinessCalendar::always_open`]
/// or from a serialisable [`CalendarSpec`]. The fields are private so that
/// the invariants (sorted, non-overlapping windows; at least one window
/// unless 24x7) always hold.
#[derive(Debug, Clone)]
pub struct BusinessCalendar {
    zone: String,
    tz: TimeZone,
    weekly: [Vec<Window>; 7],
    holidays: BTreeSet<Date>,
    always_open: bool,
}

impl BusinessCalendar {
    /// A calendar open during `weekly[i]` (index 0 = Monday) in zone `zone`,
    /// closed on `holidays`. Windows are sorted; overlapping windows and an
    /// entirely empty week are rejected.
    pub fn new(
        zone: &str,
        weekly: [Vec<Window>; 7],
        holidays: impl IntoIterator<Item = Date>,
    ) -> Result<Self, CalendarError> {
        let tz = lookup_zone(zone)?;
        let mut weekly = weekly;
        for (day, windows) in WEEKDAYS.iter().zip(weekly.iter_mut()) {
            windows.sort();
            check_overlaps(*day, windows)?;
        }
        if weekly.iter().all(Vec::is_empty) {
            return Err(CalendarError::NoOpenHours);
        }
        let holidays = holidays.into_iter().collect();
        let zone = zone.to_string();
        Ok(BusinessCalendar {
            zone,
            tz,
            weekly,
            holidays,
            always_open: false,
        })
    }

    /// A 24x7 calendar: business time equals calendar time, holidays ignored.
    pub fn always_open(zone: &str) -> Result<Self, CalendarError> {
        let tz = lookup_zone(zone)?;
        let weekly: [Vec<Window>; 7] = Default::default();
        let zone = zone.to_string();
        Ok(BusinessCalendar {
            zone,
            tz,
            weekly,
            holidays: BTreeSet::new(),
            always_open: true,
        })
    }

    /// Adds holiday dates (local dates in the calendar's zone).
    pub fn with_holidays(mut self, dates: impl IntoIterator<Item = Date>) -> Self {
        self.holidays.extend(dates);
        self
    }

    /// The IANA zone name this calendar was built with.
    pub fn zone_name(&self) -> &str {
        &self.zone
    }

    /// The calendar's time zone.
    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    /// Sorted windows of one weekday.
    pub fn windows(&self, day: Weekday) -> &[Window] {
        &self.weekly[day.to_monday_zero_offset() as usize]
    }

    /// Holiday dates.
    pub fn holidays(&self) -> &BTreeSet<Date> {
        &self.holidays
    }

    /// Whether the calendar is 24x7.
    pub fn is_always_open(&self) -> bool {
        self.always_open
    }

    /// Whether `date` is a holiday (ignored by 24x7 calendars).
    pub fn is_holiday(&self, date: Date) -> bool {
        self.holidays.contains(&date)
    }

    /// Local date of an instant in the calendar's zone.
    pub fn local_date(&self, at: Timestamp) -> Date {
        self.tz.to_datetime(at).date()
    }

    /// The real instants during which the desk is open on local `date`.
    /// A 24x7 calendar returns the whole local day.
    pub fn open_intervals(&self, date: Date) -> Vec<(Timestamp, Timestamp)> {
        if self.always_open {
            let all_day = Window {
                start: Time::midnight(),
                end: Time::midnight(),
            };
            return all_day.instants(date, &self.tz).into_iter().collect();
        }
        if self.is_holiday(date) {
            return Vec::new();
        }
        self.windows(date.weekday())
            .iter()
            .filter_map(|w| w.instants(date, &self.tz))
            .collect()
    }

    /// Whether the desk is open at `at`.
    pub fn is_open(&self, at: Timestamp) -> bool {
        self.always_open
            || self
                .open_intervals(self.local_date(at))
                .iter()
                .any(|&(s, e)| s <= at && at < e)
    }

    /// Business time between two instants, as an exact [`SignedDuration`]
    /// (negative when `to` is before `from`). Use
    /// [`business_minutes`](Self::business_minutes) for whole minutes.
    pub fn business_duration(&self, from: Timestamp, to: Timestamp) -> SignedDuration {
        if to < from {
            return -self.business_duration(to, from);
        }
        if self.always_open {
            return to.duration_since(from);
        }
        let mut total = SignedDuration::ZERO;
        let mut date = self.local_date(from);
        let last = self.local_date(to);
        while date <= last {
            total += self.open_within(date, from, to);
            let Ok(next) = date.tomorrow() else { break };
            date = next;
        }
        total
    }

    /// Business time between two instants in whole minutes, truncated toward
    /// zero.
    pub fn business_minutes(&self, from: Timestamp, to: Timestamp) -> i64 {
        self.business_duration(from, to).as_mins()
    }

    fn open_within(&self, date: Date, from: Timestamp, to: Timestamp) -> SignedDuration {
        self.open_intervals(date)
            .into_iter()
            .map(|(s, e)| (s.max(from), e.min(to)))
            .filter(|(s, e)| e > s)
            .map(|(s, e)| e.duration_since(s))
            .sum()
    }

    /// The instant at which `duration` of business time has elapsed after
    /// `from` (the due time of a target). Zero or negative durations return
    /// `from` unchanged. When the budget runs out exactly at a window's end,
    /// that end (not the next opening) is returned.
    pub fn add_business(&self, from: Timestamp, duration: SignedDuration) -> Timestamp {
        if duration <= SignedDuration::ZERO {
            return from;
        }
        if self.always_open {
            return from.checked_add(duration).unwrap_or(Timestamp::MAX);
        }
        let mut remaining = duration;
        let mut date = self.local_date(from);
        loop {
            for (s, e) in self.open_intervals(date) {
                let s = s.max(from);
                if e <= s {
                    continue;
                }
                let len = e.duration_since(s);
                if remaining <= len {
                    return s.checked_add(remaining).unwrap_or(Timestamp::MAX);
                }
                remaining -= len;
            }
            // Terminates: at least one weekly window exists and holidays are finite.
            let Ok(next) = date.tomorrow() else {
                return Timestamp::MAX;
            };
            date = next;
        }
    }

    /// [`add_business`](Self::add_business) with a whole number of minutes.
    pub fn add_business_minutes(&self, from: Timestamp, minutes: i64) -> Timestamp {
        self.add_business(from, SignedDuration::from_mins(minutes))
    }
}

fn lookup_zone(zone: &str) -> Result<TimeZone, CalendarError> {
    TimeZone::get(zone).map_err(|_| CalendarError::UnknownZone {
        zone: zone.to_string(),
    })
}

fn check_overlaps(day: Weekday, sorted: &[Window]) -> Result<(), CalendarError> {
    for pair in sorted.windows(2) {
        if pair[0].end_secs() > pair[1].start_secs() {
            return Err(CalendarError::Overlap {
                day: weekday_name(day).to_string(),
                first: pair[0].to_string(),
                second: pair[1].to_string(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
