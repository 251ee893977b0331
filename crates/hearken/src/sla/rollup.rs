//! Incremental aggregates behind the reporting dashboard (`sla_rollups`): what one
//! conversation's clocks add to each day, dimension and metric. When a conversation is
//! recomputed its previous contributions are subtracted and the new ones added, so the
//! dashboard reads a few rows per day instead of scanning clocks or messages.

use std::collections::BTreeMap;

use hearken_sla::stats::QuantileSketch;
use jiff::tz::TimeZone;

use crate::domain::time::from_millis;
use crate::storage::sla::{SlaClockRow, SlaStateRow};

/// Relative error of the rollup quantiles.
pub const SKETCH_ALPHA: f64 = 0.01;

/// The dimensions rolled up (with `tag` added per tag).
pub const DIMS: [&str; 6] = ["none", "agent", "team", "channel", "account", "policy"];

/// The primary key of a rollup row (without the workspace).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pub day: String,
    pub dim: String,
    pub value: String,
    pub metric: String,
}

/// What a conversation adds to one rollup row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Delta {
    pub count: i64,
    pub unanswered: i64,
    pub sum_business: i64,
    pub sum_calendar: i64,
    pub met: i64,
    pub breached: i64,
    pub inbound: i64,
    pub answered: i64,
    pub opened: i64,
    /// Duration samples to add to (or remove from) the sketches.
    pub business: Vec<i64>,
    pub calendar: Vec<i64>,
}

fn day(ms: i64, tz: &TimeZone) -> String {
    from_millis(ms).to_zoned(tz.clone()).date().to_string()
}

fn opt(v: Option<i64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// The (dimension, value) pairs a conversation is counted under.
pub fn dims_of(s: &SlaStateRow, tags: &[String]) -> Vec<(String, String)> {
    let mut out = vec![
        ("none".to_owned(), String::new()),
        ("agent".to_owned(), opt(s.assignee_id)),
        ("team".to_owned(), opt(s.team_id)),
        ("channel".to_owned(), s.channel.clone()),
        ("account".to_owned(), s.account_id.to_string()),
        (
            "policy".to_owned(),
            s.policy_key.clone().unwrap_or_default(),
        ),
    ];
    if tags.is_empty() {
        out.push(("tag".to_owned(), String::new()));
    }
    for t in tags {
        out.push(("tag".to_owned(), t.clone()));
    }
    out
}

/// Every rollup row a conversation contributes to, with what it adds.
pub fn contributions(
    s: &SlaStateRow,
    clocks: &[SlaClockRow],
    tags: &[String],
    tz: &TimeZone,
) -> BTreeMap<Key, Delta> {
    let mut per: BTreeMap<(String, String), Delta> = BTreeMap::new();
    per.entry((day(s.opened_at, tz), "case".into()))
        .or_default()
        .opened += 1;
    for k in clocks {
        let cancelled = k.outcome == "cancelled";
        if let Some(end) = k.ended_at.filter(|_| !cancelled) {
            let d = per.entry((day(end, tz), k.metric.clone())).or_default();
            d.count += 1;
            d.sum_business += k.active_business_minutes;
            d.sum_calendar += k.active_calendar_minutes;
            d.met += i64::from(k.outcome == "met");
            d.breached += i64::from(k.outcome == "breached");
            d.business.push(k.active_business_minutes);
            d.calendar.push(k.active_calendar_minutes);
        }
        if k.metric != "resolution" {
            let answered = k.ended_at.is_some() && !cancelled;
            let d = per
                .entry((day(k.started_at, tz), k.metric.clone()))
                .or_default();
            d.inbound += k.inbound_items;
            if answered {
                d.answered += k.inbound_items;
            } else if k.metric == "first_response" {
                d.unanswered += 1;
            }
        }
    }
    let mut out = BTreeMap::new();
    for (dim, value) in dims_of(s, tags) {
        for ((day, metric), d) in &per {
            out.insert(
                Key {
                    day: day.clone(),
                    dim: dim.clone(),
                    value: value.clone(),
                    metric: metric.clone(),
                },
                d.clone(),
            );
        }
    }
    out
}

/// Applies a delta to a stored sketch (JSON), adding or removing its samples.
pub fn apply_sketch(stored: Option<&str>, samples: &[i64], add: bool) -> String {
    let mut sk = stored
        .and_then(|s| serde_json::from_str::<QuantileSketch>(s).ok())
        .unwrap_or_else(|| QuantileSketch::new(SKETCH_ALPHA).expect("valid alpha"));
    for v in samples {
        if add {
            sk.insert(*v as f64);
        } else {
            sk.remove(*v as f64);
        }
    }
    serde_json::to_string(&sk).unwrap_or_default()
}
