//! Helpers shared by the channel tests: an app with an installation key, connecting
//! accounts through the API, and signed webhook posts.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use hearken::app::AppState;
use hearken::config::Settings;
use hearken::domain::WorkspaceId;
use hearken_connectors::signature;
use secrecy::SecretString;
use serde_json::json;

use crate::common::{self, TestApp, TestUser};

pub const SECRET: &str = "test-app-secret-0123456789";
pub const KEY: &str = "test installation key";

pub async fn app() -> TestApp {
    let db = common::db().await;
    let ws = WorkspaceId(db.store.create_workspace("acme", "Acme").await.unwrap().id);
    let settings = Settings {
        secret_key: Some(SecretString::from(KEY.to_owned())),
        ..Settings::default()
    };
    let state = AppState::new(db.store.clone(), settings);
    let router = hearken::http::router::router(state.clone());
    TestApp {
        db,
        state,
        router,
        ws,
    }
}

/// Connects an account through the API and returns its id.
pub async fn connect(
    app: &TestApp,
    admin: &TestUser,
    channel: &str,
    handle: &str,
    brand: &str,
    app_id: Option<&str>,
) -> i64 {
    let (status, v) = app
        .api(
            &admin.token,
            "POST",
            "/api/v1/channels/accounts",
            Some(json!({
                "channel": channel, "handle": handle, "platform_user_id": brand,
                "app_id": app_id, "app_secret": SECRET, "verify_token": "verify-me-please",
                "access_token": "access-token-abcdef123456",
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    v["account_id"].as_i64().unwrap()
}

pub fn sign(channel: &str, body: &[u8]) -> (&'static str, String) {
    match channel {
        "x" => (
            "x-twitter-webhooks-signature",
            signature::x_signature(SECRET, body),
        ),
        "mastodon" => (
            "x-hub-signature",
            signature::meta_signature_256(SECRET, body),
        ),
        _ => (
            "x-hub-signature-256",
            signature::meta_signature_256(SECRET, body),
        ),
    }
}

pub async fn post_raw(
    app: &TestApp,
    channel: &str,
    account: i64,
    body: &[u8],
    header: Option<(&str, String)>,
) -> StatusCode {
    let mut b = Request::builder()
        .method("POST")
        .uri(format!("/hooks/{channel}/{account}"))
        .header("content-type", "application/json");
    if let Some((name, value)) = header {
        b = b.header(name, value);
    }
    app.send(b.body(Body::from(body.to_vec())).unwrap()).await.0
}

pub async fn post(app: &TestApp, channel: &str, account: i64, body: &[u8]) -> StatusCode {
    let h = sign(channel, body);
    post_raw(app, channel, account, body, Some((h.0, h.1))).await
}

pub fn payload(rel: &str) -> Vec<u8> {
    std::fs::read(common::shared_data().join("payloads").join(rel)).unwrap()
}
