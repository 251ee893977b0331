//! Resolving the caller of each request, and CSRF protection.
//!
//! A request is authenticated by an `Authorization: Bearer` API token or by the session
//! cookie. Cookie-authenticated requests that change state must prove they come from our
//! own pages: forms carry a `csrf` field and scripts an `X-CSRF-Token` header, equal to
//! the session's token. The login form, which has no session yet, uses a double-submit
//! cookie instead. Token-authenticated requests carry no cookies, so CSRF cannot reach
//! them.

use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;

use super::error::{ApiError, PageError};
use crate::app::AppState;
use crate::auth::principal::Credential;
use crate::auth::secret::{constant_time_eq, token_hash};
use crate::auth::Principal;
use crate::domain::role::{Permission, Role};
use crate::domain::time::now_millis;
use crate::domain::WorkspaceId;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "hearken_session";
/// The pre-login double-submit CSRF cookie's name.
pub const LOGIN_CSRF_COOKIE: &str = "hearken_csrf";
/// Largest form body the CSRF guard will read.
const MAX_FORM_BYTES: usize = 1024 * 1024;

/// The caller, if any, attached to the request.
#[derive(Clone)]
struct Caller(Option<Principal>);

/// Middleware: resolves the caller and enforces CSRF on state-changing requests.
pub async fn authenticate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let caller = match resolve(&state, req.headers()).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let req = if is_unsafe(req.method()) {
        match guard_csrf(req, caller.as_ref()).await {
            Ok(req) => req,
            Err(e) => return e.into_response(),
        }
    } else {
        req
    };
    let mut req = req;
    req.extensions_mut().insert(Caller(caller));
    next.run(req).await
}

fn is_unsafe(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

async fn resolve(state: &AppState, headers: &HeaderMap) -> Result<Option<Principal>, ApiError> {
    if let Some(token) = bearer(headers) {
        let row = state
            .store
            .token(&token_hash(token))
            .await?
            .ok_or(ApiError::Unauthorized)?;
        return principal(
            state,
            WorkspaceId(row.workspace_id),
            row.user_id,
            Credential::Token,
        )
        .await
        .map(Some);
    }
    let jar = CookieJar::from_headers(headers);
    let Some(cookie) = jar.get(SESSION_COOKIE) else {
        return Ok(None);
    };
    let Some(session) = state
        .store
        .session(&token_hash(cookie.value()), now_millis())
        .await?
    else {
        return Ok(None);
    };
    let cred = Credential::Session {
        csrf_token: session.csrf_token,
    };
    principal(
        state,
        WorkspaceId(session.workspace_id),
        session.user_id,
        cred,
    )
    .await
    .map(Some)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("Bearer ").map(str::trim)
}

async fn principal(
    state: &AppState,
    ws: WorkspaceId,
    user_id: i64,
    credential: Credential,
) -> Result<Principal, ApiError> {
    let user = state
        .store
        .user(ws, user_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let role: Role = user
        .role
        .parse()
        .map_err(|e: crate::domain::role::UnknownRole| ApiError::Internal(e.into()))?;
    Ok(Principal {
        user_id,
        workspace: ws,
        role,
        display_name: user.display_name,
        credential,
    })
}

async fn guard_csrf(req: Request, caller: Option<&Principal>) -> Result<Request, ApiError> {
    let expected = match caller.map(|p| &p.credential) {
        Some(Credential::Token) => return Ok(req),
        Some(Credential::Session { csrf_token }) => csrf_token.clone(),
        None => match CookieJar::from_headers(req.headers()).get(LOGIN_CSRF_COOKIE) {
            Some(c) => c.value().to_owned(),
            // Nobody signed in and no login cookie: handlers refuse with 401 themselves.
            None if req.uri().path() != "/login" => return Ok(req),
            None => return Err(ApiError::Csrf),
        },
    };
    if let Some(h) = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
    {
        return if constant_time_eq(h, &expected) {
            Ok(req)
        } else {
            Err(ApiError::Csrf)
        };
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(ApiError::Csrf);
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| ApiError::BadRequest("the form is too large".into()))?;
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
    let sent = fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    if !constant_time_eq(sent, &expected) {
        return Err(ApiError::Csrf);
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .and_then(|c| c.0.clone())
            .ok_or(ApiError::Unauthorized)
    }
}

/// The caller of an HTML page: unauthenticated visitors are sent to the login page.
pub struct PageUser(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for PageUser {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<Self, Self::Rejection> {
        Principal::from_request_parts(parts, s)
            .await
            .map(PageUser)
            .map_err(PageError)
    }
}

/// Refuses with 403 unless the caller's role grants the permission.
pub fn require(who: &Principal, permission: Permission) -> Result<(), ApiError> {
    if who.can(permission) {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}
