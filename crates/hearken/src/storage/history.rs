//! Storage of message history (issue #5): contacts' attributes and links, the person's
//! timeline, preserved originals, contact deletion, erasure, retention, legal holds and
//! signed checkpoints of the audit chain.
//!
//! Links never move identities or conversations: a person is the set of contacts joined
//! by active links, computed when read, so undoing a link restores exactly the previous
//! state. Removing content keeps the audit chain verifiable because events carry content
//! hashes, never content.

use async_trait::async_trait;
use serde::Serialize;

use super::{ConversationRow, MessageRow, NoteRow, StoreResult};
use crate::domain::{Actor, WorkspaceId};

/// A contact (a person as one record) as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct ContactRow {
    pub id: i64,
    pub workspace_id: i64,
    pub display_name: String,
    /// 1 for a VIP.
    pub vip: i64,
    pub created_at: i64,
}

/// One platform identity of a contact.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct IdentityRow {
    pub id: i64,
    pub workspace_id: i64,
    pub channel: String,
    pub platform_user_id: String,
    pub handle: String,
    pub display_name: Option<String>,
    pub contact_id: i64,
    pub created_at: i64,
}

/// A name an identity had before a newer message renamed it (#5).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct IdentityNameRow {
    pub identity_id: i64,
    pub handle: String,
    pub display_name: Option<String>,
    /// Platform time (epoch ms) of the first message under the next name.
    pub until_at: i64,
}

/// An email, phone or custom attribute of a contact.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct AttributeRow {
    pub id: i64,
    pub workspace_id: i64,
    pub contact_id: i64,
    /// `email`, `phone` or `custom`.
    pub kind: String,
    /// The attribute's name (`email`, `phone`, or the custom name).
    pub name: String,
    pub value: String,
    /// 1 when verified.
    pub verified: i64,
    pub created_at: i64,
}

/// An attribute to add; the value is already normalised.
#[derive(Debug, Clone)]
pub struct NewAttribute {
    pub kind: String,
    pub name: String,
    pub value: String,
    pub verified: bool,
}

/// A link between two contacts, with its evidence.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct LinkRow {
    pub id: i64,
    pub workspace_id: i64,
    /// The contact linked into.
    pub contact_id: i64,
    /// The contact joined to it.
    pub linked_contact_id: i64,
    /// `manual`, `verified_email` or `customer_confirmed`.
    pub reason: String,
    pub evidence: String,
    pub linked_by: String,
    pub linked_at: i64,
    pub undone_by: Option<String>,
    pub undone_at: Option<i64>,
}

/// A link to record.
#[derive(Debug, Clone)]
pub struct NewLink {
    pub contact_id: i64,
    pub linked_contact_id: i64,
    pub reason: String,
    pub evidence: String,
}

/// A suggested link: two contacts share an email, a phone, or a handle on two platforms.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, sqlx::FromRow, Serialize, utoipa::ToSchema,
)]
pub struct SuggestionRow {
    pub contact_id: i64,
    pub other_contact_id: i64,
    /// `email`, `phone` or `handle`.
    pub basis: String,
}

/// One version of a message's text.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct VersionRow {
    pub message_id: i64,
    pub version: i64,
    pub text: String,
    pub recorded_at: i64,
}

/// A message with its erasure mark.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HistMessageRow {
    #[sqlx(flatten)]
    pub message: MessageRow,
    pub erased_at: Option<i64>,
}

/// A tag of a conversation.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TagRow {
    pub conversation_id: i64,
    pub tag: String,
}

/// A signed checkpoint of an audit chain head.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct CheckpointRow {
    pub id: i64,
    pub workspace_id: i64,
    pub seq: i64,
    pub hash: String,
    pub at: i64,
    pub key_id: String,
    pub signature: String,
}

/// A checkpoint to store.
#[derive(Debug, Clone)]
pub struct NewCheckpoint {
    pub seq: i64,
    pub hash: String,
    pub at: i64,
    pub key_id: String,
    pub signature: String,
}

/// Removed content kept for auditors.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct PreservedRow {
    pub id: i64,
    pub workspace_id: i64,
    /// `message_version` or `note`.
    pub kind: String,
    pub source_id: i64,
    pub message_id: Option<i64>,
    pub conversation_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub version: Option<i64>,
    pub text: String,
    pub cause: String,
    pub root_seq: i64,
    pub preserved_at: i64,
    pub erased_at: Option<i64>,
}

/// What deleting a contact removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DeletionReport {
    /// Sequence number of the root audit event.
    pub root_seq: i64,
    pub conversations: Vec<i64>,
    pub messages: Vec<i64>,
}

/// What an erasure or a retention run emptied.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ErasureReport {
    pub root_seq: i64,
    pub messages: u64,
    pub versions: u64,
    pub notes: u64,
    pub preserved: u64,
    /// Reply draft versions emptied or redacted.
    pub drafts: u64,
    /// Items skipped because a legal hold covers them.
    pub held: u64,
}

/// A legal hold.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct HoldRow {
    pub id: i64,
    pub workspace_id: i64,
    /// `contact` or `conversation`.
    pub subject_kind: String,
    pub subject_id: i64,
    pub reason: String,
    pub placed_by: String,
    pub placed_at: i64,
    pub released_by: Option<String>,
    pub released_at: Option<i64>,
}

/// What to erase, and why.
#[derive(Debug, Clone)]
pub struct ErasureRequest {
    /// Short label of the cause: `privacy_request`, `card_number`, `retention`.
    pub cause: String,
    /// Free text from the person asking.
    pub reason: String,
}

/// Rewrites a text, or says it needs no change; used to mask card numbers.
pub type Redactor = dyn Fn(&str) -> Option<String> + Send + Sync;

/// Storage of message history, preserved originals and audit checkpoints.
#[async_trait]
pub trait HistoryStore {
    async fn contact(&self, ws: WorkspaceId, id: i64) -> StoreResult<Option<ContactRow>>;
    async fn set_vip(
        &self,
        ws: WorkspaceId,
        id: i64,
        vip: bool,
        actor: &Actor,
    ) -> StoreResult<ContactRow>;
    async fn identities_of(
        &self,
        ws: WorkspaceId,
        contacts: &[i64],
    ) -> StoreResult<Vec<IdentityRow>>;
    async fn attributes_of(
        &self,
        ws: WorkspaceId,
        contacts: &[i64],
    ) -> StoreResult<Vec<AttributeRow>>;
    async fn add_attribute(
        &self,
        ws: WorkspaceId,
        contact_id: i64,
        attr: &NewAttribute,
        actor: &Actor,
    ) -> StoreResult<AttributeRow>;

    /// Every contact joined to `contact_id` by active links, itself included, sorted.
    async fn person(&self, ws: WorkspaceId, contact_id: i64) -> StoreResult<Vec<i64>>;
    /// Links touching any of the contacts, undone ones included, oldest first.
    async fn links_of(&self, ws: WorkspaceId, contacts: &[i64]) -> StoreResult<Vec<LinkRow>>;
    async fn link_contacts(
        &self,
        ws: WorkspaceId,
        link: &NewLink,
        actor: &Actor,
    ) -> StoreResult<LinkRow>;
    async fn undo_link(&self, ws: WorkspaceId, link_id: i64, actor: &Actor)
        -> StoreResult<LinkRow>;
    /// Suggested links, each pair once; only pairs touching `contacts` when given.
    /// Dismissed pairs are left out.
    async fn link_suggestions(
        &self,
        ws: WorkspaceId,
        contacts: Option<&[i64]>,
    ) -> StoreResult<Vec<SuggestionRow>>;
    /// Dismisses a suggestion ("not the same person"); audited. Idempotent.
    async fn dismiss_suggestion(
        &self,
        ws: WorkspaceId,
        s: &SuggestionRow,
        reason: &str,
        actor: &Actor,
    ) -> StoreResult<()>;

    async fn conversations_of(
        &self,
        ws: WorkspaceId,
        contacts: &[i64],
    ) -> StoreResult<Vec<ConversationRow>>;
    async fn messages_in(
        &self,
        ws: WorkspaceId,
        conversations: &[i64],
    ) -> StoreResult<Vec<HistMessageRow>>;
    async fn versions_in(&self, ws: WorkspaceId, messages: &[i64]) -> StoreResult<Vec<VersionRow>>;
    async fn notes_in(&self, ws: WorkspaceId, conversations: &[i64]) -> StoreResult<Vec<NoteRow>>;
    async fn tags_in(&self, ws: WorkspaceId, conversations: &[i64]) -> StoreResult<Vec<TagRow>>;
    async fn message(&self, ws: WorkspaceId, id: i64) -> StoreResult<Option<HistMessageRow>>;
    /// The message of this channel with this platform id.
    async fn message_by_platform_id(
        &self,
        ws: WorkspaceId,
        channel: &str,
        platform_id: &str,
    ) -> StoreResult<Option<HistMessageRow>>;

    /// Every version of a message as stored or preserved, with the reading audited in the
    /// same transaction. `None` when the message never existed in this workspace.
    async fn read_original(
        &self,
        ws: WorkspaceId,
        message_id: i64,
        actor: &Actor,
    ) -> StoreResult<Option<Vec<VersionRow>>>;
    /// The preserved originals of a deleted contact, with the reading audited.
    async fn read_preserved(
        &self,
        ws: WorkspaceId,
        contact_id: i64,
        actor: &Actor,
    ) -> StoreResult<Vec<PreservedRow>>;

    /// Deletes a contact with its conversations, messages, notes and identities; the
    /// originals move to the auditor-only store. One root event, one per item removed.
    async fn delete_contact(
        &self,
        ws: WorkspaceId,
        contact_id: i64,
        reason: &str,
        actor: &Actor,
    ) -> StoreResult<DeletionReport>;
    /// Empties every text of a contact (messages, versions, notes, previews, originals),
    /// also when the contact was deleted and only its preserved originals remain.
    async fn erase_contact(
        &self,
        ws: WorkspaceId,
        contact_id: i64,
        req: &ErasureRequest,
        actor: &Actor,
    ) -> StoreResult<ErasureReport>;
    /// Rewrites one message's texts everywhere with `redact` (card numbers).
    async fn redact_message(
        &self,
        ws: WorkspaceId,
        message_id: i64,
        redact: &Redactor,
        req: &ErasureRequest,
        actor: &Actor,
    ) -> StoreResult<ErasureReport>;
    async fn set_retention(
        &self,
        ws: WorkspaceId,
        max_age_days: Option<i64>,
        actor: &Actor,
    ) -> StoreResult<()>;
    async fn retention(&self, ws: WorkspaceId) -> StoreResult<Option<i64>>;
    /// Erases content older than the policy's age at `now`, sparing held items.
    async fn apply_retention(
        &self,
        ws: WorkspaceId,
        now: i64,
        actor: &Actor,
    ) -> StoreResult<ErasureReport>;
    async fn place_hold(
        &self,
        ws: WorkspaceId,
        kind: &str,
        subject_id: i64,
        reason: &str,
        actor: &Actor,
    ) -> StoreResult<HoldRow>;
    async fn release_hold(&self, ws: WorkspaceId, id: i64, actor: &Actor) -> StoreResult<HoldRow>;
    async fn holds(&self, ws: WorkspaceId) -> StoreResult<Vec<HoldRow>>;
    /// Earlier names of these identities, oldest first per identity.
    async fn identity_names(
        &self,
        ws: WorkspaceId,
        identities: &[i64],
    ) -> StoreResult<Vec<IdentityNameRow>>;

    /// The current head of the chain: (seq, hash).
    async fn audit_head(&self, ws: WorkspaceId) -> StoreResult<(i64, String)>;
    async fn add_checkpoint(
        &self,
        ws: WorkspaceId,
        cp: &NewCheckpoint,
    ) -> StoreResult<CheckpointRow>;
    async fn checkpoints(&self, ws: WorkspaceId) -> StoreResult<Vec<CheckpointRow>>;
}

/// Commits on success and rolls back on failure, so no connection goes back to the pool
/// in the middle of a transaction.
pub(crate) async fn finish<D: sqlx::Database, T>(
    tx: sqlx::Transaction<'_, D>,
    r: StoreResult<T>,
) -> StoreResult<T> {
    match r {
        Ok(v) => {
            tx.commit().await?;
            Ok(v)
        }
        Err(e) => {
            tx.rollback().await?;
            Err(e)
        }
    }
}

/// `($from, $from+1, …)` for `n` values; `(NULL)` for none, which matches nothing.
pub(crate) fn in_list(from: usize, n: usize) -> String {
    if n == 0 {
        return "(NULL)".to_owned();
    }
    let items: Vec<String> = (from..from + n).map(|i| format!("${i}")).collect();
    format!("({})", items.join(", "))
}

macro_rules! history_sql {
    ($store:ty) => {
        mod history_impl {
            use super::*;
            use crate::storage::history::{finish, in_list};

            type Q<'q, O> = QueryAs<'q, O>;

            /// Binds the workspace then each id.
            fn with_ids<'q, O>(q: Q<'q, O>, ws: WorkspaceId, ids: &'q [i64]) -> Q<'q, O> {
                let mut q = q.bind(ws.0);
                for id in ids {
                    q = q.bind(*id);
                }
                q
            }

            async fn contact_in(conn: &mut Conn, ws: WorkspaceId, id: i64)
                -> StoreResult<Option<ContactRow>> {
                Ok(sqlx::query_as("SELECT * FROM contacts WHERE workspace_id = $1 AND id = $2")
                    .bind(ws.0)
                    .bind(id)
                    .fetch_optional(&mut *conn)
                    .await?)
            }

            /// Whether an active hold covers the contact or any of the conversations.
            async fn held(conn: &mut Conn, ws: WorkspaceId, contact: Option<i64>, convs: &[i64])
                -> StoreResult<bool> {
                let q = format!(
                    "SELECT COUNT(*) FROM legal_holds WHERE workspace_id = $1 \
                     AND released_at IS NULL AND ((subject_kind = 'contact' AND subject_id = $2) \
                     OR (subject_kind = 'conversation' AND subject_id IN {}))",
                    in_list(3, convs.len())
                );
                let mut query = sqlx::query_as::<_, (i64,)>(&q).bind(ws.0).bind(contact.unwrap_or(-1));
                for c in convs {
                    query = query.bind(*c);
                }
                Ok(query.fetch_one(&mut *conn).await?.0 > 0)
            }

            async fn conversation_ids_of(conn: &mut Conn, ws: WorkspaceId, contact: i64)
                -> StoreResult<Vec<i64>> {
                let rows: Vec<(i64,)> = sqlx::query_as(
                    "SELECT id FROM conversations WHERE workspace_id = $1 AND contact_id = $2 ORDER BY id",
                )
                .bind(ws.0)
                .bind(contact)
                .fetch_all(&mut *conn)
                .await?;
                Ok(rows.into_iter().map(|r| r.0).collect())
            }

            async fn message_ids_in(conn: &mut Conn, ws: WorkspaceId, conv: i64)
                -> StoreResult<Vec<i64>> {
                let rows: Vec<(i64,)> = sqlx::query_as(
                    "SELECT id FROM messages WHERE workspace_id = $1 AND conversation_id = $2 \
                     ORDER BY platform_time, id",
                )
                .bind(ws.0)
                .bind(conv)
                .fetch_all(&mut *conn)
                .await?;
                Ok(rows.into_iter().map(|r| r.0).collect())
            }

            /// Copies a message's versions to the preserved store.
            async fn preserve_message(
                conn: &mut Conn,
                ws: WorkspaceId,
                message_id: i64,
                conv: i64,
                contact: i64,
                cause: &str,
                root_seq: i64,
            ) -> StoreResult<String> {
                sqlx::query(
                    "INSERT INTO preserved_originals (workspace_id, kind, source_id, message_id, \
                     conversation_id, contact_id, version, text, cause, root_seq, preserved_at, erased_at) \
                     SELECT v.workspace_id, 'message_version', v.id, v.message_id, $3, $4, v.version, \
                     v.text, $5, $6, $7, m.erased_at FROM message_versions v \
                     JOIN messages m ON m.id = v.message_id \
                     WHERE v.workspace_id = $1 AND v.message_id = $2",
                )
                .bind(ws.0)
                .bind(message_id)
                .bind(conv)
                .bind(contact)
                .bind(cause)
                .bind(root_seq)
                .bind(now_millis())
                .execute(&mut *conn)
                .await?;
                let text: (String,) = sqlx::query_as("SELECT text FROM messages WHERE id = $1")
                    .bind(message_id)
                    .fetch_one(&mut *conn)
                    .await?;
                Ok(text.0)
            }

            async fn delete_message_rows(conn: &mut Conn, ws: WorkspaceId, message_id: i64)
                -> StoreResult<()> {
                for q in [
                    "DELETE FROM message_versions WHERE workspace_id = $1 AND message_id = $2",
                    "DELETE FROM messages WHERE workspace_id = $1 AND id = $2",
                ] {
                    sqlx::query(q).bind(ws.0).bind(message_id).execute(&mut *conn).await?;
                }
                Ok(())
            }

            async fn delete_conversation_rows(
                conn: &mut Conn,
                ws: WorkspaceId,
                conv: i64,
                contact: i64,
                root_seq: i64,
            ) -> StoreResult<u64> {
                let notes = sqlx::query(
                    "INSERT INTO preserved_originals (workspace_id, kind, source_id, message_id, \
                     conversation_id, contact_id, version, text, cause, root_seq, preserved_at) \
                     SELECT workspace_id, 'note', id, NULL, conversation_id, $3, NULL, body, \
                     'contact.deleted', $4, $5 FROM notes WHERE workspace_id = $1 AND conversation_id = $2",
                )
                .bind(ws.0)
                .bind(conv)
                .bind(contact)
                .bind(root_seq)
                .bind(now_millis())
                .execute(&mut *conn)
                .await?
                .rows_affected();
                for q in [
                    "DELETE FROM notes WHERE workspace_id = $1 AND conversation_id = $2",
                    "DELETE FROM conversation_tags WHERE workspace_id = $1 AND conversation_id = $2",
                    "DELETE FROM conversations WHERE workspace_id = $1 AND id = $2",
                ] {
                    sqlx::query(q).bind(ws.0).bind(conv).execute(&mut *conn).await?;
                }
                Ok(notes)
            }

            async fn delete_contact_rows(conn: &mut Conn, ws: WorkspaceId, contact: i64)
                -> StoreResult<()> {
                for q in [
                    // Messages of this person left in other contacts' conversations lose
                    // the identity reference, not their content.
                    "UPDATE messages SET identity_id = NULL WHERE workspace_id = $1 AND identity_id IN \
                     (SELECT id FROM identities WHERE workspace_id = $1 AND contact_id = $2)",
                    "UPDATE conversations SET identity_id = NULL WHERE workspace_id = $1 AND identity_id IN \
                     (SELECT id FROM identities WHERE workspace_id = $1 AND contact_id = $2)",
                    "DELETE FROM identity_names WHERE workspace_id = $1 AND identity_id IN \
                     (SELECT id FROM identities WHERE workspace_id = $1 AND contact_id = $2)",
                    "DELETE FROM identities WHERE workspace_id = $1 AND contact_id = $2",
                    "DELETE FROM contact_attributes WHERE workspace_id = $1 AND contact_id = $2",
                    "DELETE FROM contact_links WHERE workspace_id = $1 AND (contact_id = $2 OR linked_contact_id = $2)",
                    "DELETE FROM contacts WHERE workspace_id = $1 AND id = $2",
                ] {
                    sqlx::query(q).bind(ws.0).bind(contact).execute(&mut *conn).await?;
                }
                Ok(())
            }

            /// Empties the texts of the given messages (and their versions and originals).
            async fn erase_messages(
                conn: &mut Conn,
                ws: WorkspaceId,
                ids: &[i64],
                report: &mut ErasureReport,
            ) -> StoreResult<()> {
                let now = now_millis();
                for id in ids {
                    report.messages += sqlx::query(
                        "UPDATE messages SET text = '', erased_at = $3 WHERE workspace_id = $1 AND id = $2",
                    )
                    .bind(ws.0).bind(*id).bind(now).execute(&mut *conn).await?.rows_affected();
                    report.versions += sqlx::query(
                        "UPDATE message_versions SET text = '' WHERE workspace_id = $1 AND message_id = $2",
                    )
                    .bind(ws.0).bind(*id).execute(&mut *conn).await?.rows_affected();
                    report.preserved += sqlx::query(
                        "UPDATE preserved_originals SET text = '', erased_at = $3 \
                         WHERE workspace_id = $1 AND message_id = $2",
                    )
                    .bind(ws.0).bind(*id).bind(now).execute(&mut *conn).await?.rows_affected();
                }
                Ok(())
            }

            /// The reply drafts of these conversations.
            async fn drafts_of(conn: &mut Conn, ws: WorkspaceId, convs: &[i64]) -> StoreResult<Vec<i64>> {
                let mut ids = Vec::new();
                for c in convs {
                    let rows: Vec<(i64,)> = sqlx::query_as(
                        "SELECT id FROM drafts WHERE workspace_id = $1 AND conversation_id = $2",
                    )
                    .bind(ws.0).bind(*c).fetch_all(&mut *conn).await?;
                    ids.extend(rows.into_iter().map(|r| r.0));
                }
                Ok(ids)
            }

            /// Empties (or, with `redact`, redacts) the texts of these reply drafts: the stored
            /// versions and the copies inside the engine state. A draft still waiting to go out
            /// whose text changed is expired, so erased or redacted text is never sent.
            async fn erase_drafts(conn: &mut Conn, ws: WorkspaceId, ids: &[i64], redact: Option<&Redactor>,
                report: &mut ErasureReport) -> StoreResult<()> {
                let change = |t: &str| match redact {
                    Some(r) => r(t),
                    None => (!t.is_empty()).then(String::new),
                };
                for id in ids {
                    let versions: Vec<(i64, String)> = sqlx::query_as(
                        "SELECT version, text FROM draft_versions WHERE workspace_id = $1 AND draft_id = $2",
                    )
                    .bind(ws.0).bind(*id).fetch_all(&mut *conn).await?;
                    for (v, t) in versions {
                        if let Some(new) = change(&t) {
                            sqlx::query("UPDATE draft_versions SET text = $4 \
                                         WHERE workspace_id = $1 AND draft_id = $2 AND version = $3")
                                .bind(ws.0).bind(*id).bind(v).bind(new).execute(&mut *conn).await?;
                            report.drafts += 1;
                        }
                    }
                    let (state,): (String,) = sqlx::query_as(
                        "SELECT state FROM drafts WHERE workspace_id = $1 AND id = $2",
                    )
                    .bind(ws.0).bind(*id).fetch_one(&mut *conn).await?;
                    let mut value: serde_json::Value = serde_json::from_str(&state)
                        .map_err(|e| StoreError::Conflict(format!("draft {id} state: {e}")))?;
                    let mut changed = false;
                    if let Some(list) = value.get_mut("versions").and_then(|v| v.as_array_mut()) {
                        for v in list {
                            let Some(t) = v.get_mut("text") else { continue };
                            if let Some(new) = change(t.as_str().unwrap_or_default()) {
                                *t = serde_json::Value::String(new);
                                changed = true;
                            }
                        }
                    }
                    if changed {
                        sqlx::query("UPDATE drafts SET state = $3, revision = revision + 1, \
                                     status = CASE WHEN status IN ('pending', 'approved') THEN 'expired' \
                                     ELSE status END, due_at = NULL WHERE workspace_id = $1 AND id = $2")
                            .bind(ws.0).bind(*id).bind(value.to_string()).execute(&mut *conn).await?;
                    }
                }
                Ok(())
            }

            /// Reply drafts settled before `cutoff` and not under a hold.
            async fn expired_drafts(conn: &mut Conn, ws: WorkspaceId, cutoff: i64) -> StoreResult<Vec<i64>> {
                let rows: Vec<(i64,)> = sqlx::query_as(
                    "SELECT d.id FROM drafts d JOIN conversations c ON c.id = d.conversation_id \
                     WHERE d.workspace_id = $1 AND d.updated_at < $2 \
                     AND d.status IN ('sent', 'rejected', 'expired') \
                     AND NOT EXISTS (SELECT 1 FROM legal_holds h \
                       WHERE h.workspace_id = d.workspace_id AND h.released_at IS NULL AND \
                       ((h.subject_kind = 'conversation' AND h.subject_id = d.conversation_id) OR \
                        (h.subject_kind = 'contact' AND h.subject_id = c.contact_id))) \
                     ORDER BY d.id",
                )
                .bind(ws.0).bind(cutoff).fetch_all(&mut *conn).await?;
                Ok(rows.into_iter().map(|r| r.0).collect())
            }

            async fn erase_notes(conn: &mut Conn, ws: WorkspaceId, convs: &[i64], report: &mut ErasureReport)
                -> StoreResult<()> {
                for c in convs {
                    report.notes += sqlx::query(
                        "UPDATE notes SET body = '' WHERE workspace_id = $1 AND conversation_id = $2",
                    )
                    .bind(ws.0).bind(*c).execute(&mut *conn).await?.rows_affected();
                    sqlx::query("UPDATE conversations SET preview = '' WHERE workspace_id = $1 AND id = $2")
                        .bind(ws.0).bind(*c).execute(&mut *conn).await?;
                }
                Ok(())
            }

            async fn retention_in(conn: &mut Conn, ws: WorkspaceId) -> StoreResult<Option<i64>> {
                let row: Option<(i64,)> = sqlx::query_as(
                    "SELECT max_age_days FROM retention_policies WHERE workspace_id = $1",
                )
                .bind(ws.0)
                .fetch_optional(&mut *conn)
                .await?;
                Ok(row.map(|r| r.0))
            }

            /// Messages older than `cutoff`, not yet erased, and not under a hold.
            async fn expired_messages(conn: &mut Conn, ws: WorkspaceId, cutoff: i64)
                -> StoreResult<(Vec<i64>, u64)> {
                let rows: Vec<(i64, i64)> = sqlx::query_as(
                    "SELECT m.id, CAST(CASE WHEN EXISTS (SELECT 1 FROM legal_holds h \
                       WHERE h.workspace_id = m.workspace_id AND h.released_at IS NULL AND \
                       ((h.subject_kind = 'conversation' AND h.subject_id = m.conversation_id) OR \
                        (h.subject_kind = 'contact' AND h.subject_id = c.contact_id))) THEN 1 ELSE 0 END AS BIGINT) \
                     FROM messages m JOIN conversations c ON c.id = m.conversation_id \
                     WHERE m.workspace_id = $1 AND m.platform_time < $2 AND m.erased_at IS NULL \
                     ORDER BY m.id",
                )
                .bind(ws.0)
                .bind(cutoff)
                .fetch_all(&mut *conn)
                .await?;
                let held = rows.iter().filter(|r| r.1 == 1).count() as u64;
                Ok((rows.into_iter().filter(|r| r.1 == 0).map(|r| r.0).collect(), held))
            }

            async fn expire_notes(conn: &mut Conn, ws: WorkspaceId, cutoff: i64) -> StoreResult<u64> {
                Ok(sqlx::query(
                    "UPDATE notes SET body = '' WHERE workspace_id = $1 AND created_at < $2 AND body <> '' \
                     AND NOT EXISTS (SELECT 1 FROM legal_holds h JOIN conversations c ON c.id = notes.conversation_id \
                       WHERE h.workspace_id = notes.workspace_id AND h.released_at IS NULL AND \
                       ((h.subject_kind = 'conversation' AND h.subject_id = c.id) OR \
                        (h.subject_kind = 'contact' AND h.subject_id = c.contact_id)))",
                )
                .bind(ws.0)
                .bind(cutoff)
                .execute(&mut *conn)
                .await?
                .rows_affected())
            }

            async fn hold_in(conn: &mut Conn, ws: WorkspaceId, id: i64) -> StoreResult<HoldRow> {
                sqlx::query_as("SELECT * FROM legal_holds WHERE workspace_id = $1 AND id = $2")
                    .bind(ws.0)
                    .bind(id)
                    .fetch_optional(&mut *conn)
                    .await?
                    .ok_or(StoreError::NotFound)
            }

            async fn link_in(conn: &mut Conn, ws: WorkspaceId, id: i64) -> StoreResult<LinkRow> {
                sqlx::query_as("SELECT * FROM contact_links WHERE workspace_id = $1 AND id = $2")
                    .bind(ws.0)
                    .bind(id)
                    .fetch_optional(&mut *conn)
                    .await?
                    .ok_or(StoreError::NotFound)
            }

            async fn links_touching(conn: &mut Conn, ws: WorkspaceId, ids: &[i64], active: bool)
                -> StoreResult<Vec<LinkRow>> {
                let list = in_list(2, ids.len());
                let q = format!(
                    "SELECT * FROM contact_links WHERE workspace_id = $1 {} \
                     AND (contact_id IN {list} OR linked_contact_id IN {list}) ORDER BY id",
                    if active { "AND undone_at IS NULL" } else { "" }
                );
                Ok(with_ids(sqlx::query_as(&q), ws, ids).fetch_all(&mut *conn).await?)
            }

            #[async_trait]
            impl HistoryStore for $store {
                async fn contact(&self, ws: WorkspaceId, id: i64) -> StoreResult<Option<ContactRow>> {
                    let mut conn = self.reader().acquire().await?;
                    contact_in(&mut conn, ws, id).await
                }

                async fn set_vip(&self, ws: WorkspaceId, id: i64, vip: bool, actor: &Actor)
                    -> StoreResult<ContactRow> {
                    let mut tx = self.writer().begin().await?;
                    let r: StoreResult<_> = async {
                    let before = contact_in(&mut tx, ws, id).await?.ok_or(StoreError::NotFound)?;
                    sqlx::query("UPDATE contacts SET vip = $3 WHERE workspace_id = $1 AND id = $2")
                        .bind(ws.0).bind(id).bind(i64::from(vip)).execute(&mut *tx).await?;
                    let ev = event(actor, "contact.vip_changed", format!("contact:{id}"),
                        Some(serde_json::json!({ "vip": before.vip == 1 })),
                        Some(serde_json::json!({ "vip": vip })));
                    append_audit_in(&mut tx, ws, &ev).await?;
                    let after = contact_in(&mut tx, ws, id).await?.ok_or(StoreError::NotFound)?;
                    Ok(after)
                    }
                    .await;
                    finish(tx, r).await
                }

                async fn identities_of(&self, ws: WorkspaceId, contacts: &[i64])
                    -> StoreResult<Vec<IdentityRow>> {
                    let q = format!(
                        "SELECT * FROM identities WHERE workspace_id = $1 AND contact_id IN {} ORDER BY id",
                        in_list(2, contacts.len())
                    );
                    Ok(with_ids(sqlx::query_as(&q), ws, contacts).fetch_all(self.reader()).await?)
                }

                async fn identity_names(&self, ws: WorkspaceId, identities: &[i64])
                    -> StoreResult<Vec<IdentityNameRow>> {
                    if identities.is_empty() {
                        return Ok(Vec::new());
                    }
                    let q = format!(
                        "SELECT identity_id, handle, display_name, until_at FROM identity_names \
                         WHERE workspace_id = $1 AND identity_id IN {} ORDER BY identity_id, until_at, id",
                        in_list(2, identities.len())
                    );
                    Ok(with_ids(sqlx::query_as(&q), ws, identities).fetch_all(self.reader()).await?)
                }

                async fn attributes_of(&self, ws: WorkspaceId, contacts: &[i64])
                    -> StoreResult<Vec<AttributeRow>> {
                    let q = format!(
                        "SELECT * FROM contact_attributes WHERE workspace_id = $1 AND contact_id IN {} \
                         ORDER BY contact_id, kind, name, value",
                        in_list(2, contacts.len())
                    );
                    Ok(with_ids(sqlx::query_as(&q), ws, contacts).fetch_all(self.reader()).await?)
                }

                async fn add_attribute(&self, ws: WorkspaceId, contact_id: i64, a: &NewAttribute, actor: &Actor)
                    -> StoreResult<AttributeRow> {
                    let mut tx = self.writer().begin().await?;
                    let r: StoreResult<_> = async {
                    contact_in(&mut tx, ws, contact_id).await?.ok_or(StoreError::NotFound)?;
                    let row = sqlx::query_as::<_, AttributeRow>(
                        "INSERT INTO contact_attributes (workspace_id, contact_id, kind, name, value, \
                         verified, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
                    )
                    .bind(ws.0).bind(contact_id).bind(&a.kind).bind(&a.name).bind(&a.value)
                    .bind(i64::from(a.verified)).bind(now_millis())
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|e| StoreError::from_insert(e, "this attribute"))?;
                    // The value is personal data: the log keeps its hash only.
                    let ev = event(actor, "contact.attribute_added", format!("contact:{contact_id}"), None,
                        Some(serde_json::json!({ "attribute_id": row.id, "kind": a.kind, "name": a.name,
                            "verified": a.verified, "value_sha256": content_hash(&a.value) })));
                    append_audit_in(&mut tx, ws, &ev).await?;
                    Ok(row)
                    }
                    .await;
                    finish(tx, r).await
                }

                async fn person(&self, ws: WorkspaceId, contact_id: i64) -> StoreResult<Vec<i64>> {
                    let mut conn = self.reader().acquire().await?;
                    let mut set: BTreeSet<i64> = BTreeSet::from([contact_id]);
                    loop {
                        let ids: Vec<i64> = set.iter().copied().collect();
                        let links = links_touching(&mut conn, ws, &ids, true).await?;
                        let before = set.len();
                        for l in links {
                            set.insert(l.contact_id);
                            set.insert(l.linked_contact_id);
                        }
                        if set.len() == before {
                            return Ok(set.into_iter().collect());
                        }
                    }
                }

                async fn links_of(&self, ws: WorkspaceId, contacts: &[i64]) -> StoreResult<Vec<LinkRow>> {
                    let mut conn = self.reader().acquire().await?;
                    links_touching(&mut conn, ws, contacts, false).await
                }

                async fn link_contacts(&self, ws: WorkspaceId, l: &NewLink, actor: &Actor) -> StoreResult<LinkRow> {
                    let mut tx = self.writer().begin().await?;
                    let r: StoreResult<_> = async {
                    for id in [l.contact_id, l.linked_contact_id] {
                        contact_in(&mut tx, ws, id).await?.ok_or(StoreError::NotFound)?;
                    }
                    let row = sqlx::query_as::<_, LinkRow>(
                        "INSERT INTO contact_links (workspace_id, contact_id, linked_contact_id, reason, \
                         evidence, linked_by, linked_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
                    )
                    .bind(ws.0).bind(l.contact_id).bind(l.linked_contact_id).bind(&l.reason)
                    .bind(&l.evidence).bind(actor.as_audit_text()).bind(now_millis())
                    .fetch_one(&mut *tx)
                    .await?;
                    let ev = event(actor, "contact.linked", format!("contact:{}", l.contact_id), None,
                        Some(serde_json::json!({ "link_id": row.id, "linked_contact_id": l.linked_contact_id,
                            "reason": l.reason, "evidence_sha256": content_hash(&l.evidence) })));
                    append_audit_in(&mut tx, ws, &ev).await?;
                    Ok(row)
                    }
                    .await;
                    finish(tx, r).await
                }

                async fn undo_link(&self, ws: WorkspaceId, id: i64, actor: &Actor) -> StoreResult<LinkRow> {
                    let mut tx = self.writer().begin().await?;
                    let r: StoreResult<_> = async {
                    let before = link_in(&mut tx, ws, id).await?;
                    if before.undone_at.is_some() {
                        return Err(StoreError::Conflict("this link was already undone".into()));
                    }
                    sqlx::query("UPDATE contact_links SET undone_by = $3, undone_at = $4 \
                                 WHERE workspace_id = $1 AND id = $2")
                        .bind(ws.0).bind(id).bind(actor.as_audit_text()).bind(now_millis())
                        .execute(&mut *tx).await?;
                    let ev = event(actor, "contact.link_undone", format!("contact:{}", before.contact_id),
                        Some(serde_json::json!({ "link_id": id, "linked_contact_id": before.linked_contact_id })),
                        None);
                    append_audit_in(&mut tx, ws, &ev).await?;
                    let after = link_in(&mut tx, ws, id).await?;
                    Ok(after)
                    }
                    .await;
                    finish(tx, r).await
                }

                async fn link_suggestions(&self, ws: WorkspaceId, contacts: Option<&[i64]>)
                    -> StoreResult<Vec<SuggestionRow>> {
                    let ids = contacts.unwrap_or(&[]);
                    let (fa, fi) = match contacts {
                        Some(c) => (format!("AND a.contact_id IN {}", in_list(2, c.len())),
                                    format!("AND i.contact_id IN {}", in_list(2, c.len()))),
                        None => (String::new(), String::new()),
                    };
                    let q = format!(
                        "SELECT DISTINCT a.contact_id, b.contact_id AS other_contact_id, a.kind AS basis \
                         FROM contact_attributes a JOIN contact_attributes b ON b.workspace_id = a.workspace_id \
                         AND b.kind = a.kind AND b.value = a.value AND b.contact_id <> a.contact_id \
                         WHERE a.workspace_id = $1 AND a.kind IN ('email', 'phone') {fa} \
                         UNION SELECT DISTINCT i.contact_id, j.contact_id AS other_contact_id, 'handle' AS basis \
                         FROM identities i JOIN identities j ON j.workspace_id = i.workspace_id \
                         AND lower(j.handle) = lower(i.handle) AND j.channel <> i.channel \
                         AND j.contact_id <> i.contact_id WHERE i.workspace_id = $1 {fi}"
                    );
                    let rows: Vec<SuggestionRow> =
                        with_ids(sqlx::query_as(&q), ws, ids).fetch_all(self.reader()).await?;
                    let dismissed: BTreeSet<(i64, i64, String)> = sqlx::query_as(
                        "SELECT contact_id, other_contact_id, basis FROM suggestion_dismissals \
                         WHERE workspace_id = $1",
                    )
                    .bind(ws.0).fetch_all(self.reader()).await?.into_iter().collect();
                    let mut out = BTreeSet::new();
                    for r in rows {
                        let (a, b) = (r.contact_id.min(r.other_contact_id), r.contact_id.max(r.other_contact_id));
                        if dismissed.contains(&(a, b, r.basis.clone())) {
                            continue;
                        }
                        let together = self.person(ws, a).await?.contains(&b);
                        if !together {
                            out.insert(SuggestionRow { contact_id: a, other_contact_id: b, basis: r.basis });
                        }
                    }
                    Ok(out.into_iter().collect())
                }

                async fn dismiss_suggestion(&self, ws: WorkspaceId, sg: &SuggestionRow, reason: &str,
                    actor: &Actor) -> StoreResult<()> {
                    let (a, b) = (sg.contact_id.min(sg.other_contact_id), sg.contact_id.max(sg.other_contact_id));
                    let mut tx = self.writer().begin().await?;
                    let r: StoreResult<_> = async {
                    for id in [a, b] {
                        contact_in(&mut tx, ws, id).await?.ok_or(StoreError::NotFound)?;
                    }
                    let done = sqlx::query(
                        "INSERT INTO suggestion_dismissals (workspace_id, contact_id, other_contact_id, basis, \
                         reason, dismissed_by, dismissed_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                         ON CONFLICT (workspace_id, contact_id, other_contact_id, basis) DO NOTHING",
                    )
                    .bind(ws.0).bind(a).bind(b).bind(&sg.basis).bind(reason)
                    .bind(actor.as_audit_text()).bind(now_millis())
                    .execute(&mut *tx).await?;
                    if done.rows_affected() > 0 {
                        let ev = event(actor, "suggestion.dismissed", format!("contact:{a}"), None,
                            Some(serde_json::json!({ "contact_id": a, "other_contact_id": b,
                                "basis": sg.basis, "reason": reason })));
                        append_audit_in(&mut tx, ws, &ev).await?;
                    }
                    Ok(())
                    }
                    .await;
                    finish(tx, r).await
                }

                async fn conversations_of(&self, ws: WorkspaceId, contacts: &[i64])
                    -> StoreResult<Vec<ConversationRow>> {
                    let q = format!(
                        "{} WHERE c.workspace_id = $1 AND c.contact_id IN {} ORDER BY c.first_message_at, c.id",
                        sql::CONVERSATION_SELECT,
                        in_list(2, contacts.len())
                    );
                    Ok(with_ids(sqlx::query_as(&q), ws, contacts).fetch_all(self.reader()).await?)
                }

                async fn messages_in(&self, ws: WorkspaceId, convs: &[i64]) -> StoreResult<Vec<HistMessageRow>> {
                    let q = format!(
                        "{} WHERE m.workspace_id = $1 AND m.conversation_id IN {} \
                         ORDER BY m.platform_time, m.id",
                        hist_select(), in_list(2, convs.len())
                    );
                    Ok(with_ids(sqlx::query_as(&q), ws, convs).fetch_all(self.reader()).await?)
                }

                async fn versions_in(&self, ws: WorkspaceId, msgs: &[i64]) -> StoreResult<Vec<VersionRow>> {
                    let q = format!(
                        "SELECT message_id, version, text, recorded_at FROM message_versions \
                         WHERE workspace_id = $1 AND message_id IN {} ORDER BY message_id, version",
                        in_list(2, msgs.len())
                    );
                    Ok(with_ids(sqlx::query_as(&q), ws, msgs).fetch_all(self.reader()).await?)
                }

                async fn notes_in(&self, ws: WorkspaceId, convs: &[i64]) -> StoreResult<Vec<NoteRow>> {
                    let q = format!(
                        "SELECT n.id, n.workspace_id, n.conversation_id, n.author_id, \
                         u.display_name AS author_name, n.body, n.created_at \
                         FROM notes n JOIN users u ON u.id = n.author_id \
                         WHERE n.workspace_id = $1 AND n.conversation_id IN {} ORDER BY n.created_at, n.id",
                        in_list(2, convs.len())
                    );
                    Ok(with_ids(sqlx::query_as(&q), ws, convs).fetch_all(self.reader()).await?)
                }

                async fn tags_in(&self, ws: WorkspaceId, convs: &[i64]) -> StoreResult<Vec<TagRow>> {
                    let q = format!(
                        "SELECT conversation_id, tag FROM conversation_tags WHERE workspace_id = $1 \
                         AND conversation_id IN {} ORDER BY conversation_id, tag",
                        in_list(2, convs.len())
                    );
                    Ok(with_ids(sqlx::query_as(&q), ws, convs).fetch_all(self.reader()).await?)
                }

                async fn message(&self, ws: WorkspaceId, id: i64) -> StoreResult<Option<HistMessageRow>> {
                    let q = format!("{} WHERE m.workspace_id = $1 AND m.id = $2", hist_select());
                    Ok(sqlx::query_as(&q).bind(ws.0).bind(id).fetch_optional(self.reader()).await?)
                }

                async fn message_by_platform_id(&self, ws: WorkspaceId, channel: &str, platform_id: &str)
                    -> StoreResult<Option<HistMessageRow>> {
                    let q = format!("{} WHERE m.workspace_id = $1 AND m.channel = $2 \
                                     AND m.platform_id = $3", hist_select());
                    Ok(sqlx::query_as(&q).bind(ws.0).bind(channel).bind(platform_id)
                        .fetch_optional(self.reader()).await?)
                }

                async fn read_original(&self, ws: WorkspaceId, message_id: i64, actor: &Actor)
                    -> StoreResult<Option<Vec<VersionRow>>> {
                    let mut tx = self.writer().begin().await?;
                    let r: StoreResult<_> = async {
                    let mut versions: Vec<VersionRow> = sqlx::query_as(
                        "SELECT message_id, version, text, recorded_at FROM message_versions \
                         WHERE workspace_id = $1 AND message_id = $2 ORDER BY version",
                    )
                    .bind(ws.0).bind(message_id).fetch_all(&mut *tx).await?;
                    if versions.is_empty() {
                        versions = sqlx::query_as(
                            "SELECT message_id, version, text, preserved_at AS recorded_at \
                             FROM preserved_originals WHERE workspace_id = $1 AND message_id = $2 \
                             AND kind = 'message_version' ORDER BY version",
                        )
                        .bind(ws.0).bind(message_id).fetch_all(&mut *tx).await?;
                    }
                    if versions.is_empty() {
                        return Ok(None);
                    }
                    let ev = event(actor, "message.original_read", format!("message:{message_id}"), None,
                        Some(serde_json::json!({ "versions": versions.len() })));
                    append_audit_in(&mut tx, ws, &ev).await?;
                    Ok(Some(versions))
                    }
                    .await;
                    finish(tx, r).await
                }

                async fn read_preserved(&self, ws: WorkspaceId, contact_id: i64, actor: &Actor)
                    -> StoreResult<Vec<PreservedRow>> {
                    let mut tx = self.writer().begin().await?;
                    let r: StoreResult<_> = async {
                    let rows: Vec<PreservedRow> = sqlx::query_as(
                        "SELECT * FROM preserved_originals WHERE workspace_id = $1 AND contact_id = $2 \
                         ORDER BY id",
                    )
                    .bind(ws.0).bind(contact_id).fetch_all(&mut *tx).await?;
                    let ev = event(actor, "contact.originals_read", format!("contact:{contact_id}"), None,
                        Some(serde_json::json!({ "items": rows.len() })));
                    append_audit_in(&mut tx, ws, &ev).await?;
                    Ok(rows)
                    }
                    .await;
                    finish(tx, r).await
                }

                async fn delete_contact(&self, ws: WorkspaceId, contact_id: i64, reason: &str, actor: &Actor)
                    -> StoreResult<DeletionReport> {
                    let mut tx = self.writer().begin().await?;
                    let r: StoreResult<_> = async {
                    contact_in(&mut tx, ws, contact_id).await?.ok_or(StoreError::NotFound)?;
                    let convs = conversation_ids_of(&mut tx, ws, contact_id).await?;
                    if held(&mut tx, ws, Some(contact_id), &convs).await? {
                        return Err(StoreError::Conflict("a legal hold covers this contact".into()));
                    }
                    let mut plan = Vec::new();
                    for c in &convs {
                        plan.push((*c, message_ids_in(&mut tx, ws, *c).await?));
                    }
                    let total: usize = plan.iter().map(|p| p.1.len()).sum();
                    let root = event(actor, "contact.deleted", format!("contact:{contact_id}"), None,
                        Some(serde_json::json!({ "reason": reason, "conversations": convs.len(),
                            "messages": total })));
                    let root_seq = append_audit_in(&mut tx, ws, &root).await?.seq;
                    let cause = format!("contact.deleted#{root_seq}");
                    let mut report = DeletionReport { root_seq, ..DeletionReport::default() };
                    for (conv, msgs) in plan {
                        for m in msgs {
                            let text = preserve_message(&mut tx, ws, m, conv, contact_id, "contact.deleted", root_seq).await?;
                            delete_message_rows(&mut tx, ws, m).await?;
                            let ev = event(actor, "message.deleted", format!("message:{m}"), None,
                                Some(serde_json::json!({ "cause": cause, "conversation_id": conv,
                                    "text_sha256": content_hash(&text) })));
                            append_audit_in(&mut tx, ws, &ev).await?;
                            report.messages.push(m);
                        }
                        let notes = delete_conversation_rows(&mut tx, ws, conv, contact_id, root_seq).await?;
                        let ev = event(actor, "conversation.deleted", format!("conversation:{conv}"), None,
                            Some(serde_json::json!({ "cause": cause, "contact_id": contact_id, "notes": notes })));
                        append_audit_in(&mut tx, ws, &ev).await?;
                        report.conversations.push(conv);
                    }
                    delete_contact_rows(&mut tx, ws, contact_id).await?;
                    Ok(report)
                    }
                    .await;
                    finish(tx, r).await
                }

                async fn erase_contact(&self, ws: WorkspaceId, contact_id: i64, req: &ErasureRequest, actor: &Actor)
                    -> StoreResult<ErasureReport> {
                    let mut tx = self.writer().begin().await?;
                    let r: StoreResult<_> = async {
                    // A deleted contact lives on only in the preserved store; erasure reaches it there.
                    let preserved: (i64,) = sqlx::query_as(
                        "SELECT COUNT(*) FROM preserved_originals WHERE workspace_id = $1 AND contact_id = $2",
                    )
                    .bind(ws.0).bind(contact_id).fetch_one(&mut *tx).await?;
                    if contact_in(&mut tx, ws, contact_id).await?.is_none() && preserved.0 == 0 {
                        return Err(StoreError::NotFound);
                    }
                    let convs = conversation_ids_of(&mut tx, ws, contact_id).await?;
                    if held(&mut tx, ws, Some(contact_id), &convs).await? {
                        return Err(StoreError::Conflict("a legal hold covers this contact".into()));
                    }
                    let mut report = ErasureReport::default();
                    let mut msgs = Vec::new();
                    for c in &convs {
                        msgs.extend(message_ids_in(&mut tx, ws, *c).await?);
                    }
                    erase_messages(&mut tx, ws, &msgs, &mut report).await?;
                    erase_notes(&mut tx, ws, &convs, &mut report).await?;
                    let drafts = drafts_of(&mut tx, ws, &convs).await?;
                    erase_drafts(&mut tx, ws, &drafts, None, &mut report).await?;
                    report.preserved += sqlx::query(
                        "UPDATE preserved_originals SET text = '', erased_at = $3 \
                         WHERE workspace_id = $1 AND contact_id = $2 AND erased_at IS NULL",
                    )
                    .bind(ws.0).bind(contact_id).bind(now_millis()).execute(&mut *tx).await?.rows_affected();
                    for q in [
                        "UPDATE contacts SET display_name = '(erased)' WHERE workspace_id = $1 AND id = $2",
                        "DELETE FROM identity_names WHERE workspace_id = $1 AND identity_id IN \
                         (SELECT id FROM identities WHERE workspace_id = $1 AND contact_id = $2)",
                        "UPDATE identities SET handle = '(erased)', display_name = NULL \
                         WHERE workspace_id = $1 AND contact_id = $2",
                        "DELETE FROM contact_attributes WHERE workspace_id = $1 AND contact_id = $2",
                    ] {
                        sqlx::query(q).bind(ws.0).bind(contact_id).execute(&mut *tx).await?;
                    }
                    let ev = event(actor, "contact.erased", format!("contact:{contact_id}"), None,
                        Some(serde_json::json!({ "cause": req.cause, "reason": req.reason,
                            "messages": report.messages, "versions": report.versions, "notes": report.notes,
                            "drafts": report.drafts,
                            "message_ids": msgs })));
                    report.root_seq = append_audit_in(&mut tx, ws, &ev).await?.seq;
                    Ok(report)
                    }
                    .await;
                    finish(tx, r).await
                }

                async fn redact_message(&self, ws: WorkspaceId, message_id: i64, redact: &Redactor,
                    req: &ErasureRequest, actor: &Actor) -> StoreResult<ErasureReport> {
                    let mut tx = self.writer().begin().await?;
                    let r: StoreResult<_> = async {
                    let msg: Option<(i64, String, Option<i64>)> = sqlx::query_as(
                        "SELECT m.conversation_id, m.text, c.contact_id FROM messages m \
                         JOIN conversations c ON c.id = m.conversation_id WHERE m.workspace_id = $1 AND m.id = $2",
                    )
                    .bind(ws.0).bind(message_id).fetch_optional(&mut *tx).await?;
                    let (conv, text, contact) = msg.ok_or(StoreError::NotFound)?;
                    if held(&mut tx, ws, contact, &[conv]).await? {
                        return Err(StoreError::Conflict("a legal hold covers this conversation".into()));
                    }
                    let mut report = ErasureReport::default();
                    if let Some(new) = redact(&text) {
                        sqlx::query("UPDATE messages SET text = $3 WHERE workspace_id = $1 AND id = $2")
                            .bind(ws.0).bind(message_id).bind(new).execute(&mut *tx).await?;
                        report.messages += 1;
                    }
                    let versions: Vec<(i64, String)> = sqlx::query_as(
                        "SELECT id, text FROM message_versions WHERE workspace_id = $1 AND message_id = $2",
                    )
                    .bind(ws.0).bind(message_id).fetch_all(&mut *tx).await?;
                    for (id, t) in versions {
                        if let Some(new) = redact(&t) {
                            sqlx::query("UPDATE message_versions SET text = $2 WHERE id = $1")
                                .bind(id).bind(new).execute(&mut *tx).await?;
                            report.versions += 1;
                        }
                    }
                    let notes: Vec<(i64, String)> = sqlx::query_as(
                        "SELECT id, body FROM notes WHERE workspace_id = $1 AND conversation_id = $2",
                    )
                    .bind(ws.0).bind(conv).fetch_all(&mut *tx).await?;
                    for (id, t) in notes {
                        if let Some(new) = redact(&t) {
                            sqlx::query("UPDATE notes SET body = $2 WHERE id = $1")
                                .bind(id).bind(new).execute(&mut *tx).await?;
                            report.notes += 1;
                        }
                    }
                    let drafts = drafts_of(&mut tx, ws, &[conv]).await?;
                    erase_drafts(&mut tx, ws, &drafts, Some(redact), &mut report).await?;
                    recompute(&mut tx, conv).await?;
                    let ev = event(actor, "message.redacted", format!("message:{message_id}"), None,
                        Some(serde_json::json!({ "cause": req.cause, "reason": req.reason,
                            "versions": report.versions, "notes": report.notes,
                            "drafts": report.drafts })));
                    report.root_seq = append_audit_in(&mut tx, ws, &ev).await?.seq;
                    Ok(report)
                    }
                    .await;
                    finish(tx, r).await
                }

                async fn set_retention(&self, ws: WorkspaceId, days: Option<i64>, actor: &Actor) -> StoreResult<()> {
                    let mut tx = self.writer().begin().await?;
                    let r: StoreResult<_> = async {
                    let before = retention_in(&mut tx, ws).await?;
                    sqlx::query("DELETE FROM retention_policies WHERE workspace_id = $1")
                        .bind(ws.0).execute(&mut *tx).await?;
                    if let Some(d) = days {
                        sqlx::query("INSERT INTO retention_policies (workspace_id, max_age_days, set_by, set_at) \
                                     VALUES ($1, $2, $3, $4)")
                            .bind(ws.0).bind(d).bind(actor.as_audit_text()).bind(now_millis())
                            .execute(&mut *tx).await?;
                    }
                    let ev = event(actor, "retention.set", format!("workspace:{}", ws.0),
                        Some(serde_json::json!({ "max_age_days": before })),
                        Some(serde_json::json!({ "max_age_days": days })));
                    append_audit_in(&mut tx, ws, &ev).await?;
                    Ok(())
                    }
                    .await;
                    finish(tx, r).await
                }

                async fn retention(&self, ws: WorkspaceId) -> StoreResult<Option<i64>> {
                    let mut conn = self.reader().acquire().await?;
                    retention_in(&mut conn, ws).await
                }

                async fn apply_retention(&self, ws: WorkspaceId, now: i64, actor: &Actor)
                    -> StoreResult<ErasureReport> {
                    let mut tx = self.writer().begin().await?;
                    let r: StoreResult<_> = async {
                    let mut report = ErasureReport::default();
                    let Some(days) = retention_in(&mut tx, ws).await? else {
                        return Ok(report);
                    };
                    let cutoff = now - days * 86_400_000;
                    let (ids, held) = expired_messages(&mut tx, ws, cutoff).await?;
                    report.held = held;
                    erase_messages(&mut tx, ws, &ids, &mut report).await?;
                    report.notes = expire_notes(&mut tx, ws, cutoff).await?;
                    let drafts = expired_drafts(&mut tx, ws, cutoff).await?;
                    erase_drafts(&mut tx, ws, &drafts, None, &mut report).await?;
                    let convs: Vec<(i64,)> = sqlx::query_as(
                        "SELECT DISTINCT conversation_id FROM messages WHERE workspace_id = $1 AND erased_at IS NOT NULL",
                    )
                    .bind(ws.0).fetch_all(&mut *tx).await?;
                    for (c,) in convs {
                        recompute(&mut tx, c).await?;
                    }
                    let ev = event(actor, "retention.applied", format!("workspace:{}", ws.0), None,
                        Some(serde_json::json!({ "cause": "retention", "max_age_days": days, "cutoff": cutoff,
                            "messages": report.messages, "notes": report.notes, "drafts": report.drafts,
                            "held": held })));
                    report.root_seq = append_audit_in(&mut tx, ws, &ev).await?.seq;
                    Ok(report)
                    }
                    .await;
                    finish(tx, r).await
                }

                async fn place_hold(&self, ws: WorkspaceId, kind: &str, subject_id: i64, reason: &str, actor: &Actor)
                    -> StoreResult<HoldRow> {
                    let mut tx = self.writer().begin().await?;
                    let r: StoreResult<_> = async {
                    let exists = match kind {
                        "contact" => contact_in(&mut tx, ws, subject_id).await?.is_some(),
                        _ => conversation_in(&mut tx, ws, subject_id).await?.is_some(),
                    };
                    if !exists {
                        return Err(StoreError::NotFound);
                    }
                    let row = sqlx::query_as::<_, HoldRow>(
                        "INSERT INTO legal_holds (workspace_id, subject_kind, subject_id, reason, placed_by, \
                         placed_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
                    )
                    .bind(ws.0).bind(kind).bind(subject_id).bind(reason).bind(actor.as_audit_text())
                    .bind(now_millis()).fetch_one(&mut *tx).await?;
                    let ev = event(actor, "legal_hold.placed", format!("{kind}:{subject_id}"), None,
                        Some(serde_json::json!({ "hold_id": row.id, "reason": reason })));
                    append_audit_in(&mut tx, ws, &ev).await?;
                    Ok(row)
                    }
                    .await;
                    finish(tx, r).await
                }

                async fn release_hold(&self, ws: WorkspaceId, id: i64, actor: &Actor) -> StoreResult<HoldRow> {
                    let mut tx = self.writer().begin().await?;
                    let r: StoreResult<_> = async {
                    let h = hold_in(&mut tx, ws, id).await?;
                    if h.released_at.is_some() {
                        return Err(StoreError::Conflict("this hold was already released".into()));
                    }
                    sqlx::query("UPDATE legal_holds SET released_by = $3, released_at = $4 \
                                 WHERE workspace_id = $1 AND id = $2")
                        .bind(ws.0).bind(id).bind(actor.as_audit_text()).bind(now_millis())
                        .execute(&mut *tx).await?;
                    let ev = event(actor, "legal_hold.released", format!("{}:{}", h.subject_kind, h.subject_id),
                        Some(serde_json::json!({ "hold_id": id })), None);
                    append_audit_in(&mut tx, ws, &ev).await?;
                    let after = hold_in(&mut tx, ws, id).await?;
                    Ok(after)
                    }
                    .await;
                    finish(tx, r).await
                }

                async fn holds(&self, ws: WorkspaceId) -> StoreResult<Vec<HoldRow>> {
                    Ok(sqlx::query_as("SELECT * FROM legal_holds WHERE workspace_id = $1 ORDER BY id")
                        .bind(ws.0).fetch_all(self.reader()).await?)
                }

                async fn audit_head(&self, ws: WorkspaceId) -> StoreResult<(i64, String)> {
                    Ok(sqlx::query_as("SELECT seq, hash FROM audit_heads WHERE workspace_id = $1")
                        .bind(ws.0).fetch_optional(self.reader()).await?.ok_or(StoreError::NotFound)?)
                }

                async fn add_checkpoint(&self, ws: WorkspaceId, cp: &NewCheckpoint) -> StoreResult<CheckpointRow> {
                    Ok(sqlx::query_as(
                        "INSERT INTO audit_checkpoints (workspace_id, seq, hash, at, key_id, signature) \
                         VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
                    )
                    .bind(ws.0).bind(cp.seq).bind(&cp.hash).bind(cp.at).bind(&cp.key_id).bind(&cp.signature)
                    .fetch_one(self.writer()).await?)
                }

                async fn checkpoints(&self, ws: WorkspaceId) -> StoreResult<Vec<CheckpointRow>> {
                    Ok(sqlx::query_as("SELECT * FROM audit_checkpoints WHERE workspace_id = $1 ORDER BY seq, id")
                        .bind(ws.0).fetch_all(self.reader()).await?)
                }
            }

            /// MESSAGE_SELECT with the erasure mark added to its columns.
            fn hist_select() -> String {
                let (head, rest) = sql::MESSAGE_SELECT
                    .split_once(" FROM messages m")
                    .unwrap_or((sql::MESSAGE_SELECT, ""));
                format!("{head}, m.erased_at FROM messages m{rest}")
            }
        }
    };
}

pub(crate) use history_sql;
