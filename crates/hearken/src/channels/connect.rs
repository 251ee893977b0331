//! Connecting an account: the one path used by the API, the admin page and the CLI.

use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use super::runtime::Channels;
use super::secrets::{binding, Credentials, SealError};
use crate::domain::channel::Channel;
use crate::domain::{Actor, WorkspaceId};
use crate::storage::channels::{ConnectionRow, DeliveryStats, NewConnection};
use crate::storage::{DynStore, StoreError};

/// An account to connect, with its platform credentials.
#[derive(Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ConnectRequest {
    /// x, facebook, instagram, messenger, mastodon or reddit.
    pub channel: String,
    /// The brand account's handle or page name.
    pub handle: String,
    /// The account's own id on the platform (page id, X user id, Mastodon account id).
    pub platform_user_id: String,
    /// Our app id on the platform, to recognise our own echoes.
    #[serde(default)]
    pub app_id: Option<String>,
    /// Instance URL for polled channels (Mastodon).
    #[serde(default)]
    pub base_url: Option<String>,
    /// Meta app secret or X consumer secret.
    #[serde(default)]
    pub app_secret: Option<String>,
    /// Access token for the platform's API.
    #[serde(default)]
    pub access_token: Option<String>,
    /// The Meta subscription verify token.
    #[serde(default)]
    pub verify_token: Option<String>,
}

impl std::fmt::Debug for ConnectRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectRequest")
            .field("channel", &self.channel)
            .field("platform_user_id", &self.platform_user_id)
            .field("secrets", &"[redacted]")
            .finish()
    }
}

/// A connected account as shown to admins: credentials masked.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConnectionView {
    pub account_id: i64,
    pub channel: String,
    pub handle: String,
    pub platform_user_id: String,
    pub app_id: Option<String>,
    pub base_url: Option<String>,
    /// Masked credentials, e.g. `{"app_secret": "••••a1b2"}`.
    #[schema(value_type = Object)]
    pub credentials: serde_json::Value,
    /// The path to register with the platform, under this server's public address.
    pub webhook_path: String,
    pub deliveries: DeliveryStats,
    /// Whether a delivery arrived in the last 24 hours.
    pub arriving: bool,
}

/// Why an account could not be connected.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Seal(#[from] SealError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Validates, seals the credentials and stores the connection.
pub async fn connect(
    channels: &Channels,
    store: &DynStore,
    ws: WorkspaceId,
    req: &ConnectRequest,
    actor: &Actor,
) -> Result<ConnectionView, ConnectError> {
    let channel: Channel =
        req.channel
            .parse()
            .map_err(|e: crate::domain::channel::UnknownChannel| {
                ConnectError::Invalid(e.to_string())
            })?;
    let handle = req.handle.trim();
    let user_id = req.platform_user_id.trim();
    if handle.is_empty() || handle.len() > 200 || user_id.is_empty() || user_id.len() > 200 {
        return Err(ConnectError::Invalid(
            "handle and platform_user_id are 1 to 200 characters".into(),
        ));
    }
    let signs = matches!(
        channel,
        Channel::X
            | Channel::Facebook
            | Channel::Instagram
            | Channel::Messenger
            | Channel::Mastodon
    );
    if signs && req.app_secret.as_deref().unwrap_or("").is_empty() {
        return Err(ConnectError::Invalid(format!(
            "{channel} signs its webhooks: the app secret is required"
        )));
    }
    let creds = Credentials::new(
        req.app_secret.clone(),
        req.access_token.clone(),
        req.verify_token.clone(),
    );
    let sealer = channels.sealer()?;
    let new = NewConnection {
        channel: channel.as_str().to_owned(),
        handle: handle.to_owned(),
        platform_user_id: user_id.to_owned(),
        app_id: req.app_id.clone().filter(|s| !s.is_empty()),
        base_url: req.base_url.clone().filter(|s| !s.is_empty()),
        sealed_credentials: sealer.seal(&binding(channel.as_str(), handle), &creds),
        credential_masks: creds.masks().to_string(),
    };
    let row = store.connect_account(ws, &new, actor).await?;
    channels.forget(row.account_id);
    tracing::info!(account.id = row.account_id, channel = %channel, "account {} connected", row.account_id);
    Ok(view(store, row).await?)
}

/// The admin view of a connection.
pub async fn view(store: &DynStore, row: ConnectionRow) -> Result<ConnectionView, StoreError> {
    let ws = WorkspaceId(row.workspace_id);
    let deliveries = store.delivery_stats(ws, row.account_id).await?;
    let now = crate::domain::time::now_millis();
    Ok(ConnectionView {
        webhook_path: format!("/hooks/{}/{}", row.channel, row.account_id),
        arriving: deliveries
            .last_received_at
            .is_some_and(|t| now - t < 24 * 3_600_000),
        deliveries,
        credentials: serde_json::from_str(&row.credential_masks).unwrap_or_default(),
        account_id: row.account_id,
        channel: row.channel,
        handle: row.handle,
        platform_user_id: row.platform_user_id,
        app_id: row.app_id,
        base_url: row.base_url,
    })
}

/// Every connection of a workspace, as admins see them.
pub async fn list(store: &DynStore, ws: WorkspaceId) -> Result<Vec<ConnectionView>, StoreError> {
    let mut out = Vec::new();
    for row in store.connections(ws).await? {
        out.push(view(store, row).await?);
    }
    Ok(out)
}

/// The access token of a connection, for pollers.
pub fn access_token(channels: &Channels, row: &ConnectionRow) -> Result<Option<String>, SealError> {
    let creds = channels
        .sealer()?
        .open(&binding(&row.channel, &row.handle), &row.sealed_credentials)?;
    Ok(creds.access_token.map(|t| t.expose_secret().to_owned()))
}
