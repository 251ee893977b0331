//! Storage for presence (issue #4, collision): who has a conversation open and who is
//! writing in it. Kept in the database, not in memory, so every server instance sees the
//! heartbeats of users served by the others. Rows carry ids and times only; they are not
//! audited (nothing about the conversation changes) and are pruned once stale.

use async_trait::async_trait;

use super::StoreResult;
use crate::domain::WorkspaceId;

/// Another user seen on a conversation.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PresenceRow {
    pub user_id: i64,
    /// The user's display name.
    pub name: String,
    /// 1 while the user is typing a reply.
    pub writing: i64,
    /// When the user's last heartbeat arrived, epoch ms.
    pub seen_at: i64,
}

/// Heartbeats of users on conversation pages.
#[async_trait]
pub trait PresenceStore {
    /// Records that `user_id` is on the conversation at `now` (writing or not), removes the
    /// workspace's heartbeats older than `since`, and returns the other users of the
    /// workspace seen on this conversation at or after `since`, by name.
    async fn presence_heartbeat(
        &self,
        ws: WorkspaceId,
        conversation_id: i64,
        user_id: i64,
        writing: bool,
        now: i64,
        since: i64,
    ) -> StoreResult<Vec<PresenceRow>>;
}

macro_rules! presence_sql {
    ($store:ty) => {
        #[async_trait]
        impl crate::storage::presence::PresenceStore for $store {
            async fn presence_heartbeat(
                &self,
                ws: WorkspaceId,
                conversation_id: i64,
                user_id: i64,
                writing: bool,
                now: i64,
                since: i64,
            ) -> StoreResult<Vec<crate::storage::presence::PresenceRow>> {
                let mut tx = self.writer().begin().await?;
                sqlx::query(
                    "INSERT INTO presence (workspace_id, conversation_id, user_id, writing, seen_at) \
                     VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (workspace_id, conversation_id, user_id) \
                     DO UPDATE SET writing = excluded.writing, seen_at = excluded.seen_at",
                )
                .bind(ws.0)
                .bind(conversation_id)
                .bind(user_id)
                .bind(i64::from(writing))
                .bind(now)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM presence WHERE workspace_id = $1 AND seen_at < $2")
                    .bind(ws.0)
                    .bind(since)
                    .execute(&mut *tx)
                    .await?;
                let rows = sqlx::query_as(
                    "SELECT p.user_id, u.display_name AS name, p.writing, p.seen_at \
                     FROM presence p JOIN users u ON u.id = p.user_id \
                     WHERE p.workspace_id = $1 AND u.workspace_id = $1 \
                     AND p.conversation_id = $2 AND p.user_id <> $3 AND p.seen_at >= $4 \
                     ORDER BY u.display_name, p.user_id",
                )
                .bind(ws.0)
                .bind(conversation_id)
                .bind(user_id)
                .bind(since)
                .fetch_all(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(rows)
            }
        }
    };
}

pub(crate) use presence_sql;
