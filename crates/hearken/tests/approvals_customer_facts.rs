//! What the approvals gate knows about the customer and the conversation (issue #4): the
//! follower count the platform gave in a real payload, and the conversation's locale, which
//! chooses the style guide. Driven through webhooks and the API on both backends; expected
//! values are read from the fixtures or the test's own input, not from the code under test.

mod channels_support;
mod common;

use axum::http::StatusCode;
use channels_support::*;
use common::{TestApp, TestUser};
use hearken::channels::runtime::process_all;
use hearken::domain::channel::{Channel, Visibility};
use hearken::domain::message::{AuthorRef, Direction, IncomingMessage};
use hearken::domain::time::now_millis;
use hearken::domain::Actor;
use hearken::storage::InboxFilter;
use serde_json::{json, Value};

const BRAND: &str = "2975699229";

/// One line of a twarc (X API v2) fixture, with its tweet's author and the author's
/// follower count and the tweet's time, read straight from the JSON.
struct V2Line {
    body: Vec<u8>,
    tweet_id: String,
    author_id: String,
    followers: i64,
    created_at: jiff::Timestamp,
}

fn v2_line(rel: &str, tweet_id: &str) -> V2Line {
    let text = String::from_utf8(payload(rel)).unwrap();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).unwrap();
        let tweets = match &v["data"] {
            Value::Array(list) => list.clone(),
            one => vec![one.clone()],
        };
        let Some(tweet) = tweets.into_iter().find(|t| t["id"] == tweet_id) else {
            continue;
        };
        let author_id = tweet["author_id"].as_str().unwrap().to_owned();
        let user = v["includes"]["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["id"] == author_id.as_str())
            .unwrap();
        return V2Line {
            body: line.as_bytes().to_vec(),
            tweet_id: tweet_id.to_owned(),
            author_id,
            followers: user["public_metrics"]["followers_count"].as_i64().unwrap(),
            created_at: tweet["created_at"].as_str().unwrap().parse().unwrap(),
        };
    }
    panic!("{tweet_id} not in {rel}");
}

/// The conversation holding the message with this platform id.
async fn conversation_of(app: &TestApp, platform_id: &str) -> Value {
    let rows = app
        .store()
        .inbox(app.ws, &InboxFilter::default(), 100)
        .await
        .unwrap();
    for c in rows {
        let msgs = app
            .store()
            .conversation_messages(app.ws, c.id)
            .await
            .unwrap();
        if msgs.iter().any(|m| m.platform_id == platform_id) {
            return json!({ "id": c.id, "identity_id": c.identity_id });
        }
    }
    panic!("no conversation holds {platform_id}");
}

async fn put(app: &TestApp, token: &str, path: &str, body: Value) {
    let (status, out) = app.api(token, "PUT", path, Some(body)).await;
    assert_eq!(status, StatusCode::OK, "PUT {path}: {out}");
}

async fn reply(app: &TestApp, who: &TestUser, conv: i64, body: Value) -> (StatusCode, Value) {
    app.api(
        &who.token,
        "POST",
        &format!("/api/v1/conversations/{conv}/replies"),
        Some(body),
    )
    .await
}

/// Routing where replies to customers with at least `min` followers wait on `review`;
/// risk counts only follower orders, `per_order` points each.
fn follower_rule(min: i64, per_order: i64) -> Value {
    json!({
        "rules": [ { "id": "big-audience",
                     "conditions": [ { "if": "followers_at_least", "value": min } ],
                     "path_id": "review" } ],
        "trainee_path": null,
        "risk": { "public": 0, "vip": 0, "per_follower_order": per_order, "per_risky_term": 0,
                  "uncertified": 0, "per_priority_rank": 0 }
    })
}

/// Orders of magnitude from 1,000 up, as the product's risk score is documented:
/// max(0, number of decimal digits − 3).
fn follower_orders(n: i64) -> i64 {
    (n.to_string().len() as i64 - 3).max(0)
}

#[tokio::test]
async fn a_follower_rule_holds_replies_to_a_customer_whose_payload_shows_a_big_audience() {
    let app = app().await;
    let admin = app.user("admin").await;
    let manager = app.user("manager").await;
    let _approver = app.user("approver").await;
    let account = connect(&app, &admin, "x", "acme-x", BRAND, None).await;

    // A real X API v2 tweet whose author object carries public_metrics.followers_count.
    let tweet = v2_line(
        "x/api_v2/twarc_csv_test_data/media_tweet.jsonl",
        "1558553189766631429",
    );
    assert!(
        tweet.followers >= 1000,
        "the fixture's author has a big audience"
    );
    assert_eq!(post(&app, "x", account, &tweet.body).await, StatusCode::OK);
    process_all(app.store()).await.unwrap();
    let conv = conversation_of(&app, &tweet.tweet_id).await;
    let conv_id = conv["id"].as_i64().unwrap();
    let identity = conv["identity_id"].as_i64().expect("customer identity");
    assert_eq!(
        app.store()
            .identity_followers(app.ws, identity)
            .await
            .unwrap(),
        Some(tweet.followers)
    );

    put(
        &app,
        &manager.token,
        "/api/v1/approval-paths/review",
        json!({ "id": "", "name": "Review", "steps": [ { "branches": [ {
            "name": "Review", "group": { "roles": ["approver"] }, "quorum": "any",
            "on_deadline": "expire" } ] } ] }),
    )
    .await;

    // Threshold exactly at the customer's count: held, with the reason and the risk.
    let per_order = 7;
    put(
        &app,
        &manager.token,
        "/api/v1/routing",
        follower_rule(tweet.followers, per_order),
    )
    .await;
    let (status, draft) = reply(&app, &manager, conv_id, json!({ "text": "Thanks, on it." })).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{draft}");
    assert_eq!(draft["status"], "pending");
    assert_eq!(draft["rule_id"], "big-audience");
    let reasons = draft["reasons"].to_string();
    assert!(reasons.contains(&tweet.followers.to_string()), "{reasons}");
    assert_eq!(
        draft["risk"].as_i64().unwrap(),
        per_order * follower_orders(tweet.followers)
    );

    // One above the count: the rule does not match and the reply goes out at once.
    put(
        &app,
        &manager.token,
        "/api/v1/routing",
        follower_rule(tweet.followers + 1, per_order),
    )
    .await;
    let (status, sent) = reply(&app, &manager, conv_id, json!({ "text": "Sent now." })).await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
}

#[tokio::test]
async fn the_newest_item_sets_the_follower_count_whatever_the_arrival_order() {
    let app = app().await;
    let admin = app.user("admin").await;
    let account = connect(&app, &admin, "x", "acme-x", BRAND, None).await;

    // The same X user in two real payloads, months apart, with different counts.
    let newer = v2_line(
        "x/api_v2/twarc_csv_test_data/media_tweet.jsonl",
        "1558553189766631429",
    );
    let older = v2_line(
        "x/api_v2/twarc_csv_test_data/geo_tweets.jsonl",
        "1501963039859363843",
    );
    assert_eq!(newer.author_id, older.author_id);
    assert!(older.created_at < newer.created_at);
    assert_ne!(older.followers, newer.followers);

    // The newer tweet arrives first, the older one late (a retry, a backfill).
    assert_eq!(post(&app, "x", account, &newer.body).await, StatusCode::OK);
    process_all(app.store()).await.unwrap();
    assert_eq!(post(&app, "x", account, &older.body).await, StatusCode::OK);
    process_all(app.store()).await.unwrap();
    let identity = conversation_of(&app, &older.tweet_id).await["identity_id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        app.store()
            .identity_followers(app.ws, identity)
            .await
            .unwrap(),
        Some(newer.followers),
        "a late older item does not replace the newer count"
    );

    // An Account Activity DM (webhook shape, users map) carries its sender's count too.
    let rel = "x/account_activity/zammad/direct_message-incoming.json";
    let body = payload(rel);
    let v: Value = serde_json::from_slice(&body).unwrap();
    let event = &v["direct_message_events"][0];
    let sender = event["message_create"]["sender_id"].as_str().unwrap();
    let expected = v["users"][sender]["followers_count"].as_i64().unwrap();
    assert_eq!(post(&app, "x", account, &body).await, StatusCode::OK);
    process_all(app.store()).await.unwrap();
    let dm = conversation_of(&app, event["id"].as_str().unwrap()).await;
    assert_eq!(
        app.store()
            .identity_followers(app.ws, dm["identity_id"].as_i64().unwrap())
            .await
            .unwrap(),
        Some(expected)
    );
}

/// A customer message on the sandbox channel; returns its conversation.
async fn customer_says(app: &TestApp, pid: &str, text: &str) -> i64 {
    let msg = IncomingMessage {
        channel: Channel::Sandbox,
        account: "acme".into(),
        platform_id: pid.into(),
        direction: Direction::In,
        visibility: Visibility::Public,
        reply_to: None,
        customer: Some(AuthorRef {
            platform_user_id: format!("cust-{pid}"),
            handle: format!("cust_{pid}"),
            display_name: None,
        }),
        text: text.into(),
        platform_time: now_millis(),
        conversation_key: None,
        conversation_attrs: None,
        earlier_versions: Vec::new(),
        deleted_at: None,
    };
    let report = app
        .store()
        .ingest(app.ws, &Actor::System("test"), &[msg])
        .await
        .unwrap();
    report.touched_conversations[0]
}

async fn set_locale(app: &TestApp, who: &TestUser, conv: i64, locale: &str) -> (StatusCode, Value) {
    app.api(
        &who.token,
        "PATCH",
        &format!("/api/v1/conversations/{conv}"),
        Some(json!({ "locale": locale })),
    )
    .await
}

#[tokio::test]
async fn the_conversation_locale_chooses_the_style_guide() {
    let app = TestApp::new().await;
    let manager = app.user("manager").await;
    let agent = app.user("agent").await;
    // English is the default and allows "ok"; the Spanish guide does not.
    put(
        &app,
        &manager.token,
        "/api/v1/style-guides/en",
        json!({ "default": true, "rules": [
            { "id": "en-no-asap", "severity": "blocking", "kind": "banned_phrase", "phrase": "ASAP" } ] }),
    )
    .await;
    put(
        &app,
        &manager.token,
        "/api/v1/style-guides/es",
        json!({ "rules": [
            { "id": "es-no-ok", "severity": "blocking", "kind": "banned_phrase", "phrase": "ok",
              "suggestion": "de acuerdo" } ] }),
    )
    .await;
    let conv = customer_says(&app, "loc1", "¿Dónde está mi pedido?").await;
    let text = "Lo revisamos hoy, ok";

    // No locale: the default (English) guide, which lets it through.
    let (status, out) = reply(&app, &agent, conv, json!({ "text": text })).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");

    // The conversation is set to Spanish (in any case, as typed): stored canonical.
    let (status, view) = set_locale(&app, &agent, conv, "ES").await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["locale"], "es");
    let (_, got) = app
        .api(
            &agent.token,
            "GET",
            &format!("/api/v1/conversations/{conv}"),
            None,
        )
        .await;
    assert_eq!(got["conversation"]["locale"], "es");

    // Now the same reply is checked against the Spanish guide, without naming it.
    let (status, out) = reply(&app, &agent, conv, json!({ "text": text })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(out["error"]["code"], "style_violations");
    let v = &out["error"]["violations"][0];
    assert_eq!(v["rule_id"], "es-no-ok");
    let start = text.find("ok").unwrap();
    assert_eq!(v["span"], json!([start, start + 2]));

    // Naming another locale in the request does not dodge the conversation's guide, and a
    // request locale that is not a language tag is refused.
    let (status, out) = reply(&app, &agent, conv, json!({ "text": text, "locale": "en" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(out["error"]["violations"][0]["rule_id"], "es-no-ok");
    let bad = json!({ "text": "fine", "locale": "<script>" });
    let (status, out) = reply(&app, &agent, conv, bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");

    // A regional tag falls back to its language's guide.
    let (status, view) = set_locale(&app, &agent, conv, "es_mx").await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["locale"], "es-MX");
    let (status, _) = reply(&app, &agent, conv, json!({ "text": text })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Not a language tag: refused, and the locale stays.
    for bad in ["spanish!", "e", "es--MX", "es-<b>"] {
        let (status, out) = set_locale(&app, &agent, conv, bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {out}");
    }
    let (_, got) = app
        .api(
            &agent.token,
            "GET",
            &format!("/api/v1/conversations/{conv}"),
            None,
        )
        .await;
    assert_eq!(got["conversation"]["locale"], "es-MX");

    // Empty clears it: back to the default guide.
    let (status, view) = set_locale(&app, &agent, conv, "").await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["locale"], Value::Null);
    let (status, out) = reply(&app, &agent, conv, json!({ "text": text })).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
}
