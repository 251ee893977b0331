//! Expected values are worked out by hand from the rules in the module docs.

use super::*;

fn post(text: &str) -> Post<'_> {
    Post {
        text,
        author: "someone",
        lang: Some("en"),
    }
}

fn matches(query: &str, text: &str) -> bool {
    parse(query).unwrap().matches(&post(text))
}

fn err(query: &str) -> QueryError {
    parse(query).unwrap_err()
}

fn canonical(query: &str) -> String {
    parse(query).unwrap().to_string()
}

// ----- parsing and canonical form -----

#[test]
fn canonical_form() {
    assert_eq!(canonical("refund"), "refund");
    assert_eq!(
        canonical("Refund OR \"Money  Back\""),
        "refund OR \"money back\""
    );
    assert_eq!(canonical("a b OR c"), "a AND b OR c");
    assert_eq!(canonical("a (b OR c)"), "a AND (b OR c)");
    assert_eq!(canonical("-spam refund"), "NOT spam AND refund");
    assert_eq!(canonical("NOT (a OR b) c"), "NOT (a OR b) AND c");
    assert_eq!(canonical("late NEAR/3 parcel"), "late NEAR/3 parcel");
    assert_eq!(
        canonical("author:@Acme lang:pt_BR help"),
        "author:acme AND lang:pt-br AND help"
    );
    assert_eq!(canonical("NOT NOT refund"), "refund");
    assert_eq!(canonical("((a))"), "a");
    assert_eq!(canonical("a AND (b AND c)"), "a AND b AND c");
    assert_eq!(canonical("(a OR b) OR c"), "a OR b OR c");
    assert_eq!(canonical("cats and dogs"), "cats AND and AND dogs");
    assert_eq!(canonical("https://Example.com/x"), "https://example.com/x");
    assert_eq!(canonical("NOT a NEAR/2 b c"), "NOT a NEAR/2 b AND c");
}

#[test]
fn canonical_form_round_trips() {
    let queries = [
        "refund",
        "\"money back\" OR refund -spam",
        "a (b OR (c -d)) OR e f",
        "NOT (a b) c",
        "x NOT (a OR b)",
        "\"late delivery\" NEAR/5 parcel lang:en",
        "author:acme OR author:@Other.Shop@mastodon.social",
        "\"AND\" \"or\" near Near/3",
        "配送 OR \"カスタマー サポート\"",
        "🔥 café ΟΔΟΣ",
        "https://example.com/a:b",
        "NOT NOT NOT a b",
        "(a OR -b) c",
    ];
    for q in queries {
        let first = parse(q).unwrap();
        let printed = first.to_string();
        let second: Query = printed.parse().unwrap();
        assert_eq!(first, second, "{q} printed as {printed}");
        assert_eq!(printed, second.to_string());
    }
}

#[test]
fn caps_are_accepted_up_to_the_limit() {
    assert!(parse(&"a".repeat(MAX_QUERY_BYTES)).is_ok());
    let fifty: Vec<String> = (0..50).map(|i| format!("w{i}")).collect();
    assert!(parse(&fifty.join(" ")).is_ok());
    let deep = format!("{}a{}", "(".repeat(32), ")".repeat(32));
    assert!(parse(&deep).is_ok());
}

// ----- errors -----

#[test]
fn empty_queries() {
    let e = err("");
    assert_eq!((e.kind, e.offset), (QueryErrorKind::Empty, 0));
    assert_eq!(e.to_string(), "empty query at column 1");
    assert_eq!(err(" \t\n").kind, QueryErrorKind::Empty);
    let e = err("a ()");
    assert_eq!((e.kind, e.offset), (QueryErrorKind::Empty, 2));
}

#[test]
fn dangling_operators() {
    let e = err("shipping OR");
    assert_eq!((e.kind, e.offset), (QueryErrorKind::DanglingOperator, 11));
    assert_eq!(e.to_string(), "expected a term after OR at column 12");
    assert_eq!(
        err("OR refund").to_string(),
        "expected a term before OR at column 1"
    );
    let e = err("a AND OR b");
    assert_eq!(e.offset, 6);
    assert_eq!(e.message, "expected a term after AND");
    assert_eq!(
        err("NOT").to_string(),
        "expected a term after NOT at column 4"
    );
    assert_eq!(
        err("(a OR)").to_string(),
        "expected a term after OR at column 6"
    );
    assert_eq!(err("NEAR/2 b").message, "expected a term before NEAR/2");
    assert_eq!(
        err("a NEAR/2").to_string(),
        "expected a term after NEAR/2 at column 9"
    );
    assert_eq!(err("a -").kind, QueryErrorKind::DanglingOperator);
    assert_eq!(err("- a").offset, 0);
    assert_eq!(err("(-)").kind, QueryErrorKind::DanglingOperator);
}

#[test]
fn columns_count_characters_not_bytes() {
    // "café OR" is 8 bytes and 7 characters; the fault is at the end.
    let e = err("café OR");
    assert_eq!(e.offset, 8);
    assert_eq!(e.to_string(), "expected a term after OR at column 8");
}

#[test]
fn unbalanced_parentheses() {
    let e = err("(refund");
    assert_eq!((e.kind, e.offset), (QueryErrorKind::UnbalancedParens, 0));
    assert_eq!(e.to_string(), "unclosed ( at column 1");
    let e = err("refund)");
    assert_eq!((e.kind, e.offset), (QueryErrorKind::UnbalancedParens, 6));
    assert_eq!(e.to_string(), "unmatched ) at column 7");
    assert_eq!(err("a ((b) c").offset, 2);
    assert_eq!(err(")").kind, QueryErrorKind::UnbalancedParens);
}

#[test]
fn bad_near() {
    for q in [
        "a NEAR/0 b",
        "a NEAR/x b",
        "a NEAR/51 b",
        "a NEAR/99999999999 b",
        "a NEAR/ b",
    ] {
        let e = err(q);
        assert_eq!(
            (e.kind, e.offset),
            (QueryErrorKind::BadNearDistance, 7),
            "{q}"
        );
    }
    let e = err("a NEAR b");
    assert_eq!((e.kind, e.offset), (QueryErrorKind::BadNearDistance, 2));
    assert_eq!(e.message, "NEAR needs a distance, such as NEAR/3");
    let e = err("a NEAR/2 (b OR c)");
    assert_eq!((e.kind, e.offset), (QueryErrorKind::BadNear, 2));
    assert_eq!(e.message, "NEAR/2 must join two words or phrases");
    assert_eq!(err("a NEAR/2 -b").kind, QueryErrorKind::BadNear);
    assert_eq!(err("author:x NEAR/2 b").kind, QueryErrorKind::BadNear);
    let e = err("a NEAR/2 b NEAR/2 c");
    assert_eq!((e.kind, e.offset), (QueryErrorKind::BadNear, 11));
    // Upper-case words that merely start with NEAR are ordinary words.
    assert_eq!(canonical("NEARBY"), "nearby");
}

#[test]
fn filters() {
    let e = err("site:example.com refund");
    assert_eq!((e.kind, e.offset), (QueryErrorKind::UnknownFilter, 0));
    assert_eq!(
        e.to_string(),
        "unknown filter site:; use author: or lang: at column 1"
    );
    assert_eq!(err("x from:bob").offset, 2);
    let e = err("author:");
    assert_eq!((e.kind, e.offset), (QueryErrorKind::BadFilterValue, 7));
    assert_eq!(err("author:@@").kind, QueryErrorKind::BadFilterValue);
    assert_eq!(err("lang:english").kind, QueryErrorKind::BadFilterValue);
    assert_eq!(err("lang:e1").kind, QueryErrorKind::BadFilterValue);
    assert_eq!(err("lang:").kind, QueryErrorKind::BadFilterValue);
    // Numbers and URLs with colons are words, not filters.
    assert_eq!(canonical("10:30"), "10:30");
}

#[test]
fn unterminated_quotes_and_empty_terms() {
    let e = err("\"money back");
    assert_eq!((e.kind, e.offset), (QueryErrorKind::UnterminatedQuote, 0));
    assert_eq!(
        err("refund \"money").to_string(),
        "unterminated quote at column 8"
    );
    assert_eq!(err("\"\"").kind, QueryErrorKind::EmptyTerm);
    assert_eq!(err("\"  \"").kind, QueryErrorKind::EmptyTerm);
    assert_eq!(err("a \"\u{200F}\"").offset, 2);
    assert_eq!(err("\u{200B}").kind, QueryErrorKind::EmptyTerm);
}

#[test]
fn only_negative_queries_are_refused() {
    for q in [
        "NOT spam",
        "-spam",
        "-spam -scam",
        "refund OR -spam",
        "(NOT a) OR (NOT b)",
    ] {
        let e = err(q);
        assert_eq!((e.kind, e.offset), (QueryErrorKind::OnlyNegative, 0), "{q}");
    }
    assert!(parse("refund -spam").is_ok());
    assert!(parse("NOT spam refund").is_ok());
    assert!(parse("x (a OR -b)").is_ok());
}

#[test]
fn size_caps() {
    let e = err(&"a ".repeat(1001));
    assert_eq!((e.kind, e.offset), (QueryErrorKind::TooLong, 2000));
    assert_eq!(e.message, "query is 2002 bytes long; the limit is 2000");
    let words: Vec<String> = (0..51).map(|i| format!("w{i}")).collect();
    let q = words.join(" ");
    let e = err(&q);
    assert_eq!(e.kind, QueryErrorKind::TooManyTerms);
    assert_eq!(e.offset, q.find("w50").unwrap());
    let deep = format!("{}a{}", "(".repeat(33), ")".repeat(33));
    assert_eq!(err(&deep).kind, QueryErrorKind::TooDeep);
    assert_eq!(
        err(&format!("x {}a", "NOT ".repeat(40))).kind,
        QueryErrorKind::TooDeep
    );
    // A hostile 2000-byte query of parentheses fails cleanly.
    assert_eq!(err(&"(".repeat(2000)).kind, QueryErrorKind::TooDeep);
}

// ----- matching -----

#[test]
fn words_match_whole_words_in_any_case() {
    assert!(matches("refund", "I want a REFUND now"));
    assert!(matches("refund", "Refund."));
    assert!(matches("refund", "#refund please"));
    assert!(!matches("refund", "refunds please"));
    assert!(!matches("refund", ""));
    assert!(matches("e-mail", "send an e-mail"));
    assert!(matches("don't", "I don’t like it"));
    assert!(matches("ΟΔΟΣ", "η οδος"));
}

#[test]
fn phrases_match_adjacent_words_in_order() {
    assert!(matches("\"money back\"", "I want my Money \n back!"));
    assert!(!matches("\"money back\"", "back money"));
    assert!(!matches("\"money back\"", "money is back"));
    assert!(matches("\"OR\"", "this or that"));
}

#[test]
fn boolean_operators() {
    assert!(matches("refund -spam", "refund please"));
    assert!(!matches("refund -spam", "refund spam"));
    assert!(matches("(late OR delayed) parcel", "my parcel is delayed"));
    assert!(!matches("(late OR delayed) parcel", "late train"));
    assert!(matches("cats and dogs", "cats and dogs"));
    assert!(!matches("cats and dogs", "cats or dogs"));
    assert!(matches("a OR b c", "a"));
    assert!(!matches("a b OR c d", "a d"));
}

#[test]
fn near_counts_word_positions_in_either_order() {
    assert!(matches("late NEAR/2 parcel", "parcel was late"));
    assert!(!matches("late NEAR/2 parcel", "late delivery of my parcel"));
    assert!(matches("late NEAR/1 parcel", "parcel late"));
    assert!(!matches("late NEAR/1 parcel", "parcel was late"));
    assert!(matches(
        "\"money back\" NEAR/3 guarantee",
        "guarantee of money back"
    ));
    assert!(!matches("refund NEAR/5 refund", "refund"));
    assert!(matches("refund NEAR/5 refund", "refund now refund"));
    assert!(matches(
        "help NOT late NEAR/1 parcel",
        "help: late for the parcel"
    ));
    assert!(!matches("help NOT late NEAR/1 parcel", "help: late parcel"));
    assert!(matches("🔥 NEAR/1 sale", "sale 🔥"));
}

#[test]
fn filters_match_author_and_language() {
    let q = parse("author:acme help").unwrap();
    let mut p = Post {
        text: "help",
        author: "@ACME",
        lang: None,
    };
    assert!(q.matches(&p));
    p.author = "acme_support";
    assert!(!q.matches(&p));

    let q = parse("lang:pt ajuda").unwrap();
    let mut p = Post {
        text: "preciso de ajuda",
        author: "x",
        lang: Some("pt-BR"),
    };
    assert!(q.matches(&p));
    p.lang = Some("pt");
    assert!(q.matches(&p));
    p.lang = Some("ptx");
    assert!(!q.matches(&p));
    p.lang = None;
    assert!(!q.matches(&p));
    p.lang = Some("pt");
    assert!(!parse("lang:pt-br ajuda").unwrap().matches(&p));
}

#[test]
fn unspaced_scripts_match_substrings() {
    assert!(matches("配送", "配送が遅れています"));
    assert!(!matches("遅延", "配送が遅れています"));
    assert!(matches("サポート", "カスタマーサポートに連絡"));
    assert!(matches("배송", "배송이 늦어요"));
    assert!(matches("ส่งช้า", "ของส่งช้ามาก"));
    assert!(matches("🔥", "this is 🔥🔥"));
}

#[test]
fn hostile_posts() {
    assert!(matches("refund", "re\u{200B}fund"));
    assert!(matches("refund", "\u{202E}refund\u{202C}"));
    assert!(matches("refund", "refund\u{0}now"));
    assert!(matches("\"refund now\"", "refund\u{200F} \u{200F}now"));
    let long = format!("{}refund", "word ".repeat(100_000));
    assert!(matches("refund", &long));
    assert!(matches("word NEAR/1 refund", &long));
    assert!(!matches("spam NEAR/3 refund", &long));
}
