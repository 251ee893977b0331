//! The gate before a reply leaves: style, collision, routing, trainee rights.
//!
//! A reply with a blocking style violation is refused. Otherwise the routing table decides:
//! no rule and no trainee means the reply goes now; a matching rule, or an author without
//! reply rights on the channel, holds it as a pending draft on the chosen path. A reply
//! scheduled for later is held as a draft too (on an empty path when it needs no approval),
//! so the scheduler sends it through the same checks.

use hearken_voice::approval::rules::{self, Priority, Routing, RoutingContext};
use hearken_voice::approval::{ApprovalPath, Draft};

use super::decide::{self, Meta};
use super::{uid, voice, FlowError};
use crate::app::AppState;
use crate::auth::Principal;
use crate::domain::channel::Visibility;
use crate::domain::role::Role;
use crate::domain::time::{from_millis, now_millis};
use crate::domain::Actor;
use crate::replies::send::{door, ReplyOptions};
use crate::storage::approvals::DraftRow;
use crate::storage::{ConversationRow, MessageRow, Provenance};

/// What the gate decided.
#[derive(Debug)]
pub enum Gate {
    /// Send now, recording how the reply was composed.
    Direct(Provenance),
    /// Held as this draft.
    Held(Box<DraftRow>),
}

/// Why a draft was routed where it was.
#[derive(Debug, Clone)]
pub struct Route {
    pub path_key: String,
    pub path: ApprovalPath,
    pub rule_id: Option<String>,
    pub reasons: Vec<String>,
    pub risk: u32,
}

/// Decides what happens to a reply about to be sent by `who`.
pub async fn check(
    state: &AppState,
    who: &Principal,
    conv: &ConversationRow,
    messages: &[MessageRow],
    text: &str,
    opts: &ReplyOptions,
) -> Result<Gate, FlowError> {
    let ws = who.workspace;
    // The conversation's locale, else the one the request names, else the workspace default:
    // a request cannot pick a laxer guide for a conversation whose language is known.
    let locale = conv.locale.as_deref().or(opts.locale.as_deref());
    let guide = voice::enforce(state, ws, text, &conv.channel, locale).await?;
    let provenance = Provenance {
        template_id: opts.template_id,
        locale: guide.as_ref().map(|g| g.locale.clone()),
        style_version: guide.map(|g| g.version),
    };
    if let Some(seen) = opts.seen {
        refuse_collision(state, conv, seen, who.user_id).await?;
    }
    let route = route(state, who, conv, messages, text).await?;
    if route.is_none() && opts.send_at.is_none() {
        return Ok(Gate::Direct(provenance));
    }
    let route = route.unwrap_or_else(|| Route {
        path_key: String::new(),
        path: ApprovalPath {
            id: String::new(),
            name: "no approval".into(),
            steps: Vec::new(),
        },
        rule_id: None,
        reasons: vec!["scheduled send".into()],
        risk: 0,
    });
    let seen = match opts.seen {
        Some(seen) => seen,
        None => state.store.conversation_marker(ws, conv.id).await?,
    };
    let draft = hold(
        state,
        who,
        conv,
        text,
        route,
        provenance,
        opts.send_at,
        seen,
    )
    .await?;
    Ok(Gate::Held(Box::new(draft)))
}

/// 409 while a message or note the author has not seen arrived after `seen`.
pub async fn refuse_collision(
    state: &AppState,
    conv: &ConversationRow,
    seen: (i64, i64),
    author: i64,
) -> Result<(), FlowError> {
    let ws = crate::domain::WorkspaceId(conv.workspace_id);
    let unseen = state
        .store
        .activity_since(ws, conv.id, seen, author)
        .await?;
    if unseen > 0 {
        return Err(FlowError::Conflict(format!(
            "{unseen} new message(s) or note(s) arrived since you opened this conversation; \
             read them first"
        )));
    }
    Ok(())
}

/// Whether `user` holds valid reply rights on `channel` at `now`.
pub async fn certified(
    state: &AppState,
    ws: crate::domain::WorkspaceId,
    user: i64,
    channel: &str,
    now: i64,
) -> Result<bool, FlowError> {
    let certs = state.store.certifications(ws, Some(user)).await?;
    Ok(certs.iter().any(|c| {
        let channels: Vec<String> = serde_json::from_str(&c.channels).unwrap_or_default();
        channels.iter().any(|ch| ch == channel)
            && super::certify::status(c, now) == super::certify::CertStatus::Active
    }))
}

async fn route(
    state: &AppState,
    who: &Principal,
    conv: &ConversationRow,
    messages: &[MessageRow],
    text: &str,
) -> Result<Option<Route>, FlowError> {
    let ws = who.workspace;
    let Some(table) = voice::routing(state, ws).await? else {
        return Ok(None);
    };
    let ctx = context(state, who, conv, messages, text).await?;
    let routing = rules::route(&table, &ctx).map_err(|e| match e {
        rules::RoutingError::NoTraineePath => FlowError::Forbidden(format!(
            "you have no reply rights on {} and no trainee approval path is set up",
            conv.channel
        )),
        other => FlowError::Invalid(other.to_string()),
    })?;
    let (path_key, rule_id, reasons, risk) = match routing {
        Routing::NoApproval { .. } => return Ok(None),
        Routing::Rule {
            rule_id,
            path_id,
            reasons,
            risk,
        } => (path_id, Some(rule_id), reasons, risk),
        Routing::Trainee { path_id, risk } => {
            let why = format!("author has no reply rights on {}", conv.channel);
            (path_id, None, vec![why], risk)
        }
    };
    let path = voice::path(state, ws, &path_key).await?;
    Ok(Some(Route {
        path_key,
        path,
        rule_id,
        reasons,
        risk: risk.total,
    }))
}

async fn context(
    state: &AppState,
    who: &Principal,
    conv: &ConversationRow,
    messages: &[MessageRow],
    text: &str,
) -> Result<RoutingContext, FlowError> {
    let ws = who.workspace;
    let certified = certified(state, ws, who.user_id, &conv.channel, now_millis()).await?;
    let vip = match conv.contact_id {
        Some(c) => state.store.contact_vip(ws, c).await?,
        None => false,
    };
    let followers = match conv.identity_id {
        Some(i) => state.store.identity_followers(ws, i).await?.unwrap_or(0),
        None => 0,
    };
    let request = door(conv, messages, String::new(), ws);
    Ok(RoutingContext {
        text: text.to_owned(),
        channel: conv.channel.clone(),
        public: request.visibility == Visibility::Public,
        customer_vip: vip,
        // The count the platform last gave for the customer's identity (0 when unknown).
        follower_count: u64::try_from(followers).unwrap_or(0),
        author_certified: certified,
        author_trainee: who.role == Role::Agent && !certified,
        author_role: who.role.as_str().to_owned(),
        tags: state.store.tags(ws, conv.id).await?,
        priority: priority(&conv.priority),
    })
}

fn priority(p: &str) -> Priority {
    match p {
        "low" => Priority::Low,
        "high" => Priority::High,
        "urgent" => Priority::Urgent,
        _ => Priority::Normal,
    }
}

#[allow(clippy::too_many_arguments)]
async fn hold(
    state: &AppState,
    who: &Principal,
    conv: &ConversationRow,
    text: &str,
    route: Route,
    provenance: Provenance,
    send_at: Option<i64>,
    seen: (i64, i64),
) -> Result<DraftRow, FlowError> {
    let ws = who.workspace;
    let now = from_millis(now_millis());
    let dir = decide::directory(state, ws).await?;
    let key = crate::auth::secret::new_token();
    let mut draft = Draft::new(&key, uid(who.user_id), text, route.path.clone(), now);
    if let Some(at) = send_at {
        draft = draft.with_send_by(from_millis(at));
    }
    draft.submit(&dir, now)?;
    let meta = Meta {
        conversation_id: conv.id,
        author_id: who.user_id,
        channel: conv.channel.clone(),
        path_key: route.path_key.clone(),
        rule_id: route.rule_id.clone(),
        reasons: route.reasons.clone(),
        risk: i64::from(route.risk),
        style_version: provenance.style_version,
        send_at,
        seen,
        template_id: provenance.template_id,
        locale: provenance.locale.clone(),
    };
    let event = serde_json::json!({
        "conversation_id": conv.id,
        "version": 1,
        "version_hash": draft.current().hash,
        "path": route.path_key,
        "rule_id": route.rule_id,
        "reasons": route.reasons,
        "risk": route.risk,
        "style_version": provenance.style_version,
        "locale": provenance.locale,
        "template_id": provenance.template_id,
        "send_at": send_at,
    });
    let change = decide::Change::new(None, 0, 0).event("draft.submitted", event);
    let row = decide::persist(
        state,
        ws,
        &meta,
        &draft,
        &dir,
        change,
        &Actor::User(who.user_id),
    )
    .await?;
    tracing::info!(
        draft.id = row.id,
        conversation.id = conv.id,
        "reply held as draft {} in conversation {}",
        row.id,
        conv.id
    );
    Ok(row)
}
