//! Every route, walked with every role: what the role may do is allowed, the rest refused
//! with 403, and nobody unauthenticated gets in. Also: one workspace cannot read another's.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::TestApp;
use hearken::domain::role::{Permission, Role};

/// (method, path, body, permission needed). `{c}` is a conversation id, `{u}` a user id.
const ROUTES: &[(&str, &str, &str, Permission)] = &[
    (
        "GET",
        "/api/v1/conversations",
        "",
        Permission::ReadConversations,
    ),
    (
        "GET",
        "/api/v1/conversations/{c}",
        "",
        Permission::ReadConversations,
    ),
    (
        "PATCH",
        "/api/v1/conversations/{c}",
        r#"{"priority":"high"}"#,
        Permission::WorkConversations,
    ),
    (
        "POST",
        "/api/v1/conversations/{c}/replies",
        r#"{"text":"hello"}"#,
        Permission::WorkConversations,
    ),
    (
        "POST",
        "/api/v1/conversations/{c}/tags",
        r#"{"tag":"t"}"#,
        Permission::WorkConversations,
    ),
    (
        "DELETE",
        "/api/v1/conversations/{c}/tags/t",
        "",
        Permission::WorkConversations,
    ),
    (
        "POST",
        "/api/v1/conversations/{c}/notes",
        r#"{"body":"n"}"#,
        Permission::WorkConversations,
    ),
    ("GET", "/api/v1/dashboard", "", Permission::ViewDashboard),
    ("GET", "/api/v1/audit", "", Permission::ReadAudit),
    ("GET", "/api/v1/users", "", Permission::ManageUsers),
    (
        "POST",
        "/api/v1/users",
        r#"{"name":"N","email":"new@acme.test","role":"agent","password":"long enough pw"}"#,
        Permission::ManageUsers,
    ),
    (
        "PATCH",
        "/api/v1/users/{u}",
        r#"{"role":"agent"}"#,
        Permission::ManageUsers,
    ),
    (
        "POST",
        "/api/v1/users/{u}/tokens",
        r#"{"name":"t"}"#,
        Permission::ManageUsers,
    ),
    ("GET", "/api/v1/accounts", "", Permission::ReadConversations),
    ("GET", "/api/v1/teams", "", Permission::ReadConversations),
    (
        "POST",
        "/api/v1/teams",
        r#"{"name":"Care {role}"}"#,
        Permission::ManageBrandVoice,
    ),
    (
        "GET",
        "/api/v1/sla/escalation-rules",
        "",
        Permission::ManageSla,
    ),
    ("POST", "/api/v1/import", "", Permission::MoveData),
    ("GET", "/api/v1/export", "", Permission::MoveData),
    (
        "GET",
        "/api/v1/sandbox/outbox",
        "",
        Permission::ReadConversations,
    ),
    ("GET", "/inbox", "", Permission::ReadConversations),
    (
        "GET",
        "/conversations/{c}",
        "",
        Permission::ReadConversations,
    ),
    ("GET", "/dashboard", "", Permission::ViewDashboard),
    ("GET", "/dashboard/panel", "", Permission::ViewDashboard),
    ("GET", "/audit", "", Permission::ReadAudit),
    ("GET", "/admin/users", "", Permission::ManageUsers),
];

async fn seeded() -> (TestApp, i64) {
    let app = TestApp::new().await;
    let line = r#"{"conversation_id":"k1","channel":"sandbox","account":"acme","platform_id":"p1","direction":"in","visibility":"public","customer":{"platform_user_id":"9","handle":"cust"},"text":"help","created_at":"2024-06-10T10:00:00Z"}"#;
    let rows = hearken::import::parse(hearken::import::Format::Ndjson, line.as_bytes());
    let actor = hearken::domain::Actor::System("test");
    hearken::import::run(
        app.store(),
        app.ws,
        &actor,
        rows,
        &hearken::import::progress::Progress::hidden(),
    )
    .await
    .unwrap();
    let c = app
        .store()
        .inbox(app.ws, &Default::default(), 1)
        .await
        .unwrap()[0]
        .id;
    (app, c)
}

fn request(method: &str, path: &str, body: &str, token: Option<&str>) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    if !body.is_empty() {
        b = b.header(header::CONTENT_TYPE, "application/json");
    }
    b.body(Body::from(body.to_owned())).unwrap()
}

#[tokio::test]
async fn every_route_with_every_role() {
    let (app, c) = seeded().await;
    let target = app.user("agent").await; // the user PATCHed and given tokens
    for role in Role::ALL {
        let who = app
            .user_in(
                app.ws,
                role.as_str(),
                &format!("walker-{}@acme.test", role.as_str()),
            )
            .await;
        for (method, path, body, needed) in ROUTES {
            let path = path
                .replace("{c}", &c.to_string())
                .replace("{u}", &target.id.to_string());
            let body = body
                .replace("new@", &format!("new-{}@", role.as_str()))
                .replace("{role}", role.as_str());
            let (status, _, _) = app
                .send(request(method, &path, &body, Some(&who.token)))
                .await;
            if role.can(*needed) {
                assert!(
                    status.is_success() || status.is_redirection(),
                    "{role} should be allowed {method} {path}, got {status}"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{role} must be refused {method} {path}"
                );
            }
        }
    }
}

#[tokio::test]
async fn nobody_unauthenticated_gets_in() {
    let (app, c) = seeded().await;
    for (method, path, body, _) in ROUTES {
        let path = path.replace("{c}", &c.to_string()).replace("{u}", "1");
        let (status, headers, _) = app.send(request(method, &path, body, None)).await;
        if path.starts_with("/api/") {
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
        } else if *method == "GET" {
            assert_eq!(status, StatusCode::SEE_OTHER, "{method} {path}");
            assert_eq!(headers[header::LOCATION], "/login");
        }
    }
    let (status, _) = app
        .api("hk_not_a_real_token", "GET", "/api/v1/conversations", None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_agent_token_is_refused_on_admin_routes() {
    let (app, _) = seeded().await;
    let agent = app.user("agent").await;
    let (status, body) = app.api(&agent.token, "GET", "/api/v1/users", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "forbidden");
    let (status, _) = app.api(&agent.token, "POST", "/api/v1/users", Some(serde_json::json!({"name":"x","email":"x@acme.test","role":"admin","password":"long enough pw"}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn one_workspace_cannot_read_anothers_conversation_by_id() {
    let (app, c) = seeded().await;
    let other_ws = hearken::domain::WorkspaceId(
        app.store()
            .create_workspace("other", "Other")
            .await
            .unwrap()
            .id,
    );
    let outsider = app.user_in(other_ws, "admin", "admin@other.test").await;
    for (method, path, body) in [
        ("GET", format!("/api/v1/conversations/{c}"), None),
        (
            "PATCH",
            format!("/api/v1/conversations/{c}"),
            Some(serde_json::json!({"status":"closed"})),
        ),
        (
            "POST",
            format!("/api/v1/conversations/{c}/replies"),
            Some(serde_json::json!({"text":"x"})),
        ),
        (
            "POST",
            format!("/api/v1/conversations/{c}/notes"),
            Some(serde_json::json!({"body":"x"})),
        ),
        (
            "POST",
            format!("/api/v1/conversations/{c}/tags"),
            Some(serde_json::json!({"tag":"x"})),
        ),
    ] {
        let (status, _) = app.api(&outsider.token, method, &path, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}");
    }
    let (_, list) = app
        .api(&outsider.token, "GET", "/api/v1/conversations", None)
        .await;
    assert_eq!(list["conversations"].as_array().unwrap().len(), 0);
    // The conversation is untouched.
    let conv = app.store().conversation(app.ws, c).await.unwrap().unwrap();
    assert_eq!((conv.status.as_str(), conv.message_count), ("new", 1));
}
