//! Ordered routing rules that choose an approval path for a draft.
//!
//! [`route`] evaluates [`RoutingRule`]s in order; the first rule whose
//! conditions all hold wins. When none matches, no approval is needed,
//! unless the author is a trainee on the channel, in which case the table's
//! `trainee_path` applies. The result says which rule matched and why.
//!
//! # Risk score
//!
//! [`risk_score`] adds integer points from [`RiskWeights`] and caps the sum
//! at 100:
//!
//! ```text
//! risk = min(100,
//!     public            × w.public
//!   + customer_vip      × w.vip
//!   + follower_orders   × w.per_follower_order   // follower_orders = max(0, digits(followers) − 3):
//!                                                //   0 below 1,000; 1 for 1,000–9,999; 2 for 10,000–99,999 …
//!   + risky_terms_found × w.per_risky_term       // distinct `risky_terms` present (whole word, any case)
//!   + (!author_certified) × w.uncertified
//!   + priority_rank     × w.per_priority_rank    // low 0, normal 1, high 2, urgent 3
//!   + Σ tag_weights[tag] for each tag of the conversation)
//! ```
//! Booleans count as 0 or 1. Sums saturate instead of overflowing.

use std::collections::BTreeMap;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::textutil::contains_whole;

/// Conversation priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// Low.
    Low,
    /// Normal.
    Normal,
    /// High.
    High,
    /// Urgent.
    Urgent,
}

impl Priority {
    fn rank(self) -> u32 {
        match self {
            Priority::Low => 0,
            Priority::Normal => 1,
            Priority::High => 2,
            Priority::Urgent => 3,
        }
    }
}

/// Facts about a draft that routing looks at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingContext {
    /// The draft text.
    pub text: String,
    /// Channel name.
    pub channel: String,
    /// Public post (true) or private message (false).
    pub public: bool,
    /// Customer flagged VIP.
    pub customer_vip: bool,
    /// Customer's follower count.
    pub follower_count: u64,
    /// Author holds a valid certification for this channel.
    pub author_certified: bool,
    /// Author is a trainee on this channel.
    pub author_trainee: bool,
    /// Author's role.
    pub author_role: String,
    /// Conversation tags.
    pub tags: Vec<String>,
    /// Conversation priority.
    pub priority: Priority,
}

/// A condition of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "if", content = "value")]
pub enum Condition {
    /// The text contains any of these words/phrases (whole word, any case).
    ContainsAny(Vec<String>),
    /// The text matches this regex.
    Matches(String),
    /// The channel is one of these.
    ChannelIn(Vec<String>),
    /// Public (true) or private (false).
    Public(bool),
    /// Customer VIP flag equals this.
    CustomerVip(bool),
    /// Follower count is at least this.
    FollowersAtLeast(u64),
    /// Author certification on the channel equals this.
    AuthorCertified(bool),
    /// Author role is one of these.
    AuthorRoleIn(Vec<String>),
    /// Conversation has any of these tags.
    HasAnyTag(Vec<String>),
    /// Priority is at least this.
    PriorityAtLeast(Priority),
    /// Risk score is at least this.
    RiskAtLeast(u32),
    /// Any of the nested conditions holds.
    AnyOf(Vec<Condition>),
    /// The nested condition does not hold.
    Not(Box<Condition>),
}

/// One rule: when all conditions hold, use `path_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingRule {
    /// Identifier.
    pub id: String,
    /// All must hold (an empty list always matches).
    pub conditions: Vec<Condition>,
    /// Approval path to use.
    pub path_id: String,
}

/// Points per risk factor; see the module docs for the formula.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskWeights {
    /// Points for a public post.
    pub public: u32,
    /// Points for a VIP customer.
    pub vip: u32,
    /// Points per order of magnitude of followers from 1,000 upwards.
    pub per_follower_order: u32,
    /// Words or phrases that add risk.
    #[serde(default)]
    pub risky_terms: Vec<String>,
    /// Points per distinct risky term present.
    pub per_risky_term: u32,
    /// Points when the author is not certified on the channel.
    pub uncertified: u32,
    /// Points per priority rank.
    pub per_priority_rank: u32,
    /// Points per conversation tag.
    #[serde(default)]
    pub tag_weights: BTreeMap<String, u32>,
}

/// The routing configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingTable {
    /// Rules in priority order.
    pub rules: Vec<RoutingRule>,
    /// Path for trainees when no rule matches.
    #[serde(default)]
    pub trainee_path: Option<String>,
    /// Risk weights.
    pub risk: RiskWeights,
}

/// The risk score and its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskScore {
    /// Total, 0..=100.
    pub total: u32,
    /// Non-zero contributions: (factor, points).
    pub parts: Vec<(String, u32)>,
}

/// The routing decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Routing {
    /// A rule matched.
    Rule {
        /// Rule id.
        rule_id: String,
        /// Path to use.
        path_id: String,
        /// Why each condition held.
        reasons: Vec<String>,
        /// Risk score.
        risk: RiskScore,
    },
    /// No rule matched and the author is a trainee.
    Trainee {
        /// Path to use.
        path_id: String,
        /// Risk score.
        risk: RiskScore,
    },
    /// No approval needed.
    NoApproval {
        /// Risk score.
        risk: RiskScore,
    },
}

/// Routing configuration errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoutingError {
    /// A regex does not compile.
    #[error("routing rule `{rule_id}` has an invalid regex: {problem}")]
    BadRegex {
        /// Rule id.
        rule_id: String,
        /// Compiler message.
        problem: String,
    },
    /// A trainee needs a path but none is configured.
    #[error("author is a trainee on this channel but no trainee path is configured")]
    NoTraineePath,
}

impl RoutingTable {
    /// Checks every regex; the error names the rule.
    pub fn validate(&self) -> Result<(), RoutingError> {
        for rule in &self.rules {
            for c in &rule.conditions {
                check_regexes(c).map_err(|problem| RoutingError::BadRegex {
                    rule_id: rule.id.clone(),
                    problem,
                })?;
            }
        }
        Ok(())
    }
}

fn check_regexes(c: &Condition) -> Result<(), String> {
    match c {
        Condition::Matches(re) => Regex::new(re).map(|_| ()).map_err(|e| e.to_string()),
        Condition::AnyOf(cs) => cs.iter().try_for_each(check_regexes),
        Condition::Not(inner) => check_regexes(inner),
        _ => Ok(()),
    }
}

/// Chooses the approval path for `ctx`.
pub fn route(table: &RoutingTable, ctx: &RoutingContext) -> Result<Routing, RoutingError> {
    table.validate()?;
    let risk = risk_score(&table.risk, ctx);
    for rule in &table.rules {
        if let Some(reasons) = rule_reasons(rule, ctx, risk.total) {
            return Ok(Routing::Rule {
                rule_id: rule.id.clone(),
                path_id: rule.path_id.clone(),
                reasons,
                risk,
            });
        }
    }
    match (&table.trainee_path, ctx.author_trainee) {
        (_, false) => Ok(Routing::NoApproval { risk }),
        (Some(path), true) => Ok(Routing::Trainee {
            path_id: path.clone(),
            risk,
        }),
        (None, true) => Err(RoutingError::NoTraineePath),
    }
}

fn rule_reasons(rule: &RoutingRule, ctx: &RoutingContext, risk: u32) -> Option<Vec<String>> {
    rule.conditions
        .iter()
        .map(|c| explain(c, ctx, risk))
        .collect()
}

/// Why `c` holds, or `None` when it does not.
fn explain(c: &Condition, ctx: &RoutingContext, risk: u32) -> Option<String> {
    match c {
        Condition::ContainsAny(words) => words
            .iter()
            .find(|w| contains_whole(&ctx.text, w))
            .map(|w| format!("text mentions \"{w}\"")),
        Condition::Matches(re) => Regex::new(re)
            .ok()
            .filter(|r| r.is_match(&ctx.text))
            .map(|_| format!("text matches /{re}/")),
        Condition::ChannelIn(chs) => chs
            .contains(&ctx.channel)
            .then(|| format!("channel is {}", ctx.channel)),
        Condition::Public(p) => (ctx.public == *p).then(|| visibility(*p).to_string()),
        Condition::CustomerVip(v) => {
            (ctx.customer_vip == *v).then(|| format!("customer VIP is {v}"))
        }
        Condition::FollowersAtLeast(n) => (ctx.follower_count >= *n)
            .then(|| format!("customer has {} followers (≥ {n})", ctx.follower_count)),
        Condition::AuthorCertified(v) => {
            (ctx.author_certified == *v).then(|| format!("author certified is {v}"))
        }
        Condition::AuthorRoleIn(roles) => roles
            .contains(&ctx.author_role)
            .then(|| format!("author role is {}", ctx.author_role)),
        Condition::HasAnyTag(tags) => tags
            .iter()
            .find(|t| ctx.tags.contains(t))
            .map(|t| format!("conversation tagged {t}")),
        Condition::PriorityAtLeast(p) => {
            (ctx.priority >= *p).then(|| format!("priority {:?} ≥ {p:?}", ctx.priority))
        }
        Condition::RiskAtLeast(n) => (risk >= *n).then(|| format!("risk {risk} ≥ {n}")),
        Condition::AnyOf(cs) => cs.iter().find_map(|c| explain(c, ctx, risk)),
        Condition::Not(inner) => match explain(inner, ctx, risk) {
            Some(_) => None,
            None => Some(format!("not ({inner:?})")),
        },
    }
}

fn visibility(public: bool) -> &'static str {
    if public {
        "post is public"
    } else {
        "message is private"
    }
}

/// Computes the risk score (see the module docs for the formula).
pub fn risk_score(w: &RiskWeights, ctx: &RoutingContext) -> RiskScore {
    let risky = w
        .risky_terms
        .iter()
        .filter(|t| contains_whole(&ctx.text, t))
        .count();
    let risky = u32::try_from(risky).unwrap_or(u32::MAX);
    let mut parts = vec![
        ("public".to_string(), u32::from(ctx.public) * w.public),
        ("vip".to_string(), u32::from(ctx.customer_vip) * w.vip),
        (
            "followers".into(),
            follower_orders(ctx.follower_count).saturating_mul(w.per_follower_order),
        ),
        ("risky_terms".into(), risky.saturating_mul(w.per_risky_term)),
        (
            "uncertified".into(),
            u32::from(!ctx.author_certified) * w.uncertified,
        ),
        (
            "priority".into(),
            ctx.priority.rank().saturating_mul(w.per_priority_rank),
        ),
    ];
    for tag in &ctx.tags {
        if let Some(points) = w.tag_weights.get(tag) {
            parts.push((format!("tag:{tag}"), *points));
        }
    }
    parts.retain(|(_, p)| *p > 0);
    let sum = parts
        .iter()
        .fold(0u32, |acc, (_, p)| acc.saturating_add(*p));
    RiskScore {
        total: sum.min(100),
        parts,
    }
}

/// `max(0, digits(n) − 3)`: 0 below 1,000, 1 for 1,000..=9,999, ...
fn follower_orders(n: u64) -> u32 {
    let digits = n.checked_ilog10().map_or(1, |d| d + 1);
    digits.saturating_sub(3)
}
