//! Holiday import from iCalendar (RFC 5545) text.
//!
//! Only what holiday feeds use is supported: `VEVENT`s with an all-day
//! `DTSTART;VALUE=DATE`, an optional exclusive `DTEND` (or `DURATION:PnD` /
//! `PnW`) for multi-day holidays, `SUMMARY` as the name, and line folding.
//! Cancelled events (`STATUS:CANCELLED`) are skipped. Recurring events
//! (`RRULE`) and timed events are rejected rather than silently dropped, so a
//! feed is never half-imported.

use jiff::civil::Date;
use jiff::ToSpan;

/// Longest event accepted, in days.
const MAX_EVENT_DAYS: i64 = 366;

/// An iCalendar parse error; every variant carries the 1-based line number
/// of the (unfolded) content line at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IcsError {
    /// A content line without `NAME:VALUE` shape.
    #[error("line {line}: malformed content line (expected NAME:VALUE)")]
    Malformed {
        /// Line number.
        line: usize,
    },
    /// A date that is not `YYYYMMDD`.
    #[error("line {line}: invalid date {value:?} in {property} (expected YYYYMMDD)")]
    InvalidDate {
        /// Line number.
        line: usize,
        /// Property name.
        property: String,
        /// The rejected value.
        value: String,
    },
    /// A date-time where an all-day date was expected.
    #[error(
        "line {line}: {property} is a date-time; only all-day events (VALUE=DATE) can be holidays"
    )]
    NotAllDay {
        /// Line number.
        line: usize,
        /// Property name.
        property: String,
    },
    /// An event without `DTSTART`.
    #[error("line {line}: event has no DTSTART")]
    MissingStart {
        /// Line of the event's `BEGIN:VEVENT`.
        line: usize,
    },
    /// `DTEND` not after `DTSTART`, or an event longer than a year.
    #[error("line {line}: event end must be after its start and within {MAX_EVENT_DAYS} days")]
    BadRange {
        /// Line of the event's `END:VEVENT`.
        line: usize,
    },
    /// A `DURATION` other than `PnD` / `PnW`.
    #[error("line {line}: unsupported DURATION {value:?} (expected PnD or PnW)")]
    BadDuration {
        /// Line number.
        line: usize,
        /// The rejected value.
        value: String,
    },
    /// Recurring events are not supported.
    #[error("line {line}: recurring events (RRULE) are not supported; list each holiday")]
    Recurrence {
        /// Line number.
        line: usize,
    },
    /// A `BEGIN`/`END` that does not fit the nesting.
    #[error("line {line}: unexpected {text}")]
    Unexpected {
        /// Line number.
        line: usize,
        /// The line's text.
        text: String,
    },
    /// The input ends inside an event.
    #[error("line {line}: BEGIN:VEVENT is never closed")]
    Unterminated {
        /// Line of the unclosed `BEGIN:VEVENT`.
        line: usize,
    },
}

/// One unfolded content line.
struct ContentLine {
    line: usize,
    name: String,
    params: Vec<String>,
    value: String,
}

/// Event being collected between `BEGIN:VEVENT` and `END:VEVENT`.
#[derive(Default)]
struct Draft {
    begin_line: usize,
    start: Option<Date>,
    end: Option<Date>,
    days: Option<i64>,
    summary: String,
    cancelled: bool,
}

/// Parses holidays from iCalendar text: one `(date, summary)` per day, in
/// file order (a multi-day event yields each of its days; `DTEND` is
/// exclusive).
pub fn parse_ics_holidays(text: &str) -> Result<Vec<(Date, String)>, IcsError> {
    let mut out = Vec::new();
    let mut event: Option<Draft> = None;
    let mut nested = 0usize; // depth of components inside a VEVENT (e.g. VALARM)
    for (line, raw) in unfold(text) {
        let cl = parse_line(line, &raw)?;
        match (cl.name.as_str(), cl.value.to_ascii_uppercase().as_str()) {
            ("BEGIN", "VEVENT") if event.is_none() => {
                event = Some(Draft {
                    begin_line: line,
                    ..Default::default()
                })
            }
            ("BEGIN", "VEVENT") => return Err(unexpected(line, &raw)),
            ("BEGIN", _) if event.is_some() => nested += 1,
            ("END", "VEVENT") if nested == 0 => {
                let done = event.take().ok_or_else(|| unexpected(line, &raw))?;
                out.extend(finish(done, line)?);
            }
            ("END", _) if nested > 0 => nested -= 1,
            _ if nested > 0 => {}
            _ => {
                if let Some(draft) = event.as_mut() {
                    apply(draft, &cl)?;
                }
            }
        }
    }
    match event {
        Some(d) => Err(IcsError::Unterminated { line: d.begin_line }),
        None => Ok(out),
    }
}

fn unexpected(line: usize, raw: &str) -> IcsError {
    IcsError::Unexpected {
        line,
        text: raw.to_string(),
    }
}

/// Joins folded lines (continuations start with a space or tab), keeping the
/// number of each logical line's first physical line. Blank lines are dropped.
fn unfold(text: &str) -> Vec<(usize, String)> {
    let mut lines: Vec<(usize, String)> = Vec::new();
    for (i, physical) in text.lines().enumerate() {
        let physical = physical.strip_suffix('\r').unwrap_or(physical);
        let continues = physical.starts_with([' ', '\t']);
        match lines.last_mut() {
            Some((_, last)) if continues => last.push_str(&physical[1..]),
            _ if physical.trim().is_empty() => {}
            _ => lines.push((i + 1, physical.to_string())),
        }
    }
    lines
}

/// Splits `NAME;PARAM=X;PARAM=Y:VALUE` (colons inside quoted params allowed).
fn parse_line(line: usize, raw: &str) -> Result<ContentLine, IcsError> {
    let mut in_quotes = false;
    let colon = raw.char_indices().find_map(|(i, c)| {
        in_quotes ^= c == '"';
        (c == ':' && !in_quotes).then_some(i)
    });
    let colon = colon.ok_or(IcsError::Malformed { line })?;
    let (head, value) = (&raw[..colon], &raw[colon + 1..]);
    let mut parts = head.split(';');
    let name = parts.next().unwrap_or_default().trim().to_ascii_uppercase();
    if name.is_empty() {
        return Err(IcsError::Malformed { line });
    }
    let params = parts.map(|p| p.trim().to_ascii_uppercase()).collect();
    Ok(ContentLine {
        line,
        name,
        params,
        value: value.trim().to_string(),
    })
}

fn apply(draft: &mut Draft, cl: &ContentLine) -> Result<(), IcsError> {
    match cl.name.as_str() {
        "DTSTART" => draft.start = Some(all_day(cl)?),
        "DTEND" => draft.end = Some(all_day(cl)?),
        "DURATION" => draft.days = Some(duration_days(cl)?),
        "SUMMARY" => draft.summary = unescape(&cl.value),
        "STATUS" => draft.cancelled = cl.value.eq_ignore_ascii_case("CANCELLED"),
        "RRULE" | "RDATE" => return Err(IcsError::Recurrence { line: cl.line }),
        _ => {}
    }
    Ok(())
}

/// Reads an all-day date value (`VALUE=DATE` or a bare 8-digit value).
fn all_day(cl: &ContentLine) -> Result<Date, IcsError> {
    let is_date_param = cl.params.iter().any(|p| p == "VALUE=DATE");
    if cl.value.contains('T') || (!is_date_param && cl.value.len() != 8) {
        return Err(IcsError::NotAllDay {
            line: cl.line,
            property: cl.name.clone(),
        });
    }
    parse_date(&cl.value).ok_or_else(|| IcsError::InvalidDate {
        line: cl.line,
        property: cl.name.clone(),
        value: cl.value.clone(),
    })
}

fn parse_date(v: &str) -> Option<Date> {
    if v.len() != 8 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: i16 = v[0..4].parse().ok()?;
    let month: i8 = v[4..6].parse().ok()?;
    let day: i8 = v[6..8].parse().ok()?;
    Date::new(year, month, day).ok()
}

/// `PnD` or `PnW` (optionally with a `+` sign) as a number of days.
fn duration_days(cl: &ContentLine) -> Result<i64, IcsError> {
    let bad = || IcsError::BadDuration {
        line: cl.line,
        value: cl.value.clone(),
    };
    let v = cl.value.trim_start_matches('+').to_ascii_uppercase();
    let body = v.strip_prefix('P').ok_or_else(bad)?;
    let (num, unit) = body.split_at(body.len().saturating_sub(1));
    let n: i64 = num.parse().map_err(|_| bad())?;
    match unit {
        "D" => Ok(n),
        "W" => Ok(n * 7),
        _ => Err(bad()),
    }
}

fn unescape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => match chars.next() {
                Some('n') | Some('N') => out.push('\n'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            },
            (c, false) => out.push(c),
        }
    }
    out
}

/// Expands a finished event into its days.
fn finish(d: Draft, end_line: usize) -> Result<Vec<(Date, String)>, IcsError> {
    let start = d
        .start
        .ok_or(IcsError::MissingStart { line: d.begin_line })?;
    let days = match (d.end, d.days) {
        (Some(end), _) => (end - start).get_days() as i64,
        (None, Some(n)) => n,
        (None, None) => 1,
    };
    if !(1..=MAX_EVENT_DAYS).contains(&days) {
        return Err(IcsError::BadRange { line: end_line });
    }
    if d.cancelled {
        return Ok(Vec::new());
    }
    let dates = (0..days).filter_map(|i| start.checked_add(i.days()).ok());
    Ok(dates.map(|date| (date, d.summary.clone())).collect())
}
