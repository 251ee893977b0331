//! Template parsing and rendering tests.

use std::collections::BTreeMap;

use hearken_voice::style::{Rule, RuleKind, Severity, SignOff, StyleGuide};
use hearken_voice::template::*;

fn tpl(body: &str) -> Template {
    Template {
        id: "t".into(),
        name: "t".into(),
        body: body.into(),
        variables: vec![],
    }
}

fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn renders_builtin_variables() {
    let t = tpl("Hi {{customer_name}}, order {{ order_number }} ships today.\n{{agent_name}}");
    let out = render(
        &t,
        &vars(&[
            ("customer_name", "Zoë"),
            ("order_number", "A-17"),
            ("agent_name", "JD"),
        ]),
    )
    .unwrap();
    assert_eq!(out, "Hi Zoë, order A-17 ships today.\nJD");
}

#[test]
fn missing_variable_is_named() {
    let t = tpl("Hi {{customer_name}}, {{agent_name}} here.");
    let err = render(&t, &vars(&[("customer_name", "Zoë")])).unwrap_err();
    assert_eq!(
        err,
        TemplateError::MissingVariable {
            name: "agent_name".into()
        }
    );
    assert!(err.to_string().contains("agent_name"));
}

#[test]
fn unknown_and_declared_placeholders() {
    let t = tpl("Code: {{voucher}}");
    assert_eq!(
        render(&t, &vars(&[("voucher", "X")])),
        Err(TemplateError::UnknownPlaceholder {
            name: "voucher".into(),
            offset: 6
        })
    );
    let declared = Template {
        variables: vec!["voucher".into()],
        ..t
    };
    assert_eq!(
        render(&declared, &vars(&[("voucher", "X")])).unwrap(),
        "Code: X"
    );
    let bad_decl = Template {
        variables: vec!["Voucher".into()],
        ..tpl("x")
    };
    assert_eq!(
        bad_decl.parse(),
        Err(TemplateError::InvalidDeclaration {
            name: "Voucher".into()
        })
    );
}

#[test]
fn malformed_placeholders_are_errors() {
    let cases = [
        ("Hi {{customer_name", 3),
        ("Hi customer_name}}", 16),
        ("Hi {{}}", 3),
        ("Hi {{ customer name }}", 3),
        ("Hi {{{customer_name}}}", 3),
        ("Hi {{Customer_Name}}", 3),
    ];
    for (body, offset) in cases {
        match tpl(body).parse() {
            Err(TemplateError::Malformed { offset: o, .. }) => assert_eq!(o, offset, "{body}"),
            other => panic!("{body}: {other:?}"),
        }
    }
}

#[test]
fn values_are_not_expanded_again() {
    let t = tpl("Hi {{customer_name}}");
    let out = render(
        &t,
        &vars(&[("customer_name", "{{agent_name}}"), ("agent_name", "x")]),
    )
    .unwrap();
    assert_eq!(out, "Hi {{agent_name}}");
}

#[test]
fn single_braces_are_literal_and_placeholders_listed() {
    let t = tpl("{ok} {{agent_name}} {{customer_name}} {{agent_name}}");
    let names: Vec<String> = t.placeholders().unwrap().into_iter().collect();
    assert_eq!(names, ["agent_name", "customer_name"]);
    assert_eq!(
        t.parse().unwrap(),
        vec![
            Segment::Text("{ok} "),
            Segment::Var("agent_name"),
            Segment::Text(" "),
            Segment::Var("customer_name"),
            Segment::Text(" "),
            Segment::Var("agent_name"),
        ]
    );
}

#[test]
fn template_style_check_returns_violations() {
    let guide = StyleGuide {
        version: 1,
        locale: "en".into(),
        rules: vec![
            Rule {
                id: "asap".into(),
                severity: Severity::Warning,
                kind: RuleKind::BannedPhrase {
                    phrase: "ASAP".into(),
                    suggestion: Some("soon".into()),
                },
            },
            Rule {
                id: "sign".into(),
                severity: Severity::Blocking,
                kind: RuleKind::RequiredSignOff {
                    sign_off: SignOff::Regex("^[A-Z]{2}$".into()),
                },
            },
        ],
    };
    let samples = vars(&[("customer_name", "Sam"), ("agent_name", "JD")]);
    let good = tpl("Hi {{customer_name}}, we will reply soon.\n{{agent_name}}");
    assert_eq!(
        check_style(&good, &samples, &guide, "email").unwrap(),
        vec![]
    );
    let bad = tpl("Hi {{customer_name}}, we will reply ASAP.");
    let vs = check_style(&bad, &samples, &guide, "email").unwrap();
    let ids: Vec<&str> = vs.iter().map(|v| v.rule_id.as_str()).collect();
    assert_eq!(ids, ["asap", "sign"]);
    // "Hi Sam, we will reply " is 22 bytes.
    assert_eq!(vs[0].span, Some((22, 26)));
}
