//! Issue #6: saved listening queries are validated with an error that points at the fault,
//! and public posts not addressed to an account that match land in the inbox once, marked
//! as listening, with routing run on them.

mod common;

use serde_json::{json, Value};

use common::TestApp;

fn post(id: &str, text: &str, addressed: bool, followers: i64) -> Value {
    json!({
        "channel": "x",
        "platform_id": id,
        "author": { "platform_user_id": format!("u-{id}"), "handle": format!("user{id}") },
        "followers": followers,
        "text": text,
        "lang": "en",
        "created_at": 1_700_000_000_000i64,
        "addressed_to_account": addressed,
    })
}

async fn setup() -> (TestApp, common::TestUser, i64) {
    let app = TestApp::new().await;
    let admin = app.user("admin").await;
    let account = app
        .store()
        .ensure_account(app.ws, "x", "acme")
        .await
        .unwrap();
    (app, admin, account.id)
}

#[tokio::test]
async fn an_invalid_query_is_refused_pointing_at_the_fault() {
    let (app, admin, account) = setup().await;
    let query = "(late OR delayed parcel";
    let (status, body) = app
        .api(
            &admin.token,
            "POST",
            "/api/v1/listening/queries",
            Some(json!({ "name": "late", "query": query, "account_id": account })),
        )
        .await;

    assert_eq!(status, 422);
    let message = body["error"]["message"].as_str().unwrap();
    let lines: Vec<&str> = message.lines().collect();
    assert!(lines[0].starts_with("query: "), "{message}");
    assert_eq!(lines[1], query, "the error quotes the query");
    // The caret sits under the column the first line names.
    let column: usize = lines[0].rsplit("column ").next().unwrap().parse().unwrap();
    assert_eq!(lines[2].find('^').unwrap() + 1, column);
    // The fault is the unclosed parenthesis, the only '(' in the query, at column 1.
    assert_eq!(column, 1);

    let (status, body) = app
        .api(
            &admin.token,
            "POST",
            "/api/v1/listening/queries",
            Some(json!({ "name": "neg", "query": "NOT spam", "account_id": account })),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = app
        .api(
            &admin.token,
            "POST",
            "/api/v1/listening/queries",
            Some(json!({ "name": "x", "query": "refund", "account_id": 999 })),
        )
        .await;
    assert_eq!(status, 422, "an unknown account is refused");
}

#[tokio::test]
async fn matching_public_posts_land_once_marked_as_listening() {
    let (app, admin, account) = setup().await;
    let (status, saved) = app
        .api(&admin.token, "POST", "/api/v1/listening/queries", Some(json!({ "name": "refunds", "query": "(refund OR \"money back\") -spam", "account_id": account })))
        .await;
    assert_eq!(status, 201, "{saved}");
    assert_eq!(
        saved["canonical"],
        "(refund OR \"money back\") AND NOT spam"
    );

    let posts = json!([
        post("1", "Still waiting for my money back from acme", false, 10),
        post("2", "@acme where is my refund", true, 10),
        post("3", "Lovely weather today", false, 10),
        post("4", "refund spam spam spam", false, 10),
    ]);
    let (status, report) = app
        .api(
            &admin.token,
            "POST",
            "/api/v1/listening/posts",
            Some(posts.clone()),
        )
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        report,
        json!({ "offered": 4, "addressed": 1, "matched": 1, "stored": 1, "duplicates": 0 })
    );

    let (_, inbox) = app
        .api(
            &admin.token,
            "GET",
            "/api/v1/conversations?tag=listening:refunds",
            None,
        )
        .await;
    let items = inbox["conversations"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1, "{inbox}");

    // The same posts again: nothing doubled.
    let (_, again) = app
        .api(&admin.token, "POST", "/api/v1/listening/posts", Some(posts))
        .await;
    assert_eq!(again["stored"], 0);
    assert_eq!(again["duplicates"], 1);
}

#[tokio::test]
async fn routing_sees_the_listening_query_and_follower_count() {
    let (app, admin, account) = setup().await;
    let (_, q) = app
        .api(
            &admin.token,
            "POST",
            "/api/v1/listening/queries",
            Some(json!({ "name": "outage", "query": "outage OR down", "account_id": account })),
        )
        .await;
    let (status, _) = app
        .api(
            &admin.token,
            "POST",
            "/api/v1/routing/rules",
            Some(json!({
                "name": "loud outage reports",
                "conditions": { "listening_query_id": q["id"], "min_followers": 1000 },
                "actions": { "priority": "urgent" }
            })),
        )
        .await;
    assert_eq!(status, 201);

    let posts = json!([
        post("10", "acme is down again", false, 5000),
        post("11", "acme outage?", false, 20)
    ]);
    let (_, report) = app
        .api(&admin.token, "POST", "/api/v1/listening/posts", Some(posts))
        .await;
    assert_eq!(report["stored"], 2);

    let convs = app
        .store()
        .inbox(app.ws, &Default::default(), 10)
        .await
        .unwrap();
    let mut by_text: Vec<(String, String)> =
        convs.into_iter().map(|c| (c.preview, c.priority)).collect();
    by_text.sort();
    assert_eq!(
        by_text,
        vec![
            ("acme is down again".to_owned(), "urgent".to_owned()),
            ("acme outage?".to_owned(), "normal".to_owned()),
        ]
    );
    let filter = hearken::storage::AuditFilter {
        action: Some("listening.matched".into()),
        ..Default::default()
    };
    assert_eq!(
        app.store()
            .audit_events(app.ws, &filter, 10)
            .await
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn the_admin_page_shows_queries_and_points_at_a_fault() {
    use axum::body::Body;
    use axum::http::{header, Request};

    let (app, admin, account) = setup().await;
    let form = |query: &str| {
        Request::builder()
            .method("POST")
            .uri("/admin/listening")
            .header(header::AUTHORIZATION, format!("Bearer {}", admin.token))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(
                serde_urlencoded::to_string([
                    ("name", "late"),
                    ("query", query),
                    ("account_id", &account.to_string()),
                ])
                .unwrap(),
            ))
            .unwrap()
    };

    let (status, _, body) = app.send(form("late NEAR/3")).await;
    let html = String::from_utf8(body).unwrap();
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("role=\"alert\""), "{html}");
    // The fault is the missing term at the end: "late NEAR/3" is 11 characters, so the
    // caret stands in column 12, under the quoted query (escaped as HTML).
    assert!(
        html.contains("at column 12\nlate NEAR&#x2f;3\n           ^</pre>"),
        "{html}"
    );

    let (status, _, _) = app.send(form("late <b>parcel</b>")).await;
    assert_eq!(status, 303);
    let page = Request::builder()
        .uri("/admin/listening")
        .header(header::AUTHORIZATION, format!("Bearer {}", admin.token))
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = app.send(page).await;
    let html = String::from_utf8(body).unwrap();
    assert_eq!(status, 200);
    assert!(
        !html.contains("<b>parcel"),
        "customer-facing text is escaped"
    );
    assert!(html.contains("&lt;b&gt;"), "{html}");
}
