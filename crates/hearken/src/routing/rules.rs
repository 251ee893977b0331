//! Routing rules: ordered conditions and actions, checked when they are saved and
//! evaluated on every new inbound message.
//!
//! Conditions combine with AND; an absent condition always holds. Every matching rule
//! acts, in order, so a later rule's team or priority wins; a rule with `stop` (and any
//! rule that dismisses) ends the evaluation for that message.

use serde::{Deserialize, Serialize};

use crate::domain::channel::{Channel, Visibility};
use crate::domain::conversation::{Priority, Tag};

/// When a rule applies.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Conditions {
    /// Any of these channels (empty: any).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<String>,
    /// Any of these accounts (empty: any).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub account_ids: Vec<i64>,
    /// `public` or `private`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<String>,
    /// Words in the listening query language (`refund OR "money back" -spam`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub words: Option<String>,
    /// The message was found by this listening query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listening_query_id: Option<i64>,
    /// The customer's contact is (or is not) marked VIP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vip: Option<bool>,
    /// At least this many followers (needs the platform to give the count).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_followers: Option<i64>,
    /// At most this many followers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_followers: Option<i64>,
    /// Sentiment (VADER compound, -1 to 1) strictly below this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment_below: Option<f64>,
    /// Sentiment strictly above this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment_above: Option<f64>,
}

/// What a rule does.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Actions {
    /// Assign the conversation to this team.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<i64>,
    /// Set this priority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    /// Add these tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Dismiss as spam: close the conversation and tag it `spam` (can be undone).
    #[serde(default)]
    pub dismiss: bool,
    /// Evaluate no later rule.
    #[serde(default)]
    pub stop: bool,
}

/// A rule as saved.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Rule {
    pub id: i64,
    pub name: String,
    pub position: i64,
    pub version: i64,
    pub enabled: bool,
    pub conditions: Conditions,
    pub actions: Actions,
}

/// A rule to create or the new content of one.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleRequest {
    pub name: String,
    /// Evaluation order; defaults to after the last rule.
    #[serde(default)]
    pub position: Option<i64>,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub conditions: Conditions,
    #[serde(default)]
    pub actions: Actions,
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

impl RuleRequest {
    /// Checks every field that does not need the database.
    pub fn validate(&self) -> Result<(), InvalidRule> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(invalid(
                "name",
                "give the rule a name of 1 to 100 characters",
            ));
        }
        self.conditions.validate()?;
        self.actions.validate()
    }
}

impl Conditions {
    fn validate(&self) -> Result<(), InvalidRule> {
        for c in &self.channels {
            c.parse::<Channel>()
                .map_err(|e| invalid("conditions.channels", e.to_string()))?;
        }
        if let Some(v) = &self.visibility {
            Visibility::parse(v)
                .ok_or_else(|| invalid("conditions.visibility", "expected public or private"))?;
        }
        if let Some(w) = &self.words {
            hearken_text::parse(w).map_err(|e| invalid("conditions.words", e.to_string()))?;
        }
        for (field, v) in [
            ("conditions.sentiment_below", self.sentiment_below),
            ("conditions.sentiment_above", self.sentiment_above),
        ] {
            if v.is_some_and(|s| !(-1.0..=1.0).contains(&s)) {
                return Err(invalid(field, "a sentiment score runs from -1 to 1"));
            }
        }
        Ok(())
    }
}

impl Actions {
    fn validate(&self) -> Result<(), InvalidRule> {
        if let Some(p) = &self.priority {
            p.parse::<Priority>()
                .map_err(|e| invalid("actions.priority", e.to_string()))?;
        }
        for t in &self.tags {
            Tag::parse(t).map_err(|e| invalid("actions.tags", e.to_string()))?;
        }
        let does_something = self.team_id.is_some()
            || self.priority.is_some()
            || !self.tags.is_empty()
            || self.dismiss;
        if !does_something {
            return Err(invalid(
                "actions",
                "a rule must assign a team, set a priority, add a tag or dismiss",
            ));
        }
        Ok(())
    }
}

/// What routing knows about one new inbound message.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Candidate {
    pub message_id: i64,
    pub platform_id: String,
    pub conversation_id: i64,
    pub channel: String,
    pub account_id: i64,
    pub visibility: String,
    pub text: String,
    pub author: Option<String>,
    pub vip: i64,
    pub followers: Option<i64>,
}

/// The facts a rule is evaluated on.
pub struct Facts<'a> {
    pub candidate: &'a Candidate,
    pub sentiment: f64,
    pub listening_query_id: Option<i64>,
}

/// A rule ready to evaluate, its words query parsed once.
pub struct Compiled {
    pub rule: Rule,
    words: Option<hearken_text::Query>,
}

impl Compiled {
    /// Compiles a saved rule; a words query that no longer parses never matches.
    pub fn new(rule: Rule) -> Compiled {
        let words = rule
            .conditions
            .words
            .as_deref()
            .and_then(|w| hearken_text::parse(w).ok());
        Compiled { rule, words }
    }

    /// Whether every condition of the rule holds.
    pub fn matches(&self, f: &Facts<'_>) -> bool {
        let c = &self.rule.conditions;
        let m = f.candidate;
        let followers_ok = |bound: Option<i64>, above: bool| match bound {
            None => true,
            Some(b) => m
                .followers
                .is_some_and(|n| if above { n >= b } else { n <= b }),
        };
        (c.channels.is_empty() || c.channels.contains(&m.channel))
            && (c.account_ids.is_empty() || c.account_ids.contains(&m.account_id))
            && c.visibility.as_ref().is_none_or(|v| *v == m.visibility)
            && c.listening_query_id
                .is_none_or(|q| f.listening_query_id == Some(q))
            && c.vip.is_none_or(|v| v == (m.vip != 0))
            && followers_ok(c.min_followers, true)
            && followers_ok(c.max_followers, false)
            && c.sentiment_below.is_none_or(|s| f.sentiment < s)
            && c.sentiment_above.is_none_or(|s| f.sentiment > s)
            && self.words_match(m)
    }

    fn words_match(&self, m: &Candidate) -> bool {
        if self.rule.conditions.words.is_none() {
            return true;
        }
        let Some(q) = &self.words else {
            return false;
        };
        q.matches(&hearken_text::Post {
            text: &m.text,
            author: m.author.as_deref().unwrap_or(""),
            lang: None,
        })
    }
}

/// One rule that acted on a message.
#[derive(Debug, Clone)]
pub struct Applied {
    pub rule_id: i64,
    pub rule_version: i64,
    pub actions: Actions,
}

/// The matching rules, in order, up to the first that stops.
pub fn evaluate(rules: &[Compiled], facts: &Facts<'_>) -> Vec<Applied> {
    let mut out = Vec::new();
    for c in rules.iter().filter(|c| c.rule.enabled) {
        if !c.matches(facts) {
            continue;
        }
        out.push(Applied {
            rule_id: c.rule.id,
            rule_version: c.rule.version,
            actions: c.rule.actions.clone(),
        });
        if c.rule.actions.stop || c.rule.actions.dismiss {
            break;
        }
    }
    out
}
