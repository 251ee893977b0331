//! What the route walk needs: the table's types, a seed with a fixture for every id a
//! route takes, requests built from a table entry, and the route list read from the
//! router's own source.

#![allow(dead_code)]

pub mod routes;

use std::collections::{BTreeSet, HashMap};

use axum::body::Body as HttpBody;
use axum::http::{header, HeaderMap, Request, StatusCode};
use hearken::auth::Principal;
use hearken::config::Settings;
use hearken::domain::channel::{Channel, Visibility};
use hearken::domain::message::{AuthorRef, Direction, IncomingMessage};
use hearken::domain::role::{Permission, Role};
use hearken::domain::time::now_millis;
use hearken::domain::Actor;
use hearken::replies::send::{send_reply, ReplyOptions, ReplyOutcome};
use http_body_util::BodyExt;
use secrecy::SecretString;
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::common::{TestApp, TestUser};

/// What a route requires of its caller.
#[derive(Debug, Clone, Copy)]
pub enum Need {
    /// Anyone signed in (their own notifications, who they are, signing out).
    SignedIn,
    /// A role granting this permission.
    Perm(Permission),
    /// One of these roles (the handler names them itself).
    Roles(&'static [Role]),
}

impl Need {
    pub fn allows(self, role: Role) -> bool {
        match self {
            Need::SignedIn => true,
            Need::Perm(p) => role.can(p),
            Need::Roles(list) => list.contains(&role),
        }
    }
}

/// A request body.
#[derive(Debug, Clone, Copy)]
pub enum Body {
    None,
    Json(&'static str),
    /// `application/x-www-form-urlencoded`, as the pages' forms send.
    Form(&'static str),
    /// Another content type, e.g. `text/calendar`.
    Raw(&'static str, &'static str),
}

/// One route of the table.
#[derive(Debug, Clone, Copy)]
pub struct RouteCase {
    pub method: &'static str,
    pub route: &'static str,
    pub args: &'static [&'static str],
    pub body: Body,
    pub need: Need,
    /// The status an allowed caller gets.
    pub ok: u16,
}

impl RouteCase {
    pub fn is_api(&self) -> bool {
        self.route.starts_with("/api/")
    }
}

/// The walker's app, the walker, and the fixtures by name.
pub struct Seeded {
    pub app: TestApp,
    pub walker: TestUser,
    pub values: HashMap<&'static str, String>,
}

impl Seeded {
    /// The concrete path of a table entry: each `{…}` segment filled from `args`.
    pub fn path(&self, case: &RouteCase) -> String {
        let mut args = case.args.iter();
        let path = case
            .route
            .split('/')
            .map(|seg| {
                if seg.starts_with('{') && seg.ends_with('}') {
                    let name = args
                        .next()
                        .unwrap_or_else(|| panic!("{} {}: too few args", case.method, case.route));
                    self.value(name).to_owned()
                } else {
                    seg.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        assert!(
            args.next().is_none(),
            "{} {}: too many args",
            case.method,
            case.route
        );
        path
    }

    pub fn value(&self, name: &str) -> &str {
        self.values
            .get(name)
            .unwrap_or_else(|| panic!("no fixture named {name}"))
    }

    /// `{name}` tokens of a body replaced by the fixtures.
    pub fn fill(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (k, v) in &self.values {
            out = out.replace(&format!("{{{k}}}"), v);
        }
        out
    }

    /// The request for a table entry, with the given bearer token (or none).
    pub fn request(&self, case: &RouteCase, token: Option<&str>) -> Request<HttpBody> {
        let mut b = Request::builder().method(case.method).uri(self.path(case));
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let (content_type, text) = match case.body {
            Body::None => (None, String::new()),
            Body::Json(t) => (Some("application/json"), self.fill(t)),
            Body::Form(t) => (Some("application/x-www-form-urlencoded"), self.fill(t)),
            Body::Raw(ct, t) => (Some(ct), self.fill(t)),
        };
        if let Some(ct) = content_type {
            b = b.header(header::CONTENT_TYPE, ct);
        }
        b.body(HttpBody::from(text)).unwrap()
    }
}

/// Sends a request through the router. The body of an event stream never ends, so it is
/// left unread.
pub async fn send(app: &TestApp, req: Request<HttpBody>) -> (StatusCode, HeaderMap, Vec<u8>) {
    let resp = app.router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let streaming = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    let body = if streaming {
        Vec::new()
    } else {
        resp.into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec()
    };
    (status, headers, body)
}

/// An app with the keys that sealing credentials and signing checkpoints need.
pub async fn keyed_app() -> TestApp {
    TestApp::with_settings(Settings {
        secret_key: Some(SecretString::from("walk installation key".to_owned())),
        audit_key: Some(SecretString::from("walk audit key".to_owned())),
        ..Settings::default()
    })
    .await
}

/// A stand-in Mastodon instance with no notifications, for the reconciliation poll.
pub async fn mastodon_stand_in() -> String {
    let router = axum::Router::new().route(
        "/api/v1/notifications",
        axum::routing::get(|| async { axum::Json(json!([])) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

/// A customer's public post on the sandbox account, in its own conversation.
async fn arrive(app: &TestApp, pid: &str, text: &str, earlier: &[&str]) -> i64 {
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
        text: text.into(),
        platform_time: now_millis(),
        conversation_key: None,
        conversation_attrs: None,
        earlier_versions: earlier.iter().map(|s| s.to_string()).collect(),
        deleted_at: None,
    };
    let report = app
        .store()
        .ingest(app.ws, &Actor::System("test"), &[msg])
        .await
        .unwrap();
    report.touched_conversations[0]
}

async fn contact_of(app: &TestApp, conv: i64) -> i64 {
    app.store()
        .conversation(app.ws, conv)
        .await
        .unwrap()
        .unwrap()
        .contact_id
        .expect("the conversation has a contact")
}

async fn first_message(app: &TestApp, conv: i64) -> i64 {
    app.store()
        .conversation_messages(app.ws, conv)
        .await
        .unwrap()[0]
        .id
}

/// An API call that must answer `want`; returns the JSON body.
async fn call(
    app: &TestApp,
    who: &TestUser,
    method: &str,
    path: &str,
    body: Option<Value>,
    want: u16,
) -> Value {
    let (status, out) = app.api(&who.token, method, path, body).await;
    assert_eq!(status.as_u16(), want, "seeding {method} {path}: {out}");
    out
}

fn id(v: &Value) -> String {
    v["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_string()
}

/// A fresh workspace with a walker of `role` and a fixture for every id the table takes.
/// Fixtures that a route uses up (a draft to approve, a link to undo, a contact to delete)
/// are the walker's alone, so each route finds its fixture in the state it needs.
pub async fn seed(role: Role) -> Seeded {
    let app = keyed_app().await;
    let admin = app.user_in(app.ws, "admin", "seed@acme.test").await;
    let author = app.user_in(app.ws, "agent", "author@acme.test").await;
    let target = app.user_in(app.ws, "agent", "target@acme.test").await;
    // An approver, so the approval paths the walk saves can reach their quorum.
    app.user_in(app.ws, "approver", "approver@acme.test").await;
    let walker = app.user_in(app.ws, role.as_str(), "walker@acme.test").await;
    let mut v: HashMap<&'static str, String> = HashMap::new();
    let now = now_millis();
    v.insert("now_ms", now.to_string());
    v.insert(
        "now",
        jiff::Timestamp::from_millisecond(now).unwrap().to_string(),
    );
    v.insert("target", target.id.to_string());
    v.insert("locale", "en".into());
    v.insert("spare_path", "legal".into());

    // Conversations, each a customer of its own.
    let conv = arrive(&app, "main", "My order is late", &[]).await;
    v.insert("conv", conv.to_string());
    v.insert("contact", contact_of(&app, conv).await.to_string());
    let edited = arrive(&app, "edited", "Where is it now?", &["Where is it"]).await;
    v.insert("edited", first_message(&app, edited).await.to_string());
    let card = arrive(&app, "card", "My card 4111 1111 1111 1111 was charged", &[]).await;
    v.insert("card", first_message(&app, card).await.to_string());
    for (name, pid) in [
        ("contact_link_api", "link-api"),
        ("contact_link_ui", "link-ui"),
        ("contact_deleted", "deleted"),
        ("contact_erased", "erased"),
        ("contact_erased_ui", "erased-ui"),
    ] {
        let c = arrive(&app, pid, "Hello", &[]).await;
        v.insert(name, contact_of(&app, c).await.to_string());
    }
    let accounts = call(&app, &admin, "GET", "/api/v1/accounts", None, 200).await;
    v.insert("account", id(&accounts[0]));

    // Tags to remove, and an outbound reply.
    let tags = format!("/api/v1/conversations/{conv}/tags");
    for tag in ["seeded", "seeded-ui"] {
        call(
            &app,
            &admin,
            "POST",
            &tags,
            Some(json!({ "tag": tag })),
            204,
        )
        .await;
    }
    v.insert("tag", "seeded".into());
    v.insert("ui_tag", "seeded-ui".into());
    let replies = format!("/api/v1/conversations/{conv}/replies");
    let sent = call(
        &app,
        &admin,
        "POST",
        &replies,
        Some(json!({ "text": "We are on it." })),
        201,
    )
    .await;
    v.insert("outbound", id(&sent));

    // Links to undo, and a legal hold to release.
    let contact = v["contact"].clone();
    for (name, pid) in [("link_api", "undo-api"), ("link_ui", "undo-ui")] {
        let other = contact_of(&app, arrive(&app, pid, "Hi again", &[]).await).await;
        let link = call(
            &app,
            &admin,
            "POST",
            &format!("/api/v1/contacts/{contact}/links"),
            Some(json!({ "linked_contact_id": other, "reason": "manual" })),
            201,
        )
        .await;
        v.insert(name, id(&link));
    }
    let hold = call(
        &app,
        &admin,
        "POST",
        "/api/v1/legal-holds",
        Some(json!({ "subject_kind": "conversation", "subject_id": edited, "reason": "dispute" })),
        201,
    )
    .await;
    v.insert("hold", id(&hold));
    let hold_ui = call(
        &app,
        &admin,
        "POST",
        "/api/v1/legal-holds",
        Some(json!({ "subject_kind": "conversation", "subject_id": edited, "reason": "audit" })),
        201,
    )
    .await;
    v.insert("hold_ui", id(&hold_ui));

    // Groups, reply rights, a communication test with an attempt to grade.
    let team = call(
        &app,
        &admin,
        "POST",
        "/api/v1/teams",
        Some(json!({ "name": "Care" })),
        201,
    )
    .await;
    v.insert("team", id(&team));
    let dept = call(
        &app,
        &admin,
        "POST",
        "/api/v1/departments",
        Some(json!({ "name": "Legal" })),
        201,
    )
    .await;
    v.insert("department", id(&dept));
    let cert = call(
        &app,
        &admin,
        "POST",
        "/api/v1/certifications",
        Some(json!({ "user_id": target.id, "channels": ["x"], "days": 30 })),
        201,
    )
    .await;
    v.insert("certification", id(&cert));
    let cert_ui = call(
        &app,
        &admin,
        "POST",
        "/api/v1/certifications",
        Some(json!({ "user_id": target.id, "channels": ["facebook"], "days": 30 })),
        201,
    )
    .await;
    v.insert("certification_ui", id(&cert_ui));
    // The walker (when its role replies at all) and the author reply on the sandbox
    // without a trainee's approval.
    let repliers = match role.can(Permission::WorkConversations) {
        true => vec![walker.id, author.id],
        false => vec![author.id],
    };
    for user in repliers {
        let rights = json!({ "user_id": user, "channels": ["sandbox"], "days": 30 });
        call(
            &app,
            &admin,
            "POST",
            "/api/v1/certifications",
            Some(rights),
            201,
        )
        .await;
    }
    let test: Value = serde_json::from_str(routes::COMM_TEST).unwrap();
    let test = call(&app, &admin, "POST", "/api/v1/comm-tests", Some(test), 201).await;
    v.insert("test", id(&test));
    let answers: Value = serde_json::from_str(routes::ANSWERS).unwrap();
    let attempt = call(
        &app,
        &author,
        "POST",
        &format!("/api/v1/comm-tests/{}/attempts", id(&test)),
        Some(answers),
        201,
    )
    .await;
    v.insert("attempt", id(&attempt));
    let answers: Value = serde_json::from_str(routes::ANSWERS).unwrap();
    let attempt_ui = call(
        &app,
        &author,
        "POST",
        &format!("/api/v1/comm-tests/{}/attempts", id(&test)),
        Some(answers),
        201,
    )
    .await;
    v.insert("attempt_ui", id(&attempt_ui));

    // SLA calendar, routing rules (one dismissed a conversation), a listening query, and
    // a Mastodon account whose instance is a local stand-in.
    let calendar = json!({ "name": "Office", "spec": { "zone": "Europe/Berlin",
        "weekly": { "monday": ["09:00-17:00"], "tuesday": ["09:00-17:00"] } } });
    call(
        &app,
        &admin,
        "POST",
        "/api/v1/sla/calendars",
        Some(calendar),
        200,
    )
    .await;
    v.insert("calendar", "Office".into());
    let rule = json!({ "name": "seeded", "conditions": { "words": "walkabout" },
        "actions": { "priority": "high" } });
    let rule = call(
        &app,
        &admin,
        "POST",
        "/api/v1/routing/rules",
        Some(rule),
        201,
    )
    .await;
    v.insert("rule", id(&rule));
    let escalation = json!({ "name": "seeded", "metric": "resolution", "raise_priority": "high" });
    let escalation = call(
        &app,
        &admin,
        "POST",
        "/api/v1/sla/escalation-rules",
        Some(escalation),
        201,
    )
    .await;
    v.insert("escalation", id(&escalation));
    let spam = json!({ "name": "giveaway spam", "conditions": { "words": "\"crypto giveaway\"" },
        "actions": { "dismiss": true } });
    call(
        &app,
        &admin,
        "POST",
        "/api/v1/routing/rules",
        Some(spam),
        201,
    )
    .await;
    let spam_conv = arrive(&app, "spam", "Join our crypto giveaway now", &[]).await;
    hearken::routing::route_conversations(&app.state, app.ws, &[spam_conv], None)
        .await
        .unwrap();
    let dismissals = call(&app, &admin, "GET", "/api/v1/routing/dismissals", None, 200).await;
    v.insert("dismissal", id(&dismissals[0]));
    let query = json!({ "name": "seeded", "query": "refund", "account_id": accounts[0]["id"] });
    let query = call(
        &app,
        &admin,
        "POST",
        "/api/v1/listening/queries",
        Some(query),
        201,
    )
    .await;
    v.insert("query", id(&query));
    let masto = json!({ "channel": "mastodon", "handle": "acme_social",
        "platform_user_id": "42", "base_url": mastodon_stand_in().await,
        "app_secret": "mastodon-secret-0123456789", "access_token": "mastodon-token-0123" });
    let masto = call(
        &app,
        &admin,
        "POST",
        "/api/v1/channels/accounts",
        Some(masto),
        201,
    )
    .await;
    v.insert(
        "mastodon",
        masto["account_id"].as_i64().unwrap().to_string(),
    );

    // Approvals: replies about refunds wait for the walker, the only approver.
    let path = json!({ "id": "", "name": "Review", "steps": [ { "branches": [ {
        "name": "Review", "group": { "users": [walker.id.to_string()] }, "quorum": "any",
        "on_deadline": "expire" } ] } ] });
    call(
        &app,
        &admin,
        "PUT",
        "/api/v1/approval-paths/review",
        Some(path),
        200,
    )
    .await;
    let routing: Value = serde_json::from_str(routes::ROUTING).unwrap();
    call(&app, &admin, "PUT", "/api/v1/routing", Some(routing), 200).await;
    for (name, hash) in [
        ("draft_a", "draft_a_hash"),
        ("draft_b", "draft_b_hash"),
        ("draft_c", "draft_c_hash"),
        ("draft_d", "draft_d_hash"),
        ("draft_e", "draft_e_hash"),
        ("draft_f", "draft_f_hash"),
    ] {
        let c = arrive(&app, name, "I want my money back", &[]).await;
        let held = call(
            &app,
            &author,
            "POST",
            &format!("/api/v1/conversations/{c}/replies"),
            Some(json!({ "text": "We will refund you today." })),
            202,
        )
        .await;
        assert_eq!(held["status"], "pending", "{held}");
        v.insert(name, id(&held));
        v.insert(hash, held["version_hash"].as_str().unwrap().to_owned());
    }
    // The walker's own drafts, scheduled for tomorrow (approved: no rule matches), to mark
    // seen and send now. Written through the library: some roles may not reply at all,
    // and the walk must see them refused for their role, not for authorship.
    let me = Principal {
        user_id: walker.id,
        workspace: app.ws,
        role,
        display_name: "walker".into(),
        credential: hearken::auth::principal::Credential::Token,
    };
    for name in ["mine_a", "mine_b"] {
        let c = arrive(&app, name, "Any news?", &[]).await;
        let opts = ReplyOptions {
            send_at: Some(now + 24 * 3_600_000),
            ..ReplyOptions::default()
        };
        let out = send_reply(&app.state, &me, c, "Tomorrow morning, promised.", &opts)
            .await
            .unwrap();
        let ReplyOutcome::Held(draft) = out else {
            panic!("a scheduled reply is held as a draft")
        };
        v.insert(name, draft.to_string());
    }
    Seeded {
        app,
        walker,
        values: v,
    }
}

/// `(METHOD, path)` with every `{…}` segment written `{}`.
pub fn shape(method: &str, path: &str) -> (String, String) {
    let p = path
        .split('/')
        .map(|s| if s.starts_with('{') { "{}" } else { s })
        .collect::<Vec<_>>()
        .join("/");
    (method.to_uppercase(), p)
}

/// Every `(METHOD, path)` the router's source declares: each `.route("…", …)` call with
/// the method routers it chains, API routes (those before the page router) under
/// `/api/v1`.
pub fn declared_routes(source: &str) -> BTreeSet<(String, String)> {
    let pages_start = source
        .find("let pages")
        .expect("router.rs builds a `pages` router");
    let mut out = BTreeSet::new();
    let mut rest = 0;
    while let Some(found) = source[rest..].find(".route(") {
        let start = rest + found + ".route(".len();
        // The call's text, up to its balanced closing parenthesis.
        let mut depth = 1;
        let mut end = start;
        for (i, ch) in source[start..].char_indices() {
            match ch {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                end = start + i;
                break;
            }
        }
        let call = &source[start..end];
        let q1 = call.find('"').expect("a route path literal");
        let q2 = q1 + 1 + call[q1 + 1..].find('"').unwrap();
        let path = &call[q1 + 1..q2];
        let full = if start < pages_start {
            format!("/api/v1{path}")
        } else {
            path.to_owned()
        };
        let handlers = &call[q2 + 1..];
        let mut methods = 0;
        for m in ["get", "post", "put", "patch", "delete"] {
            let mut at = 0;
            while let Some(k) = handlers[at..].find(&format!("{m}(")) {
                let pos = at + k;
                let before = handlers[..pos].chars().last();
                // `get(` alone, `.post(` chained, or `routing::put(`; not `target(`.
                if before.is_none_or(|c| !(c.is_alphanumeric() || c == '_')) {
                    out.insert(shape(m, &full));
                    methods += 1;
                }
                at = pos + m.len() + 1;
            }
        }
        assert!(methods > 0, "no method router found for {path}");
        rest = end;
    }
    out
}
