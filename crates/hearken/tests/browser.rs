//! End to end in headless Chromium through chromedriver (Debian's `chromium` and
//! `chromium-driver`, installed by `.ci/run`): sign in, open the inbox, open a
//! conversation, reply, and see the reply in the thread.
//!
//! Ignored by a plain `cargo test` because it needs the browser; `.ci/run` runs it with
//! `--ignored`. The WebDriver protocol is plain HTTP and JSON, so the test speaks it
//! directly with reqwest.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::TestApp;
use serde_json::{json, Value};

struct Driver {
    child: Child,
    base: String,
    http: reqwest::Client,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Driver {
    async fn start() -> Driver {
        let port = free_port();
        let bin = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let child = Command::new(&bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {bin}: {e} (install chromium-driver)"));
        let d = Driver {
            child,
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
        };
        // Poll the status endpoint until the driver answers (bounded).
        for _ in 0..200 {
            if let Ok(r) = d.http.get(format!("{}/status", d.base)).send().await {
                if r.status().is_success() {
                    return d;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("chromedriver did not come up");
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let v: Value = req.send().await.unwrap().json().await.unwrap();
        v["value"].clone()
    }
}

struct Session<'a> {
    d: &'a Driver,
    id: String,
}

impl<'a> Session<'a> {
    async fn new(d: &'a Driver) -> Session<'a> {
        let binary = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": binary,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage"]}}}});
        let v = d.call(reqwest::Method::POST, "/session", Some(caps)).await;
        let id = v["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {v}"))
            .to_owned();
        Session { d, id }
    }

    async fn go(&self, url: &str) {
        self.d
            .call(
                reqwest::Method::POST,
                &format!("/session/{}/url", self.id),
                Some(json!({"url": url})),
            )
            .await;
    }

    async fn find(&self, css: &str) -> String {
        let v = self
            .d
            .call(
                reqwest::Method::POST,
                &format!("/session/{}/element", self.id),
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        v.as_object()
            .and_then(|o| o.values().next())
            .and_then(|e| e.as_str())
            .unwrap_or_else(|| panic!("no element {css}: {v}"))
            .to_owned()
    }

    async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.d
            .call(
                reqwest::Method::POST,
                &format!("/session/{}/element/{el}/value", self.id),
                Some(json!({"text": text})),
            )
            .await;
    }

    async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.d
            .call(
                reqwest::Method::POST,
                &format!("/session/{}/element/{el}/click", self.id),
                Some(json!({})),
            )
            .await;
    }

    async fn source(&self) -> String {
        self.d
            .call(
                reqwest::Method::GET,
                &format!("/session/{}/source", self.id),
                None,
            )
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The page source once it contains `text`, polling a bounded number of times.
    async fn source_with(&self, text: &str) -> String {
        let mut page = String::new();
        for _ in 0..100 {
            page = self.source().await;
            if page.contains(text) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        page
    }

    /// The current URL once it contains `part`, polling a bounded number of times.
    async fn url_with(&self, part: &str) -> String {
        let mut url = String::new();
        for _ in 0..100 {
            url = self.url().await;
            if url.contains(part) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        url
    }

    async fn url(&self) -> String {
        self.d
            .call(
                reqwest::Method::GET,
                &format!("/session/{}/url", self.id),
                None,
            )
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver; .ci/run runs it with --ignored"]
async fn sign_in_open_a_conversation_reply_and_see_it() {
    let app = TestApp::new().await;
    let line = r#"{"conversation_id":"k1","channel":"sandbox","account":"acme_help","platform_id":"p1","direction":"in","visibility":"public","customer":{"platform_user_id":"9","handle":"jane"},"text":"Where is my parcel? <b>urgent</b>","created_at":"2024-06-10T10:00:00Z"}"#;
    let rows = hearken::import::parse(hearken::import::Format::Ndjson, line.as_bytes());
    hearken::import::run(
        app.store(),
        app.ws,
        &hearken::domain::Actor::System("test"),
        rows,
        &hearken::import::progress::Progress::hidden(),
    )
    .await
    .unwrap();
    let agent = app.user("agent").await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = app.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let driver = Driver::start().await;
    let s = Session::new(&driver).await;
    s.go(&format!("{base}/login")).await;
    s.type_into("input[name=email]", &agent.email).await;
    s.type_into("input[name=password]", &agent.password).await;
    s.click("form button[type=submit]").await;
    assert!(
        s.url_with("/inbox").await.ends_with("/inbox"),
        "signed in lands on the inbox"
    );
    let inbox = s.source().await;
    assert!(inbox.contains("jane"));
    assert!(
        !inbox.contains("<b>urgent</b>"),
        "customer markup is shown as text"
    );

    s.click("#inbox tbody a").await;
    assert!(s
        .url_with("/conversations/")
        .await
        .contains("/conversations/"));
    s.type_into("#reply-text", "Sorry about that, Jane. It ships today. ^AB")
        .await;
    s.click("#send-reply").await;
    // The click returns once the form is submitted; the next page loads after it.
    let thread = s
        .source_with("Sorry about that, Jane. It ships today. ^AB")
        .await;
    assert!(
        thread.contains("Sorry about that, Jane. It ships today. ^AB"),
        "the reply shows in the thread; page was: {}",
        thread
            .chars()
            .skip(thread.find("<main>").unwrap_or(0))
            .take(1500)
            .collect::<String>()
    );
    let outbox = app.store().sandbox_outbox(app.ws).await.unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(
        outbox[0].text,
        "Sorry about that, Jane. It ships today. ^AB"
    );
}
