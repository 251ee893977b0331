//! Style checker tests; byte offsets are counted by hand.

use hearken_voice::style::*;

fn rule(id: &str, severity: Severity, kind: RuleKind) -> Rule {
    Rule {
        id: id.into(),
        severity,
        kind,
    }
}

fn guide(rules: Vec<Rule>) -> StyleGuide {
    StyleGuide {
        version: 1,
        locale: "en-GB".into(),
        rules,
    }
}

fn banned() -> Rule {
    rule(
        "no-problem",
        Severity::Warning,
        RuleKind::BannedPhrase {
            phrase: "no problem".into(),
            suggestion: Some("happy to help".into()),
        },
    )
}

fn initials() -> Rule {
    rule(
        "sign-off",
        Severity::Blocking,
        RuleKind::RequiredSignOff {
            sign_off: SignOff::Regex("^[A-Z]{2}$".into()),
        },
    )
}

fn links() -> Rule {
    rule(
        "links",
        Severity::Blocking,
        RuleKind::AllowedLinkDomains {
            domains: vec!["example.com".into()],
        },
    )
}

fn shouting() -> Rule {
    rule(
        "shout",
        Severity::Warning,
        RuleKind::Shouting {
            max_upper_percent: 50,
            min_letters: 10,
            max_caps_words: Some(2),
        },
    )
}

fn long() -> Rule {
    rule(
        "long",
        Severity::Warning,
        RuleKind::LongSentence { max_words: 8 },
    )
}

fn disclosure() -> Rule {
    rule(
        "refund-terms",
        Severity::Blocking,
        RuleKind::RequiredDisclosure {
            topics: vec!["refund".into()],
            disclosure: "Terms apply".into(),
        },
    )
}

fn full() -> StyleGuide {
    guide(vec![
        banned(),
        initials(),
        links(),
        shouting(),
        long(),
        disclosure(),
    ])
}

fn ids(vs: &[Violation]) -> Vec<&str> {
    vs.iter().map(|v| v.rule_id.as_str()).collect()
}

#[test]
fn banned_phrase_span_and_suggestion() {
    let text = "Hi Sam, No Problem at all!";
    let vs = check(&guide(vec![banned()]), text, "x");
    assert_eq!(vs.len(), 1);
    assert_eq!(vs[0].span, Some((8, 18)));
    assert_eq!(&text[8..18], "No Problem");
    assert_eq!(vs[0].severity, Severity::Warning);
    assert!(vs[0].fix.contains("happy to help"));
}

#[test]
fn banned_phrase_is_whole_word() {
    let g = guide(vec![rule(
        "cheap",
        Severity::Warning,
        RuleKind::BannedPhrase {
            phrase: "cheap".into(),
            suggestion: None,
        },
    )]);
    assert!(check(&g, "Our cheapest plan", "x").is_empty());
    let vs = check(&g, "It is CHEAP.", "x");
    assert_eq!(vs[0].span, Some((6, 11)));
}

#[test]
fn missing_sign_off() {
    let g = guide(vec![initials()]);
    assert!(check(&g, "Thanks for your patience.\nJD\n", "x").is_empty());
    let vs = check(&g, "Thanks for your patience.", "x");
    assert_eq!(ids(&vs), ["sign-off"]);
    assert_eq!(vs[0].span, None);
    assert_eq!(vs[0].severity, Severity::Blocking);
    let literal = guide(vec![rule(
        "lit",
        Severity::Blocking,
        RuleKind::RequiredSignOff {
            sign_off: SignOff::Literal("– The Hearken team".into()),
        },
    )]);
    assert!(check(&literal, "Bye\n– The Hearken team  ", "x").is_empty());
    assert_eq!(check(&literal, "Bye", "x").len(), 1);
}

#[test]
fn link_to_disallowed_domain() {
    let text = "See https://help.example.com/x and https://evil.com/y.";
    let vs = check(&guide(vec![links()]), text, "x");
    assert_eq!(vs.len(), 1);
    assert_eq!(vs[0].span, Some((35, 53)));
    assert_eq!(&text[35..53], "https://evil.com/y");
}

#[test]
fn link_tricks_are_caught() {
    let g = guide(vec![links()]);
    assert_eq!(
        check(&g, "https://example.com@evil.com/login", "x").len(),
        1
    );
    assert_eq!(check(&g, "https://example.com.evil.com/", "x").len(), 1);
    assert_eq!(check(&g, "www.notexample.com", "x").len(), 1);
    assert!(check(&g, "HTTPS://EXAMPLE.COM:443/a and www.example.com", "x").is_empty());
}

#[test]
fn shouting_by_ratio_and_by_run() {
    let text = "WHY IS THIS NOT WORKING";
    let vs = check(&guide(vec![shouting()]), text, "x");
    assert_eq!(vs.len(), 2);
    assert_eq!(vs[0].span, None);
    assert!(vs[0].message.contains("100%"));
    assert_eq!(vs[1].span, Some((0, 23)));
    // Acronyms and short texts do not shout.
    assert!(check(
        &guide(vec![shouting()]),
        "See our FAQ and the API docs.",
        "x"
    )
    .is_empty());
    assert!(check(&guide(vec![shouting()]), "OK THEN", "x").is_empty());
}

#[test]
fn caps_run_inside_normal_text() {
    let text = "Hello there, please DO NOT PANIC about this, it is fine and handled.";
    let vs = check(&guide(vec![shouting()]), text, "x");
    assert_eq!(vs.len(), 1);
    assert_eq!(vs[0].span, Some((20, 32)));
    assert_eq!(&text[20..32], "DO NOT PANIC");
}

#[test]
fn long_sentence() {
    let text = "This is short. This sentence has far too many words in it.";
    let vs = check(&guide(vec![long()]), text, "x");
    assert_eq!(vs.len(), 1);
    assert_eq!(vs[0].span, Some((15, 58)));
    assert!(vs[0].message.contains("9 words"));
}

#[test]
fn disclosure_required_for_topic() {
    let g = guide(vec![disclosure()]);
    let vs = check(&g, "Your refund is on its way.", "x");
    assert_eq!(vs.len(), 1);
    assert_eq!(vs[0].span, Some((5, 11)));
    assert!(check(&g, "Your refund is on its way. Terms apply.", "x").is_empty());
    assert!(check(&g, "Your order is on its way.", "x").is_empty());
}

#[test]
fn max_length_uses_callers_counter_per_channel() {
    let g = guide(vec![rule(
        "sms",
        Severity::Blocking,
        RuleKind::MaxLength {
            channel: "sms".into(),
            max: 10,
        },
    )]);
    let bytes = |t: &str| t.len();
    // "héllo wörld" is 11 chars but 13 bytes.
    assert!(check(&g, "héllo wörl", "sms").is_empty());
    assert_eq!(check_with(&g, "héllo wörl", "sms", &bytes).len(), 1);
    assert!(check_with(&g, "héllo wörld", "email", &bytes).is_empty());
}

#[test]
fn clean_text_passes() {
    let text = "Hi Sam, thanks for your patience. Your order ships today from https://shop.example.com/track.\nJD";
    let vs = check(&full(), text, "twitter");
    assert!(vs.is_empty(), "{vs:?}");
    assert!(passes(&vs));
}

#[test]
fn hostile_text_spans_are_char_boundary_safe() {
    let text = "🎉 مرحبا! 退款 No  Problem 👍🏽 WHY IS THIS BROKEN? 詳細は https://évil.com/ü にて。";
    let g = guide(vec![
        banned(),
        links(),
        shouting(),
        long(),
        rule(
            "cjk",
            Severity::Warning,
            RuleKind::BannedPhrase {
                phrase: "退款".into(),
                suggestion: None,
            },
        ),
    ]);
    let vs = check(&g, text, "x");
    for v in &vs {
        if let Some((s, e)) = v.span {
            assert!(s <= e && e <= text.len());
            assert!(
                text.is_char_boundary(s) && text.is_char_boundary(e),
                "{v:?}"
            );
        }
    }
    let span_of = |id: &str| vs.iter().find(|v| v.rule_id == id).and_then(|v| v.span);
    assert_eq!(span_of("no-problem"), Some((24, 35)));
    assert_eq!(span_of("links"), Some((75, 95)));
    assert_eq!(span_of("cjk"), Some((17, 23)));
    assert_eq!(span_of("shout"), Some((45, 63)));
}

#[test]
fn hostile_text_never_panics_on_sign_off_and_sentences() {
    let texts = [
        "",
        "\u{202E}evil\u{202C}",
        "👍🏽👍🏽👍🏽",
        "a\u{0301}.\n\n",
        "عربى. שלום! 中文。",
    ];
    for t in texts {
        let vs = check(&full(), t, "x");
        for v in vs {
            if let Some((s, e)) = v.span {
                assert!(t.is_char_boundary(s) && t.is_char_boundary(e));
            }
        }
    }
}

#[test]
fn bad_regex_is_a_clear_error_naming_the_rule() {
    let g = guide(vec![rule(
        "initials",
        Severity::Warning,
        RuleKind::RequiredSignOff {
            sign_off: SignOff::Regex("^[A-Z{2}$".into()),
        },
    )]);
    let err = g.validate().unwrap_err();
    assert!(matches!(&err, GuideError::InvalidRule { rule_id, .. } if rule_id == "initials"));
    assert!(err.to_string().contains("`initials`"));
    // Checking an invalid guide fails closed.
    let vs = check(&g, "Hi\nJD", "x");
    assert_eq!(vs.len(), 1);
    assert_eq!(vs[0].severity, Severity::Blocking);
}

#[test]
fn duplicate_ids_are_refused() {
    let g = guide(vec![banned(), banned()]);
    assert_eq!(
        g.validate(),
        Err(GuideError::DuplicateRuleId("no-problem".into()))
    );
    assert_eq!(full().validate(), Ok(()));
}

#[test]
fn guide_parses_from_json() {
    let json = r#"{
        "version": 3, "locale": "en-GB",
        "rules": [
            {"id": "b", "severity": "warning", "kind": "banned_phrase", "phrase": "ASAP", "suggestion": "soon"},
            {"id": "s", "severity": "blocking", "kind": "required_sign_off", "sign_off": {"regex": "^[A-Z]{2}$"}},
            {"id": "l", "severity": "warning", "kind": "long_sentence", "max_words": 30}
        ]
    }"#;
    let g: StyleGuide = serde_json::from_str(json).unwrap();
    assert_eq!(g.version, 3);
    assert_eq!(g.rules.len(), 3);
    assert_eq!(
        g.rules[1].kind,
        RuleKind::RequiredSignOff {
            sign_off: SignOff::Regex("^[A-Z]{2}$".into())
        }
    );
    let back: StyleGuide = serde_json::from_str(&serde_json::to_string(&g).unwrap()).unwrap();
    assert_eq!(back, g);
}

#[test]
fn style_book_falls_back_by_language_then_default() {
    let mk = |locale: &str, version| StyleGuide {
        version,
        locale: locale.into(),
        rules: vec![],
    };
    let book = StyleBook {
        default_locale: "en".into(),
        variants: [
            ("en".to_string(), mk("en", 1)),
            ("fr".to_string(), mk("fr", 2)),
            ("fr-CA".to_string(), mk("fr-CA", 3)),
        ]
        .into_iter()
        .collect(),
    };
    assert_eq!(book.validate(), Ok(()));
    assert_eq!(book.guide_for("fr_ca").unwrap().version, 3);
    assert_eq!(book.guide_for("fr-BE").unwrap().version, 2);
    assert_eq!(book.guide_for("de-DE").unwrap().version, 1);
    let broken = StyleBook {
        default_locale: "de".into(),
        variants: book.variants.clone(),
    };
    assert_eq!(
        broken.validate(),
        Err(GuideError::MissingDefault("de".into()))
    );
}
