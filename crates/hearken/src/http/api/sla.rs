//! SLA over the API (#3): calendars, policy versions, a conversation's clocks explained,
//! recorded events, sender kinds, and the SLA report as JSON or CSV.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use hearken_sla::calendar::parse_ics_holidays;
use hearken_sla::{CalendarSpec, PolicyCondition, SlaPolicy, Target};
use serde::{Deserialize, Serialize};

use crate::app::{AppState, DeskEvent};
use crate::auth::Principal;
use crate::domain::role::Permission;
use crate::domain::time::{from_millis, now_millis, rfc3339};
use crate::domain::Actor;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::session::require;
use crate::sla::engine::{self, LiveView, RECORDABLE_KINDS, SENDER_KINDS};
use crate::sla::report::{self, Report, ReportParams, RunError};
use crate::storage::sla::{NewPolicyVersion, SlaCalendarRow, SlaPolicyRow};

fn bad(m: impl Into<String>) -> ApiError {
    ApiError::BadRequest(m.into())
}

impl From<RunError> for ApiError {
    fn from(e: RunError) -> Self {
        match e {
            RunError::Invalid(m) => ApiError::BadRequest(m),
            RunError::Store(s) => s.into(),
        }
    }
}

/// A calendar to save.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct CalendarRequest {
    pub name: String,
    /// `{"zone":"Europe/Berlin","always_open":false,"weekly":{"monday":["09:00-17:00"]},"holidays":["2024-12-25"]}`
    #[schema(value_type = Object)]
    pub spec: serde_json::Value,
}

/// Calendars of the workspace.
#[utoipa::path(get, path = "/api/v1/sla/calendars", responses((status = 200, body = [SlaCalendarRow])))]
pub async fn calendars(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<Vec<SlaCalendarRow>>, ApiError> {
    require(&who, Permission::ViewReports)?;
    Ok(Json(state.store.sla_calendars(who.workspace).await?))
}

async fn save_calendar(
    state: &AppState,
    who: &Principal,
    name: &str,
    spec: &CalendarSpec,
) -> Result<SlaCalendarRow, ApiError> {
    spec.build().map_err(|e| bad(e.to_string()))?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(bad("a calendar name is 1 to 80 characters"));
    }
    let text = serde_json::to_string(spec).map_err(|e| ApiError::Internal(e.into()))?;
    let row = state
        .store
        .sla_save_calendar(who.workspace, name, &text, &Actor::User(who.user_id))
        .await?;
    // Business time changed for everything on this calendar: recompute.
    let n = state.store.sla_recompute_all(who.workspace).await?;
    tracing::info!(calendar_id = row.id, recomputed = n, "sla calendar saved");
    Ok(row)
}

/// Create or replace a calendar (by name); conversations are recomputed.
#[utoipa::path(post, path = "/api/v1/sla/calendars", request_body = CalendarRequest, responses((status = 200, body = SlaCalendarRow), (status = 400, body = ErrorBody)))]
pub async fn save_calendar_api(
    State(state): State<AppState>,
    who: Principal,
    ApiJson(req): ApiJson<CalendarRequest>,
) -> Result<Json<SlaCalendarRow>, ApiError> {
    require(&who, Permission::ManageSla)?;
    let spec: CalendarSpec = serde_json::from_value(req.spec).map_err(|e| bad(e.to_string()))?;
    Ok(Json(save_calendar(&state, &who, &req.name, &spec).await?))
}

/// Add the holidays of an iCalendar file (request body, text/calendar) to a calendar.
#[utoipa::path(post, path = "/api/v1/sla/calendars/{name}/holidays", params(("name" = String, Path)), request_body(content = String, content_type = "text/calendar"), responses((status = 200, body = SlaCalendarRow), (status = 400, body = ErrorBody)))]
pub async fn import_holidays(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(name): ApiPath<String>,
    body: String,
) -> Result<Json<SlaCalendarRow>, ApiError> {
    require(&who, Permission::ManageSla)?;
    let cals = state.store.sla_calendars(who.workspace).await?;
    let row = cals
        .iter()
        .find(|c| c.name == name)
        .ok_or(ApiError::NotFound)?;
    let mut spec: CalendarSpec =
        serde_json::from_str(&row.spec).map_err(|e| ApiError::Internal(e.into()))?;
    let days = parse_ics_holidays(&body).map_err(|e| bad(e.to_string()))?;
    spec.holidays.extend(days.into_iter().map(|(d, _)| d));
    spec.holidays.sort();
    spec.holidays.dedup();
    Ok(Json(save_calendar(&state, &who, &name, &spec).await?))
}

/// A new version of a policy (a new policy when the key is new).
#[derive(Deserialize, utoipa::ToSchema)]
pub struct PolicyRequest {
    pub key: String,
    pub name: String,
    /// Selection order: lower first; the first policy whose conditions all hold applies.
    #[serde(default)]
    pub position: i64,
    /// Calendar id; none = the workspace's default calendar.
    pub calendar_id: Option<i64>,
    /// RFC 3339 instant the version applies from (default now). Stored versions are never
    /// edited; an earlier instant is for recording a policy's history and is audited.
    pub effective_from: Option<String>,
    pub first_response_minutes: Option<i64>,
    pub next_response_minutes: Option<i64>,
    pub resolution_minutes: Option<i64>,
    /// Targets in business time (default) or calendar time.
    #[serde(default = "yes")]
    pub business_time: bool,
    #[serde(default = "warn")]
    pub warn_at_percent: u8,
    /// Statuses that pause the resolution clock, e.g. `["pending"]`.
    #[serde(default)]
    pub pause_statuses: Vec<String>,
    /// Conditions, e.g. `[{"priority":["urgent"]},{"vip":true}]`.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub conditions: Vec<PolicyCondition>,
}

fn yes() -> bool {
    true
}

fn warn() -> u8 {
    80
}

/// Every version of every policy.
#[utoipa::path(get, path = "/api/v1/sla/policies", responses((status = 200, body = [SlaPolicyRow])))]
pub async fn policies(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<Vec<SlaPolicyRow>>, ApiError> {
    require(&who, Permission::ViewReports)?;
    Ok(Json(state.store.sla_policies(who.workspace).await?))
}

/// Append a policy version; open conversations follow it from its effective instant.
#[utoipa::path(post, path = "/api/v1/sla/policies", request_body = PolicyRequest, responses((status = 201, body = SlaPolicyRow), (status = 400, body = ErrorBody)))]
pub async fn add_policy(
    State(state): State<AppState>,
    who: Principal,
    ApiJson(req): ApiJson<PolicyRequest>,
) -> Result<(StatusCode, Json<SlaPolicyRow>), ApiError> {
    require(&who, Permission::ManageSla)?;
    let effective_from = match &req.effective_from {
        Some(t) => t
            .parse::<jiff::Timestamp>()
            .map_err(|_| bad("effective_from must be an RFC 3339 instant"))?,
        None => from_millis(now_millis()),
    };
    let key = req.key.trim();
    if key.is_empty() || key.len() > 64 {
        return Err(bad("a policy key is 1 to 64 characters"));
    }
    if let Some(c) = req.calendar_id {
        let cals = state.store.sla_calendars(who.workspace).await?;
        if !cals.iter().any(|x| x.id == c) {
            return Err(bad("no such calendar"));
        }
    }
    let target = |m: Option<i64>| {
        m.map(|minutes| Target {
            minutes,
            business_time: req.business_time,
        })
    };
    let mut p = SlaPolicy::new(key, 1, req.name.trim(), effective_from);
    p.first_response = target(req.first_response_minutes);
    p.next_response = target(req.next_response_minutes);
    p.resolution = target(req.resolution_minutes);
    p.warn_at_percent = req.warn_at_percent;
    p.pause_statuses = req.pause_statuses.clone();
    p.conditions = req.conditions.clone();
    p.validate().map_err(|e| bad(e.to_string()))?;
    let new = NewPolicyVersion {
        policy_key: key.to_owned(),
        name: p.name.clone(),
        position: req.position,
        calendar_id: req.calendar_id,
        effective_from: effective_from.as_millisecond(),
        body: serde_json::to_string(&p).map_err(|e| ApiError::Internal(e.into()))?,
    };
    let row = state
        .store
        .sla_add_policy_version(who.workspace, &new, &Actor::User(who.user_id))
        .await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// What-if parameters for an explanation.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExplainParams {
    /// Judge the conversation under this policy key instead …
    pub policy: Option<String>,
    /// … and this version of it.
    pub version: Option<i64>,
}

/// A conversation's clocks, the events they come from and what each stretch counted.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ExplainResponse {
    pub conversation_id: i64,
    pub policy: Option<String>,
    pub calendar_zone: String,
    pub live: Option<LiveView>,
    /// The clocks in full (segments with their minutes).
    #[schema(value_type = Object)]
    pub metrics: serde_json::Value,
    /// The events the clocks were computed from.
    #[schema(value_type = Vec<Object>)]
    pub events: serde_json::Value,
    /// The same as readable text.
    pub explanation: String,
}

/// Explain a conversation's SLA figures (optionally under another policy version).
#[utoipa::path(get, path = "/api/v1/sla/conversations/{id}", params(("id" = i64, Path), ExplainParams), responses((status = 200, body = ExplainResponse), (status = 404, body = ErrorBody)))]
pub async fn explain(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<ExplainParams>,
) -> Result<Json<ExplainResponse>, ApiError> {
    require(&who, Permission::ReadConversations)?;
    Ok(Json(explain_of(&state, &who, id, &p).await?))
}

/// Builds the explanation (shared with the conversation page).
pub async fn explain_of(
    state: &AppState,
    who: &Principal,
    id: i64,
    p: &ExplainParams,
) -> Result<ExplainResponse, ApiError> {
    let inputs = state
        .store
        .sla_inputs(who.workspace, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let what_if = match (&p.policy, p.version) {
        (Some(k), Some(v)) => Some((k.as_str(), v)),
        (None, None) => None,
        _ => return Err(bad("what-if needs both policy and version")),
    };
    let now = now_millis();
    let ev = engine::evaluate(&inputs, now, what_if);
    if what_if.is_some() && ev.versions.is_empty() {
        return Err(bad("no such policy version"));
    }
    let states = state.store.sla_states(who.workspace, &[id]).await?;
    let live = match what_if {
        None => states
            .first()
            .and_then(|s| engine::live_view(s, &inputs.calendars, now)),
        Some(_) => None,
    };
    Ok(ExplainResponse {
        conversation_id: id,
        policy: ev.policy_key.clone(),
        calendar_zone: ev.calendar.zone_name().to_owned(),
        live,
        metrics: serde_json::to_value(&ev.metrics).unwrap_or_default(),
        events: serde_json::to_value(&ev.events).unwrap_or_default(),
        explanation: ev.metrics.explain(),
    })
}

/// An event to record at an instant.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct EventRequest {
    /// RFC 3339 instant.
    pub at: String,
    /// `status_changed`, `assigned`, `approval_wait_started`, `approval_wait_ended`,
    /// `reopened`, `private_note` or `automatic_message`.
    pub kind: String,
    /// The new status, for `status_changed`.
    pub detail: Option<String>,
}

/// Record a conversation event (approval waits; history imported from elsewhere).
/// Managers only: an event at a chosen instant changes what the SLA clocks measure.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/sla-events", params(("id" = i64, Path)), request_body = EventRequest, responses((status = 204), (status = 400, body = ErrorBody)))]
pub async fn record_event(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<EventRequest>,
) -> Result<StatusCode, ApiError> {
    require(&who, Permission::ManageSla)?;
    let at = req
        .at
        .parse::<jiff::Timestamp>()
        .map_err(|_| bad("at must be an RFC 3339 instant"))?;
    if !RECORDABLE_KINDS.contains(&req.kind.as_str()) {
        return Err(bad(format!(
            "kind must be one of {}",
            RECORDABLE_KINDS.join(", ")
        )));
    }
    if req.kind == "status_changed" {
        let s = req.detail.as_deref().unwrap_or("");
        s.parse::<crate::domain::conversation::Status>()
            .map_err(|e| bad(e.to_string()))?;
    }
    state
        .store
        .sla_record_event(
            who.workspace,
            id,
            at.as_millisecond(),
            &req.kind,
            req.detail.as_deref(),
            &Actor::User(who.user_id),
        )
        .await?;
    state.publish(DeskEvent::changed(who.workspace, id));
    Ok(StatusCode::NO_CONTENT)
}

/// Who wrote an outbound message.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct SenderKindRequest {
    /// `human`, `automatic` or `bot`.
    pub sender_kind: String,
}

/// Mark a message as written by a human, an auto-responder or a bot. Managers only: it
/// decides whether the message ends a response clock.
#[utoipa::path(put, path = "/api/v1/messages/{id}/sender-kind", params(("id" = i64, Path)), request_body = SenderKindRequest, responses((status = 204), (status = 400, body = ErrorBody)))]
pub async fn set_sender_kind(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<SenderKindRequest>,
) -> Result<StatusCode, ApiError> {
    require(&who, Permission::ManageSla)?;
    if !SENDER_KINDS.contains(&req.sender_kind.as_str()) {
        return Err(bad("sender_kind must be human, automatic or bot"));
    }
    state
        .store
        .sla_set_sender_kind(
            who.workspace,
            id,
            &req.sender_kind,
            &Actor::User(who.user_id),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

fn csv_response(name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The SLA report: per day or week, sliced by one dimension, in the workspace's zone.
#[utoipa::path(get, path = "/api/v1/reports/sla", params(ReportParams), responses((status = 200, body = Report), (status = 400, body = ErrorBody)))]
pub async fn report(
    State(state): State<AppState>,
    who: Principal,
    ApiQuery(p): ApiQuery<ReportParams>,
) -> Result<Response, ApiError> {
    require(&who, Permission::ViewReports)?;
    let r = if p.exact == Some(true) {
        report::run(&state.store, who.workspace, &p, now_millis())
            .await?
            .0
    } else {
        report::run_rollups(&state.store, who.workspace, &p, now_millis()).await?
    };
    match p.format.as_deref().unwrap_or("json") {
        "json" => Ok(Json(r).into_response()),
        "csv" => Ok(csv_response("sla-report.csv", report::aggregate_csv(&r))),
        _ => Err(bad("format must be json or csv")),
    }
}

/// One CSV line per conversation with a clock or an opening in the window.
#[utoipa::path(get, path = "/api/v1/reports/sla/conversations.csv", params(ReportParams), responses((status = 200, content_type = "text/csv"), (status = 400, body = ErrorBody)))]
pub async fn conversations_csv(
    State(state): State<AppState>,
    who: Principal,
    ApiQuery(p): ApiQuery<ReportParams>,
) -> Result<Response, ApiError> {
    require(&who, Permission::ViewReports)?;
    let (_, data) = report::run(&state.store, who.workspace, &p, now_millis()).await?;
    Ok(csv_response(
        "sla-conversations.csv",
        report::conversation_csv(&data),
    ))
}

/// RFC 3339 text of an optional instant, for views.
pub fn opt_time(ms: Option<i64>) -> Option<String> {
    ms.map(rfc3339)
}
