//! The brand voice in force, read-only (#4): the style guide of each locale with its rules,
//! the approval paths, and the routing table that chooses among them. They are changed
//! through the API.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::Html;
use hearken_voice::approval::{ApprovalPath, ApproverGroup, OnDeadline, Quorum};
use serde_json::{json, Value};

use super::{render, require, MeView};
use crate::app::AppState;
use crate::approvals::voice;
use crate::domain::role::Permission;
use crate::http::error::PageError;
use crate::http::session::PageUser;

/// A JSON value as one line of text: strings bare, lists of strings joined.
fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) if items.iter().all(Value::is_string) => items
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        Value::Null => "none".into(),
        other => other.to_string(),
    }
}

/// A serialized rule or condition as `(field, value)` pairs, leaving out `skip`.
fn fields(v: &Value, skip: &[&str]) -> Vec<(String, String)> {
    v.as_object()
        .map(|o| {
            o.iter()
                .filter(|(k, _)| !skip.contains(&k.as_str()))
                .map(|(k, v)| (k.replace('_', " "), plain(v)))
                .collect()
        })
        .unwrap_or_default()
}

struct Names {
    users: HashMap<String, String>,
    teams: HashMap<String, String>,
    departments: HashMap<String, String>,
}

impl Names {
    fn group(&self, g: &ApproverGroup) -> String {
        let pick = |ids: &mut dyn Iterator<Item = &String>, names: &HashMap<String, String>| {
            ids.map(|id| names.get(id).cloned().unwrap_or_else(|| id.clone()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut parts = Vec::new();
        let users = pick(&mut g.users.iter().map(|u| &u.0), &self.users);
        if !users.is_empty() {
            parts.push(format!("users {users}"));
        }
        let teams = pick(&mut g.teams.iter(), &self.teams);
        if !teams.is_empty() {
            parts.push(format!("teams {teams}"));
        }
        if !g.roles.is_empty() {
            parts.push(format!("roles {}", g.roles.join(", ")));
        }
        let departments = pick(&mut g.departments.iter(), &self.departments);
        if !departments.is_empty() {
            parts.push(format!("departments {departments}"));
        }
        parts.join("; ")
    }

    fn path(&self, key: &str, p: &ApprovalPath) -> Value {
        let steps: Vec<Value> = p
            .steps
            .iter()
            .map(|s| {
                let branches: Vec<Value> = s
                    .branches
                    .iter()
                    .map(|b| {
                        let quorum = match b.quorum {
                            Quorum::Any => "any one".to_owned(),
                            Quorum::All => "all".to_owned(),
                            Quorum::AtLeast(k) => k.to_string(),
                        };
                        let on_deadline = match &b.on_deadline {
                            OnDeadline::Expire => "the draft expires".to_owned(),
                            OnDeadline::Escalate(g) => format!("escalates to {}", self.group(g)),
                        };
                        json!({ "name": b.name, "group": self.group(&b.group), "quorum": quorum,
                                "deadline_minutes": b.deadline_minutes, "on_deadline": on_deadline })
                    })
                    .collect();
                json!({ "branches": branches })
            })
            .collect();
        json!({ "key": key, "name": p.name, "steps": steps })
    }
}

/// GET /brand-voice
pub async fn page(
    State(state): State<AppState>,
    PageUser(who): PageUser,
) -> Result<Html<String>, PageError> {
    require(&who, Permission::ReadConversations)?;
    let ws = who.workspace;
    let book = voice::style_book(&state, ws).await?;
    let guides: Vec<Value> = book
        .as_ref()
        .map(|b| {
            b.variants
                .iter()
                .map(|(locale, g)| {
                    let rules: Vec<Value> = g
                        .rules
                        .iter()
                        .map(|r| {
                            let v = serde_json::to_value(r).unwrap_or_default();
                            json!({ "id": r.id, "severity": v["severity"], "kind": plain(&v["kind"]).replace('_', " "),
                                    "fields": fields(&v, &["id", "severity", "kind"]) })
                        })
                        .collect();
                    json!({ "locale": locale, "version": g.version,
                            "default": *locale == b.default_locale, "rules": rules })
                })
                .collect()
        })
        .unwrap_or_default();
    let dir = state.store.directory(ws).await?;
    let names = Names {
        users: state
            .store
            .users(ws)
            .await?
            .into_iter()
            .map(|u| (u.id.to_string(), u.display_name))
            .collect(),
        teams: dir
            .teams
            .iter()
            .map(|(id, name)| (id.to_string(), name.clone()))
            .collect(),
        departments: dir
            .departments
            .iter()
            .map(|(id, name)| (id.to_string(), name.clone()))
            .collect(),
    };
    let paths: Vec<Value> = state
        .store
        .approval_paths(ws)
        .await?
        .iter()
        .filter_map(|row| {
            serde_json::from_str::<ApprovalPath>(&row.body)
                .ok()
                .map(|p| names.path(&row.path_key, &p))
        })
        .collect();
    let routing = voice::routing(&state, ws).await?.map(|t| {
        let rules: Vec<Value> = t
            .rules
            .iter()
            .map(|r| {
                let conditions: Vec<String> = r
                    .conditions
                    .iter()
                    .map(|c| {
                        let v = serde_json::to_value(c).unwrap_or_default();
                        format!(
                            "{} {}",
                            plain(&v["if"]).replace('_', " "),
                            plain(&v["value"])
                        )
                    })
                    .collect();
                json!({ "id": r.id, "conditions": conditions, "path": r.path_id })
            })
            .collect();
        let risk = serde_json::to_value(&t.risk).unwrap_or_default();
        json!({ "rules": rules, "trainee_path": t.trainee_path, "risk": fields(&risk, &[]) })
    });
    render(
        &state,
        "brand_voice.html",
        json!({ "me": MeView::of(&who), "guides": guides, "paths": paths, "routing": routing }),
    )
}
