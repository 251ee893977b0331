//! The application: shared state and how the pieces are wired together. Tests build the
//! same `AppState` and router as `serve` does.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;

use crate::auth::limiter::LoginLimiter;
use crate::channels::runtime::Channels;
use crate::channels::secrets::Sealer;
use crate::config::Settings;
use crate::domain::WorkspaceId;
use crate::http::templates::Templates;
use crate::replies::adapter::{ChannelAdapter, SendError};
use crate::replies::sandbox::SandboxAdapter;
use crate::storage::DynStore;

/// Something that happened in a workspace, pushed live to dashboards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskEvent {
    pub workspace: WorkspaceId,
    pub conversation_id: Option<i64>,
}

impl DeskEvent {
    /// A conversation was created or changed.
    pub fn changed(workspace: WorkspaceId, conversation_id: i64) -> DeskEvent {
        DeskEvent {
            workspace,
            conversation_id: Some(conversation_id),
        }
    }
}

/// Channel adapters by channel name.
pub struct Adapters {
    by_channel: HashMap<String, Arc<dyn ChannelAdapter>>,
}

impl Adapters {
    /// The adapters available in this build: today the sandbox, which also stands in for
    /// imported X conversations so the whole loop can be tried on real data.
    pub fn standard(store: DynStore) -> Adapters {
        let sandbox: Arc<dyn ChannelAdapter> = Arc::new(SandboxAdapter::new(store));
        let mut by_channel = HashMap::new();
        by_channel.insert("sandbox".to_owned(), sandbox.clone());
        // Real clients replace these in `from_env`.
        // TODO(#6): pick per connected account once the account store holds credentials.
        for ch in [
            "x",
            "facebook",
            "instagram",
            "messenger",
            "mastodon",
            "reddit",
        ] {
            by_channel.insert(ch.to_owned(), sandbox.clone());
        }
        Adapters { by_channel }
    }

    /// The standard adapters, with the real platform clients in place of the sandbox when
    /// `HEARKEN_CHANNELS=live`; each channel's token then comes from
    /// `HEARKEN_<CHANNEL>_ACCESS_TOKEN` (see `replies::credentials::EnvCredentials`).
    pub fn from_env(store: DynStore) -> Adapters {
        let mut adapters = Adapters::standard(store);
        if std::env::var("HEARKEN_CHANNELS").as_deref() == Ok("live") {
            use crate::replies::clients::{self, transport};
            let transport = transport::Transport::new(
                transport::RetryPolicy::default(),
                Arc::new(transport::TokioPause),
            );
            clients::install(
                &mut adapters,
                &clients::Endpoints::default(),
                Arc::new(crate::replies::credentials::EnvCredentials),
                transport,
            );
        }
        adapters
    }

    /// Replaces or adds an adapter (tests use this for fakes).
    pub fn insert(&mut self, channel: &str, adapter: Arc<dyn ChannelAdapter>) {
        self.by_channel.insert(channel.to_owned(), adapter);
    }

    /// The adapter for a channel.
    pub fn for_channel(&self, channel: &str) -> Result<Arc<dyn ChannelAdapter>, SendError> {
        self.by_channel
            .get(channel)
            .cloned()
            .ok_or_else(|| SendError::Unsupported(channel.to_owned()))
    }
}

/// Shared state of a running Hearken.
#[derive(Clone)]
pub struct AppState {
    pub store: DynStore,
    pub settings: Arc<Settings>,
    pub adapters: Arc<Adapters>,
    pub templates: Arc<Templates>,
    pub login_limiter: Arc<LoginLimiter>,
    pub events: broadcast::Sender<DeskEvent>,
    /// Webhook intake, connected accounts and the processing worker (issue #6).
    pub channels: Arc<Channels>,
}

impl AppState {
    /// Builds the state over an opened store.
    pub fn new(store: DynStore, settings: Settings) -> AppState {
        let adapters = Adapters::from_env(store.clone());
        AppState::with_adapters(store, settings, adapters)
    }

    /// Builds the state with the given adapters.
    pub fn with_adapters(store: DynStore, settings: Settings, adapters: Adapters) -> AppState {
        let (events, _) = broadcast::channel(1024);
        let limiter = LoginLimiter::new(
            settings.login_attempts,
            Duration::from_secs(settings.login_window_secs),
        );
        let sealer = settings.secret_key.as_ref().map(Sealer::from_text);
        AppState {
            channels: Arc::new(Channels::new(store.clone(), sealer)),
            store,
            adapters: Arc::new(adapters),
            templates: Arc::new(Templates::new()),
            login_limiter: Arc::new(limiter),
            events,
            settings: Arc::new(settings),
        }
    }

    /// Tells live listeners that something changed; nobody listening is fine.
    pub fn publish(&self, event: DeskEvent) {
        let _ = self.events.send(event);
    }
}
