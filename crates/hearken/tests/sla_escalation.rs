//! SLA warnings and breaches notify the assignee and the team lead once, and escalation
//! rules reassign or raise the priority on breach, once per crossing, through the same
//! change path (and audit) as a person's edit. Team leads and rules are set over the API,
//! by admins and managers only, with JSON errors for bad input.

mod common;

use axum::http::StatusCode;
use common::{TestApp, TestUser};
use hearken::domain::channel::{Channel, Visibility};
use hearken::domain::message::{AuthorRef, Direction, IncomingMessage};
use hearken::domain::time::now_millis;
use hearken::domain::{Actor, WorkspaceId};
use hearken::storage::AuditFilter;
use serde_json::{json, Value};

fn inbound(id: &str, minutes_ago: i64) -> IncomingMessage {
    IncomingMessage {
        channel: Channel::Sandbox,
        account: "brand".into(),
        platform_id: id.into(),
        direction: Direction::In,
        visibility: Visibility::Public,
        reply_to: None,
        customer: Some(AuthorRef {
            platform_user_id: format!("u-{id}"),
            handle: format!("customer_{id}"),
            display_name: None,
        }),
        text: format!("help {id}"),
        platform_time: now_millis() - minutes_ago * 60_000,
        conversation_key: None,
        conversation_attrs: None,
        earlier_versions: vec![],
        deleted_at: None,
    }
}

async fn conversation(app: &TestApp, id: &str, minutes_ago: i64) -> i64 {
    app.store()
        .ingest(app.ws, &Actor::System("test"), &[inbound(id, minutes_ago)])
        .await
        .unwrap()
        .touched_conversations[0]
}

async fn ok(app: &TestApp, token: &str, method: &str, path: &str, body: Value) -> Value {
    let (s, b) = app.api(token, method, path, Some(body)).await;
    assert!(s.is_success(), "{method} {path}: {s} {b}");
    b
}

/// The caller's notifications about one conversation.
async fn notes_about(app: &TestApp, user: &TestUser, conversation: i64) -> Vec<Value> {
    let (s, b) = app
        .api(&user.token, "GET", "/api/v1/notifications", None)
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b.as_array()
        .unwrap()
        .iter()
        .filter(|n| n["conversation_id"].as_i64() == Some(conversation))
        .cloned()
        .collect()
}

async fn audit(app: &TestApp, action: &str) -> Vec<hearken::storage::AuditRow> {
    let f = AuditFilter {
        action: Some(action.into()),
        ..Default::default()
    };
    app.store().audit_events(app.ws, &f, 500).await.unwrap()
}

fn after(row: &hearken::storage::AuditRow) -> Value {
    serde_json::from_str(row.after_state.as_deref().unwrap()).unwrap()
}

/// Runs a statement under the store, as someone with database access would.
async fn raw_exec(app: &TestApp, statement: &str) {
    use sqlx::Connection;
    match app.db.location() {
        (url, None) => {
            let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
            sqlx::query(statement).execute(&mut c).await.unwrap();
        }
        (url, Some(schema)) => {
            let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
            sqlx::query(&format!("SET search_path TO {schema}"))
                .execute(&mut c)
                .await
                .unwrap();
            sqlx::query(statement).execute(&mut c).await.unwrap();
        }
    }
}

/// Two policies: `std` (60 calendar minutes to a first response, warning at 80 %, so
/// after 48 minutes) for everyone, and `vip` for VIP customers only, which nobody here is.
async fn policies(app: &TestApp, manager: &TestUser) {
    ok(
        app,
        &manager.token,
        "POST",
        "/api/v1/sla/policies",
        json!({
            "key": "vip", "name": "VIP", "position": 0, "first_response_minutes": 10,
            "business_time": false, "conditions": [{"vip": true}],
            "effective_from": "2020-01-01T00:00:00Z"
        }),
    )
    .await;
    ok(
        app,
        &manager.token,
        "POST",
        "/api/v1/sla/policies",
        json!({
            "key": "std", "name": "Standard", "position": 1, "first_response_minutes": 60,
            "business_time": false, "warn_at_percent": 80,
            "effective_from": "2020-01-01T00:00:00Z"
        }),
    )
    .await;
}

#[tokio::test]
async fn crossings_notify_once_and_escalation_rules_act_once() {
    let app = TestApp::new().await;
    let manager = app.user("manager").await;
    let agent = app.user_in(app.ws, "agent", "ana@acme.test").await;
    let lead = app.user_in(app.ws, "agent", "lea@acme.test").await;
    let senior = app.user_in(app.ws, "agent", "sam@acme.test").await;
    policies(&app, &manager).await;

    // A team with a lead, set by a manager through the team API, with audit.
    let team = ok(
        &app,
        &manager.token,
        "POST",
        "/api/v1/teams",
        json!({"name": "Care"}),
    )
    .await;
    let team_id = team["id"].as_i64().unwrap();
    assert!(team["lead_user_id"].is_null());
    let team = ok(
        &app,
        &manager.token,
        "PATCH",
        &format!("/api/v1/teams/{team_id}"),
        json!({"lead_user_id": lead.id}),
    )
    .await;
    assert_eq!(team["lead_user_id"].as_i64(), Some(lead.id));
    let set = audit(&app, "team.lead_set").await;
    assert_eq!(set.len(), 1);
    assert_eq!(set[0].actor, format!("user:{}", manager.id));
    assert_eq!(after(&set[0])["lead_user_id"].as_i64(), Some(lead.id));

    // Breached (70 minutes waiting, due after 60) and in warning (50 minutes: past 48).
    let late = conversation(&app, "late", 70).await;
    let late_lead = conversation(&app, "late-lead", 70).await;
    let warn = conversation(&app, "warn", 50).await;
    let quiet = conversation(&app, "quiet", 50).await;
    for (c, who) in [(late, agent.id), (late_lead, lead.id), (warn, agent.id)] {
        ok(
            &app,
            &manager.token,
            "PATCH",
            &format!("/api/v1/conversations/{c}"),
            json!({"assignee": who.to_string(), "team": team_id.to_string()}),
        )
        .await;
    }

    // On a first-response breach under `std`: to the senior agent, priority at least high.
    let rule = ok(
        &app,
        &manager.token,
        "POST",
        "/api/v1/sla/escalation-rules",
        json!({"name": "Late first answers", "metric": "first_response",
               "policy_key": "std", "assign_user_id": senior.id, "raise_priority": "high"}),
    )
    .await;
    let rule_id = rule["id"].as_i64().unwrap();
    assert_eq!(
        (rule["version"].as_i64(), rule["on_warning"].as_bool()),
        (Some(1), Some(false))
    );
    // Rules that must not act: another policy, another metric.
    let vip_rule = ok(
        &app,
        &manager.token,
        "POST",
        "/api/v1/sla/escalation-rules",
        json!({"name": "VIP", "metric": "any", "on_warning": true, "policy_key": "vip",
               "raise_priority": "urgent", "assign_team_id": team_id}),
    )
    .await;
    let resolution_rule = ok(
        &app,
        &manager.token,
        "POST",
        "/api/v1/sla/escalation-rules",
        json!({"name": "Slow resolution", "metric": "resolution", "raise_priority": "urgent"}),
    )
    .await;
    assert_eq!(audit(&app, "sla.escalation_rule_created").await.len(), 3);

    let mut rx = app.state.events.subscribe();
    let mut got: Vec<(i64, String)> = hearken::sla::watch::tick(&app.state)
        .await
        .unwrap()
        .into_iter()
        .map(|(ws, id, s)| {
            assert_eq!(ws, app.ws);
            (id, s)
        })
        .collect();
    got.sort();
    let mut want: Vec<(i64, String)> = vec![
        (late, "breached".into()),
        (late_lead, "breached".into()),
        (warn, "warning".into()),
        (quiet, "warning".into()),
    ];
    want.sort();
    assert_eq!(got, want);
    assert!(rx.try_recv().is_ok(), "crossings are pushed live");

    // The breach: the assignee, the lead and the new assignee, one notification each.
    for u in [&agent, &lead, &senior] {
        let n = notes_about(&app, u, late).await;
        assert_eq!(n.len(), 1, "user {} about {late}: {n:?}", u.id);
        assert_eq!(n[0]["kind"], "sla_breach");
        let text = n[0]["message"].as_str().unwrap();
        assert!(text.contains(&format!("Conversation {late}")), "{text}");
        assert!(text.contains("first response"), "{text}");
        assert!(text.contains("breached"), "{text}");
        assert!(
            text.contains(&format!("assigned to user {}", senior.id)),
            "{text}"
        );
        assert!(text.contains("priority raised to high"), "{text}");
    }
    // The lead who is also the assignee hears once.
    assert_eq!(notes_about(&app, &lead, late_lead).await.len(), 1);
    assert!(notes_about(&app, &agent, late_lead).await.is_empty());
    // The warning: assignee and lead; no rule acts on it.
    for u in [&agent, &lead] {
        let n = notes_about(&app, u, warn).await;
        assert_eq!(n.len(), 1, "{n:?}");
        assert_eq!(n[0]["kind"], "sla_warning");
        let text = n[0]["message"].as_str().unwrap();
        assert!(
            text.contains("first response") && text.contains("warning"),
            "{text}"
        );
    }
    assert!(notes_about(&app, &senior, warn).await.is_empty());
    // Nobody assigned, no team: nobody told.
    for u in [&agent, &lead, &senior, &manager] {
        assert!(notes_about(&app, u, quiet).await.is_empty());
    }

    // The rule reassigned and raised the priority, through the change path.
    let c = app
        .store()
        .conversation(app.ws, late)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (c.assignee_id, c.team_id, c.priority.as_str()),
        (Some(senior.id), Some(team_id), "high")
    );
    let w = app
        .store()
        .conversation(app.ws, warn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (w.assignee_id, w.priority.as_str()),
        (Some(agent.id), "normal")
    );
    let escalations = audit(&app, "sla.escalation_applied").await;
    let mut subjects: Vec<String> = escalations.iter().map(|e| e.subject.clone()).collect();
    subjects.sort();
    let mut want_subjects = vec![
        format!("conversation:{late}"),
        format!("conversation:{late_lead}"),
    ];
    want_subjects.sort();
    assert_eq!(subjects, want_subjects);
    for e in &escalations {
        assert_eq!(e.actor, "system:sla");
        let a = after(e);
        assert_eq!(a["escalation_rule_id"].as_i64(), Some(rule_id));
        assert_eq!(a["escalation_rule_version"].as_i64(), Some(1));
        assert_eq!(a["metric"], "first_response");
        assert_eq!(a["sla_state"], "breached");
        assert_eq!(a["assignee_id"].as_i64(), Some(senior.id));
        assert_eq!(a["priority"], "high");
        let b: Value = serde_json::from_str(e.before_state.as_deref().unwrap()).unwrap();
        assert_eq!(b["priority"], "normal");
    }
    // The other rules did nothing anywhere.
    for e in audit(&app, "sla.crossing_announced").await {
        for x in after(&e)["escalations"].as_array().unwrap() {
            assert_eq!(x["rule_id"].as_i64(), Some(rule_id), "{x}");
        }
    }
    assert_ne!(vip_rule["id"], resolution_rule["id"]);
    // The SLA events and figures follow the change as for a person's edit.
    let explained = ok(
        &app,
        &manager.token,
        "GET",
        &format!("/api/v1/sla/conversations/{late}"),
        Value::Null,
    )
    .await;
    assert_eq!(explained["live"]["state"], "breached", "{explained}");

    // A second pass announces nothing, tells nobody and escalates nothing.
    let announced = audit(&app, "sla.crossing_announced").await.len();
    assert_eq!(announced, 4);
    assert!(hearken::sla::watch::tick(&app.state)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(notes_about(&app, &agent, late).await.len(), 1);
    assert_eq!(notes_about(&app, &senior, late).await.len(), 1);
    assert_eq!(audit(&app, "sla.escalation_applied").await.len(), 2);

    // Even when the announced state is lost, the same crossing is not announced again.
    raw_exec(&app, "UPDATE sla_conversations SET notified_state = NULL").await;
    let again = hearken::sla::watch::tick(&app.state).await.unwrap();
    assert!(again.is_empty(), "{again:?}");
    assert_eq!(notes_about(&app, &lead, late).await.len(), 1);
    assert_eq!(audit(&app, "sla.escalation_applied").await.len(), 2);
    assert_eq!(audit(&app, "sla.crossing_announced").await.len(), announced);

    // The audit chain still verifies.
    let admin = app.user("admin").await;
    let (s, v) = app
        .api(&admin.token, "GET", "/api/v1/audit/verify", None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["intact"], true, "{v}");
}

#[tokio::test]
async fn warning_rules_and_priority_never_lowered() {
    let app = TestApp::new().await;
    let manager = app.user("manager").await;
    policies(&app, &manager).await;
    let team = ok(
        &app,
        &manager.token,
        "POST",
        "/api/v1/teams",
        json!({"name": "Tier 2"}),
    )
    .await;
    let team_id = team["id"].as_i64().unwrap();
    let agent = app.user_in(app.ws, "agent", "ana@acme.test").await;

    let warn = conversation(&app, "warn", 50).await;
    ok(
        &app,
        &manager.token,
        "PATCH",
        &format!("/api/v1/conversations/{warn}"),
        json!({"assignee": agent.id.to_string(), "priority": "urgent"}),
    )
    .await;
    ok(
        &app,
        &manager.token,
        "POST",
        "/api/v1/sla/escalation-rules",
        json!({"name": "Early", "metric": "any", "on_warning": true,
               "assign_team_id": team_id, "raise_priority": "high"}),
    )
    .await;
    hearken::sla::watch::tick(&app.state).await.unwrap();
    // Moved to the team's queue (unassigned), and urgent stays urgent.
    let c = app
        .store()
        .conversation(app.ws, warn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (c.team_id, c.assignee_id, c.priority.as_str()),
        (Some(team_id), None, "urgent")
    );
    // The previous assignee heard of it; the team has no lead.
    let n = notes_about(&app, &agent, warn).await;
    assert_eq!(n.len(), 1);
    assert!(n[0]["message"]
        .as_str()
        .unwrap()
        .contains(&format!("moved to team {team_id}")));
}

async fn other_workspace_user(app: &TestApp) -> TestUser {
    let ws = WorkspaceId(
        app.store()
            .create_workspace("other", "Other")
            .await
            .unwrap()
            .id,
    );
    app.user_in(ws, "agent", "stranger@other.test").await
}

#[tokio::test]
async fn rules_and_leads_are_for_managers_and_checked() {
    let app = TestApp::new().await;
    let manager = app.user("manager").await;
    let admin = app.user("admin").await;
    let agent = app.user("agent").await;
    let stranger = other_workspace_user(&app).await;
    policies(&app, &manager).await;
    let team = ok(
        &app,
        &manager.token,
        "POST",
        "/api/v1/teams",
        json!({"name": "Care"}),
    )
    .await;
    let team_id = team["id"].as_i64().unwrap();
    let good = json!({"name": "Late", "metric": "first_response", "raise_priority": "high"});

    // Agents are refused, with the standard JSON error.
    for (method, path, body) in [
        (
            "POST",
            "/api/v1/sla/escalation-rules".to_owned(),
            Some(good.clone()),
        ),
        ("GET", "/api/v1/sla/escalation-rules".to_owned(), None),
        (
            "PATCH",
            format!("/api/v1/teams/{team_id}"),
            Some(json!({"lead_user_id": agent.id})),
        ),
    ] {
        let (s, b) = app.api(&agent.token, method, &path, body).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{method} {path}: {b}");
        assert_eq!(b["error"]["code"], "forbidden", "{b}");
    }

    // Bad input: JSON errors, never a 500.
    let cross_ws_user = json!({"name": "x", "metric": "any", "assign_user_id": stranger.id});
    for bad in [
        json!({"name": "x", "metric": "speed", "raise_priority": "high"}),
        json!({"name": "x", "metric": "any"}),
        json!({"name": "", "metric": "any", "raise_priority": "high"}),
        json!({"name": "x", "metric": "any", "raise_priority": "asap"}),
        json!({"name": "x", "metric": "any", "raise_priority": "high", "colour": "red"}),
        json!({"name": "x", "metric": "any", "policy_key": "gold", "raise_priority": "high"}),
        json!({"name": "x", "metric": "any", "assign_team_id": 999_999}),
        json!({"metric": "any", "raise_priority": "high"}),
        json!({"name": "x", "metric": 5, "raise_priority": "high"}),
        json!([1, 2]),
        cross_ws_user,
    ] {
        let (s, b) = app
            .api(
                &manager.token,
                "POST",
                "/api/v1/sla/escalation-rules",
                Some(bad.clone()),
            )
            .await;
        assert!(
            s == StatusCode::BAD_REQUEST || s == StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {s} {b}"
        );
        assert_eq!(b["error"]["code"], "invalid", "{bad}: {b}");
    }
    let (s, b) = app
        .api(&manager.token, "GET", "/api/v1/sla/escalation-rules", None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b.as_array().unwrap().len(), 0, "nothing bad was saved: {b}");

    // Create, read, replace (version 2), delete: each audited.
    let rule = ok(
        &app,
        &admin.token,
        "POST",
        "/api/v1/sla/escalation-rules",
        good.clone(),
    )
    .await;
    let id = rule["id"].as_i64().unwrap();
    let path = format!("/api/v1/sla/escalation-rules/{id}");
    let got = ok(&app, &manager.token, "GET", &path, Value::Null).await;
    assert_eq!(got, rule);
    let changed = ok(
        &app,
        &manager.token,
        "PUT",
        &path,
        json!({"name": "Later", "metric": "resolution", "raise_priority": "urgent",
               "enabled": false}),
    )
    .await;
    assert_eq!(
        (
            changed["version"].as_i64(),
            changed["metric"].as_str(),
            changed["enabled"].as_bool()
        ),
        (Some(2), Some("resolution"), Some(false))
    );
    let (s, b) = app
        .api(
            &manager.token,
            "PUT",
            &path,
            Some(json!({"name": "x", "metric": "nope", "raise_priority": "high"})),
        )
        .await;
    assert_eq!(
        (s, &b["error"]["code"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("invalid"))
    );
    let (s, _) = app.api(&manager.token, "DELETE", &path, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    for method in ["GET", "DELETE"] {
        let (s, b) = app.api(&manager.token, method, &path, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{method}");
        assert_eq!(b["error"]["code"], "not_found");
    }
    let (s, _) = app
        .api(&manager.token, "PUT", &path, Some(good.clone()))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    for action in [
        "sla.escalation_rule_created",
        "sla.escalation_rule_updated",
        "sla.escalation_rule_deleted",
    ] {
        let rows = audit(&app, action).await;
        assert_eq!(rows.len(), 1, "{action}");
        assert_eq!(rows[0].subject, format!("sla_escalation_rule:{id}"));
    }
    let (_, listed) = app
        .api(&manager.token, "GET", "/api/v1/sla/escalation-rules", None)
        .await;
    assert_eq!(listed, json!([]));

    // Team leads: a user of this workspace, or null; checked.
    let team_path = format!("/api/v1/teams/{team_id}");
    for (bad, want) in [
        (
            json!({"lead_user_id": stranger.id}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (json!({}), StatusCode::UNPROCESSABLE_ENTITY),
        (
            json!({"lead_user_id": "me"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (json!({"lead": 1}), StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let (s, b) = app
            .api(&manager.token, "PATCH", &team_path, Some(bad.clone()))
            .await;
        assert_eq!(s, want, "{bad}: {b}");
        assert_eq!(b["error"]["code"], "invalid", "{bad}: {b}");
    }
    let (s, b) = app
        .api(
            &manager.token,
            "PATCH",
            "/api/v1/teams/999999",
            Some(json!({"lead_user_id": agent.id})),
        )
        .await;
    assert_eq!(
        (s, &b["error"]["code"]),
        (StatusCode::NOT_FOUND, &json!("not_found"))
    );
    let set = ok(
        &app,
        &admin.token,
        "PATCH",
        &team_path,
        json!({"lead_user_id": agent.id}),
    )
    .await;
    assert_eq!(set["lead_user_id"].as_i64(), Some(agent.id));
    let cleared = ok(
        &app,
        &manager.token,
        "PATCH",
        &team_path,
        json!({"lead_user_id": null}),
    )
    .await;
    assert!(cleared["lead_user_id"].is_null());
    let rows = audit(&app, "team.lead_set").await;
    assert_eq!(rows.len(), 2, "only the accepted changes are audited");

    // The OpenAPI document names the new routes.
    let (_, doc) = app
        .api(&agent.token, "GET", "/api/v1/openapi.json", None)
        .await;
    let paths = &doc["paths"];
    assert!(paths["/api/v1/sla/escalation-rules"]["post"].is_object());
    assert!(paths["/api/v1/sla/escalation-rules/{id}"]["put"].is_object());
    assert!(paths["/api/v1/sla/escalation-rules/{id}"]["delete"].is_object());
    assert!(paths["/api/v1/teams/{id}"]["patch"].is_object());
}
