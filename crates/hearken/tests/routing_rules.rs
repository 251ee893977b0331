//! Issue #6: routing rules act on new inbound messages, in order, audited as
//! `system:routing` with the rule's id and version, and a dismissal as spam can be undone.

mod common;
mod support;

use hearken::domain::channel::{Channel, Visibility};
use hearken::domain::{Actor, WorkspaceId};
use hearken::storage::AuditFilter;
use serde_json::{json, Value};
use support::channels::inbound;

use common::TestApp;

/// Stores a message and runs routing after it, as live ingest does; returns the conversation.
async fn arrive(app: &TestApp, channel: Channel, id: &str, vis: Visibility, text: &str) -> i64 {
    let report = app
        .store()
        .ingest(
            app.ws,
            &Actor::System("test"),
            &[inbound(channel, id, vis, text)],
        )
        .await
        .unwrap();
    hearken::routing::after_ingest(&app.state, app.ws, &report)
        .await
        .unwrap();
    report.touched_conversations[0]
}

async fn routing_audit(app: &TestApp, ws: WorkspaceId) -> Vec<Value> {
    let filter = AuditFilter {
        actor: Some("system:routing".into()),
        ..Default::default()
    };
    let mut rows = app.store().audit_events(ws, &filter, 100).await.unwrap();
    rows.sort_by_key(|r| r.seq);
    rows.iter()
        .map(|r| serde_json::from_str(r.after_state.as_deref().unwrap()).unwrap())
        .collect()
}

#[tokio::test]
async fn matching_rules_assign_team_priority_and_tags_with_their_version_in_the_audit() {
    let app = TestApp::new().await;
    let manager = app.user("manager").await;
    let team = app
        .store()
        .create_team(app.ws, "Billing", &Actor::System("test"))
        .await
        .unwrap();
    let (status, rule) = app
        .api(
            &manager.token,
            "POST",
            "/api/v1/routing/rules",
            Some(json!({
                "name": "refunds to billing",
                "conditions": { "channels": ["x"], "words": "refund OR \"money back\"" },
                "actions": { "team_id": team.id, "priority": "high", "tags": ["billing"] }
            })),
        )
        .await;
    assert_eq!(status, 201, "{rule}");
    assert_eq!(rule["version"], 1);

    let hit = arrive(
        &app,
        Channel::X,
        "1",
        Visibility::Public,
        "I want my money back",
    )
    .await;
    let miss = arrive(
        &app,
        Channel::X,
        "2",
        Visibility::Public,
        "Where is my parcel",
    )
    .await;

    let c = app
        .store()
        .conversation(app.ws, hit)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((c.team_id, c.priority.as_str()), (Some(team.id), "high"));
    assert_eq!(
        app.store().tags(app.ws, hit).await.unwrap(),
        vec!["billing"]
    );
    let other = app
        .store()
        .conversation(app.ws, miss)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((other.team_id, other.priority.as_str()), (None, "normal"));

    // A changed rule acts with its new version, and the audit says which version acted.
    let id = rule["id"].as_i64().unwrap();
    let (status, v2) = app
        .api(
            &manager.token,
            "PUT",
            &format!("/api/v1/routing/rules/{id}"),
            Some(json!({
                "name": "refunds to billing",
                "conditions": { "words": "refund" },
                "actions": { "priority": "urgent" }
            })),
        )
        .await;
    assert_eq!((status.as_u16(), v2["version"].clone()), (200, json!(2)));
    let third = arrive(
        &app,
        Channel::Mastodon,
        "3",
        Visibility::Public,
        "refund please",
    )
    .await;

    let audit = routing_audit(&app, app.ws).await;
    assert_eq!(audit.len(), 2, "one event per rule that acted: {audit:?}");
    assert_eq!(audit[0]["rule_id"], id);
    assert_eq!(audit[0]["rule_version"], 1);
    assert_eq!(audit[0]["priority"], "high");
    assert_eq!(audit[1]["rule_version"], 2);
    assert_eq!(audit[1]["priority"], "urgent");
    let c3 = app
        .store()
        .conversation(app.ws, third)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c3.priority, "urgent");
}

#[tokio::test]
async fn routing_runs_once_per_message_and_later_rules_win_until_one_stops() {
    let app = TestApp::new().await;
    let manager = app.user("manager").await;
    for (name, priority, stop) in [
        ("first", "low", false),
        ("second", "high", true),
        ("third", "urgent", false),
    ] {
        let (status, _) = app
            .api(
                &manager.token,
                "POST",
                "/api/v1/routing/rules",
                Some(json!({
                    "name": name,
                    "conditions": { "visibility": "private" },
                    "actions": { "priority": priority, "tags": [name], "stop": stop }
                })),
            )
            .await;
        assert_eq!(status, 201);
    }
    let report = app
        .store()
        .ingest(
            app.ws,
            &Actor::System("test"),
            &[inbound(Channel::X, "dm-1", Visibility::Private, "hello")],
        )
        .await
        .unwrap();
    let first = hearken::routing::after_ingest(&app.state, app.ws, &report)
        .await
        .unwrap();
    let again = hearken::routing::after_ingest(&app.state, app.ws, &report)
        .await
        .unwrap();

    assert_eq!((first, again), (1, 0));
    let conv = report.touched_conversations[0];
    let c = app
        .store()
        .conversation(app.ws, conv)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        c.priority, "high",
        "the second rule acted last and stopped the third"
    );
    assert_eq!(
        app.store().tags(app.ws, conv).await.unwrap(),
        vec!["first", "second"]
    );
    assert_eq!(routing_audit(&app, app.ws).await.len(), 2);
}

#[tokio::test]
async fn a_spam_dismissal_closes_the_conversation_and_can_be_undone() {
    let app = TestApp::new().await;
    let manager = app.user("manager").await;
    let agent = app.user("agent").await;
    let (_, rule) = app
        .api(
            &manager.token,
            "POST",
            "/api/v1/routing/rules",
            Some(json!({
                "name": "giveaway spam",
                "conditions": { "words": "\"crypto giveaway\"" },
                "actions": { "dismiss": true }
            })),
        )
        .await;
    let conv = arrive(
        &app,
        Channel::X,
        "9",
        Visibility::Public,
        "Join our CRYPTO giveaway now",
    )
    .await;

    let c = app
        .store()
        .conversation(app.ws, conv)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.status, "closed");
    assert_eq!(app.store().tags(app.ws, conv).await.unwrap(), vec!["spam"]);
    let (_, list) = app
        .api(&agent.token, "GET", "/api/v1/routing/dismissals", None)
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["rule_id"], rule["id"]);
    assert_eq!(list[0]["previous_status"], "new");
    let dismissal = list[0]["id"].as_i64().unwrap();

    let (status, body) = app
        .api(
            &agent.token,
            "POST",
            &format!("/api/v1/routing/dismissals/{dismissal}/undo"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let c = app
        .store()
        .conversation(app.ws, conv)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.status, "new");
    assert!(app.store().tags(app.ws, conv).await.unwrap().is_empty());
    let filter = AuditFilter {
        action: Some("routing.dismissal_undone".into()),
        ..Default::default()
    };
    let undone = app.store().audit_events(app.ws, &filter, 10).await.unwrap();
    assert_eq!(undone.len(), 1);
    assert_eq!(undone[0].actor, format!("user:{}", agent.id));

    let (status, _) = app
        .api(
            &agent.token,
            "POST",
            &format!("/api/v1/routing/dismissals/{dismissal}/undo"),
            None,
        )
        .await;
    assert_eq!(status, 409, "a dismissal is undone once");
}

#[tokio::test]
async fn sentiment_and_visibility_conditions_pick_the_angry_dm() {
    let app = TestApp::new().await;
    let manager = app.user("manager").await;
    let (status, _) = app
        .api(
            &manager.token,
            "POST",
            "/api/v1/routing/rules",
            Some(json!({
                "name": "angry customers",
                "conditions": { "sentiment_below": -0.5, "visibility": "private" },
                "actions": { "priority": "urgent" }
            })),
        )
        .await;
    assert_eq!(status, 201);
    let angry_dm = arrive(
        &app,
        Channel::X,
        "a",
        Visibility::Private,
        "This is awful, worst service ever, I hate it",
    )
    .await;
    let calm_dm = arrive(
        &app,
        Channel::X,
        "b",
        Visibility::Private,
        "What time do you open?",
    )
    .await;
    let angry_public = arrive(
        &app,
        Channel::X,
        "c",
        Visibility::Public,
        "This is awful, worst service ever, I hate it",
    )
    .await;

    let mut priorities = Vec::new();
    for id in [angry_dm, calm_dm, angry_public] {
        let c = app.store().conversation(app.ws, id).await.unwrap().unwrap();
        priorities.push(c.priority);
    }
    assert_eq!(priorities, ["urgent", "normal", "normal"]);
    let messages = app
        .store()
        .conversation_messages(app.ws, angry_dm)
        .await
        .unwrap();
    let signal = app
        .store()
        .message_signal(app.ws, messages[0].id)
        .await
        .unwrap()
        .unwrap();
    assert!(signal.sentiment.unwrap() < -0.5);
}

#[tokio::test]
async fn an_invalid_rule_is_refused_naming_the_field() {
    let app = TestApp::new().await;
    let manager = app.user("manager").await;
    let agent = app.user("agent").await;
    let rule = |conditions: Value, actions: Value| json!({ "name": "r", "conditions": conditions, "actions": actions });

    let (status, body) = app
        .api(
            &manager.token,
            "POST",
            "/api/v1/routing/rules",
            Some(rule(
                json!({ "words": "refund OR" }),
                json!({ "tags": ["x"] }),
            )),
        )
        .await;
    assert_eq!(status, 422);
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("conditions.words: "), "{message}");
    assert!(message.contains("column"), "{message}");

    let (status, body) = app
        .api(
            &manager.token,
            "POST",
            "/api/v1/routing/rules",
            Some(rule(json!({}), json!({ "priority": "asap" }))),
        )
        .await;
    assert_eq!(status, 422);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("actions.priority: "));

    let (status, _) = app
        .api(
            &manager.token,
            "POST",
            "/api/v1/routing/rules",
            Some(rule(json!({}), json!({ "team_id": 999 }))),
        )
        .await;
    assert_eq!(status, 422);

    let (status, _) = app
        .api(
            &agent.token,
            "POST",
            "/api/v1/routing/rules",
            Some(rule(json!({}), json!({ "tags": ["x"] }))),
        )
        .await;
    assert_eq!(status, 403, "agents do not set routing");
}
