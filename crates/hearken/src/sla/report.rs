//! SLA reporting: figures per day or week (in a stated time zone), sliced by one
//! dimension, from the stored clocks; and their CSV forms.
//!
//! Population rule: every figure of a period is keyed by the time of its event. A
//! duration counts in the period its clock ended (a case resolved in the period counts
//! in "resolved" and in the resolution times of the same period); cases opened count by
//! their first event; unanswered first responses and reply-rate items count by the
//! customer message that started the clock. Quantiles are exact, nearest rank, from the
//! stored per-clock figures.

use std::collections::{BTreeMap, HashMap};

use hearken_sla::stats::{summarize, QuantileMethod, SketchSum};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::domain::time::{from_millis, rfc3339};
use crate::domain::WorkspaceId;
use crate::storage::sla::{SlaClockRow, SlaStateRow};
use crate::storage::{DynStore, StoreResult};

/// Period length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Bucket {
    #[default]
    Day,
    Week,
}

/// The dimension a report is sliced by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Dimension {
    #[default]
    None,
    Agent,
    Team,
    Channel,
    Account,
    Tag,
    Policy,
}

impl Dimension {
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::None => "none",
            Dimension::Agent => "agent",
            Dimension::Team => "team",
            Dimension::Channel => "channel",
            Dimension::Account => "account",
            Dimension::Tag => "tag",
            Dimension::Policy => "policy",
        }
    }

    /// Parses a `--by` / `by=` value.
    pub fn parse(s: &str) -> Option<Dimension> {
        [
            Dimension::None,
            Dimension::Agent,
            Dimension::Team,
            Dimension::Channel,
            Dimension::Account,
            Dimension::Tag,
            Dimension::Policy,
        ]
        .into_iter()
        .find(|d| d.as_str() == s)
    }
}

/// Which minutes durations are reported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TimeKind {
    #[default]
    Business,
    Calendar,
}

impl TimeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TimeKind::Business => "business",
            TimeKind::Calendar => "calendar",
        }
    }
}

/// What to report.
#[derive(Debug, Clone)]
pub struct ReportQuery {
    /// Window start, epoch ms (inclusive).
    pub from: i64,
    /// Window end, epoch ms (exclusive).
    pub to: i64,
    /// IANA zone that periods are cut in.
    pub zone: String,
    pub bucket: Bucket,
    pub by: Dimension,
    pub time: TimeKind,
}

/// Duration figures of one metric in one cell, in minutes.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Stat {
    /// Clocks that ended with an answer (or resolution) in the period.
    pub count: usize,
    /// First responses still unanswered (or closed unanswered), reported apart.
    pub unanswered: usize,
    pub mean: Option<f64>,
    pub median: Option<f64>,
    pub p90: Option<f64>,
    pub p95: Option<f64>,
    /// Of the clocks with a target, the share met.
    pub within_target: Option<f64>,
    pub met: usize,
    pub breached: usize,
}

/// One row of a report: a period and a dimension value (`all` periods for totals).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportRow {
    /// First day of the period (YYYY-MM-DD in the report's zone) or `all`.
    pub period: String,
    /// The dimension value (a name), or `all`.
    pub key: String,
    pub cases_opened: usize,
    pub cases_resolved: usize,
    pub first_response: Stat,
    pub next_response: Stat,
    pub resolution: Stat,
    pub inbound_items: i64,
    pub answered_items: i64,
    /// answered_items / inbound_items.
    pub reply_rate: Option<f64>,
}

/// A computed report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub from: String,
    pub to: String,
    /// The zone periods and the from/to dates are in.
    pub zone: String,
    pub bucket: String,
    pub by: String,
    /// `business` or `calendar` minutes.
    pub time: String,
    /// How quantiles are computed.
    pub method: String,
    pub rows: Vec<ReportRow>,
    /// One row per dimension value over the whole window.
    pub totals: Vec<ReportRow>,
}

/// Names for dimension ids.
#[derive(Debug, Default, Clone)]
pub struct Labels {
    pub users: HashMap<i64, String>,
    pub teams: HashMap<i64, String>,
    pub accounts: HashMap<i64, String>,
}

impl Labels {
    /// Loads the names of users, teams and accounts.
    pub async fn load(store: &DynStore, ws: WorkspaceId) -> StoreResult<Labels> {
        Ok(Labels {
            users: store
                .users(ws)
                .await?
                .into_iter()
                .map(|u| (u.id, u.display_name))
                .collect(),
            teams: store
                .teams(ws)
                .await?
                .into_iter()
                .map(|t| (t.id, t.name))
                .collect(),
            accounts: store
                .accounts(ws)
                .await?
                .into_iter()
                .map(|a| (a.id, format!("{}:{}", a.channel, a.handle)))
                .collect(),
        })
    }

    fn id(map: &HashMap<i64, String>, id: Option<i64>) -> String {
        match id {
            Some(i) => map.get(&i).cloned().unwrap_or_else(|| format!("#{i}")),
            None => "(none)".into(),
        }
    }
}

/// The clocks and openings a report is computed from.
pub struct ReportData {
    pub clocks: Vec<SlaClockRow>,
    pub opened: Vec<SlaStateRow>,
    pub tags: HashMap<i64, Vec<String>>,
    pub labels: Labels,
}

impl ReportData {
    /// Reads what the window needs.
    pub async fn load(
        store: &DynStore,
        ws: WorkspaceId,
        from: i64,
        to: i64,
    ) -> StoreResult<ReportData> {
        let mut tags: HashMap<i64, Vec<String>> = HashMap::new();
        for (id, tag) in store.sla_report_tags(ws, from, to).await? {
            tags.entry(id).or_default().push(tag);
        }
        Ok(ReportData {
            clocks: store.sla_report_clocks(ws, from, to).await?,
            opened: store.sla_report_opened(ws, from, to).await?,
            tags,
            labels: Labels::load(store, ws).await?,
        })
    }
}

#[derive(Default)]
struct Cell {
    opened: usize,
    resolved: usize,
    fr: Vec<Option<i64>>,
    nr: Vec<Option<i64>>,
    res: Vec<Option<i64>>,
    fr_t: (usize, usize),
    nr_t: (usize, usize),
    res_t: (usize, usize),
    inbound: i64,
    answered: i64,
}

/// A report's zone, falling back to UTC for an unknown name.
pub fn zone(name: &str) -> TimeZone {
    TimeZone::get(name).unwrap_or(TimeZone::UTC)
}

fn period(ms: i64, tz: &TimeZone, bucket: Bucket) -> String {
    let date: Date = from_millis(ms).to_zoned(tz.clone()).date();
    let start = match bucket {
        Bucket::Day => date,
        Bucket::Week => {
            let back = i64::from(date.weekday().to_monday_zero_offset());
            date.checked_sub(jiff::Span::new().days(back))
                .unwrap_or(date)
        }
    };
    start.to_string()
}

#[allow(clippy::too_many_arguments)]
fn keys(
    by: Dimension,
    labels: &Labels,
    tags: &HashMap<i64, Vec<String>>,
    conversation_id: i64,
    account_id: i64,
    channel: &str,
    assignee_id: Option<i64>,
    team_id: Option<i64>,
    policy: Option<&str>,
) -> Vec<String> {
    match by {
        Dimension::None => vec!["all".into()],
        Dimension::Agent => vec![Labels::id(&labels.users, assignee_id)],
        Dimension::Team => vec![Labels::id(&labels.teams, team_id)],
        Dimension::Channel => vec![channel.to_owned()],
        Dimension::Account => vec![Labels::id(&labels.accounts, Some(account_id))],
        Dimension::Policy => vec![policy.unwrap_or("(none)").to_owned()],
        Dimension::Tag => match tags.get(&conversation_id) {
            Some(t) if !t.is_empty() => t.clone(),
            _ => vec!["(none)".into()],
        },
    }
}

fn in_window(ms: i64, q: &ReportQuery) -> bool {
    ms >= q.from && ms < q.to
}

/// Computes the report.
pub fn compute(q: &ReportQuery, data: &ReportData) -> Report {
    let tz = zone(&q.zone);
    let mut cells: BTreeMap<(String, String), Cell> = BTreeMap::new();
    let mut touch = |period: &str, keys: &[String], f: &mut dyn FnMut(&mut Cell)| {
        for k in keys {
            f(cells.entry((period.to_owned(), k.clone())).or_default());
            f(cells.entry(("all".to_owned(), k.clone())).or_default());
        }
    };
    for s in &data.opened {
        let ks = keys(
            q.by,
            &data.labels,
            &data.tags,
            s.conversation_id,
            s.account_id,
            &s.channel,
            s.assignee_id,
            s.team_id,
            s.policy_key.as_deref(),
        );
        touch(&period(s.opened_at, &tz, q.bucket), &ks, &mut |c| {
            c.opened += 1
        });
    }
    for k in &data.clocks {
        let ks = keys(
            q.by,
            &data.labels,
            &data.tags,
            k.conversation_id,
            k.account_id,
            &k.channel,
            k.assignee_id,
            k.team_id,
            k.policy_key.as_deref(),
        );
        let cancelled = k.outcome == "cancelled";
        let minutes = match q.time {
            TimeKind::Business => k.active_business_minutes,
            TimeKind::Calendar => k.active_calendar_minutes,
        };
        let met = k.outcome == "met";
        let breached = k.outcome == "breached";
        if let Some(end) = k.ended_at.filter(|e| in_window(*e, q) && !cancelled) {
            let p = period(end, &tz, q.bucket);
            touch(&p, &ks, &mut |c| {
                let (v, t) = match k.metric.as_str() {
                    "first_response" => (&mut c.fr, &mut c.fr_t),
                    "next_response" => (&mut c.nr, &mut c.nr_t),
                    _ => {
                        c.resolved += 1;
                        (&mut c.res, &mut c.res_t)
                    }
                };
                v.push(Some(minutes));
                t.0 += usize::from(met);
                t.1 += usize::from(breached);
            });
        }
        if in_window(k.started_at, q) && k.metric != "resolution" {
            let answered = k.ended_at.is_some() && !cancelled;
            let p = period(k.started_at, &tz, q.bucket);
            touch(&p, &ks, &mut |c| {
                c.inbound += k.inbound_items;
                if answered {
                    c.answered += k.inbound_items;
                }
                if k.metric == "first_response" && !answered {
                    c.fr.push(None);
                }
            });
        }
    }
    let mut rows = Vec::new();
    let mut totals = Vec::new();
    for ((period, key), c) in cells {
        let row = ReportRow {
            cases_opened: c.opened,
            cases_resolved: c.resolved,
            first_response: stat(&c.fr, c.fr_t),
            next_response: stat(&c.nr, c.nr_t),
            resolution: stat(&c.res, c.res_t),
            inbound_items: c.inbound,
            answered_items: c.answered,
            reply_rate: (c.inbound > 0).then(|| c.answered as f64 / c.inbound as f64),
            period: period.clone(),
            key,
        };
        if period == "all" {
            totals.push(row);
        } else {
            rows.push(row);
        }
    }
    Report {
        from: rfc3339(q.from),
        to: rfc3339(q.to),
        zone: q.zone.clone(),
        bucket: match q.bucket {
            Bucket::Day => "day".into(),
            Bucket::Week => "week".into(),
        },
        by: q.by.as_str().into(),
        time: q.time.as_str().into(),
        method: "exact nearest-rank quantiles over every clock in the window".into(),
        rows,
        totals,
    }
}

fn stat(samples: &[Option<i64>], (met, breached): (usize, usize)) -> Stat {
    let s = summarize(samples, QuantileMethod::NearestRank);
    Stat {
        count: s.count,
        unanswered: s.unanswered,
        mean: s.mean,
        median: s.median,
        p90: s.p90,
        p95: s.p95,
        within_target: (met + breached > 0).then(|| met as f64 / (met + breached) as f64),
        met,
        breached,
    }
}

/// Makes a cell inert for spreadsheets: a leading `=`, `+`, `-`, `@`, tab or CR gets a
/// `'` in front.
pub fn safe_cell(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_owned(),
    }
}

fn num(v: Option<f64>) -> String {
    v.map(|x| format!("{}", (x * 100.0).round() / 100.0))
        .unwrap_or_default()
}

/// UTF-8 with a byte order mark, so spreadsheet programs read it as UTF-8.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

fn write_csv(header: Vec<String>, rows: Vec<Vec<String>>) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(BOM.to_vec());
    let _ = w.write_record(header.iter().map(|h| safe_cell(h)));
    for r in rows {
        let _ = w.write_record(r.iter().map(|c| safe_cell(c)));
    }
    w.into_inner().unwrap_or_default()
}

/// The aggregate tables as CSV: one line per period and dimension value, then the
/// window totals (period `all`). Duration columns are named metric_statistic_unit.
pub fn aggregate_csv(r: &Report) -> Vec<u8> {
    let unit = format!("{}_minutes", r.time);
    let mut header: Vec<String> = vec![
        "period_start".into(),
        format!("dimension_{}", r.by),
        "cases_opened".into(),
        "cases_resolved".into(),
    ];
    for m in ["first_response", "next_response", "resolution"] {
        header.push(format!("{m}_count"));
        if m == "first_response" {
            header.push(format!("{m}_unanswered_count"));
        }
        for s in ["median", "p90", "p95", "mean"] {
            header.push(format!("{m}_{s}_{unit}"));
        }
        header.push(format!("{m}_within_target_share"));
    }
    header.extend([
        "inbound_items".into(),
        "answered_items".into(),
        "reply_rate".into(),
    ]);
    let rows = r
        .rows
        .iter()
        .chain(&r.totals)
        .map(|row| {
            let mut v = vec![
                row.period.clone(),
                row.key.clone(),
                row.cases_opened.to_string(),
                row.cases_resolved.to_string(),
            ];
            for (i, s) in [&row.first_response, &row.next_response, &row.resolution]
                .into_iter()
                .enumerate()
            {
                v.push(s.count.to_string());
                if i == 0 {
                    v.push(s.unanswered.to_string());
                }
                for x in [s.median, s.p90, s.p95, s.mean] {
                    v.push(num(x));
                }
                v.push(num(s.within_target));
            }
            v.push(row.inbound_items.to_string());
            v.push(row.answered_items.to_string());
            v.push(num(row.reply_rate));
            v
        })
        .collect();
    write_csv(header, rows)
}

/// One line per conversation with a clock or an opening in the window: every metric,
/// the policy and the met or breached outcome.
pub fn conversation_csv(data: &ReportData) -> Vec<u8> {
    let header: Vec<String> = [
        "conversation_id",
        "channel",
        "account",
        "agent",
        "team",
        "policy",
        "policy_version",
        "opened_at_utc",
        "first_response_started_at_utc",
        "first_response_ended_at_utc",
        "first_response_time_calendar_minutes",
        "first_response_time_business_minutes",
        "first_response_target_minutes",
        "first_response_outcome",
        "next_response_count",
        "next_response_time_total_business_minutes",
        "next_response_time_max_business_minutes",
        "next_response_breached_count",
        "resolution_resolved_at_utc",
        "resolution_time_calendar_minutes",
        "resolution_active_business_minutes",
        "resolution_paused_business_minutes",
        "resolution_target_minutes",
        "resolution_outcome",
        "inbound_items",
        "answered_items",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut by_conv: BTreeMap<i64, Vec<&SlaClockRow>> = BTreeMap::new();
    for k in &data.clocks {
        by_conv.entry(k.conversation_id).or_default().push(k);
    }
    let opened: HashMap<i64, &SlaStateRow> =
        data.opened.iter().map(|s| (s.conversation_id, s)).collect();
    for s in &data.opened {
        by_conv.entry(s.conversation_id).or_default();
    }
    let l = &data.labels;
    let t = |v: Option<i64>| v.map(rfc3339).unwrap_or_default();
    let o = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
    let rows = by_conv
        .into_iter()
        .map(|(id, clocks)| {
            let mut clocks = clocks;
            clocks.sort_by_key(|k| k.seq);
            let first = clocks.iter().find(|k| k.metric == "first_response");
            let next: Vec<&&SlaClockRow> = clocks
                .iter()
                .filter(|k| k.metric == "next_response" && k.ended_at.is_some())
                .collect();
            let res = clocks.iter().find(|k| k.metric == "resolution");
            let any = clocks.first().copied();
            let st = opened.get(&id).copied();
            let account_id = any.map(|k| k.account_id).or(st.map(|s| s.account_id));
            let channel = any
                .map(|k| k.channel.clone())
                .or(st.map(|s| s.channel.clone()))
                .unwrap_or_default();
            let assignee = any.map_or(st.and_then(|s| s.assignee_id), |k| k.assignee_id);
            let team = any.map_or(st.and_then(|s| s.team_id), |k| k.team_id);
            let answered_fr = first.filter(|k| k.ended_at.is_some() && k.outcome != "cancelled");
            let resolved = res.filter(|k| k.ended_at.is_some());
            let inbound: i64 = clocks.iter().map(|k| k.inbound_items).sum();
            let answered: i64 = clocks
                .iter()
                .filter(|k| k.ended_at.is_some() && k.outcome != "cancelled")
                .map(|k| k.inbound_items)
                .sum();
            vec![
                id.to_string(),
                channel,
                Labels::id(&l.accounts, account_id),
                Labels::id(&l.users, assignee),
                Labels::id(&l.teams, team),
                any.and_then(|k| k.policy_key.clone())
                    .or(st.and_then(|s| s.policy_key.clone()))
                    .unwrap_or_default(),
                o(res
                    .and_then(|k| k.policy_version)
                    .or(st.and_then(|s| s.policy_version))),
                t(st.map(|s| s.opened_at)),
                t(first.map(|k| k.started_at)),
                t(answered_fr.and_then(|k| k.ended_at)),
                o(answered_fr.map(|k| k.active_calendar_minutes)),
                o(answered_fr.map(|k| k.active_business_minutes)),
                o(first.and_then(|k| k.target_minutes)),
                first.map(|k| k.outcome.clone()).unwrap_or_default(),
                next.len().to_string(),
                next.iter()
                    .map(|k| k.active_business_minutes)
                    .sum::<i64>()
                    .to_string(),
                o(next.iter().map(|k| k.active_business_minutes).max()),
                next.iter()
                    .filter(|k| k.outcome == "breached")
                    .count()
                    .to_string(),
                t(resolved.and_then(|k| k.ended_at)),
                o(resolved.map(|k| k.active_calendar_minutes)),
                o(resolved.map(|k| k.active_business_minutes)),
                o(resolved.map(|k| k.paused_business_minutes)),
                o(res.and_then(|k| k.target_minutes)),
                res.map(|k| k.outcome.clone()).unwrap_or_default(),
                inbound.to_string(),
                answered.to_string(),
            ]
        })
        .collect();
    write_csv(header, rows)
}

/// Parses `YYYY-MM-DD` as the start of that day in `tz`, epoch ms.
pub fn day_start(date: &str, tz: &TimeZone) -> Option<i64> {
    let d: Date = date.trim().parse().ok()?;
    let z = d.to_zoned(tz.clone()).ok()?;
    Some(z.timestamp().as_millisecond())
}

/// A small bar chart (SVG) of one duration statistic per period, with a table beside it
/// on the page. Labels are escaped.
pub fn median_chart_svg(r: &Report, title: &str, pick: fn(&ReportRow) -> Option<f64>) -> String {
    use crate::dashboard::chart::escape;
    let rows: Vec<&ReportRow> = r
        .rows
        .iter()
        .filter(|row| row.key == "all" || r.by != "none")
        .collect();
    let mut periods: Vec<&str> = rows.iter().map(|r| r.period.as_str()).collect();
    periods.dedup();
    let mut values: BTreeMap<&str, f64> = BTreeMap::new();
    for row in &rows {
        if let Some(v) = pick(row) {
            let e = values.entry(row.period.as_str()).or_insert(0.0);
            *e = e.max(v);
        }
    }
    let (w, h, pad) = (720.0_f64, 160.0_f64, 24.0_f64);
    let n = periods.len().max(1) as f64;
    let max = values.values().copied().fold(1.0_f64, f64::max);
    let bw = (w - pad) / n;
    let mut bars = String::new();
    for (i, p) in periods.iter().enumerate() {
        let v = values.get(p).copied().unwrap_or(0.0);
        let bh = v / max * (h - 2.0 * pad);
        bars.push_str(&format!(
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#2563eb\"><title>{}: {:.1}</title></rect>",
            pad + i as f64 * bw,
            h - pad - bh,
            (bw - 2.0).max(1.0),
            bh,
            escape(p),
            v
        ));
    }
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{t}\"><text x=\"{pad}\" y=\"14\" font-size=\"12\">{t} (max {max:.0} {unit} minutes)</text>{bars}</svg>",
        t = escape(title),
        unit = escape(&r.time),
    )
}

/// Report parameters as they arrive from a URL or the command line.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// First day, `YYYY-MM-DD` in the workspace's time zone (default: 29 days before `to`).
    pub from: Option<String>,
    /// Last day, inclusive, `YYYY-MM-DD` in the workspace's time zone (default: today).
    pub to: Option<String>,
    /// `day` (default) or `week` (weeks start on Monday).
    pub bucket: Option<String>,
    /// Slice by `none` (default), `agent`, `team`, `channel`, `account`, `tag` or `policy`.
    pub by: Option<String>,
    /// Durations in `business` (default) or `calendar` minutes.
    pub time: Option<String>,
    /// `json` (default) or `csv` (the aggregate table).
    pub format: Option<String>,
    /// `true`: exact quantiles from every stored clock (slower); default: the incremental
    /// daily aggregates, whose quantiles carry a 1 % relative error.
    pub exact: Option<bool>,
}

/// The workspace's time zone: its default (first) calendar's zone, else UTC.
pub async fn workspace_zone(store: &DynStore, ws: WorkspaceId) -> StoreResult<String> {
    let cals = store.sla_calendars(ws).await?;
    Ok(cals
        .first()
        .map(|c| crate::sla::engine::build_calendar(c).zone_name().to_owned())
        .unwrap_or_else(|| "UTC".into()))
}

impl ReportParams {
    /// Validates into a query in the given zone; the message says what is wrong.
    pub fn to_query(&self, zone_name: &str, now: i64) -> Result<ReportQuery, String> {
        let tz = zone(zone_name);
        let today = from_millis(now).to_zoned(tz.clone()).date().to_string();
        let to_day = self
            .to
            .clone()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or(today);
        let to_start = day_start(&to_day, &tz).ok_or("to must be a date YYYY-MM-DD")?;
        let to: Date = to_day
            .trim()
            .parse()
            .map_err(|_| "to must be a date YYYY-MM-DD")?;
        let next = to.tomorrow().map_err(|_| "to is out of range")?;
        let to_ms = day_start(&next.to_string(), &tz).unwrap_or(to_start + 86_400_000);
        let from_ms = match self.from.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(f) => day_start(f, &tz).ok_or("from must be a date YYYY-MM-DD")?,
            None => {
                let back = to
                    .checked_sub(jiff::Span::new().days(29))
                    .map_err(|_| "to is out of range")?;
                day_start(&back.to_string(), &tz).unwrap_or(to_start)
            }
        };
        if from_ms >= to_ms {
            return Err("from must not be after to".into());
        }
        if to_ms - from_ms > 400 * 86_400_000 {
            return Err("a report covers at most 400 days".into());
        }
        let bucket = match self.bucket.as_deref().unwrap_or("day") {
            "day" | "" => Bucket::Day,
            "week" => Bucket::Week,
            _ => return Err("bucket must be day or week".into()),
        };
        let by = Dimension::parse(
            self.by
                .as_deref()
                .filter(|s| !s.is_empty())
                .unwrap_or("none"),
        )
        .ok_or("by must be none, agent, team, channel, account, tag or policy")?;
        let time = match self.time.as_deref().unwrap_or("business") {
            "business" | "" => TimeKind::Business,
            "calendar" => TimeKind::Calendar,
            _ => return Err("time must be business or calendar".into()),
        };
        Ok(ReportQuery {
            from: from_ms,
            to: to_ms,
            zone: zone_name.to_owned(),
            bucket,
            by,
            time,
        })
    }
}

/// Validates the parameters, loads the window and computes the report.
pub async fn run(
    store: &DynStore,
    ws: WorkspaceId,
    params: &ReportParams,
    now: i64,
) -> Result<(Report, ReportData), RunError> {
    let zone = workspace_zone(store, ws).await?;
    let q = params.to_query(&zone, now).map_err(RunError::Invalid)?;
    let data = ReportData::load(store, ws, q.from, q.to).await?;
    Ok((compute(&q, &data), data))
}

/// The dashboard's fast path: the same report from the daily rollups (quantiles from
/// merged sketches, 1 % relative error; counts, means and shares exact). Windows are
/// whole days in the workspace's zone, as `to_query` makes them.
pub async fn run_rollups(
    store: &DynStore,
    ws: WorkspaceId,
    params: &ReportParams,
    now: i64,
) -> Result<Report, RunError> {
    let zone_name = workspace_zone(store, ws).await?;
    let q = params
        .to_query(&zone_name, now)
        .map_err(RunError::Invalid)?;
    let tz = zone(&zone_name);
    let first = from_millis(q.from).to_zoned(tz.clone()).date().to_string();
    let last = from_millis(q.to - 1)
        .to_zoned(tz.clone())
        .date()
        .to_string();
    let business = matches!(q.time, TimeKind::Business);
    let rows = store
        .sla_rollups(ws, q.by.as_str(), &first, &last, business)
        .await?;
    let labels = Labels::load(store, ws).await?;
    Ok(compute_from_rollups(&q, &rows, &labels))
}

#[derive(Default)]
struct RollCell {
    opened: i64,
    metrics: [RollMetric; 3],
    inbound: i64,
    answered: i64,
}

#[derive(Default)]
struct RollMetric {
    count: i64,
    unanswered: i64,
    sum: i64,
    met: i64,
    breached: i64,
    sketch: Option<SketchSum>,
}

fn week_of(day: &str, bucket: Bucket) -> String {
    match (bucket, day.parse::<Date>()) {
        (Bucket::Week, Ok(d)) => {
            let back = i64::from(d.weekday().to_monday_zero_offset());
            d.checked_sub(jiff::Span::new().days(back))
                .unwrap_or(d)
                .to_string()
        }
        _ => day.to_owned(),
    }
}

/// Merges rollup rows into a report.
pub fn compute_from_rollups(
    q: &ReportQuery,
    rows: &[crate::storage::sla::SlaRollupRow],
    labels: &Labels,
) -> Report {
    let label = |v: &str| -> String {
        let id = v.parse::<i64>().ok();
        match q.by {
            Dimension::None => "all".into(),
            _ if v.is_empty() => "(none)".into(),
            Dimension::Agent => Labels::id(&labels.users, id),
            Dimension::Team => Labels::id(&labels.teams, id),
            Dimension::Account => Labels::id(&labels.accounts, id),
            _ => v.to_owned(),
        }
    };
    // Cells by period, then by slice label; labels are made once per slice value and
    // looked up without allocating, since a sliced window holds thousands of rows.
    let mut cells: BTreeMap<String, BTreeMap<String, RollCell>> = BTreeMap::new();
    let mut labels_of: HashMap<&str, String> = HashMap::new();
    for r in rows {
        let key: &str = labels_of
            .entry(r.dim_value.as_str())
            .or_insert_with(|| label(&r.dim_value));
        let i = match r.metric.as_str() {
            "case" => 3,
            "first_response" => 0,
            "next_response" => 1,
            _ => 2,
        };
        let (sum, sketch) = match q.time {
            TimeKind::Business => (r.sum_business, r.sketch_business.as_deref()),
            TimeKind::Calendar => (r.sum_calendar, r.sketch_calendar.as_deref()),
        };
        // Parsed once, merged into the period's cell and the window total.
        let sketch = sketch
            .filter(|_| i < 3)
            .and_then(hearken_sla::stats::QuantileSketch::decode);
        let week = (q.bucket == Bucket::Week).then(|| week_of(&r.day, q.bucket));
        for period in [week.as_deref().unwrap_or(&r.day), "all"] {
            if !cells.contains_key(period) {
                cells.insert(period.to_owned(), BTreeMap::new());
            }
            let by_key = cells.get_mut(period).expect("inserted above");
            if !by_key.contains_key(key) {
                by_key.insert(key.to_owned(), RollCell::default());
            }
            let c = by_key.get_mut(key).expect("inserted above");
            if i == 3 {
                c.opened += r.opened;
                continue;
            }
            c.inbound += r.inbound;
            c.answered += r.answered;
            let m = &mut c.metrics[i];
            m.count += r.count;
            m.unanswered += r.unanswered;
            m.met += r.met;
            m.breached += r.breached;
            m.sum += sum;
            if let Some(sk) = &sketch {
                let sum = m.sketch.get_or_insert_with(|| {
                    SketchSum::new(crate::sla::rollup::SKETCH_ALPHA).expect("valid alpha")
                });
                let _ = sum.add(sk);
            }
        }
    }
    let stat = |m: &RollMetric| {
        let sk = m.sketch.as_ref();
        let qv = |p: f64| {
            sk.and_then(|s| s.quantile(p))
                .filter(|_| m.count > 0)
                .map(|v| v.round())
        };
        Stat {
            count: m.count.max(0) as usize,
            unanswered: m.unanswered.max(0) as usize,
            mean: (m.count > 0).then(|| m.sum as f64 / m.count as f64),
            median: qv(0.5),
            p90: qv(0.9),
            p95: qv(0.95),
            within_target: (m.met + m.breached > 0)
                .then(|| m.met as f64 / (m.met + m.breached) as f64),
            met: m.met.max(0) as usize,
            breached: m.breached.max(0) as usize,
        }
    };
    let mut out_rows = Vec::new();
    let mut totals = Vec::new();
    let flat = cells
        .into_iter()
        .flat_map(|(period, by_key)| by_key.into_iter().map(move |(k, c)| (period.clone(), k, c)));
    for (period, key, c) in flat {
        let row = ReportRow {
            cases_opened: c.opened.max(0) as usize,
            cases_resolved: c.metrics[2].count.max(0) as usize,
            first_response: stat(&c.metrics[0]),
            next_response: stat(&c.metrics[1]),
            resolution: stat(&c.metrics[2]),
            inbound_items: c.inbound,
            answered_items: c.answered,
            reply_rate: (c.inbound > 0).then(|| c.answered as f64 / c.inbound as f64),
            period: period.clone(),
            key,
        };
        if period == "all" {
            totals.push(row);
        } else {
            out_rows.push(row);
        }
    }
    Report {
        from: rfc3339(q.from),
        to: rfc3339(q.to),
        zone: q.zone.clone(),
        bucket: match q.bucket {
            Bucket::Day => "day".into(),
            Bucket::Week => "week".into(),
        },
        by: q.by.as_str().into(),
        time: q.time.as_str().into(),
        method: format!(
            "quantiles from daily mergeable sketches (relative error {} %, rounded to whole minutes); counts, means and shares exact",
            crate::sla::rollup::SKETCH_ALPHA * 100.0
        ),
        rows: out_rows,
        totals,
    }
}

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] crate::storage::StoreError),
}
