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

/// Applies a delta to a stored sketch, adding or removing its samples.
pub fn apply_sketch(stored: Option<&str>, samples: &[i64], add: bool) -> String {
    let mut sk = stored
        .and_then(QuantileSketch::decode)
        .unwrap_or_else(|| QuantileSketch::new(SKETCH_ALPHA).expect("valid alpha"));
    for v in samples {
        if add {
            sk.insert(*v as f64);
        } else {
            sk.remove(*v as f64);
        }
    }
    sk.encode()
}

/// What one rollup row gains from a batch of recomputed conversations: the sums, and the
/// samples to add to and remove from its sketches.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BatchDelta {
    pub sums: Delta,
    pub add_business: Vec<i64>,
    pub add_calendar: Vec<i64>,
    pub remove_business: Vec<i64>,
    pub remove_calendar: Vec<i64>,
}

impl BatchDelta {
    /// Whether the sketches change.
    pub fn has_samples(&self) -> bool {
        !(self.add_business.is_empty() && self.remove_business.is_empty())
    }

    /// The new (business, calendar) sketches given the stored ones.
    pub fn sketches(&self, business: Option<&str>, calendar: Option<&str>) -> (String, String) {
        (
            sketch_after(business, &self.add_business, &self.remove_business),
            sketch_after(calendar, &self.add_calendar, &self.remove_calendar),
        )
    }
}

/// The contributions of many conversations summed per rollup row, so a batch writes each
/// row once. Taking out a conversation's old contributions (`sign` -1) and adding its new
/// ones (+1) in any order gives the same rows as doing it conversation by conversation:
/// counts are sums, and the samples removed are ones the stored sketch holds.
#[derive(Debug, Default)]
pub struct RollupBatch {
    rows: BTreeMap<Key, BatchDelta>,
}

impl RollupBatch {
    /// Adds (`sign` 1) or takes out (-1) one conversation's contributions.
    pub fn add(&mut self, contribs: &BTreeMap<Key, Delta>, sign: i64) {
        for (k, d) in contribs {
            let row = self.rows.entry(k.clone()).or_default();
            let s = &mut row.sums;
            s.count += sign * d.count;
            s.unanswered += sign * d.unanswered;
            s.sum_business += sign * d.sum_business;
            s.sum_calendar += sign * d.sum_calendar;
            s.met += sign * d.met;
            s.breached += sign * d.breached;
            s.inbound += sign * d.inbound;
            s.answered += sign * d.answered;
            s.opened += sign * d.opened;
            let (business, calendar) = match sign > 0 {
                true => (&mut row.add_business, &mut row.add_calendar),
                false => (&mut row.remove_business, &mut row.remove_calendar),
            };
            business.extend_from_slice(&d.business);
            calendar.extend_from_slice(&d.calendar);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The rows to write, in key order.
    pub fn rows(&self) -> impl Iterator<Item = (&Key, &BatchDelta)> {
        self.rows.iter()
    }
}

/// A stored sketch with samples removed, then added.
fn sketch_after(stored: Option<&str>, add: &[i64], remove: &[i64]) -> String {
    let mut sk = stored
        .and_then(QuantileSketch::decode)
        .unwrap_or_else(|| QuantileSketch::new(SKETCH_ALPHA).expect("valid alpha"));
    for v in remove {
        sk.remove(*v as f64);
    }
    for v in add {
        sk.insert(*v as f64);
    }
    sk.encode()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(metric: &str) -> Key {
        Key {
            day: "2024-06-10".into(),
            dim: "none".into(),
            value: String::new(),
            metric: metric.into(),
        }
    }

    fn delta(count: i64, minutes: &[i64]) -> Delta {
        Delta {
            count,
            met: count,
            sum_business: minutes.iter().sum(),
            business: minutes.to_vec(),
            calendar: minutes.iter().map(|m| m * 2).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn a_batch_writes_what_conversation_by_conversation_would() {
        let stored = apply_sketch(None, &[5, 10, 20], true);
        // Conversation A is recomputed (10 minutes becomes 12) and B is new (30 minutes).
        let a_old = BTreeMap::from([(key("first_response"), delta(1, &[10]))]);
        let a_new = BTreeMap::from([(key("first_response"), delta(1, &[12]))]);
        let b_new = BTreeMap::from([
            (key("first_response"), delta(1, &[30])),
            (key("resolution"), delta(1, &[])),
        ]);

        let mut one_by_one = apply_sketch(Some(&stored), &[10], false);
        one_by_one = apply_sketch(Some(&one_by_one), &[12], true);
        one_by_one = apply_sketch(Some(&one_by_one), &[30], true);

        let mut batch = RollupBatch::default();
        batch.add(&a_old, -1);
        batch.add(&a_new, 1);
        batch.add(&b_new, 1);
        let rows: Vec<_> = batch.rows().collect();
        assert_eq!(rows.len(), 2);
        let (k, d) = rows[0];
        assert_eq!(k.metric, "first_response");
        // -1 + 1 + 1 cases; 12 - 10 + 30 minutes.
        assert_eq!((d.sums.count, d.sums.met, d.sums.sum_business), (1, 1, 32));
        assert!(d.has_samples());
        let (business, _) = d.sketches(Some(&stored), None);
        assert_eq!(business, one_by_one);
        let (k, d) = rows[1];
        assert_eq!((k.metric.as_str(), d.sums.count), ("resolution", 1));
        assert!(!d.has_samples());
    }
}
