//! Issue #5, the audit trail that proves itself: verification names the first broken
//! row, signed checkpoints catch truncation and forgery, events carry hashes not content,
//! and search and export work and are audited. Runs on SQLite, and on PostgreSQL when
//! HEARKEN_TEST_DATABASE_URL is set.

mod common;
mod history_support;

use common::TestApp;
use hearken::audit::checkpoint::{self, AuditKey};
use hearken::audit::verify::{verify_with, Verdict};
use hearken::domain::channel::Channel;
use hearken::domain::Actor;
use hearken::storage::{AuditFilter, NewAuditEvent};
use history_support::*;
use serde_json::json;

fn key() -> AuditKey {
    AuditKey::new("test audit key").unwrap()
}

/// A workspace with some ordinary history: ingest, a reply, a note, a tag.
async fn busy_app() -> (TestApp, common::TestUser) {
    let app = TestApp::new().await;
    let agent = app.user("agent").await;
    let items = [
        inbound(Channel::X, "acme", "p1", "u1", "my order never came", 1_000),
        inbound(Channel::X, "acme", "p2", "u2", "where is my refund", 2_000),
    ];
    ingest(app.store(), app.ws, &items).await;
    let conv = conversation_of(app.store(), app.ws, "x", "p1").await;
    let path = format!("/api/v1/conversations/{conv}");
    let (s, _) = app
        .api(
            &agent.token,
            "POST",
            &format!("{path}/replies"),
            Some(json!({"text": "sorry, looking now"})),
        )
        .await;
    assert_eq!(s, 201);
    let (s, _) = app
        .api(
            &agent.token,
            "POST",
            &format!("{path}/notes"),
            Some(json!({"body": "customer is upset"})),
        )
        .await;
    assert_eq!(s, 201);
    let (s, _) = app
        .api(
            &agent.token,
            "POST",
            &format!("{path}/tags"),
            Some(json!({"tag": "delivery"})),
        )
        .await;
    assert_eq!(s, 204);
    (app, agent)
}

#[tokio::test]
async fn an_untouched_log_verifies_with_its_checkpoints() {
    let (app, _) = busy_app().await;
    checkpoint::record(app.store(), app.ws, &key())
        .await
        .unwrap();
    let report = hearken::cli::audit_verify(app.store(), "acme", Some(&key()))
        .await
        .unwrap();
    let events = app
        .store()
        .audit_chain(app.ws, 0, 10_000)
        .await
        .unwrap()
        .len();
    assert!(report.contains(&format!("{events} events")), "{report}");
    assert!(report.contains("1 checkpoints"), "{report}");
}

#[tokio::test]
async fn changing_one_rows_text_in_the_database_names_that_row() {
    let (app, _) = busy_app().await;
    let chain = app.store().audit_chain(app.ws, 0, 10_000).await.unwrap();
    let victim = chain
        .iter()
        .find(|r| r.action == "reply.sent")
        .expect("reply event");
    let mut sql = lift_guard(&app.db, "audit_events");
    sql.push(format!(
        "UPDATE audit_events SET after_state = '{{\"text_sha256\":\"forged\"}}' WHERE id = {}",
        victim.id
    ));
    raw_exec(&app.db, &sql).await;

    let err = hearken::cli::audit_verify(app.store(), "acme", None)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!("sequence {} (row id {})", victim.seq, victim.id)),
        "{err}"
    );
}

#[tokio::test]
async fn deleting_a_row_in_the_middle_is_detected_at_that_sequence() {
    let (app, _) = busy_app().await;
    let chain = app.store().audit_chain(app.ws, 0, 10_000).await.unwrap();
    let victim = &chain[2];
    let mut sql = lift_guard(&app.db, "audit_events");
    sql.push(format!("DELETE FROM audit_events WHERE id = {}", victim.id));
    raw_exec(&app.db, &sql).await;
    match verify_with(app.store(), app.ws, None).await.unwrap() {
        Verdict::Broken { seq, .. } => assert_eq!(seq, victim.seq),
        other => panic!("expected a broken chain, got {other:?}"),
    }
}

#[tokio::test]
async fn a_cut_tail_with_a_rewound_head_is_caught_by_the_signed_checkpoint() {
    let (app, _) = busy_app().await;
    let cp = checkpoint::record(app.store(), app.ws, &key())
        .await
        .unwrap();
    let chain = app.store().audit_chain(app.ws, 0, 10_000).await.unwrap();
    let keep = &chain[chain.len() - 3];
    let mut sql = lift_guard(&app.db, "audit_events");
    sql.push(format!(
        "DELETE FROM audit_events WHERE workspace_id = {} AND seq > {}",
        app.ws.0, keep.seq
    ));
    sql.push(format!(
        "UPDATE audit_heads SET seq = {}, hash = '{}' WHERE workspace_id = {}",
        keep.seq, keep.hash, app.ws.0
    ));
    raw_exec(&app.db, &sql).await;
    let v = verify_with(app.store(), app.ws, Some(&key()))
        .await
        .unwrap();
    assert_eq!(
        v,
        Verdict::Truncated {
            events: keep.seq,
            expected: cp.seq
        }
    );
}

#[tokio::test]
async fn a_forged_checkpoint_is_refused() {
    let (app, _) = busy_app().await;
    let cp = checkpoint::record(app.store(), app.ws, &key())
        .await
        .unwrap();
    let forged = AuditKey::new("not the key").unwrap();
    assert!(matches!(
        verify_with(app.store(), app.ws, Some(&forged)).await.unwrap(),
        Verdict::BadCheckpoint { id, .. } if id == cp.id
    ));
    // Checkpoints are append-only too.
    let mut sql = lift_guard(&app.db, "audit_checkpoints");
    sql.push(format!(
        "UPDATE audit_checkpoints SET signature = '00' WHERE id = {}",
        cp.id
    ));
    raw_exec(&app.db, &sql).await;
    assert!(matches!(
        verify_with(app.store(), app.ws, Some(&key()))
            .await
            .unwrap(),
        Verdict::BadCheckpoint { .. }
    ));
}

#[tokio::test]
async fn checkpoints_and_events_cannot_be_changed_through_the_guard() {
    let (app, _) = busy_app().await;
    checkpoint::record(app.store(), app.ws, &key())
        .await
        .unwrap();
    for q in [
        "UPDATE audit_events SET actor = 'x'",
        "DELETE FROM audit_events",
        "UPDATE audit_checkpoints SET seq = 0",
        "DELETE FROM audit_checkpoints",
    ] {
        assert!(raw_try(&app.db, q).await.is_err(), "{q} should be refused");
    }
}

#[tokio::test]
async fn every_event_has_an_actor_and_no_event_carries_customer_text() {
    let (app, _) = busy_app().await;
    let chain = app.store().audit_chain(app.ws, 0, 10_000).await.unwrap();
    assert!(chain.len() >= 6);
    for row in &chain {
        assert!(
            !row.actor.trim().is_empty(),
            "event {} has no actor",
            row.seq
        );
        let states = format!(
            "{:?} {:?} {}",
            row.before_state, row.after_state, row.subject
        );
        for text in [
            "my order never came",
            "where is my refund",
            "sorry, looking now",
            "customer is upset",
        ] {
            assert!(!states.contains(text), "event {} carries content", row.seq);
        }
    }
}

#[tokio::test]
async fn no_foreign_key_cascades_deletes() {
    let app = TestApp::new().await;
    let cascades =
        match app.db.location().1 {
            None => raw_i64(
                &app.db,
                "SELECT COUNT(*) FROM sqlite_master WHERE upper(sql) LIKE '%ON DELETE CASCADE%'",
            )
            .await,
            Some(schema) => {
                raw_i64(
                    &app.db,
                    &format!(
                        "SELECT COUNT(*) FROM information_schema.referential_constraints \
                     WHERE constraint_schema = '{schema}' AND delete_rule = 'CASCADE'"
                    ),
                )
                .await
            }
        };
    assert_eq!(cascades, 0);
}

async fn seed_events(app: &TestApp) {
    let events = [
        (
            5_000,
            "user:900",
            "probe.ran",
            "=HYPERLINK(\"http://evil\")",
        ),
        (6_000, "user:900", "probe.ran", "+cmd"),
        (7_000, "user:901", "probe.ran", "@SUM(A1)"),
        (8_000, "user:900", "probe.other", "\tTab"),
        (9_000, "user:900", "probe.ran", "-2"),
    ];
    for (at, actor, action, subject) in events {
        let ev = NewAuditEvent {
            at,
            actor: actor.into(),
            action: action.into(),
            subject: subject.into(),
            before: None,
            after: None,
        };
        app.store().append_audit(app.ws, &ev).await.unwrap();
    }
}

#[tokio::test]
async fn search_filters_by_actor_action_subject_and_time() {
    let app = TestApp::new().await;
    let auditor = app.user("auditor").await;
    seed_events(&app).await;
    let count = |q: &'static str| {
        let app = &app;
        let t = auditor.token.clone();
        async move {
            let (s, v) = app
                .api(&t, "GET", &format!("/api/v1/audit?{q}"), None)
                .await;
            assert_eq!(s, 200);
            v.as_array().unwrap().len()
        }
    };
    // By hand from the five seeded events.
    assert_eq!(count("actor=user:900").await, 4);
    assert_eq!(count("actor=user:900&action=probe.ran").await, 3);
    assert_eq!(count("subject=-2").await, 1);
    assert_eq!(count("action=probe.ran&from=6000&to=9000").await, 2);
    let agent = app.user("agent").await;
    let (s, _) = app.api(&agent.token, "GET", "/api/v1/audit", None).await;
    assert_eq!(s, 403);
}

#[tokio::test]
async fn csv_export_makes_formula_cells_inert_and_is_audited() {
    let app = TestApp::new().await;
    let auditor = app.user("auditor").await;
    seed_events(&app).await;
    let (s, ctype, body) = get_raw(
        &app,
        &auditor.token,
        "/api/v1/audit/export?format=csv&actor=user:900",
    )
    .await;
    assert_eq!(s, 200);
    assert!(ctype.starts_with("text/csv"));
    let mut r = csv::Reader::from_reader(body.as_slice());
    let subjects: Vec<String> = r.records().map(|x| x.unwrap()[5].to_owned()).collect();
    assert_eq!(
        subjects,
        vec!["'=HYPERLINK(\"http://evil\")", "'+cmd", "'\tTab", "'-2"]
    );

    let exported = app
        .store()
        .audit_events(
            app.ws,
            &AuditFilter {
                action: Some("audit.exported".into()),
                ..Default::default()
            },
            10,
        )
        .await
        .unwrap();
    assert_eq!(exported.len(), 1);
    assert_eq!(exported[0].actor, Actor::User(auditor.id).as_audit_text());
    let after: serde_json::Value =
        serde_json::from_str(exported[0].after_state.as_deref().unwrap()).unwrap();
    assert_eq!(after["events"], 4);
    assert_eq!(after["format"], "csv");
    assert!(hearken::audit::verify::verify(app.store(), app.ws)
        .await
        .unwrap()
        .is_intact());
}

#[tokio::test]
async fn jsonl_export_lists_matching_events_oldest_first() {
    let app = TestApp::new().await;
    let auditor = app.user("auditor").await;
    seed_events(&app).await;
    let (s, ctype, body) = get_raw(
        &app,
        &auditor.token,
        "/api/v1/audit/export?format=jsonl&action=probe.ran",
    )
    .await;
    assert_eq!(s, 200);
    assert!(ctype.starts_with("application/x-ndjson"));
    let lines: Vec<serde_json::Value> = String::from_utf8(body)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ats: Vec<i64> = lines.iter().map(|l| l["at"].as_i64().unwrap()).collect();
    assert_eq!(ats, vec![5_000, 6_000, 7_000, 9_000]);
    let agent = app.user("agent").await;
    let (s, _, _) = get_raw(&app, &agent.token, "/api/v1/audit/export").await;
    assert_eq!(s, 403);
}

#[tokio::test]
async fn verify_is_available_over_the_api() {
    let (app, _) = busy_app().await;
    let auditor = app.user("auditor").await;
    let (s, v) = app
        .api(&auditor.token, "GET", "/api/v1/audit/verify", None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["intact"], true);
}
