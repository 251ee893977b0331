//! Helpers for the issue #6 tests: a local stand-in server that answers in each platform's
//! shapes, and a test app whose platform channels use the real send clients against it.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use hearken::app::{Adapters, AppState};
use hearken::config::Settings;
use hearken::domain::channel::{Channel, Visibility};
use hearken::domain::message::{AuthorRef, Direction, IncomingMessage};
use hearken::domain::{Actor, WorkspaceId};
use hearken::replies::clients::transport::{Pause, RetryPolicy, Transport};
use hearken::replies::clients::{self, Endpoints};
use hearken::replies::credentials::StaticCredentials;
use serde_json::{json, Value};

use crate::common::{self, TestApp};

/// One request the stand-in received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: HeaderMap,
    pub body: String,
}

impl Seen {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    pub fn form(&self) -> Vec<(String, String)> {
        serde_urlencoded::from_str(&self.body).unwrap_or_default()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    }
}

/// A scripted answer: status, headers, body.
pub type Scripted = (u16, Vec<(&'static str, String)>, Value);

#[derive(Default)]
struct Shared {
    seen: Mutex<Vec<Seen>>,
    script: Mutex<VecDeque<Scripted>>,
}

/// A stand-in for every platform's send API on 127.0.0.1.
pub struct StandIn {
    pub base: String,
    shared: Arc<Shared>,
}

impl StandIn {
    pub async fn start() -> StandIn {
        let shared = Arc::new(Shared::default());
        let s = shared.clone();
        let app = Router::new().fallback(move |m: Method, u: Uri, h: HeaderMap, b: Bytes| {
            let s = s.clone();
            async move { answer(&s, m, u, h, b) }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        StandIn {
            base: format!("http://{addr}"),
            shared,
        }
    }

    /// Answers the next requests with these, in order, before the platform's usual answer.
    pub fn script(&self, answers: Vec<Scripted>) {
        self.shared.script.lock().unwrap().extend(answers);
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.shared.seen.lock().unwrap().clone()
    }
}

fn answer(s: &Shared, m: Method, u: Uri, h: HeaderMap, b: Bytes) -> Response {
    let seen = Seen {
        method: m.to_string(),
        path: u.path().to_owned(),
        headers: h,
        body: String::from_utf8_lossy(&b).into_owned(),
    };
    s.seen.lock().unwrap().push(seen.clone());
    if let Some((status, headers, body)) = s.script.lock().unwrap().pop_front() {
        let mut resp = (StatusCode::from_u16(status).unwrap(), axum::Json(body)).into_response();
        for (k, v) in headers {
            resp.headers_mut().insert(k, v.parse().unwrap());
        }
        return resp;
    }
    let n = s.seen.lock().unwrap().len();
    let (status, body) = usual(&seen, n);
    (status, axum::Json(body)).into_response()
}

/// What each platform answers to a successful send, in its own shape.
/// `n` numbers the request, so every new item gets its own id.
fn usual(seen: &Seen, n: usize) -> (StatusCode, Value) {
    let p = seen.path.as_str();
    if p == "/2/tweets" {
        return (
            StatusCode::CREATED,
            json!({"data": {"id": format!("18000000000000{n:05}"), "text": seen.json()["text"]}}),
        );
    }
    if p.starts_with("/2/dm_conversations/with/") {
        return (
            StatusCode::CREATED,
            json!({"data": {"dm_conversation_id": "42-7", "dm_event_id": format!("18100000000000{n:05}")}}),
        );
    }
    if p == "/me/messages" {
        let to = seen.json()["recipient"]["id"].clone();
        return (
            StatusCode::OK,
            json!({"recipient_id": to, "message_id": format!("m_sent_{n}")}),
        );
    }
    if p.ends_with("/comments") {
        return (
            StatusCode::OK,
            json!({"id": format!("pagepost_comment_{n}")}),
        );
    }
    if p.ends_with("/replies") {
        return (StatusCode::OK, json!({"id": format!("179000000000{n:05}")}));
    }
    if p == "/api/v1/statuses" {
        return (
            StatusCode::OK,
            json!({"id": format!("11000000000{n:05}"), "visibility": seen.json()["visibility"]}),
        );
    }
    if p == "/api/comment" {
        return (
            StatusCode::OK,
            json!({"json": {"errors": [], "data": {"things": [{"kind": "t1", "data": {"id": format!("kx{n}"), "name": format!("t1_kx{n}")}}]}}}),
        );
    }
    (StatusCode::NOT_FOUND, json!({"error": "no such endpoint"}))
}

/// Records the waits asked for instead of waiting.
#[derive(Default)]
pub struct RecordedPause {
    pub waits: Mutex<Vec<Duration>>,
}

#[async_trait]
impl Pause for RecordedPause {
    async fn pause(&self, d: Duration) {
        self.waits.lock().unwrap().push(d);
    }
}

/// The retry policy the tests use: 3 attempts, 100 ms first backoff, 30 s longest wait.
pub fn policy() -> RetryPolicy {
    RetryPolicy {
        attempts: 3,
        base_delay: Duration::from_millis(100),
        max_wait: Duration::from_secs(30),
    }
}

/// A test app whose platform channels send to the stand-in.
pub async fn app_with_clients(stand_in: &StandIn) -> (TestApp, Arc<RecordedPause>) {
    let db = common::db().await;
    let ws = WorkspaceId(db.store.create_workspace("acme", "Acme").await.unwrap().id);
    let pause = Arc::new(RecordedPause::default());
    let mut creds = StaticCredentials::default();
    for ch in [
        "x",
        "facebook",
        "messenger",
        "instagram",
        "mastodon",
        "reddit",
    ] {
        creds = creds.with(ch, &format!("token-{ch}"), None);
    }
    let mut adapters = Adapters::standard(db.store.clone());
    clients::install(
        &mut adapters,
        &Endpoints::all_at(&stand_in.base),
        Arc::new(creds),
        Transport::new(policy(), pause.clone()),
    );
    let state = AppState::with_adapters(db.store.clone(), Settings::default(), adapters);
    let router = hearken::http::router::router(state.clone());
    (
        TestApp {
            db,
            state,
            router,
            ws,
        },
        pause,
    )
}

/// An inbound customer message.
pub fn inbound(channel: Channel, id: &str, visibility: Visibility, text: &str) -> IncomingMessage {
    IncomingMessage {
        channel,
        account: "acme".into(),
        platform_id: id.into(),
        direction: Direction::In,
        visibility,
        reply_to: None,
        customer: Some(AuthorRef {
            platform_user_id: "u-4242".into(),
            handle: "ann".into(),
            display_name: None,
        }),
        text: text.into(),
        platform_time: 1_700_000_000_000,
        conversation_key: None,
        conversation_attrs: None,
        earlier_versions: Vec::new(),
        deleted_at: None,
    }
}

/// Stores one inbound message and returns its conversation id.
pub async fn conversation_with(app: &TestApp, m: IncomingMessage) -> i64 {
    let report = app
        .store()
        .ingest(app.ws, &Actor::System("test"), &[m])
        .await
        .unwrap();
    report.touched_conversations[0]
}
