//! The PostgreSQL backend: the database at scale.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};

use super::approvals::approvals_sql;
use super::channels::channels_sql;
use super::history::history_sql;
use super::sla::sla_sql;
use super::sql::sql_store;
use super::StoreResult;

/// PostgreSQL storage.
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    const BACKEND: &'static str = "postgres";

    /// Connects; with `schema`, every connection works inside that schema (created if
    /// missing), which is how each test gets a database of its own.
    pub async fn connect(url: &str, schema: Option<&str>) -> StoreResult<PgStore> {
        let mut options = PgConnectOptions::from_str(url)?;
        if let Some(schema) = schema {
            create_schema(options.clone(), schema).await?;
            options = options.options([("search_path", schema)]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .connect_with(options)
            .await?;
        Ok(PgStore { pool })
    }

    fn reader(&self) -> &PgPool {
        &self.pool
    }

    fn writer(&self) -> &PgPool {
        &self.pool
    }

    async fn run_migrations(&self) -> StoreResult<()> {
        sqlx::migrate!("./migrations/postgres")
            .run(&self.pool)
            .await?;
        Ok(())
    }
}

async fn create_schema(options: PgConnectOptions, schema: &str) -> StoreResult<()> {
    use sqlx::Connection;
    let valid = !schema.is_empty()
        && schema
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(super::StoreError::Conflict(format!(
            "invalid schema name {schema:?}"
        )));
    }
    let mut conn = PgConnection::connect_with(&options).await?;
    sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
        .execute(&mut conn)
        .await?;
    Ok(())
}

/// Generated statements as they are: PostgreSQL binds `$n` by number.
fn sql_text(sql: String) -> String {
    sql
}

sql_store!(
    PgStore,
    sqlx::Postgres,
    PgConnection,
    Dialect {
        position_fn: "strpos",
        analyze: Some(super::sql::ANALYZE_PG),
        pack_rollups: false,
        lock_sla: Some("LOCK TABLE sla_conversations, sla_rollups IN ACCESS EXCLUSIVE MODE"),
    }
);

sla_sql!(PgStore);
super::sla_batch::sla_batch_sql!();
channels_sql!(PgStore);
approvals_sql!(PgStore);
// Issue #5: message history, preserved originals, erasure and audit checkpoints.
history_sql!(PgStore);
// Issue #6 (outbound half): identity facts, listening queries, routing.
super::identities::identities_sql!(PgStore);
super::listening::listening_sql!(PgStore);
super::routing::routing_sql!(PgStore);
// Issue #3: SLA crossings announced, notified and escalated.
super::escalation::escalation_sql!(PgStore);
// Issue #4: who else is on a conversation (presence).
super::presence::presence_sql!(PgStore);
