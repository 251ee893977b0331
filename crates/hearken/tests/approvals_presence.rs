//! Presence (issue #4, collision): the conversation page's heartbeat says who else has the
//! conversation open and who is writing, through the real router on both backends. The
//! heartbeats live in the store, so two server instances over one database see each other.

mod common;

use axum::http::StatusCode;
use common::{TestApp, TestUser};
use hearken::auth::secret::{new_api_token, token_hash};
use hearken::auth::users::{self, NewUserRequest};
use hearken::domain::channel::{Channel, Visibility};
use hearken::domain::message::{AuthorRef, Direction, IncomingMessage};
use hearken::domain::time::now_millis;
use hearken::domain::{Actor, WorkspaceId};
use serde_json::{json, Value};

/// A user with a chosen display name and an API token.
async fn named(app: &TestApp, ws: WorkspaceId, role: &str, name: &str) -> TestUser {
    let email = format!("{}@{}.test", name.to_lowercase(), ws.0);
    let req = NewUserRequest {
        name: name.into(),
        email: email.clone(),
        role: role.into(),
        password: common::PASSWORD.into(),
    };
    let u = users::create(app.store(), ws, &req, &Actor::System("test"))
        .await
        .unwrap();
    let token = new_api_token();
    app.store()
        .create_token(
            ws,
            u.id,
            "test",
            &token_hash(&token),
            &Actor::System("test"),
        )
        .await
        .unwrap();
    TestUser {
        id: u.id,
        email,
        password: common::PASSWORD.into(),
        token,
    }
}

/// A customer message in `ws`; returns its conversation.
async fn conversation(app: &TestApp, ws: WorkspaceId, pid: &str) -> i64 {
    let msg = IncomingMessage {
        channel: Channel::Sandbox,
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
        text: "Where is my order?".into(),
        platform_time: now_millis(),
        conversation_key: None,
        conversation_attrs: None,
        earlier_versions: Vec::new(),
        deleted_at: None,
    };
    let report = app
        .store()
        .ingest(ws, &Actor::System("test"), &[msg])
        .await
        .unwrap();
    report.touched_conversations[0]
}

async fn beat(app: &TestApp, who: &TestUser, conv: i64, writing: bool) -> (StatusCode, Value) {
    app.api(
        &who.token,
        "POST",
        &format!("/api/v1/conversations/{conv}/presence"),
        Some(json!({ "writing": writing })),
    )
    .await
}

/// The others a heartbeat reports, as (name, writing), in the order given.
fn others(body: &Value) -> Vec<(String, bool)> {
    body["others"]
        .as_array()
        .unwrap_or_else(|| panic!("no others in {body}"))
        .iter()
        .map(|o| {
            (
                o["name"].as_str().unwrap().to_owned(),
                o["writing"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn two_users_see_each_other_and_who_is_writing() {
    let app = TestApp::new().await;
    let ana = named(&app, app.ws, "agent", "Ana").await;
    let bo = named(&app, app.ws, "agent", "Bo").await;
    let auditor = named(&app, app.ws, "auditor", "Cleo").await;
    let conv = conversation(&app, app.ws, "p1").await;
    let elsewhere = conversation(&app, app.ws, "p2").await;

    // Alone on the page: nobody else.
    let (status, body) = beat(&app, &ana, conv, false).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(others(&body), vec![]);
    assert_eq!(body["window_seconds"], 30);

    // Bo opens it and starts typing: he sees Ana viewing, never himself.
    let (status, body) = beat(&app, &bo, conv, true).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(others(&body), vec![("Ana".to_owned(), false)]);
    assert_eq!(body["others"][0]["user_id"], ana.id);

    // Ana's next beat shows Bo writing.
    let (_, body) = beat(&app, &ana, conv, false).await;
    assert_eq!(others(&body), vec![("Bo".to_owned(), true)]);

    // An auditor reading the conversation sees both, by name; the caller never appears.
    let (status, body) = beat(&app, &auditor, conv, false).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        others(&body),
        vec![("Ana".to_owned(), false), ("Bo".to_owned(), true)]
    );

    // Bo stops typing: the flag follows his latest beat.
    beat(&app, &bo, conv, false).await;
    let (_, body) = beat(&app, &ana, conv, false).await;
    assert_eq!(
        others(&body),
        vec![("Bo".to_owned(), false), ("Cleo".to_owned(), false)]
    );

    // Presence is per conversation.
    let (_, body) = beat(&app, &ana, elsewhere, false).await;
    assert_eq!(others(&body), vec![]);
}

#[tokio::test]
async fn stale_heartbeats_are_ignored_and_pruned() {
    let app = TestApp::new().await;
    let ana = named(&app, app.ws, "agent", "Ana").await;
    let bo = named(&app, app.ws, "agent", "Bo").await;
    let dee = named(&app, app.ws, "agent", "Dee").await;
    let conv = conversation(&app, app.ws, "p3").await;
    let now = now_millis();
    let window = 30_000;

    // Bo was last heard from 45 s ago (writing), Dee 10 s ago: written as another server
    // instance would have written them.
    app.store()
        .presence_heartbeat(
            app.ws,
            conv,
            dee.id,
            false,
            now - 10_000,
            now - 10_000 - window,
        )
        .await
        .unwrap();
    app.store()
        .presence_heartbeat(
            app.ws,
            conv,
            bo.id,
            true,
            now - 45_000,
            now - 45_000 - window,
        )
        .await
        .unwrap();

    let (status, body) = beat(&app, &ana, conv, false).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(others(&body), vec![("Dee".to_owned(), false)]);

    // Ana's beat pruned Bo's row: even a reader that accepts any age finds only Ana and Dee.
    let everyone = app
        .store()
        .presence_heartbeat(app.ws, conv, bo.id, false, now, 0)
        .await
        .unwrap();
    let ids: Vec<i64> = everyone.iter().map(|r| r.user_id).collect();
    assert_eq!(ids, vec![ana.id, dee.id], "by name: Ana, then Dee");
}

#[tokio::test]
async fn presence_never_crosses_workspaces() {
    let app = TestApp::new().await;
    let ana = named(&app, app.ws, "agent", "Ana").await;
    let conv = conversation(&app, app.ws, "p4").await;
    let other = WorkspaceId(
        app.store()
            .create_workspace("other", "Other")
            .await
            .unwrap()
            .id,
    );
    let eve = named(&app, other, "admin", "Eve").await;
    let theirs = conversation(&app, other, "p5").await;

    // Another workspace's conversation does not exist for Eve, and her attempt leaves no
    // trace that Ana could see.
    let (status, body) = beat(&app, &eve, conv, true).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error"]["code"], "not_found");
    let (_, body) = beat(&app, &ana, conv, false).await;
    assert_eq!(others(&body), vec![]);

    // Nor does Ana's exist for Eve's workspace.
    let (status, _) = beat(&app, &ana, theirs, false).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Even a row stored under the wrong workspace (as a bug elsewhere might write it) is
    // not shown: every read filters on the caller's workspace.
    app.store()
        .presence_heartbeat(other, conv, eve.id, true, now_millis(), 0)
        .await
        .unwrap();
    let (_, body) = beat(&app, &ana, conv, false).await;
    assert_eq!(others(&body), vec![]);

    // Eve on her own conversation sees nobody from Ana's workspace.
    let (status, body) = beat(&app, &eve, theirs, false).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(others(&body), vec![]);
}
