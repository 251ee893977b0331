//! Statistics over durations (minutes): mean and quantiles, with unanswered
//! cases counted apart, and a mergeable quantile sketch.
//!
//! Quantiles support two documented methods ([`QuantileMethod`]):
//! * **nearest rank**: the smallest sample with at least `q·n` samples at or
//!   below it (rank `ceil(q·n)`, at least 1). Always a real sample; the median
//!   of an even count is the lower middle value.
//! * **linear**: interpolation between closest ranks at position `(n−1)·q`
//!   (Hyndman–Fan type 7, the spreadsheet default).
//!
//! [`QuantileSketch`] is a DDSketch-style sketch: values fall in logarithmic
//! buckets `(γ^(i−1), γ^i]` with `γ = (1+α)/(1−α)`, so any reported quantile
//! is within relative error `α` of the exact nearest-rank quantile. Sketches
//! with the same `α` merge exactly (bucket counts add), so per-shard or
//! per-day sketches can be combined.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::clock::ConversationMetrics;

/// How a quantile is read from sorted samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuantileMethod {
    /// Rank `ceil(q·n)`.
    #[default]
    NearestRank,
    /// Linear interpolation at `(n−1)·q`.
    Linear,
}

/// Summary of a set of durations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Answered (measured) cases.
    pub count: usize,
    /// Unanswered cases, not included in any figure below.
    pub unanswered: usize,
    /// Arithmetic mean.
    pub mean: Option<f64>,
    /// 50th percentile.
    pub median: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
}

/// Summarises samples where `None` is an unanswered case.
pub fn summarize(samples: &[Option<i64>], method: QuantileMethod) -> Summary {
    let mut values: Vec<i64> = samples.iter().flatten().copied().collect();
    values.sort_unstable();
    Summary {
        count: values.len(),
        unanswered: samples.len() - values.len(),
        mean: mean(&values),
        median: quantile(&values, 0.5, method),
        p90: quantile(&values, 0.9, method),
        p95: quantile(&values, 0.95, method),
    }
}

/// Arithmetic mean; `None` when empty.
pub fn mean(values: &[i64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let sum: i128 = values.iter().map(|&v| i128::from(v)).sum();
    Some(sum as f64 / values.len() as f64)
}

/// Quantile `q` (clamped to `[0, 1]`) of **sorted** values; `None` when empty.
pub fn quantile(sorted: &[i64], q: f64, method: QuantileMethod) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let q = q.clamp(0.0, 1.0);
    match method {
        QuantileMethod::NearestRank => {
            let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
            Some(sorted[rank - 1] as f64)
        }
        QuantileMethod::Linear => {
            let pos = (n - 1) as f64 * q;
            let (lo, frac) = (pos.floor() as usize, pos - pos.floor());
            let hi = (lo + 1).min(n - 1);
            Some(sorted[lo] as f64 + frac * (sorted[hi] - sorted[lo]) as f64)
        }
    }
}

/// First-response samples of many conversations (business or calendar
/// minutes): `None` for conversations with a customer message but no
/// answered first response yet; conversations without a first response
/// clock are skipped.
pub fn first_response_samples(metrics: &[ConversationMetrics], business: bool) -> Vec<Option<i64>> {
    metrics
        .iter()
        .filter_map(|m| m.first_response.as_ref())
        .map(|c| {
            let minutes = if business {
                c.active_business_minutes
            } else {
                c.active_calendar_minutes
            };
            (c.ended_at.is_some() && c.outcome != crate::clock::Outcome::Cancelled)
                .then_some(minutes)
        })
        .collect()
}

/// Sketch errors.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SketchError {
    /// `alpha` must be in `(0, 1)`.
    #[error("relative accuracy must be in (0, 1), got {0}")]
    BadAlpha(f64),
    /// Sketches with different accuracy cannot be merged.
    #[error("cannot merge sketches with alpha {0} and {1}")]
    AlphaMismatch(f64, f64),
}

/// Values at or below this count as zero.
const ZERO_THRESHOLD: f64 = 1e-9;

/// Mergeable quantile sketch with relative error `alpha` (see module docs).
/// Non-positive values are counted as zero (durations are never negative);
/// NaN is ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuantileSketch {
    alpha: f64,
    ln_gamma: f64,
    zero_count: u64,
    buckets: BTreeMap<i32, u64>,
    count: u64,
    min: f64,
    max: f64,
}

impl Default for QuantileSketch {
    /// `alpha = 0.01` (1 % relative error).
    fn default() -> Self {
        Self::new(0.01).expect("valid alpha")
    }
}

impl QuantileSketch {
    /// An empty sketch with relative accuracy `alpha`.
    pub fn new(alpha: f64) -> Result<Self, SketchError> {
        if !(alpha > 0.0 && alpha < 1.0) {
            return Err(SketchError::BadAlpha(alpha));
        }
        let gamma = (1.0 + alpha) / (1.0 - alpha);
        Ok(QuantileSketch {
            alpha,
            ln_gamma: gamma.ln(),
            zero_count: 0,
            buckets: BTreeMap::new(),
            count: 0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        })
    }

    /// Relative accuracy.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// Number of values inserted.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Adds one value.
    pub fn insert(&mut self, value: f64) {
        if value.is_nan() {
            return;
        }
        let v = value.max(0.0);
        match v <= ZERO_THRESHOLD {
            true => self.zero_count += 1,
            false => *self.buckets.entry(self.index(v)).or_insert(0) += 1,
        }
        self.count += 1;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }

    fn index(&self, v: f64) -> i32 {
        (v.ln() / self.ln_gamma).ceil() as i32
    }

    /// Removes one value that was inserted before (for aggregates kept up to date as
    /// figures change). Bucket counts are exact; `min` and `max` stay as they were, so
    /// they remain bounds (quantiles are clamped to them). Removing a value that was never
    /// inserted is ignored.
    pub fn remove(&mut self, value: f64) {
        if value.is_nan() {
            return;
        }
        let v = value.max(0.0);
        let removed = if v <= ZERO_THRESHOLD {
            let had = self.zero_count > 0;
            self.zero_count = self.zero_count.saturating_sub(1);
            had
        } else {
            let i = self.index(v);
            match self.buckets.get_mut(&i) {
                Some(c) if *c > 1 => {
                    *c -= 1;
                    true
                }
                Some(_) => {
                    self.buckets.remove(&i);
                    true
                }
                None => false,
            }
        };
        if removed {
            self.count -= 1;
        }
        if self.count == 0 {
            self.min = f64::INFINITY;
            self.max = f64::NEG_INFINITY;
        }
    }

    /// Adds all of `other`'s values. Both must have the same `alpha`.
    pub fn merge(&mut self, other: &QuantileSketch) -> Result<(), SketchError> {
        if (self.alpha - other.alpha).abs() > 1e-12 {
            return Err(SketchError::AlphaMismatch(self.alpha, other.alpha));
        }
        for (i, c) in &other.buckets {
            *self.buckets.entry(*i).or_insert(0) += c;
        }
        self.zero_count += other.zero_count;
        self.count += other.count;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        Ok(())
    }

    /// Estimated nearest-rank quantile `q` (clamped to `[0, 1]`); `None`
    /// when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let buckets = self.buckets.iter().map(|(i, c)| (*i, *c));
        let spread = Spread {
            zero_count: self.zero_count,
            count: self.count,
            min: self.min,
            max: self.max,
            ln_gamma: self.ln_gamma,
        };
        spread.quantile(q, buckets)
    }
}

/// The sum of many sketches of one accuracy, for reports that merge thousands of stored
/// daily sketches: bucket counts are kept in a dense array indexed from the lowest bucket
/// seen, so adding a sketch is one pass over its buckets with no map lookups. Quantiles
/// are the ones [`QuantileSketch::merge`] followed by [`QuantileSketch::quantile`] gives.
#[derive(Debug, Clone)]
pub struct SketchSum {
    alpha: f64,
    ln_gamma: f64,
    zero_count: u64,
    count: u64,
    min: f64,
    max: f64,
    base: i32,
    counts: Vec<u64>,
}

impl SketchSum {
    /// An empty sum for sketches of accuracy `alpha`.
    pub fn new(alpha: f64) -> Result<Self, SketchError> {
        let empty = QuantileSketch::new(alpha)?;
        Ok(SketchSum {
            alpha,
            ln_gamma: empty.ln_gamma,
            zero_count: 0,
            count: 0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            base: 0,
            counts: Vec::new(),
        })
    }

    /// Number of values summed.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Adds all of `sketch`'s values. It must have the same `alpha`.
    pub fn add(&mut self, sketch: &QuantileSketch) -> Result<(), SketchError> {
        if (self.alpha - sketch.alpha).abs() > 1e-12 {
            return Err(SketchError::AlphaMismatch(self.alpha, sketch.alpha));
        }
        if let (Some((&lo, _)), Some((&hi, _))) = (
            sketch.buckets.first_key_value(),
            sketch.buckets.last_key_value(),
        ) {
            self.reserve(lo, hi);
            for (i, c) in &sketch.buckets {
                self.counts[(i - self.base) as usize] += c;
            }
        }
        self.zero_count += sketch.zero_count;
        self.count += sketch.count;
        self.min = self.min.min(sketch.min);
        self.max = self.max.max(sketch.max);
        Ok(())
    }

    /// Makes room for bucket indexes `lo..=hi`.
    fn reserve(&mut self, lo: i32, hi: i32) {
        if self.counts.is_empty() {
            self.base = lo;
            self.counts = vec![0; (hi - lo + 1) as usize];
            return;
        }
        if lo < self.base {
            let grow = (self.base - lo) as usize;
            self.counts.splice(0..0, std::iter::repeat_n(0, grow));
            self.base = lo;
        }
        let top = self.base + self.counts.len() as i32 - 1;
        if hi > top {
            self.counts
                .resize(self.counts.len() + (hi - top) as usize, 0);
        }
    }

    /// Estimated nearest-rank quantile `q`; `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let base = self.base;
        let buckets = (self.counts.iter().enumerate())
            .filter(|(_, c)| **c > 0)
            .map(move |(n, c)| (base + n as i32, *c));
        let spread = Spread {
            zero_count: self.zero_count,
            count: self.count,
            min: self.min,
            max: self.max,
            ln_gamma: self.ln_gamma,
        };
        spread.quantile(q, buckets)
    }
}

/// What a nearest-rank quantile needs besides the buckets, shared by the sketch and the sum.
struct Spread {
    zero_count: u64,
    count: u64,
    min: f64,
    max: f64,
    ln_gamma: f64,
}

impl Spread {
    /// The quantile over `buckets` (index, count), in ascending index order.
    fn quantile(&self, q: f64, buckets: impl Iterator<Item = (i32, u64)>) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.count as f64).ceil() as u64).clamp(1, self.count);
        if rank <= self.zero_count {
            return Some(0.0);
        }
        let mut seen = self.zero_count;
        for (i, c) in buckets {
            seen += c;
            if seen >= rank {
                return Some(bucket_value(self.ln_gamma, i).clamp(self.min, self.max));
            }
        }
        Some(self.max)
    }
}

/// Representative value of bucket `i` for `ln γ`: within `α` of all its values.
fn bucket_value(ln_gamma: f64, i: i32) -> f64 {
    let gamma = ln_gamma.exp();
    2.0 * (f64::from(i) * ln_gamma).exp() / (gamma + 1.0)
}

/// Prefix of the compact text form written by [`QuantileSketch::encode`].
const COMPACT_TAG: &str = "qs1";

impl QuantileSketch {
    /// A compact text form for storage: `qs1|alpha|zero|count|min|max|buckets`, where
    /// buckets are `index:count` pairs joined by `,` and each index after the first is
    /// the difference from the previous one. It is several times shorter and faster to read
    /// than the JSON form, which matters when a report merges thousands of stored sketches.
    pub fn encode(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::with_capacity(48 + self.buckets.len() * 6);
        let _ = write!(
            out,
            "{COMPACT_TAG}|{}|{}|{}|{}|{}|",
            self.alpha, self.zero_count, self.count, self.min, self.max
        );
        let mut prev = 0i64;
        for (n, (i, c)) in self.buckets.iter().enumerate() {
            let i = i64::from(*i);
            let sep = if n == 0 { "" } else { "," };
            let _ = write!(out, "{sep}{}:{c}", i - prev);
            prev = i;
        }
        out
    }

    /// Reads a stored sketch: the compact form of [`QuantileSketch::encode`] or the JSON
    /// form older rows hold. `None` when it is neither, or inconsistent.
    pub fn decode(stored: &str) -> Option<QuantileSketch> {
        let Some(rest) = stored.strip_prefix(COMPACT_TAG) else {
            return serde_json::from_str(stored).ok();
        };
        let mut parts = rest.strip_prefix('|')?.splitn(6, '|');
        let alpha: f64 = parts.next()?.parse().ok()?;
        let zero_count: u64 = parts.next()?.parse().ok()?;
        let count: u64 = parts.next()?.parse().ok()?;
        let min: f64 = parts.next()?.parse().ok()?;
        let max: f64 = parts.next()?.parse().ok()?;
        let mut sketch = QuantileSketch::new(alpha).ok()?;
        let mut index = 0i64;
        let mut total = zero_count;
        for pair in parts.next()?.split(',').filter(|p| !p.is_empty()) {
            let (d, c) = pair.split_once(':')?;
            index += d.parse::<i64>().ok()?;
            let c: u64 = c.parse().ok()?;
            total = total.checked_add(c)?;
            sketch.buckets.insert(i32::try_from(index).ok()?, c);
        }
        if total != count {
            return None;
        }
        sketch.zero_count = zero_count;
        sketch.count = count;
        sketch.min = min;
        sketch.max = max;
        Some(sketch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_case_mean_median_unanswered() {
        // 2, 3, 4, 5, 600 answered; one unanswered.
        let samples = [Some(2), Some(3), Some(4), Some(5), Some(600), None];
        let s = summarize(&samples, QuantileMethod::NearestRank);
        assert_eq!(s.count, 5);
        assert_eq!(s.unanswered, 1);
        // (2+3+4+5+600)/5 = 614/5 = 122.8
        assert!((s.mean.unwrap() - 122.8).abs() < 1e-9);
        assert_eq!(s.median, Some(4.0));
        // nearest rank: p90 → rank ceil(4.5)=5 → 600; p95 → rank 5 → 600
        assert_eq!(s.p90, Some(600.0));
        assert_eq!(s.p95, Some(600.0));
        let l = summarize(&samples, QuantileMethod::Linear);
        assert_eq!(l.median, Some(4.0));
        // linear p90: pos 3.6 → 5 + 0.6·595 = 362
        assert!((l.p90.unwrap() - 362.0).abs() < 1e-9);
    }

    #[test]
    fn quantile_methods_on_even_count() {
        let v = [10, 20, 30, 40];
        assert_eq!(quantile(&v, 0.5, QuantileMethod::NearestRank), Some(20.0));
        assert_eq!(quantile(&v, 0.5, QuantileMethod::Linear), Some(25.0));
        assert_eq!(quantile(&v, 0.0, QuantileMethod::NearestRank), Some(10.0));
        assert_eq!(quantile(&v, 1.0, QuantileMethod::Linear), Some(40.0));
        assert_eq!(quantile(&[], 0.5, QuantileMethod::Linear), None);
        assert_eq!(mean(&[]), None);
    }

    /// Deterministic log-uniform values over [1, 1e6) from a simple LCG.
    fn values(seed: u64, n: usize) -> Vec<f64> {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let u = (x >> 11) as f64 / (1u64 << 53) as f64;
                10f64.powf(6.0 * u)
            })
            .collect()
    }

    fn exact(sorted: &[f64], q: f64) -> f64 {
        let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted[rank - 1]
    }

    fn assert_within_alpha(sketch: &QuantileSketch, data: &[f64]) {
        let mut sorted = data.to_vec();
        sorted.sort_by(f64::total_cmp);
        for q in [0.0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0] {
            let (est, truth) = (sketch.quantile(q).unwrap(), exact(&sorted, q));
            let rel = (est - truth).abs() / truth;
            assert!(
                rel <= sketch.alpha() + 1e-9,
                "q={q}: est {est} vs exact {truth} (rel {rel})"
            );
        }
    }

    #[test]
    fn sketch_error_bound_holds() {
        let data = values(7, 20_000);
        let mut sketch = QuantileSketch::default();
        data.iter().for_each(|&v| sketch.insert(v));
        assert_eq!(sketch.count(), 20_000);
        assert_within_alpha(&sketch, &data);
    }

    #[test]
    fn merged_sketches_keep_the_bound() {
        let (a, b) = (values(1, 5_000), values(2, 7_000));
        let (mut sa, mut sb) = (QuantileSketch::default(), QuantileSketch::default());
        a.iter().for_each(|&v| sa.insert(v));
        b.iter().for_each(|&v| sb.insert(v));
        sa.merge(&sb).unwrap();
        let all: Vec<f64> = a.into_iter().chain(b).collect();
        let mut single = QuantileSketch::default();
        all.iter().for_each(|&v| single.insert(v));
        assert_eq!(sa.count(), 12_000);
        assert_within_alpha(&sa, &all);
        assert_eq!(sa.quantile(0.5), single.quantile(0.5));
    }

    #[test]
    fn sketch_edges() {
        let mut s = QuantileSketch::default();
        assert_eq!(s.quantile(0.5), None);
        s.insert(0.0);
        s.insert(-3.0);
        s.insert(f64::NAN);
        s.insert(100.0);
        assert_eq!(s.count(), 3);
        assert_eq!(s.quantile(0.5), Some(0.0));
        assert!((s.quantile(1.0).unwrap() - 100.0).abs() <= 1.0);
        assert!(QuantileSketch::new(0.0).is_err());
        let mut other = QuantileSketch::new(0.02).unwrap();
        other.insert(1.0);
        assert!(matches!(
            s.merge(&other),
            Err(SketchError::AlphaMismatch(..))
        ));
    }

    #[test]
    fn the_compact_form_reads_back_to_the_same_sketch_and_json_still_reads() {
        let mut sk = QuantileSketch::new(0.01).unwrap();
        for v in values(7, 2_000) {
            sk.insert(v);
        }
        sk.insert(0.0);
        sk.remove(values(7, 1)[0]);
        let text = sk.encode();
        assert!(text.starts_with("qs1|"));
        assert_eq!(QuantileSketch::decode(&text), Some(sk.clone()));
        let json = serde_json::to_string(&sk).unwrap();
        assert!(text.len() < json.len(), "{} vs {}", text.len(), json.len());
        assert_eq!(QuantileSketch::decode(&json), Some(sk));
        let empty = QuantileSketch::new(0.02).unwrap();
        assert_eq!(QuantileSketch::decode(&empty.encode()), Some(empty));
    }

    #[test]
    fn a_damaged_compact_sketch_is_refused() {
        let mut sk = QuantileSketch::new(0.01).unwrap();
        sk.insert(5.0);
        sk.insert(50.0);
        let text = sk.encode();
        // The bucket counts no longer add up to the stored count.
        let broken = text.replacen("|2|", "|3|", 1);
        assert_ne!(broken, text);
        assert_eq!(QuantileSketch::decode(&broken), None);
        assert_eq!(QuantileSketch::decode("qs1|0.01|x"), None);
        assert_eq!(QuantileSketch::decode("not a sketch"), None);
    }

    #[test]
    fn a_sketch_sum_gives_the_quantiles_of_merged_sketches() {
        let mut merged = QuantileSketch::new(0.01).unwrap();
        let mut sum = SketchSum::new(0.01).unwrap();
        // Sketches over different ranges, so the dense array grows at both ends.
        for (seed, scale) in [(1, 1.0), (2, 1e-3), (3, 50.0), (4, 1.0)] {
            let mut sk = QuantileSketch::new(0.01).unwrap();
            for v in values(seed, 300) {
                sk.insert(v * scale);
            }
            sk.insert(0.0);
            merged.merge(&sk).unwrap();
            sum.add(&sk).unwrap();
        }
        assert_eq!(sum.count(), merged.count());
        for q in [0.0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.999, 1.0] {
            assert_eq!(sum.quantile(q), merged.quantile(q), "q = {q}");
        }
        assert_eq!(SketchSum::new(0.01).unwrap().quantile(0.5), None);
        let other = QuantileSketch::new(0.02).unwrap();
        assert!(sum.add(&other).is_err());
    }
}
