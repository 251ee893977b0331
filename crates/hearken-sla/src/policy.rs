//! SLA policies: targets, matching conditions and versions.
//!
//! A policy is identified by `id`; each change is a new [`SlaPolicy`] value
//! with a higher `version` and the instant it takes effect
//! (`effective_from`). [`select_policy`] picks the first policy (in the
//! caller's order) whose conditions all match a conversation;
//! [`select_policy_at`] does the same among the versions in force at an
//! instant. The clock module applies a version only from its
//! `effective_from` on (see [`crate::clock`]).

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// Statuses that mean "resolved" when a policy does not list its own.
pub const DEFAULT_RESOLVED_STATUSES: [&str; 2] = ["resolved", "closed"];

/// A time target: `minutes` of business time (per the calendar) or of plain
/// calendar time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// Length of the target in minutes.
    pub minutes: i64,
    /// `true`: measured in business time; `false`: calendar (wall) time.
    pub business_time: bool,
}

impl Target {
    /// A target in business minutes.
    pub fn business(minutes: i64) -> Self {
        Target {
            minutes,
            business_time: true,
        }
    }

    /// A target in calendar minutes.
    pub fn calendar(minutes: i64) -> Self {
        Target {
            minutes,
            business_time: false,
        }
    }

    /// The target as a duration.
    pub fn duration(&self) -> SignedDuration {
        SignedDuration::from_mins(self.minutes)
    }
}

/// Which clock a target applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// First human answer to the customer.
    FirstResponse,
    /// Each later answer to a waiting customer.
    NextResponse,
    /// Created to resolved.
    Resolution,
}

/// A matching condition; all conditions of a policy must hold. List
/// conditions match when the conversation's value equals any entry (ASCII
/// case-insensitive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyCondition {
    /// Priority is one of these.
    Priority(Vec<String>),
    /// Channel (e.g. `"x"`, `"instagram_dm"`) is one of these.
    Channel(Vec<String>),
    /// Account id is one of these.
    Account(Vec<String>),
    /// Assigned team is one of these.
    Team(Vec<String>),
    /// The conversation carries at least one of these tags.
    Tag(Vec<String>),
    /// The customer's VIP flag equals this.
    Vip(bool),
}

/// What is known about a conversation for policy selection.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationFacts {
    /// Priority, e.g. `"urgent"`.
    pub priority: Option<String>,
    /// Channel name.
    pub channel: Option<String>,
    /// Account id.
    pub account: Option<String>,
    /// Team name.
    pub team: Option<String>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// VIP customer.
    #[serde(default)]
    pub vip: bool,
}

fn any_eq(options: &[String], value: Option<&str>) -> bool {
    value.is_some_and(|v| options.iter().any(|o| o.eq_ignore_ascii_case(v)))
}

impl PolicyCondition {
    /// Whether the condition holds for `facts`.
    pub fn matches(&self, facts: &ConversationFacts) -> bool {
        match self {
            PolicyCondition::Priority(o) => any_eq(o, facts.priority.as_deref()),
            PolicyCondition::Channel(o) => any_eq(o, facts.channel.as_deref()),
            PolicyCondition::Account(o) => any_eq(o, facts.account.as_deref()),
            PolicyCondition::Team(o) => any_eq(o, facts.team.as_deref()),
            PolicyCondition::Tag(o) => facts.tags.iter().any(|t| any_eq(o, Some(t))),
            PolicyCondition::Vip(v) => facts.vip == *v,
        }
    }
}

fn default_warn() -> u8 {
    80
}

fn default_resolved() -> Vec<String> {
    DEFAULT_RESOLVED_STATUSES
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// One version of an SLA policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaPolicy {
    /// Stable policy id shared by all versions.
    pub id: String,
    /// Version number, increasing with each change.
    pub version: u32,
    /// Display name.
    pub name: String,
    /// Instant from which this version applies.
    pub effective_from: Timestamp,
    /// First response target.
    pub first_response: Option<Target>,
    /// Next response target.
    pub next_response: Option<Target>,
    /// Resolution target.
    pub resolution: Option<Target>,
    /// Percentage of a target after which a running clock is in warning.
    #[serde(default = "default_warn")]
    pub warn_at_percent: u8,
    /// Statuses during which the resolution clock is paused.
    #[serde(default)]
    pub pause_statuses: Vec<String>,
    /// Statuses that resolve the conversation (default: resolved, closed).
    #[serde(default = "default_resolved")]
    pub resolved_statuses: Vec<String>,
    /// Conditions that must all hold; empty = matches everything.
    #[serde(default)]
    pub conditions: Vec<PolicyCondition>,
}

/// A policy that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The id is empty.
    #[error("policy id is empty")]
    EmptyId,
    /// A target is not positive.
    #[error("policy {id} v{version}: {metric:?} target must be positive")]
    NonPositiveTarget {
        /// Policy id.
        id: String,
        /// Version.
        version: u32,
        /// The metric at fault.
        metric: Metric,
    },
    /// `warn_at_percent` is outside 1..=100.
    #[error("policy {id} v{version}: warn_at_percent must be within 1..=100")]
    BadWarnPercent {
        /// Policy id.
        id: String,
        /// Version.
        version: u32,
    },
}

impl SlaPolicy {
    /// A policy version with no targets, no conditions, warning at 80 %.
    pub fn new(id: &str, version: u32, name: &str, effective_from: Timestamp) -> Self {
        SlaPolicy {
            id: id.to_string(),
            version,
            name: name.to_string(),
            effective_from,
            first_response: None,
            next_response: None,
            resolution: None,
            warn_at_percent: default_warn(),
            pause_statuses: Vec::new(),
            resolved_statuses: default_resolved(),
            conditions: Vec::new(),
        }
    }

    /// The target for one metric.
    pub fn target(&self, metric: Metric) -> Option<Target> {
        match metric {
            Metric::FirstResponse => self.first_response,
            Metric::NextResponse => self.next_response,
            Metric::Resolution => self.resolution,
        }
    }

    /// Whether `status` pauses the resolution clock.
    pub fn is_pause_status(&self, status: &str) -> bool {
        any_eq(&self.pause_statuses, Some(status))
    }

    /// Whether `status` resolves the conversation.
    pub fn is_resolved_status(&self, status: &str) -> bool {
        any_eq(&self.resolved_statuses, Some(status))
    }

    /// Whether all conditions hold.
    pub fn matches(&self, facts: &ConversationFacts) -> bool {
        self.conditions.iter().all(|c| c.matches(facts))
    }

    /// Checks id, targets and warning percentage.
    pub fn validate(&self) -> Result<(), PolicyError> {
        if self.id.trim().is_empty() {
            return Err(PolicyError::EmptyId);
        }
        let (id, version) = (self.id.clone(), self.version);
        for metric in [
            Metric::FirstResponse,
            Metric::NextResponse,
            Metric::Resolution,
        ] {
            if self.target(metric).is_some_and(|t| t.minutes <= 0) {
                return Err(PolicyError::NonPositiveTarget {
                    id,
                    version,
                    metric,
                });
            }
        }
        if !(1..=100).contains(&self.warn_at_percent) {
            return Err(PolicyError::BadWarnPercent { id, version });
        }
        Ok(())
    }
}

/// First policy, in the given order, whose conditions all match.
pub fn select_policy<'a>(
    policies: &'a [SlaPolicy],
    facts: &ConversationFacts,
) -> Option<&'a SlaPolicy> {
    policies.iter().find(|p| p.matches(facts))
}

/// Like [`select_policy`], but `policies` may hold several versions per id:
/// only the version of each id in force at `at` is considered, and the order
/// is that of each id's first appearance in the slice.
pub fn select_policy_at<'a>(
    policies: &'a [SlaPolicy],
    facts: &ConversationFacts,
    at: Timestamp,
) -> Option<&'a SlaPolicy> {
    let mut seen: Vec<&str> = Vec::new();
    for p in policies {
        if seen.contains(&p.id.as_str()) {
            continue;
        }
        seen.push(&p.id);
        let current = version_at(policies.iter().filter(|q| q.id == p.id), at);
        if current.is_some_and(|c| c.matches(facts)) {
            return current;
        }
    }
    None
}

/// The version in force at `at`: the one with the latest `effective_from`
/// not after `at` (ties: higher `version`). `None` if none is in force yet.
pub fn version_at<'a>(
    versions: impl IntoIterator<Item = &'a SlaPolicy>,
    at: Timestamp,
) -> Option<&'a SlaPolicy> {
    versions
        .into_iter()
        .filter(|p| p.effective_from <= at)
        .max_by_key(|p| (p.effective_from, p.version))
}

/// All versions of policy `id`, cloned, sorted by `effective_from`.
pub fn versions_of(policies: &[SlaPolicy], id: &str) -> Vec<SlaPolicy> {
    let mut v: Vec<SlaPolicy> = policies.iter().filter(|p| p.id == id).cloned().collect();
    v.sort_by_key(|p| (p.effective_from, p.version));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn facts(priority: &str, channel: &str, tags: &[&str], vip: bool) -> ConversationFacts {
        ConversationFacts {
            priority: Some(priority.into()),
            channel: Some(channel.into()),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            vip,
            ..Default::default()
        }
    }

    fn policy(id: &str, conditions: Vec<PolicyCondition>) -> SlaPolicy {
        let mut p = SlaPolicy::new(id, 1, id, ts("2024-01-01T00:00:00Z"));
        p.conditions = conditions;
        p
    }

    #[test]
    fn first_match_wins_in_order() {
        let list = vec![
            policy("vip", vec![PolicyCondition::Vip(true)]),
            policy(
                "urgent-x",
                vec![
                    PolicyCondition::Priority(vec!["urgent".into()]),
                    PolicyCondition::Channel(vec!["x".into()]),
                ],
            ),
            policy("default", vec![]),
        ];
        let urgent_x = facts("URGENT", "x", &[], false);
        assert_eq!(select_policy(&list, &urgent_x).unwrap().id, "urgent-x");
        let vip_urgent = facts("urgent", "x", &[], true);
        assert_eq!(select_policy(&list, &vip_urgent).unwrap().id, "vip");
        let other = facts("low", "instagram", &[], false);
        assert_eq!(select_policy(&list, &other).unwrap().id, "default");
    }

    #[test]
    fn tag_team_account_conditions() {
        let p = policy(
            "p",
            vec![
                PolicyCondition::Tag(vec!["billing".into(), "refund".into()]),
                PolicyCondition::Team(vec!["emea".into()]),
                PolicyCondition::Account(vec!["acme".into()]),
            ],
        );
        let mut f = facts("low", "x", &["refund"], false);
        assert!(!p.matches(&f));
        f.team = Some("EMEA".into());
        f.account = Some("acme".into());
        assert!(p.matches(&f));
        f.tags.clear();
        assert!(!p.matches(&f));
        assert!(select_policy(std::slice::from_ref(&p), &f).is_none());
    }

    #[test]
    fn version_in_force_and_selection_at_instant() {
        let mut v1 = policy("std", vec![PolicyCondition::Vip(false)]);
        v1.first_response = Some(Target::business(60));
        let mut v2 = v1.clone();
        v2.version = 2;
        v2.effective_from = ts("2024-06-11T12:00:00Z");
        v2.conditions = vec![PolicyCondition::Vip(true)];
        let list = vec![v2.clone(), v1.clone(), policy("fallback", vec![])];
        let f = facts("low", "x", &[], false);
        assert_eq!(
            version_at(&list[..2], ts("2024-06-11T11:59:59Z"))
                .unwrap()
                .version,
            1
        );
        assert_eq!(
            version_at(&list[..2], ts("2024-06-11T12:00:00Z"))
                .unwrap()
                .version,
            2
        );
        assert!(version_at(&list[..2], ts("2023-01-01T00:00:00Z")).is_none());
        assert_eq!(
            select_policy_at(&list, &f, ts("2024-06-10T00:00:00Z"))
                .unwrap()
                .id,
            "std"
        );
        assert_eq!(
            select_policy_at(&list, &f, ts("2024-06-12T00:00:00Z"))
                .unwrap()
                .id,
            "fallback"
        );
        assert_eq!(
            versions_of(&list, "std")
                .iter()
                .map(|p| p.version)
                .collect::<Vec<_>>(),
            [1, 2]
        );
    }

    #[test]
    fn validation() {
        let mut p = policy("p", vec![]);
        assert_eq!(p.validate(), Ok(()));
        p.resolution = Some(Target::business(0));
        assert!(matches!(
            p.validate(),
            Err(PolicyError::NonPositiveTarget { .. })
        ));
        p.resolution = None;
        p.warn_at_percent = 0;
        assert!(matches!(
            p.validate(),
            Err(PolicyError::BadWarnPercent { .. })
        ));
        p.id = " ".into();
        assert_eq!(p.validate(), Err(PolicyError::EmptyId));
    }

    #[test]
    fn serde_round_trip_with_defaults() {
        let json = r#"{"id":"std","version":1,"name":"Standard","effective_from":"2024-01-01T00:00:00Z",
            "first_response":{"minutes":60,"business_time":true},"next_response":null,"resolution":null,
            "conditions":[{"priority":["urgent"]},{"vip":true}]}"#;
        let p: SlaPolicy = serde_json::from_str(json).unwrap();
        assert_eq!(p.warn_at_percent, 80);
        assert!(p.is_resolved_status("Closed"));
        assert_eq!(p.conditions[1], PolicyCondition::Vip(true));
        let back: SlaPolicy = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        assert_eq!(back, p);
    }
}
