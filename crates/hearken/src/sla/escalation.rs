//! What happens when an SLA clock crosses its warning or due instant (issue #3): who is
//! told, and which escalation rules act.
//!
//! The watcher (`sla::watch`) finds the crossings; the store announces each one in one
//! transaction (`storage::escalation`), calling the pure rules here: every enabled rule
//! that matches the crossing, in order, reassigns and/or raises the priority through the
//! same change path as a person's edit, and one notification goes to each of the
//! conversation's assignee and its team's lead, before and after the escalation, once.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::domain::conversation::Priority;
use crate::domain::time::rfc3339;
use crate::storage::{ConversationChange, ConversationRow};

/// The metrics a rule can name; `any` matches every clock.
pub const METRICS: [&str; 4] = ["first_response", "next_response", "resolution", "any"];

/// The actor of escalations and announcements in the audit log (`system:sla`).
pub const ACTOR: &str = "sla";

/// An escalation rule as saved.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct EscalationRule {
    pub id: i64,
    pub name: String,
    /// Evaluation order, lowest first; every matching rule acts, so a later rule's
    /// assignee wins and the highest priority stays.
    pub position: i64,
    /// Grows by one on every change; written with every escalation the rule applies.
    pub version: i64,
    pub enabled: bool,
    /// `first_response`, `next_response`, `resolution` or `any`.
    pub metric: String,
    /// Also act on the warning, not only on the breach.
    pub on_warning: bool,
    /// Only conversations under this SLA policy (by key); none = any policy.
    pub policy_key: Option<String>,
    /// Assign the conversation to this user.
    pub assign_user_id: Option<i64>,
    /// Move the conversation to this team (unassigned, unless `assign_user_id` is set).
    pub assign_team_id: Option<i64>,
    /// Raise the priority to at least this; never lowers it.
    pub raise_priority: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A rule to create, or the new content of one.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalationRuleRequest {
    pub name: String,
    /// Evaluation order; defaults to after the last rule.
    #[serde(default)]
    pub position: Option<i64>,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// `first_response`, `next_response`, `resolution` or `any`.
    pub metric: String,
    /// Also act on the warning (default: only on the breach).
    #[serde(default)]
    pub on_warning: bool,
    #[serde(default)]
    pub policy_key: Option<String>,
    #[serde(default)]
    pub assign_user_id: Option<i64>,
    #[serde(default)]
    pub assign_team_id: Option<i64>,
    /// `low`, `normal`, `high` or `urgent`.
    #[serde(default)]
    pub raise_priority: Option<String>,
}

fn yes() -> bool {
    true
}

/// Why a rule cannot be saved; the message names the field at fault.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{field}: {message}")]
pub struct InvalidRule {
    pub field: &'static str,
    pub message: String,
}

fn invalid(field: &'static str, message: impl Into<String>) -> InvalidRule {
    InvalidRule {
        field,
        message: message.into(),
    }
}

impl EscalationRuleRequest {
    /// Checks every field that does not need the database, and returns the request with
    /// its text trimmed.
    pub fn validated(&self) -> Result<EscalationRuleRequest, InvalidRule> {
        let mut r = self.clone();
        r.name = r.name.trim().to_owned();
        if r.name.is_empty() || r.name.chars().count() > 100 || r.name.chars().any(char::is_control)
        {
            return Err(invalid(
                "name",
                "give the rule a name of 1 to 100 characters",
            ));
        }
        r.metric = r.metric.trim().to_owned();
        if !METRICS.contains(&r.metric.as_str()) {
            return Err(invalid(
                "metric",
                "expected first_response, next_response, resolution or any",
            ));
        }
        r.policy_key = r
            .policy_key
            .map(|k| k.trim().to_owned())
            .filter(|k| !k.is_empty());
        if let Some(p) = &r.raise_priority {
            let p = p
                .trim()
                .parse::<Priority>()
                .map_err(|e| invalid("raise_priority", e.to_string()))?;
            r.raise_priority = Some(p.as_str().to_owned());
        }
        if r.assign_user_id.is_none() && r.assign_team_id.is_none() && r.raise_priority.is_none() {
            return Err(invalid(
                "assign_user_id",
                "a rule needs an action: assign_user_id, assign_team_id or raise_priority",
            ));
        }
        Ok(r)
    }
}

/// A warning or breach the watcher found: which clock, which crossing, against which
/// due instant, under which policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Crossing {
    pub conversation_id: i64,
    pub metric: String,
    /// `warning` or `breached`.
    pub state: String,
    pub due_at: i64,
    pub policy_key: Option<String>,
}

impl EscalationRule {
    /// Whether the rule acts on this crossing.
    pub fn matches(&self, c: &Crossing) -> bool {
        self.enabled
            && (self.metric == "any" || self.metric == c.metric)
            && (c.state == "breached" || (c.state == "warning" && self.on_warning))
            && self
                .policy_key
                .as_ref()
                .is_none_or(|k| c.policy_key.as_ref() == Some(k))
    }

    /// The change the rule makes to the conversation as it is now; `None` when it already
    /// is as the rule wants.
    pub fn change_for(&self, conv: &ConversationRow) -> Option<ConversationChange> {
        let mut change = ConversationChange::default();
        if let Some(team) = self.assign_team_id {
            if conv.team_id != Some(team) {
                change.team_id = Some(Some(team));
                // Into the new team's queue, unless the rule names the assignee too.
                if self.assign_user_id.is_none() && conv.assignee_id.is_some() {
                    change.assignee_id = Some(None);
                }
            }
        }
        if let Some(user) = self.assign_user_id {
            if conv.assignee_id != Some(user) {
                change.assignee_id = Some(Some(user));
            }
        }
        if let Some(p) = &self.raise_priority {
            if rank(p) > rank(&conv.priority) {
                change.priority = Some(p.clone());
            }
        }
        let empty = change.priority.is_none()
            && change.assignee_id.is_none()
            && change.team_id.is_none()
            && change.status.is_none();
        (!empty).then_some(change)
    }
}

/// A priority's place, lowest first; an unknown name counts as the lowest.
fn rank(priority: &str) -> usize {
    Priority::ALL
        .iter()
        .position(|p| p.as_str() == priority)
        .unwrap_or(0)
}

/// Who hears of a crossing: each of these users once (the assignee and team lead before
/// and after the escalation), nobody when there is none.
pub fn recipients(candidates: impl IntoIterator<Item = Option<i64>>) -> Vec<i64> {
    candidates
        .into_iter()
        .flatten()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// The notification kind of a crossing.
pub fn notification_kind(state: &str) -> &'static str {
    if state == "breached" {
        "sla_breach"
    } else {
        "sla_warning"
    }
}

/// What an applied escalation did, for the notification text.
#[derive(Debug, Clone)]
pub struct AppliedEscalation {
    pub rule_id: i64,
    pub before: ConversationRow,
    pub after: ConversationRow,
}

/// The notification text: ids, the metric and the state; never customer content.
pub fn notification_text(c: &Crossing, applied: &[AppliedEscalation]) -> String {
    let metric = c.metric.replace('_', " ");
    let policy = c
        .policy_key
        .as_ref()
        .map(|k| format!(" (policy {k})"))
        .unwrap_or_default();
    let mut text = if c.state == "breached" {
        format!(
            "Conversation {}: the {metric} SLA was breached at {}{policy}.",
            c.conversation_id,
            rfc3339(c.due_at)
        )
    } else {
        format!(
            "Conversation {}: the {metric} SLA is in warning, due at {}{policy}.",
            c.conversation_id,
            rfc3339(c.due_at)
        )
    };
    for a in applied {
        let mut did = Vec::new();
        if a.before.assignee_id != a.after.assignee_id {
            did.push(match a.after.assignee_id {
                Some(u) => format!("assigned to user {u}"),
                None => "unassigned".to_owned(),
            });
        }
        if a.before.team_id != a.after.team_id {
            did.push(match a.after.team_id {
                Some(t) => format!("moved to team {t}"),
                None => "removed from its team".to_owned(),
            });
        }
        if a.before.priority != a.after.priority {
            did.push(format!("priority raised to {}", a.after.priority));
        }
        text.push_str(&format!(
            " Escalation rule {}: {}.",
            a.rule_id,
            did.join(", ")
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> EscalationRule {
        EscalationRule {
            id: 1,
            name: "r".into(),
            position: 1,
            version: 1,
            enabled: true,
            metric: "first_response".into(),
            on_warning: false,
            policy_key: Some("std".into()),
            assign_user_id: None,
            assign_team_id: None,
            raise_priority: Some("high".into()),
            created_at: 0,
            updated_at: 0,
        }
    }

    fn crossing(metric: &str, state: &str, policy: Option<&str>) -> Crossing {
        Crossing {
            conversation_id: 7,
            metric: metric.into(),
            state: state.into(),
            due_at: 0,
            policy_key: policy.map(Into::into),
        }
    }

    fn conv(priority: &str, assignee: Option<i64>, team: Option<i64>) -> ConversationRow {
        ConversationRow {
            id: 7,
            workspace_id: 1,
            conv_key: "k".into(),
            account_id: 1,
            account_handle: "a".into(),
            channel: "sandbox".into(),
            visibility: "public".into(),
            identity_id: None,
            customer_handle: None,
            contact_id: None,
            status: "open".into(),
            priority: priority.into(),
            assignee_id: assignee,
            team_id: team,
            preview: String::new(),
            message_count: 1,
            first_message_at: 0,
            activity_at: 0,
            waiting_since: None,
            resolved_at: None,
            locale: None,
        }
    }

    #[test]
    fn matching_follows_metric_state_and_policy() {
        let r = rule();
        assert!(r.matches(&crossing("first_response", "breached", Some("std"))));
        assert!(!r.matches(&crossing("first_response", "warning", Some("std"))));
        assert!(!r.matches(&crossing("resolution", "breached", Some("std"))));
        assert!(!r.matches(&crossing("first_response", "breached", Some("vip"))));
        assert!(!r.matches(&crossing("first_response", "breached", None)));
        let any = EscalationRule {
            metric: "any".into(),
            on_warning: true,
            policy_key: None,
            ..rule()
        };
        assert!(any.matches(&crossing("resolution", "warning", None)));
        let off = EscalationRule {
            enabled: false,
            ..rule()
        };
        assert!(!off.matches(&crossing("first_response", "breached", Some("std"))));
    }

    #[test]
    fn priority_is_raised_never_lowered() {
        let r = rule();
        assert_eq!(
            r.change_for(&conv("normal", None, None))
                .and_then(|c| c.priority),
            Some("high".into())
        );
        assert!(r.change_for(&conv("high", None, None)).is_none());
        assert!(r.change_for(&conv("urgent", None, None)).is_none());
    }

    #[test]
    fn team_reassignment_clears_the_assignee_unless_named() {
        let to_team = EscalationRule {
            raise_priority: None,
            assign_team_id: Some(5),
            ..rule()
        };
        let c = to_team
            .change_for(&conv("normal", Some(3), Some(4)))
            .unwrap();
        assert_eq!(c.team_id, Some(Some(5)));
        assert_eq!(c.assignee_id, Some(None));
        assert!(to_team
            .change_for(&conv("normal", Some(3), Some(5)))
            .is_none());
        let both = EscalationRule {
            assign_user_id: Some(9),
            ..to_team
        };
        let c = both.change_for(&conv("normal", Some(3), Some(4))).unwrap();
        assert_eq!(c.assignee_id, Some(Some(9)));
    }

    #[test]
    fn requests_are_validated() {
        let ok = EscalationRuleRequest {
            name: " late ".into(),
            position: None,
            enabled: true,
            metric: "any".into(),
            on_warning: false,
            policy_key: Some(" ".into()),
            assign_user_id: None,
            assign_team_id: None,
            raise_priority: Some("urgent".into()),
        };
        let v = ok.validated().unwrap();
        assert_eq!((v.name.as_str(), v.policy_key), ("late", None));
        let bad_metric = EscalationRuleRequest {
            metric: "speed".into(),
            ..ok.clone()
        };
        assert_eq!(bad_metric.validated().unwrap_err().field, "metric");
        let no_action = EscalationRuleRequest {
            raise_priority: None,
            ..ok.clone()
        };
        assert!(no_action.validated().is_err());
        let bad_priority = EscalationRuleRequest {
            raise_priority: Some("asap".into()),
            ..ok
        };
        assert_eq!(
            bad_priority.validated().unwrap_err().field,
            "raise_priority"
        );
    }

    #[test]
    fn recipients_are_unique_and_may_be_none() {
        assert_eq!(recipients([Some(3), None, Some(3), Some(1)]), vec![1, 3]);
        assert!(recipients([None, None]).is_empty());
    }
}
