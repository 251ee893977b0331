//! Issue #6, outbound: replies leave through the right door of each platform's real send
//! API (a local stand-in server), are refused before sending when too long as the platform
//! counts, and are retried on 429 and 5xx but not on other 4xx.

mod common;
mod support;

use hearken::domain::channel::{Channel, Visibility};
use serde_json::json;
use support::channels::{app_with_clients, conversation_with, inbound, StandIn};

async fn reply(
    app: &common::TestApp,
    token: &str,
    conv: i64,
    text: &str,
) -> (u16, serde_json::Value) {
    let (status, body) = app
        .api(
            token,
            "POST",
            &format!("/api/v1/conversations/{conv}/replies"),
            Some(json!({ "text": text })),
        )
        .await;
    (status.as_u16(), body)
}

#[tokio::test]
async fn a_dm_answered_from_the_inbox_goes_to_the_x_dm_endpoint() {
    let stand_in = StandIn::start().await;
    let (app, _) = app_with_clients(&stand_in).await;
    let agent = app.user("agent").await;
    let conv = conversation_with(
        &app,
        inbound(Channel::X, "dm-1", Visibility::Private, "my bag is lost"),
    )
    .await;

    let (status, body) = reply(&app, &agent.token, conv, "Sorry to hear that, we are on it").await;

    assert_eq!(status, 201, "{body}");
    let seen = stand_in.seen();
    assert_eq!(seen.len(), 1);
    // X addresses DMs by the customer's user id, never by handle, and never publicly.
    assert_eq!(seen[0].path, "/2/dm_conversations/with/u-4242/messages");
    assert_eq!(
        seen[0].json(),
        json!({ "text": "Sorry to hear that, we are on it" })
    );
    assert_eq!(
        seen[0].header("authorization").as_deref(),
        Some("Bearer token-x")
    );
    // The stand-in numbers its answers; this was its first request.
    assert_eq!(body["platform_id"], "1810000000000000001");
    assert_eq!(body["visibility"], "private");
}

#[tokio::test]
async fn a_public_x_mention_is_answered_in_the_thread() {
    let stand_in = StandIn::start().await;
    let (app, _) = app_with_clients(&stand_in).await;
    let agent = app.user("agent").await;
    let conv = conversation_with(
        &app,
        inbound(Channel::X, "1799", Visibility::Public, "@acme hello"),
    )
    .await;

    let (status, _) = reply(&app, &agent.token, conv, "Hello!").await;

    assert_eq!(status, 201);
    let seen = stand_in.seen();
    assert_eq!(seen[0].path, "/2/tweets");
    assert_eq!(
        seen[0].json(),
        json!({ "text": "Hello!", "reply": { "in_reply_to_tweet_id": "1799" } })
    );
}

#[tokio::test]
async fn an_over_long_x_reply_is_refused_with_its_weighted_length() {
    let stand_in = StandIn::start().await;
    let (app, _) = app_with_clients(&stand_in).await;
    let agent = app.user("agent").await;
    let conv = conversation_with(
        &app,
        inbound(Channel::X, "1800", Visibility::Public, "@acme hi"),
    )
    .await;

    // 141 emoji at weight 2 each: 282 by X's rule, though only 141 characters.
    let (status, body) = reply(&app, &agent.token, conv, &"😊".repeat(141)).await;

    assert_eq!(status, 422);
    assert_eq!(
        body["error"]["message"],
        "reply is 282 long as X counts it; the limit is 280"
    );
    assert!(stand_in.seen().is_empty(), "nothing may reach the platform");
    // 140 of them weigh exactly 280, which fits.
    let (status, _) = reply(&app, &agent.token, conv, &"😊".repeat(140)).await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn meta_surfaces_use_their_own_doors() {
    let stand_in = StandIn::start().await;
    let (app, _) = app_with_clients(&stand_in).await;
    let agent = app.user("agent").await;
    let fb = conversation_with(
        &app,
        inbound(Channel::Facebook, "111_222", Visibility::Public, "hi page"),
    )
    .await;
    let ms = conversation_with(
        &app,
        inbound(Channel::Messenger, "m_abc", Visibility::Private, "hi dm"),
    )
    .await;
    let ig = conversation_with(
        &app,
        inbound(Channel::Instagram, "17890", Visibility::Public, "nice"),
    )
    .await;

    for conv in [fb, ms, ig] {
        let (status, body) = reply(&app, &agent.token, conv, "Thanks!").await;
        assert_eq!(status, 201, "{body}");
    }

    let seen = stand_in.seen();
    assert_eq!(seen[0].path, "/111_222/comments");
    assert_eq!(seen[0].json(), json!({ "message": "Thanks!" }));
    assert_eq!(seen[1].path, "/me/messages");
    assert_eq!(
        seen[1].json(),
        json!({ "recipient": { "id": "u-4242" }, "messaging_type": "RESPONSE", "message": { "text": "Thanks!" } })
    );
    assert_eq!(seen[2].path, "/17890/replies");
}

#[tokio::test]
async fn mastodon_replies_carry_visibility_and_an_idempotency_key() {
    let stand_in = StandIn::start().await;
    let (app, _) = app_with_clients(&stand_in).await;
    let agent = app.user("agent").await;
    let public = conversation_with(
        &app,
        inbound(Channel::Mastodon, "109", Visibility::Public, "@acme hi"),
    )
    .await;
    let direct = conversation_with(
        &app,
        inbound(Channel::Mastodon, "110", Visibility::Private, "psst"),
    )
    .await;

    assert_eq!(reply(&app, &agent.token, public, "Hi there").await.0, 201);
    assert_eq!(
        reply(&app, &agent.token, direct, "Looking into it").await.0,
        201
    );

    let seen = stand_in.seen();
    assert_eq!(seen[0].path, "/api/v1/statuses");
    assert_eq!(seen[0].json()["in_reply_to_id"], "109");
    assert_eq!(seen[0].json()["visibility"], "public");
    assert_eq!(seen[1].json()["visibility"], "direct");
    assert_eq!(seen[1].json()["status"], "@ann Looking into it");
    assert_eq!(seen[1].json()["in_reply_to_id"], "110");
    let key = seen[0].header("idempotency-key").expect("idempotency key");
    assert_eq!(key.len(), 32);
    assert_ne!(Some(key), seen[1].header("idempotency-key"));
}

#[tokio::test]
async fn reddit_replies_name_the_parent_by_fullname() {
    let stand_in = StandIn::start().await;
    let (app, _) = app_with_clients(&stand_in).await;
    let agent = app.user("agent").await;
    let comment = conversation_with(
        &app,
        inbound(Channel::Reddit, "c0ffee", Visibility::Public, "u/acme help"),
    )
    .await;
    let message = conversation_with(
        &app,
        inbound(Channel::Reddit, "m0ffee", Visibility::Private, "pm"),
    )
    .await;

    assert_eq!(reply(&app, &agent.token, comment, "On it").await.0, 201);
    assert_eq!(reply(&app, &agent.token, message, "On it").await.0, 201);

    let seen = stand_in.seen();
    assert_eq!(seen[0].path, "/api/comment");
    let form = seen[0].form();
    assert!(
        form.contains(&("thing_id".into(), "t1_c0ffee".into())),
        "{form:?}"
    );
    assert!(form.contains(&("api_type".into(), "json".into())));
    assert!(seen[1]
        .form()
        .contains(&("thing_id".into(), "t4_m0ffee".into())));
}

#[tokio::test]
async fn a_429_waits_as_told_and_a_5xx_backs_off_then_succeeds() {
    let stand_in = StandIn::start().await;
    let (app, pause) = app_with_clients(&stand_in).await;
    let agent = app.user("agent").await;
    let conv = conversation_with(
        &app,
        inbound(Channel::X, "1801", Visibility::Public, "@acme ?"),
    )
    .await;
    stand_in.script(vec![
        (
            429,
            vec![("retry-after", "7".into())],
            json!({"title": "Too Many Requests"}),
        ),
        (503, vec![], json!({"title": "Service Unavailable"})),
    ]);

    let (status, body) = reply(&app, &agent.token, conv, "Answer").await;

    assert_eq!(status, 201, "{body}");
    assert_eq!(stand_in.seen().len(), 3, "429, 503, then success");
    // Waited the 7 s X asked for, then the second backoff step (100 ms doubled).
    let waits = pause.waits.lock().unwrap().clone();
    assert_eq!(
        waits,
        vec![
            std::time::Duration::from_secs(7),
            std::time::Duration::from_millis(200)
        ]
    );
}

#[tokio::test]
async fn retries_stop_after_the_last_attempt() {
    let stand_in = StandIn::start().await;
    let (app, _) = app_with_clients(&stand_in).await;
    let agent = app.user("agent").await;
    let conv = conversation_with(
        &app,
        inbound(Channel::Mastodon, "120", Visibility::Public, "@acme ?"),
    )
    .await;
    let down = || (502, vec![], json!({"error": "bad gateway"}));
    stand_in.script(vec![down(), down(), down(), down()]);

    let (status, body) = reply(&app, &agent.token, conv, "Answer").await;

    assert_eq!(status, 502, "{body}");
    assert_eq!(stand_in.seen().len(), 3, "three attempts in all");
    let keys: Vec<_> = stand_in
        .seen()
        .iter()
        .map(|s| s.header("idempotency-key"))
        .collect();
    assert!(
        keys.iter().all(|k| k == &keys[0]),
        "every retry carries the same key"
    );
}

#[tokio::test]
async fn a_4xx_refusal_is_not_retried_and_says_why() {
    let stand_in = StandIn::start().await;
    let (app, pause) = app_with_clients(&stand_in).await;
    let agent = app.user("agent").await;
    let conv = conversation_with(
        &app,
        inbound(Channel::X, "1802", Visibility::Public, "@acme ?"),
    )
    .await;
    stand_in.script(vec![(
        403,
        vec![],
        json!({"title": "Forbidden", "detail": "You are not allowed to create a Tweet with duplicate content.", "status": 403}),
    )]);

    let (status, body) = reply(&app, &agent.token, conv, "Same again").await;

    assert_eq!(status, 422);
    assert_eq!(
        body["error"]["message"],
        "X: You are not allowed to create a Tweet with duplicate content."
    );
    assert_eq!(stand_in.seen().len(), 1);
    assert!(pause.waits.lock().unwrap().is_empty());
}

#[tokio::test]
async fn meta_throttling_codes_are_retried_and_a_long_rate_limit_is_not_waited_out() {
    let stand_in = StandIn::start().await;
    let (app, pause) = app_with_clients(&stand_in).await;
    let agent = app.user("agent").await;
    let fb = conversation_with(
        &app,
        inbound(Channel::Facebook, "9_1", Visibility::Public, "hi"),
    )
    .await;
    let x = conversation_with(
        &app,
        inbound(Channel::X, "1803", Visibility::Public, "@acme ?"),
    )
    .await;
    // Graph answers throttling with 400 and code 32 (page rate limit).
    stand_in.script(vec![(400, vec![], json!({"error": {"message": "Page request limit reached", "type": "OAuthException", "code": 32}}))]);
    assert_eq!(reply(&app, &agent.token, fb, "Thanks").await.0, 201);
    assert_eq!(stand_in.seen().len(), 2);

    // X says the window resets in an hour: longer than the 30 s we accept to wait.
    let reset = jiff::Timestamp::now().as_second() + 3600;
    stand_in.script(vec![(
        429,
        vec![("x-rate-limit-reset", reset.to_string())],
        json!({"title": "Too Many Requests"}),
    )]);
    let (status, body) = reply(&app, &agent.token, x, "Answer").await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(stand_in.seen().len(), 3, "no second try within the hour");
    assert_eq!(
        pause.waits.lock().unwrap().len(),
        1,
        "only the Graph backoff was waited"
    );
}
