//! Stored rows, inserts and query filters. API and page views live with their handlers.

use serde::Serialize;

/// A workspace as stored.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct WorkspaceRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub created_at: i64,
}

/// A desk user as stored, including the password hash (never serialised).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub workspace_id: i64,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub team_id: Option<i64>,
    pub password_hash: String,
    pub created_at: i64,
}

impl UserRow {
    /// Whether the user's role works conversations (may be assigned one, may hold reply
    /// rights).
    pub fn works_conversations(&self) -> bool {
        (self.role.parse::<crate::domain::role::Role>())
            .is_ok_and(|r| r.can(crate::domain::role::Permission::WorkConversations))
    }
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub team_id: Option<i64>,
    pub password_hash: String,
}

/// A team as stored.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct TeamRow {
    pub id: i64,
    pub workspace_id: i64,
    pub name: String,
    /// The team lead, told about SLA warnings and breaches of the team's conversations.
    pub lead_user_id: Option<i64>,
}

/// A browser session; `token_hash` is the SHA-256 of the cookie value.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub token_hash: String,
    pub user_id: i64,
    pub workspace_id: i64,
    pub csrf_token: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// An API token; only its hash is stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    pub id: i64,
    pub workspace_id: i64,
    pub user_id: i64,
    pub name: String,
    pub token_hash: String,
    pub created_at: i64,
}

/// A connected brand account.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct AccountRow {
    pub id: i64,
    pub workspace_id: i64,
    pub channel: String,
    pub handle: String,
    pub created_at: i64,
}

/// What one ingest call did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IngestReport {
    /// Messages stored for the first time.
    pub imported: u64,
    /// Messages already present (same channel and platform id).
    pub duplicates: u64,
    /// Conversations created or changed.
    pub touched_conversations: Vec<i64>,
}

/// A conversation as stored, with its customer's handle joined in.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConversationRow {
    pub id: i64,
    pub workspace_id: i64,
    pub conv_key: String,
    pub account_id: i64,
    pub account_handle: String,
    pub channel: String,
    pub visibility: String,
    pub identity_id: Option<i64>,
    pub customer_handle: Option<String>,
    pub contact_id: Option<i64>,
    pub status: String,
    pub priority: String,
    pub assignee_id: Option<i64>,
    pub team_id: Option<i64>,
    pub preview: String,
    pub message_count: i64,
    pub first_message_at: i64,
    pub activity_at: i64,
    pub waiting_since: Option<i64>,
    pub resolved_at: Option<i64>,
    /// The conversation's language tag; `None` means the workspace default.
    pub locale: Option<String>,
}

/// A keyset position in the inbox: the last row's activity time and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InboxCursor {
    pub activity_at: i64,
    pub id: i64,
}

impl InboxCursor {
    /// Text form used in URLs: `activity_at.id`.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.activity_at, self.id)
    }

    /// Parses the URL form; `None` for anything malformed.
    pub fn decode(s: &str) -> Option<InboxCursor> {
        let (a, b) = s.split_once('.')?;
        Some(InboxCursor {
            activity_at: a.parse().ok()?,
            id: b.parse().ok()?,
        })
    }
}

/// Inbox filters; all optional and combined with AND.
#[derive(Debug, Clone, Default)]
pub struct InboxFilter {
    pub channel: Option<String>,
    pub account_id: Option<i64>,
    pub status: Option<String>,
    pub assignee_id: Option<i64>,
    pub unassigned: bool,
    pub team_id: Option<i64>,
    pub tag: Option<String>,
    pub waiting: bool,
    pub text: Option<String>,
    pub after: Option<InboxCursor>,
}

/// One change to a conversation's work fields; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct ConversationChange {
    pub status: Option<String>,
    pub priority: Option<String>,
    /// `Some(None)` unassigns.
    pub assignee_id: Option<Option<i64>>,
    /// `Some(None)` clears the team.
    pub team_id: Option<Option<i64>>,
    /// A canonical language tag; `Some(None)` clears it.
    pub locale: Option<Option<String>>,
}

/// A message as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageRow {
    pub id: i64,
    pub workspace_id: i64,
    pub conversation_id: i64,
    pub account_id: i64,
    pub channel: String,
    pub platform_id: String,
    pub direction: String,
    pub visibility: String,
    pub reply_to: Option<String>,
    pub identity_id: Option<i64>,
    /// Handle of the customer identity the message is from (inbound) or to (outbound).
    pub identity_handle: Option<String>,
    pub author_user_id: Option<i64>,
    pub text: String,
    pub platform_time: i64,
    pub received_at: i64,
    pub delivery: String,
    pub deleted_at: Option<i64>,
    pub version_count: i64,
}

/// An internal note.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NoteRow {
    pub id: i64,
    pub workspace_id: i64,
    pub conversation_id: i64,
    pub author_id: i64,
    pub author_name: String,
    pub body: String,
    pub created_at: i64,
}

/// What the sandbox channel received.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct OutboxRow {
    pub workspace_id: i64,
    pub account_id: i64,
    pub platform_id: String,
    /// `dm` or `public`.
    pub kind: String,
    pub in_reply_to: Option<String>,
    pub text: String,
    pub created_at: i64,
}

/// A reply that left through an adapter, to record in its conversation.
#[derive(Debug, Clone)]
pub struct NewOutbound {
    pub conversation_id: i64,
    pub account_id: i64,
    pub channel: String,
    pub platform_id: String,
    pub visibility: String,
    pub reply_to: Option<String>,
    pub identity_id: Option<i64>,
    pub author_user_id: i64,
    pub text: String,
    pub sent_at: i64,
    /// How the reply was composed; recorded in its `reply.sent` audit event.
    pub provenance: Provenance,
}

/// How a reply was composed: the template it started from and the style guide (locale and
/// version) it was checked against. The reply-level record re-runs that guide on every
/// version to show its findings.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Provenance {
    pub template_id: Option<i64>,
    pub locale: Option<String>,
    pub style_version: Option<i64>,
}

/// An audit event to append; the store assigns the sequence number and the hash.
#[derive(Debug, Clone)]
pub struct NewAuditEvent {
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// One link of a workspace's audit chain.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub workspace_id: i64,
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub before_state: Option<String>,
    pub after_state: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// Audit log filters, combined with AND; `before_seq` pages backwards.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub subject: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub before_seq: Option<i64>,
}

/// Inbound volume in one time bucket for one channel and account.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct VolumeRow {
    pub bucket: i64,
    pub channel: String,
    pub account_id: i64,
    pub count: i64,
}

/// What is waiting now.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WaitingStats {
    /// Conversations with a customer message not yet answered.
    pub waiting: i64,
    /// Of those, the ones that never had any answer.
    pub waiting_first_answer: i64,
    /// The oldest unanswered customer message, epoch ms.
    pub oldest_waiting_since: Option<i64>,
    /// Conversations resolved since the given instant.
    pub resolved_since: i64,
}

/// One message with what export needs to rebuild it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExportRow {
    pub id: i64,
    pub conv_key: String,
    pub conv_status: String,
    pub conv_priority: String,
    pub account_handle: String,
    pub channel: String,
    pub platform_id: String,
    pub direction: String,
    pub visibility: String,
    pub reply_to: Option<String>,
    pub author_platform_user_id: Option<String>,
    pub author_handle: Option<String>,
    pub author_display_name: Option<String>,
    pub text: String,
    pub platform_time: i64,
    pub deleted_at: Option<i64>,
    pub conversation_id: i64,
    pub version_count: i64,
}
