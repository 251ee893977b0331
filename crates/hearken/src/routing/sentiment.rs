//! Sentiment of inbound text: VADER (Hutto and Gilbert, ICWSM-14), the rule-based model
//! tuned for social media text, through the `vader_sentiment` crate, which ships its lexicon.
//!
//! The score is VADER's compound score from -1 (most negative) to 1 (most positive).
//! Checked against the human labels of the US airline tweets data set in
//! `tests/routing_sentiment.rs`, where the accuracy and the confusion are written down.

use std::sync::OnceLock;

use vader_sentiment::SentimentIntensityAnalyzer;

/// VADER's customary cut-offs: compound ≥ 0.05 is positive, ≤ -0.05 negative.
pub const POSITIVE_FROM: f64 = 0.05;
/// See [`POSITIVE_FROM`].
pub const NEGATIVE_TO: f64 = -0.05;

/// A sentiment class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Polarity {
    Negative,
    Neutral,
    Positive,
}

fn analyzer() -> &'static SentimentIntensityAnalyzer<'static> {
    static ANALYZER: OnceLock<SentimentIntensityAnalyzer<'static>> = OnceLock::new();
    ANALYZER.get_or_init(SentimentIntensityAnalyzer::new)
}

/// The compound score of `text`, from -1 to 1.
pub fn score(text: &str) -> f64 {
    let scores = analyzer().polarity_scores(text);
    scores.get("compound").copied().unwrap_or(0.0)
}

/// The class of a compound score.
pub fn polarity(score: f64) -> Polarity {
    if score >= POSITIVE_FROM {
        Polarity::Positive
    } else if score <= NEGATIVE_TO {
        Polarity::Negative
    } else {
        Polarity::Neutral
    }
}
