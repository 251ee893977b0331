//! The person's timeline: every conversation and message of every linked contact, on all
//! channels and accounts, in one time-ordered list, with every version of edited messages,
//! deletions shown as tombstones, notes, tags, the VIP flag and attributes.

use std::collections::HashMap;

use serde::Serialize;

use super::{erased_mark, tombstone, HistoryError};
use crate::domain::time::rfc3339;
use crate::domain::WorkspaceId;
use crate::storage::{
    AttributeRow, ContactRow, DynStore, HistMessageRow, IdentityNameRow, IdentityRow, LinkRow,
    SuggestionRow, VersionRow,
};

/// A conversation in the timeline.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TimelineConversation {
    pub id: i64,
    pub contact_id: Option<i64>,
    pub channel: String,
    pub account_id: i64,
    pub account: String,
    pub customer: Option<String>,
    pub status: String,
    pub message_count: i64,
    pub tags: Vec<String>,
}

/// One version of an edited message.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VersionText {
    pub version: i64,
    pub text: String,
    pub recorded_at: i64,
}

/// A message as an agent may see it: deleted and erased content is replaced by a mark.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TimelineMessage {
    pub id: i64,
    pub platform_id: String,
    pub direction: String,
    pub visibility: String,
    pub handle: Option<String>,
    pub author_user_id: Option<i64>,
    /// The current text; absent when deleted or erased.
    pub text: Option<String>,
    /// "deleted on X at …" or "content erased at …" in place of the text.
    pub tombstone: Option<String>,
    pub deleted: bool,
    pub erased: bool,
    /// Every version, oldest first, when the message was edited and is not deleted.
    pub versions: Vec<VersionText>,
}

/// An internal note in the timeline.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TimelineNote {
    pub id: i64,
    pub author: String,
    pub body: String,
}

/// One item of the timeline.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TimelineEntry {
    /// Epoch ms: the platform time of a message, the creation of a note.
    pub at: i64,
    pub time: String,
    pub conversation_id: i64,
    pub channel: String,
    pub account: String,
    pub message: Option<TimelineMessage>,
    pub note: Option<TimelineNote>,
}

/// Everything known about a person.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Timeline {
    /// The contact asked about.
    pub contact_id: i64,
    /// Every contact of the person (joined by active links), the asked one included.
    pub contacts: Vec<ContactRow>,
    /// Whether any of the person's contacts is a VIP.
    pub vip: bool,
    pub identities: Vec<IdentityRow>,
    /// Handles and display names the identities had before, oldest first per identity.
    pub past_names: Vec<IdentityNameRow>,
    pub attributes: Vec<AttributeRow>,
    /// Links touching the person's contacts, undone ones included (with who undid them).
    pub links: Vec<LinkRow>,
    /// Suggested links to contacts outside the person; never applied automatically.
    pub suggestions: Vec<SuggestionRow>,
    pub conversations: Vec<TimelineConversation>,
    /// Messages and notes of every conversation, oldest first.
    pub entries: Vec<TimelineEntry>,
}

/// Builds a contact's timeline.
pub async fn build(
    store: &DynStore,
    ws: WorkspaceId,
    contact_id: i64,
) -> Result<Timeline, HistoryError> {
    store
        .contact(ws, contact_id)
        .await?
        .ok_or(HistoryError::NotFound)?;
    let ids = store.person(ws, contact_id).await?;
    let mut contacts = Vec::new();
    for id in &ids {
        contacts.extend(store.contact(ws, *id).await?);
    }
    let convs = store.conversations_of(ws, &ids).await?;
    let conv_ids: Vec<i64> = convs.iter().map(|c| c.id).collect();
    let messages = store.messages_in(ws, &conv_ids).await?;
    let msg_ids: Vec<i64> = messages.iter().map(|m| m.message.id).collect();
    let mut versions: HashMap<i64, Vec<VersionRow>> = HashMap::new();
    for v in store.versions_in(ws, &msg_ids).await? {
        versions.entry(v.message_id).or_default().push(v);
    }
    let mut tags: HashMap<i64, Vec<String>> = HashMap::new();
    for t in store.tags_in(ws, &conv_ids).await? {
        tags.entry(t.conversation_id).or_default().push(t.tag);
    }
    let place: HashMap<i64, (String, String)> = convs
        .iter()
        .map(|c| (c.id, (c.channel.clone(), c.account_handle.clone())))
        .collect();
    let mut entries: Vec<TimelineEntry> = messages
        .into_iter()
        .map(|m| message_entry(m, &mut versions, &place))
        .collect();
    for n in store.notes_in(ws, &conv_ids).await? {
        let (channel, account) = place.get(&n.conversation_id).cloned().unwrap_or_default();
        entries.push(TimelineEntry {
            at: n.created_at,
            time: rfc3339(n.created_at),
            conversation_id: n.conversation_id,
            channel,
            account,
            message: None,
            note: Some(TimelineNote {
                id: n.id,
                author: n.author_name,
                body: n.body,
            }),
        });
    }
    entries.sort_by_key(|e| (e.at, e.conversation_id, e.note.is_some()));
    let conversations = convs
        .into_iter()
        .map(|c| TimelineConversation {
            tags: tags.remove(&c.id).unwrap_or_default(),
            id: c.id,
            contact_id: c.contact_id,
            channel: c.channel,
            account_id: c.account_id,
            account: c.account_handle,
            customer: c.customer_handle,
            status: c.status,
            message_count: c.message_count,
        })
        .collect();
    let identities = store.identities_of(ws, &ids).await?;
    Ok(Timeline {
        contact_id,
        vip: contacts.iter().any(|c| c.vip == 1),
        past_names: store
            .identity_names(ws, &identities.iter().map(|i| i.id).collect::<Vec<_>>())
            .await?,
        identities,
        attributes: store.attributes_of(ws, &ids).await?,
        links: store.links_of(ws, &ids).await?,
        suggestions: store.link_suggestions(ws, Some(&ids)).await?,
        contacts,
        conversations,
        entries,
    })
}

fn message_entry(
    m: HistMessageRow,
    versions: &mut HashMap<i64, Vec<VersionRow>>,
    place: &HashMap<i64, (String, String)>,
) -> TimelineEntry {
    let erased_at = m.erased_at;
    let m = m.message;
    let (channel, account) = place.get(&m.conversation_id).cloned().unwrap_or_default();
    let hidden = m.deleted_at.is_some() || erased_at.is_some();
    let mark = match (erased_at, m.deleted_at) {
        (Some(at), _) => Some(erased_mark(at)),
        (None, Some(at)) => Some(tombstone(&m.channel, at)),
        (None, None) => None,
    };
    let all = versions.remove(&m.id).unwrap_or_default();
    let shown = if hidden || all.len() < 2 {
        Vec::new()
    } else {
        all.into_iter()
            .map(|v| VersionText {
                version: v.version,
                text: v.text,
                recorded_at: v.recorded_at,
            })
            .collect()
    };
    TimelineEntry {
        at: m.platform_time,
        time: rfc3339(m.platform_time),
        conversation_id: m.conversation_id,
        channel,
        account,
        note: None,
        message: Some(TimelineMessage {
            id: m.id,
            platform_id: m.platform_id,
            direction: m.direction,
            visibility: m.visibility,
            handle: m.identity_handle,
            author_user_id: m.author_user_id,
            text: (!hidden).then_some(m.text),
            tombstone: mark,
            deleted: m.deleted_at.is_some(),
            erased: erased_at.is_some(),
            versions: shown,
        }),
    }
}
