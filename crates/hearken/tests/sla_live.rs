//! Live SLA state: time left, warning and breach in the inbox (sortable by time left)
//! and on the conversation page; crossings announced once to live listeners.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use hearken::domain::channel::{Channel, Visibility};
use hearken::domain::message::{AuthorRef, Direction, IncomingMessage};
use hearken::domain::time::now_millis;
use hearken::domain::Actor;

fn inbound(id: &str, minutes_ago: i64) -> IncomingMessage {
    IncomingMessage {
        channel: Channel::Sandbox,
        account: "brand".into(),
        platform_id: id.into(),
        direction: Direction::In,
        visibility: Visibility::Public,
        reply_to: None,
        customer: Some(AuthorRef {
            platform_user_id: format!("u-{id}"),
            handle: format!("customer_{id}"),
            display_name: None,
        }),
        text: format!("help {id}"),
        platform_time: now_millis() - minutes_ago * 60_000,
        conversation_key: None,
        conversation_attrs: None,
        earlier_versions: vec![],
        deleted_at: None,
    }
}

#[tokio::test]
async fn inbox_shows_state_and_sorts_by_time_left() {
    let app = common::TestApp::new().await;
    let manager = app.user("manager").await;
    // 60 calendar minutes to a first response, warning at 80 % (after 48 minutes).
    let (s, body) = app
        .api(
            &manager.token,
            "POST",
            "/api/v1/sla/policies",
            Some(serde_json::json!({
                "key": "std", "name": "Standard", "first_response_minutes": 60,
                "business_time": false, "warn_at_percent": 80,
                "effective_from": "2020-01-01T00:00:00Z"
            })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    // 50 minutes waiting: warning; 10: ok; 70: breached.
    let mut ids = Vec::new();
    for (id, ago) in [("warn", 50), ("ok", 10), ("late", 70)] {
        let r = app
            .store()
            .ingest(app.ws, &Actor::System("test"), &[inbound(id, ago)])
            .await
            .unwrap();
        ids.push(r.touched_conversations[0]);
    }
    let (s, body) = app
        .api(
            &manager.token,
            "GET",
            &format!("/api/v1/sla/conversations/{}", ids[0]),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["live"]["state"], "warning");
    assert_eq!(body["live"]["metric"], "first_response");
    let left = body["live"]["time_left_minutes"].as_i64().unwrap();
    assert!((9..=10).contains(&left), "{left}");

    let agent = app.user("agent").await;
    let req = Request::get("/inbox?sort=due")
        .header(header::AUTHORIZATION, format!("Bearer {}", agent.token))
        .body(Body::empty())
        .unwrap();
    let (s, _, html) = app.send(req).await;
    assert_eq!(s, StatusCode::OK);
    let html = String::from_utf8(html).unwrap();
    let pos = |needle: &str| {
        html.find(needle)
            .unwrap_or_else(|| panic!("{needle}: {html}"))
    };
    // Least time left first: the breached one, then the warning, then the one in time.
    assert!(pos("customer_late") < pos("customer_warn"));
    assert!(pos("customer_warn") < pos("customer_ok"));
    assert!(html.contains("sla-state breached"));
    assert!(html.contains("sla-state warning"));
    assert!(html.contains("sla-state ok"));

    // The conversation page explains the figures.
    let req = Request::get(format!("/conversations/{}", ids[2]))
        .header(header::AUTHORIZATION, format!("Bearer {}", agent.token))
        .body(Body::empty())
        .unwrap();
    let (s, _, html) = app.send(req).await;
    assert_eq!(s, StatusCode::OK);
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("sla-state breached"), "{html}");

    // Crossings are announced once each, and pushed to live listeners.
    let mut rx = app.state.events.subscribe();
    let first = hearken::sla::watch::tick(&app.state).await.unwrap();
    let mut got: Vec<(i64, String)> = first.into_iter().map(|(_, id, s)| (id, s)).collect();
    got.sort();
    let mut want = vec![
        (ids[0], "warning".to_owned()),
        (ids[2], "breached".to_owned()),
    ];
    want.sort();
    assert_eq!(got, want);
    assert!(rx.try_recv().is_ok());
    assert!(hearken::sla::watch::tick(&app.state)
        .await
        .unwrap()
        .is_empty());

    // Answering the late one ends its clock: no running clock, no state.
    let (s, body) = app
        .api(
            &agent.token,
            "POST",
            &format!("/api/v1/conversations/{}/replies", ids[2]),
            Some(serde_json::json!({"text": "on it"})),
        )
        .await;
    assert!(s.is_success(), "{s} {body}");
    let (_, body) = app
        .api(
            &manager.token,
            "GET",
            &format!("/api/v1/sla/conversations/{}", ids[2]),
            None,
        )
        .await;
    assert!(body["live"].is_null(), "{body}");
    assert_eq!(body["metrics"]["first_response"]["outcome"], "breached");
}
