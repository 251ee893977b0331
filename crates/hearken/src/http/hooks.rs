//! Webhook endpoints `/hooks/{channel}/{account}` (issue #6).
//!
//! GET answers the platform's subscription check (X CRC, Meta `hub.challenge`). POST
//! checks the body signature with the account's app secret, refuses and records a bad or
//! missing one, and otherwise writes the delivery durably, exactly as received, before
//! answering 200: processing happens afterwards in the worker.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use hearken_connectors::signature;
use secrecy::ExposeSecret;

use crate::app::AppState;
use crate::channels::runtime::HookAccount;
use crate::domain::time::now_millis;
use crate::storage::channels::NewDelivery;

/// Why a webhook request was not accepted.
enum HookRefusal {
    NotFound,
    MissingSignature,
    BadSignature,
    Unavailable,
}

impl IntoResponse for HookRefusal {
    fn into_response(self) -> Response {
        let (status, text) = match self {
            HookRefusal::NotFound => (StatusCode::NOT_FOUND, "no such webhook"),
            HookRefusal::MissingSignature => (StatusCode::UNAUTHORIZED, "signature missing"),
            HookRefusal::BadSignature => (StatusCode::FORBIDDEN, "signature does not match"),
            HookRefusal::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "try again"),
        };
        (status, text).into_response()
    }
}

async fn account(
    state: &AppState,
    channel: &str,
    account: &str,
) -> Result<std::sync::Arc<HookAccount>, HookRefusal> {
    let id: i64 = account.parse().map_err(|_| HookRefusal::NotFound)?;
    let found = state.channels.hook_account(id).await.map_err(|e| {
        tracing::error!(account.id = id, error = %e, "loading webhook account {id} failed");
        HookRefusal::Unavailable
    })?;
    found
        .filter(|a| a.channel == channel)
        .ok_or(HookRefusal::NotFound)
}

fn secret(a: &HookAccount) -> &str {
    a.credentials
        .app_secret
        .as_ref()
        .map(|s| s.expose_secret())
        .unwrap_or("")
}

/// GET /hooks/{channel}/{account}: the subscription check.
pub async fn verify(
    State(state): State<AppState>,
    Path((channel, acct)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let a = match account(&state, &channel, &acct).await {
        Ok(a) => a,
        Err(r) => return r.into_response(),
    };
    if let Some(token) = q.get("crc_token").filter(|_| channel == "x") {
        let answer = signature::crc_response(secret(&a), token);
        return Json(serde_json::json!({ "response_token": answer })).into_response();
    }
    let expected = a
        .credentials
        .verify_token
        .as_ref()
        .map(|s| s.expose_secret())
        .unwrap_or("");
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
    match signature::verify_subscription(
        get("hub.mode"),
        get("hub.verify_token"),
        expected,
        get("hub.challenge"),
    ) {
        Some(challenge) => challenge.into_response(),
        None => HookRefusal::BadSignature.into_response(),
    }
}

/// Which header carries the signature, and whether it matches.
fn check_signature(
    a: &HookAccount,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<&'static str, HookRefusal> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let key = secret(a);
    let (name, ok) = match a.channel.as_str() {
        "x" => {
            let h = header("x-twitter-webhooks-signature").ok_or(HookRefusal::MissingSignature)?;
            (
                "x-twitter-webhooks-signature",
                signature::verify_x_signature(key, body, h),
            )
        }
        "facebook" | "instagram" | "messenger" => {
            if let Some(h) = header("x-hub-signature-256") {
                (
                    "x-hub-signature-256",
                    signature::verify_meta_signature_256(key, body, h),
                )
            } else {
                let h = header("x-hub-signature").ok_or(HookRefusal::MissingSignature)?;
                (
                    "x-hub-signature",
                    signature::verify_meta_signature_sha1(key, body, h),
                )
            }
        }
        // Mastodon webhooks sign with `X-Hub-Signature: sha256=<hex>`.
        "mastodon" => {
            let h = header("x-hub-signature").ok_or(HookRefusal::MissingSignature)?;
            (
                "x-hub-signature",
                signature::verify_meta_signature_256(key, body, h),
            )
        }
        _ => return Err(HookRefusal::NotFound),
    };
    if key.is_empty() || !ok {
        return Err(HookRefusal::BadSignature);
    }
    Ok(name)
}

/// POST /hooks/{channel}/{account}: a delivery.
pub async fn deliver(
    State(state): State<AppState>,
    Path((channel, acct)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let a = match account(&state, &channel, &acct).await {
        Ok(a) => a,
        Err(r) => return r.into_response(),
    };
    let sig_header = match check_signature(&a, &headers, &body) {
        Ok(h) => h,
        Err(refusal) => return refuse(&state, &a, refusal).await,
    };
    let kept = serde_json::json!({
        "content-type": headers.get("content-type").and_then(|v| v.to_str().ok()),
        sig_header: headers.get(sig_header).and_then(|v| v.to_str().ok()),
    });
    let delivery = NewDelivery {
        workspace_id: a.workspace.0,
        account_id: a.account_id,
        channel: a.channel.clone(),
        body: body.to_vec(),
        headers: kept.to_string(),
        received_at: now_millis(),
    };
    match state.channels.accept(delivery).await {
        Ok(()) => (StatusCode::OK, "EVENT_RECEIVED").into_response(),
        Err(_) => HookRefusal::Unavailable.into_response(),
    }
}

async fn refuse(state: &AppState, a: &HookAccount, refusal: HookRefusal) -> Response {
    let reason = match refusal {
        HookRefusal::MissingSignature => "missing",
        HookRefusal::BadSignature => "mismatch",
        _ => return refusal.into_response(),
    };
    tracing::warn!(
        account.id = a.account_id,
        reason,
        "refused a webhook delivery for account {}: signature {reason}",
        a.account_id
    );
    if let Err(e) = state
        .store
        .record_refused_signature(a.workspace, a.account_id, reason)
        .await
    {
        tracing::error!(account.id = a.account_id, error = %e, "recording a refused signature failed");
    }
    refusal.into_response()
}
