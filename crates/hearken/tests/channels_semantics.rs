//! Exactly once, echoes, edits, deletions, order and text fidelity (issue #6), through
//! signed webhooks and the worker, on whichever backend the harness picks.

mod channels_support;
mod common;

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use channels_support::*;
use common::TestApp;
use hearken::channels::reconcile::reconcile_mastodon;
use hearken::channels::runtime::process_all;
use serde_json::{json, Value};

const PAGE: &str = "PAGE1";
const OUR_APP: &str = "111222333";
const T0: i64 = 1_764_000_000_000;

fn envelope(events: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "object": "page",
        "entry": [{ "id": PAGE, "time": T0, "messaging": events }],
    }))
    .unwrap()
}

fn customer_message(customer: &str, mid: &str, text: &str, at: i64) -> Value {
    json!({
        "sender": { "id": customer }, "recipient": { "id": PAGE }, "timestamp": at,
        "message": { "mid": mid, "text": text },
    })
}

fn echo(customer: &str, mid: &str, app_id: Option<&str>, text: &str, at: i64) -> Value {
    let mut message = json!({ "is_echo": true, "mid": mid, "text": text });
    if let Some(a) = app_id {
        message["app_id"] = json!(a.parse::<i64>().unwrap());
    }
    json!({
        "sender": { "id": PAGE }, "recipient": { "id": customer }, "timestamp": at,
        "message": message,
    })
}

fn edit(customer: &str, mid: &str, text: &str, at: i64) -> Value {
    json!({
        "sender": { "id": customer }, "recipient": { "id": PAGE }, "timestamp": at,
        "message_edit": { "mid": mid, "text": text, "num_edit": 1 },
    })
}

fn unsend(customer: &str, mid: &str, at: i64) -> Value {
    json!({
        "sender": { "id": customer }, "recipient": { "id": PAGE }, "timestamp": at,
        "message": { "mid": mid, "is_deleted": true },
    })
}

async fn messenger(app: &TestApp) -> (i64, common::TestUser) {
    let admin = app.user("admin").await;
    let id = connect(app, &admin, "messenger", "acme-page", PAGE, Some(OUR_APP)).await;
    (id, admin)
}

async fn deliver(app: &TestApp, account: i64, events: Vec<Value>) {
    let body = envelope(events);
    assert_eq!(post(app, "messenger", account, &body).await, StatusCode::OK);
    process_all(app.store()).await.unwrap();
}

async fn one(app: &TestApp, mid: &str) -> hearken::storage::MessageRow {
    let mut found = app
        .store()
        .messages_by_platform_id(app.ws, "messenger", mid)
        .await
        .unwrap();
    assert_eq!(found.len(), 1, "{mid} stored once");
    found.remove(0)
}

#[tokio::test]
async fn our_echo_confirms_and_a_native_app_reply_is_stored_once_as_sent_outside() {
    let app = app().await;
    let (account, admin) = messenger(&app).await;
    deliver(
        &app,
        account,
        vec![customer_message("C1", "m-1", "where is my order?", T0)],
    )
    .await;
    let conv = one(&app, "m-1").await.conversation_id;

    let (s, sent) = app
        .api(
            &admin.token,
            "POST",
            &format!("/api/v1/conversations/{conv}/replies"),
            Some(json!({ "text": "On its way!" })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{sent}");
    let our_mid = sent["platform_id"].as_str().unwrap().to_owned();
    assert_eq!(one(&app, &our_mid).await.delivery, "sent");

    deliver(
        &app,
        account,
        vec![echo(
            "C1",
            &our_mid,
            Some(OUR_APP),
            "On its way!",
            T0 + 1000,
        )],
    )
    .await;
    assert_eq!(one(&app, &our_mid).await.delivery, "confirmed");
    let thread = app
        .store()
        .conversation_messages(app.ws, conv)
        .await
        .unwrap();
    assert_eq!(thread.len(), 2, "the echo created nothing");

    let (s, _) = app
        .api(
            &admin.token,
            "PATCH",
            &format!("/api/v1/conversations/{conv}"),
            Some(json!({ "status": "resolved" })),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let before = app
        .store()
        .conversation(app.ws, conv)
        .await
        .unwrap()
        .unwrap();

    // Typed in the Messenger app: another app id, then none at all; each delivered twice.
    for _ in 0..2 {
        deliver(
            &app,
            account,
            vec![
                echo(
                    "C1",
                    "native-1",
                    Some("999888777"),
                    "Also: tracking is 123",
                    T0 + 2000,
                ),
                echo("C1", "native-2", None, "Thanks for waiting", T0 + 3000),
            ],
        )
        .await;
    }
    for mid in ["native-1", "native-2"] {
        let m = one(&app, mid).await;
        assert_eq!(
            (m.direction.as_str(), m.delivery.as_str()),
            ("out", "sent_outside")
        );
        assert_eq!(m.conversation_id, conv);
    }
    let after = app
        .store()
        .conversation(app.ws, conv)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.status, "resolved", "not reopened");
    assert_eq!(
        after.waiting_since, before.waiting_since,
        "no waiting clock restarted"
    );
    assert_eq!(after.message_count, 4);
}

#[tokio::test]
async fn edits_add_versions_and_deletions_keep_the_text_with_a_platform_audit_event() {
    let app = app().await;
    let (account, admin) = messenger(&app).await;
    deliver(
        &app,
        account,
        vec![customer_message("C2", "m-2", "first words", T0)],
    )
    .await;
    deliver(
        &app,
        account,
        vec![edit("C2", "m-2", "second words", T0 + 10)],
    )
    .await;
    // The same edit again (a retry) adds nothing.
    deliver(
        &app,
        account,
        vec![edit("C2", "m-2", "second words", T0 + 10)],
    )
    .await;
    let m = one(&app, "m-2").await;
    assert_eq!(m.text, "second words");
    assert_eq!(
        app.store().message_versions(app.ws, m.id).await.unwrap(),
        vec!["first words", "second words"]
    );
    let conv = app
        .store()
        .conversation(app.ws, m.conversation_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(conv.preview, "second words");

    deliver(&app, account, vec![unsend("C2", "m-2", T0 + 20)]).await;
    let m = one(&app, "m-2").await;
    assert_eq!(m.deleted_at, Some(T0 + 20));
    assert_eq!(m.text, "second words", "the text is kept");
    let (_, audit) = app
        .api(
            &admin.token,
            "GET",
            "/api/v1/audit?action=message.deleted_on_platform",
            None,
        )
        .await;
    let events = audit["events"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| audit.as_array().cloned().unwrap());
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["actor"], "system:platform");
    assert_eq!(events[0]["subject"], format!("message:{}", m.id));
}

/// Final state of a message: text, versions, deleted.
async fn state_of(app: &TestApp, mid: &str) -> (String, Vec<String>, Option<i64>, i64) {
    let m = one(app, mid).await;
    let conv = app
        .store()
        .conversation(app.ws, m.conversation_id)
        .await
        .unwrap()
        .unwrap();
    (
        m.text.clone(),
        app.store().message_versions(app.ws, m.id).await.unwrap(),
        m.deleted_at,
        conv.message_count,
    )
}

#[tokio::test]
async fn out_of_order_edits_deletions_and_replies_end_as_in_order() {
    let events = vec![
        customer_message("C3", "p-1", "parent", T0),
        customer_message("C3", "r-1", "reply", T0 + 5),
        edit("C3", "p-1", "parent, edited", T0 + 10),
        edit("C3", "r-1", "reply, edited", T0 + 12),
        unsend("C3", "r-1", T0 + 20),
    ];
    let in_order = app().await;
    let (acct, _) = messenger(&in_order).await;
    for e in &events {
        deliver(&in_order, acct, vec![e.clone()]).await;
    }
    let reversed = app().await;
    let (acct2, _) = messenger(&reversed).await;
    for e in events.iter().rev() {
        deliver(&reversed, acct2, vec![e.clone()]).await;
    }
    for mid in ["p-1", "r-1"] {
        assert_eq!(
            state_of(&in_order, mid).await,
            state_of(&reversed, mid).await,
            "{mid}"
        );
    }
    assert_eq!(
        state_of(&reversed, "r-1").await.1,
        vec!["reply", "reply, edited"]
    );
}

#[tokio::test]
async fn text_outside_the_basic_plane_comes_back_byte_for_byte_and_is_searchable() {
    let app = app().await;
    let (account, admin) = messenger(&app).await;
    let text = "Thanks 👍🏽 𠮷野家 🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}";
    deliver(&app, account, vec![customer_message("C4", "m-4", text, T0)]).await;
    let conv = one(&app, "m-4").await.conversation_id;
    let (s, v) = app
        .api(
            &admin.token,
            "GET",
            &format!("/api/v1/conversations/{conv}"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        v["messages"][0]["text"].as_str().unwrap().as_bytes(),
        text.as_bytes()
    );
    let (_, found) = app
        .api(
            &admin.token,
            "GET",
            "/api/v1/conversations?q=%F0%A0%AE%B7%E9%87%8E%E5%AE%B6",
            None,
        )
        .await;
    let ids: Vec<i64> = found["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![conv]);
}

#[tokio::test]
async fn a_batch_with_an_unpaired_surrogate_stores_the_other_two() {
    let app = app().await;
    let (account, _) = messenger(&app).await;
    // Built by hand: serde_json cannot write a lone surrogate escape.
    let body = format!(
        r#"{{"object":"page","entry":[{{"id":"{PAGE}","time":{T0},"messaging":[
        {{"sender":{{"id":"C5"}},"recipient":{{"id":"{PAGE}"}},"timestamp":{T0},"message":{{"mid":"s-1","text":"first"}}}},
        {{"sender":{{"id":"C5"}},"recipient":{{"id":"{PAGE}"}},"timestamp":{T0},"message":{{"mid":"s-2","text":"broken \ud800 here"}}}},
        {{"sender":{{"id":"C5"}},"recipient":{{"id":"{PAGE}"}},"timestamp":{T0},"message":{{"mid":"s-3","text":"third"}}}}]}}]}}"#
    );
    assert_eq!(
        post(&app, "messenger", account, body.as_bytes()).await,
        StatusCode::OK
    );
    let r = process_all(app.store()).await.unwrap();
    assert_eq!((r.messages, r.skipped), (2, 1));
    assert_eq!(one(&app, "s-1").await.text, "first");
    assert_eq!(one(&app, "s-3").await.text, "third");
    assert!(app
        .store()
        .messages_by_platform_id(app.ws, "messenger", "s-2")
        .await
        .unwrap()
        .is_empty());
}

// ------------------------------------------------------------ Mastodon stand-in --

/// Mentions 101..=106 as notifications, answering like Mastodon: `min_id` gives the next
/// items just above it, `since_id` (and no cursor) the newest ones, newest first, with
/// `Link` headers.
async fn notifications(
    State(ids): State<Arc<Vec<u64>>>,
    Query(q): Query<Vec<(String, String)>>,
) -> impl IntoResponse {
    let get = |k: &str| {
        q.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.parse::<u64>().unwrap())
    };
    let limit = get("limit").unwrap_or(20) as usize;
    let mut page: Vec<u64> = if let Some(min) = get("min_id") {
        ids.iter()
            .copied()
            .filter(|i| *i > min)
            .take(limit)
            .collect()
    } else {
        let above = get("since_id").unwrap_or(0);
        let newer: Vec<u64> = ids.iter().copied().filter(|i| *i > above).collect();
        newer[newer.len().saturating_sub(limit)..].to_vec()
    };
    page.reverse();
    let items: Vec<Value> = page.iter().map(|i| mention(*i)).collect();
    let mut headers = axum::http::HeaderMap::new();
    if let (Some(newest), Some(oldest)) = (page.first(), page.last()) {
        let link = format!(
            "<http://stand-in/api/v1/notifications?max_id={oldest}>; rel=\"next\", \
             <http://stand-in/api/v1/notifications?min_id={newest}>; rel=\"prev\""
        );
        headers.insert("link", link.parse().unwrap());
    }
    (headers, axum::Json(items))
}

fn mention(id: u64) -> Value {
    json!({
        "id": id.to_string(), "type": "mention", "created_at": "2026-11-30T10:00:00.000Z",
        "account": { "id": "900", "acct": "customer@remote.example" },
        "status": {
            "id": id.to_string(), "created_at": "2026-11-30T10:00:00.000Z",
            "content": format!("<p>@acme help with {id}</p>"), "visibility": "public",
            "in_reply_to_id": null,
            "account": { "id": "900", "acct": "customer@remote.example", "display_name": "C" },
        },
    })
}

async fn stand_in() -> String {
    let ids: Arc<Vec<u64>> = Arc::new((101..=106).collect());
    let router = axum::Router::new()
        .route("/api/v1/notifications", axum::routing::get(notifications))
        .with_state(ids);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn mastodon_reconciliation_fills_gaps_once_from_the_cursor_and_dedups_against_webhooks() {
    let app = app().await;
    let admin = app.user("admin").await;
    let base = stand_in().await;
    let (s, v) = app
        .api(
            &admin.token,
            "POST",
            "/api/v1/channels/accounts",
            Some(json!({
                "channel": "mastodon", "handle": "acme@social.example", "platform_user_id": "1",
                "base_url": base, "app_secret": SECRET,
            })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let account = v["account_id"].as_i64().unwrap();
    // The cursor stands at 103, and 105 already came in by webhook.
    let row = app.store().connections(app.ws).await.unwrap().remove(0);
    app.store()
        .apply_polled(app.ws, account, "poll", &[], Some("103"))
        .await
        .unwrap();
    let hook =
        serde_json::to_vec(&json!({ "event": "status.created", "object": mention(105)["status"] }))
            .unwrap();
    assert_eq!(post(&app, "mastodon", account, &hook).await, StatusCode::OK);
    process_all(app.store()).await.unwrap();

    let first = reconcile_mastodon(&app.state.channels, app.store(), &row, 2)
        .await
        .unwrap();
    assert_eq!(
        (first.polled, first.gaps_found, first.gaps_filled),
        (3, 2, 2)
    );
    assert_eq!(first.cursor.as_deref(), Some("106"));
    for id in ["104", "105", "106"] {
        let found = app
            .store()
            .messages_by_platform_id(app.ws, "mastodon", id)
            .await
            .unwrap();
        assert_eq!(found.len(), 1, "{id} once");
    }
    for id in ["101", "102", "103"] {
        assert!(app
            .store()
            .messages_by_platform_id(app.ws, "mastodon", id)
            .await
            .unwrap()
            .is_empty());
    }
    let second = reconcile_mastodon(&app.state.channels, app.store(), &row, 2)
        .await
        .unwrap();
    assert_eq!((second.polled, second.gaps_found), (0, 0));

    let (_, ledger) = app
        .api(&admin.token, "GET", "/api/v1/channels/ledger", None)
        .await;
    let poll = ledger
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["source"] == "poll")
        .unwrap();
    assert_eq!(
        (poll["gaps_found"].as_i64(), poll["gaps_filled"].as_i64()),
        (Some(2), Some(2))
    );
    let hook = ledger
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["source"] == "webhook")
        .unwrap();
    assert_eq!(hook["last_item_id"], "105");
    assert_eq!(hook["untriaged"].as_i64(), Some(3));
}

#[tokio::test]
async fn a_source_quiet_longer_than_its_normal_gap_raises_one_alert() {
    let app = app().await;
    let (account, admin) = messenger(&app).await;
    let now = hearken::domain::time::now_millis();
    // Deliveries arrived every minute until three hours ago, then nothing.
    let batch: Vec<_> = (0..5)
        .map(|n| hearken::storage::channels::NewDelivery {
            workspace_id: app.ws.0,
            account_id: account,
            channel: "messenger".into(),
            body: envelope(vec![customer_message("C9", &format!("q-{n}"), "hello", T0)]),
            headers: "{}".into(),
            received_at: now - 3 * 3_600_000 - (5 - n) * 60_000,
        })
        .collect();
    for d in batch {
        app.store().accept_deliveries(&[d]).await.unwrap();
        process_all(app.store()).await.unwrap();
    }
    let ledger = app.store().ledger(app.ws).await.unwrap();
    assert_eq!(ledger[0].normal_gap_ms, Some(60_000));
    assert_eq!(
        hearken::channels::monitor::check_quiet(app.store())
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        hearken::channels::monitor::check_quiet(app.store())
            .await
            .unwrap(),
        0,
        "once per quiet spell"
    );
    let (_, health) = app
        .api(&admin.token, "GET", "/api/v1/channels/ledger", None)
        .await;
    assert_eq!(health[0]["quiet"], true);
    let (_, audit) = app
        .api(
            &admin.token,
            "GET",
            "/api/v1/audit?action=source.quiet",
            None,
        )
        .await;
    let events = audit["events"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| audit.as_array().cloned().unwrap());
    assert_eq!(events.len(), 1);
}
