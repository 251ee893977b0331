//! The reply-level record of one outbound message: what it answered, how it was drafted
//! and approved, the exact text sent with its hash, its platform id, and what happened to
//! it afterwards, checked against the audit log.

use serde::Serialize;

use super::timeline::VersionText;
use super::{erased_mark, tombstone, HistoryError};
use crate::audit::chain::content_hash;
use crate::domain::WorkspaceId;
use crate::http::views::AuditView;
use crate::storage::{AuditFilter, DynStore, HistMessageRow};

/// The inbound item a reply answered, as an agent may see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AnsweredItem {
    pub message_id: i64,
    pub platform_id: String,
    pub handle: Option<String>,
    pub text: Option<String>,
    pub tombstone: Option<String>,
    pub at: i64,
}

/// Everything about one outbound message.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReplyRecord {
    pub message_id: i64,
    pub conversation_id: i64,
    pub channel: String,
    pub account_id: i64,
    pub visibility: String,
    pub author_user_id: Option<i64>,
    pub sent_at: i64,
    /// The platform's id of the sent item.
    pub platform_id: String,
    /// The item it answered, when known.
    pub answered: Option<AnsweredItem>,
    /// The template used. TODO(#4): filled once templates record their use on drafts.
    pub template: Option<String>,
    /// Each draft version with its style-guide results. TODO(#4): extension point for the
    /// approvals work; empty until drafts are stored.
    pub drafts: Vec<serde_json::Value>,
    /// Each approval decision. TODO(#4): extension point, empty until approvals exist.
    pub approvals: Vec<serde_json::Value>,
    /// The exact text sent (absent once erased).
    pub text_sent: Option<String>,
    /// SHA-256 of the text sent, as recomputed now from the stored first version.
    pub text_sha256: Option<String>,
    /// The hash the audit log recorded when the reply was sent.
    pub logged_text_sha256: Option<String>,
    /// Whether the stored text still hashes to what the log recorded.
    pub text_matches_log: bool,
    /// Later edits on the platform (versions after the first).
    pub later_versions: Vec<VersionText>,
    pub deleted_at: Option<i64>,
    pub tombstone: Option<String>,
    /// Every audit event about this message, oldest first.
    pub events: Vec<AuditView>,
}

/// Builds the record of an outbound message.
pub async fn build(
    store: &DynStore,
    ws: WorkspaceId,
    message_id: i64,
) -> Result<ReplyRecord, HistoryError> {
    let row = store
        .message(ws, message_id)
        .await?
        .ok_or(HistoryError::NotFound)?;
    if row.message.direction != "out" {
        return Err(HistoryError::Invalid(
            "only outbound messages have a reply record".into(),
        ));
    }
    let mut versions = store.versions_in(ws, &[message_id]).await?.into_iter();
    let first = versions.next();
    let filter = AuditFilter {
        subject: Some(format!("message:{message_id}")),
        ..AuditFilter::default()
    };
    let mut events: Vec<AuditView> = store
        .audit_events(ws, &filter, 500)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    events.reverse();
    let logged = events
        .iter()
        .filter(|e| e.action == "reply.sent")
        .find_map(|e| logged_hash(e.after_state.as_deref()));
    let erased = row.erased_at.is_some();
    let text_sent = first.filter(|_| !erased).map(|v| v.text);
    let text_sha256 = text_sent.as_deref().map(content_hash);
    let answered = match &row.message.reply_to {
        Some(p) => store
            .message_by_platform_id(ws, &row.message.channel, p)
            .await?
            .map(answered_item),
        None => None,
    };
    let m = row.message;
    Ok(ReplyRecord {
        text_matches_log: text_sha256.is_some() && text_sha256 == logged,
        tombstone: match (row.erased_at, m.deleted_at) {
            (Some(at), _) => Some(erased_mark(at)),
            (None, Some(at)) => Some(tombstone(&m.channel, at)),
            _ => None,
        },
        later_versions: versions
            .filter(|_| !erased)
            .map(|v| VersionText {
                version: v.version,
                text: v.text,
                recorded_at: v.recorded_at,
            })
            .collect(),
        message_id: m.id,
        conversation_id: m.conversation_id,
        channel: m.channel,
        account_id: m.account_id,
        visibility: m.visibility,
        author_user_id: m.author_user_id,
        sent_at: m.platform_time,
        platform_id: m.platform_id,
        answered,
        template: None,
        drafts: Vec::new(),
        approvals: Vec::new(),
        text_sent,
        text_sha256,
        logged_text_sha256: logged,
        deleted_at: m.deleted_at,
        events,
    })
}

fn logged_hash(after: Option<&str>) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(after?).ok()?;
    v.get("text_sha256")?.as_str().map(str::to_owned)
}

fn answered_item(row: HistMessageRow) -> AnsweredItem {
    let m = row.message;
    let mark = match (row.erased_at, m.deleted_at) {
        (Some(at), _) => Some(erased_mark(at)),
        (None, Some(at)) => Some(tombstone(&m.channel, at)),
        _ => None,
    };
    AnsweredItem {
        message_id: m.id,
        platform_id: m.platform_id,
        handle: m.identity_handle,
        text: mark.is_none().then_some(m.text),
        tombstone: mark,
        at: m.platform_time,
    }
}
