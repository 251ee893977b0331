//! The SQLite backend: the embedded default.
//!
//! SQLite allows one writer at a time, so writes go through a one-connection pool (no
//! busy-retry storms between our own connections) while reads use a pool of their own.
//! WAL mode with `synchronous = FULL`: a committed write survives a crash or power loss.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};

use super::approvals::approvals_sql;
use super::channels::channels_sql;
use super::history::history_sql;
use super::sla::sla_sql;
use super::sql::sql_store;
use super::StoreResult;

/// SQLite storage.
pub struct SqliteStore {
    read: SqlitePool,
    write: SqlitePool,
}

impl SqliteStore {
    const BACKEND: &'static str = "sqlite";

    /// Opens (creating if needed) the database file named by the URL.
    pub async fn connect(url: &str) -> StoreResult<SqliteStore> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("cache_size", "-65536");
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        let read = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.read_only(false))
            .await?;
        Ok(SqliteStore { read, write })
    }

    fn reader(&self) -> &SqlitePool {
        &self.read
    }

    fn writer(&self) -> &SqlitePool {
        &self.write
    }

    async fn run_migrations(&self) -> StoreResult<()> {
        sqlx::migrate!("./migrations/sqlite")
            .run(&self.write)
            .await?;
        Ok(())
    }
}

/// Generated multi-row statements with plain `?` parameters, bound by position.
fn sql_text(sql: String) -> String {
    super::ingest::positional(&sql).unwrap_or(sql)
}

sql_store!(
    SqliteStore,
    sqlx::Sqlite,
    SqliteConnection,
    Dialect {
        position_fn: "instr",
        // The indexes are chosen without statistics (see migration 0008), and an ANALYZE
        // mid-import could move plans that were checked.
        analyze: None,
        pack_rollups: true,
        // One writer connection: the rebuild's transaction already excludes the others.
        lock_sla: None,
    }
);

sla_sql!(SqliteStore);
super::sla_batch::sla_batch_sql!();
channels_sql!(SqliteStore);
approvals_sql!(SqliteStore);
// Issue #5: message history, preserved originals, erasure and audit checkpoints.
history_sql!(SqliteStore);
// Issue #6 (outbound half): identity facts, listening queries, routing.
super::identities::identities_sql!(SqliteStore);
super::listening::listening_sql!(SqliteStore);
super::routing::routing_sql!(SqliteStore);
// Issue #3: SLA crossings announced, notified and escalated.
super::escalation::escalation_sql!(SqliteStore);
// Issue #4: who else is on a conversation (presence).
super::presence::presence_sql!(SqliteStore);
