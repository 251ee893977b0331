//! Storage for the send clients and connectors: what a platform needs to know about a
//! customer identity.

use async_trait::async_trait;

use super::StoreResult;
use crate::domain::WorkspaceId;

/// Identity facts used on the way out (DM recipients) and by routing and approvals
/// (followers).
#[async_trait]
pub trait ChannelsStore {
    /// The platform's user id of an identity: X and Meta address DMs by it.
    async fn identity_platform_user_id(
        &self,
        ws: WorkspaceId,
        identity_id: i64,
    ) -> StoreResult<Option<String>>;

    /// Records an identity's follower count as an item of platform time `at` carried it;
    /// a count from an item older than the one that set the current count is ignored.
    async fn set_identity_followers(
        &self,
        ws: WorkspaceId,
        channel: &str,
        platform_user_id: &str,
        followers: i64,
        at: i64,
    ) -> StoreResult<()>;

    /// An identity's follower count, when a platform ever gave one.
    async fn identity_followers(
        &self,
        ws: WorkspaceId,
        identity_id: i64,
    ) -> StoreResult<Option<i64>>;
}

macro_rules! identities_sql {
    ($store:ty) => {
        /// Keeps the follower count of the newest item that carried one (#4), inside the
        /// caller's transaction: the webhook worker and the poller call it per item.
        async fn note_followers_in(
            conn: &mut Conn,
            ws: WorkspaceId,
            channel: &str,
            platform_user_id: &str,
            followers: i64,
            at: i64,
        ) -> StoreResult<()> {
            sqlx::query(
                "UPDATE identities SET followers = $4, followers_at = $5 \
                 WHERE workspace_id = $1 AND channel = $2 AND platform_user_id = $3 \
                 AND (followers_at IS NULL OR followers_at <= $5)",
            )
            .bind(ws.0)
            .bind(channel)
            .bind(platform_user_id)
            .bind(followers)
            .bind(at)
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        #[async_trait]
        impl crate::storage::identities::ChannelsStore for $store {
            async fn identity_platform_user_id(
                &self,
                ws: WorkspaceId,
                identity_id: i64,
            ) -> StoreResult<Option<String>> {
                let row: Option<(String,)> = sqlx::query_as(
                    "SELECT platform_user_id FROM identities WHERE workspace_id = $1 AND id = $2",
                )
                .bind(ws.0)
                .bind(identity_id)
                .fetch_optional(self.reader())
                .await?;
                Ok(row.map(|r| r.0))
            }

            async fn set_identity_followers(
                &self,
                ws: WorkspaceId,
                channel: &str,
                platform_user_id: &str,
                followers: i64,
                at: i64,
            ) -> StoreResult<()> {
                let mut conn = self.writer().acquire().await?;
                note_followers_in(&mut *conn, ws, channel, platform_user_id, followers, at).await
            }

            async fn identity_followers(
                &self,
                ws: WorkspaceId,
                identity_id: i64,
            ) -> StoreResult<Option<i64>> {
                let row: Option<(Option<i64>,)> = sqlx::query_as(
                    "SELECT followers FROM identities WHERE workspace_id = $1 AND id = $2",
                )
                .bind(ws.0)
                .bind(identity_id)
                .fetch_optional(self.reader())
                .await?;
                Ok(row.and_then(|r| r.0))
            }
        }
    };
}

pub(crate) use identities_sql;
