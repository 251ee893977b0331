//! Approval paths, reply rights and the brand voice, driven through the real router on
//! both backends: the "Done means" list of issue #4, plus the audit trail of every
//! submission, decision, edit and send with its version hash.

mod common;

use common::{TestApp, TestUser};
use hearken::approvals::schedule;
use hearken::domain::channel::{Channel, Visibility};
use hearken::domain::message::{AuthorRef, Direction, IncomingMessage};
use hearken::domain::time::now_millis;
use hearken::domain::Actor;
use hearken::storage::AuditFilter;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// SHA-256 computed here, independently of the code under test.
fn sha(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).unwrap().to_string()
}

/// A customer message on `channel`; returns its conversation.
async fn customer_says(app: &TestApp, channel: Channel, pid: &str, text: &str) -> i64 {
    let msg = IncomingMessage {
        channel,
        account: "acme".into(),
        platform_id: pid.into(),
        direction: Direction::In,
        visibility: Visibility::Public,
        reply_to: None,
        customer: Some(AuthorRef {
            platform_user_id: format!("cust-{pid}"),
            handle: format!("cust_{pid}"),
            display_name: None,
        }),
        text: text.into(),
        platform_time: now_millis(),
        conversation_key: None,
        conversation_attrs: None,
        earlier_versions: Vec::new(),
        deleted_at: None,
    };
    let report = app
        .store()
        .ingest(app.ws, &Actor::System("test"), &[msg])
        .await
        .unwrap();
    report.touched_conversations[0]
}

/// A follow-up in an existing thread (same customer, replying to the first message).
async fn customer_follows_up(app: &TestApp, channel: Channel, first: &str, pid: &str) {
    let msg = IncomingMessage {
        channel,
        account: "acme".into(),
        platform_id: pid.into(),
        direction: Direction::In,
        visibility: Visibility::Public,
        reply_to: Some(first.into()),
        customer: Some(AuthorRef {
            platform_user_id: format!("cust-{first}"),
            handle: format!("cust_{first}"),
            display_name: None,
        }),
        text: "Hello? Anyone there?".into(),
        platform_time: now_millis(),
        conversation_key: None,
        conversation_attrs: None,
        earlier_versions: Vec::new(),
        deleted_at: None,
    };
    app.store()
        .ingest(app.ws, &Actor::System("test"), &[msg])
        .await
        .unwrap();
}

async fn outbox_texts(app: &TestApp) -> Vec<String> {
    let rows = app.store().sandbox_outbox(app.ws).await.unwrap();
    rows.into_iter().map(|r| r.text).collect()
}

async fn put(app: &TestApp, token: &str, path: &str, body: Value) {
    let (status, out) = app.api(token, "PUT", path, Some(body)).await;
    assert_eq!(status, 200, "PUT {path}: {out}");
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    let (status, out) = app.api(token, "POST", path, Some(body)).await;
    (status.as_u16(), out)
}

/// A one-step path any member of `group` approves.
fn one_step(group: Value) -> Value {
    json!({ "id": "", "name": "Review", "steps": [
        { "branches": [ { "name": "Review", "group": group, "quorum": "any",
                          "on_deadline": "expire" } ] } ] })
}

/// Routing where every reply goes to `path`.
fn everything_to(path: &str) -> Value {
    json!({ "rules": [ { "id": "all", "conditions": [], "path_id": path } ],
            "trainee_path": null, "risk": risk() })
}

fn risk() -> Value {
    json!({ "public": 0, "vip": 0, "per_follower_order": 0, "per_risky_term": 0,
            "uncertified": 0, "per_priority_rank": 0 })
}

async fn reply(app: &TestApp, who: &TestUser, conv: i64, body: Value) -> (u16, Value) {
    post(
        app,
        &who.token,
        &format!("/api/v1/conversations/{conv}/replies"),
        body,
    )
    .await
}

async fn draft(app: &TestApp, who: &TestUser, id: i64) -> Value {
    let (status, out) = app
        .api(&who.token, "GET", &format!("/api/v1/drafts/{id}"), None)
        .await;
    assert_eq!(status, 200, "{out}");
    out["draft"].clone()
}

async fn approve(app: &TestApp, who: &TestUser, id: i64, hash: &str) -> (u16, Value) {
    let body = json!({ "version_hash": hash });
    post(
        app,
        &who.token,
        &format!("/api/v1/drafts/{id}/approve"),
        body,
    )
    .await
}

async fn draft_audit(app: &TestApp, id: i64) -> Vec<(String, Value)> {
    let filter = AuditFilter {
        subject: Some(format!("draft:{id}")),
        ..AuditFilter::default()
    };
    let mut rows = app
        .store()
        .audit_events(app.ws, &filter, 100)
        .await
        .unwrap();
    rows.sort_by_key(|r| r.seq);
    rows.into_iter()
        .map(|r| {
            let after = serde_json::from_str(r.after_state.as_deref().unwrap_or("null")).unwrap();
            (r.action, after)
        })
        .collect()
}

#[tokio::test]
async fn approved_v1_edited_to_v2_is_pending_and_refused_until_v2_is_approved() {
    let app = TestApp::new().await;
    let manager = app.user("manager").await;
    let agent = app.user("agent").await;
    let approver = app.user("approver").await;
    put(
        &app,
        &manager.token,
        "/api/v1/approval-paths/review",
        one_step(json!({ "roles": ["approver"] })),
    )
    .await;
    put(
        &app,
        &manager.token,
        "/api/v1/routing",
        everything_to("review"),
    )
    .await;
    let conv = customer_says(&app, Channel::X, "t1", "Where is my order?").await;

    let v1 = "Sorry about the wait, it ships today.";
    let later = rfc3339(now_millis() + DAY_MS);
    let (status, held) = reply(&app, &agent, conv, json!({ "text": v1, "send_at": later })).await;
    assert_eq!(status, 202, "{held}");
    let id = held["id"].as_i64().unwrap();
    assert_eq!(held["status"], "pending");
    assert_eq!(held["version_hash"], sha(v1));

    let (status, out) = approve(&app, &approver, id, &sha(v1)).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["status"], "approved");

    let v2 = "Sorry about the wait; it ships today, tracking follows.";
    let (status, out) = post(
        &app,
        &agent.token,
        &format!("/api/v1/drafts/{id}/edit"),
        json!({ "text": v2 }),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["status"], "pending");
    assert_eq!(out["version"], 2);

    let (status, out) = post(
        &app,
        &agent.token,
        &format!("/api/v1/drafts/{id}/send"),
        json!({}),
    )
    .await;
    assert_eq!(status, 409, "{out}");
    assert!(outbox_texts(&app).await.is_empty());

    // The old approval still points at v1 and does not carry over to v2.
    let d = draft(&app, &agent, id).await;
    assert_eq!(d["decisions"].as_array().unwrap().len(), 1);
    assert_eq!(d["decisions"][0]["version_hash"], sha(v1));
    assert_eq!(d["decisions"][0]["version"], 1);
    let (status, _) = approve(&app, &approver, id, &sha(v1)).await;
    assert_eq!(status, 409, "a stale hash approves nothing");

    let (status, out) = approve(&app, &approver, id, &sha(v2)).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["status"], "approved");
    let (status, msg) = post(
        &app,
        &agent.token,
        &format!("/api/v1/drafts/{id}/send"),
        json!({}),
    )
    .await;
    assert_eq!(status, 201, "{msg}");
    assert_eq!(outbox_texts(&app).await, vec![v2.to_owned()]);
    let message_id = msg["id"].as_i64().unwrap();
    let stamp = app
        .store()
        .message_approval(app.ws, message_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (stamp.0, stamp.1, stamp.2.as_str()),
        (id, 2, sha(v2).as_str())
    );

    // Every submission, decision, edit and send is audited with the version hash.
    let audit = draft_audit(&app, id).await;
    let actions: Vec<&str> = audit.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "draft.submitted",
            "draft.approved",
            "draft.edited",
            "draft.approved",
            "draft.sent"
        ]
    );
    let hashes: Vec<&str> = audit
        .iter()
        .map(|(_, v)| v["version_hash"].as_str().unwrap())
        .collect();
    let (h1, h2) = (sha(v1), sha(v2));
    assert_eq!(
        hashes,
        [
            h1.as_str(),
            h1.as_str(),
            h2.as_str(),
            h2.as_str(),
            h2.as_str()
        ]
    );
}

#[tokio::test]
async fn pending_at_its_scheduled_time_expires_and_a_later_approval_does_not_send_it() {
    let app = TestApp::new().await;
    let manager = app.user("manager").await;
    let agent = app.user("agent").await;
    let approver = app.user("approver").await;
    put(
        &app,
        &manager.token,
        "/api/v1/approval-paths/review",
        one_step(json!({ "roles": ["approver"] })),
    )
    .await;
    put(
        &app,
        &manager.token,
        "/api/v1/routing",
        everything_to("review"),
    )
    .await;
    let conv = customer_says(&app, Channel::X, "t2", "Refund please").await;

    let send_at = now_millis() + 60_000;
    let text = "We are on it.";
    let (status, held) = reply(
        &app,
        &agent,
        conv,
        json!({ "text": text, "send_at": rfc3339(send_at) }),
    )
    .await;
    assert_eq!(status, 202, "{held}");
    let id = held["id"].as_i64().unwrap();

    let report = schedule::tick(&app.state, send_at + 1).await.unwrap();
    assert_eq!((report.expired, report.sent), (1, 0));
    assert_eq!(draft(&app, &agent, id).await["status"], "expired");

    let (status, out) = approve(&app, &approver, id, &sha(text)).await;
    assert_eq!(status, 409, "{out}");
    let report = schedule::tick(&app.state, send_at + DAY_MS).await.unwrap();
    assert_eq!(report.sent, 0);
    let (status, _) = post(
        &app,
        &agent.token,
        &format!("/api/v1/drafts/{id}/send"),
        json!({}),
    )
    .await;
    assert_eq!(status, 409);
    assert!(outbox_texts(&app).await.is_empty());
    let actions: Vec<String> = draft_audit(&app, id)
        .await
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    assert_eq!(actions, ["draft.submitted", "draft.expired"]);
}

#[tokio::test]
async fn the_author_cannot_approve_even_as_a_member_of_the_approving_team() {
    let app = TestApp::new().await;
    let manager = app.user("manager").await;
    let agent = app.user("agent").await;
    let colleague = app.user("approver").await;
    let (status, team) = post(
        &app,
        &manager.token,
        "/api/v1/teams",
        json!({ "name": "Brand" }),
    )
    .await;
    assert_eq!(status, 201, "{team}");
    let team_id = team["id"].as_i64().unwrap();
    for u in [&agent, &colleague] {
        let (status, out) = post(
            &app,
            &manager.token,
            &format!("/api/v1/teams/{team_id}/members"),
            json!({ "user_id": u.id }),
        )
        .await;
        assert_eq!(status, 204, "{out}");
    }
    put(
        &app,
        &manager.token,
        "/api/v1/approval-paths/brand",
        one_step(json!({ "teams": ["Brand"] })),
    )
    .await;
    put(
        &app,
        &manager.token,
        "/api/v1/routing",
        everything_to("brand"),
    )
    .await;
    let conv = customer_says(&app, Channel::X, "t3", "Hi").await;

    let text = "Hello from the team.";
    let (status, held) = reply(&app, &agent, conv, json!({ "text": text })).await;
    assert_eq!(status, 202, "{held}");
    let id = held["id"].as_i64().unwrap();

    let (status, queue) = app
        .api(&agent.token, "GET", "/api/v1/approvals/queue", None)
        .await;
    assert_eq!(status, 200);
    assert!(
        queue.as_array().unwrap().is_empty(),
        "not in the author's own queue"
    );
    let (status, out) = approve(&app, &agent, id, &sha(text)).await;
    assert_eq!(status, 403, "{out}");
    assert_eq!(draft(&app, &agent, id).await["status"], "pending");

    let (_, queue) = app
        .api(&colleague.token, "GET", "/api/v1/approvals/queue", None)
        .await;
    assert_eq!(queue.as_array().unwrap().len(), 1);
    let (_, notes) = app
        .api(&colleague.token, "GET", "/api/v1/notifications", None)
        .await;
    assert_eq!(notes.as_array().unwrap().len(), 1, "{notes}");
    let (status, out) = approve(&app, &colleague, id, &sha(text)).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["status"], "sent");
    assert_eq!(outbox_texts(&app).await, vec![text.to_owned()]);
}

/// Legal and PR in parallel, then Brand 2 of 3, with approvals arriving in `order`.
async fn run_legal_pr_brand(order: &[&str]) {
    let app = TestApp::new().await;
    let manager = app.user("manager").await;
    let agent = app.user("agent").await;
    let mut people = std::collections::HashMap::new();
    for name in ["legal", "pr", "b1", "b2", "b3"] {
        let u = app
            .user_in(app.ws, "approver", &format!("{name}@acme.test"))
            .await;
        people.insert(name, u);
    }
    for (dept, member) in [("Legal", "legal"), ("PR", "pr")] {
        let (_, d) = post(
            &app,
            &manager.token,
            "/api/v1/departments",
            json!({ "name": dept }),
        )
        .await;
        let path = format!("/api/v1/departments/{}/members", d["id"]);
        let (status, _) = post(
            &app,
            &manager.token,
            &path,
            json!({ "user_id": people[member].id }),
        )
        .await;
        assert_eq!(status, 204);
    }
    let (_, team) = post(
        &app,
        &manager.token,
        "/api/v1/teams",
        json!({ "name": "Brand" }),
    )
    .await;
    for b in ["b1", "b2", "b3"] {
        let path = format!("/api/v1/teams/{}/members", team["id"]);
        post(
            &app,
            &manager.token,
            &path,
            json!({ "user_id": people[b].id }),
        )
        .await;
    }
    let path = json!({ "id": "", "name": "Sensitive", "steps": [
        { "branches": [
            { "name": "Legal", "group": { "departments": ["Legal"] }, "quorum": "any", "on_deadline": "expire" },
            { "name": "PR", "group": { "departments": ["PR"] }, "quorum": "any", "on_deadline": "expire" } ] },
        { "branches": [
            { "name": "Brand", "group": { "teams": ["Brand"] }, "quorum": { "at_least": 2 }, "on_deadline": "expire" } ] } ] });
    put(
        &app,
        &manager.token,
        "/api/v1/approval-paths/sensitive",
        path,
    )
    .await;
    put(
        &app,
        &manager.token,
        "/api/v1/routing",
        everything_to("sensitive"),
    )
    .await;
    let conv = customer_says(&app, Channel::X, "t4", "I will sue").await;
    let text = "Please DM us your case number.";
    let (status, held) = reply(&app, &agent, conv, json!({ "text": text })).await;
    assert_eq!(status, 202, "{held}");
    let id = held["id"].as_i64().unwrap();

    // Expected state after each approval, worked out from the path by hand.
    let mut legal_pr = 0;
    let mut brand = 0;
    for who in order {
        let (status, out) = approve(&app, &people[who], id, &sha(text)).await;
        let is_brand = who.starts_with('b');
        if is_brand && legal_pr < 2 {
            assert_eq!(
                status, 409,
                "{who} is refused while step 1 is active: {out}"
            );
            continue;
        }
        assert_eq!(status, 200, "{who}: {out}");
        if is_brand {
            brand += 1;
        } else {
            legal_pr += 1;
        }
        let expected = match (legal_pr, brand) {
            (2, 2) => "sent",
            _ => "pending",
        };
        assert_eq!(out["status"], expected, "after {who}");
        if expected == "pending" {
            let step = if legal_pr == 2 { 1 } else { 0 };
            assert_eq!(out["step"], step, "after {who}");
        }
    }
    assert_eq!((legal_pr, brand), (2, 2), "the order approves fully");
    assert_eq!(outbox_texts(&app).await, vec![text.to_owned()]);
}

#[tokio::test]
async fn legal_and_pr_in_parallel_then_brand_two_of_three_in_any_order() {
    run_legal_pr_brand(&["pr", "b1", "legal", "b3", "b1"]).await;
    run_legal_pr_brand(&["legal", "pr", "b2", "b1"]).await;
    run_legal_pr_brand(&["b3", "legal", "b3", "pr", "b2", "b3"]).await;
}

#[tokio::test]
async fn a_trainee_is_held_on_channels_without_rights_and_refused_without_a_trainee_path() {
    let app = TestApp::new().await;
    let manager = app.user("manager").await;
    let agent = app.user("agent").await;
    put(
        &app,
        &manager.token,
        "/api/v1/approval-paths/trainee",
        one_step(json!({ "roles": ["manager"] })),
    )
    .await;
    let table = json!({ "rules": [], "trainee_path": "trainee", "risk": risk() });
    put(&app, &manager.token, "/api/v1/routing", table).await;
    let (status, out) = post(
        &app,
        &manager.token,
        "/api/v1/certifications",
        json!({ "user_id": agent.id, "channels": ["x"], "days": 30 }),
    )
    .await;
    assert_eq!(status, 201, "{out}");
    let on_x = customer_says(&app, Channel::X, "t5", "Hi on X").await;
    let on_masto = customer_says(&app, Channel::Mastodon, "m5", "Hi on Mastodon").await;

    let (status, sent) = reply(&app, &agent, on_x, json!({ "text": "Hello X" })).await;
    assert_eq!(status, 201, "{sent}");
    let (status, held) = reply(&app, &agent, on_masto, json!({ "text": "Hello Mastodon" })).await;
    assert_eq!(status, 202, "{held}");
    assert_eq!(held["status"], "pending");
    assert_eq!(held["rule_id"], Value::Null);
    let id = held["id"].as_i64().unwrap();
    let (status, _) = post(
        &app,
        &agent.token,
        &format!("/api/v1/drafts/{id}/send"),
        json!({}),
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(outbox_texts(&app).await, vec!["Hello X".to_owned()]);

    // Without a trainee path, a reply without rights is refused outright.
    let table = json!({ "rules": [], "trainee_path": null, "risk": risk() });
    put(&app, &manager.token, "/api/v1/routing", table).await;
    let (status, out) = reply(&app, &agent, on_masto, json!({ "text": "Hello again" })).await;
    assert_eq!(status, 403, "{out}");
    let (status, _) = reply(&app, &agent, on_x, json!({ "text": "Hello again X" })).await;
    assert_eq!(status, 201);
    assert_eq!(outbox_texts(&app).await.len(), 2);
}

/// A test worth 10 points: a multiple-choice question (2) and a scenario (3 style + 5 rubric).
fn comm_test() -> Value {
    json!({
        "name": "X basics", "channels": ["x"], "validity_days": 30,
        "test": {
            "id": "x-basics", "pass_mark_percent": 80,
            "style": { "version": 1, "locale": "en", "rules": [
                { "id": "no-asap", "severity": "blocking", "kind": "banned_phrase", "phrase": "ASAP" } ] },
            "questions": [
                { "id": "q1", "kind": { "type": "multiple_choice", "options": ["a", "b"],
                  "correct": ["b"], "points": 2 } },
                { "id": "q2", "kind": { "type": "scenario", "channel": "x", "style_points": 3,
                  "rubric": [ { "id": "tone", "max": 5 } ] } } ] } })
}

#[tokio::test]
async fn passing_the_test_grants_direct_replies_until_the_rights_expire() {
    let app = TestApp::new().await;
    let manager = app.user("manager").await;
    let agent = app.user("agent").await;
    let reviewer = app.user("approver").await;
    put(
        &app,
        &manager.token,
        "/api/v1/approval-paths/trainee",
        one_step(json!({ "roles": ["manager"] })),
    )
    .await;
    put(
        &app,
        &manager.token,
        "/api/v1/routing",
        json!({ "rules": [], "trainee_path": "trainee", "risk": risk() }),
    )
    .await;
    let conv = customer_says(&app, Channel::X, "t6", "Help").await;

    let (status, _) = reply(&app, &agent, conv, json!({ "text": "Before the test" })).await;
    assert_eq!(status, 202, "a trainee's reply waits");

    let (status, test) = post(&app, &manager.token, "/api/v1/comm-tests", comm_test()).await;
    assert_eq!(status, 201, "{test}");
    let (status, paper) = app
        .api(
            &agent.token,
            "GET",
            &format!("/api/v1/comm-tests/{}", test["id"]),
            None,
        )
        .await;
    assert_eq!(status, 200, "{paper}");
    assert_eq!(paper["questions"][0]["kind"]["options"], json!(["a", "b"]));
    assert_eq!(
        paper["questions"][0]["kind"].get("correct"),
        None,
        "answers stay hidden"
    );
    let answers = json!({ "answers": {
        "q1": { "choices": ["b"] },
        "q2": { "text": "Sorry to hear that, we will fix it today." } } });
    let (status, attempt) = post(
        &app,
        &agent.token,
        &format!("/api/v1/comm-tests/{}/attempts", test["id"]),
        answers,
    )
    .await;
    assert_eq!(status, 201, "{attempt}");
    assert_eq!(attempt["style_check"]["q2"], json!([]));
    let scores = json!({ "scores": { "q2": { "tone": 4 } } });
    let grade_path = format!("/api/v1/comm-attempts/{}/grade", attempt["id"]);
    let (status, _) = post(&app, &agent.token, &grade_path, scores.clone()).await;
    assert_eq!(status, 403, "an agent does not grade");
    let (status, graded) = post(&app, &reviewer.token, &grade_path, scores).await;
    assert_eq!(status, 200, "{graded}");
    // 2 (choice) + 3 (style, no violation) + 4 (tone) out of 2 + 3 + 5.
    assert_eq!(graded["score_percent"], 90.0);
    assert_eq!(graded["passed"], true);

    let (status, sent) = reply(&app, &agent, conv, json!({ "text": "After the test" })).await;
    assert_eq!(status, 201, "{sent}");

    let report = schedule::tick(&app.state, now_millis() + 31 * DAY_MS)
        .await
        .unwrap();
    assert_eq!(report.certifications_expired, 1);
    let (status, _) = reply(&app, &agent, conv, json!({ "text": "After expiry" })).await;
    assert_eq!(status, 202, "rights lapsed: approval again");
    let filter = AuditFilter {
        action: Some("certification.expired".into()),
        ..AuditFilter::default()
    };
    assert_eq!(
        app.store()
            .audit_events(app.ws, &filter, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(outbox_texts(&app).await, vec!["After the test".to_owned()]);
}

#[tokio::test]
async fn a_revoked_certification_sends_replies_to_approval_and_is_audited() {
    let app = TestApp::new().await;
    let manager = app.user("manager").await;
    let agent = app.user("agent").await;
    put(
        &app,
        &manager.token,
        "/api/v1/approval-paths/trainee",
        one_step(json!({ "roles": ["manager"] })),
    )
    .await;
    put(
        &app,
        &manager.token,
        "/api/v1/routing",
        json!({ "rules": [], "trainee_path": "trainee", "risk": risk() }),
    )
    .await;
    let (_, cert) = post(
        &app,
        &manager.token,
        "/api/v1/certifications",
        json!({ "user_id": agent.id, "channels": ["x"], "days": 30 }),
    )
    .await;
    let conv = customer_says(&app, Channel::X, "t7", "Help").await;
    assert_eq!(
        reply(&app, &agent, conv, json!({ "text": "One" })).await.0,
        201
    );
    let (status, _) = post(
        &app,
        &manager.token,
        &format!("/api/v1/certifications/{}/revoke", cert["id"]),
        json!({}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        reply(&app, &agent, conv, json!({ "text": "Two" })).await.0,
        202
    );
    let filter = AuditFilter {
        action: Some("certification.revoked".into()),
        ..AuditFilter::default()
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
async fn blocking_style_rules_refuse_with_the_violations_and_warnings_pass() {
    let app = TestApp::new().await;
    let manager = app.user("manager").await;
    let agent = app.user("agent").await;
    let rules = json!({ "default": true, "rules": [
        { "id": "no-asap", "severity": "blocking", "kind": "banned_phrase", "phrase": "ASAP", "suggestion": "soon" },
        { "id": "x-length", "severity": "blocking", "kind": "max_length", "channel": "x", "max": 20 },
        { "id": "shout", "severity": "warning", "kind": "shouting", "max_upper_percent": 50, "min_letters": 4 } ] });
    put(&app, &manager.token, "/api/v1/style-guides/en", rules).await;
    let conv = customer_says(&app, Channel::X, "t8", "Hi").await;
    let (status, out) = app
        .api(
            &manager.token,
            "PUT",
            "/api/v1/style-guides/%3Cscript%3E",
            Some(json!({ "rules": [] })),
        )
        .await;
    assert_eq!(status, 422, "a guide's locale is a language tag: {out}");

    let (status, out) = reply(&app, &agent, conv, json!({ "text": "We fix it ASAP" })).await;
    assert_eq!(status, 422, "{out}");
    assert_eq!(out["error"]["code"], "style_violations");
    let v = &out["error"]["violations"][0];
    assert_eq!(v["rule_id"], "no-asap");
    // "ASAP" starts at byte 10 of "We fix it ASAP".
    assert_eq!(v["span"], json!([10, 14]));

    // 12 CJK characters count 24 on X (weight 2 each), over the 20 limit; 12 chars would fit.
    let cjk = "你好你好你好你好你好你好";
    let (status, out) = reply(&app, &agent, conv, json!({ "text": cjk })).await;
    assert_eq!(status, 422, "{out}");
    assert_eq!(out["error"]["violations"][0]["rule_id"], "x-length");

    let (status, check) = post(
        &app,
        &agent.token,
        "/api/v1/style-check",
        json!({ "text": "OK THANKS", "channel": "x" }),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(check["sendable"], true);
    assert_eq!(check["violations"][0]["rule_id"], "shout");
    let (status, _) = reply(&app, &agent, conv, json!({ "text": "OK THANKS" })).await;
    assert_eq!(status, 201, "a warning does not block");

    let bad = json!({ "name": "Rush", "channel": "x", "body": "On it ASAP {{customer_name}}" });
    let (status, _) = post(&app, &manager.token, "/api/v1/templates", bad).await;
    assert_eq!(status, 422);
    // No channel: usable everywhere, so the X length rule does not apply when saving.
    let good = json!({ "name": "Thanks", "body": "Thanks {{customer_name}}!" });
    assert_eq!(
        post(&app, &manager.token, "/api/v1/templates", good)
            .await
            .0,
        201
    );
    let (_, found) = app
        .api(
            &agent.token,
            "GET",
            "/api/v1/templates?q=thanks&channel=x",
            None,
        )
        .await;
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
    assert_eq!(found[0]["name"], "Thanks");
    assert!(
        found[0]["filled"].is_null(),
        "filled only for a conversation"
    );

    // For a conversation, the composer gets the names filled in and the rest kept.
    let order = json!({ "name": "Order", "body": "Hi {{customer_name}}, {{agent_name}} here. Which order, {{ order_number }}?" });
    assert_eq!(
        post(&app, &manager.token, "/api/v1/templates", order)
            .await
            .0,
        201
    );
    let (status, found) = app
        .api(
            &agent.token,
            "GET",
            &format!("/api/v1/templates?q=order&conversation_id={conv}"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(
        found[0]["filled"],
        "Hi cust_t8, agent user here. Which order, {{order_number}}?"
    );
    assert_eq!(
        found[0]["body"],
        "Hi {{customer_name}}, {{agent_name}} here. Which order, {{ order_number }}?"
    );
    let (status, _) = app
        .api(
            &agent.token,
            "GET",
            "/api/v1/templates?conversation_id=999999",
            None,
        )
        .await;
    assert_eq!(status, 404, "another or no conversation is not found");
}

#[tokio::test]
async fn new_activity_after_the_author_opened_the_draft_refuses_sending_until_seen() {
    let app = TestApp::new().await;
    let manager = app.user("manager").await;
    let agent = app.user("agent").await;
    let approver = app.user("approver").await;
    let conv = customer_says(&app, Channel::X, "t9", "Hi").await;

    // A direct reply written before the customer's follow-up arrived.
    let (_, page) = app
        .api(
            &agent.token,
            "GET",
            &format!("/api/v1/conversations/{conv}"),
            None,
        )
        .await;
    let seen_message = page["messages"][0]["id"].as_i64().unwrap();
    customer_follows_up(&app, Channel::X, "t9", "t9b").await;
    let stale = json!({ "text": "Hello", "seen_message_id": seen_message, "seen_note_id": 0 });
    let (status, out) = reply(&app, &agent, conv, stale).await;
    assert_eq!(status, 409, "{out}");

    // A held draft: the follow-up arrives while it waits; approval does not send it.
    put(
        &app,
        &manager.token,
        "/api/v1/approval-paths/review",
        one_step(json!({ "roles": ["approver"] })),
    )
    .await;
    put(
        &app,
        &manager.token,
        "/api/v1/routing",
        everything_to("review"),
    )
    .await;
    let text = "Hello there";
    let (status, held) = reply(&app, &agent, conv, json!({ "text": text })).await;
    assert_eq!(status, 202);
    let id = held["id"].as_i64().unwrap();
    customer_follows_up(&app, Channel::X, "t9", "t9c").await;
    let (status, out) = approve(&app, &approver, id, &sha(text)).await;
    assert_eq!(status, 200);
    assert_eq!(out["status"], "approved", "held back by the collision");
    let send = format!("/api/v1/drafts/{id}/send");
    assert_eq!(post(&app, &agent.token, &send, json!({})).await.0, 409);
    let (_, notes) = app
        .api(&agent.token, "GET", "/api/v1/notifications", None)
        .await;
    assert!(
        notes[0]["message"]
            .as_str()
            .unwrap()
            .contains("was not sent"),
        "{notes}"
    );
    let (status, _) = post(
        &app,
        &agent.token,
        &format!("/api/v1/drafts/{id}/seen"),
        json!({}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, out) = post(&app, &agent.token, &send, json!({})).await;
    assert_eq!(status, 201, "{out}");
    assert_eq!(outbox_texts(&app).await, vec![text.to_owned()]);
}

async fn page(app: &TestApp, token: &str, path: &str) -> (u16, String) {
    let req = axum::http::Request::builder()
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .body(axum::body::Body::empty())
        .unwrap();
    let (status, _, body) = app.send(req).await;
    (status.as_u16(), String::from_utf8(body).unwrap())
}

#[tokio::test]
async fn the_queue_page_shows_the_conversation_the_diff_and_the_rule_escaped() {
    let app = TestApp::new().await;
    let manager = app.user("manager").await;
    let agent = app.user("agent").await;
    let approver = app.user("approver").await;
    put(
        &app,
        &manager.token,
        "/api/v1/approval-paths/legal",
        one_step(json!({ "roles": ["approver"] })),
    )
    .await;
    let table = json!({ "rules": [ { "id": "lawsuit", "conditions": [
        { "if": "contains_any", "value": ["lawyer"] } ], "path_id": "legal" } ],
        "trainee_path": null, "risk": risk() });
    put(&app, &manager.token, "/api/v1/routing", table).await;
    let conv = customer_says(
        &app,
        Channel::X,
        "q1",
        "<script>alert(1)</script> my lawyer",
    )
    .await;
    let (status, _) = reply(&app, &agent, conv, json!({ "text": "No lawyer talk here" })).await;
    assert_eq!(status, 202);
    let (_, held) = reply(&app, &agent, conv, json!({ "text": "Plain thanks" })).await;
    assert_eq!(held["id"], Value::Null, "no rule matched: sent directly");

    let (status, html) = page(&app, &approver.token, "/approvals").await;
    assert_eq!(status, 200);
    assert!(html.contains("No lawyer talk here"));
    assert!(html.contains("rule lawsuit"));
    assert!(html.contains("text mentions"));
    assert!(html.contains("&lt;script&gt;alert(1)"));
    assert!(!html.contains("<script>alert(1)"));
    let (_, html) = page(&app, &agent.token, "/approvals").await;
    assert!(html.contains("Nothing waits for you."));
    let (status, html) = page(&app, &agent.token, &format!("/conversations/{conv}")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains(": pending</strong>"),
        "the author sees the held draft"
    );
    assert!(html.contains("name=\"seen_message_id\""));
}

#[tokio::test]
async fn a_missed_deadline_escalates_and_the_escalation_group_approves() {
    let app = TestApp::new().await;
    let manager = app.user("manager").await;
    let agent = app.user("agent").await;
    let approver = app.user("approver").await;
    let path = json!({ "id": "", "name": "Escalating", "steps": [ { "branches": [
        { "name": "Approvers", "group": { "roles": ["approver"] }, "quorum": "any",
          "deadline_minutes": 30, "on_deadline": { "escalate": { "roles": ["manager"] } } } ] } ] });
    put(&app, &manager.token, "/api/v1/approval-paths/esc", path).await;
    put(
        &app,
        &manager.token,
        "/api/v1/routing",
        everything_to("esc"),
    )
    .await;
    let conv = customer_says(&app, Channel::X, "e1", "Hi").await;
    let text = "On our way.";
    let (_, held) = reply(&app, &agent, conv, json!({ "text": text })).await;
    let id = held["id"].as_i64().unwrap();

    schedule::tick(&app.state, now_millis() + 31 * 60 * 1000)
        .await
        .unwrap();
    let (status, _) = approve(&app, &approver, id, &sha(text)).await;
    assert_eq!(status, 403, "the original group no longer decides");
    let (status, out) = approve(&app, &manager, id, &sha(text)).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["status"], "sent");
    let actions: Vec<String> = draft_audit(&app, id)
        .await
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    assert_eq!(
        actions,
        [
            "draft.submitted",
            "draft.escalated",
            "draft.approved",
            "draft.sent"
        ]
    );
}

#[tokio::test]
async fn the_report_counts_decisions_and_approver_edits_per_agent() {
    let app = TestApp::new().await;
    let manager = app.user("manager").await;
    let agent = app.user("agent").await;
    let a1 = app.user_in(app.ws, "approver", "a1@acme.test").await;
    let a2 = app.user_in(app.ws, "approver", "a2@acme.test").await;
    put(
        &app,
        &manager.token,
        "/api/v1/approval-paths/review",
        one_step(json!({ "roles": ["approver"] })),
    )
    .await;
    put(
        &app,
        &manager.token,
        "/api/v1/routing",
        everything_to("review"),
    )
    .await;
    let conv = customer_says(&app, Channel::X, "r1", "Hi").await;

    // Draft 1: a1 rejects, the agent edits, a1 edits, a2 approves (sent).
    let (_, d1) = reply(&app, &agent, conv, json!({ "text": "first try" })).await;
    let id1 = d1["id"].as_i64().unwrap();
    let body = json!({ "version_hash": sha("first try"), "note": "too short" });
    assert_eq!(
        post(
            &app,
            &a1.token,
            &format!("/api/v1/drafts/{id1}/reject"),
            body
        )
        .await
        .0,
        200
    );
    let edit = format!("/api/v1/drafts/{id1}/edit");
    assert_eq!(
        post(&app, &agent.token, &edit, json!({ "text": "second try" }))
            .await
            .0,
        200
    );
    assert_eq!(
        post(&app, &a1.token, &edit, json!({ "text": "third try" }))
            .await
            .0,
        200
    );
    assert_eq!(
        approve(&app, &a2, id1, &sha("third try")).await.1["status"],
        "sent"
    );
    // Draft 2: approved as written.
    let (_, d2) = reply(&app, &agent, conv, json!({ "text": "fine as is" })).await;
    let id2 = d2["id"].as_i64().unwrap();
    assert_eq!(approve(&app, &a1, id2, &sha("fine as is")).await.0, 200);

    let (status, r) = app
        .api(&manager.token, "GET", "/api/v1/reports/approvals", None)
        .await;
    assert_eq!(status, 200, "{r}");
    // Decisions by hand: reject, approve, approve → 1 of 3 rejected.
    assert_eq!(r["paths"][0]["approvals"], 2);
    assert_eq!(r["paths"][0]["rejections"], 1);
    assert!((r["paths"][0]["rejection_rate"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-9);
    assert_eq!(r["agents"][0]["author_id"], agent.id);
    assert_eq!(r["agents"][0]["drafts"], 2);
    assert_eq!(r["agents"][0]["approver_edits"], 1, "only a1's version");
    // Step 0 passes measured: v1 (rejected), v3 (approved) of draft 1 and v1 of draft 2.
    assert_eq!(r["steps"][0]["samples"], 3);
}

#[tokio::test]
async fn a_scheduled_reply_without_approval_leaves_only_when_the_scheduler_reaches_its_time() {
    let app = TestApp::new().await;
    let agent = app.user("agent").await;
    let conv = customer_says(&app, Channel::X, "s1", "Hi").await;
    let at = now_millis() + 3_600_000;
    let (status, held) = reply(
        &app,
        &agent,
        conv,
        json!({ "text": "Good morning!", "send_at": rfc3339(at) }),
    )
    .await;
    assert_eq!(status, 202, "{held}");
    assert_eq!(
        held["status"], "approved",
        "no approval needed, only the time"
    );
    assert_eq!(schedule::tick(&app.state, at - 1).await.unwrap().sent, 0);
    assert!(outbox_texts(&app).await.is_empty());
    assert_eq!(schedule::tick(&app.state, at).await.unwrap().sent, 1);
    assert_eq!(
        schedule::tick(&app.state, at + 1).await.unwrap().sent,
        0,
        "sent once"
    );
    assert_eq!(outbox_texts(&app).await, vec!["Good morning!".to_owned()]);
}

#[tokio::test]
async fn the_openapi_document_describes_the_approvals_routes() {
    let app = TestApp::new().await;
    let agent = app.user("agent").await;
    let (status, doc) = app
        .api(&agent.token, "GET", "/api/v1/openapi.json", None)
        .await;
    assert_eq!(status, 200);
    for path in [
        "/api/v1/drafts/{id}/approve",
        "/api/v1/style-check",
        "/api/v1/comm-tests/{id}/attempts",
        "/api/v1/reports/approvals",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing");
    }
}

#[tokio::test]
async fn the_reply_record_names_the_template_every_version_with_its_findings_and_decisions() {
    let app = TestApp::new().await;
    let manager = app.user("manager").await;
    let agent = app.user("agent").await;
    let editor = app.user_in(app.ws, "approver", "editor@acme.test").await;
    let approver = app.user("approver").await;
    let rules = json!({ "default": true, "rules": [
        { "id": "shout", "severity": "warning", "kind": "shouting", "max_upper_percent": 50, "min_letters": 4 } ] });
    put(&app, &manager.token, "/api/v1/style-guides/en", rules).await;
    put(
        &app,
        &manager.token,
        "/api/v1/approval-paths/review",
        one_step(json!({ "roles": ["approver"] })),
    )
    .await;
    put(
        &app,
        &manager.token,
        "/api/v1/routing",
        everything_to("review"),
    )
    .await;
    let (status, template) = post(
        &app,
        &manager.token,
        "/api/v1/templates",
        json!({ "name": "Ships today", "body": "IT SHIPS TODAY" }),
    )
    .await;
    assert_eq!(status, 201, "{template}");
    let template_id = template["id"].as_i64().unwrap();
    let conv = customer_says(&app, Channel::X, "r1", "Where is my order?").await;

    let (status, out) = reply(
        &app,
        &agent,
        conv,
        json!({ "text": "IT SHIPS TODAY", "template_id": template_id + 1000 }),
    )
    .await;
    assert_eq!(status, 422, "an unknown template is refused: {out}");
    for bad in [
        json!({ "name": "", "body": "hi" }),
        json!({ "name": "Empty", "body": "  " }),
        json!({ "name": "Where", "body": "hi", "channel": "zzz" }),
        json!({ "name": "Lang", "body": "hi", "locale": "<script>" }),
    ] {
        let (status, out) = post(&app, &manager.token, "/api/v1/templates", bad.clone()).await;
        assert_eq!(status, 422, "{bad}: {out}");
    }
    let (status, fb) = post(
        &app,
        &manager.token,
        "/api/v1/templates",
        json!({ "name": "Page only", "body": "Thanks!", "channel": "facebook" }),
    )
    .await;
    assert_eq!(status, 201, "{fb}");
    let (status, out) = reply(
        &app,
        &agent,
        conv,
        json!({ "text": "Thanks!", "template_id": fb["id"] }),
    )
    .await;
    assert_eq!(status, 422, "a Facebook template on X is refused: {out}");
    let (_, found) = app
        .api(
            &agent.token,
            "GET",
            &format!("/api/v1/templates?conversation_id={conv}"),
            None,
        )
        .await;
    let names: Vec<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Ships today"], "only templates usable on X");
    // Templates in another language stay out of a conversation whose language is known.
    let es = json!({ "name": "Envío hoy", "body": "Sale hoy.", "locale": "es" });
    assert_eq!(
        post(&app, &manager.token, "/api/v1/templates", es).await.0,
        201
    );
    let names_for = |locale: &'static str| {
        let (app, token) = (&app, agent.token.clone());
        async move {
            let path = format!("/api/v1/conversations/{conv}");
            let (s, _) = app
                .api(&token, "PATCH", &path, Some(json!({ "locale": locale })))
                .await;
            assert_eq!(s, 200);
            let path = format!("/api/v1/templates?conversation_id={conv}");
            let (_, found) = app.api(&token, "GET", &path, None).await;
            let names: Vec<String> = found
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["name"].as_str().unwrap().to_owned())
                .collect();
            names
        }
    };
    assert_eq!(names_for("fr").await, ["Ships today"]);
    assert_eq!(names_for("es-MX").await, ["Envío hoy", "Ships today"]);

    // v1 shouts (a warning, so it is held, not refused); an approver rewrites it as v2 and
    // another approver approves v2.
    let v1 = "IT SHIPS TODAY";
    let v2 = "It ships today.";
    let (status, held) = reply(
        &app,
        &agent,
        conv,
        json!({ "text": v1, "template_id": template_id }),
    )
    .await;
    assert_eq!(status, 202, "{held}");
    let id = held["id"].as_i64().unwrap();
    let (status, out) = post(
        &app,
        &editor.token,
        &format!("/api/v1/drafts/{id}/edit"),
        json!({ "text": v2 }),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    // The approval of an unscheduled draft sends it.
    let (status, out) = approve(&app, &approver, id, &sha(v2)).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["status"], "sent", "{out}");
    let message_id = out["sent_message_id"].as_i64().unwrap();

    let (status, r) = app
        .api(
            &agent.token,
            "GET",
            &format!("/api/v1/messages/{message_id}/record"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["template"]["id"], template_id);
    assert_eq!(r["template"]["name"], "Ships today");
    assert_eq!(r["draft_id"], id);
    assert_eq!(r["approval_path"], "review");
    assert_eq!(r["text_sent"], v2);
    let versions = r["drafts"].as_array().unwrap();
    assert_eq!(versions.len(), 2, "{r}");
    assert_eq!(
        (
            &versions[0]["text"],
            &versions[0]["sha256"],
            &versions[0]["sent"]
        ),
        (&json!(v1), &json!(sha(v1)), &json!(false))
    );
    assert_eq!(versions[0]["by_user_id"], agent.id);
    assert_eq!(versions[0]["style_locale"], "en");
    assert_eq!(versions[0]["style_version"], 1);
    // Every letter of v1 is upper case: the shouting rule is the one finding.
    let findings: Vec<&str> = versions[0]["style_findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(findings, ["shout"]);
    assert_eq!(
        (
            &versions[1]["text"],
            &versions[1]["sha256"],
            &versions[1]["sent"]
        ),
        (&json!(v2), &json!(sha(v2)), &json!(true))
    );
    assert_eq!(versions[1]["by_user_id"], editor.id);
    assert_eq!(versions[1]["style_findings"], json!([]));
    let decisions = r["approvals"].as_array().unwrap();
    assert_eq!(decisions.len(), 1, "{r}");
    assert_eq!(decisions[0]["approver_id"], approver.id);
    assert_eq!(decisions[0]["verdict"], "approve");
    assert_eq!(decisions[0]["version_hash"], sha(v2));

    let (status, html) = page(
        &app,
        &agent.token,
        &format!("/messages/{message_id}/record"),
    )
    .await;
    assert_eq!(status, 200);
    for expected in [
        "Ships today",
        v1,
        v2,
        "<code>shout</code>",
        sha(v2).as_str(),
    ] {
        assert!(html.contains(expected), "{expected} missing from the page");
    }
}

#[tokio::test]
async fn reply_rights_last_one_day_to_ten_years_and_no_validity_overflows() {
    let app = TestApp::new().await;
    let manager = app.user("manager").await;
    let agent = app.user("agent").await;
    for days in [0, 3651, i64::MAX] {
        let grant = json!({ "user_id": agent.id, "channels": ["x"], "days": days });
        let (status, out) = post(&app, &manager.token, "/api/v1/certifications", grant).await;
        assert_eq!(status, 422, "{days} days: {out}");
        let mut test = comm_test();
        test["validity_days"] = json!(days);
        let (status, out) = post(&app, &manager.token, "/api/v1/comm-tests", test).await;
        assert_eq!(status, 422, "{days} days: {out}");
    }
    // Tests that could never be graded or passed are refused when saved.
    let mut zero = comm_test();
    zero["test"]["questions"][0]["kind"]["points"] = json!(0);
    zero["test"]["questions"][1]["kind"]["style_points"] = json!(0);
    zero["test"]["questions"][1]["kind"]["rubric"][0]["max"] = json!(0);
    let mut stray = comm_test();
    stray["test"]["questions"][0]["kind"]["correct"] = json!(["zzz"]);
    let mut twice = comm_test();
    twice["test"]["questions"][1]["id"] = json!("q1");
    let mut nowhere = comm_test();
    nowhere["channels"] = json!(["<script>"]);
    for bad in [zero, stray, twice, nowhere] {
        let (status, out) = post(&app, &manager.token, "/api/v1/comm-tests", bad).await;
        assert_eq!(status, 422, "{out}");
    }
    let (status, out) = post(&app, &manager.token, "/api/v1/comm-tests", comm_test()).await;
    assert_eq!(status, 201, "the unchanged test is fine: {out}");
    let grant = json!({ "user_id": agent.id, "channels": ["x"], "days": 3650 });
    let (status, out) = post(&app, &manager.token, "/api/v1/certifications", grant).await;
    assert_eq!(status, 201, "{out}");
    assert_eq!(out["channels"], json!(["x"]), "a list, not its JSON text");
    // Rights granted for 3650 days end 3650 × 24 hours after the grant.
    let span = out["expires_at"].as_i64().unwrap() - out["granted_at"].as_i64().unwrap();
    assert_eq!(span, 3650 * DAY_MS);
}

#[tokio::test]
async fn a_path_its_approvers_can_never_satisfy_is_refused_when_saved() {
    let app = TestApp::new().await;
    let manager = app.user("manager").await;
    let _approver = app.user("approver").await;
    let branch = |group: Value, quorum: Value| {
        json!({ "id": "", "name": "Q", "steps": [ { "branches": [
            { "name": "L", "group": group, "quorum": quorum, "on_deadline": "expire" } ] } ] })
    };
    // One approver in the workspace: five of them can never approve.
    for (group, quorum) in [
        (json!({ "roles": ["approver"] }), json!({ "at_least": 5 })),
        (json!({ "users": ["99999"] }), json!("any")),
        (json!({ "roles": ["wizard"] }), json!("any")),
    ] {
        let (status, out) = app
            .api(
                &manager.token,
                "PUT",
                "/api/v1/approval-paths/q",
                Some(branch(group.clone(), quorum)),
            )
            .await;
        assert_eq!(status, 422, "{group}: {out}");
    }
    let ok = branch(json!({ "roles": ["approver"] }), json!({ "at_least": 1 }));
    put(&app, &manager.token, "/api/v1/approval-paths/q", ok).await;
}

#[tokio::test]
async fn a_reply_names_any_template_of_the_workspace_not_only_the_first_fifty() {
    let app = TestApp::new().await;
    let manager = app.user("manager").await;
    let agent = app.user("agent").await;
    let mut last = 0;
    for i in 0..55 {
        let t = json!({ "name": format!("T{i:02}"), "body": format!("Answer {i}") });
        let (status, out) = post(&app, &manager.token, "/api/v1/templates", t).await;
        assert_eq!(status, 201, "{out}");
        last = out["id"].as_i64().unwrap();
    }
    let conv = customer_says(&app, Channel::X, "t55", "Hi").await;
    let body = json!({ "text": "Answer 54", "template_id": last });
    let (status, sent) = reply(&app, &agent, conv, body).await;
    assert_eq!(status, 201, "{sent}");
    let id = sent["id"].as_i64().unwrap();
    let path = format!("/api/v1/messages/{id}/record");
    let (_, r) = app.api(&agent.token, "GET", &path, None).await;
    assert_eq!(r["template"]["name"], "T54", "{r}");
}
