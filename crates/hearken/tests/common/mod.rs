//! Test harness: a fresh database per test (a temporary SQLite file, or a fresh
//! PostgreSQL schema when `HEARKEN_TEST_DATABASE_URL` is set) and the real router.

#![allow(dead_code)]

pub mod browser;

use std::path::PathBuf;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use hearken::app::AppState;
use hearken::auth::secret::{new_api_token, token_hash};
use hearken::auth::users::{self, NewUserRequest};
use hearken::config::Settings;
use hearken::domain::{Actor, WorkspaceId};
use hearken::storage::{self, DynStore};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// A database that exists for one test.
pub struct TestDb {
    pub store: DynStore,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(tempfile::TempDir),
    Postgres { url: String, schema: String },
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Cleanup::Postgres { url, schema } = &self.cleanup {
            let (url, schema) = (url.clone(), schema.clone());
            // Drop runs outside async; a short-lived runtime on its own thread drops the schema.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    use sqlx::Connection;
                    if let Ok(mut c) = sqlx::PgConnection::connect(&url).await {
                        let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                            .execute(&mut c)
                            .await;
                    }
                });
            })
            .join();
        }
    }
}

impl TestDb {
    /// The database's URL and, on PostgreSQL, its schema: for tests that must reach
    /// under the store, as an attacker with database access would.
    pub fn location(&self) -> (String, Option<String>) {
        match &self.cleanup {
            Cleanup::Sqlite(dir) => (
                format!("sqlite://{}", dir.path().join("test.db").display()),
                None,
            ),
            Cleanup::Postgres { url, schema } => (url.clone(), Some(schema.clone())),
        }
    }
}

/// Which backend the tests run on.
pub fn backend() -> &'static str {
    if std::env::var("HEARKEN_TEST_DATABASE_URL").is_ok() {
        "postgres"
    } else {
        "sqlite"
    }
}

/// A fresh, migrated database.
pub async fn db() -> TestDb {
    match std::env::var("HEARKEN_TEST_DATABASE_URL") {
        Ok(url) => {
            let schema = format!(
                "t_{}",
                hearken::auth::secret::new_token()
                    .to_lowercase()
                    .replace('-', "_")
            );
            let schema: String = schema
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .take(40)
                .collect();
            let store = storage::connect_pg_schema(&url, &schema)
                .await
                .expect("postgres schema");
            TestDb {
                store,
                cleanup: Cleanup::Postgres { url, schema },
            }
        }
        Err(_) => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("test.db").display());
            let store = storage::connect(&url).await.expect("sqlite");
            TestDb {
                store,
                cleanup: Cleanup::Sqlite(dir),
            }
        }
    }
}

/// The shared data folder beside the repository.
pub fn shared_data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
}

/// A running app with a workspace and users of every role, each with an API token.
pub struct TestApp {
    pub db: TestDb,
    pub state: AppState,
    pub router: Router,
    pub ws: WorkspaceId,
}

/// A user created for a test.
pub struct TestUser {
    pub id: i64,
    pub email: String,
    pub password: String,
    pub token: String,
}

pub const PASSWORD: &str = "correct horse battery staple";

impl TestApp {
    pub async fn new() -> TestApp {
        TestApp::with_settings(Settings::default()).await
    }

    /// An app whose settings differ from the defaults (keys, for instance).
    pub async fn with_settings(settings: Settings) -> TestApp {
        let db = db().await;
        let ws = WorkspaceId(db.store.create_workspace("acme", "Acme").await.unwrap().id);
        let state = AppState::new(db.store.clone(), settings);
        let router = hearken::http::router::router(state.clone());
        TestApp {
            db,
            state,
            router,
            ws,
        }
    }

    pub fn store(&self) -> &DynStore {
        &self.db.store
    }

    /// Creates a user with a role in a workspace and an API token for them.
    pub async fn user_in(&self, ws: WorkspaceId, role: &str, email: &str) -> TestUser {
        let req = NewUserRequest {
            name: format!("{role} user"),
            email: email.into(),
            role: role.into(),
            password: PASSWORD.into(),
        };
        let u = users::create(self.store(), ws, &req, &Actor::System("test"))
            .await
            .unwrap();
        let token = new_api_token();
        self.store()
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
            email: email.into(),
            password: PASSWORD.into(),
            token,
        }
    }

    pub async fn user(&self, role: &str) -> TestUser {
        self.user_in(self.ws, role, &format!("{role}@acme.test"))
            .await
    }

    /// Sends a request through the real router.
    pub async fn send(&self, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        (status, headers, body)
    }

    /// An API call with a bearer token and an optional JSON body.
    pub async fn api(
        &self,
        token: &str,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (StatusCode, serde_json::Value) {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        let body = match body {
            Some(v) => {
                b = b.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        let (status, _, bytes) = self.send(b.body(body).unwrap()).await;
        let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        (status, json)
    }
}
