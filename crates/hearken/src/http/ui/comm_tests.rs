//! Communication tests in the product (#4): managers write them, agents take them, reviewers
//! grade them with the rubric, and everyone sees who holds reply rights where. The pages
//! parse forms and call the same `approvals::certify` functions as the API.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use axum::extract::{Path, State};
use axum::response::{Html, Redirect};
use axum::Form;
use hearken_voice::certification::{Answer, CommTest, Criterion, Question, QuestionKind};
use hearken_voice::style::{StyleGuide, Violation};
use serde::Serialize;
use serde_json::{json, Value};

use super::{render, require, MeView};
use crate::app::AppState;
use crate::approvals::{certify, voice};
use crate::auth::Principal;
use crate::domain::channel::Channel;
use crate::domain::role::Permission;
use crate::domain::time::now_millis;
use crate::domain::Actor;
use crate::http::error::{ApiError, PageError};
use crate::http::session::PageUser;
use crate::storage::approvals::{AttemptRow, CertificationRow};

/// Form fields as posted, in document order (repeated keys kept).
type Fields = Vec<(String, String)>;

fn bad(msg: impl Into<String>) -> PageError {
    PageError(ApiError::BadRequest(msg.into()))
}

fn field<'a>(f: &'a Fields, name: &str) -> Option<&'a str> {
    f.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn all<'a>(f: &'a Fields, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    f.iter()
        .filter(move |(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn number<T: std::str::FromStr>(f: &Fields, name: &str, what: &str) -> Result<T, PageError> {
    let raw = field(f, name).unwrap_or("").trim();
    raw.parse()
        .map_err(|_| bad(format!("{what}: {raw:?} is not a whole number in range")))
}

fn channel_names() -> Vec<&'static str> {
    Channel::ALL.iter().map(|c| c.as_str()).collect()
}

fn reviewer(who: &Principal) -> Result<(), PageError> {
    if certify::may_review(who.role) {
        Ok(())
    } else {
        Err(PageError(ApiError::Forbidden))
    }
}

async fn user_names(state: &AppState, who: &Principal) -> Result<HashMap<i64, String>, PageError> {
    Ok(state
        .store
        .users(who.workspace)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect())
}

fn name_of(names: &HashMap<i64, String>, id: i64) -> String {
    names
        .get(&id)
        .cloned()
        .unwrap_or_else(|| format!("user {id}"))
}

// ---- the list and the manager's form ---------------------------------------------------

/// GET /tests
pub async fn list(
    State(state): State<AppState>,
    PageUser(who): PageUser,
) -> Result<Html<String>, PageError> {
    require(&who, Permission::ReadConversations)?;
    let ws = who.workspace;
    let mut tests = Vec::new();
    for row in state.store.comm_tests(ws).await? {
        let (row, test) = certify::load(&state, ws, row.id).await?;
        let channels: Vec<String> = serde_json::from_str(&row.channels).unwrap_or_default();
        tests.push(json!({
            "id": row.id, "name": row.name, "channels": channels,
            "validity_days": row.validity_days, "pass_mark": test.pass_mark_percent,
            "questions": test.questions.len(),
        }));
    }
    let book = voice::style_book(&state, ws).await?;
    let locales: Vec<String> = book
        .as_ref()
        .map(|b| b.variants.keys().cloned().collect())
        .unwrap_or_default();
    let mine: Vec<Value> = state
        .store
        .attempts(ws)
        .await?
        .into_iter()
        .filter(|a| a.user_id == who.user_id)
        .map(|a| attempt_summary(&a))
        .collect();
    render(
        &state,
        "comm_tests.html",
        json!({
            "me": MeView::of(&who),
            "tests": tests,
            "mine": mine,
            "can_create": who.can(Permission::ManageBrandVoice),
            "can_take": who.can(Permission::WorkConversations),
            "can_review": certify::may_review(who.role),
            "channels": channel_names(),
            "locales": locales,
            "default_locale": book.as_ref().map(|b| b.default_locale.clone()),
            "blank": [["scenario", 0], ["scenario", 1], ["choice", 2], ["choice", 3]],
        }),
    )
}

fn attempt_summary(a: &AttemptRow) -> Value {
    json!({
        "id": a.id, "test_id": a.test_id, "status": a.status, "submitted_at": a.submitted_at,
        "score": a.score_bp.map(|b| b as f64 / 100.0), "passed": a.passed.map(|p| p != 0),
    })
}

/// POST /tests: a test from the structured form. Question blocks are `q{n}-…` fields; a
/// block with an empty prompt is skipped, so the blank blocks the page offers may stay blank.
pub async fn create(
    State(state): State<AppState>,
    PageUser(who): PageUser,
    Form(f): Form<Fields>,
) -> Result<Redirect, PageError> {
    require(&who, Permission::ManageBrandVoice)?;
    let name = field(&f, "name").unwrap_or("").to_owned();
    let channels: Vec<String> = all(&f, "channels").map(str::to_owned).collect();
    let pass_mark: u8 = number(&f, "pass_mark", "pass mark")?;
    let validity_days: i64 = number(&f, "validity_days", "validity")?;
    let style = guide_for_test(&state, &who, field(&f, "locale")).await?;
    let questions = questions_from(&f)?;
    let test = CommTest {
        id: slug(&name),
        pass_mark_percent: pass_mark,
        style,
        questions,
    };
    certify::create(&state, &who, &name, &channels, validity_days, &test).await?;
    Ok(Redirect::to("/tests"))
}

/// The style guide in force for the chosen locale (the default locale without a choice);
/// a workspace without a guide gets an empty one, so scenario answers find nothing.
async fn guide_for_test(
    state: &AppState,
    who: &Principal,
    locale: Option<&str>,
) -> Result<StyleGuide, PageError> {
    let Some(book) = voice::style_book(state, who.workspace).await? else {
        return Ok(StyleGuide {
            version: 0,
            locale: locale.filter(|l| !l.is_empty()).unwrap_or("en").to_owned(),
            rules: Vec::new(),
        });
    };
    let locale = locale
        .filter(|l| !l.is_empty())
        .unwrap_or(&book.default_locale);
    book.variants
        .get(locale)
        .cloned()
        .ok_or_else(|| bad(format!("no style guide for locale {locale:?}")))
}

fn slug(name: &str) -> String {
    let s: String = name
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .collect();
    s.trim_matches('-').to_owned()
}

/// The question blocks, in the order their fields first appear.
fn questions_from(f: &Fields) -> Result<Vec<Question>, PageError> {
    let mut blocks: Vec<&str> = Vec::new();
    for (k, _) in f {
        if let Some((block, _)) = k.split_once('-') {
            let numbered = block.len() > 1 && block[1..].bytes().all(|b| b.is_ascii_digit());
            if block.starts_with('q') && numbered && !blocks.contains(&block) {
                blocks.push(block);
            }
        }
    }
    let mut out = Vec::new();
    for block in blocks {
        let get = |name: &str| field(f, &format!("{block}-{name}")).unwrap_or("");
        let prompt = get("prompt").trim();
        if prompt.is_empty() {
            continue;
        }
        let n = out.len() + 1;
        let kind = match get("kind") {
            "scenario" => {
                let channel = get("channel").to_owned();
                if channel.parse::<Channel>().is_err() {
                    return Err(bad(format!("question {n}: unknown channel {channel:?}")));
                }
                QuestionKind::Scenario {
                    channel,
                    style_points: number(f, &format!("{block}-style_points"), "style points")?,
                    rubric: rubric_from(get("rubric"), n)?,
                }
            }
            "choice" => {
                let (options, correct) = options_from(get("options"), n)?;
                QuestionKind::MultipleChoice {
                    options,
                    correct,
                    points: number(f, &format!("{block}-points"), "points")?,
                }
            }
            other => return Err(bad(format!("question {n}: unknown kind {other:?}"))),
        };
        out.push(Question {
            id: format!("q{n}"),
            prompt: prompt.to_owned(),
            kind,
        });
    }
    Ok(out)
}

/// `Tone: 5` per line: a criterion and its highest score.
fn rubric_from(text: &str, n: usize) -> Result<Vec<Criterion>, PageError> {
    let mut out: Vec<Criterion> = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (id, max) = line.rsplit_once(':').ok_or_else(|| {
            bad(format!(
                "question {n}: write each criterion as \"name: max\""
            ))
        })?;
        let id = id.trim().to_owned();
        let max = max.trim().parse().map_err(|_| {
            bad(format!(
                "question {n}: {line:?} needs a whole number after ':'"
            ))
        })?;
        if id.is_empty() || out.iter().any(|c| c.id == id) {
            return Err(bad(format!(
                "question {n}: criterion names must be present and distinct"
            )));
        }
        out.push(Criterion { id, max });
    }
    Ok(out)
}

/// One option per line; a leading `*` marks a correct one.
fn options_from(text: &str, n: usize) -> Result<(Vec<String>, BTreeSet<String>), PageError> {
    let mut options = Vec::new();
    let mut correct = BTreeSet::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (right, option) = match line.strip_prefix('*') {
            Some(rest) => (true, rest.trim().to_owned()),
            None => (false, line.to_owned()),
        };
        if option.is_empty() || options.contains(&option) {
            return Err(bad(format!(
                "question {n}: options must be present and distinct"
            )));
        }
        if right {
            correct.insert(option.clone());
        }
        options.push(option);
    }
    if options.len() < 2 || correct.is_empty() {
        return Err(bad(format!(
            "question {n}: give at least two options and mark the correct ones with *"
        )));
    }
    Ok((options, correct))
}

// ---- taking a test -------------------------------------------------------------------------

/// A question as a page shows it; the correct options are never sent to the candidate.
#[derive(Serialize)]
struct QuestionView {
    id: String,
    number: usize,
    prompt: String,
    kind: &'static str,
    channel: Option<String>,
    options: Vec<String>,
    rubric: Vec<Criterion>,
}

fn question_views(test: &CommTest) -> Vec<QuestionView> {
    test.questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let mut v = QuestionView {
                id: q.id.clone(),
                number: i + 1,
                prompt: q.prompt.clone(),
                kind: "choice",
                channel: None,
                options: Vec::new(),
                rubric: Vec::new(),
            };
            match &q.kind {
                QuestionKind::MultipleChoice { options, .. } => v.options = options.clone(),
                QuestionKind::Scenario {
                    channel, rubric, ..
                } => {
                    v.kind = "scenario";
                    v.channel = Some(channel.clone());
                    v.rubric = rubric.clone();
                }
            }
            v
        })
        .collect()
}

/// GET /tests/{id}: the paper.
pub async fn paper(
    State(state): State<AppState>,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
) -> Result<Html<String>, PageError> {
    require(&who, Permission::ReadConversations)?;
    let (row, test) = certify::load(&state, who.workspace, id).await?;
    let channels: Vec<String> = serde_json::from_str(&row.channels).unwrap_or_default();
    render(
        &state,
        "comm_test_take.html",
        json!({
            "me": MeView::of(&who),
            "test": { "id": row.id, "name": row.name, "channels": channels,
                      "pass_mark": test.pass_mark_percent, "validity_days": row.validity_days,
                      "style_locale": test.style.locale, "style_version": test.style.version },
            "questions": question_views(&test),
            "can_take": who.can(Permission::WorkConversations),
        }),
    )
}

/// POST /tests/{id}/attempts: `a-{question}` holds a scenario reply, `c-{question}` the
/// index of each chosen option. Blank replies and questions with nothing chosen count as
/// unanswered.
pub async fn take(
    State(state): State<AppState>,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<Fields>,
) -> Result<Redirect, PageError> {
    require(&who, Permission::WorkConversations)?;
    let (_, test) = certify::load(&state, who.workspace, id).await?;
    let mut answers = BTreeMap::new();
    for q in &test.questions {
        match &q.kind {
            QuestionKind::Scenario { .. } => {
                let text = field(&f, &format!("a-{}", q.id)).unwrap_or("");
                if !text.trim().is_empty() {
                    answers.insert(q.id.clone(), Answer::Text(text.to_owned()));
                }
            }
            QuestionKind::MultipleChoice { options, .. } => {
                let name = format!("c-{}", q.id);
                let chosen = all(&f, &name)
                    .map(|i| {
                        i.parse::<usize>()
                            .ok()
                            .and_then(|i| options.get(i).cloned())
                            .ok_or_else(|| bad(format!("no option {i:?} in {}", q.id)))
                    })
                    .collect::<Result<BTreeSet<_>, _>>()?;
                if !chosen.is_empty() {
                    answers.insert(q.id.clone(), Answer::Choices(chosen));
                }
            }
        }
    }
    let row = certify::attempt(&state, &who, id, &answers).await?;
    Ok(Redirect::to(&format!("/attempts/{}", row.id)))
}

// ---- an attempt, its automatic part, and grading ---------------------------------------------

/// An attempt as the result and review pages show it.
async fn attempt_view(
    state: &AppState,
    who: &Principal,
    a: &AttemptRow,
    names: &HashMap<i64, String>,
) -> Result<Value, PageError> {
    let (row, test) = certify::load(state, who.workspace, a.test_id).await?;
    let answers: BTreeMap<String, Answer> = serde_json::from_str(&a.answers).unwrap_or_default();
    let findings: BTreeMap<String, Vec<Violation>> =
        serde_json::from_str(&a.style_check).unwrap_or_default();
    let auto = certify::automatic_score(&test, &answers);
    let (mut mc_earned, mut mc_possible) = (0u32, 0u32);
    let mut questions = Vec::new();
    for (v, q) in question_views(&test).into_iter().zip(&test.questions) {
        let result = auto
            .as_ref()
            .and_then(|g| g.per_question.iter().find(|r| r.question_id == q.id));
        let (answer, chosen) = match answers.get(&q.id) {
            Some(Answer::Text(t)) => (Some(t.clone()), Vec::new()),
            Some(Answer::Choices(c)) => (None, c.iter().cloned().collect()),
            None => (None, Vec::new()),
        };
        let mut earned = None;
        if matches!(q.kind, QuestionKind::MultipleChoice { .. }) {
            if let Some(r) = result {
                mc_earned += r.earned;
                mc_possible += r.possible;
                earned = Some(json!([r.earned, r.possible]));
            }
        }
        questions.push(json!({
            "q": v, "answer": answer, "chosen": chosen, "choice_points": earned,
            "findings": findings.get(&q.id).cloned().unwrap_or_default(),
        }));
    }
    let certification = if a.passed == Some(1) {
        state
            .store
            .certifications(who.workspace, Some(a.user_id))
            .await?
            .into_iter()
            .find(|c| c.attempt_id == Some(a.id))
            .map(|c| cert_view(&c, names, now_millis()))
    } else {
        None
    };
    let channels: Vec<String> = serde_json::from_str(&row.channels).unwrap_or_default();
    Ok(json!({
        "id": a.id,
        "status": a.status,
        "user": name_of(names, a.user_id),
        "user_id": a.user_id,
        "reviewer": a.reviewer_id.map(|r| name_of(names, r)),
        "submitted_at": a.submitted_at,
        "graded_at": a.graded_at,
        "score": a.score_bp.map(|b| b as f64 / 100.0),
        "passed": a.passed.map(|p| p != 0),
        "test": { "id": row.id, "name": row.name, "channels": channels,
                  "pass_mark": test.pass_mark_percent },
        "questions": questions,
        "choice_score": (mc_possible > 0).then(|| json!([mc_earned, mc_possible])),
        "certification": certification,
    }))
}

/// GET /attempts/{id}: the candidate's own result; reviewers see everyone's.
pub async fn result(
    State(state): State<AppState>,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
) -> Result<Html<String>, PageError> {
    let a = state
        .store
        .attempt(who.workspace, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if a.user_id != who.user_id {
        reviewer(&who)?;
    }
    let names = user_names(&state, &who).await?;
    let view = attempt_view(&state, &who, &a, &names).await?;
    render(
        &state,
        "comm_attempt.html",
        json!({ "me": MeView::of(&who), "a": view }),
    )
}

/// GET /tests/review: attempts awaiting review, with the rubric to score.
pub async fn review(
    State(state): State<AppState>,
    PageUser(who): PageUser,
) -> Result<Html<String>, PageError> {
    reviewer(&who)?;
    let names = user_names(&state, &who).await?;
    let mut waiting = Vec::new();
    let mut graded = Vec::new();
    for a in state.store.attempts(who.workspace).await? {
        if a.status == "submitted" {
            let mut v = attempt_view(&state, &who, &a, &names).await?;
            v["own"] = json!(a.user_id == who.user_id);
            waiting.push(v);
        } else if graded.len() < 50 {
            let mut v = attempt_summary(&a);
            v["user"] = json!(name_of(&names, a.user_id));
            graded.push(v);
        }
    }
    // Oldest first: the store lists newest first.
    waiting.reverse();
    render(
        &state,
        "comm_review.html",
        json!({ "me": MeView::of(&who), "waiting": waiting, "graded": graded }),
    )
}

/// POST /attempts/{id}/grade: `s-{question}-{n}` is the score of the question's n-th
/// rubric criterion (from 0).
pub async fn grade(
    State(state): State<AppState>,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<Fields>,
) -> Result<Redirect, PageError> {
    reviewer(&who)?;
    let a = state
        .store
        .attempt(who.workspace, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let (_, test) = certify::load(&state, who.workspace, a.test_id).await?;
    let mut scores = BTreeMap::new();
    for q in &test.questions {
        if let QuestionKind::Scenario { rubric, .. } = &q.kind {
            let mut given = BTreeMap::new();
            for (n, c) in rubric.iter().enumerate() {
                let score: u32 = number(&f, &format!("s-{}-{n}", q.id), &c.id)?;
                given.insert(c.id.clone(), score);
            }
            scores.insert(q.id.clone(), given);
        }
    }
    certify::grade(&state, &who, id, &scores).await?;
    Ok(Redirect::to(&format!("/attempts/{id}")))
}

// ---- reply rights -------------------------------------------------------------------------

fn cert_view(c: &CertificationRow, names: &HashMap<i64, String>, now: i64) -> Value {
    let channels: Vec<String> = serde_json::from_str(&c.channels).unwrap_or_default();
    json!({
        "id": c.id, "user": name_of(names, c.user_id), "channels": channels,
        "granted_at": c.granted_at, "expires_at": c.expires_at, "revoked_at": c.revoked_at,
        "attempt_id": c.attempt_id, "status": certify::status(c, now),
    })
}

/// GET /certifications: who may reply directly on which channels, until when.
pub async fn certifications(
    State(state): State<AppState>,
    PageUser(who): PageUser,
) -> Result<Html<String>, PageError> {
    require(&who, Permission::ReadConversations)?;
    let names = user_names(&state, &who).await?;
    let now = now_millis();
    let mut rows: Vec<Value> = state
        .store
        .certifications(who.workspace, None)
        .await?
        .iter()
        .map(|c| cert_view(c, &names, now))
        .collect();
    rows.reverse();
    render(
        &state,
        "certifications.html",
        json!({
            "me": MeView::of(&who),
            "certifications": rows,
            "can_revoke": who.can(Permission::ManageBrandVoice),
        }),
    )
}

/// POST /certifications/{id}/revoke
pub async fn revoke(
    State(state): State<AppState>,
    PageUser(who): PageUser,
    Path(id): Path<i64>,
) -> Result<Redirect, PageError> {
    require(&who, Permission::ManageBrandVoice)?;
    state
        .store
        .revoke_certification(who.workspace, id, &Actor::User(who.user_id))
        .await?;
    Ok(Redirect::to("/certifications"))
}
