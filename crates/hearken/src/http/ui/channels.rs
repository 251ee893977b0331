//! The connected-accounts admin page (issue #6): connect an account, see the webhook
//! address to register and whether deliveries are arriving. Credentials are shown masked.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{Html, Redirect};
use axum::Form;
use serde_json::json;

use super::{render, require, MeView};
use crate::app::AppState;
use crate::channels::connect::{self, ConnectRequest};
use crate::domain::role::Permission;
use crate::domain::Actor;
use crate::http::error::PageError;
use crate::http::session::PageUser;

/// GET /admin/accounts
pub async fn page(
    State(state): State<AppState>,
    PageUser(who): PageUser,
    headers: HeaderMap,
) -> Result<Html<String>, PageError> {
    require(&who, Permission::ManageUsers)?;
    let accounts = connect::list(&state.store, who.workspace).await?;
    let host = headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("your-hearken-host");
    render(
        &state,
        "channels_accounts.html",
        json!({
            "me": MeView::of(&who),
            "accounts": accounts,
            "base": format!("https://{host}"),
            "has_key": state.channels.sealer().is_ok(),
        }),
    )
}

/// POST /admin/accounts
pub async fn create(
    State(state): State<AppState>,
    PageUser(who): PageUser,
    Form(f): Form<ConnectRequest>,
) -> Result<Redirect, PageError> {
    require(&who, Permission::ManageUsers)?;
    connect::connect(
        &state.channels,
        &state.store,
        who.workspace,
        &f,
        &Actor::User(who.user_id),
    )
    .await
    .map_err(crate::http::error::ApiError::from)?;
    Ok(Redirect::to("/admin/accounts"))
}
