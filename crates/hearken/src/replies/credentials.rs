//! Where the send clients get an account's platform credentials.
//!
//! The clients ask a [`CredentialSource`] for the account they send from, on every send, so a
//! token rotated in the account store is used at once. Today the source is the environment
//! (for a single-account installation and for demos) or a fixed map (tests).
// TODO(#6): the encrypted account store of the ingestion half implements `CredentialSource`
// and replaces `EnvCredentials` when an admin connects an account.

use std::collections::HashMap;

use async_trait::async_trait;
use secrecy::SecretString;

use super::adapter::SendError;
use crate::domain::WorkspaceId;

/// What a send client needs to act as one brand account.
#[derive(Clone)]
pub struct Credentials {
    /// OAuth bearer token (X user token, Page or Instagram token, Mastodon or Reddit token).
    pub access_token: SecretString,
    /// The platform's base URL for this account, when it differs from the client's default
    /// (a Mastodon account lives on its own instance).
    pub base_url: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_token", &"[redacted]")
            .field("base_url", &self.base_url)
            .finish()
    }
}

/// Looks up the credentials of a connected account.
#[async_trait]
pub trait CredentialSource: Send + Sync {
    /// The credentials to send as `account_id` on `channel`.
    async fn credentials(
        &self,
        ws: WorkspaceId,
        account_id: i64,
        channel: &str,
    ) -> Result<Credentials, SendError>;
}

/// Reads `HEARKEN_<CHANNEL>_ACCESS_TOKEN` and optionally `HEARKEN_<CHANNEL>_BASE_URL`: one
/// account per channel, for small installations and demos.
pub struct EnvCredentials;

#[async_trait]
impl CredentialSource for EnvCredentials {
    async fn credentials(
        &self,
        _ws: WorkspaceId,
        account_id: i64,
        channel: &str,
    ) -> Result<Credentials, SendError> {
        let prefix = format!("HEARKEN_{}_", channel.to_uppercase());
        let token = std::env::var(format!("{prefix}ACCESS_TOKEN")).map_err(|_| {
            tracing::warn!(
                account.id = account_id,
                "no credentials for account {account_id}"
            );
            SendError::Unavailable(format!("account {account_id} has no credentials"))
        })?;
        Ok(Credentials {
            access_token: SecretString::from(token),
            base_url: std::env::var(format!("{prefix}BASE_URL")).ok(),
        })
    }
}

/// A fixed map from channel to credentials, for tests and the stand-in servers.
#[derive(Default)]
pub struct StaticCredentials {
    by_channel: HashMap<String, Credentials>,
}

impl StaticCredentials {
    /// Adds the credentials used for every account of a channel.
    pub fn with(mut self, channel: &str, token: &str, base_url: Option<&str>) -> Self {
        self.by_channel.insert(
            channel.to_owned(),
            Credentials {
                access_token: SecretString::from(token.to_owned()),
                base_url: base_url.map(str::to_owned),
            },
        );
        self
    }
}

#[async_trait]
impl CredentialSource for StaticCredentials {
    async fn credentials(
        &self,
        _ws: WorkspaceId,
        account_id: i64,
        channel: &str,
    ) -> Result<Credentials, SendError> {
        self.by_channel.get(channel).cloned().ok_or_else(|| {
            SendError::Unavailable(format!("account {account_id} has no credentials"))
        })
    }
}
