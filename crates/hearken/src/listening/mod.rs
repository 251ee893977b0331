//! Listening: saved queries over public posts that are not addressed to any of the
//! workspace's accounts. A matching post lands in the inbox of the query's account, tagged
//! `listening:<name>` and recorded with the query that found it; routing then runs on it
//! like on any inbound message.
//!
//! A post the owned inbox also receives (a mention that is both addressed and matching)
//! is one message either way: ingest keys messages by channel and platform id.

use serde::{Deserialize, Serialize};
use tracing::instrument;

use crate::app::{AppState, DeskEvent};
use crate::domain::channel::{Channel, Visibility};
use crate::domain::conversation::Tag;
use crate::domain::message::{AuthorRef, Direction, IncomingMessage};
use crate::domain::{Actor, WorkspaceId};
use crate::storage::listening::{ListeningQueryRow, NewListeningQuery};
use crate::storage::StoreError;

/// A listening query to save.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct QueryRequest {
    /// Short label; the tag on matches is `listening:<name>`.
    pub name: String,
    /// The query (`refund OR "money back" -spam lang:en`).
    pub query: String,
    /// The account whose inbox receives the matches; its channel is listened on.
    pub account_id: i64,
}

/// Why a listening query or post was refused.
#[derive(Debug, thiserror::Error)]
pub enum ListeningError {
    /// The request is invalid; the message says which field and where.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Parses a query, with an error that quotes the query and points at the fault.
pub fn check_query(src: &str) -> Result<hearken_text::Query, ListeningError> {
    hearken_text::parse(src).map_err(|e| {
        let caret = format!("{}^", " ".repeat(e.column.saturating_sub(1)));
        ListeningError::Invalid(format!("query: {e}\n{src}\n{caret}"))
    })
}

/// Validates and saves a query.
pub async fn save(
    state: &AppState,
    ws: WorkspaceId,
    req: &QueryRequest,
    actor: &Actor,
) -> Result<ListeningQueryRow, ListeningError> {
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 50 {
        return Err(ListeningError::Invalid(
            "name: give the query a name of 1 to 50 characters".into(),
        ));
    }
    let parsed = check_query(&req.query)?;
    let account = state
        .store
        .accounts(ws)
        .await?
        .into_iter()
        .find(|a| a.id == req.account_id)
        .ok_or_else(|| ListeningError::Invalid("account_id: no such account".into()))?;
    let new = NewListeningQuery {
        name: name.to_owned(),
        query: req.query.clone(),
        canonical: parsed.to_string(),
        channel: account.channel,
        account_id: account.id,
    };
    Ok(state.store.create_listening_query(ws, &new, actor).await?)
}

/// A public post seen on a platform, offered to listening.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct PublicPost {
    pub channel: String,
    pub platform_id: String,
    pub author: AuthorRef,
    /// Follower count of the author, when the platform gives it.
    #[serde(default)]
    pub followers: Option<i64>,
    pub text: String,
    /// BCP 47 language tag, when the platform gives it.
    #[serde(default)]
    pub lang: Option<String>,
    /// Creation time, epoch ms.
    pub created_at: i64,
    #[serde(default)]
    pub reply_to: Option<String>,
    /// True when the post mentions or answers one of the workspace's accounts: the owned
    /// inbox receives those, so listening leaves them alone.
    #[serde(default)]
    pub addressed_to_account: bool,
}

/// What listening did with a batch of posts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ListeningReport {
    pub offered: u64,
    /// Addressed to an account: left to the owned inbox.
    pub addressed: u64,
    pub matched: u64,
    /// Matched and stored for the first time.
    pub stored: u64,
    /// Matched but already in the desk.
    pub duplicates: u64,
}

/// Matches posts against the workspace's enabled queries and stores the matches.
// TODO(#6): the ingestion half's pollers and streams call this with the public posts they
// see that are not addressed to an account.
#[instrument(skip_all, fields(workspace.id = ws.0, posts = posts.len()))]
pub async fn offer(
    state: &AppState,
    ws: WorkspaceId,
    posts: &[PublicPost],
) -> Result<ListeningReport, ListeningError> {
    let queries = compiled_queries(state, ws).await?;
    let accounts = state.store.accounts(ws).await?;
    let mut report = ListeningReport::default();
    for post in posts {
        report.offered += 1;
        if post.addressed_to_account {
            report.addressed += 1;
            continue;
        }
        let Some((row, _)) = queries.iter().find(|(row, q)| matches(row, q, post)) else {
            continue;
        };
        report.matched += 1;
        let Some(account) = accounts.iter().find(|a| a.id == row.account_id) else {
            continue;
        };
        if store_match(state, ws, row, &account.handle, post).await? {
            report.stored += 1;
        } else {
            report.duplicates += 1;
        }
    }
    Ok(report)
}

async fn compiled_queries(
    state: &AppState,
    ws: WorkspaceId,
) -> Result<Vec<(ListeningQueryRow, hearken_text::Query)>, ListeningError> {
    let rows = state.store.listening_queries(ws).await?;
    let mut out: Vec<_> = rows
        .into_iter()
        .filter(|r| r.enabled != 0)
        .filter_map(|r| hearken_text::parse(&r.query).ok().map(|q| (r, q)))
        .collect();
    out.sort_by_key(|(r, _)| r.id);
    Ok(out)
}

fn matches(row: &ListeningQueryRow, q: &hearken_text::Query, post: &PublicPost) -> bool {
    row.channel == post.channel
        && q.matches(&hearken_text::Post {
            text: &post.text,
            author: &post.author.handle,
            lang: post.lang.as_deref(),
        })
}

async fn store_match(
    state: &AppState,
    ws: WorkspaceId,
    row: &ListeningQueryRow,
    account: &str,
    post: &PublicPost,
) -> Result<bool, ListeningError> {
    let channel: Channel =
        post.channel
            .parse()
            .map_err(|e: crate::domain::channel::UnknownChannel| {
                ListeningError::Invalid(e.to_string())
            })?;
    let message = IncomingMessage {
        channel,
        account: account.to_owned(),
        platform_id: post.platform_id.clone(),
        direction: Direction::In,
        visibility: Visibility::Public,
        reply_to: post.reply_to.clone(),
        customer: Some(post.author.clone()),
        text: post.text.clone(),
        platform_time: post.created_at,
        conversation_key: None,
        conversation_attrs: None,
        earlier_versions: Vec::new(),
        deleted_at: None,
    };
    message
        .validate()
        .map_err(|e| ListeningError::Invalid(format!("post {}: {e}", post.platform_id)))?;
    let report = state
        .store
        .ingest(
            ws,
            &Actor::System("listening"),
            std::slice::from_ref(&message),
        )
        .await?;
    if report.imported == 0 {
        return Ok(false);
    }
    if let Some(n) = post.followers {
        state
            .store
            .set_identity_followers(
                ws,
                &post.channel,
                &post.author.platform_user_id,
                n,
                post.created_at,
            )
            .await?;
    }
    let tag = Tag::parse(&format!("listening:{}", row.name))
        .map(|t| t.as_str().to_owned())
        .unwrap_or_else(|_| format!("listening:{}", row.id));
    let found = Some((post.platform_id.as_str(), row.id, tag));
    crate::routing::route_conversations(state, ws, &report.touched_conversations, found).await?;
    for id in &report.touched_conversations {
        state.publish(DeskEvent::changed(ws, *id));
    }
    Ok(true)
}
