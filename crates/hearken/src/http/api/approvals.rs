//! Approvals and the brand voice over the API (issue #4): style guides and the composer's
//! style check, templates, approval paths and routing, teams and departments, drafts and
//! the approver queue, notifications, communication tests, reply rights and reports.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use hearken_voice::approval::rules::RoutingTable;
use hearken_voice::approval::{ApprovalPath, Directory, DraftStatus};
use hearken_voice::certification::{Answer, CommTest, ReviewerScores};
use hearken_voice::style::{StyleGuide, Violation};
use hearken_voice::template::{self, Template};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::approvals::decide::{self, Loaded};
use crate::approvals::view::DraftView;
use crate::approvals::{certify, reports, uid, voice};
use crate::auth::Principal;
use crate::domain::role::Permission;
use crate::domain::time::now_millis;
use crate::domain::{Actor, WorkspaceId};
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::session::require;
use crate::http::views::MessageView;
use crate::storage::approvals::{
    AttemptRow, CertificationRow, DepartmentRow, NewCertification, NewTemplate, NotificationRow,
    TemplateRow,
};
use crate::storage::TeamRow;

/// The API view of a draft by id.
pub async fn draft_view(state: &AppState, ws: WorkspaceId, id: i64) -> Result<DraftView, ApiError> {
    let l = decide::load(state, ws, id).await?;
    view_of(state, ws, &l).await
}

async fn view_of(state: &AppState, ws: WorkspaceId, l: &Loaded) -> Result<DraftView, ApiError> {
    let versions = state.store.draft_versions(ws, l.row.id).await?;
    let decisions = state.store.draft_decisions(ws, l.row.id).await?;
    Ok(DraftView::new(l, versions, decisions))
}

// ---- style guides and the composer check ---------------------------------------------

/// A style guide version to save.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct StyleGuideRequest {
    /// The rules, as `hearken_voice::style::Rule` JSON.
    #[schema(value_type = Vec<Object>)]
    pub rules: serde_json::Value,
    /// Make this locale the fallback for the others.
    #[serde(default)]
    pub default: bool,
}

/// A saved style guide version.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StyleGuideView {
    pub locale: String,
    pub version: i64,
    pub default: bool,
    #[schema(value_type = Object)]
    pub guide: serde_json::Value,
}

/// Saves the next version of a locale's style guide.
#[utoipa::path(put, path = "/api/v1/style-guides/{locale}", params(("locale" = String, Path)), request_body = StyleGuideRequest, responses((status = 200, body = StyleGuideView)))]
pub async fn put_style_guide(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(locale): ApiPath<String>,
    ApiJson(req): ApiJson<StyleGuideRequest>,
) -> Result<Json<StyleGuideView>, ApiError> {
    require(&who, Permission::ManageBrandVoice)?;
    let locale = crate::domain::conversation::Locale::parse(&locale)
        .map_err(|e| ApiError::BadRequest(e.to_string()))?
        .as_str()
        .to_owned();
    let ws = who.workspace;
    let rows = state.store.style_guides(ws).await?;
    let version = rows
        .iter()
        .filter(|r| r.locale == locale)
        .map(|r| r.version)
        .max()
        .unwrap_or(0)
        + 1;
    let guide = StyleGuide {
        version,
        locale: locale.clone(),
        rules: serde_json::from_value(req.rules)
            .map_err(|e| ApiError::BadRequest(format!("rules: {e}")))?,
    };
    guide
        .validate()
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let body = serde_json::to_string(&guide).map_err(|e| ApiError::Internal(e.into()))?;
    let actor = Actor::User(who.user_id);
    let row = state
        .store
        .save_style_guide(ws, &locale, version, req.default, &body, &actor)
        .await?;
    Ok(Json(StyleGuideView {
        locale: row.locale,
        version: row.version,
        default: row.is_default != 0,
        guide: serde_json::to_value(&guide).unwrap_or_default(),
    }))
}

/// Text to check as the agent types.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct StyleCheckRequest {
    pub text: String,
    pub channel: String,
    pub locale: Option<String>,
}

/// What the style guide says about the text.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StyleCheckResponse {
    /// The guide version checked against; none when no guide is set up.
    pub style_version: Option<i64>,
    /// False when a blocking rule is broken: the reply would be refused.
    pub sendable: bool,
    #[schema(value_type = Vec<Object>)]
    pub violations: Vec<Violation>,
}

/// The composer's live style check.
#[utoipa::path(post, path = "/api/v1/style-check", request_body = StyleCheckRequest, responses((status = 200, body = StyleCheckResponse)))]
pub async fn style_check(
    State(state): State<AppState>,
    who: Principal,
    ApiJson(req): ApiJson<StyleCheckRequest>,
) -> Result<Json<StyleCheckResponse>, ApiError> {
    require(&who, Permission::ReadConversations)?;
    let checked = voice::check_text(
        &state,
        who.workspace,
        &req.text,
        &req.channel,
        req.locale.as_deref(),
    )
    .await?;
    let (style_version, violations) = match checked {
        Some((used, list)) => (Some(used.version), list),
        None => (None, Vec::new()),
    };
    Ok(Json(StyleCheckResponse {
        style_version,
        sendable: hearken_voice::style::passes(&violations),
        violations,
    }))
}

// ---- templates -----------------------------------------------------------------------

/// A template to save.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct TemplateRequest {
    pub name: String,
    pub channel: Option<String>,
    pub locale: Option<String>,
    pub body: String,
    #[serde(default)]
    pub variables: Vec<String>,
}

/// A template as the composer sees it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TemplateView {
    pub id: i64,
    pub name: String,
    pub channel: Option<String>,
    pub locale: Option<String>,
    pub body: String,
    pub variables: Vec<String>,
    /// With `conversation_id`: the body with the customer's and the agent's names filled
    /// in; placeholders without a value (an order number) stay for the agent to complete.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filled: Option<String>,
}

impl From<TemplateRow> for TemplateView {
    fn from(t: TemplateRow) -> Self {
        TemplateView {
            id: t.id,
            name: t.name,
            channel: t.channel,
            locale: t.locale,
            body: t.body,
            variables: serde_json::from_str(&t.variables).unwrap_or_default(),
            filled: None,
        }
    }
}

/// The values a template can take from a conversation and the agent answering it.
async fn conversation_variables(
    state: &AppState,
    who: &Principal,
    conversation_id: i64,
) -> Result<std::collections::BTreeMap<String, String>, ApiError> {
    let conv = state
        .store
        .conversation(who.workspace, conversation_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut vars = std::collections::BTreeMap::new();
    let contact = match conv.contact_id {
        Some(id) => state.store.contact(who.workspace, id).await?,
        None => None,
    };
    let customer = contact
        .map(|c| c.display_name)
        .filter(|n| !n.trim().is_empty())
        .or(conv.customer_handle);
    if let Some(name) = customer {
        vars.insert("customer_name".to_owned(), name);
    }
    if let Some(user) = state.store.user(who.workspace, who.user_id).await? {
        vars.insert("agent_name".to_owned(), user.display_name);
    }
    Ok(vars)
}

/// Saves a template after checking it, rendered with sample values, against the style guide.
#[utoipa::path(post, path = "/api/v1/templates", request_body = TemplateRequest, responses((status = 201, body = TemplateView), (status = 422, body = crate::http::error::ErrorBody)))]
pub async fn create_template(
    State(state): State<AppState>,
    who: Principal,
    ApiJson(req): ApiJson<TemplateRequest>,
) -> Result<(StatusCode, Json<TemplateView>), ApiError> {
    require(&who, Permission::ManageBrandVoice)?;
    let name_len = req.name.trim().chars().count();
    if name_len == 0 || name_len > 200 || req.body.trim().is_empty() || req.body.len() > 10_000 {
        return Err(ApiError::BadRequest(
            "a template needs a name of 1 to 200 characters and a body of 1 to 10000 bytes".into(),
        ));
    }
    if let Some(c) = &req.channel {
        c.parse::<crate::domain::channel::Channel>()
            .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    }
    let locale = match &req.locale {
        Some(l) => Some(
            crate::domain::conversation::Locale::parse(l)
                .map_err(|e| ApiError::BadRequest(e.to_string()))?
                .as_str()
                .to_owned(),
        ),
        None => None,
    };
    let t = Template {
        id: String::new(),
        name: req.name.clone(),
        body: req.body.clone(),
        variables: req.variables.clone(),
    };
    let names = t
        .placeholders()
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let samples: BTreeMap<String, String> = names
        .into_iter()
        .map(|n| (n.clone(), format!("sample {n}")))
        .collect();
    let text = template::render(&t, &samples).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let channel = req.channel.clone().unwrap_or_else(|| "sandbox".into());
    let ws = who.workspace;
    voice::enforce(&state, ws, &text, &channel, locale.as_deref()).await?;
    let new = NewTemplate {
        name: req.name.trim().to_owned(),
        channel: req.channel,
        locale,
        body: req.body,
        variables: serde_json::to_string(&req.variables).unwrap_or_else(|_| "[]".into()),
    };
    let row = state
        .store
        .create_template(ws, &new, &Actor::User(who.user_id))
        .await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// Template search.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct TemplateQuery {
    pub q: Option<String>,
    pub channel: Option<String>,
    /// Fill each template's names for this conversation (see `TemplateView::filled`).
    pub conversation_id: Option<i64>,
}

/// Searches templates by name or text, for one channel; with `conversation_id`, for that
/// conversation's channel and language.
#[utoipa::path(get, path = "/api/v1/templates", params(TemplateQuery), responses((status = 200, body = Vec<TemplateView>)))]
pub async fn templates(
    State(state): State<AppState>,
    who: Principal,
    ApiQuery(q): ApiQuery<TemplateQuery>,
) -> Result<Json<Vec<TemplateView>>, ApiError> {
    require(&who, Permission::ReadConversations)?;
    // Templates for the conversation's channel and language (and those for any).
    let conv = match q.conversation_id {
        Some(id) => state.store.conversation(who.workspace, id).await?,
        None => None,
    };
    let channel = q
        .channel
        .clone()
        .or(conv.as_ref().map(|c| c.channel.clone()));
    let language = |tag: &str| tag.split('-').next().unwrap_or("").to_ascii_lowercase();
    let wanted = conv.and_then(|c| c.locale).map(|l| language(&l));
    let rows: Vec<_> = state
        .store
        .templates(who.workspace, q.q.as_deref(), channel.as_deref())
        .await?
        .into_iter()
        .filter(|t| match (&wanted, &t.locale) {
            (Some(w), Some(l)) => language(l) == *w,
            _ => true,
        })
        .collect();
    let vars = match q.conversation_id {
        Some(id) => Some(conversation_variables(&state, &who, id).await?),
        None => None,
    };
    let views = rows
        .into_iter()
        .map(|row| {
            let mut view = TemplateView::from(row);
            if let Some(vars) = &vars {
                let t = Template {
                    id: view.id.to_string(),
                    name: view.name.clone(),
                    body: view.body.clone(),
                    variables: view.variables.clone(),
                };
                view.filled = template::fill(&t, vars).ok();
            }
            view
        })
        .collect();
    Ok(Json(views))
}

// ---- paths, routing, teams, departments -------------------------------------------------

/// Saves an approval path (a `hearken_voice::approval::ApprovalPath`) under its key.
#[utoipa::path(put, path = "/api/v1/approval-paths/{key}", params(("key" = String, Path)), request_body = Object, responses((status = 200, body = Object)))]
pub async fn put_path(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(key): ApiPath<String>,
    ApiJson(mut path): ApiJson<ApprovalPath>,
) -> Result<Json<ApprovalPath>, ApiError> {
    require(&who, Permission::ManageBrandVoice)?;
    path.id = key.clone();
    path.validate()
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    // A branch its group can never satisfy would hold every reply routed to it for good.
    let dir = crate::approvals::decide::directory(&state, who.workspace).await?;
    for (i, step) in path.steps.iter().enumerate() {
        for b in &step.branches {
            let members = hearken_voice::approval::Directory::members(&dir, &b.group).len();
            if b.quorum.required(members).is_none() {
                return Err(ApiError::BadRequest(format!(
                    "branch `{}` of step {} has {members} members, too few for its quorum; \
                     add the members first",
                    b.name,
                    i + 1
                )));
            }
        }
    }
    let body = serde_json::to_string(&path).map_err(|e| ApiError::Internal(e.into()))?;
    let actor = Actor::User(who.user_id);
    state
        .store
        .put_approval_path(who.workspace, &key, &body, &actor)
        .await?;
    Ok(Json(path))
}

/// Saves the next version of the routing table; every path it names must exist.
#[utoipa::path(put, path = "/api/v1/routing", request_body = Object, responses((status = 200, body = Object)))]
pub async fn put_routing(
    State(state): State<AppState>,
    who: Principal,
    ApiJson(table): ApiJson<RoutingTable>,
) -> Result<Json<RoutingTable>, ApiError> {
    require(&who, Permission::ManageBrandVoice)?;
    table
        .validate()
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let ws = who.workspace;
    let named = table
        .rules
        .iter()
        .map(|r| &r.path_id)
        .chain(&table.trainee_path);
    for key in named {
        voice::path(&state, ws, key).await?;
    }
    let body = serde_json::to_string(&table).map_err(|e| ApiError::Internal(e.into()))?;
    state
        .store
        .save_routing_table(ws, &body, &Actor::User(who.user_id))
        .await?;
    Ok(Json(table))
}

/// A name to create a team or department with.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct NameRequest {
    pub name: String,
}

/// A user to add to a group.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct MemberRequest {
    pub user_id: i64,
}

/// Creates a team.
#[utoipa::path(post, path = "/api/v1/teams", request_body = NameRequest, responses((status = 201, body = TeamRow)))]
pub async fn create_team(
    State(state): State<AppState>,
    who: Principal,
    ApiJson(req): ApiJson<NameRequest>,
) -> Result<(StatusCode, Json<TeamRow>), ApiError> {
    require(&who, Permission::ManageBrandVoice)?;
    let actor = Actor::User(who.user_id);
    let row = state
        .store
        .create_team(who.workspace, req.name.trim(), &actor)
        .await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// Adds a member to a team.
#[utoipa::path(post, path = "/api/v1/teams/{id}/members", params(("id" = i64, Path)), request_body = MemberRequest, responses((status = 204)))]
pub async fn add_team_member(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<MemberRequest>,
) -> Result<StatusCode, ApiError> {
    require(&who, Permission::ManageBrandVoice)?;
    let actor = Actor::User(who.user_id);
    state
        .store
        .add_team_member(who.workspace, id, req.user_id, &actor)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Creates a department.
#[utoipa::path(post, path = "/api/v1/departments", request_body = NameRequest, responses((status = 201, body = DepartmentRow)))]
pub async fn create_department(
    State(state): State<AppState>,
    who: Principal,
    ApiJson(req): ApiJson<NameRequest>,
) -> Result<(StatusCode, Json<DepartmentRow>), ApiError> {
    require(&who, Permission::ManageBrandVoice)?;
    let actor = Actor::User(who.user_id);
    let row = state
        .store
        .create_department(who.workspace, req.name.trim(), &actor)
        .await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// Adds a member to a department.
#[utoipa::path(post, path = "/api/v1/departments/{id}/members", params(("id" = i64, Path)), request_body = MemberRequest, responses((status = 204)))]
pub async fn add_department_member(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<MemberRequest>,
) -> Result<StatusCode, ApiError> {
    require(&who, Permission::ManageBrandVoice)?;
    let actor = Actor::User(who.user_id);
    state
        .store
        .add_department_member(who.workspace, id, req.user_id, &actor)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- drafts and the queue -------------------------------------------------------------

/// One draft with its versions, decisions and the diff from the previous version.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DraftDetail {
    pub draft: DraftView,
    /// Word diff from the previous version to the current one: `[op, text]` with op
    /// `=`, `-` or `+`.
    pub diff: Vec<(String, String)>,
    /// The conversation the draft answers, beside it.
    pub messages: Vec<MessageView>,
}

/// A draft, with the conversation beside it and the diff between its last two versions.
#[utoipa::path(get, path = "/api/v1/drafts/{id}", params(("id" = i64, Path)), responses((status = 200, body = DraftDetail)))]
pub async fn get_draft(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<DraftDetail>, ApiError> {
    require(&who, Permission::ReadConversations)?;
    let ws = who.workspace;
    let l = decide::load(&state, ws, id).await?;
    let versions = l.draft.versions();
    let current = &l.draft.current().text;
    let previous = versions
        .len()
        .checked_sub(2)
        .map(|i| versions[i].text.as_str())
        .unwrap_or(current);
    let diff = crate::approvals::view::word_diff(previous, current);
    let messages = state
        .store
        .conversation_messages(ws, l.row.conversation_id)
        .await?
        .into_iter()
        .map(|m| MessageView::new(m, None))
        .collect();
    Ok(Json(DraftDetail {
        draft: view_of(&state, ws, &l).await?,
        diff,
        messages,
    }))
}

/// Draft list filter.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct DraftQuery {
    pub status: Option<String>,
}

/// Drafts of the workspace, newest first.
#[utoipa::path(get, path = "/api/v1/drafts", params(DraftQuery), responses((status = 200, body = Vec<DraftView>)))]
pub async fn drafts(
    State(state): State<AppState>,
    who: Principal,
    ApiQuery(q): ApiQuery<DraftQuery>,
) -> Result<Json<Vec<DraftView>>, ApiError> {
    require(&who, Permission::ReadConversations)?;
    let ws = who.workspace;
    let rows = state.store.drafts(ws, q.status.as_deref()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(draft_view(&state, ws, r.id).await?);
    }
    Ok(Json(out))
}

/// What waits for the caller: pending drafts whose active step they may still decide on.
#[utoipa::path(get, path = "/api/v1/approvals/queue", responses((status = 200, body = Vec<DraftView>)))]
pub async fn queue(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<Vec<DraftView>>, ApiError> {
    require(&who, Permission::ReadConversations)?;
    Ok(Json(waiting_for(&state, &who).await?))
}

/// Pending drafts the caller may decide on now, oldest first.
pub async fn waiting_for(state: &AppState, who: &Principal) -> Result<Vec<DraftView>, ApiError> {
    let ws = who.workspace;
    let me = uid(who.user_id);
    let mut out = Vec::new();
    for r in state
        .store
        .drafts(ws, Some("pending"))
        .await?
        .into_iter()
        .rev()
    {
        let l = decide::load(state, ws, r.id).await?;
        let DraftStatus::Pending { step } = *l.draft.status() else {
            continue;
        };
        let version = l.draft.current().number;
        let decided = l
            .draft
            .decisions()
            .iter()
            .any(|d| d.approver == me && d.step == step && d.version == version);
        let mine = l.draft.branch_states().iter().filter(|b| !b.done).any(|b| {
            l.draft
                .eligible(&l.dir as &dyn Directory, &b.group)
                .contains(&me)
        });
        if mine && !decided {
            out.push(view_of(state, ws, &l).await?);
        }
    }
    Ok(out)
}

/// A decision on the version the approver saw.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct DecisionRequest {
    /// Hash of the version decided on; a stale hash is refused with 409.
    pub version_hash: String,
    /// Why, for a rejection.
    pub note: Option<String>,
}

/// Approves the version; the draft is sent when the last step approves (unless scheduled).
#[utoipa::path(post, path = "/api/v1/drafts/{id}/approve", params(("id" = i64, Path)), request_body = DecisionRequest, responses((status = 200, body = DraftView), (status = 403), (status = 409)))]
pub async fn approve(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<DecisionRequest>,
) -> Result<Json<DraftView>, ApiError> {
    require(&who, Permission::DecideApprovals)?;
    let row = decide::approve(&state, &who, id, &req.version_hash).await?;
    Ok(Json(draft_view(&state, who.workspace, row.id).await?))
}

/// Rejects the version with a note for the author.
#[utoipa::path(post, path = "/api/v1/drafts/{id}/reject", params(("id" = i64, Path)), request_body = DecisionRequest, responses((status = 200, body = DraftView), (status = 403), (status = 409)))]
pub async fn reject(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<DecisionRequest>,
) -> Result<Json<DraftView>, ApiError> {
    require(&who, Permission::DecideApprovals)?;
    let note = req.note.unwrap_or_default();
    if note.trim().is_empty() {
        return Err(ApiError::BadRequest("a rejection needs a note".into()));
    }
    let row = decide::reject(&state, &who, id, &req.version_hash, &note).await?;
    Ok(Json(draft_view(&state, who.workspace, row.id).await?))
}

/// New text for a draft.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct EditRequest {
    pub text: String,
}

/// Edits the draft: a new version that needs approval again from the first step.
#[utoipa::path(post, path = "/api/v1/drafts/{id}/edit", params(("id" = i64, Path)), request_body = EditRequest, responses((status = 200, body = DraftView), (status = 403), (status = 409), (status = 422)))]
pub async fn edit(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<EditRequest>,
) -> Result<Json<DraftView>, ApiError> {
    require(&who, Permission::DecideApprovals)?;
    let row = decide::edit(&state, &who, id, &req.text).await?;
    Ok(Json(draft_view(&state, who.workspace, row.id).await?))
}

/// The author has read what arrived in the conversation since the draft was written.
#[utoipa::path(post, path = "/api/v1/drafts/{id}/seen", params(("id" = i64, Path)), responses((status = 200, body = DraftView)))]
pub async fn seen(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<DraftView>, ApiError> {
    require(&who, Permission::WorkConversations)?;
    let row = decide::seen(&state, &who, id).await?;
    Ok(Json(draft_view(&state, who.workspace, row.id).await?))
}

/// Sends an approved draft now; 409 unless approved, or when unseen activity arrived.
#[utoipa::path(post, path = "/api/v1/drafts/{id}/send", params(("id" = i64, Path)), responses((status = 201, body = MessageView), (status = 409)))]
pub async fn send(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<(StatusCode, Json<MessageView>), ApiError> {
    require(&who, Permission::WorkConversations)?;
    let msg = decide::send(&state, &who, id).await?;
    Ok((StatusCode::CREATED, Json(MessageView::new(msg, None))))
}

// ---- notifications --------------------------------------------------------------------

/// The caller's notifications, newest first.
#[utoipa::path(get, path = "/api/v1/notifications", responses((status = 200, body = Vec<NotificationRow>)))]
pub async fn notifications(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<Vec<NotificationRow>>, ApiError> {
    Ok(Json(
        state
            .store
            .notifications(who.workspace, who.user_id)
            .await?,
    ))
}

/// Marks the caller's notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/read", responses((status = 204)))]
pub async fn read_notifications(
    State(state): State<AppState>,
    who: Principal,
) -> Result<StatusCode, ApiError> {
    state
        .store
        .mark_notifications_read(who.workspace, who.user_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- reply rights and communication tests ---------------------------------------------

/// Reply rights granted by a manager.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct GrantRequest {
    pub user_id: i64,
    pub channels: Vec<String>,
    /// Days until the rights lapse.
    pub days: i64,
}

/// Grants reply rights directly (without a test).
#[utoipa::path(post, path = "/api/v1/certifications", request_body = GrantRequest, responses((status = 201, body = Object)))]
pub async fn grant(
    State(state): State<AppState>,
    who: Principal,
    ApiJson(req): ApiJson<GrantRequest>,
) -> Result<(StatusCode, Json<CertificationRow>), ApiError> {
    require(&who, Permission::ManageBrandVoice)?;
    let max = crate::approvals::certify::MAX_VALIDITY_DAYS;
    if req.channels.is_empty() || !(1..=max).contains(&req.days) {
        return Err(ApiError::BadRequest(format!(
            "name channels and a validity of 1 to {max} days"
        )));
    }
    let user = (state.store.user(who.workspace, req.user_id).await?).ok_or(ApiError::NotFound)?;
    if !user.works_conversations() {
        return Err(ApiError::BadRequest(format!(
            "a {} does not reply, so holds no reply rights",
            user.role
        )));
    }
    let now = now_millis();
    let c = NewCertification {
        user_id: req.user_id,
        channels: serde_json::to_string(&req.channels).unwrap_or_else(|_| "[]".into()),
        attempt_id: None,
        granted_at: now,
        expires_at: Some(now + req.days * 24 * 60 * 60 * 1000),
    };
    let row = state
        .store
        .grant_certification(who.workspace, &c, &Actor::User(who.user_id))
        .await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// Certification filter.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct CertQuery {
    pub user_id: Option<i64>,
}

/// Reply rights, for one user or everyone.
#[utoipa::path(get, path = "/api/v1/certifications", params(CertQuery), responses((status = 200, body = Object)))]
pub async fn certifications(
    State(state): State<AppState>,
    who: Principal,
    ApiQuery(q): ApiQuery<CertQuery>,
) -> Result<Json<Vec<CertificationRow>>, ApiError> {
    require(&who, Permission::ReadConversations)?;
    Ok(Json(
        state.store.certifications(who.workspace, q.user_id).await?,
    ))
}

/// Revokes reply rights.
#[utoipa::path(post, path = "/api/v1/certifications/{id}/revoke", params(("id" = i64, Path)), responses((status = 200, body = Object)))]
pub async fn revoke(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CertificationRow>, ApiError> {
    require(&who, Permission::ManageBrandVoice)?;
    let actor = Actor::User(who.user_id);
    Ok(Json(
        state
            .store
            .revoke_certification(who.workspace, id, &actor)
            .await?,
    ))
}

/// A communication test to create.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct CommTestRequest {
    pub name: String,
    pub channels: Vec<String>,
    pub validity_days: i64,
    /// The test as `hearken_voice::certification::CommTest` JSON.
    #[schema(value_type = Object)]
    pub test: CommTest,
}

/// A communication test.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CommTestView {
    pub id: i64,
    pub name: String,
    pub channels: Vec<String>,
    pub validity_days: i64,
}

/// Creates a communication test.
#[utoipa::path(post, path = "/api/v1/comm-tests", request_body = CommTestRequest, responses((status = 201, body = CommTestView)))]
pub async fn create_test(
    State(state): State<AppState>,
    who: Principal,
    ApiJson(req): ApiJson<CommTestRequest>,
) -> Result<(StatusCode, Json<CommTestView>), ApiError> {
    require(&who, Permission::ManageBrandVoice)?;
    let row = certify::create(
        &state,
        &who,
        &req.name,
        &req.channels,
        req.validity_days,
        &req.test,
    )
    .await?;
    let view = CommTestView {
        id: row.id,
        name: row.name,
        channels: req.channels,
        validity_days: row.validity_days,
    };
    Ok((StatusCode::CREATED, Json(view)))
}

/// A test as a candidate sees it: the questions without the correct answers.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CommTestPaper {
    pub id: i64,
    pub name: String,
    pub channels: Vec<String>,
    pub pass_mark_percent: u8,
    #[schema(value_type = Vec<Object>)]
    pub questions: Vec<serde_json::Value>,
}

/// The workspace's tests.
#[utoipa::path(get, path = "/api/v1/comm-tests", responses((status = 200, body = Vec<CommTestView>)))]
pub async fn tests(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<Vec<CommTestView>>, ApiError> {
    require(&who, Permission::ReadConversations)?;
    let rows = state.store.comm_tests(who.workspace).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| CommTestView {
                id: r.id,
                channels: serde_json::from_str(&r.channels).unwrap_or_default(),
                name: r.name,
                validity_days: r.validity_days,
            })
            .collect(),
    ))
}

/// One test to take; correct options are left out.
#[utoipa::path(get, path = "/api/v1/comm-tests/{id}", params(("id" = i64, Path)), responses((status = 200, body = CommTestPaper)))]
pub async fn test_paper(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CommTestPaper>, ApiError> {
    require(&who, Permission::ReadConversations)?;
    let (row, test) = certify::load(&state, who.workspace, id).await?;
    let questions = test
        .questions
        .iter()
        .map(|q| {
            let mut v = serde_json::to_value(q).unwrap_or_default();
            if let Some(kind) = v.get_mut("kind").and_then(|k| k.as_object_mut()) {
                kind.remove("correct");
            }
            v
        })
        .collect();
    Ok(Json(CommTestPaper {
        id: row.id,
        name: row.name,
        channels: serde_json::from_str(&row.channels).unwrap_or_default(),
        pass_mark_percent: test.pass_mark_percent,
        questions,
    }))
}

/// An agent's answers: question id → `{"choices": [...]}` or `{"text": "..."}`.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct AttemptRequest {
    #[schema(value_type = Object)]
    pub answers: BTreeMap<String, Answer>,
}

/// An attempt and how it went.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AttemptView {
    pub id: i64,
    pub test_id: i64,
    pub user_id: i64,
    pub status: String,
    /// Style violations of each scenario answer, found when it was submitted.
    #[schema(value_type = Object)]
    pub style_check: serde_json::Value,
    pub score_percent: Option<f64>,
    pub passed: Option<bool>,
}

impl From<AttemptRow> for AttemptView {
    fn from(a: AttemptRow) -> Self {
        AttemptView {
            id: a.id,
            test_id: a.test_id,
            user_id: a.user_id,
            status: a.status,
            style_check: serde_json::from_str(&a.style_check).unwrap_or_default(),
            score_percent: a.score_bp.map(|b| b as f64 / 100.0),
            passed: a.passed.map(|p| p != 0),
        }
    }
}

/// Takes a test: the answers are stored and scenario answers checked against the style guide.
/// Only those who reply take tests (reply rights are what a pass grants).
#[utoipa::path(post, path = "/api/v1/comm-tests/{id}/attempts", params(("id" = i64, Path)), request_body = AttemptRequest, responses((status = 201, body = AttemptView)))]
pub async fn take_test(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<AttemptRequest>,
) -> Result<(StatusCode, Json<AttemptView>), ApiError> {
    require(&who, Permission::WorkConversations)?;
    let row = certify::attempt(&state, &who, id, &req.answers).await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// A reviewer's rubric scores: question id → criterion id → score.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct GradeRequest {
    #[schema(value_type = Object)]
    pub scores: ReviewerScores,
}

/// Grades an attempt; a pass grants reply rights on the test's channels.
#[utoipa::path(post, path = "/api/v1/comm-attempts/{id}/grade", params(("id" = i64, Path)), request_body = GradeRequest, responses((status = 200, body = AttemptView)))]
pub async fn grade(
    State(state): State<AppState>,
    who: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<GradeRequest>,
) -> Result<Json<AttemptView>, ApiError> {
    if !certify::may_review(who.role) {
        return Err(ApiError::Forbidden);
    }
    let row = certify::grade(&state, &who, id, &req.scores).await?;
    Ok(Json(row.into()))
}

// ---- reports ----------------------------------------------------------------------------

/// Time waiting in approval per path and step, decision rates, approver edits per agent.
#[utoipa::path(get, path = "/api/v1/reports/approvals", responses((status = 200, body = reports::ApprovalReport)))]
pub async fn report(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<reports::ApprovalReport>, ApiError> {
    require(&who, Permission::ViewReports)?;
    let r = reports::build(&state, who.workspace)
        .await
        .map_err(ApiError::from)?;
    Ok(Json(r))
}
