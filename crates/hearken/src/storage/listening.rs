//! Storage for listening: saved queries per workspace.

use async_trait::async_trait;
use serde::Serialize;

use super::StoreResult;
use crate::domain::{Actor, WorkspaceId};

/// A saved listening query.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct ListeningQueryRow {
    pub id: i64,
    pub name: String,
    /// The query as typed.
    pub query: String,
    /// The parsed query printed back.
    pub canonical: String,
    pub channel: String,
    /// The account whose inbox receives the matches.
    pub account_id: i64,
    pub enabled: i64,
    pub created_at: i64,
}

/// A validated query to save.
#[derive(Debug, Clone)]
pub struct NewListeningQuery {
    pub name: String,
    pub query: String,
    pub canonical: String,
    pub channel: String,
    pub account_id: i64,
}

/// Saved listening queries.
#[async_trait]
pub trait ListeningStore {
    async fn create_listening_query(
        &self,
        ws: WorkspaceId,
        q: &NewListeningQuery,
        actor: &Actor,
    ) -> StoreResult<ListeningQueryRow>;
    /// Every query of the workspace, newest first.
    async fn listening_queries(&self, ws: WorkspaceId) -> StoreResult<Vec<ListeningQueryRow>>;
    /// Stops a query from matching; what it found stays.
    async fn disable_listening_query(
        &self,
        ws: WorkspaceId,
        id: i64,
        actor: &Actor,
    ) -> StoreResult<()>;
}

macro_rules! listening_sql {
    ($store:ty) => {
        const LISTENING_SELECT: &str = "SELECT id, name, query, canonical, channel, account_id, \
            enabled, created_at FROM listening_queries";

        #[async_trait]
        impl crate::storage::listening::ListeningStore for $store {
            async fn create_listening_query(
                &self,
                ws: WorkspaceId,
                q: &crate::storage::listening::NewListeningQuery,
                actor: &Actor,
            ) -> StoreResult<crate::storage::listening::ListeningQueryRow> {
                let mut tx = self.writer().begin().await?;
                let now = now_millis();
                let id: (i64,) = sqlx::query_as(
                    "INSERT INTO listening_queries (workspace_id, name, query, canonical, channel, \
                     account_id, enabled, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7) RETURNING id",
                )
                .bind(ws.0)
                .bind(&q.name)
                .bind(&q.query)
                .bind(&q.canonical)
                .bind(&q.channel)
                .bind(q.account_id)
                .bind(now)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| StoreError::from_insert(e, "a listening query with this name"))?;
                let ev = event(
                    actor,
                    "listening.query_created",
                    format!("listening_query:{}", id.0),
                    None,
                    Some(serde_json::json!({
                        "name": q.name,
                        "query": q.canonical,
                        "channel": q.channel,
                        "account_id": q.account_id,
                    })),
                );
                append_audit_in(&mut tx, ws, &ev).await?;
                let row = sqlx::query_as(&format!("{LISTENING_SELECT} WHERE id = $1"))
                    .bind(id.0)
                    .fetch_one(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(row)
            }

            async fn listening_queries(
                &self,
                ws: WorkspaceId,
            ) -> StoreResult<Vec<crate::storage::listening::ListeningQueryRow>> {
                Ok(sqlx::query_as(&format!(
                    "{LISTENING_SELECT} WHERE workspace_id = $1 ORDER BY id DESC"
                ))
                .bind(ws.0)
                .fetch_all(self.reader())
                .await?)
            }

            async fn disable_listening_query(
                &self,
                ws: WorkspaceId,
                id: i64,
                actor: &Actor,
            ) -> StoreResult<()> {
                let mut tx = self.writer().begin().await?;
                let done = sqlx::query(
                    "UPDATE listening_queries SET enabled = 0, updated_at = $3 \
                     WHERE workspace_id = $1 AND id = $2 AND enabled = 1",
                )
                .bind(ws.0)
                .bind(id)
                .bind(now_millis())
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    tx.rollback().await?;
                    return Err(StoreError::NotFound);
                }
                let ev = event(
                    actor,
                    "listening.query_disabled",
                    format!("listening_query:{id}"),
                    None,
                    None,
                );
                append_audit_in(&mut tx, ws, &ev).await?;
                tx.commit().await?;
                Ok(())
            }
        }
    };
}

pub(crate) use listening_sql;
