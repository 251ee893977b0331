//! Sign in and sign out.

use std::time::Instant;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;
use serde_json::json;

use super::render;
use crate::app::AppState;
use crate::auth::secret::{new_token, token_hash};
use crate::auth::{password, Principal};
use crate::domain::time::now_millis;
use crate::domain::{Actor, WorkspaceId};
use crate::http::error::PageError;
use crate::http::session::{LOGIN_CSRF_COOKIE, SESSION_COOKIE};
use crate::storage::{NewAuditEvent, SessionRow};

/// The login form.
#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
}

fn cookie(state: &AppState, name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build((name, value))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.settings.secure_cookies)
        .path("/")
        .build()
}

/// GET /login: the form, with a fresh double-submit CSRF cookie.
pub async fn page(State(state): State<AppState>, jar: CookieJar) -> Result<Response, PageError> {
    login_page(&state, jar, None, "")
}

fn login_page(
    state: &AppState,
    jar: CookieJar,
    error: Option<&str>,
    email: &str,
) -> Result<Response, PageError> {
    let csrf = new_token();
    let jar = jar.add(cookie(state, LOGIN_CSRF_COOKIE, csrf.clone()));
    let html = render(
        state,
        "login.html",
        json!({ "csrf": csrf, "error": error, "email": email, "me": null }),
    )?;
    Ok((jar, html).into_response())
}

/// POST /login: checks the password (rate limited per email and address) and starts a session.
pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    let email = form.email.trim().to_lowercase();
    let key = format!("{email}|{}", client_address(&headers));
    let now = Instant::now();
    if !state.login_limiter.allowed(&key, now) {
        tracing::warn!("login refused: too many failed attempts");
        let page = login_page(
            &state,
            jar,
            Some("Too many failed attempts. Wait a few minutes and try again."),
            &email,
        )?;
        return Ok((axum::http::StatusCode::TOO_MANY_REQUESTS, page).into_response());
    }
    let user = state.store.user_by_email(&email).await?;
    let Some(user) = user.filter(|u| password::verify(&form.password, &u.password_hash)) else {
        state.login_limiter.failed(&key, now);
        let page = login_page(&state, jar, Some("Email or password is wrong."), &email)?;
        return Ok((axum::http::StatusCode::UNAUTHORIZED, page).into_response());
    };
    state.login_limiter.succeeded(&key);
    let token = new_token();
    let created = now_millis();
    let session = SessionRow {
        token_hash: token_hash(&token),
        user_id: user.id,
        workspace_id: user.workspace_id,
        csrf_token: new_token(),
        created_at: created,
        expires_at: created + state.settings.session_hours * 3_600_000,
    };
    state.store.create_session(&session).await?;
    audit_login(
        &state,
        WorkspaceId(user.workspace_id),
        user.id,
        "auth.login",
    )
    .await?;
    tracing::info!(user.id = user.id, "user {} signed in", user.id);
    let jar = jar
        .add(cookie(&state, SESSION_COOKIE, token))
        .remove(Cookie::from(LOGIN_CSRF_COOKIE));
    Ok((jar, Redirect::to("/inbox")).into_response())
}

async fn audit_login(
    state: &AppState,
    ws: WorkspaceId,
    user_id: i64,
    action: &str,
) -> Result<(), PageError> {
    let ev = NewAuditEvent {
        at: now_millis(),
        actor: Actor::User(user_id).as_audit_text(),
        action: action.to_owned(),
        subject: format!("user:{user_id}"),
        before: None,
        after: None,
    };
    state.store.append_audit(ws, &ev).await?;
    Ok(())
}

/// The address used to key rate limits: the proxy's `X-Forwarded-For` first hop when
/// present, else "direct" (the server binds to one address in the embedded setup).
fn client_address(headers: &HeaderMap) -> String {
    headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|v| v.trim().to_owned())
        .unwrap_or_else(|| "direct".to_owned())
}

/// POST /logout: ends the session.
pub async fn logout(
    State(state): State<AppState>,
    who: Principal,
    jar: CookieJar,
) -> Result<Response, PageError> {
    if let Some(c) = jar.get(SESSION_COOKIE) {
        state.store.delete_session(&token_hash(c.value())).await?;
    }
    audit_login(&state, who.workspace, who.user_id, "auth.logout").await?;
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/").build());
    Ok((jar, Redirect::to("/login")).into_response())
}
