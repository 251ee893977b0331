//! The one HTTP error type. API errors are JSON `{"error":{"code","message"}}` with a
//! stable code; 5xx bodies stay generic and the detail goes to the log. `PageError` wraps
//! the same errors for the HTML UI: a login redirect for 401 and a small page otherwise.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use serde::Serialize;

use crate::approvals::FlowError;
use crate::import::Rejection;
use crate::inbox::WorkError;
use crate::replies::adapter::SendError;
use crate::replies::send::ReplyError;
use crate::storage::StoreError;

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("sign in first")]
    Unauthorized,
    #[error("your role does not allow this")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Conflict(String),
    #[error("too many attempts; try again later")]
    TooManyRequests,
    #[error("the form has expired; reload the page and try again")]
    Csrf,
    #[error("{0}")]
    Upstream(String),
    /// The reply breaks blocking rules of the style guide (422 with the violations).
    #[error("the reply breaks the style guide")]
    Style(Vec<hearken_voice::style::Violation>),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable code.
    pub code: &'static str,
    /// Human-readable explanation.
    pub message: String,
    /// Per-row problems, for imports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejections: Option<Vec<Rejection>>,
    /// Style guide violations, for replies and templates.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub violations: Option<Vec<hearken_voice::style::Violation>>,
}

impl ApiError {
    /// The HTTP status and stable code of this error.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::BadRequest(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::TooManyRequests => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            ApiError::Csrf => (StatusCode::FORBIDDEN, "csrf"),
            ApiError::Upstream(_) => (StatusCode::BAD_GATEWAY, "upstream"),
            ApiError::Style(_) => (StatusCode::UNPROCESSABLE_ENTITY, "style_violations"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    fn public_message(&self) -> String {
        if let ApiError::Internal(err) = self {
            tracing::error!(error = ?err, "request failed");
        }
        self.to_string()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = self.public_message();
        let violations = match self {
            ApiError::Style(v) => Some(v),
            _ => None,
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code,
                message,
                rejections: None,
                violations,
            },
        };
        (status, Json(body)).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Conflict(what) => ApiError::Conflict(what),
            other => ApiError::Internal(other.into()),
        }
    }
}

impl From<WorkError> for ApiError {
    fn from(e: WorkError) -> Self {
        match e {
            WorkError::Invalid(m) => ApiError::BadRequest(m),
            WorkError::NotFound => ApiError::NotFound,
            WorkError::Store(s) => s.into(),
        }
    }
}

impl From<ReplyError> for ApiError {
    fn from(e: ReplyError) -> Self {
        match e {
            ReplyError::Empty | ReplyError::TooLong | ReplyError::Length(_) => {
                ApiError::BadRequest(e.to_string())
            }
            ReplyError::NotFound => ApiError::NotFound,
            ReplyError::Send(SendError::Refused(m)) => ApiError::BadRequest(m),
            ReplyError::Send(SendError::Unsupported(c)) => {
                ApiError::BadRequest(format!("replies on {c} are not supported yet"))
            }
            ReplyError::Send(SendError::Unavailable(m)) => {
                tracing::warn!(error = %m, "reply delivery failed");
                ApiError::Upstream(
                    "the platform could not be reached; the reply was not sent".into(),
                )
            }
            ReplyError::Store(s) => s.into(),
            ReplyError::Approval(f) => f.into(),
        }
    }
}

impl From<FlowError> for ApiError {
    fn from(e: FlowError) -> Self {
        match e {
            FlowError::Style(v) => ApiError::Style(v),
            FlowError::Invalid(m) => ApiError::BadRequest(m),
            FlowError::Forbidden(_) => ApiError::Forbidden,
            FlowError::Conflict(m) => ApiError::Conflict(m),
            FlowError::NotFound => ApiError::NotFound,
            FlowError::Send(s) => ReplyError::Send(s).into(),
            FlowError::Store(s) => s.into(),
        }
    }
}

/// An error shown as an HTML page.
#[derive(Debug)]
pub struct PageError(pub ApiError);

impl<E: Into<ApiError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if matches!(self.0, ApiError::Unauthorized) {
            return Redirect::to("/login").into_response();
        }
        let (status, _) = self.0.status_and_code();
        let message = crate::dashboard::chart::escape(&self.0.public_message());
        let body = format!(
            "<!doctype html><meta charset=utf-8><title>Hearken: {status}</title>\
             <link rel=stylesheet href=/static/app.css><main class=error><h1>{}</h1>\
             <p>{message}</p><p><a href=/inbox>Back to the inbox</a></p></main>",
            status.canonical_reason().unwrap_or("Error"),
        );
        (status, Html(body)).into_response()
    }
}
