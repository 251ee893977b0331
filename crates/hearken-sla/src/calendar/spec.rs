//! Serialisable configuration form of a [`BusinessCalendar`].

use jiff::civil::{Date, Time, Weekday};
use serde::{Deserialize, Serialize};

use super::{weekday_name, BusinessCalendar, CalendarError, Window, WEEKDAYS};

/// Opening windows per weekday, each written `"HH:MM-HH:MM"` (end `24:00`
/// allowed). Missing days are closed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeeklySpec {
    /// Monday windows.
    #[serde(default)]
    pub monday: Vec<String>,
    /// Tuesday windows.
    #[serde(default)]
    pub tuesday: Vec<String>,
    /// Wednesday windows.
    #[serde(default)]
    pub wednesday: Vec<String>,
    /// Thursday windows.
    #[serde(default)]
    pub thursday: Vec<String>,
    /// Friday windows.
    #[serde(default)]
    pub friday: Vec<String>,
    /// Saturday windows.
    #[serde(default)]
    pub saturday: Vec<String>,
    /// Sunday windows.
    #[serde(default)]
    pub sunday: Vec<String>,
}

impl WeeklySpec {
    /// The same windows on Monday to Friday, weekends closed.
    pub fn weekdays(windows: &[&str]) -> Self {
        let w: Vec<String> = windows.iter().map(|s| s.to_string()).collect();
        WeeklySpec {
            monday: w.clone(),
            tuesday: w.clone(),
            wednesday: w.clone(),
            thursday: w.clone(),
            friday: w,
            ..Default::default()
        }
    }

    fn day(&self, day: Weekday) -> &[String] {
        match day {
            Weekday::Monday => &self.monday,
            Weekday::Tuesday => &self.tuesday,
            Weekday::Wednesday => &self.wednesday,
            Weekday::Thursday => &self.thursday,
            Weekday::Friday => &self.friday,
            Weekday::Saturday => &self.saturday,
            Weekday::Sunday => &self.sunday,
        }
    }

    fn day_mut(&mut self, day: Weekday) -> &mut Vec<String> {
        match day {
            Weekday::Monday => &mut self.monday,
            Weekday::Tuesday => &mut self.tuesday,
            Weekday::Wednesday => &mut self.wednesday,
            Weekday::Thursday => &mut self.thursday,
            Weekday::Friday => &mut self.friday,
            Weekday::Saturday => &mut self.saturday,
            Weekday::Sunday => &mut self.sunday,
        }
    }
}

/// Configuration form of a calendar, e.g. in JSON:
/// `{"zone":"Europe/Berlin","weekly":{"monday":["09:00-17:00"]},"holidays":["2024-12-25"]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSpec {
    /// IANA zone name, e.g. `"Europe/Berlin"`.
    pub zone: String,
    /// 24x7: windows and holidays are ignored.
    #[serde(default)]
    pub always_open: bool,
    /// Weekly opening windows.
    #[serde(default)]
    pub weekly: WeeklySpec,
    /// Holiday dates (`YYYY-MM-DD`, local to `zone`).
    #[serde(default)]
    pub holidays: Vec<Date>,
}

impl CalendarSpec {
    /// Validates the spec and builds the calendar. Errors name the weekday
    /// and the offending window (unknown zone, unparsable window, end not
    /// after start, overlapping windows, no opening hours at all).
    pub fn build(&self) -> Result<BusinessCalendar, CalendarError> {
        if self.always_open {
            return BusinessCalendar::always_open(&self.zone);
        }
        let mut weekly: [Vec<Window>; 7] = Default::default();
        for (i, day) in WEEKDAYS.iter().enumerate() {
            weekly[i] = self
                .weekly
                .day(*day)
                .iter()
                .map(|t| parse_window(*day, t))
                .collect::<Result<_, _>>()?;
        }
        BusinessCalendar::new(&self.zone, weekly, self.holidays.iter().copied())
    }

    /// The spec describing an existing calendar (round-trips through
    /// [`build`](Self::build)).
    pub fn from_calendar(cal: &BusinessCalendar) -> Self {
        let mut weekly = WeeklySpec::default();
        for day in WEEKDAYS {
            *weekly.day_mut(day) = cal.windows(day).iter().map(Window::to_string).collect();
        }
        CalendarSpec {
            zone: cal.zone_name().to_string(),
            always_open: cal.is_always_open(),
            weekly,
            holidays: cal.holidays().iter().copied().collect(),
        }
    }
}

/// Parses `"HH:MM-HH:MM"` (seconds optional, end `24:00` allowed).
fn parse_window(day: Weekday, text: &str) -> Result<Window, CalendarError> {
    let bad = || CalendarError::BadWindow {
        day: weekday_name(day).to_string(),
        text: text.to_string(),
    };
    let (start, end) = text.split_once('-').ok_or_else(bad)?;
    let start: Time = start.trim().parse().map_err(|_| bad())?;
    let end = parse_end(end.trim()).ok_or_else(bad)?;
    Window::new(start, end).map_err(|_| CalendarError::EndNotAfterStart {
        day: weekday_name(day).to_string(),
        window: text.trim().to_string(),
    })
}

fn parse_end(text: &str) -> Option<Time> {
    match text {
        "24:00" | "24:00:00" => Some(Time::midnight()),
        "00:00" | "00:00:00" => None, // ambiguous: a window cannot end at the start of its day
        _ => text.parse().ok(),
    }
}
