//! Routing rule and risk score tests; scores are computed by hand.

use std::collections::BTreeMap;

use hearken_voice::approval::rules::*;

fn ctx() -> RoutingContext {
    RoutingContext {
        text: "Thanks, we are looking into it.".into(),
        channel: "twitter".into(),
        public: false,
        customer_vip: false,
        follower_count: 12,
        author_certified: true,
        author_trainee: false,
        author_role: "agent".into(),
        tags: vec![],
        priority: Priority::Normal,
    }
}

fn weights() -> RiskWeights {
    RiskWeights {
        public: 20,
        vip: 15,
        per_follower_order: 10,
        risky_terms: vec!["lawsuit".into(), "refund".into(), "data breach".into()],
        per_risky_term: 12,
        uncertified: 25,
        per_priority_rank: 3,
        tag_weights: BTreeMap::from([("outage".to_string(), 7)]),
    }
}

fn rule(id: &str, conditions: Vec<Condition>, path: &str) -> RoutingRule {
    RoutingRule {
        id: id.into(),
        conditions,
        path_id: path.into(),
    }
}

fn table() -> RoutingTable {
    RoutingTable {
        rules: vec![
            rule(
                "legal-words",
                vec![Condition::ContainsAny(vec![
                    "lawsuit".into(),
                    "data breach".into(),
                ])],
                "legal",
            ),
            rule(
                "public-influencer",
                vec![Condition::Public(true), Condition::FollowersAtLeast(10_000)],
                "pr",
            ),
            rule("risky", vec![Condition::RiskAtLeast(60)], "senior"),
            rule(
                "uncertified-public",
                vec![
                    Condition::AuthorCertified(false),
                    Condition::ChannelIn(vec!["twitter".into()]),
                ],
                "lead",
            ),
        ],
        trainee_path: Some("trainee".into()),
        risk: weights(),
    }
}

#[test]
fn risk_score_formula() {
    // Base context: normal priority (rank 1) → 3 points only.
    assert_eq!(risk_score(&weights(), &ctx()).total, 3);
    let c = RoutingContext {
        text: "Refund for the DATA  breach".into(),
        public: true,
        customer_vip: true,
        follower_count: 25_000, // 5 digits → 2 orders → 20
        author_certified: false,
        priority: Priority::Urgent, // rank 3 → 9
        tags: vec!["outage".into(), "other".into()],
        ..ctx()
    };
    // 20 + 15 + 20 + 2×12 + 25 + 9 + 7 = 120 → capped at 100.
    let r = risk_score(&weights(), &c);
    assert_eq!(r.total, 100);
    let sum: u32 = r.parts.iter().map(|(_, p)| p).sum();
    assert_eq!(sum, 120);
    let followers = RoutingContext {
        follower_count: 999,
        ..ctx()
    };
    assert_eq!(risk_score(&weights(), &followers).total, 3);
    let followers = RoutingContext {
        follower_count: 1_000,
        ..ctx()
    };
    assert_eq!(risk_score(&weights(), &followers).total, 13);
}

#[test]
fn first_matching_rule_wins_with_reasons() {
    let c = RoutingContext {
        text: "A lawsuit? No.".into(),
        public: true,
        follower_count: 50_000,
        ..ctx()
    };
    match route(&table(), &c).unwrap() {
        Routing::Rule {
            rule_id,
            path_id,
            reasons,
            ..
        } => {
            assert_eq!(rule_id, "legal-words");
            assert_eq!(path_id, "legal");
            assert_eq!(reasons, vec!["text mentions \"lawsuit\"".to_string()]);
        }
        other => panic!("{other:?}"),
    }
    let c = RoutingContext {
        text: "Hi".into(),
        public: true,
        follower_count: 50_000,
        ..ctx()
    };
    match route(&table(), &c).unwrap() {
        Routing::Rule {
            rule_id, reasons, ..
        } => {
            assert_eq!(rule_id, "public-influencer");
            assert_eq!(reasons.len(), 2);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn risk_rule_matches_on_score() {
    // public 20 + vip 15 + uncertified 25 + normal 3 = 63 ≥ 60; followers 12 → 0.
    let c = RoutingContext {
        public: true,
        customer_vip: true,
        author_certified: false,
        ..ctx()
    };
    match route(&table(), &c).unwrap() {
        Routing::Rule { rule_id, risk, .. } => {
            assert_eq!(rule_id, "risky");
            assert_eq!(risk.total, 63);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn no_match_needs_no_approval_unless_trainee() {
    assert!(matches!(
        route(&table(), &ctx()).unwrap(),
        Routing::NoApproval { .. }
    ));
    let trainee = RoutingContext {
        author_trainee: true,
        ..ctx()
    };
    assert!(matches!(
        route(&table(), &trainee).unwrap(),
        Routing::Trainee { path_id, .. } if path_id == "trainee"
    ));
    let no_default = RoutingTable {
        trainee_path: None,
        ..table()
    };
    assert_eq!(
        route(&no_default, &trainee),
        Err(RoutingError::NoTraineePath)
    );
}

#[test]
fn other_conditions() {
    let t = RoutingTable {
        rules: vec![rule(
            "combo",
            vec![
                Condition::Matches(r"(?i)\border\s+#?\d+".into()),
                Condition::AuthorRoleIn(vec!["agent".into()]),
                Condition::HasAnyTag(vec!["billing".into()]),
                Condition::PriorityAtLeast(Priority::High),
                Condition::AnyOf(vec![Condition::CustomerVip(true), Condition::Public(false)]),
                Condition::Not(Box::new(Condition::ChannelIn(vec!["email".into()]))),
            ],
            "billing",
        )],
        trainee_path: None,
        risk: RiskWeights::default(),
    };
    let c = RoutingContext {
        text: "About Order #123".into(),
        tags: vec!["billing".into()],
        priority: Priority::Urgent,
        ..ctx()
    };
    assert!(matches!(route(&t, &c).unwrap(), Routing::Rule { .. }));
    let low = RoutingContext {
        priority: Priority::Normal,
        ..c.clone()
    };
    assert!(matches!(
        route(&t, &low).unwrap(),
        Routing::NoApproval { .. }
    ));
    let email = RoutingContext {
        channel: "email".into(),
        ..c
    };
    assert!(matches!(
        route(&t, &email).unwrap(),
        Routing::NoApproval { .. }
    ));
}

#[test]
fn bad_regex_names_the_rule() {
    let t = RoutingTable {
        rules: vec![rule(
            "broken",
            vec![Condition::Not(Box::new(Condition::Matches("(".into())))],
            "x",
        )],
        trainee_path: None,
        risk: RiskWeights::default(),
    };
    assert!(
        matches!(route(&t, &ctx()), Err(RoutingError::BadRegex { rule_id, .. }) if rule_id == "broken")
    );
}
