//! API and page views of stored rows. Rows never leave the server as they are: views
//! choose the fields and the formats (RFC 3339 times in the API).

use serde::Serialize;

use crate::domain::time::rfc3339;
use crate::storage::{AuditRow, ConversationRow, MessageRow, NoteRow, UserRow};

/// A conversation in the inbox or on its page.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConversationView {
    pub id: i64,
    pub key: String,
    pub channel: String,
    pub account_id: i64,
    pub account: String,
    pub visibility: String,
    pub customer: Option<String>,
    pub contact_id: Option<i64>,
    pub status: String,
    pub priority: String,
    pub assignee_id: Option<i64>,
    pub team_id: Option<i64>,
    /// The latest customer message, whole; clients shorten it for display.
    pub preview: String,
    pub message_count: i64,
    /// Epoch milliseconds of the latest message.
    pub activity_at: i64,
    /// Epoch milliseconds of the oldest unanswered customer message.
    pub waiting_since: Option<i64>,
    pub activity: String,
    /// The language tag replies are checked against; absent: the workspace default.
    pub locale: Option<String>,
}

impl From<ConversationRow> for ConversationView {
    fn from(c: ConversationRow) -> Self {
        ConversationView {
            activity: rfc3339(c.activity_at),
            id: c.id,
            key: c.conv_key,
            channel: c.channel,
            account_id: c.account_id,
            account: c.account_handle,
            visibility: c.visibility,
            customer: c.customer_handle,
            contact_id: c.contact_id,
            status: c.status,
            priority: c.priority,
            assignee_id: c.assignee_id,
            team_id: c.team_id,
            preview: c.preview,
            message_count: c.message_count,
            activity_at: c.activity_at,
            waiting_since: c.waiting_since,
            locale: c.locale,
        }
    }
}

/// A message in a thread.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MessageView {
    pub id: i64,
    pub platform_id: String,
    pub direction: String,
    pub visibility: String,
    pub reply_to: Option<String>,
    /// The customer's handle (the author of inbound, the addressee of outbound).
    pub handle: Option<String>,
    /// The desk user who sent an outbound reply.
    pub author_user_id: Option<i64>,
    pub author: Option<String>,
    /// The text; empty when the message was deleted on the platform (see `tombstone`).
    pub text: String,
    /// "deleted on X at …" in place of the text of a deleted message. Auditors and admins
    /// read the original through `/api/v1/messages/{id}/original`, which is audited.
    pub tombstone: Option<String>,
    pub at: i64,
    pub created_at: String,
    pub delivery: String,
    pub deleted: bool,
    pub versions: i64,
}

impl MessageView {
    /// Builds the view; `author` is the sending user's display name, when known.
    pub fn new(m: MessageRow, author: Option<String>) -> MessageView {
        let tombstone = m
            .deleted_at
            .map(|at| crate::history::tombstone(&m.channel, at));
        MessageView {
            created_at: rfc3339(m.platform_time),
            id: m.id,
            platform_id: m.platform_id,
            direction: m.direction,
            visibility: m.visibility,
            reply_to: m.reply_to,
            handle: m.identity_handle,
            author_user_id: m.author_user_id,
            author,
            text: if tombstone.is_some() {
                String::new()
            } else {
                m.text
            },
            tombstone,
            at: m.platform_time,
            delivery: m.delivery,
            deleted: m.deleted_at.is_some(),
            versions: m.version_count,
        }
    }
}

/// An internal note.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NoteView {
    pub id: i64,
    pub author_id: i64,
    pub author: String,
    pub body: String,
    pub at: i64,
}

impl From<NoteRow> for NoteView {
    fn from(n: NoteRow) -> Self {
        NoteView {
            id: n.id,
            author_id: n.author_id,
            author: n.author_name,
            body: n.body,
            at: n.created_at,
        }
    }
}

/// A desk user, without secrets.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: String,
    pub team_id: Option<i64>,
}

impl From<UserRow> for UserView {
    fn from(u: UserRow) -> Self {
        UserView {
            id: u.id,
            email: u.email,
            name: u.display_name,
            role: u.role,
            team_id: u.team_id,
        }
    }
}

/// One audit event.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditView {
    pub seq: i64,
    pub at: i64,
    pub time: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub before_state: Option<String>,
    pub after_state: Option<String>,
    pub hash: String,
    pub prev_hash: String,
}

impl From<AuditRow> for AuditView {
    fn from(a: AuditRow) -> Self {
        AuditView {
            time: rfc3339(a.at),
            seq: a.seq,
            at: a.at,
            actor: a.actor,
            action: a.action,
            subject: a.subject,
            before_state: a.before_state,
            after_state: a.after_state,
            hash: a.hash,
            prev_hash: a.prev_hash,
        }
    }
}
