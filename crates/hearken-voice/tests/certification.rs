//! Grading and certificate validity tests; scores computed by hand.

use std::collections::{BTreeMap, BTreeSet};

use hearken_voice::approval::UserId;
use hearken_voice::certification::*;
use hearken_voice::style::{Rule, RuleKind, Severity, SignOff, StyleGuide};
use jiff::Timestamp;

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn test_def() -> CommTest {
    CommTest {
        id: "t".into(),
        pass_mark_percent: 70,
        style: StyleGuide {
            version: 1,
            locale: "en".into(),
            rules: vec![
                Rule {
                    id: "sign".into(),
                    severity: Severity::Blocking,
                    kind: RuleKind::RequiredSignOff {
                        sign_off: SignOff::Regex("^[A-Z]{2}$".into()),
                    },
                },
                Rule {
                    id: "asap".into(),
                    severity: Severity::Warning,
                    kind: RuleKind::BannedPhrase {
                        phrase: "asap".into(),
                        suggestion: None,
                    },
                },
            ],
        },
        questions: vec![
            Question {
                id: "q1".into(),
                prompt: String::new(),
                kind: QuestionKind::MultipleChoice {
                    options: vec!["a".into(), "b".into(), "c".into()],
                    correct: set(&["a", "c"]),
                    points: 4,
                },
            },
            Question {
                id: "q2".into(),
                prompt: String::new(),
                kind: QuestionKind::Scenario {
                    channel: "twitter".into(),
                    style_points: 3,
                    rubric: vec![
                        Criterion {
                            id: "empathy".into(),
                            max: 5,
                        },
                        Criterion {
                            id: "accuracy".into(),
                            max: 3,
                        },
                    ],
                },
            },
        ],
    }
}

fn scores(empathy: u32, accuracy: u32) -> ReviewerScores {
    BTreeMap::from([(
        "q2".to_string(),
        BTreeMap::from([
            ("empathy".to_string(), empathy),
            ("accuracy".to_string(), accuracy),
        ]),
    )])
}

fn answers(choices: &[&str], text: &str) -> BTreeMap<String, Answer> {
    BTreeMap::from([
        ("q1".to_string(), Answer::Choices(set(choices))),
        ("q2".to_string(), Answer::Text(text.into())),
    ])
}

#[test]
fn full_marks() {
    let g = grade(
        &test_def(),
        &answers(&["a", "c"], "Sorry!\nJD"),
        &scores(5, 3),
    )
    .unwrap();
    // 4 + 3 + 8 = 15 of 15.
    assert_eq!(g.score_percent, 100.0);
    assert!(g.passed);
    assert_eq!(g.per_question[1].earned, 11);
}

#[test]
fn partial_choice_and_warning_deduction() {
    // q1 wrong (partial set) → 0/4; q2: one warning → 2/3 style, rubric 5+3 → 10/11.
    let g = grade(
        &test_def(),
        &answers(&["a"], "Fixing it asap.\nJD"),
        &scores(5, 3),
    )
    .unwrap();
    assert_eq!(g.per_question[0].earned, 0);
    assert_eq!(g.per_question[1].earned, 10);
    assert_eq!(g.per_question[1].violations.len(), 1);
    // 10 / 15 = 66.67% < 70%.
    assert!((g.score_percent - 66.666_666).abs() < 0.001);
    assert!(!g.passed);
}

#[test]
fn blocking_violation_zeroes_style_points_and_pass_mark_is_inclusive() {
    // No sign-off → style 0; 4 + 0 + (4 + 3) = 11 / 15 = 73.3% ≥ 70.
    let g = grade(&test_def(), &answers(&["c", "a"], "Sorry!"), &scores(4, 3)).unwrap();
    assert_eq!(g.per_question[1].earned, 7);
    assert!(g.passed);
    // Exactly at the mark: pass mark 60, 9/15 = 60%.
    let t = CommTest {
        pass_mark_percent: 60,
        ..test_def()
    };
    let g = grade(&t, &answers(&["a", "c"], "Sorry!"), &scores(2, 3)).unwrap();
    assert_eq!(g.score_percent, 60.0);
    assert!(g.passed);
}

#[test]
fn grading_errors() {
    let t = test_def();
    assert_eq!(
        grade(&t, &answers(&["a", "z"], "x"), &scores(1, 1)),
        Err(GradeError::UnknownOption {
            question: "q1".into(),
            option: "z".into()
        })
    );
    assert_eq!(
        grade(&t, &answers(&["a"], "x"), &scores(6, 1)),
        Err(GradeError::ScoreTooHigh {
            question: "q2".into(),
            criterion: "empathy".into(),
            score: 6,
            max: 5
        })
    );
    assert!(matches!(
        grade(&t, &answers(&["a"], "x"), &BTreeMap::new()),
        Err(GradeError::MissingReviewerScore { .. })
    ));
    let mut extra = answers(&["a"], "x");
    extra.insert("q9".into(), Answer::Text("?".into()));
    assert_eq!(
        grade(&t, &extra, &scores(1, 1)),
        Err(GradeError::UnknownQuestion("q9".into()))
    );
}

#[test]
fn unanswered_questions_score_zero() {
    let g = grade(&test_def(), &BTreeMap::new(), &scores(0, 0)).unwrap();
    assert_eq!(g.score_percent, 0.0);
    assert!(!g.passed);
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[test]
fn certification_validity() {
    let c = Certification {
        user: UserId::from("sam"),
        channels: set(&["twitter", "email"]),
        granted_at: ts("2025-01-01T00:00:00Z"),
        expires_at: Some(ts("2026-01-01T00:00:00Z")),
        revoked_at: None,
    };
    assert!(c.is_valid(ts("2025-06-01T00:00:00Z"), "twitter"));
    assert!(!c.is_valid(ts("2025-06-01T00:00:00Z"), "facebook"));
    assert!(!c.is_valid(ts("2024-12-31T23:59:59Z"), "twitter"));
    assert!(!c.is_valid(ts("2026-01-01T00:00:00Z"), "twitter"));
    let revoked = Certification {
        revoked_at: Some(ts("2025-03-01T00:00:00Z")),
        ..c
    };
    assert!(revoked.is_valid(ts("2025-02-28T00:00:00Z"), "email"));
    assert!(!revoked.is_valid(ts("2025-03-01T00:00:00Z"), "email"));
}
