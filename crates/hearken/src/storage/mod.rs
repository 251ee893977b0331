//! The one storage trait and its backends.
//!
//! Every method takes the workspace it works in; no query reads or writes another
//! workspace's rows. The SQLite and PostgreSQL backends share their SQL through the
//! `sql_store!` macro in `sql.rs`; what differs between the dialects lives in `Dialect`.

pub mod approvals;
pub mod channels;
pub mod escalation;
pub mod history;
pub mod identities;
pub(crate) mod ingest;
pub mod listening;
mod models;
mod postgres;
pub mod presence;
pub mod routing;
pub mod sla;
mod sla_batch;
mod sql;
mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;

pub use self::history::{
    AttributeRow, CheckpointRow, ContactRow, DeletionReport, ErasureReport, ErasureRequest,
    HistMessageRow, HistoryStore, HoldRow, IdentityNameRow, IdentityRow, LinkRow, NewAttribute,
    NewCheckpoint, NewLink, PreservedRow, Redactor, SuggestionRow, TagRow, VersionRow,
};
pub use self::models::{
    AccountRow, AuditFilter, AuditRow, ConversationChange, ConversationRow, ExportRow, InboxCursor,
    InboxFilter, IngestReport, MessageRow, NewAuditEvent, NewOutbound, NewUser, NoteRow, OutboxRow,
    Provenance, SessionRow, TeamRow, TokenRow, UserRow, VolumeRow, WaitingStats, WorkspaceRow,
};
pub use self::sla::SlaStore;
use crate::domain::message::IncomingMessage;
use crate::domain::role::Role;
use crate::domain::{Actor, WorkspaceId};

/// Errors from the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row asked for does not exist in this workspace.
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken; the text names the rule.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database URL is not one Hearken knows.
    #[error("unsupported database URL (expected sqlite:// or postgres://)")]
    UnsupportedUrl,
    /// Any other database failure.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// Turns a unique-constraint violation into `Conflict`, leaving other errors alone.
    pub(crate) fn from_insert(err: sqlx::Error, what: &str) -> StoreError {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(format!("{what} already exists"))
            }
            _ => StoreError::Database(err),
        }
    }
}

/// Result alias for storage calls.
pub type StoreResult<T> = Result<T, StoreError>;

/// Shared handle to whichever backend the URL picked.
pub type DynStore = Arc<dyn Store>;

/// Everything Hearken keeps, behind one interface with a backend per database.
#[async_trait]
pub trait Store:
    SlaStore
    + escalation::EscalationStore
    + channels::ChannelStore
    + approvals::ApprovalStore
    + HistoryStore
    + identities::ChannelsStore
    + listening::ListeningStore
    + presence::PresenceStore
    + routing::RoutingStore
    + Send
    + Sync
    + 'static
{
    /// Which backend this is (`sqlite` or `postgres`), for logs and benchmarks.
    fn backend(&self) -> &'static str;

    /// Applies forward-only migrations.
    async fn migrate(&self) -> StoreResult<()>;

    /// Refreshes the query planner's statistics after a bulk load. PostgreSQL plans the
    /// import's own lookups from them, and a table that grew from empty without them (no
    /// autovacuum, or not yet) gets scans instead of index lookups; SQLite needs nothing.
    async fn refresh_planner_stats(&self) -> StoreResult<()>;

    async fn create_workspace(&self, slug: &str, name: &str) -> StoreResult<WorkspaceRow>;
    async fn workspace_by_slug(&self, slug: &str) -> StoreResult<Option<WorkspaceRow>>;
    async fn workspaces(&self) -> StoreResult<Vec<WorkspaceRow>>;

    async fn create_user(
        &self,
        ws: WorkspaceId,
        user: &NewUser,
        actor: &Actor,
    ) -> StoreResult<UserRow>;
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserRow>>;
    async fn user(&self, ws: WorkspaceId, id: i64) -> StoreResult<Option<UserRow>>;
    async fn users(&self, ws: WorkspaceId) -> StoreResult<Vec<UserRow>>;
    async fn set_role(
        &self,
        ws: WorkspaceId,
        id: i64,
        role: Role,
        actor: &Actor,
    ) -> StoreResult<UserRow>;
    async fn set_password(
        &self,
        ws: WorkspaceId,
        id: i64,
        hash: &str,
        actor: &Actor,
    ) -> StoreResult<()>;
    async fn create_team(&self, ws: WorkspaceId, name: &str, actor: &Actor)
        -> StoreResult<TeamRow>;
    async fn teams(&self, ws: WorkspaceId) -> StoreResult<Vec<TeamRow>>;
    /// Sets or clears a team's lead (a user of the workspace), with audit; `NotFound`
    /// when the team or the user is not in this workspace.
    async fn set_team_lead(
        &self,
        ws: WorkspaceId,
        team_id: i64,
        lead_user_id: Option<i64>,
        actor: &Actor,
    ) -> StoreResult<TeamRow>;

    async fn create_session(&self, session: &SessionRow) -> StoreResult<()>;
    async fn session(&self, token_hash: &str, now: i64) -> StoreResult<Option<SessionRow>>;
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;
    async fn create_token(
        &self,
        ws: WorkspaceId,
        user_id: i64,
        name: &str,
        token_hash: &str,
        actor: &Actor,
    ) -> StoreResult<TokenRow>;
    async fn token(&self, token_hash: &str) -> StoreResult<Option<TokenRow>>;

    async fn ensure_account(
        &self,
        ws: WorkspaceId,
        channel: &str,
        handle: &str,
    ) -> StoreResult<AccountRow>;
    async fn accounts(&self, ws: WorkspaceId) -> StoreResult<Vec<AccountRow>>;

    /// Places a batch of validated messages, exactly once each, in one transaction.
    async fn ingest(
        &self,
        ws: WorkspaceId,
        actor: &Actor,
        batch: &[IncomingMessage],
    ) -> StoreResult<IngestReport>;

    async fn inbox(
        &self,
        ws: WorkspaceId,
        filter: &InboxFilter,
        limit: i64,
    ) -> StoreResult<Vec<ConversationRow>>;
    async fn conversation(&self, ws: WorkspaceId, id: i64) -> StoreResult<Option<ConversationRow>>;
    async fn conversation_messages(&self, ws: WorkspaceId, id: i64)
        -> StoreResult<Vec<MessageRow>>;
    /// Every version of a message's text, oldest first.
    async fn message_versions(&self, ws: WorkspaceId, message_id: i64) -> StoreResult<Vec<String>>;
    async fn contact_conversations(
        &self,
        ws: WorkspaceId,
        contact_id: i64,
    ) -> StoreResult<Vec<ConversationRow>>;
    async fn notes(&self, ws: WorkspaceId, conversation_id: i64) -> StoreResult<Vec<NoteRow>>;
    async fn tags(&self, ws: WorkspaceId, conversation_id: i64) -> StoreResult<Vec<String>>;
    async fn change_conversation(
        &self,
        ws: WorkspaceId,
        id: i64,
        change: &ConversationChange,
        actor: &Actor,
    ) -> StoreResult<ConversationRow>;
    async fn add_tag(&self, ws: WorkspaceId, id: i64, tag: &str, actor: &Actor) -> StoreResult<()>;
    async fn remove_tag(
        &self,
        ws: WorkspaceId,
        id: i64,
        tag: &str,
        actor: &Actor,
    ) -> StoreResult<()>;
    async fn add_note(
        &self,
        ws: WorkspaceId,
        id: i64,
        author_id: i64,
        body: &str,
    ) -> StoreResult<NoteRow>;

    /// Writes what the sandbox channel "delivered", as a platform would have received it.
    async fn sandbox_deliver(&self, ws: WorkspaceId, row: &OutboxRow) -> StoreResult<()>;
    async fn sandbox_outbox(&self, ws: WorkspaceId) -> StoreResult<Vec<OutboxRow>>;
    /// Records a sent reply in its conversation, with its audit event, in one transaction.
    async fn record_outbound(
        &self,
        ws: WorkspaceId,
        reply: &NewOutbound,
        actor: &Actor,
    ) -> StoreResult<MessageRow>;

    async fn append_audit(&self, ws: WorkspaceId, event: &NewAuditEvent) -> StoreResult<AuditRow>;
    async fn audit_events(
        &self,
        ws: WorkspaceId,
        filter: &AuditFilter,
        limit: i64,
    ) -> StoreResult<Vec<AuditRow>>;
    /// The chain in sequence order from `after_seq`, for verification.
    async fn audit_chain(
        &self,
        ws: WorkspaceId,
        after_seq: i64,
        limit: i64,
    ) -> StoreResult<Vec<AuditRow>>;

    async fn volume(
        &self,
        ws: WorkspaceId,
        since: i64,
        bucket_ms: i64,
    ) -> StoreResult<Vec<VolumeRow>>;
    async fn waiting_stats(
        &self,
        ws: WorkspaceId,
        resolved_since: i64,
    ) -> StoreResult<WaitingStats>;

    /// Messages in id order after `after_id`, for export.
    async fn export_page(
        &self,
        ws: WorkspaceId,
        after_id: i64,
        limit: i64,
    ) -> StoreResult<Vec<ExportRow>>;
}

/// Opens the backend named by the URL, with a pool sized for the machine, and migrates it.
pub async fn connect(url: &str) -> StoreResult<DynStore> {
    let store: DynStore = if url.starts_with("sqlite:") {
        Arc::new(sqlite::SqliteStore::connect(url).await?)
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Arc::new(postgres::PgStore::connect(url, None).await?)
    } else {
        return Err(StoreError::UnsupportedUrl);
    };
    store.migrate().await?;
    Ok(store)
}

/// Opens PostgreSQL inside one schema (created if missing): each test gets its own.
pub async fn connect_pg_schema(url: &str, schema: &str) -> StoreResult<DynStore> {
    let store: DynStore = Arc::new(postgres::PgStore::connect(url, Some(schema)).await?);
    store.migrate().await?;
    Ok(store)
}
