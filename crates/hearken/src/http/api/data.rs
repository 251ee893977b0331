//! Import and export over the API, and the sandbox outbox.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;

use crate::app::{AppState, DeskEvent};
use crate::auth::Principal;
use crate::domain::role::Permission;
use crate::domain::Actor;
use crate::export::Exporter;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::ApiQuery;
use crate::http::session::require;
use crate::import::{self, progress::Progress, Format};
use crate::storage::OutboxRow;

/// Which format the body is in.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// `twcs`, `ibm-cdp` or `ndjson` (default).
    pub format: Option<Format>,
}

/// Import a file sent as the request body; returns the per-row summary.
#[utoipa::path(post, path = "/api/v1/import", params(ImportParams), request_body(content = String, description = "the file"), responses((status = 200, description = "summary: read, imported, duplicates, rejected, rejections"), (status = 403, body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    who: Principal,
    ApiQuery(p): ApiQuery<ImportParams>,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    require(&who, Permission::MoveData)?;
    let format = p.format.unwrap_or(Format::Ndjson);
    let rows = import::parse(format, &body);
    let summary = import::run(
        &state.store,
        who.workspace,
        &Actor::User(who.user_id),
        rows,
        &Progress::hidden(),
    )
    .await?;
    tracing::info!(
        user.id = who.user_id,
        imported = summary.imported,
        rejected = summary.rejected,
        "import through the API finished"
    );
    state.publish(DeskEvent {
        workspace: who.workspace,
        conversation_id: None,
    });
    Ok(Json(summary))
}

/// Export every message as canonical NDJSON.
#[utoipa::path(get, path = "/api/v1/export", responses((status = 200, description = "NDJSON, one canonical message per line", content_type = "application/x-ndjson")))]
pub async fn export(
    State(state): State<AppState>,
    who: Principal,
) -> Result<impl IntoResponse, ApiError> {
    require(&who, Permission::MoveData)?;
    let exporter = Exporter::new(state.store.clone(), who.workspace);
    let stream = futures::stream::try_unfold(exporter, |mut e| async move {
        match e.next_chunk().await {
            Ok(Some(chunk)) => Ok(Some((axum::body::Bytes::from(chunk), e))),
            Ok(None) => Ok(None),
            Err(err) => {
                tracing::error!(error = ?err, "export failed part-way");
                Err(std::io::Error::other("export failed"))
            }
        }
    });
    Ok((
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        axum::body::Body::from_stream(stream),
    ))
}

/// What the sandbox channel has "delivered".
#[utoipa::path(get, path = "/api/v1/sandbox/outbox", responses((status = 200, body = Vec<OutboxRow>)))]
pub async fn outbox(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<Vec<OutboxRow>>, ApiError> {
    require(&who, Permission::ReadConversations)?;
    Ok(Json(state.store.sandbox_outbox(who.workspace).await?))
}
