//! Hostile input: truncated bodies, wrong types, huge numbers and missing
//! fields must give errors or `Invalid`/`Skipped` events, never panics.

mod common;

use common::*;
use hearken_connectors::{
    mastodon, parse_mastodon, parse_mastodon_stream, parse_meta, parse_reddit, parse_x,
    parse_x_lines, AccountContext, InboundEvent, ParseError,
};
use serde_json::{json, Value};

type Parser = fn(&[u8], &AccountContext) -> Result<Vec<InboundEvent>, ParseError>;

const PARSERS: &[Parser] = &[
    parse_x,
    parse_meta,
    parse_mastodon,
    parse_reddit,
    parse_mastodon_stream,
];

fn all_parsers(body: &[u8]) {
    let ctx = AccountContext::new("1");
    for p in PARSERS {
        let _ = p(body, &ctx);
    }
    let _ = parse_x_lines(body, &ctx);
}

fn invalid_only(events: &[InboundEvent]) -> bool {
    !events.is_empty()
        && events
            .iter()
            .all(|e| matches!(e, InboundEvent::Invalid { .. }))
}

#[test]
fn truncated_fixtures_never_panic() {
    for rel in all_payload_files() {
        let body = bytes(&rel);
        let step = (body.len() / 40).max(1);
        for cut in (0..body.len()).step_by(step) {
            all_parsers(&body[..cut]);
        }
    }
}

#[test]
fn truncated_json_is_an_error() {
    let body = bytes("meta/facebook_page/restfb/feed-comment-add-25.json");
    let ctx = AccountContext::new("1");
    assert!(matches!(
        parse_meta(&body[..body.len() / 2], &ctx),
        Err(ParseError::Json(_))
    ));
    assert!(matches!(
        parse_x(b"{\"data\": [", &ctx),
        Err(ParseError::Json(_))
    ));
    assert!(parse_reddit(b"", &ctx).is_err());
    assert!(parse_mastodon(b"\xff\xfe", &ctx).is_err());
    assert!(matches!(
        parse_mastodon_stream(b"data: \xff\n\n", &ctx),
        Err(ParseError::Utf8)
    ));
}

/// Replace each value in the tree, one at a time, by a hostile value.
fn mutations(v: &Value) -> Vec<Value> {
    let hostile = [
        json!(null),
        json!(1e300),
        json!(-1),
        json!(18446744073709551615u64),
        json!("x"),
        json!([]),
        json!({}),
        json!(true),
    ];
    let mut paths = Vec::new();
    collect_paths(v, &mut Vec::new(), &mut paths);
    let mut out = Vec::new();
    for path in paths {
        for h in &hostile {
            let mut copy = v.clone();
            if let Some(slot) = pointer_mut(&mut copy, &path) {
                *slot = h.clone();
                out.push(copy);
            }
        }
    }
    out
}

fn collect_paths(v: &Value, cur: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(cur.clone());
    match v {
        Value::Object(o) => o.iter().for_each(|(k, c)| {
            cur.push(k.clone());
            collect_paths(c, cur, out);
            cur.pop();
        }),
        Value::Array(a) => a.iter().enumerate().for_each(|(i, c)| {
            cur.push(i.to_string());
            collect_paths(c, cur, out);
            cur.pop();
        }),
        _ => {}
    }
}

fn pointer_mut<'a>(v: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
    path.iter().try_fold(v, |node, key| match node {
        Value::Object(o) => o.get_mut(key),
        Value::Array(a) => a.get_mut(key.parse::<usize>().ok()?),
        _ => None,
    })
}

#[test]
fn wrong_types_and_huge_numbers_never_panic() {
    let mut parsed = 0;
    for rel in all_payload_files() {
        let body = bytes(&rel);
        if body.len() > 6_000 || !rel.ends_with(".json") {
            continue;
        }
        let Ok(v) =
            serde_json::from_slice::<Value>(body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&body))
        else {
            continue;
        };
        for m in mutations(&v) {
            all_parsers(&serde_json::to_vec(&m).unwrap());
            parsed += 1;
        }
    }
    assert!(parsed > 10_000, "mutation test ran {parsed} cases");
}

#[test]
fn missing_fields_become_invalid_entries_and_the_rest_continue() {
    let ctx = AccountContext::new("p");
    let body = json!({"object": "page", "entry": [
        {"id": "p", "time": 1, "messaging": [{"sender": {"id": "u"}, "timestamp": 1457764197627u64, "message": {"text": "no mid"}}]},
        {"id": "p", "time": 1, "messaging": [{"sender": {"id": "u"}, "timestamp": 1457764197627u64, "message": {"mid": "m1", "text": "ok"}}]},
        "not an object"
    ]});
    let events = parse_meta(&serde_json::to_vec(&body).unwrap(), &ctx).unwrap();
    assert_eq!(events.len(), 3);
    assert!(matches!(&events[0], InboundEvent::Invalid { reason } if reason.contains("mid")));
    assert!(matches!(&events[1], InboundEvent::Message(m) if m.platform_id == "m1"));
    assert!(matches!(events[2], InboundEvent::Invalid { .. }));
}

#[test]
fn huge_and_fractional_ids_or_times_are_rejected() {
    let ctx = AccountContext::new("1");
    let tweet = br#"{"data": {"id": 1.5e300, "text": "hi", "author_id": "2"}}"#;
    assert!(invalid_only(&parse_x(tweet, &ctx).unwrap()));
    let reddit =
        br#"{"kind": "t1", "data": {"id": "a", "body": "b", "author": "c", "created_utc": 1e300}}"#;
    assert!(invalid_only(&parse_reddit(reddit, &ctx).unwrap()));
    let meta = br#"{"object":"page","entry":[{"id":"1","messaging":[{"sender":{"id":"u"},"timestamp":-5,"message":{"mid":"m","text":"t"}}]}]}"#;
    assert!(invalid_only(&parse_meta(meta, &ctx).unwrap()));
    assert!(parse_x(b"1e400", &ctx).is_err());
}

#[test]
fn wrong_top_level_shapes() {
    let ctx = AccountContext::new("1");
    assert!(matches!(parse_meta(b"[]", &ctx), Err(ParseError::Shape(_))));
    assert!(matches!(
        parse_meta(br#"{"entry": 5}"#, &ctx),
        Err(ParseError::Shape(_))
    ));
    assert!(matches!(
        parse_mastodon(b"42", &ctx),
        Err(ParseError::Shape(_))
    ));
    assert!(matches!(
        parse_reddit(b"\"x\"", &ctx),
        Err(ParseError::Shape(_))
    ));
    assert!(invalid_only(&parse_x(b"true", &ctx).unwrap()));
}

#[test]
fn deep_reddit_nesting_is_bounded() {
    let mut v = json!({"kind": "t1", "data": {"id": "z", "body": "b", "author": "a", "created_utc": 1.0, "replies": ""}});
    for i in 0..100 {
        v = json!({"kind": "Listing", "data": {"children": [{"kind": "t1", "data": {"id": format!("c{i}"), "body": "b", "author": "a", "created_utc": 1.0, "replies": v}}]}});
    }
    // serde_json's own recursion limit may reject this first; either way: no panic.
    let _ = parse_reddit(&serde_json::to_vec(&v).unwrap(), &AccountContext::default());
}

#[test]
fn bad_stream_frames() {
    let ctx = AccountContext::default();
    let events = mastodon::parse_stream_event("update", "{not json", &ctx);
    assert!(invalid_only(&events));
    let events = mastodon::parse_stream_event("delete", "", &ctx);
    assert!(invalid_only(&events));
    let events = mastodon::parse_stream_event("filters_changed", "", &ctx);
    assert!(matches!(&events[..], [InboundEvent::Skipped { .. }]));
}
