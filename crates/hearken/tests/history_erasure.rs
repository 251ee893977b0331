//! Issue #5, erasure and retention: a privacy request or a card number removes the content
//! everywhere while the audit chain stays verifiable; retention erases old content the same
//! way; legal holds suspend both. Runs on SQLite, and on PostgreSQL when
//! HEARKEN_TEST_DATABASE_URL is set.

mod common;
mod history_support;

use common::TestApp;
use hearken::audit::verify::verify;
use hearken::domain::channel::Channel;
use hearken::domain::time::now_millis;
use hearken::storage::AuditFilter;
use history_support::*;
use serde_json::{json, Value};

/// How many stored texts anywhere still contain `needle`, counted directly in the database.
async fn traces(app: &TestApp, needle: &str) -> i64 {
    let like = format!("'%{needle}%'");
    let mut total = 0;
    for (table, column) in [
        ("messages", "text"),
        ("message_versions", "text"),
        ("notes", "body"),
        ("conversations", "preview"),
        ("preserved_originals", "text"),
        ("draft_versions", "text"),
        ("drafts", "state"),
        ("audit_events", "after_state"),
        ("audit_events", "before_state"),
        ("audit_events", "subject"),
    ] {
        total += raw_i64(
            &app.db,
            &format!("SELECT COUNT(*) FROM {table} WHERE {column} LIKE {like}"),
        )
        .await;
    }
    total
}

async fn last_event(app: &TestApp, action: &str) -> (String, Value) {
    let filter = AuditFilter {
        action: Some(action.into()),
        ..Default::default()
    };
    let rows = app.store().audit_events(app.ws, &filter, 1).await.unwrap();
    let row = rows.into_iter().next().expect("event");
    (
        row.actor,
        serde_json::from_str(row.after_state.as_deref().unwrap()).unwrap(),
    )
}

#[tokio::test]
async fn a_privacy_request_erases_a_contact_everywhere_and_the_chain_still_verifies() {
    let app = TestApp::new().await;
    let admin = app.user("admin").await;
    let agent = app.user("agent").await;
    let mut edited = inbound(Channel::X, "acme", "e1", "11", "secretword now", 1_000);
    edited.earlier_versions = vec!["secretword before".into()];
    let other = inbound(Channel::X, "acme", "o1", "12", "someone else", 2_000);
    ingest(app.store(), app.ws, &[edited, other]).await;
    let contact = contact_of(app.store(), app.ws, "x", "e1").await;
    let conv = conversation_of(app.store(), app.ws, "x", "e1").await;
    app.api(
        &agent.token,
        "POST",
        &format!("/api/v1/conversations/{conv}/notes"),
        Some(json!({"body": "secretword noted"})),
    )
    .await;
    // A reply scheduled for tomorrow waits as a draft that quotes the customer.
    let tomorrow = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24);
    let (s, held) = app
        .api(
            &agent.token,
            "POST",
            &format!("/api/v1/conversations/{conv}/replies"),
            Some(json!({"text": "About secretword: on it", "send_at": tomorrow.to_string()})),
        )
        .await;
    assert_eq!(s, 202, "{held}");
    let draft = held["id"].as_i64().unwrap();
    // Counted by hand: the message text, its two versions, the note, the preview, the
    // draft's stored version and its copy in the draft's state.
    assert_eq!(traces(&app, "secretword").await, 7);

    let path = format!("/api/v1/contacts/{contact}/erasure");
    let (s, _) = app
        .api(&agent.token, "POST", &path, Some(json!({"reason": "x"})))
        .await;
    assert_eq!(s, 403);
    let (s, report) = app
        .api(
            &admin.token,
            "POST",
            &path,
            Some(json!({"reason": "GDPR art. 17 request #88"})),
        )
        .await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(traces(&app, "secretword").await, 0);
    assert_eq!(
        traces(&app, "someone else").await,
        3,
        "another contact's text, version and preview stay"
    );
    let (actor, after) = last_event(&app, "contact.erased").await;
    assert_eq!(actor, format!("user:{}", admin.id));
    assert_eq!(after["drafts"], 1, "one draft version emptied");
    let expired = raw_i64(
        &app.db,
        &format!("SELECT COUNT(*) FROM drafts WHERE id = {draft} AND status = 'expired'"),
    )
    .await;
    assert_eq!(expired, 1, "an erased draft can never go out");
    assert_eq!(after["reason"], "GDPR art. 17 request #88");
    assert_eq!(after["cause"], "privacy_request");
    assert!(verify(app.store(), app.ws).await.unwrap().is_intact());

    let (_, t) = app
        .api(
            &agent.token,
            "GET",
            &format!("/api/v1/contacts/{contact}/timeline"),
            None,
        )
        .await;
    let m = &t["entries"][0]["message"];
    assert_eq!(m["erased"], true);
    assert!(m["tombstone"]
        .as_str()
        .unwrap()
        .starts_with("content erased at"));
}

#[tokio::test]
async fn erasure_reaches_the_preserved_originals_of_a_deleted_contact() {
    let app = TestApp::new().await;
    let admin = app.user("admin").await;
    ingest(
        app.store(),
        app.ws,
        &[inbound(Channel::X, "acme", "z1", "13", "zebraword", 1_000)],
    )
    .await;
    let contact = contact_of(app.store(), app.ws, "x", "z1").await;
    let (s, _) = app
        .api(
            &admin.token,
            "DELETE",
            &format!("/api/v1/contacts/{contact}"),
            Some(json!({"reason": "closed"})),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(traces(&app, "zebraword").await, 1, "kept for auditors");
    let (s, _) = app
        .api(
            &admin.token,
            "POST",
            &format!("/api/v1/contacts/{contact}/erasure"),
            Some(json!({"reason": "privacy request"})),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(traces(&app, "zebraword").await, 0);
    assert!(verify(app.store(), app.ws).await.unwrap().is_intact());
}

#[tokio::test]
async fn a_card_number_is_masked_in_the_message_its_versions_and_notes() {
    let app = TestApp::new().await;
    let agent = app.user("agent").await;
    let mut m = inbound(
        Channel::X,
        "acme",
        "c1",
        "14",
        "my card is 4111-1111-1111-1111 pls",
        1_000,
    );
    m.earlier_versions = vec!["card 4111 1111 1111 1111".into()];
    ingest(
        app.store(),
        app.ws,
        &[
            m,
            inbound(
                Channel::X,
                "acme",
                "c2",
                "15",
                "order 4111111111111112",
                2_000,
            ),
        ],
    )
    .await;
    let conv = conversation_of(app.store(), app.ws, "x", "c1").await;
    app.api(
        &agent.token,
        "POST",
        &format!("/api/v1/conversations/{conv}/notes"),
        Some(json!({"body": "customer sent 4111111111111111"})),
    )
    .await;
    let id = app
        .store()
        .message_by_platform_id(app.ws, "x", "c1")
        .await
        .unwrap()
        .unwrap()
        .message
        .id;
    let plain = app
        .store()
        .message_by_platform_id(app.ws, "x", "c2")
        .await
        .unwrap()
        .unwrap()
        .message
        .id;

    let (s, r) = app
        .api(
            &agent.token,
            "POST",
            &format!("/api/v1/messages/{id}/card-redaction"),
            Some(json!({"reason": "card in public reply"})),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (
            r["messages"].as_u64(),
            r["versions"].as_u64(),
            r["notes"].as_u64()
        ),
        (Some(1), Some(2), Some(1))
    );
    for needle in [
        "4111-1111-1111-1111",
        "4111 1111 1111 1111",
        "4111111111111111",
    ] {
        assert_eq!(traces(&app, needle).await, 0, "{needle}");
    }
    let (_, v) = app
        .api(
            &agent.token,
            "GET",
            &format!("/api/v1/conversations/{conv}"),
            None,
        )
        .await;
    assert_eq!(
        v["messages"][0]["text"],
        "my card is [card number removed] pls"
    );
    assert_eq!(
        v["conversation"]["preview"],
        "my card is [card number removed] pls"
    );
    let (actor, after) = last_event(&app, "message.redacted").await;
    assert_eq!(actor, format!("user:{}", agent.id));
    assert_eq!(after["cause"], "card_number");
    assert!(verify(app.store(), app.ws).await.unwrap().is_intact());

    let (s, _) = app
        .api(
            &agent.token,
            "POST",
            &format!("/api/v1/messages/{plain}/card-redaction"),
            Some(json!({"reason": "check"})),
        )
        .await;
    assert_eq!(s, 422, "a number failing Luhn is not a card");
    assert_eq!(
        traces(&app, "4111111111111112").await,
        3,
        "text, version and preview untouched"
    );
}

#[tokio::test]
async fn retention_erases_old_content_except_under_a_legal_hold() {
    let app = TestApp::new().await;
    let admin = app.user("admin").await;
    let now = now_millis();
    let day = 86_400_000;
    let items = [
        inbound(
            Channel::X,
            "acme",
            "old1",
            "21",
            "ancientword one",
            now - 40 * day,
        ),
        inbound(
            Channel::X,
            "acme",
            "old2",
            "22",
            "heldword two",
            now - 40 * day,
        ),
        inbound(
            Channel::X,
            "acme",
            "new1",
            "23",
            "freshword three",
            now - 10 * day,
        ),
    ];
    ingest(app.store(), app.ws, &items).await;
    let held_conv = conversation_of(app.store(), app.ws, "x", "old2").await;
    // A reply draft quoting the old message, settled (expired) 40 days ago.
    let old_conv = conversation_of(app.store(), app.ws, "x", "old1").await;
    let tomorrow = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24);
    let (s, held) = app
        .api(
            &admin.token,
            "POST",
            &format!("/api/v1/conversations/{old_conv}/replies"),
            Some(json!({"text": "re ancientword", "send_at": tomorrow.to_string()})),
        )
        .await;
    assert_eq!(s, 202, "{held}");
    raw_exec(
        &app.db,
        &[format!(
            "UPDATE drafts SET status = 'expired', updated_at = {} WHERE id = {}",
            now - 40 * day,
            held["id"]
        )],
    )
    .await;
    // The message text, its version, the preview, the draft version and the draft state.
    assert_eq!(traces(&app, "ancientword").await, 5);
    let (s, _) = app
        .api(
            &admin.token,
            "PUT",
            "/api/v1/retention",
            Some(json!({"max_age_days": 30})),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = app
        .api(&admin.token, "POST", "/api/v1/legal-holds", Some(json!({"subject_kind": "conversation", "subject_id": held_conv, "reason": "dispute"})))
        .await;
    assert_eq!(s, 201);
    let (s, r) = app
        .api(&admin.token, "POST", "/api/v1/retention/run", None)
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (r["messages"].as_u64(), r["held"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(traces(&app, "ancientword").await, 0);
    assert_eq!(
        traces(&app, "heldword").await,
        3,
        "text, version and preview kept under hold"
    );
    assert_eq!(traces(&app, "freshword").await, 3);
    let (actor, after) = last_event(&app, "retention.applied").await;
    assert_eq!(actor, format!("user:{}", admin.id));
    assert_eq!(after["max_age_days"], 30);
    assert!(verify(app.store(), app.ws).await.unwrap().is_intact());

    let contact = contact_of(app.store(), app.ws, "x", "old2").await;
    let (s, _) = app
        .api(
            &admin.token,
            "POST",
            &format!("/api/v1/contacts/{contact}/erasure"),
            Some(json!({"reason": "request"})),
        )
        .await;
    assert_eq!(s, 409, "a hold suspends erasure too");
}

/// The schedule applies every workspace's policy on its own, audited under the system
/// actor, and leaves a workspace without a policy alone.
#[tokio::test]
async fn the_retention_schedule_applies_each_workspace_policy() {
    let app = TestApp::new().await;
    let admin = app.user("admin").await;
    let now = now_millis();
    let day = 86_400_000;
    let items = [
        inbound(
            Channel::X,
            "acme",
            "sched1",
            "31",
            "bygoneword one",
            now - 100 * day,
        ),
        inbound(
            Channel::X,
            "acme",
            "sched2",
            "32",
            "recentword two",
            now - 5 * day,
        ),
    ];
    ingest(app.store(), app.ws, &items).await;
    // A second workspace with old content and no policy keeps it.
    let other = hearken::domain::WorkspaceId(
        app.store()
            .create_workspace("other", "Other")
            .await
            .unwrap()
            .id,
    );
    let old_there = [inbound(
        Channel::X,
        "acme",
        "sched3",
        "33",
        "elsewhereword three",
        now - 100 * day,
    )];
    ingest(app.store(), other, &old_there).await;

    let runs = hearken::history::retention::run_all(app.store(), now)
        .await
        .unwrap();
    assert!(runs.is_empty(), "no workspace has a policy yet");
    let (s, _) = app
        .api(
            &admin.token,
            "PUT",
            "/api/v1/retention",
            Some(json!({"max_age_days": 90})),
        )
        .await;
    assert_eq!(s, 200);
    let runs = hearken::history::retention::run_all(app.store(), now)
        .await
        .unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!((runs[0].0, runs[0].1.messages), (app.ws, 1));
    assert_eq!(traces(&app, "bygoneword").await, 0);
    assert_eq!(traces(&app, "recentword").await, 3);
    let (actor, after) = last_event(&app, "retention.applied").await;
    assert_eq!(actor, "system:retention");
    assert_eq!(after["messages"], 1);
    assert!(verify(app.store(), app.ws).await.unwrap().is_intact());
    assert_eq!(
        traces(&app, "elsewhereword").await,
        3,
        "the other workspace has no policy: text, version and preview kept"
    );
}

#[tokio::test]
async fn from_the_person_page_an_admin_holds_releases_and_erases_and_an_agent_adds_attributes() {
    use axum::http::StatusCode;
    use common::browser::Browser;
    let app = TestApp::new().await;
    let admin = app.user("admin").await;
    let agent = app.user("agent").await;
    let msg = inbound(Channel::X, "acme", "p1", "31", "pagesecret here", 1_000);
    ingest(app.store(), app.ws, &[msg]).await;
    let contact = contact_of(app.store(), app.ws, "x", "p1").await;
    let page = format!("/contacts/{contact}");

    let mut agent_b = Browser::signed_in(&app, &agent).await;
    let (html, csrf) = agent_b.page(&page).await;
    assert!(!html.contains("erasure-form"), "agents see no erasure form");
    let hostile = "<script>alert(1)</script>@x.example";
    let (s, _, _) = agent_b
        .post(
            &format!("/contacts/{contact}/attributes"),
            &[
                ("csrf", &csrf),
                ("kind", "custom"),
                ("name", "note"),
                ("value", hostile),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (html, _) = agent_b.page(&page).await;
    assert!(!html.contains(hostile), "the attribute is escaped");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;"), "shown as text");
    let form = [
        ("csrf", csrf.as_str()),
        ("reason", "r"),
        ("confirm", "erase"),
    ];
    let (s, _, _) = agent_b
        .post(&format!("/contacts/{contact}/erasure"), &form)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let mut b = Browser::signed_in(&app, &admin).await;
    let (_, csrf) = b.page(&page).await;
    let (s, _, _) = b
        .post(
            &format!("/contacts/{contact}/holds"),
            &[("csrf", &csrf), ("reason", "dispute 7")],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (html, csrf) = b.page(&page).await;
    assert!(html.contains("dispute 7"), "the hold is listed");
    let erase = [
        ("csrf", csrf.as_str()),
        ("reason", "GDPR #9"),
        ("confirm", "erase"),
    ];
    let (s, _, _) = b
        .post(&format!("/contacts/{contact}/erasure"), &erase)
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "a hold covers the person");
    assert_eq!(traces(&app, "pagesecret").await, 3);

    let holds = app.store().holds(app.ws).await.unwrap();
    let hold = holds.iter().find(|h| h.reason == "dispute 7").unwrap().id;
    let back = contact.to_string();
    let (s, _, _) = b
        .post(
            &format!("/holds/{hold}/release"),
            &[("csrf", &csrf), ("contact_id", &back)],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let unconfirmed = [
        ("csrf", csrf.as_str()),
        ("reason", "GDPR #9"),
        ("confirm", ""),
    ];
    let (s, _, _) = b
        .post(&format!("/contacts/{contact}/erasure"), &unconfirmed)
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "erasure needs the typed word"
    );
    // Counted by hand: the message text, its version and the conversation preview.
    assert_eq!(traces(&app, "pagesecret").await, 3);
    let (s, _, _) = b
        .post(&format!("/contacts/{contact}/erasure"), &erase)
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(traces(&app, "pagesecret").await, 0);
    let (actor, after) = last_event(&app, "contact.erased").await;
    assert_eq!(actor, format!("user:{}", admin.id));
    assert_eq!(after["reason"], "GDPR #9");
}
