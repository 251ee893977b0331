//! Storage for the send clients and connectors: what a platform needs to know about a
//! customer identity.

use async_trait::async_trait;

use super::StoreResult;
use crate::domain::WorkspaceId;

/// Identity facts used on the way out (DM recipients) and by routing (followers).
#[async_trait]
pub trait ChannelsStore {
    /// The platform's user id of an identity: X and Meta address DMs by it.
    async fn identity_platform_user_id(
        &self,
        ws: WorkspaceId,
        identity_id: i64,
    ) -> StoreResult<Option<String>>;

    /// Records an identity's follower count as the platform last gave it.
    async fn set_identity_followers(
        &self,
        ws: WorkspaceId,
        channel: &str,
        platform_user_id: &str,
        followers: i64,
    ) -> StoreResult<()>;
}

macro_rules! identities_sql {
    ($store:ty) => {
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
            ) -> StoreResult<()> {
                sqlx::query(
                    "UPDATE identities SET followers = $4 \
                     WHERE workspace_id = $1 AND channel = $2 AND platform_user_id = $3",
                )
                .bind(ws.0)
                .bind(channel)
                .bind(platform_user_id)
                .bind(followers)
                .execute(self.writer())
                .await?;
                Ok(())
            }
        }
    };
}

pub(crate) use identities_sql;
