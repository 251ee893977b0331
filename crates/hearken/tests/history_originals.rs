//! Issue #5, preserved originals, contact deletion and the reply record: agents see a
//! tombstone, auditors open the original and the opening is logged; deleting a contact
//! writes a root event and one per removed item, and keeps the originals for auditors.
//! Runs on SQLite, and on PostgreSQL when HEARKEN_TEST_DATABASE_URL is set.

mod common;
mod history_support;

use common::TestApp;
use hearken::audit::verify::verify;
use hearken::domain::channel::Channel;
use hearken::storage::AuditFilter;
use history_support::*;
use serde_json::{json, Value};

#[tokio::test]
async fn a_platform_deleted_message_is_a_tombstone_to_agents_and_the_original_to_auditors() {
    let app = TestApp::new().await;
    let agent = app.user("agent").await;
    let auditor = app.user("auditor").await;
    let mut gone = inbound(
        Channel::X,
        "acme",
        "d1",
        "42",
        "please forget I said this",
        1_000,
    );
    gone.earlier_versions = vec!["first draft of regret".into()];
    gone.deleted_at = Some(1_700_000_000_000);
    let kept = inbound(Channel::X, "acme", "k1", "43", "still here", 2_000);
    ingest(app.store(), app.ws, &[gone, kept]).await;
    let conv = conversation_of(app.store(), app.ws, "x", "d1").await;
    let id = app
        .store()
        .message_by_platform_id(app.ws, "x", "d1")
        .await
        .unwrap()
        .unwrap()
        .message
        .id;

    let (s, v) = app
        .api(
            &agent.token,
            "GET",
            &format!("/api/v1/conversations/{conv}"),
            None,
        )
        .await;
    assert_eq!(s, 200);
    let m = &v["messages"][0];
    assert_eq!(m["deleted"], true);
    assert_eq!(m["text"], "");
    assert_eq!(m["tombstone"], "deleted on X at 2023-11-14 22:13:20 UTC");
    assert!(
        !v.to_string().contains("forget"),
        "no trace of the text, preview included"
    );
    let (s, _, page) = get_raw(&app, &agent.token, &format!("/conversations/{conv}")).await;
    assert_eq!(s, 200);
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains("deleted on X at 2023-11-14 22:13:20 UTC"));
    assert!(!page.contains("forget"));
    let (s, _) = app
        .api(&agent.token, "GET", "/api/v1/conversations?q=forget", None)
        .await;
    assert_eq!(s, 200);
    let (_, found) = app
        .api(&agent.token, "GET", "/api/v1/conversations?q=forget", None)
        .await;
    assert_eq!(
        found["conversations"],
        json!([]),
        "search does not reveal deleted text"
    );

    let (s, _) = app
        .api(
            &agent.token,
            "GET",
            &format!("/api/v1/messages/{id}/original"),
            None,
        )
        .await;
    assert_eq!(s, 403);
    let (s, o) = app
        .api(
            &auditor.token,
            "GET",
            &format!("/api/v1/messages/{id}/original"),
            None,
        )
        .await;
    assert_eq!(s, 200);
    let texts: Vec<&str> = o["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        vec!["first draft of regret", "please forget I said this"]
    );
    let (s, _, page) = get_raw(&app, &auditor.token, &format!("/messages/{id}/original")).await;
    assert_eq!(s, 200);
    assert!(String::from_utf8(page)
        .unwrap()
        .contains("please forget I said this"));

    let filter = AuditFilter {
        action: Some("message.original_read".into()),
        ..Default::default()
    };
    let reads = app.store().audit_events(app.ws, &filter, 10).await.unwrap();
    assert_eq!(reads.len(), 2, "the API reading and the page reading");
    for r in &reads {
        assert_eq!(r.actor, format!("user:{}", auditor.id));
        assert_eq!(r.subject, format!("message:{id}"));
        assert!(!r.after_state.clone().unwrap_or_default().contains("forget"));
    }
    assert!(verify(app.store(), app.ws).await.unwrap().is_intact());
}

/// A contact with 2 conversations and 5 messages, and a note.
async fn contact_with_history(app: &TestApp) -> (i64, Vec<i64>, Vec<i64>) {
    let mut items = vec![
        inbound(Channel::X, "acme", "p1", "900", "one", 1_000),
        inbound(Channel::X, "acme", "p2", "900", "two", 2_000),
        inbound(Channel::X, "acme", "p3", "900", "three", 3_000),
        inbound(Channel::X, "acme", "q1", "900", "four", 4_000),
        inbound(Channel::X, "acme", "q2", "900", "five", 5_000),
    ];
    items[1].reply_to = Some("p1".into());
    items[2].reply_to = Some("p2".into());
    items[4].reply_to = Some("q1".into());
    items[3].earlier_versions = vec!["four, before the edit".into()];
    ingest(app.store(), app.ws, &items).await;
    let contact = contact_of(app.store(), app.ws, "x", "p1").await;
    let mut convs = Vec::new();
    let mut msgs = Vec::new();
    for p in ["p1", "p2", "p3", "q1", "q2"] {
        let m = app
            .store()
            .message_by_platform_id(app.ws, "x", p)
            .await
            .unwrap()
            .unwrap()
            .message;
        if !convs.contains(&m.conversation_id) {
            convs.push(m.conversation_id);
        }
        msgs.push(m.id);
    }
    assert_eq!(convs.len(), 2);
    (contact, convs, msgs)
}

#[tokio::test]
async fn deleting_a_contact_writes_a_root_event_and_one_per_item_and_keeps_originals() {
    let app = TestApp::new().await;
    let admin = app.user("admin").await;
    let auditor = app.user("auditor").await;
    let manager = app.user("manager").await;
    let (contact, convs, msgs) = contact_with_history(&app).await;
    app.store()
        .add_note(app.ws, convs[0], admin.id, "note about one")
        .await
        .unwrap();
    let path = format!("/api/v1/contacts/{contact}");

    let (s, _) = app
        .api(
            &manager.token,
            "DELETE",
            &path,
            Some(json!({"reason": "asked"})),
        )
        .await;
    assert_eq!(s, 403);
    let (s, report) = app
        .api(
            &admin.token,
            "DELETE",
            &path,
            Some(json!({"reason": "customer asked to be forgotten"})),
        )
        .await;
    assert_eq!(s, 200, "{report}");
    let root_seq = report["root_seq"].as_i64().unwrap();

    let chain = app
        .store()
        .audit_chain(app.ws, root_seq - 1, 100)
        .await
        .unwrap();
    let actor = format!("user:{}", admin.id);
    let root = &chain[0];
    assert_eq!(
        (root.action.as_str(), root.actor.as_str()),
        ("contact.deleted", actor.as_str())
    );
    assert_eq!(root.subject, format!("contact:{contact}"));
    let after: Value = serde_json::from_str(root.after_state.as_deref().unwrap()).unwrap();
    assert_eq!(after["reason"], "customer asked to be forgotten");
    let cause = format!("contact.deleted#{root_seq}");
    let children = &chain[1..];
    let mut deleted_msgs: Vec<String> = Vec::new();
    let mut deleted_convs: Vec<String> = Vec::new();
    for e in children {
        assert_eq!(e.actor, actor);
        let after: Value = serde_json::from_str(e.after_state.as_deref().unwrap()).unwrap();
        assert_eq!(after["cause"], cause.as_str());
        match e.action.as_str() {
            "message.deleted" => deleted_msgs.push(e.subject.clone()),
            "conversation.deleted" => deleted_convs.push(e.subject.clone()),
            other => panic!("unexpected {other}"),
        }
    }
    deleted_msgs.sort();
    let mut expect_msgs: Vec<String> = msgs.iter().map(|m| format!("message:{m}")).collect();
    expect_msgs.sort();
    assert_eq!(deleted_msgs, expect_msgs);
    deleted_convs.sort();
    let mut expect_convs: Vec<String> = convs.iter().map(|c| format!("conversation:{c}")).collect();
    expect_convs.sort();
    assert_eq!(deleted_convs, expect_convs);
    assert!(verify(app.store(), app.ws).await.unwrap().is_intact());

    for c in &convs {
        assert!(app
            .store()
            .conversation(app.ws, *c)
            .await
            .unwrap()
            .is_none());
    }
    let (s, _) = app
        .api(&admin.token, "GET", &format!("{path}/timeline"), None)
        .await;
    assert_eq!(s, 404);

    let (s, _) = app
        .api(&manager.token, "GET", &format!("{path}/originals"), None)
        .await;
    assert_eq!(s, 403);
    let (s, kept) = app
        .api(&auditor.token, "GET", &format!("{path}/originals"), None)
        .await;
    assert_eq!(s, 200);
    let mut texts: Vec<&str> = kept
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["text"].as_str().unwrap())
        .collect();
    texts.sort();
    assert_eq!(
        texts,
        vec![
            "five",
            "four",
            "four, before the edit",
            "note about one",
            "one",
            "three",
            "two"
        ]
    );
    let (s, o) = app
        .api(
            &auditor.token,
            "GET",
            &format!("/api/v1/messages/{}/original", msgs[3]),
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(o["versions"][1]["text"], "four");
    let filter = AuditFilter {
        action: Some("contact.originals_read".into()),
        ..Default::default()
    };
    assert_eq!(
        app.store()
            .audit_events(app.ws, &filter, 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_legal_hold_stops_deletion() {
    let app = TestApp::new().await;
    let admin = app.user("admin").await;
    let (contact, convs, _) = contact_with_history(&app).await;
    let (s, hold) = app
        .api(&admin.token, "POST", "/api/v1/legal-holds", Some(json!({"subject_kind": "conversation", "subject_id": convs[1], "reason": "litigation"})))
        .await;
    assert_eq!(s, 201);
    let (s, _) = app
        .api(
            &admin.token,
            "DELETE",
            &format!("/api/v1/contacts/{contact}"),
            Some(json!({"reason": "r"})),
        )
        .await;
    assert_eq!(s, 409);
    assert!(
        app.store()
            .conversation(app.ws, convs[0])
            .await
            .unwrap()
            .is_some(),
        "nothing removed"
    );
    let (s, _) = app
        .api(
            &admin.token,
            "POST",
            &format!("/api/v1/legal-holds/{}/release", hold["id"]),
            None,
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = app
        .api(
            &admin.token,
            "DELETE",
            &format!("/api/v1/contacts/{contact}"),
            Some(json!({"reason": "r"})),
        )
        .await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn the_reply_record_shows_what_was_answered_the_text_hash_and_later_deletion() {
    let app = TestApp::new().await;
    let agent = app.user("agent").await;
    ingest(
        app.store(),
        app.ws,
        &[inbound(
            Channel::X,
            "acme",
            "in1",
            "7",
            "is the shop open?",
            1_000,
        )],
    )
    .await;
    let conv = conversation_of(app.store(), app.ws, "x", "in1").await;
    let (s, sent) = app
        .api(
            &agent.token,
            "POST",
            &format!("/api/v1/conversations/{conv}/replies"),
            Some(json!({"text": "Yes, until 6pm."})),
        )
        .await;
    assert_eq!(s, 201);
    let id = sent["id"].as_i64().unwrap();
    let (s, r) = app
        .api(
            &agent.token,
            "GET",
            &format!("/api/v1/messages/{id}/record"),
            None,
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["answered"]["platform_id"], "in1");
    assert_eq!(r["answered"]["text"], "is the shop open?");
    assert_eq!(r["text_sent"], "Yes, until 6pm.");
    // SHA-256 of "Yes, until 6pm." computed independently of the code under test.
    let expected = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest("Yes, until 6pm.".as_bytes()))
    };
    assert_eq!(r["text_sha256"], expected.as_str());
    assert_eq!(r["logged_text_sha256"], expected.as_str());
    assert_eq!(r["text_matches_log"], true);
    assert_eq!(r["platform_id"], sent["platform_id"]);
    // A direct reply: one version, the text sent; no guide was in force to check it.
    let versions = r["drafts"].as_array().unwrap();
    assert_eq!(versions.len(), 1, "{r}");
    assert_eq!(versions[0]["text"], "Yes, until 6pm.");
    assert_eq!(versions[0]["sha256"], expected.as_str());
    assert_eq!(versions[0]["sent"], true);
    assert_eq!(versions[0]["by_user_id"], agent.id);
    assert_eq!(versions[0]["style_version"], Value::Null);
    assert_eq!(r["template"], Value::Null);
    assert_eq!(r["draft_id"], Value::Null);
    assert_eq!(r["approvals"], json!([]));
    assert_eq!(r["events"][0]["action"], "reply.sent");
    // The platform later deletes the reply (as platform ingestion records it).
    raw_exec(
        &app.db,
        &[format!(
            "UPDATE messages SET deleted_at = 1700000000000 WHERE id = {id}"
        )],
    )
    .await;
    let (_, r) = app
        .api(
            &agent.token,
            "GET",
            &format!("/api/v1/messages/{id}/record"),
            None,
        )
        .await;
    assert_eq!(r["deleted_at"], 1_700_000_000_000_i64);
    assert_eq!(r["tombstone"], "deleted on X at 2023-11-14 22:13:20 UTC");
    let inbound_id = r["answered"]["message_id"].as_i64().unwrap();
    let (s, _) = app
        .api(
            &agent.token,
            "GET",
            &format!("/api/v1/messages/{inbound_id}/record"),
            None,
        )
        .await;
    assert_eq!(s, 422, "inbound items have no reply record");
}
