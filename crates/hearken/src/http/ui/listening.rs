//! The listening admin page (issue #6): saved queries, and a form whose errors point at
//! the fault in the query.

use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use serde_json::json;

use super::{render, require, MeView};
use crate::app::AppState;
use crate::auth::Principal;
use crate::domain::role::Permission;
use crate::domain::Actor;
use crate::http::error::PageError;
use crate::http::session::PageUser;
use crate::listening::{self, ListeningError, QueryRequest};

/// GET /admin/listening
pub async fn page(
    State(state): State<AppState>,
    PageUser(who): PageUser,
) -> Result<Html<String>, PageError> {
    require(&who, Permission::ManageRouting)?;
    show(&state, &who, None, None).await
}

async fn show(
    state: &AppState,
    who: &Principal,
    error: Option<String>,
    typed: Option<&QueryForm>,
) -> Result<Html<String>, PageError> {
    let queries = state.store.listening_queries(who.workspace).await?;
    let accounts = state.store.accounts(who.workspace).await?;
    render(
        state,
        "listening_queries.html",
        json!({
            "me": MeView::of(who),
            "queries": queries,
            "accounts": accounts,
            "error": error,
            "typed": typed.map(|f| json!({ "name": f.name, "query": f.query })),
        }),
    )
}

/// The new-query form.
#[derive(Deserialize)]
pub struct QueryForm {
    name: String,
    query: String,
    account_id: i64,
}

/// POST /admin/listening
pub async fn create(
    State(state): State<AppState>,
    PageUser(who): PageUser,
    Form(f): Form<QueryForm>,
) -> Result<Response, PageError> {
    require(&who, Permission::ManageRouting)?;
    let req = QueryRequest {
        name: f.name.clone(),
        query: f.query.clone(),
        account_id: f.account_id,
    };
    match listening::save(&state, who.workspace, &req, &Actor::User(who.user_id)).await {
        Ok(_) => Ok(Redirect::to("/admin/listening").into_response()),
        Err(ListeningError::Invalid(m)) => {
            Ok(show(&state, &who, Some(m), Some(&f)).await?.into_response())
        }
        Err(e) => Err(e.into()),
    }
}
