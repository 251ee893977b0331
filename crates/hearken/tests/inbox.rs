//! The inbox and conversation pages and API: filters, keyset pagination, search, escaping,
//! the browser session with CSRF, and replies going out through the sandbox.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::TestApp;
use hearken::domain::Actor;
use hearken::import::{self, progress::Progress, Format};
use serde_json::json;

fn line(key: &str, id: &str, channel: &str, visibility: &str, text: &str, minute: u32) -> String {
    json!({
        "conversation_id": key, "channel": channel, "account": format!("{channel}-brand"),
        "platform_id": id, "direction": "in", "visibility": visibility,
        "customer": {"platform_user_id": format!("u-{key}"), "handle": format!("cust_{key}")},
        "text": text, "created_at": format!("2024-06-10T10:{:02}:{:02}Z", minute / 60, minute % 60),
    })
    .to_string()
}

async fn load(app: &TestApp, lines: &[String]) -> import::ImportSummary {
    let data = lines.join("\n");
    let rows = import::parse(Format::Ndjson, data.as_bytes());
    import::run(
        app.store(),
        app.ws,
        &Actor::System("test"),
        rows,
        &Progress::hidden(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn keyset_pages_walk_every_conversation_once_newest_first() {
    let app = TestApp::new().await;
    let lines: Vec<String> = (0..130)
        .map(|i| {
            let ch = if i % 3 == 0 { "sandbox" } else { "x" };
            // Several conversations share a time, so the id must break ties.
            line(
                &format!("k{i}"),
                &format!("p{i}"),
                ch,
                "public",
                "hi",
                i / 2,
            )
        })
        .collect();
    load(&app, &lines).await;
    let agent = app.user("agent").await;
    let mut seen = Vec::new();
    let mut url = "/api/v1/conversations?limit=50".to_owned();
    loop {
        let (status, body) = app.api(&agent.token, "GET", &url, None).await;
        assert_eq!(status, StatusCode::OK);
        for c in body["conversations"].as_array().unwrap() {
            seen.push((
                c["activity_at"].as_i64().unwrap(),
                c["id"].as_i64().unwrap(),
            ));
        }
        match body["next"].as_str() {
            Some(next) => url = format!("/api/v1/conversations?limit=50&after={next}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 130);
    let mut expected = seen.clone();
    expected.sort_by(|a, b| b.cmp(a));
    expected.dedup();
    assert_eq!(seen, expected, "strictly newest first, no repeats");

    let (_, sandbox) = app
        .api(
            &agent.token,
            "GET",
            "/api/v1/conversations?channel=sandbox&limit=200",
            None,
        )
        .await;
    assert_eq!(sandbox["conversations"].as_array().unwrap().len(), 44); // i % 3 == 0 for 0..130
    let (status, bad) = app
        .api(
            &agent.token,
            "GET",
            "/api/v1/conversations?channel=fax",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad["error"]["code"], "invalid");
    let (status, _) = app
        .api(
            &agent.token,
            "GET",
            "/api/v1/conversations?after=garbage",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn text_outside_the_basic_plane_round_trips_and_is_searchable() {
    let app = TestApp::new().await;
    let text = "Thanks 👍🏽 𠮷野家 🏴\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}";
    load(
        &app,
        &[
            line("k1", "p1", "x", "public", text, 1),
            line("k2", "p2", "x", "public", "other", 2),
        ],
    )
    .await;
    let agent = app.user("agent").await;
    let (_, found) = app
        .api(
            &agent.token,
            "GET",
            "/api/v1/conversations?q=%F0%A0%AE%B7%E9%87%8E%E5%AE%B6",
            None,
        )
        .await;
    let list = found["conversations"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    let id = list[0]["id"].as_i64().unwrap();
    let (_, conv) = app
        .api(
            &agent.token,
            "GET",
            &format!("/api/v1/conversations/{id}"),
            None,
        )
        .await;
    assert_eq!(
        conv["messages"][0]["text"].as_str().unwrap().as_bytes(),
        text.as_bytes()
    );
}

#[tokio::test]
async fn waiting_filter_and_status_changes_with_audit() {
    let app = TestApp::new().await;
    load(
        &app,
        &[
            line("k1", "p1", "x", "public", "a", 1),
            line("k2", "p2", "x", "public", "b", 2),
        ],
    )
    .await;
    let agent = app.user("agent").await;
    let (_, all) = app
        .api(
            &agent.token,
            "GET",
            "/api/v1/conversations?waiting=true",
            None,
        )
        .await;
    let convs = all["conversations"].as_array().unwrap();
    assert_eq!(convs.len(), 2);
    let id = convs[0]["id"].as_i64().unwrap();
    let (status, changed) = app
        .api(
            &agent.token,
            "PATCH",
            &format!("/api/v1/conversations/{id}"),
            Some(json!({"status":"resolved","assignee": agent.id.to_string()})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(changed["status"], "resolved");
    assert_eq!(changed["assignee_id"], agent.id);
    // An auditor reads and changes nothing, so is never an assignee.
    let auditor = app.user("auditor").await;
    let (status, out) = app
        .api(
            &agent.token,
            "PATCH",
            &format!("/api/v1/conversations/{id}"),
            Some(json!({"assignee": auditor.id.to_string()})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    let (status, out) = app
        .api(
            &agent.token,
            "GET",
            "/api/v1/conversations?waiting=maybe",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    let (status, out) = app
        .api(
            &agent.token,
            "POST",
            &format!("/api/v1/conversations/{id}/replies"),
            Some(json!({"text": "later", "send_at": "9999-12-31T23:59:59Z"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert!(
        out["error"]["message"]
            .as_str()
            .unwrap()
            .contains("send_at"),
        "{out}"
    );
    let (status, out) = app
        .api(
            &agent.token,
            "POST",
            &format!("/api/v1/conversations/{id}/replies"),
            Some(json!({"text": "then", "send_at": "1970-01-01T00:00:00Z"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    let (_, waiting) = app
        .api(
            &agent.token,
            "GET",
            "/api/v1/conversations?waiting=true",
            None,
        )
        .await;
    assert_eq!(
        waiting["conversations"].as_array().unwrap().len(),
        1,
        "resolved work is not waiting"
    );
    let (_, mine) = app
        .api(
            &agent.token,
            "GET",
            &format!("/api/v1/conversations?assignee={}", agent.id),
            None,
        )
        .await;
    assert_eq!(mine["conversations"][0]["id"], id);
    let (status, _) = app
        .api(
            &agent.token,
            "PATCH",
            &format!("/api/v1/conversations/{id}"),
            Some(json!({"status":"done"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let events = app
        .store()
        .audit_events(
            app.ws,
            &hearken::storage::AuditFilter {
                action: Some("conversation.changed".into()),
                ..Default::default()
            },
            10,
        )
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor, format!("user:{}", agent.id));
    assert!(events[0]
        .before_state
        .as_deref()
        .unwrap()
        .contains("\"status\":\"new\""));
    assert!(events[0]
        .after_state
        .as_deref()
        .unwrap()
        .contains("\"status\":\"resolved\""));
}

#[tokio::test]
async fn a_dm_is_answered_by_dm_and_a_post_publicly() {
    let app = TestApp::new().await;
    load(
        &app,
        &[
            line("dm", "p1", "sandbox", "private", "my order?", 1),
            line("pub", "p2", "sandbox", "public", "hello", 2),
        ],
    )
    .await;
    let agent = app.user("agent").await;
    let (_, list) = app
        .api(&agent.token, "GET", "/api/v1/conversations", None)
        .await;
    for c in list["conversations"].as_array().unwrap() {
        let id = c["id"].as_i64().unwrap();
        let (status, msg) = app
            .api(
                &agent.token,
                "POST",
                &format!("/api/v1/conversations/{id}/replies"),
                Some(json!({"text":"On it!"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(msg["visibility"], c["visibility"]);
    }
    let outbox = app.store().sandbox_outbox(app.ws).await.unwrap();
    let mut kinds: Vec<(String, Option<String>)> = outbox
        .iter()
        .map(|o| (o.kind.clone(), o.in_reply_to.clone()))
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            ("dm".to_owned(), Some("p1".to_owned())),
            ("public".to_owned(), Some("p2".to_owned()))
        ]
    );
    let (status, _) = app
        .api(
            &agent.token,
            "POST",
            "/api/v1/conversations/1/replies",
            Some(json!({"text":"   "})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// A browser: keeps cookies between requests.
struct Browser<'a> {
    app: &'a TestApp,
    cookies: Vec<(String, String)>,
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Self {
        Browser {
            app,
            cookies: Vec::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn go(
        &mut self,
        method: &str,
        path: &str,
        form: Option<&[(&str, &str)]>,
    ) -> (StatusCode, axum::http::HeaderMap, String) {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header(header::COOKIE, self.cookie_header());
        let body = match form {
            Some(f) => {
                b = b.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Body::from(serde_urlencoded::to_string(f).unwrap())
            }
            None => Body::empty(),
        };
        let (status, headers, bytes) = self.app.send(b.body(body).unwrap()).await;
        for v in headers.get_all(header::SET_COOKIE) {
            let first = v.to_str().unwrap().split(';').next().unwrap();
            let (k, val) = first.split_once('=').unwrap();
            self.cookies.retain(|(name, _)| name != k);
            if !val.is_empty() {
                self.cookies.push((k.to_owned(), val.to_owned()));
            }
        }
        (status, headers, String::from_utf8(bytes).unwrap())
    }
}

fn hidden_csrf(html: &str) -> String {
    let at =
        html.find("name=\"csrf\" value=\"").expect("csrf field") + "name=\"csrf\" value=\"".len();
    html[at..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn the_browser_flow_escapes_hostile_text_and_guards_forms() {
    let app = TestApp::new().await;
    let hostile = "<script>alert(1)</script> \"><img src=x onerror=alert(2)>";
    load(&app, &[line("k1", "p1", "sandbox", "public", hostile, 1)]).await;
    let agent = app.user("agent").await;
    let mut b = Browser::new(&app);

    let (_, _, login) = b.go("GET", "/login", None).await;
    let csrf = hidden_csrf(&login);
    let (status, _, _) = b
        .go(
            "POST",
            "/login",
            Some(&[
                ("csrf", "wrong"),
                ("email", &agent.email),
                ("password", &agent.password),
            ]),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "login form without its CSRF token is refused"
    );
    let (status, headers, _) = b
        .go(
            "POST",
            "/login",
            Some(&[
                ("csrf", &csrf),
                ("email", &agent.email),
                ("password", &agent.password),
            ]),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/inbox");
    let session = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("hearken_session="))
        .unwrap();
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict"));

    let (status, _, inbox) = b.go("GET", "/inbox", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!inbox.contains("<script>alert(1)") && !inbox.contains("<img src=x"));
    assert!(
        inbox.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;")
            || inbox.contains("&lt;script&gt;")
    );
    let id = app
        .store()
        .inbox(app.ws, &Default::default(), 1)
        .await
        .unwrap()[0]
        .id;
    let (_, _, page) = b.go("GET", &format!("/conversations/{id}"), None).await;
    assert!(!page.contains("<script>alert(1)") && !page.contains("<img src=x"));
    let csrf = hidden_csrf(&page);

    let path = format!("/conversations/{id}/reply");
    let (status, _, _) = b.go("POST", &path, Some(&[("text", "no token")])).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a form without the session's CSRF token is refused"
    );
    let (status, _, _) = b
        .go(
            "POST",
            &path,
            Some(&[("csrf", &csrf), ("text", "We are on it")]),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = b.go("GET", &format!("/conversations/{id}"), None).await;
    assert!(
        page.contains("We are on it"),
        "the sent reply shows in the thread"
    );
    let outbox = app.store().sandbox_outbox(app.ws).await.unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].text, "We are on it");
    let sent = app
        .store()
        .audit_events(
            app.ws,
            &hearken::storage::AuditFilter {
                action: Some("reply.sent".into()),
                ..Default::default()
            },
            5,
        )
        .await
        .unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].actor, format!("user:{}", agent.id));
    let hash = hearken::audit::chain::content_hash("We are on it");
    assert!(sent[0].after_state.as_deref().unwrap().contains(&hash));
}

#[tokio::test]
async fn repeated_failed_logins_are_rate_limited() {
    let app = TestApp::new().await;
    let agent = app.user("agent").await;
    let mut b = Browser::new(&app);
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let (_, _, login) = b.go("GET", "/login", None).await;
        let csrf = hidden_csrf(&login);
        let (status, _, _) = b
            .go(
                "POST",
                "/login",
                Some(&[
                    ("csrf", &csrf),
                    ("email", &agent.email),
                    ("password", "wrong password!"),
                ]),
            )
            .await;
        statuses.push(status.as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429, 429]);
    let (_, _, login) = b.go("GET", "/login", None).await;
    let csrf = hidden_csrf(&login);
    let (status, _, _) = b
        .go(
            "POST",
            "/login",
            Some(&[
                ("csrf", &csrf),
                ("email", &agent.email),
                ("password", &agent.password),
            ]),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits out the window"
    );
}

#[tokio::test]
async fn the_openapi_document_lists_the_api() {
    let app = TestApp::new().await;
    let (status, _, body) = app
        .send(
            Request::get("/api/v1/openapi.json")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
    for p in [
        "/api/v1/conversations",
        "/api/v1/conversations/{id}/replies",
        "/api/v1/audit",
        "/api/v1/import",
    ] {
        assert!(doc["paths"].get(p).is_some(), "{p} is documented");
    }
}

#[tokio::test]
async fn malformed_input_gets_a_json_error_not_a_500() {
    let app = TestApp::new().await;
    let admin = app.user("admin").await;
    let req = Request::builder()
        .method("POST")
        .uri("/api/v1/teams")
        .header(header::AUTHORIZATION, format!("Bearer {}", admin.token))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{\"name\": "))
        .unwrap();
    let (status, _, body) = app.send(req).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error"]["code"], "invalid");
    let (status, v) = app
        .api(
            &admin.token,
            "GET",
            "/api/v1/conversations/not-a-number",
            None,
        )
        .await;
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (status, v) = app
        .api(
            &admin.token,
            "GET",
            "/api/v1/conversations?limit=lots",
            None,
        )
        .await;
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid"))
    );
    let (status, _) = app
        .api(
            &admin.token,
            "POST",
            "/api/v1/teams",
            Some(json!({"name": "Care"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, v) = app
        .api(
            &admin.token,
            "POST",
            "/api/v1/teams",
            Some(json!({"name": "Care"})),
        )
        .await;
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict"))
    );
}

#[tokio::test]
async fn dashboards_hear_about_changes_live() {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let app = TestApp::new().await;
    load(&app, &[line("k1", "p1", "x", "public", "a", 1)]).await;
    let agent = app.user("agent").await;
    let req = Request::get("/events")
        .header(header::AUTHORIZATION, format!("Bearer {}", agent.token))
        .body(Body::empty())
        .unwrap();
    let resp = app.router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.headers()[header::CONTENT_TYPE], "text/event-stream");
    let mut body = resp.into_body();
    let id = app
        .store()
        .inbox(app.ws, &Default::default(), 1)
        .await
        .unwrap()[0]
        .id;
    let (status, _) = app
        .api(
            &agent.token,
            "POST",
            &format!("/api/v1/conversations/{id}/tags"),
            Some(json!({"tag":"refund"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let frame = body.frame().await.unwrap().unwrap().into_data().unwrap();
    assert_eq!(
        std::str::from_utf8(&frame).unwrap(),
        "event: changed\ndata: 1\n\n"
    );
}

#[tokio::test]
async fn the_api_export_streams_what_the_cli_writes_and_imports_back() {
    let app = TestApp::new().await;
    let lines: Vec<String> = (0..2500)
        .map(|i| {
            line(
                &format!("k{}", i % 700),
                &format!("p{i}"),
                "x",
                "public",
                &format!("message {i} «ü»"),
                i % 600,
            )
        })
        .collect();
    load(&app, &lines).await;
    let manager = app.user("manager").await;
    let req = Request::get("/api/v1/export")
        .header(header::AUTHORIZATION, format!("Bearer {}", manager.token))
        .body(Body::empty())
        .unwrap();
    let (status, headers, body) = app.send(req).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/x-ndjson");
    let mut expected = Vec::new();
    hearken::export::write_ndjson(app.store(), app.ws, &mut expected)
        .await
        .unwrap();
    assert_eq!(body, expected);
    assert_eq!(
        body.iter().filter(|b| **b == b'\n').count(),
        2500,
        "more than one page of 2000"
    );
    let (status, summary) = app
        .api(&manager.token, "POST", "/api/v1/import?format=ndjson", None)
        .await;
    assert_eq!(
        (status, summary["read"].as_u64()),
        (StatusCode::OK, Some(0))
    );
}
