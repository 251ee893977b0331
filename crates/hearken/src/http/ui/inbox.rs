//! The unified inbox page.

use axum::extract::{Query, State};
use axum::response::Html;
use serde_json::json;

use super::{render, require, MeView};
use crate::app::AppState;
use crate::domain::channel::Channel;
use crate::domain::conversation::Status;
use crate::domain::role::Permission;
use crate::http::error::PageError;
use crate::http::session::PageUser;
use crate::http::views::{ConversationView, UserView};
use crate::inbox::InboxParams;

/// GET /inbox
pub async fn page(
    State(state): State<AppState>,
    PageUser(who): PageUser,
    Query(params): Query<InboxParams>,
    Query(sort): Query<super::sla::SortParam>,
) -> Result<Html<String>, PageError> {
    require(&who, Permission::ReadConversations)?;
    let ws = who.workspace;
    // SLA (#3): sort by time left, and show each row's live SLA state.
    let by_due = sort.sort.as_deref() == Some("due");
    let page = super::sla::inbox_page(&state, &who, &params, by_due).await?;
    let accounts = state.store.accounts(ws).await?;
    let users: Vec<UserView> = state
        .store
        .users(ws)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    let teams = state.store.teams(ws).await?;
    let ids: Vec<i64> = page.rows.iter().map(|r| r.id).collect();
    let sla = super::sla::live_states(&state, ws, &ids).await?;
    let rows: Vec<serde_json::Value> = page
        .rows
        .into_iter()
        .map(|r| {
            let id = r.id;
            let mut v = serde_json::to_value(ConversationView::from(r)).unwrap_or_default();
            v["sla"] = json!(sla.get(&id));
            v
        })
        .collect();
    let next = page.next.map(|cursor| next_url(&params, &cursor));
    render(
        &state,
        "inbox.html",
        json!({
            "me": MeView::of(&who),
            "rows": rows,
            "next": next,
            "f": filter_view(&params),
            "sort_due": by_due,
            "channels": Channel::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
            "statuses": Status::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            "accounts": accounts,
            "users": users,
            "teams": teams,
        }),
    )
}

fn filter_view(p: &InboxParams) -> serde_json::Value {
    json!({
        "channel": p.channel, "account": p.account, "status": p.status,
        "assignee": p.assignee, "team": p.team, "tag": p.tag,
        "waiting": matches!(p.waiting.as_deref(), Some("true" | "on" | "1")), "q": p.q,
    })
}

/// The next page's URL: the same filters with the new cursor.
fn next_url(p: &InboxParams, cursor: &str) -> String {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    let mut add = |k: &'static str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            pairs.push((k, v));
        }
    };
    add("channel", p.channel.clone());
    add("account", p.account.map(|v| v.to_string()));
    add("status", p.status.clone());
    add("assignee", p.assignee.clone());
    add("team", p.team.map(|v| v.to_string()));
    add("tag", p.tag.clone());
    add("waiting", p.waiting.clone());
    add("q", p.q.clone());
    add("limit", p.limit.map(|v| v.to_string()));
    add("after", Some(cursor.to_owned()));
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!("/inbox?{query}")
}
