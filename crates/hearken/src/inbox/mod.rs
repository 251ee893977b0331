//! Working the inbox: listing conversations and changing them. Every change is checked
//! here, stored with its audit event by the store, and pushed to live listeners.

use serde::Deserialize;

use crate::app::{AppState, DeskEvent};
use crate::auth::Principal;
use crate::domain::conversation::{Locale, Priority, Status, Tag};
use crate::domain::Actor;
use crate::storage::{
    ConversationChange, ConversationRow, InboxCursor, InboxFilter, NoteRow, StoreError,
};

/// Largest inbox page.
pub const MAX_PAGE: i64 = 200;

/// Why a change was refused.
#[derive(Debug, thiserror::Error)]
pub enum WorkError {
    #[error("{0}")]
    Invalid(String),
    #[error("conversation not found")]
    NotFound,
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for WorkError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => WorkError::NotFound,
            other => WorkError::Store(other),
        }
    }
}

/// Inbox query parameters as they arrive from a URL; every field optional.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxParams {
    pub channel: Option<String>,
    pub account: Option<i64>,
    pub status: Option<String>,
    /// A user id, or `none` for unassigned.
    pub assignee: Option<String>,
    pub team: Option<i64>,
    pub tag: Option<String>,
    /// `true` (or `on`, from a checkbox) for conversations waiting for us.
    pub waiting: Option<String>,
    /// Text to search for in messages.
    pub q: Option<String>,
    /// The cursor from the previous page.
    pub after: Option<String>,
    pub limit: Option<i64>,
}

impl InboxParams {
    /// Validates and converts to a storage filter.
    pub fn to_filter(&self) -> Result<InboxFilter, WorkError> {
        let blank = |v: &Option<String>| {
            v.as_ref()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
        };
        let mut f = InboxFilter {
            channel: blank(&self.channel),
            account_id: self.account,
            team_id: self.team,
            waiting: match self.waiting.as_deref().map(str::trim) {
                None | Some("" | "false" | "off" | "0") => false,
                Some("true" | "on" | "1") => true,
                Some(other) => {
                    let other: String = other.chars().take(20).collect();
                    return Err(WorkError::Invalid(format!(
                        "waiting is true or false, not {other:?}"
                    )));
                }
            },
            text: blank(&self.q),
            ..InboxFilter::default()
        };
        if let Some(s) = blank(&self.status) {
            let status: Status =
                s.parse()
                    .map_err(|e: crate::domain::conversation::UnknownStatus| {
                        WorkError::Invalid(e.to_string())
                    })?;
            f.status = Some(status.as_str().to_owned());
        }
        if let Some(ch) = &f.channel {
            ch.parse::<crate::domain::channel::Channel>()
                .map_err(|e| WorkError::Invalid(e.to_string()))?;
        }
        match blank(&self.assignee).as_deref() {
            None => {}
            Some("none") => f.unassigned = true,
            Some(id) => {
                f.assignee_id =
                    Some(id.parse().map_err(|_| {
                        WorkError::Invalid("assignee must be a user id or none".into())
                    })?)
            }
        }
        if let Some(t) = blank(&self.tag) {
            f.tag = Some(
                Tag::parse(&t)
                    .map_err(|e| WorkError::Invalid(e.to_string()))?
                    .as_str()
                    .to_owned(),
            );
        }
        if let Some(q) = &f.text {
            if q.chars().count() > 200 {
                return Err(WorkError::Invalid(
                    "search text is at most 200 characters".into(),
                ));
            }
        }
        if let Some(a) = blank(&self.after) {
            f.after = Some(InboxCursor::decode(&a).ok_or_else(|| {
                WorkError::Invalid("after is not a cursor from a previous page".into())
            })?);
        }
        Ok(f)
    }

    /// The page size, clamped to 1..=MAX_PAGE, default 50.
    pub fn limit(&self) -> i64 {
        self.limit.unwrap_or(50).clamp(1, MAX_PAGE)
    }
}

/// One inbox page and the cursor of the next.
pub struct InboxPage {
    pub rows: Vec<ConversationRow>,
    pub next: Option<String>,
}

/// Lists one page of the inbox, newest activity first.
pub async fn list(
    state: &AppState,
    who: &Principal,
    params: &InboxParams,
) -> Result<InboxPage, WorkError> {
    let filter = params.to_filter()?;
    let limit = params.limit();
    let mut rows = state.store.inbox(who.workspace, &filter, limit + 1).await?;
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| {
            InboxCursor {
                activity_at: r.activity_at,
                id: r.id,
            }
            .encode()
        })
    } else {
        None
    };
    Ok(InboxPage { rows, next })
}

/// A requested change in text form, as from a form or JSON body.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ChangeRequest {
    pub status: Option<String>,
    pub priority: Option<String>,
    /// A user id, or empty / `none` to unassign.
    pub assignee: Option<String>,
    /// A team id, or empty / `none` to clear.
    pub team: Option<String>,
    /// A language tag such as `es` or `pt-BR`, or empty / `none` for the workspace
    /// default: replies are checked against this locale's style guide.
    pub locale: Option<String>,
}

/// Validates and applies a change to status, priority, assignee, team or locale.
pub async fn change(
    state: &AppState,
    who: &Principal,
    id: i64,
    req: &ChangeRequest,
) -> Result<ConversationRow, WorkError> {
    let ws = who.workspace;
    let mut c = ConversationChange::default();
    if let Some(s) = &req.status {
        c.status = Some(
            s.parse::<Status>()
                .map_err(|e| WorkError::Invalid(e.to_string()))?
                .as_str()
                .to_owned(),
        );
    }
    if let Some(p) = &req.priority {
        c.priority = Some(
            p.parse::<Priority>()
                .map_err(|e| WorkError::Invalid(e.to_string()))?
                .as_str()
                .to_owned(),
        );
    }
    if let Some(a) = &req.assignee {
        c.assignee_id = Some(match optional_id(a, "assignee")? {
            Some(uid) => Some({
                let user = (state.store.user(ws, uid).await?)
                    .ok_or_else(|| WorkError::Invalid("no such user in this workspace".into()))?;
                // Only someone who may work conversations can be given one.
                if !user.works_conversations() {
                    return Err(WorkError::Invalid(format!(
                        "a {} cannot be assigned conversations",
                        user.role
                    )));
                }
                user.id
            }),
            None => None,
        });
    }
    if let Some(t) = &req.team {
        c.team_id = Some(match optional_id(t, "team")? {
            Some(tid) => {
                let teams = state.store.teams(ws).await?;
                Some(
                    teams
                        .iter()
                        .find(|t| t.id == tid)
                        .ok_or_else(|| WorkError::Invalid("no such team in this workspace".into()))?
                        .id,
                )
            }
            None => None,
        });
    }
    if let Some(l) = &req.locale {
        c.locale = Some(match l.trim() {
            "" | "none" => None,
            tag => Some(
                Locale::parse(tag)
                    .map_err(|e| WorkError::Invalid(e.to_string()))?
                    .as_str()
                    .to_owned(),
            ),
        });
    }
    let row = state
        .store
        .change_conversation(ws, id, &c, &Actor::User(who.user_id))
        .await?;
    tracing::info!(
        conversation.id = id,
        user.id = who.user_id,
        "conversation {id} changed"
    );
    state.publish(DeskEvent::changed(ws, id));
    Ok(row)
}

fn optional_id(raw: &str, what: &str) -> Result<Option<i64>, WorkError> {
    match raw.trim() {
        "" | "none" => Ok(None),
        v => v
            .parse()
            .map(Some)
            .map_err(|_| WorkError::Invalid(format!("{what} must be an id or none"))),
    }
}

/// Adds a tag.
pub async fn add_tag(
    state: &AppState,
    who: &Principal,
    id: i64,
    raw: &str,
) -> Result<(), WorkError> {
    let tag = Tag::parse(raw).map_err(|e| WorkError::Invalid(e.to_string()))?;
    state
        .store
        .add_tag(who.workspace, id, tag.as_str(), &Actor::User(who.user_id))
        .await?;
    state.publish(DeskEvent::changed(who.workspace, id));
    Ok(())
}

/// Removes a tag.
pub async fn remove_tag(
    state: &AppState,
    who: &Principal,
    id: i64,
    raw: &str,
) -> Result<(), WorkError> {
    let tag = Tag::parse(raw).map_err(|e| WorkError::Invalid(e.to_string()))?;
    state
        .store
        .remove_tag(who.workspace, id, tag.as_str(), &Actor::User(who.user_id))
        .await?;
    Ok(())
}

/// Adds an internal note.
pub async fn add_note(
    state: &AppState,
    who: &Principal,
    id: i64,
    body: &str,
) -> Result<NoteRow, WorkError> {
    let body = body.trim();
    if body.is_empty() {
        return Err(WorkError::Invalid("the note is empty".into()));
    }
    if body.chars().count() > 10_000 {
        return Err(WorkError::Invalid(
            "a note is at most 10000 characters".into(),
        ));
    }
    if body.contains('\0') {
        return Err(WorkError::Invalid(
            "the note contains a NUL character".into(),
        ));
    }
    let note = state
        .store
        .add_note(who.workspace, id, who.user_id, body)
        .await?;
    state.publish(DeskEvent::changed(who.workspace, id));
    Ok(note)
}
