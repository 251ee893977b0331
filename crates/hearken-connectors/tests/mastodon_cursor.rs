//! The `min_id` polling cursor never skips or repeats items.

use hearken_connectors::mastodon::{id_cmp, poll_since, Page, Pager};
use serde_json::{json, Value};

/// Stand-in server holding statuses with the given ids, behaving like
/// Mastodon's `min_id`: the `limit` items immediately newer than `min_id`,
/// returned newest first.
struct StandIn {
    ids: Vec<u64>,
    calls: usize,
}

impl Pager for StandIn {
    fn page(&mut self, min_id: Option<&str>, limit: usize) -> Page {
        self.calls += 1;
        let min: u64 = min_id.map_or(0, |m| m.parse().unwrap());
        let mut newer: Vec<u64> = self.ids.iter().copied().filter(|i| *i > min).collect();
        newer.sort();
        if min_id.is_none() {
            newer = newer.split_off(newer.len().saturating_sub(limit));
        }
        newer.truncate(limit);
        let next_min_id = newer.last().map(u64::to_string);
        newer.reverse();
        Page {
            items: newer.iter().map(|i| json!({"id": i.to_string()})).collect(),
            next_min_id,
        }
    }
}

fn ids(items: &[Value]) -> Vec<&str> {
    items.iter().map(|v| v["id"].as_str().unwrap()).collect()
}

#[test]
fn walks_forward_without_skipping() {
    let mut server = StandIn {
        ids: (101..=106).collect(),
        calls: 0,
    };
    let poll = poll_since(&mut server, Some("103"), 2);
    assert_eq!(ids(&poll.items), ["104", "105", "106"]);
    assert_eq!(poll.cursor.as_deref(), Some("106"));
    let again = poll_since(&mut server, poll.cursor.as_deref(), 2);
    assert!(again.items.is_empty());
    assert_eq!(again.cursor.as_deref(), Some("106"));
}

#[test]
fn new_items_after_a_poll_are_picked_up_once() {
    let mut server = StandIn {
        ids: (101..=106).collect(),
        calls: 0,
    };
    let first = poll_since(&mut server, Some("103"), 2);
    server.ids.extend([107, 108, 109, 110, 111]);
    let second = poll_since(&mut server, first.cursor.as_deref(), 2);
    assert_eq!(ids(&second.items), ["107", "108", "109", "110", "111"]);
}

#[test]
fn no_cursor_takes_newest_page_only() {
    let mut server = StandIn {
        ids: (101..=106).collect(),
        calls: 0,
    };
    let poll = poll_since(&mut server, None, 2);
    assert_eq!(ids(&poll.items), ["105", "106"]);
    assert_eq!(server.calls, 1);
}

#[test]
fn ids_compare_numerically() {
    assert!(id_cmp("99", "100").is_lt());
    assert!(id_cmp("117020583258292382", "117020583245459824").is_gt());
    assert!(id_cmp("5", "5").is_eq());
}

/// A server that ignores `min_id` must not make the walker loop forever.
struct Broken;
impl Pager for Broken {
    fn page(&mut self, _: Option<&str>, _: usize) -> Page {
        Page {
            items: vec![json!({"id": "5"}), json!({"nope": 1})],
            next_min_id: Some("5".into()),
        }
    }
}

#[test]
fn misbehaving_pager_terminates() {
    let poll = poll_since(&mut Broken, Some("1"), 2);
    assert_eq!(ids(&poll.items), ["5"]);
}
