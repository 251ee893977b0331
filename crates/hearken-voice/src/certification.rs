//! Communication-test grading and certification validity.
//!
//! A [`CommTest`] has multiple-choice questions and scenario questions.
//! Scoring, all in integer points:
//!
//! - Multiple choice: full `points` when the chosen option set equals the
//!   correct set exactly, else 0. An unanswered question scores 0.
//! - Scenario: `style_points` for the automatic style check of the answer
//!   (0 if any `Blocking` violation, otherwise `style_points` minus one per
//!   `Warning`, floored at 0), plus the reviewer's score for each rubric
//!   criterion (each within `0..=max`). An unanswered scenario scores 0
//!   style points; reviewer scores are still required.
//!
//! `passed` is `earned × 100 ≥ pass_mark_percent × possible`, computed in
//! integers so rounding never flips a result.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::approval::UserId;
use crate::style::{self, Severity, StyleGuide, Violation};

/// A communication test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommTest {
    /// Identifier.
    pub id: String,
    /// Pass mark in percent (0..=100).
    pub pass_mark_percent: u8,
    /// The style guide scenario answers are checked against.
    pub style: StyleGuide,
    /// Questions.
    pub questions: Vec<Question>,
}

/// A question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    /// Identifier, unique in the test.
    pub id: String,
    /// What the candidate reads: the policy question, or the customer's message to
    /// answer. Not used in grading; tests saved before it existed have none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub prompt: String,
    /// The question's kind and scoring data.
    pub kind: QuestionKind,
}

/// Question kinds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum QuestionKind {
    /// Choose options.
    MultipleChoice {
        /// Option ids offered.
        options: Vec<String>,
        /// Correct option ids.
        correct: BTreeSet<String>,
        /// Points for a correct answer.
        points: u32,
    },
    /// Write a reply.
    Scenario {
        /// Channel the reply is for (for channel-specific style rules).
        channel: String,
        /// Points for the automatic style check.
        style_points: u32,
        /// Reviewer rubric.
        rubric: Vec<Criterion>,
    },
}

/// A rubric criterion scored by a reviewer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Criterion {
    /// Identifier, unique in its question.
    pub id: String,
    /// Highest score.
    pub max: u32,
}

/// A candidate's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    /// Option ids chosen.
    Choices(BTreeSet<String>),
    /// Reply text written.
    Text(String),
}

/// Reviewer scores: question id → criterion id → score.
pub type ReviewerScores = BTreeMap<String, BTreeMap<String, u32>>;

/// Result per question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionResult {
    /// Question id.
    pub question_id: String,
    /// Points earned.
    pub earned: u32,
    /// Points possible.
    pub possible: u32,
    /// Style violations of a scenario answer.
    pub violations: Vec<Violation>,
}

/// The graded test.
#[derive(Debug, Clone, PartialEq)]
pub struct Grade {
    /// `earned / possible × 100`.
    pub score_percent: f64,
    /// Whether the pass mark is reached.
    pub passed: bool,
    /// Per question, in test order.
    pub per_question: Vec<QuestionResult>,
}

/// Why grading failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GradeError {
    /// The test has no points to earn.
    #[error("the test has no points to earn")]
    NoPoints,
    /// The pass mark exceeds 100.
    #[error("pass mark {0}% exceeds 100%")]
    BadPassMark(u8),
    /// An answer refers to no question.
    #[error("answer for unknown question `{0}`")]
    UnknownQuestion(String),
    /// An answer has the wrong shape for its question.
    #[error("answer to `{0}` has the wrong type")]
    WrongAnswerType(String),
    /// A chosen option is not offered.
    #[error("question `{question}` has no option `{option}`")]
    UnknownOption {
        /// Question id.
        question: String,
        /// Option id.
        option: String,
    },
    /// A rubric score is missing.
    #[error("no reviewer score for criterion `{criterion}` of `{question}`")]
    MissingReviewerScore {
        /// Question id.
        question: String,
        /// Criterion id.
        criterion: String,
    },
    /// A rubric score exceeds its maximum.
    #[error("score {score} for `{criterion}` of `{question}` exceeds {max}")]
    ScoreTooHigh {
        /// Question id.
        question: String,
        /// Criterion id.
        criterion: String,
        /// Given score.
        score: u32,
        /// Maximum.
        max: u32,
    },
}

/// Grades `answers` (question id → answer) with the reviewer's rubric scores.
pub fn grade(
    test: &CommTest,
    answers: &BTreeMap<String, Answer>,
    reviewer_scores: &ReviewerScores,
) -> Result<Grade, GradeError> {
    if test.pass_mark_percent > 100 {
        return Err(GradeError::BadPassMark(test.pass_mark_percent));
    }
    if let Some(id) = answers
        .keys()
        .find(|id| !test.questions.iter().any(|q| &q.id == *id))
    {
        return Err(GradeError::UnknownQuestion(id.clone()));
    }
    let per_question = test
        .questions
        .iter()
        .map(|q| grade_question(test, q, answers.get(&q.id), reviewer_scores))
        .collect::<Result<Vec<_>, _>>()?;
    let earned: u64 = per_question.iter().map(|r| u64::from(r.earned)).sum();
    let possible: u64 = per_question.iter().map(|r| u64::from(r.possible)).sum();
    if possible == 0 {
        return Err(GradeError::NoPoints);
    }
    Ok(Grade {
        score_percent: earned as f64 * 100.0 / possible as f64,
        passed: earned * 100 >= u64::from(test.pass_mark_percent) * possible,
        per_question,
    })
}

fn grade_question(
    test: &CommTest,
    q: &Question,
    answer: Option<&Answer>,
    scores: &ReviewerScores,
) -> Result<QuestionResult, GradeError> {
    match &q.kind {
        QuestionKind::MultipleChoice {
            options,
            correct,
            points,
        } => grade_choice(q, options, correct, *points, answer),
        QuestionKind::Scenario {
            channel,
            style_points,
            rubric,
        } => {
            let text = match answer {
                None => None,
                Some(Answer::Text(t)) => Some(t.as_str()),
                Some(_) => return Err(GradeError::WrongAnswerType(q.id.clone())),
            };
            let (style_earned, violations) = style_score(&test.style, text, channel, *style_points);
            let (rubric_earned, rubric_max) = rubric_score(&q.id, rubric, scores)?;
            Ok(QuestionResult {
                question_id: q.id.clone(),
                earned: style_earned + rubric_earned,
                possible: style_points + rubric_max,
                violations,
            })
        }
    }
}

fn grade_choice(
    q: &Question,
    options: &[String],
    correct: &BTreeSet<String>,
    points: u32,
    answer: Option<&Answer>,
) -> Result<QuestionResult, GradeError> {
    let chosen = match answer {
        None => None,
        Some(Answer::Choices(c)) => Some(c),
        Some(_) => return Err(GradeError::WrongAnswerType(q.id.clone())),
    };
    if let Some(bad) = chosen.and_then(|c| c.iter().find(|o| !options.contains(o))) {
        return Err(GradeError::UnknownOption {
            question: q.id.clone(),
            option: bad.clone(),
        });
    }
    let right = chosen.is_some_and(|c| c == correct);
    Ok(QuestionResult {
        question_id: q.id.clone(),
        earned: if right { points } else { 0 },
        possible: points,
        violations: Vec::new(),
    })
}

fn style_score(
    guide: &StyleGuide,
    text: Option<&str>,
    channel: &str,
    points: u32,
) -> (u32, Vec<Violation>) {
    let Some(text) = text else {
        return (0, Vec::new());
    };
    let violations = style::check(guide, text, channel);
    let blocking = violations.iter().any(|v| v.severity == Severity::Blocking);
    let warnings = violations.len();
    let earned = match blocking {
        true => 0,
        false => points.saturating_sub(u32::try_from(warnings).unwrap_or(u32::MAX)),
    };
    (earned, violations)
}

fn rubric_score(
    question: &str,
    rubric: &[Criterion],
    scores: &ReviewerScores,
) -> Result<(u32, u32), GradeError> {
    let given = scores.get(question);
    let mut earned = 0u32;
    let mut max = 0u32;
    for c in rubric {
        let score = given.and_then(|g| g.get(&c.id)).copied().ok_or_else(|| {
            GradeError::MissingReviewerScore {
                question: question.to_string(),
                criterion: c.id.clone(),
            }
        })?;
        if score > c.max {
            return Err(GradeError::ScoreTooHigh {
                question: question.to_string(),
                criterion: c.id.clone(),
                score,
                max: c.max,
            });
        }
        earned = earned.saturating_add(score);
        max = max.saturating_add(c.max);
    }
    Ok((earned, max))
}

/// A user's certification to speak on some channels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certification {
    /// Holder.
    pub user: UserId,
    /// Channels covered.
    pub channels: BTreeSet<String>,
    /// Valid from.
    pub granted_at: Timestamp,
    /// Valid until (exclusive), if it expires.
    #[serde(default)]
    pub expires_at: Option<Timestamp>,
    /// Revoked from (exclusive end of validity), if revoked.
    #[serde(default)]
    pub revoked_at: Option<Timestamp>,
}

impl Certification {
    /// True when it covers `channel` and `granted_at ≤ now` and `now` is
    /// before both `expires_at` and `revoked_at`.
    pub fn is_valid(&self, now: Timestamp, channel: &str) -> bool {
        self.channels.contains(channel)
            && self.granted_at <= now
            && self.expires_at.is_none_or(|t| now < t)
            && self.revoked_at.is_none_or(|t| now < t)
    }
}
