//! Message history over the API (issue #5): a person's timeline, attributes, links and
//! suggestions, preserved originals, the reply record, contact deletion, erasure,
//! retention and legal holds.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::auth::Principal;
use crate::domain::role::Permission;
use crate::domain::Actor;
use crate::history::contacts::{self, AttributeRequest, LinkRequest};
use crate::history::record::{self, ReplyRecord};
use crate::history::timeline::{self, Timeline, VersionText};
use crate::history::{card, HistoryError};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::session::require;
use crate::storage::{
    AttributeRow, ContactRow, DeletionReport, ErasureReport, ErasureRequest, HoldRow, LinkRow,
    PreservedRow, SuggestionRow,
};

impl From<HistoryError> for ApiError {
    fn from(e: HistoryError) -> Self {
        match e {
            HistoryError::Invalid(m) => ApiError::BadRequest(m),
            HistoryError::NotFound => ApiError::NotFound,
            HistoryError::Store(s) => s.into(),
        }
    }
}

fn actor(who: &Principal) -> Actor {
    Actor::User(who.user_id)
}

/// A person's timeline across every linked contact.
#[utoipa::path(get, path = "/api/v1/contacts/{id}/timeline", params(("id" = i64, Path)), responses((status = 200, body = Timeline), (status = 404, body = ErrorBody)))]
pub async fn timeline(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Timeline>, ApiError> {
    require(&who, Permission::ReadConversations)?;
    Ok(Json(
        timeline::build(&state.store, who.workspace, id).await?,
    ))
}

/// A change to a contact.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ContactChange {
    pub vip: bool,
}

/// Set or clear the VIP flag.
#[utoipa::path(patch, path = "/api/v1/contacts/{id}", params(("id" = i64, Path)), request_body = ContactChange, responses((status = 200, body = ContactRow)))]
pub async fn change_contact(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<ContactChange>,
) -> Result<Json<ContactRow>, ApiError> {
    require(&who, Permission::WorkConversations)?;
    let row = state
        .store
        .set_vip(who.workspace, id, req.vip, &actor(&who))
        .await?;
    Ok(Json(row))
}

/// Add an email, phone or custom attribute.
#[utoipa::path(post, path = "/api/v1/contacts/{id}/attributes", params(("id" = i64, Path)), request_body = AttributeRequest, responses((status = 201, body = AttributeRow), (status = 422, body = ErrorBody)))]
pub async fn add_attribute(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<AttributeRequest>,
) -> Result<(StatusCode, Json<AttributeRow>), ApiError> {
    require(&who, Permission::WorkConversations)?;
    let row = contacts::add_attribute(&state.store, who.workspace, id, &req, &actor(&who)).await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// Link another contact into this one, with the evidence.
#[utoipa::path(post, path = "/api/v1/contacts/{id}/links", params(("id" = i64, Path)), request_body = LinkRequest, responses((status = 201, body = LinkRow), (status = 422, body = ErrorBody)))]
pub async fn link(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<LinkRequest>,
) -> Result<(StatusCode, Json<LinkRow>), ApiError> {
    require(&who, Permission::WorkConversations)?;
    let row = contacts::link(&state.store, who.workspace, id, &req, &actor(&who)).await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// Undo a link; both contacts return to exactly their previous state.
#[utoipa::path(post, path = "/api/v1/links/{id}/undo", params(("id" = i64, Path)), responses((status = 200, body = LinkRow), (status = 409, body = ErrorBody)))]
pub async fn undo_link(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<LinkRow>, ApiError> {
    require(&who, Permission::WorkConversations)?;
    Ok(Json(
        state
            .store
            .undo_link(who.workspace, id, &actor(&who))
            .await?,
    ))
}

/// Suggested links in the workspace; shown to agents, never applied automatically.
#[utoipa::path(get, path = "/api/v1/contact-suggestions", responses((status = 200, body = Vec<SuggestionRow>)))]
pub async fn suggestions(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<Vec<SuggestionRow>>, ApiError> {
    require(&who, Permission::ReadConversations)?;
    Ok(Json(
        state.store.link_suggestions(who.workspace, None).await?,
    ))
}

/// A suggestion to dismiss, and why.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct DismissRequest {
    pub contact_id: i64,
    pub other_contact_id: i64,
    /// `email`, `phone` or `handle`.
    pub basis: String,
    pub reason: String,
}

/// Dismisses a suggested link ("not the same person"); it is no longer suggested on that
/// basis. Audited.
#[utoipa::path(post, path = "/api/v1/contact-suggestions/dismiss", request_body = DismissRequest, responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn dismiss_suggestion(
    State(state): State<AppState>,
    who: Principal,
    ApiJson(req): ApiJson<DismissRequest>,
) -> Result<StatusCode, ApiError> {
    require(&who, Permission::WorkConversations)?;
    dismiss(&state, &who, &req).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Validates and stores a dismissal (shared by the API and the timeline page).
pub async fn dismiss(
    state: &AppState,
    who: &Principal,
    req: &DismissRequest,
) -> Result<(), ApiError> {
    if !matches!(req.basis.as_str(), "email" | "phone" | "handle") {
        return Err(ApiError::BadRequest(
            "basis must be email, phone or handle".into(),
        ));
    }
    if req.contact_id == req.other_contact_id {
        return Err(ApiError::BadRequest("name two different contacts".into()));
    }
    let why = reason(&ReasonRequest {
        reason: req.reason.clone(),
    })?;
    let pair = SuggestionRow {
        contact_id: req.contact_id,
        other_contact_id: req.other_contact_id,
        basis: req.basis.clone(),
    };
    state
        .store
        .dismiss_suggestion(who.workspace, &pair, &why, &Actor::User(who.user_id))
        .await?;
    Ok(())
}

/// Why content is being removed.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ReasonRequest {
    pub reason: String,
}

pub fn reason(r: &ReasonRequest) -> Result<String, ApiError> {
    let t = r.reason.trim();
    if t.is_empty() || t.chars().count() > 1000 {
        return Err(ApiError::BadRequest(
            "give a reason of 1 to 1000 characters".into(),
        ));
    }
    Ok(t.to_owned())
}

/// Delete a contact (admins): one root event, one per conversation and message removed;
/// the originals stay readable by auditors.
#[utoipa::path(delete, path = "/api/v1/contacts/{id}", params(("id" = i64, Path)), request_body = ReasonRequest, responses((status = 200, body = DeletionReport), (status = 409, body = ErrorBody)))]
pub async fn delete_contact(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<ReasonRequest>,
) -> Result<Json<DeletionReport>, ApiError> {
    require(&who, Permission::ManageUsers)?;
    let why = reason(&req)?;
    let report = state
        .store
        .delete_contact(who.workspace, id, &why, &actor(&who))
        .await?;
    tracing::info!(
        contact.id = id,
        user.id = who.user_id,
        "contact {id} deleted"
    );
    Ok(Json(report))
}

/// Preserved originals of a deleted contact (auditors and admins); the reading is audited.
#[utoipa::path(get, path = "/api/v1/contacts/{id}/originals", params(("id" = i64, Path)), responses((status = 200, body = Vec<PreservedRow>)))]
pub async fn contact_originals(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<PreservedRow>>, ApiError> {
    require(&who, Permission::ReadAudit)?;
    Ok(Json(
        state
            .store
            .read_preserved(who.workspace, id, &actor(&who))
            .await?,
    ))
}

/// A message's original text and every version.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OriginalResponse {
    pub message_id: i64,
    pub versions: Vec<VersionText>,
}

/// Open the original of a message (auditors and admins); every opening is audited.
#[utoipa::path(get, path = "/api/v1/messages/{id}/original", params(("id" = i64, Path)), responses((status = 200, body = OriginalResponse), (status = 403, body = ErrorBody)))]
pub async fn original(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<OriginalResponse>, ApiError> {
    require(&who, Permission::ReadAudit)?;
    Ok(Json(read_original(&state, &who, id).await?))
}

/// Reads and audits a message's original; shared with the page.
pub async fn read_original(
    state: &AppState,
    who: &Principal,
    id: i64,
) -> Result<OriginalResponse, ApiError> {
    let versions = state
        .store
        .read_original(who.workspace, id, &actor(who))
        .await?
        .ok_or(ApiError::NotFound)?;
    tracing::info!(
        message.id = id,
        user.id = who.user_id,
        "original of message {id} opened"
    );
    Ok(OriginalResponse {
        message_id: id,
        versions: versions
            .into_iter()
            .map(|v| VersionText {
                version: v.version,
                text: v.text,
                recorded_at: v.recorded_at,
            })
            .collect(),
    })
}

/// The record of an outbound message.
#[utoipa::path(get, path = "/api/v1/messages/{id}/record", params(("id" = i64, Path)), responses((status = 200, body = ReplyRecord), (status = 404, body = ErrorBody)))]
pub async fn reply_record(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ReplyRecord>, ApiError> {
    require(&who, Permission::ReadConversations)?;
    Ok(Json(record::build(&state.store, who.workspace, id).await?))
}

/// Erase a contact's content everywhere on a privacy request (admins).
#[utoipa::path(post, path = "/api/v1/contacts/{id}/erasure", params(("id" = i64, Path)), request_body = ReasonRequest, responses((status = 200, body = ErasureReport), (status = 409, body = ErrorBody)))]
pub async fn erase_contact(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<ReasonRequest>,
) -> Result<Json<ErasureReport>, ApiError> {
    require(&who, Permission::ManageUsers)?;
    let req = ErasureRequest {
        cause: "privacy_request".into(),
        reason: reason(&req)?,
    };
    Ok(Json(
        state
            .store
            .erase_contact(who.workspace, id, &req, &actor(&who))
            .await?,
    ))
}

/// Mask payment-card numbers (Luhn-checked) in a message, its versions and its notes.
#[utoipa::path(post, path = "/api/v1/messages/{id}/card-redaction", params(("id" = i64, Path)), request_body = ReasonRequest, responses((status = 200, body = ErasureReport), (status = 422, body = ErrorBody)))]
pub async fn redact_card(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<ReasonRequest>,
) -> Result<Json<ErasureReport>, ApiError> {
    require(&who, Permission::WorkConversations)?;
    let req = ErasureRequest {
        cause: "card_number".into(),
        reason: reason(&req)?,
    };
    let report = state
        .store
        .redact_message(who.workspace, id, &card::mask, &req, &actor(&who))
        .await?;
    if report.messages + report.versions + report.notes == 0 {
        return Err(ApiError::BadRequest("no card number was found".into()));
    }
    Ok(Json(report))
}

/// A retention policy: erase content older than this many days (`null` for none).
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct RetentionPolicy {
    pub max_age_days: Option<i64>,
}

/// The workspace's retention policy.
#[utoipa::path(get, path = "/api/v1/retention", responses((status = 200, body = RetentionPolicy)))]
pub async fn retention(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<RetentionPolicy>, ApiError> {
    require(&who, Permission::ManageUsers)?;
    let max_age_days = state.store.retention(who.workspace).await?;
    Ok(Json(RetentionPolicy { max_age_days }))
}

/// Set the retention policy (admins).
#[utoipa::path(put, path = "/api/v1/retention", request_body = RetentionPolicy, responses((status = 200, body = RetentionPolicy)))]
pub async fn set_retention(
    State(state): State<AppState>,
    who: Principal,
    ApiJson(req): ApiJson<RetentionPolicy>,
) -> Result<Json<RetentionPolicy>, ApiError> {
    require(&who, Permission::ManageUsers)?;
    if req.max_age_days.is_some_and(|d| !(1..=36_500).contains(&d)) {
        return Err(ApiError::BadRequest(
            "max_age_days must be 1 to 36500".into(),
        ));
    }
    state
        .store
        .set_retention(who.workspace, req.max_age_days, &actor(&who))
        .await?;
    Ok(Json(req))
}

/// Apply the retention policy now (admins); held contacts and conversations are spared.
#[utoipa::path(post, path = "/api/v1/retention/run", responses((status = 200, body = ErasureReport)))]
pub async fn run_retention(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<ErasureReport>, ApiError> {
    require(&who, Permission::ManageUsers)?;
    let now = crate::domain::time::now_millis();
    Ok(Json(
        state
            .store
            .apply_retention(who.workspace, now, &actor(&who))
            .await?,
    ))
}

/// A legal hold to place.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct HoldRequest {
    /// `contact` or `conversation`.
    pub subject_kind: String,
    pub subject_id: i64,
    pub reason: String,
}

/// Legal holds of the workspace.
#[utoipa::path(get, path = "/api/v1/legal-holds", responses((status = 200, body = Vec<HoldRow>)))]
pub async fn holds(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<Vec<HoldRow>>, ApiError> {
    require(&who, Permission::ManageUsers)?;
    Ok(Json(state.store.holds(who.workspace).await?))
}

/// Place a legal hold (admins): erasure and retention skip what it covers.
#[utoipa::path(post, path = "/api/v1/legal-holds", request_body = HoldRequest, responses((status = 201, body = HoldRow)))]
pub async fn place_hold(
    State(state): State<AppState>,
    who: Principal,
    ApiJson(req): ApiJson<HoldRequest>,
) -> Result<(StatusCode, Json<HoldRow>), ApiError> {
    require(&who, Permission::ManageUsers)?;
    if !matches!(req.subject_kind.as_str(), "contact" | "conversation") {
        return Err(ApiError::BadRequest(
            "subject_kind must be contact or conversation".into(),
        ));
    }
    let why = reason(&ReasonRequest { reason: req.reason })?;
    let row = state
        .store
        .place_hold(
            who.workspace,
            &req.subject_kind,
            req.subject_id,
            &why,
            &actor(&who),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// Release a legal hold (admins).
#[utoipa::path(post, path = "/api/v1/legal-holds/{id}/release", params(("id" = i64, Path)), responses((status = 200, body = HoldRow)))]
pub async fn release_hold(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<HoldRow>, ApiError> {
    require(&who, Permission::ManageUsers)?;
    Ok(Json(
        state
            .store
            .release_hold(who.workspace, id, &actor(&who))
            .await?,
    ))
}
