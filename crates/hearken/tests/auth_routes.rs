//! Every route, walked with every role: what the role may do succeeds with the status
//! the route promises, the rest is refused with 403, and nobody unauthenticated gets in.
//! The table (`auth_support/routes.rs`) is checked against the router's source and the
//! OpenAPI document, so a new route without an entry fails here. Also: one workspace
//! cannot read another's conversation.

mod auth_support;
mod common;

use std::collections::BTreeSet;

use auth_support::routes::{PUBLIC, ROUTES};
use auth_support::{declared_routes, seed, send, shape, Seeded};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::TestApp;
use hearken::domain::role::Role;

/// Walks every route as a user of `role`; collects every wrong answer before failing.
async fn walk(role: Role) {
    let s = seed(role).await;
    let mut wrong = Vec::new();
    for case in ROUTES {
        let req = s.request(case, Some(&s.walker.token));
        let (status, headers, body) = send(&s.app, req).await;
        let text = String::from_utf8_lossy(&body);
        let what = format!("{role} {} {}", case.method, s.path(case));
        if case.need.allows(role) {
            if status.as_u16() != case.ok {
                wrong.push(format!(
                    "{what}: allowed, expected {} but got {status}: {text}",
                    case.ok
                ));
            }
            continue;
        }
        if status != StatusCode::FORBIDDEN {
            wrong.push(format!("{what}: must be refused, got {status}: {text}"));
            continue;
        }
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if case.is_api() {
            let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            if json["error"]["code"] != "forbidden" {
                wrong.push(format!("{what}: refused without code forbidden: {text}"));
            }
        } else if !content_type.starts_with("text/html") {
            wrong.push(format!("{what}: the refusal is not a page: {content_type}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong answers:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[tokio::test]
async fn every_route_as_admin() {
    walk(Role::Admin).await;
}

#[tokio::test]
async fn every_route_as_manager() {
    walk(Role::Manager).await;
}

#[tokio::test]
async fn every_route_as_agent() {
    walk(Role::Agent).await;
}

#[tokio::test]
async fn every_route_as_approver() {
    walk(Role::Approver).await;
}

#[tokio::test]
async fn every_route_as_auditor() {
    walk(Role::Auditor).await;
}

/// The table refuses someone for every route but those open to anyone signed in, and
/// every role is refused somewhere except the admin: a table that allowed everything
/// would prove nothing.
#[test]
fn the_table_refuses_someone() {
    for role in Role::ALL {
        let refused = ROUTES.iter().filter(|c| !c.need.allows(role)).count();
        if role == Role::Admin {
            assert_eq!(refused, 0, "the admin may do everything");
        } else {
            assert!(refused > 0, "{role} is refused nothing");
        }
    }
}

#[tokio::test]
async fn nobody_unauthenticated_gets_in() {
    let s = seed(Role::Agent).await;
    let mut wrong = Vec::new();
    for case in ROUTES {
        let (status, headers, body) = send(&s.app, s.request(case, None)).await;
        let what = format!("{} {}", case.method, s.path(case));
        let location = headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        // Signing out without a session, like every API call, is a JSON 401; the pages
        // send the visitor to sign in.
        let api_like = case.is_api() || case.route == "/logout";
        if api_like {
            let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            if status != StatusCode::UNAUTHORIZED || json["error"]["code"] != "unauthorized" {
                wrong.push(format!("{what}: expected 401 unauthorized, got {status}"));
            }
        } else if status != StatusCode::SEE_OTHER || location != "/login" {
            wrong.push(format!(
                "{what}: expected a redirect to /login, got {status} to {location:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let (status, _) = s
        .app
        .api("hk_not_a_real_token", "GET", "/api/v1/conversations", None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// The public routes answer without a session, each as its own rules say.
#[tokio::test]
async fn public_routes_answer_without_a_session() {
    let s = seed(Role::Agent).await;
    let app = &s.app;
    let get = |uri: &str| Request::get(uri).body(Body::empty()).unwrap();

    let (status, _, body) = send(app, get("/api/v1/openapi.json")).await;
    assert_eq!(status, StatusCode::OK);
    let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert!(doc["paths"].is_object());

    let (status, headers, _) = send(app, get("/")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/inbox");

    let (status, headers, _) = send(app, get("/login")).await;
    assert_eq!(status, StatusCode::OK);
    let cookie = headers[header::SET_COOKIE].to_str().unwrap();
    let csrf = cookie
        .split(';')
        .next()
        .unwrap()
        .strip_prefix("hearken_csrf=")
        .expect("the login CSRF cookie")
        .to_owned();
    let login = |form: String, with_cookie: bool| {
        let mut b = Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if with_cookie {
            b = b.header(header::COOKIE, format!("hearken_csrf={csrf}"));
        }
        b.body(Body::from(form)).unwrap()
    };
    let wrong = format!("csrf={csrf}&email=walker%40acme.test&password=wrong");
    let (status, _, _) = send(app, login(wrong.clone(), false)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no CSRF cookie, no login");
    let (status, _, _) = send(app, login(wrong, true)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a wrong password");
    let right = format!(
        "csrf={csrf}&email=walker%40acme.test&password={}",
        common::PASSWORD.replace(' ', "+")
    );
    let (status, headers, _) = send(app, login(right, true)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/inbox");

    // Webhooks answer by the account's secret, not by a session: an unknown account is
    // not found, and a delivery without a signature is refused by the hook itself.
    let masto = s.value("mastodon");
    let (status, _, _) = send(app, get("/hooks/x/999999?crc_token=abc")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let unsigned = Request::post(format!("/hooks/mastodon/{masto}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .unwrap();
    let (status, _, body) = send(app, unsigned).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(String::from_utf8_lossy(&body), "signature missing");

    for uri in ["/static/app.css", "/static/app.js", "/healthz"] {
        let (status, _, _) = send(app, get(uri)).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
    }
}

fn table() -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for c in ROUTES {
        assert!(
            out.insert(shape(c.method, c.route)),
            "{} {} is in the table twice",
            c.method,
            c.route
        );
    }
    for (m, p, _) in PUBLIC {
        assert!(out.insert(shape(m, p)), "{m} {p} is in the table twice");
    }
    out
}

/// Every route the router declares is walked or listed as public, and the table names
/// no route the router lacks.
#[test]
fn the_table_covers_every_route_of_the_router() {
    let declared = declared_routes(include_str!("../src/http/router.rs"));
    assert!(declared.len() > 100, "the parser found {}", declared.len());
    let table = table();
    let missing: Vec<_> = declared.difference(&table).collect();
    let stale: Vec<_> = table.difference(&declared).collect();
    assert!(
        missing.is_empty(),
        "routes without a walk entry: {missing:?}"
    );
    assert!(stale.is_empty(), "walk entries the router lacks: {stale:?}");
}

/// Every operation of the OpenAPI document is walked, and every API route is described.
#[tokio::test]
async fn the_table_covers_every_operation_of_the_openapi_document() {
    let app = TestApp::new().await;
    let (status, _, body) = send(
        &app,
        Request::get("/api/v1/openapi.json")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let mut documented = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                documented.insert(shape(method, path));
            }
        }
    }
    assert!(documented.len() > 80, "{} operations", documented.len());
    let table = table();
    let missing: Vec<_> = documented.difference(&table).collect();
    assert!(missing.is_empty(), "documented but not walked: {missing:?}");
    let undocumented: Vec<_> = table
        .iter()
        .filter(|(_, p)| p.starts_with("/api/") && p != "/api/v1/openapi.json")
        .filter(|k| !documented.contains(*k))
        .collect();
    assert!(
        undocumented.is_empty(),
        "API routes missing from the OpenAPI document: {undocumented:?}"
    );
}

#[tokio::test]
async fn an_agent_token_is_refused_on_admin_routes() {
    let app = TestApp::new().await;
    let agent = app.user("agent").await;
    let (status, body) = app.api(&agent.token, "GET", "/api/v1/users", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "forbidden");
    let (status, _) = app.api(&agent.token, "POST", "/api/v1/users", Some(serde_json::json!({"name":"x","email":"x@acme.test","role":"admin","password":"long enough pw"}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn one_workspace_cannot_read_anothers_conversation_by_id() {
    let s: Seeded = seed(Role::Agent).await;
    let app = &s.app;
    let c: i64 = s.value("conv").parse().unwrap();
    let before = app.store().conversation(app.ws, c).await.unwrap().unwrap();
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
        (
            "POST",
            format!("/api/v1/conversations/{c}/presence"),
            Some(serde_json::json!({"writing":true})),
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
    let after = app.store().conversation(app.ws, c).await.unwrap().unwrap();
    assert_eq!(
        (after.status, after.message_count, after.priority),
        (before.status, before.message_count, before.priority)
    );
}
