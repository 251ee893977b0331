//! Helpers shared by the issue #5 tests: building inbound items and reaching under the
//! store as someone with database access would.

#![allow(dead_code)]

use hearken::domain::channel::{Channel, Visibility};
use hearken::domain::message::{AuthorRef, Direction, IncomingMessage};
use hearken::domain::{Actor, WorkspaceId};
use hearken::storage::DynStore;
use sqlx::Connection;

use crate::common::TestDb;

/// An inbound public item from a customer.
pub fn inbound(
    channel: Channel,
    account: &str,
    id: &str,
    user: &str,
    text: &str,
    at: i64,
) -> IncomingMessage {
    IncomingMessage {
        channel,
        account: account.into(),
        platform_id: id.into(),
        direction: Direction::In,
        visibility: Visibility::Public,
        reply_to: None,
        customer: Some(AuthorRef {
            platform_user_id: user.into(),
            handle: format!("h_{user}"),
            display_name: Some(format!("Name {user}")),
        }),
        text: text.into(),
        platform_time: at,
        conversation_key: None,
        conversation_attrs: None,
        earlier_versions: Vec::new(),
        deleted_at: None,
    }
}

/// Stores items through the real ingest path.
pub async fn ingest(store: &DynStore, ws: WorkspaceId, items: &[IncomingMessage]) {
    store
        .ingest(ws, &Actor::System("test"), items)
        .await
        .expect("ingest");
}

/// The contact of the conversation holding a platform item.
pub async fn contact_of(
    store: &DynStore,
    ws: WorkspaceId,
    channel: &str,
    platform_id: &str,
) -> i64 {
    let m = store
        .message_by_platform_id(ws, channel, platform_id)
        .await
        .unwrap()
        .expect("message stored");
    store
        .conversation(ws, m.message.conversation_id)
        .await
        .unwrap()
        .unwrap()
        .contact_id
        .expect("conversation has a contact")
}

/// The conversation holding a platform item.
pub async fn conversation_of(
    store: &DynStore,
    ws: WorkspaceId,
    channel: &str,
    platform_id: &str,
) -> i64 {
    store
        .message_by_platform_id(ws, channel, platform_id)
        .await
        .unwrap()
        .expect("message stored")
        .message
        .conversation_id
}

/// Runs statements directly on the test database, outside the store.
pub async fn raw_exec(db: &TestDb, statements: &[String]) {
    match db.location() {
        (url, None) => {
            let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
            for s in statements {
                sqlx::query(s).execute(&mut c).await.unwrap();
            }
        }
        (url, Some(schema)) => {
            let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
            sqlx::query(&format!("SET search_path TO {schema}"))
                .execute(&mut c)
                .await
                .unwrap();
            for s in statements {
                sqlx::query(s).execute(&mut c).await.unwrap();
            }
        }
    }
}

/// The statement that lifts the append-only guard on a table, per backend, as an
/// attacker with database access would.
pub fn lift_guard(db: &TestDb, table: &str) -> Vec<String> {
    match db.location().1 {
        None => vec![
            format!("DROP TRIGGER IF EXISTS {table}_no_update"),
            format!("DROP TRIGGER IF EXISTS {table}_no_delete"),
        ],
        Some(_) => vec![format!(
            "ALTER TABLE {table} DISABLE TRIGGER {table}_no_change"
        )],
    }
}

/// Reads one integer from the test database, outside the store.
pub async fn raw_i64(db: &TestDb, query: &str) -> i64 {
    match db.location() {
        (url, None) => {
            let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
            let row: (i64,) = sqlx::query_as(query).fetch_one(&mut c).await.unwrap();
            row.0
        }
        (url, Some(schema)) => {
            let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
            sqlx::query(&format!("SET search_path TO {schema}"))
                .execute(&mut c)
                .await
                .unwrap();
            let row: (i64,) = sqlx::query_as(query).fetch_one(&mut c).await.unwrap();
            row.0
        }
    }
}

/// A GET with a bearer token, returning the raw body.
pub async fn get_raw(
    app: &crate::common::TestApp,
    token: &str,
    path: &str,
) -> (u16, String, Vec<u8>) {
    let req = axum::http::Request::builder()
        .method("GET")
        .uri(path)
        .header(axum::http::header::AUTHORIZATION, format!("Bearer {token}"))
        .body(axum::body::Body::empty())
        .unwrap();
    let (status, headers, body) = app.send(req).await;
    let ctype = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (status.as_u16(), ctype, body)
}

/// Runs one statement directly, returning the database's answer instead of panicking.
pub async fn raw_try(db: &TestDb, statement: &str) -> Result<u64, sqlx::Error> {
    match db.location() {
        (url, None) => {
            let mut c = sqlx::SqliteConnection::connect(&url).await?;
            Ok(sqlx::query(statement)
                .execute(&mut c)
                .await?
                .rows_affected())
        }
        (url, Some(schema)) => {
            let mut c = sqlx::PgConnection::connect(&url).await?;
            sqlx::query(&format!("SET search_path TO {schema}"))
                .execute(&mut c)
                .await?;
            Ok(sqlx::query(statement)
                .execute(&mut c)
                .await?
                .rows_affected())
        }
    }
}
