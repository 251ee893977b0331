//! The communication test through the pages (#4), as signed-in browsers with cookies and
//! CSRF tokens: a manager writes a test with the form, an agent takes it and sees the
//! automatic part of the result, a reviewer grades it with the rubric, and the agent then
//! holds reply rights that the certifications page lists and a manager revokes. Hostile
//! question and answer text is shown escaped.

mod common;

use axum::http::{header, StatusCode};
use common::browser::Browser;
use common::TestApp;
use serde_json::json;

/// `ms` as the pages print times.
fn shown(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .unwrap()
        .strftime("%Y-%m-%d %H:%M UTC")
        .to_string()
}

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
const HOSTILE_PROMPT: &str = "<script>alert('q')</script> Where is my parcel?";
const HOSTILE_OPTION: &str = "<img src=x onerror=alert(3)> Yes, always";
const HOSTILE_ANSWER: &str =
    "Sorry for the wait! <script>alert(2)</script> We will check on it ASAP.";

fn assert_escaped(html: &str, what: &str) {
    for raw in ["<script>alert", "<img src=x"] {
        assert!(
            !html.contains(raw),
            "{what}: {raw} reached the page unescaped"
        );
    }
    assert!(
        html.contains("&lt;script&gt;"),
        "{what}: escaped text shows"
    );
}

#[tokio::test]
async fn a_test_written_taken_and_graded_in_the_pages_grants_reply_rights() {
    let app = TestApp::new().await;
    let manager = app.user("manager").await;
    let agent = app.user("agent").await;
    let approver = app.user("approver").await;

    // The style guide in force: "ASAP" is a warning.
    let guide = json!({ "rules": [{ "id": "no-asap", "severity": "warning",
        "kind": "banned_phrase", "phrase": "ASAP", "suggestion": "today" }], "default": true });
    let (status, out) = app
        .api(
            &manager.token,
            "PUT",
            "/api/v1/style-guides/en",
            Some(guide),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");

    // ---- the manager writes the test with the form ------------------------------------
    let mut m = Browser::signed_in(&app, &manager).await;
    let (list, csrf) = m.page("/tests").await;
    assert!(list.contains("Write a test"), "a manager gets the form");
    let options = format!("*No, we never promise dates\n{HOSTILE_OPTION}");
    let form: Vec<(&str, &str)> = vec![
        ("csrf", &csrf),
        ("name", "X replies"),
        ("channels", "x"),
        ("channels", "instagram"),
        ("pass_mark", "75"),
        ("validity_days", "30"),
        ("locale", "en"),
        ("q0-kind", "scenario"),
        ("q0-prompt", HOSTILE_PROMPT),
        ("q0-channel", "x"),
        ("q0-style_points", "3"),
        ("q0-rubric", "Tone: 5\nAccuracy: 5"),
        // A blank block, as the page offers them, is skipped.
        ("q1-kind", "scenario"),
        ("q1-prompt", "  "),
        ("q1-channel", "x"),
        ("q1-style_points", "2"),
        ("q1-rubric", "Tone: 5"),
        ("q2-kind", "choice"),
        ("q2-prompt", "May we promise a delivery date?"),
        ("q2-options", &options),
        ("q2-points", "4"),
        ("q3-kind", "choice"),
        ("q3-prompt", "Which of these are public?"),
        (
            "q3-options",
            "*X posts\nMessenger messages\n*Facebook comments",
        ),
        ("q3-points", "2"),
    ];
    let without_token: Vec<_> = form.iter().filter(|(k, _)| *k != "csrf").cloned().collect();
    let (status, _, _) = m.post("/tests", &without_token).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a form without CSRF is refused"
    );
    assert!(app.store().comm_tests(app.ws).await.unwrap().is_empty());
    let (status, headers, body) = m.post("/tests", &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(headers[header::LOCATION], "/tests");

    let tests = app.store().comm_tests(app.ws).await.unwrap();
    assert_eq!(tests.len(), 1);
    let row = &tests[0];
    assert_eq!(row.name, "X replies");
    assert_eq!(row.validity_days, 30);
    let channels: Vec<String> = serde_json::from_str(&row.channels).unwrap();
    assert_eq!(channels, ["x", "instagram"]);
    let body: serde_json::Value = serde_json::from_str(&row.body).unwrap();
    assert_eq!(body["pass_mark_percent"], 75);
    assert_eq!(
        body["style"]["rules"][0]["id"], "no-asap",
        "the guide in force"
    );
    let questions = body["questions"].as_array().unwrap();
    assert_eq!(questions.len(), 3, "the blank block is skipped: {body}");
    assert_eq!(questions[0]["id"], "q1");
    assert_eq!(questions[0]["prompt"], HOSTILE_PROMPT);
    assert_eq!(
        questions[0]["kind"],
        json!({ "type": "scenario", "channel": "x", "style_points": 3,
                "rubric": [{ "id": "Tone", "max": 5 }, { "id": "Accuracy", "max": 5 }] })
    );
    assert_eq!(
        questions[1]["kind"],
        json!({ "type": "multiple_choice",
                "options": ["No, we never promise dates", "<img src=x onerror=alert(3)> Yes, always"],
                "correct": ["No, we never promise dates"], "points": 4 })
    );
    assert_eq!(
        questions[2]["kind"]["correct"],
        json!(["Facebook comments", "X posts"])
    );
    let test_id = row.id;

    // ---- the agent takes it -----------------------------------------------------------------
    let mut a = Browser::signed_in(&app, &agent).await;
    let (list, _) = a.page("/tests").await;
    assert!(!list.contains("Write a test"), "agents do not write tests");
    assert!(list.contains(&format!("href=\"/tests/{test_id}\">Take")));
    let (paper, csrf) = a.page(&format!("/tests/{test_id}")).await;
    assert_escaped(&paper, "the paper");
    assert!(paper.contains("Where is my parcel?"));
    assert!(
        !paper.contains("*No"),
        "the paper does not mark correct options"
    );
    let (status, headers, body) = a
        .post(
            &format!("/tests/{test_id}/attempts"),
            &[
                ("csrf", &csrf),
                ("a-q1", HOSTILE_ANSWER),
                ("c-q2", "0"),
                // Only one of the two public channels: a wrong answer.
                ("c-q3", "0"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let attempts = app.store().attempts(app.ws).await.unwrap();
    assert_eq!(attempts.len(), 1);
    let attempt_id = attempts[0].id;
    assert_eq!(attempts[0].user_id, agent.id);
    assert_eq!(attempts[0].status, "submitted");
    let result_path = format!("/attempts/{attempt_id}");
    assert_eq!(headers[header::LOCATION], result_path.as_str());

    let (result, _) = a.page(&result_path).await;
    assert_escaped(&result, "the result");
    assert!(result.contains("Awaiting review"), "{result}");
    // Multiple choice: q2 right (4 points), q3 wrong (0 of 2).
    assert!(result.contains("4 of 6 points"), "{result}");
    assert!(result.contains("0 of 2 points") && result.contains("4 of 4 points"));
    // The automatic style check found the banned phrase in the scenario answer.
    assert!(result.contains("warning · no-asap"), "{result}");
    assert!(result.contains("We will check on it ASAP."));

    // Another agent may not read it; the agent may not grade it.
    let other = app.user_in(app.ws, "agent", "other@acme.test").await;
    let mut o = Browser::signed_in(&app, &other).await;
    let (status, _, _) = o.get(&result_path).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = a.get("/tests/review").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // ---- the reviewer grades it --------------------------------------------------------------
    let mut r = Browser::signed_in(&app, &approver).await;
    let (review, csrf) = r.page("/tests/review").await;
    assert_escaped(&review, "the review page");
    assert!(review.contains(&format!("action=\"/attempts/{attempt_id}/grade\"")));
    assert!(review.contains("Tone (0 to 5)") && review.contains("Accuracy (0 to 5)"));
    let grade = format!("/attempts/{attempt_id}/grade");
    let (status, _, _) = r.post(&grade, &[("s-q1-0", "5"), ("s-q1-1", "4")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "grading without CSRF");
    let (status, headers, body) = r
        .post(&grade, &[("csrf", &csrf), ("s-q1-0", "5"), ("s-q1-1", "4")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(headers[header::LOCATION], result_path.as_str());

    // Scenario: style 3 - 1 warning = 2, rubric 5 + 4 = 9; choices 4 + 0. 15 of 19 points.
    let (earned, possible) = (2 + 9 + 4, 3 + 10 + 4 + 2);
    assert_eq!((earned, possible), (15, 19));
    let score_bp = (earned * 10_000 + possible / 2) / possible;
    assert!(earned * 100 >= 75 * possible, "15 of 19 passes at 75%");
    let graded = app
        .store()
        .attempt(app.ws, attempt_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(graded.status, "graded");
    assert_eq!(graded.score_bp, Some(score_bp));
    assert_eq!(graded.passed, Some(1));
    let certs = app
        .store()
        .certifications(app.ws, Some(agent.id))
        .await
        .unwrap();
    assert_eq!(certs.len(), 1);
    let cert = &certs[0];
    assert_eq!(cert.attempt_id, Some(attempt_id));
    assert_eq!(cert.expires_at, Some(cert.granted_at + 30 * DAY_MS));

    let (graded_page, _) = r.page(&result_path).await;
    let score = format!("{}.{:02}%", score_bp / 100, score_bp % 100);
    assert_eq!(score, "78.95%");
    assert!(
        graded_page.contains(&format!("score {score}")),
        "{graded_page}"
    );
    assert!(graded_page.contains("<strong>passed</strong>"));
    let until = shown(cert.expires_at.unwrap());
    assert!(
        graded_page.contains(&format!(
            "Reply rights granted on x, instagram, valid until {until}"
        )),
        "{graded_page}"
    );
    let (mine, _) = a.page(&result_path).await;
    assert!(mine.contains("<strong>passed</strong>") && mine.contains(&until));

    // ---- reply rights are listed; a manager revokes them --------------------------------------
    let (list, agent_csrf) = a.page("/certifications").await;
    let row_start = list
        .find(&format!("id=\"certification-{}\"", cert.id))
        .expect("the agent's certification is listed");
    let row_html = &list[row_start..list[row_start..].find("</tr>").unwrap() + row_start];
    assert!(row_html.contains("agent user") && row_html.contains("x, instagram"));
    assert!(row_html.contains(&until) && row_html.contains("active"));
    assert!(!list.contains("Revoke"), "agents see no revoke button");

    let (list, csrf) = m.page("/certifications").await;
    let revoke = format!("/certifications/{}/revoke", cert.id);
    assert!(list.contains(&format!("action=\"{revoke}\"")));
    let (status, _, _) = a.post(&revoke, &[("csrf", &agent_csrf)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an agent cannot revoke");
    let (status, headers, _) = m.post(&revoke, &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/certifications");
    let revoked = app
        .store()
        .certifications(app.ws, Some(agent.id))
        .await
        .unwrap();
    assert!(revoked[0].revoked_at.is_some());
    let (list, _) = m.page("/certifications").await;
    assert!(list.contains("class=\"revoked\""));
    assert!(!list.contains(&format!("action=\"{revoke}\"")));
}

#[tokio::test]
async fn the_brand_voice_page_shows_the_guide_paths_and_routing_escaped() {
    let app = TestApp::new().await;
    let manager = app.user("manager").await;
    let auditor = app.user("auditor").await;
    let guide = json!({ "rules": [
        { "id": "no-<script>", "severity": "blocking", "kind": "banned_phrase",
          "phrase": "<script>alert(1)</script>", "suggestion": "nothing" },
        { "id": "x-length", "severity": "warning", "kind": "max_length", "channel": "x", "max": 280 }
    ] });
    let (status, out) = app
        .api(
            &manager.token,
            "PUT",
            "/api/v1/style-guides/de",
            Some(guide),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let path = json!({ "id": "", "name": "Legal then Brand", "steps": [
        { "branches": [{ "name": "Legal", "group": { "roles": ["manager"] }, "quorum": "any",
          "deadline_minutes": 60, "on_deadline": "expire" }] },
        { "branches": [{ "name": "Brand", "group": { "users": [manager.id.to_string()] },
          "quorum": { "at_least": 1 }, "on_deadline": "expire" }] } ] });
    let (status, out) = app
        .api(
            &manager.token,
            "PUT",
            "/api/v1/approval-paths/legal",
            Some(path),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let routing = json!({ "rules": [{ "id": "refunds",
        "conditions": [{ "if": "contains_any", "value": ["refund", "chargeback"] }],
        "path_id": "legal" }], "trainee_path": "legal",
        "risk": { "public": 0, "vip": 0, "per_follower_order": 0, "per_risky_term": 0,
                  "uncertified": 0, "per_priority_rank": 0 } });
    let (status, out) = app
        .api(&manager.token, "PUT", "/api/v1/routing", Some(routing))
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");

    let mut b = Browser::signed_in(&app, &auditor).await;
    let (page, _) = b.page("/brand-voice").await;
    assert_escaped(&page, "the brand voice page");
    assert!(page.contains("de <small>version 1"), "{page}");
    assert!(page.contains("x-length") && page.contains("max: 280"));
    assert!(page.contains("contains any refund, chargeback"));
    assert!(page.contains("whose replies take path legal"));
    assert!(page.contains("<strong>Legal</strong>: any one of roles manager within 60 minutes"));
    assert!(page.contains("<strong>Brand</strong>: 1 of users manager user"));
}
