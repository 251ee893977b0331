//! The reply-level record of one outbound message: what it answered, how it was drafted
//! and approved, the exact text sent with its hash, its platform id, and what happened to
//! it afterwards, checked against the audit log.

use serde::Serialize;

use super::timeline::VersionText;
use super::{erased_mark, tombstone, HistoryError};
use crate::approvals::voice;
use crate::audit::chain::content_hash;
use crate::domain::WorkspaceId;
use crate::http::views::AuditView;
use crate::storage::approvals::DecisionRow;
use crate::storage::{AuditFilter, DynStore, HistMessageRow, MessageRow, Provenance};
use hearken_voice::style::Violation;

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

/// The template a reply started from.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TemplateUsed {
    pub id: i64,
    /// Its name, unless the template is gone.
    pub name: Option<String>,
}

/// One version of a reply's text with the style guide's findings on it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DraftVersionRecord {
    pub version: i64,
    /// The text (absent once erased).
    pub text: Option<String>,
    /// SHA-256 of the text as written.
    pub sha256: String,
    pub by_user_id: Option<i64>,
    pub at: i64,
    /// Whether this is the version that went out.
    pub sent: bool,
    /// The guide it was checked against when written (none when no guide was in force).
    pub style_locale: Option<String>,
    pub style_version: Option<i64>,
    /// What that guide version finds in the text, re-run now; absent when the text is
    /// erased or that guide version is not stored.
    #[schema(value_type = Option<Vec<Object>>)]
    pub style_findings: Option<Vec<Violation>>,
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
    /// The template the reply started from, when the composer or API named one.
    pub template: Option<TemplateUsed>,
    /// The draft it was sent from, when it went through approval or a schedule.
    pub draft_id: Option<i64>,
    /// The approval path the draft was routed to, and why.
    pub approval_path: Option<String>,
    pub approval_reasons: Vec<String>,
    /// Each version of the text with what the style guide in force found in it; a direct
    /// reply has one version, the text sent.
    pub drafts: Vec<DraftVersionRecord>,
    /// Each approval decision, with the version hash it applied to.
    #[schema(value_type = Vec<Object>)]
    pub approvals: Vec<DecisionRow>,
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
    let composed = composition(
        store,
        ws,
        message_id,
        &row.message,
        text_sent.as_deref(),
        &events,
        erased,
    )
    .await?;
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
        template: composed.template,
        draft_id: composed.draft_id,
        approval_path: composed.path,
        approval_reasons: composed.reasons,
        drafts: composed.versions,
        approvals: composed.decisions,
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

/// How a reply came to be: its template, draft versions with style findings, decisions.
struct Composition {
    template: Option<TemplateUsed>,
    draft_id: Option<i64>,
    path: Option<String>,
    reasons: Vec<String>,
    versions: Vec<DraftVersionRecord>,
    decisions: Vec<DecisionRow>,
}

async fn composition(
    store: &DynStore,
    ws: WorkspaceId,
    message_id: i64,
    m: &MessageRow,
    text_sent: Option<&str>,
    events: &[AuditView],
    erased: bool,
) -> Result<Composition, HistoryError> {
    let guides = store.style_guides(ws).await?;
    let findings = |locale: Option<&str>, version: Option<i64>, text: Option<&str>| {
        voice::recheck(&guides, locale?, version?, text?, &m.channel)
    };
    let (draft, sent_version) = match store.message_approval(ws, message_id).await? {
        Some((draft_id, version, _)) => (store.draft(ws, draft_id).await?, Some(version)),
        None => (None, None),
    };
    let (template_id, c) = match draft {
        Some(d) => {
            let versions = store
                .draft_versions(ws, d.id)
                .await?
                .into_iter()
                .map(|v| {
                    let text = (!erased).then_some(v.text);
                    DraftVersionRecord {
                        style_findings: findings(
                            d.locale.as_deref(),
                            v.style_version,
                            text.as_deref(),
                        ),
                        version: v.version,
                        text,
                        sha256: v.hash,
                        by_user_id: Some(v.by_user),
                        at: v.at,
                        sent: Some(v.version) == sent_version,
                        style_locale: d.locale.clone(),
                        style_version: v.style_version,
                    }
                })
                .collect();
            let c = Composition {
                template: None,
                draft_id: Some(d.id),
                path: Some(d.path_key.clone()).filter(|p| !p.is_empty()),
                reasons: serde_json::from_str(&d.reasons).unwrap_or_default(),
                versions,
                decisions: store.draft_decisions(ws, d.id).await?,
            };
            (d.template_id, c)
        }
        None => {
            // A direct reply: its one version is the text sent, checked as the
            // reply.sent event records.
            let sent: Option<Provenance> = events
                .iter()
                .find(|e| e.action == "reply.sent")
                .and_then(|e| serde_json::from_str(e.after_state.as_deref()?).ok());
            let p = sent.unwrap_or_default();
            let version = DraftVersionRecord {
                version: 1,
                style_findings: findings(p.locale.as_deref(), p.style_version, text_sent),
                text: text_sent.map(str::to_owned),
                sha256: text_sent.map(content_hash).unwrap_or_default(),
                by_user_id: m.author_user_id,
                at: m.platform_time,
                sent: true,
                style_locale: p.locale,
                style_version: p.style_version,
            };
            let c = Composition {
                template: None,
                draft_id: None,
                path: None,
                reasons: Vec::new(),
                versions: vec![version],
                decisions: Vec::new(),
            };
            (p.template_id, c)
        }
    };
    let template = match template_id {
        Some(id) => {
            let name = store.template(ws, id).await?.map(|t| t.name);
            Some(TemplateUsed { id, name })
        }
        None => None,
    };
    Ok(Composition { template, ..c })
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
