//! Communication tests: managers write them, agents take them, scenario answers are checked
//! against the test's style guide automatically, a reviewer scores the rubric, and a pass
//! grants reply rights on the channels the test covers for its validity period.

use std::collections::BTreeMap;

use hearken_voice::certification::{self, Answer, CommTest, Grade, QuestionKind, ReviewerScores};
use hearken_voice::style::Violation;

use super::{voice, FlowError};
use crate::app::AppState;
use crate::auth::Principal;
use crate::domain::role::Role;
use crate::domain::time::now_millis;
use crate::domain::Actor;
use crate::storage::approvals::{
    AttemptRow, CertificationRow, CommTestRow, GradeWrite, NewCertification,
};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// The longest reply rights last, from a test or granted by hand (ten years).
pub const MAX_VALIDITY_DAYS: i64 = 3650;
/// Stores a new test after checking it can be graded.
pub async fn create(
    state: &AppState,
    who: &Principal,
    name: &str,
    channels: &[String],
    validity_days: i64,
    test: &CommTest,
) -> Result<CommTestRow, FlowError> {
    if name.trim().is_empty()
        || name.chars().count() > 200
        || channels.is_empty()
        || !(1..=MAX_VALIDITY_DAYS).contains(&validity_days)
    {
        return Err(FlowError::Invalid(format!(
            "a test needs a name of 1 to 200 characters, at least one channel and a validity \
             of 1 to {MAX_VALIDITY_DAYS} days"
        )));
    }
    test.style
        .validate()
        .map_err(|e| FlowError::Invalid(e.to_string()))?;
    if test.pass_mark_percent > 100 || test.questions.is_empty() {
        return Err(FlowError::Invalid(
            "pass mark over 100% or no questions".into(),
        ));
    }
    check_questions(test, channels).map_err(FlowError::Invalid)?;
    let body = serde_json::to_string(test).map_err(|e| FlowError::Invalid(e.to_string()))?;
    let channels = serde_json::to_string(channels).unwrap_or_else(|_| "[]".into());
    let actor = Actor::User(who.user_id);
    Ok(state
        .store
        .create_comm_test(
            who.workspace,
            name.trim(),
            &channels,
            validity_days,
            &body,
            &actor,
        )
        .await?)
}

/// Reads a stored test.
pub async fn load(
    state: &AppState,
    ws: crate::domain::WorkspaceId,
    id: i64,
) -> Result<(CommTestRow, CommTest), FlowError> {
    let row = state
        .store
        .comm_test(ws, id)
        .await?
        .ok_or(FlowError::NotFound)?;
    let test = serde_json::from_str(&row.body).map_err(|e| FlowError::Invalid(e.to_string()))?;
    Ok((row, test))
}

/// An agent's answers, with scenario answers checked against the test's style guide.
pub async fn attempt(
    state: &AppState,
    who: &Principal,
    test_id: i64,
    answers: &BTreeMap<String, Answer>,
) -> Result<AttemptRow, FlowError> {
    let (_, test) = load(state, who.workspace, test_id).await?;
    let checks = style_check(&test, answers)?;
    let answers = serde_json::to_string(answers).map_err(|e| FlowError::Invalid(e.to_string()))?;
    let checks = serde_json::to_string(&checks).unwrap_or_else(|_| "{}".into());
    Ok(state
        .store
        .create_attempt(who.workspace, test_id, who.user_id, &answers, &checks)
        .await?)
}

fn style_check(
    test: &CommTest,
    answers: &BTreeMap<String, Answer>,
) -> Result<BTreeMap<String, Vec<Violation>>, FlowError> {
    let mut out = BTreeMap::new();
    for (qid, answer) in answers {
        let q = test
            .questions
            .iter()
            .find(|q| &q.id == qid)
            .ok_or_else(|| FlowError::Invalid(format!("no question {qid:?} in this test")))?;
        if let (QuestionKind::Scenario { channel, .. }, Answer::Text(text)) = (&q.kind, answer) {
            out.insert(qid.clone(), voice::check(&test.style, text, channel));
        }
    }
    Ok(out)
}

/// A reviewer grades an attempt; a pass grants reply rights on the test's channels.
pub async fn grade(
    state: &AppState,
    who: &Principal,
    attempt_id: i64,
    scores: &ReviewerScores,
) -> Result<AttemptRow, FlowError> {
    let ws = who.workspace;
    let a = state
        .store
        .attempt(ws, attempt_id)
        .await?
        .ok_or(FlowError::NotFound)?;
    if a.user_id == who.user_id {
        return Err(FlowError::Forbidden(
            "nobody grades their own attempt".into(),
        ));
    }
    let (row, test) = load(state, ws, a.test_id).await?;
    let answers: BTreeMap<String, Answer> =
        serde_json::from_str(&a.answers).map_err(|e| FlowError::Invalid(e.to_string()))?;
    let g = certification::grade(&test, &answers, scores)
        .map_err(|e| FlowError::Invalid(e.to_string()))?;
    let now = now_millis();
    let certification = g.passed.then(|| NewCertification {
        user_id: a.user_id,
        channels: row.channels.clone(),
        attempt_id: Some(a.id),
        granted_at: now,
        expires_at: Some(now + row.validity_days * DAY_MS),
    });
    let write = GradeWrite {
        reviewer_id: who.user_id,
        scores: serde_json::to_string(scores).unwrap_or_else(|_| "{}".into()),
        score_bp: (g.score_percent * 100.0).round() as i64,
        passed: g.passed,
        certification,
    };
    Ok(state
        .store
        .grade_attempt(ws, attempt_id, &write, &Actor::User(who.user_id))
        .await?)
}

/// Whether a role grades communication tests (the API and the pages both ask this).
pub fn may_review(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Manager | Role::Approver)
}

/// The part of an attempt scored before review: multiple-choice points and the style
/// points of scenario answers, graded by the engine with every rubric criterion at zero.
/// `None` when the test cannot be graded (no points to earn, answers that do not fit).
pub fn automatic_score(test: &CommTest, answers: &BTreeMap<String, Answer>) -> Option<Grade> {
    let zero: ReviewerScores = test
        .questions
        .iter()
        .filter_map(|q| match &q.kind {
            QuestionKind::Scenario { rubric, .. } => Some((
                q.id.clone(),
                rubric.iter().map(|c| (c.id.clone(), 0)).collect(),
            )),
            QuestionKind::MultipleChoice { .. } => None,
        })
        .collect();
    certification::grade(test, answers, &zero).ok()
}

/// Where a certification stands at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CertStatus {
    /// The holder replies directly on its channels.
    Active,
    /// A manager revoked it.
    Revoked,
    /// Its validity period is over.
    Expired,
    /// Granted for a time still to come.
    NotYetValid,
}

/// Where a certification stands at `now`; the gate lets only `Active` rights reply directly.
pub fn status(c: &CertificationRow, now: i64) -> CertStatus {
    if c.revoked_at.is_some() {
        CertStatus::Revoked
    } else if c.expired_at.is_some() || c.expires_at.is_some_and(|t| now >= t) {
        CertStatus::Expired
    } else if c.granted_at > now {
        CertStatus::NotYetValid
    } else {
        CertStatus::Active
    }
}

/// Refuses a test that could never be graded or passed: duplicate question ids, choices
/// whose correct answers are not among the options, unknown channels, no points to earn.
fn check_questions(test: &CommTest, channels: &[String]) -> Result<(), String> {
    let known = |c: &str| c.parse::<crate::domain::channel::Channel>().is_ok();
    if let Some(c) = channels.iter().find(|c| !known(c)) {
        return Err(format!("{c:?} is not a channel"));
    }
    let mut ids = std::collections::BTreeSet::new();
    let mut total: u64 = 0;
    for q in &test.questions {
        if q.id.trim().is_empty() || !ids.insert(q.id.as_str()) {
            return Err(format!(
                "question ids must be unique and not empty ({:?})",
                q.id
            ));
        }
        match &q.kind {
            QuestionKind::MultipleChoice {
                options,
                correct,
                points,
            } => {
                let offered: std::collections::BTreeSet<&String> = options.iter().collect();
                if correct.is_empty() || !correct.iter().all(|c| offered.contains(c)) {
                    return Err(format!(
                        "question {:?}: the correct answers must be some of its options",
                        q.id
                    ));
                }
                total += u64::from(*points);
            }
            QuestionKind::Scenario {
                channel,
                style_points,
                rubric,
            } => {
                if !known(channel) {
                    return Err(format!("question {:?}: {channel:?} is not a channel", q.id));
                }
                let mut criteria = std::collections::BTreeSet::new();
                if !rubric.iter().all(|c| criteria.insert(c.id.as_str())) {
                    return Err(format!("question {:?}: rubric ids must be unique", q.id));
                }
                total += u64::from(*style_points);
                total += rubric.iter().map(|c| u64::from(c.max)).sum::<u64>();
            }
        }
    }
    if total == 0 {
        return Err("the test has no points to earn".into());
    }
    Ok(())
}
