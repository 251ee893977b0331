//! The SLA report over real data and through the real router: per-brand first response
//! medians of the TWCS head sample match a computation made here straight from the raw
//! file; the CSV exports are spreadsheet-safe; only managers and admins see reports; the
//! inbox sorts by SLA time left.

mod common;

use std::collections::{BTreeMap, HashMap};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use hearken::domain::Actor;
use hearken::import::{self, progress::Progress, Format};

const FROM: &str = "2017-10-01";
const TO: &str = "2017-12-31";

/// Independent computation from the raw CSV: threads by reply links (a tweet whose
/// parent is not in the file starts its own thread), first customer tweet of each
/// thread, the first brand tweet after it, whole minutes between them; kept when the
/// reply falls in the window; grouped by the replying brand; median = lower middle.
fn expected_medians(bytes: &[u8], from: i64, to: i64) -> BTreeMap<String, (usize, i64)> {
    struct Tweet {
        parent: Option<String>,
        inbound: bool,
        author: String,
        at: i64,
        line: usize,
    }
    let mut tweets: HashMap<String, Tweet> = HashMap::new();
    let mut r = csv::Reader::from_reader(bytes);
    for (line, rec) in r.records().enumerate() {
        let rec = rec.unwrap();
        let at = jiff::fmt::strtime::parse("%a %b %d %H:%M:%S %z %Y", &rec[3])
            .unwrap()
            .to_timestamp()
            .unwrap()
            .as_millisecond();
        let parent = rec[6].trim();
        tweets.insert(
            rec[0].to_owned(),
            Tweet {
                parent: (!parent.is_empty()).then(|| parent.to_owned()),
                inbound: &rec[2] == "True",
                author: rec[1].to_owned(),
                at,
                line,
            },
        );
    }
    fn root(tweets: &HashMap<String, Tweet>, start: &str) -> String {
        let mut id = start.to_owned();
        loop {
            match tweets[&id].parent.as_deref() {
                Some(p) if tweets.contains_key(p) => id = p.to_owned(),
                _ => return id,
            }
        }
    }
    let mut threads: HashMap<String, Vec<&Tweet>> = HashMap::new();
    for id in tweets.keys() {
        threads
            .entry(root(&tweets, id))
            .or_default()
            .push(&tweets[id]);
    }
    let mut per_brand: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for (_, mut t) in threads {
        t.sort_by_key(|x| (x.at, x.line));
        let Some(first_in) = t.iter().position(|x| x.inbound) else {
            continue;
        };
        let Some(reply) = t[first_in..].iter().find(|x| !x.inbound) else {
            continue;
        };
        if reply.at >= from && reply.at < to {
            let minutes = (reply.at - t[first_in].at) / 60_000;
            per_brand
                .entry(reply.author.clone())
                .or_default()
                .push(minutes);
        }
    }
    per_brand
        .into_iter()
        .map(|(b, mut v)| {
            v.sort();
            let median = v[v.len().div_ceil(2) - 1];
            (b, (v.len(), median))
        })
        .collect()
}

fn day_ms(d: &str) -> i64 {
    d.parse::<jiff::civil::Date>()
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp()
        .as_millisecond()
}

/// A desk with the TWCS head sample imported, and the file's bytes.
async fn twcs_app() -> (common::TestApp, Vec<u8>) {
    let app = common::TestApp::new().await;
    let bytes =
        std::fs::read(common::shared_data().join("conversations/twcs/twcs_head_sample.csv"))
            .unwrap();
    import::run(
        app.store(),
        app.ws,
        &Actor::System("test"),
        import::parse(Format::Twcs, &bytes),
        &Progress::hidden(),
    )
    .await
    .unwrap();
    (app, bytes)
}

#[tokio::test]
async fn twcs_per_brand_first_response_medians_match_the_raw_file() {
    let (app, bytes) = twcs_app().await;
    let to_exclusive = day_ms(TO) + 86_400_000;
    let expected = expected_medians(&bytes, day_ms(FROM), to_exclusive);
    assert!(expected.len() >= 5, "{expected:?}");

    // The dashboard's JSON: totals per account, calendar minutes (no calendar: 24x7 UTC).
    let manager = app.user("manager").await;
    let medians = |body: &serde_json::Value| {
        let mut got: BTreeMap<String, (usize, f64)> = BTreeMap::new();
        for t in body["totals"].as_array().unwrap() {
            let fr = &t["first_response"];
            if fr["count"].as_u64().unwrap() > 0 {
                let brand = t["key"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("x:")
                    .to_owned();
                let n = fr["count"].as_u64().unwrap() as usize;
                got.insert(brand, (n, fr["median"].as_f64().unwrap()));
            }
        }
        got
    };
    // Exact figures from every stored clock.
    let path =
        format!("/api/v1/reports/sla?from={FROM}&to={TO}&by=account&time=calendar&exact=true");
    let (status, body) = app.api(&manager.token, "GET", &path, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["zone"], "UTC");
    let exact: BTreeMap<String, (usize, i64)> = medians(&body)
        .into_iter()
        .map(|(b, (n, m))| (b, (n, m as i64)))
        .collect();
    assert_eq!(exact, expected);
    // The dashboard's default: incremental daily aggregates; same counts, medians within
    // the sketch's stated 1 % relative error (then rounded to whole minutes).
    let path = format!("/api/v1/reports/sla?from={FROM}&to={TO}&by=account&time=calendar");
    let (status, body) = app.api(&manager.token, "GET", &path, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["method"]
        .as_str()
        .unwrap()
        .contains("relative error 1 %"));
    let fast = medians(&body);
    assert_eq!(
        fast.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    for (brand, (n, m)) in &expected {
        let (got_n, got_m) = fast[brand];
        assert_eq!(got_n, *n, "{brand}");
        let tolerance = 0.01 * *m as f64 + 0.5;
        assert!(
            (got_m - *m as f64).abs() <= tolerance,
            "{brand}: {got_m} vs {m}"
        );
    }

    // The conversation-level CSV: the same medians from its own column.
    let path = format!("/api/v1/reports/sla/conversations.csv?from={FROM}&to={TO}");
    let req = Request::get(&path)
        .header(header::AUTHORIZATION, format!("Bearer {}", manager.token))
        .body(Body::empty())
        .unwrap();
    let (status, headers, csv_bytes) = app.send(req).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(csv_bytes.starts_with(b"\xEF\xBB\xBF"));
    let mut r = csv::Reader::from_reader(&csv_bytes[3..]);
    let head = r.headers().unwrap().clone();
    let col = |name: &str| head.iter().position(|h| h == name).unwrap();
    let (acc, fr, ended) = (
        col("account"),
        col("first_response_time_calendar_minutes"),
        col("first_response_ended_at_utc"),
    );
    let mut from_csv: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        if rec[fr].is_empty() {
            continue;
        }
        let end: jiff::Timestamp = rec[ended].parse().unwrap();
        if end.as_millisecond() < day_ms(FROM) {
            continue;
        }
        from_csv
            .entry(rec[acc].trim_start_matches("x:").to_owned())
            .or_default()
            .push(rec[fr].parse().unwrap());
    }
    let from_csv: BTreeMap<String, (usize, i64)> = from_csv
        .into_iter()
        .map(|(b, mut v)| {
            v.sort();
            (b, (v.len(), v[v.len().div_ceil(2) - 1]))
        })
        .collect();
    assert_eq!(from_csv, expected);

    // Tagging after the fact moves the conversations' figures into the tag's slice of the
    // daily aggregates, as the exact computation from clocks sees them.
    let (_, list) = app
        .api(
            &manager.token,
            "GET",
            "/api/v1/conversations?limit=20",
            None,
        )
        .await;
    let ids: Vec<i64> = list["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert!(!ids.is_empty(), "{list}");
    for id in &ids {
        let path = format!("/api/v1/conversations/{id}/tags");
        let (s, _) = app
            .api(
                &manager.token,
                "POST",
                &path,
                Some(serde_json::json!({"tag": "late"})),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
    }
    let by_tag = |body: &serde_json::Value| -> BTreeMap<String, u64> {
        body["totals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                let key = t["key"].as_str().unwrap().to_owned();
                (key, t["first_response"]["count"].as_u64().unwrap())
            })
            .collect()
    };
    let base = format!("/api/v1/reports/sla?from={FROM}&to={TO}&by=tag&time=calendar");
    let (_, exact) = app
        .api(&manager.token, "GET", &format!("{base}&exact=true"), None)
        .await;
    let (_, fast) = app.api(&manager.token, "GET", &base, None).await;
    let exact = by_tag(&exact);
    assert!(exact.get("late").copied().unwrap_or(0) > 0, "{exact:?}");
    assert_eq!(by_tag(&fast), exact);
}

#[tokio::test]
async fn reports_are_for_managers_and_admins_and_csv_cells_are_inert() {
    let app = common::TestApp::new().await;
    let agent = app.user("agent").await;
    let manager = app.user("manager").await;
    let admin = app.user("admin").await;
    let (s, _) = app
        .api(&agent.token, "GET", "/api/v1/reports/sla", None)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    for u in [&manager, &admin] {
        let (s, body) = app.api(&u.token, "GET", "/api/v1/reports/sla", None).await;
        assert_eq!(s, StatusCode::OK, "{body}");
    }
    let (s, _) = app
        .api(
            &manager.token,
            "GET",
            "/api/v1/reports/sla?by=nonsense",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    // A customer whose tag starts like a formula: the tag lands in the aggregate CSV
    // (by=tag) and must come out inert.
    let mut m = hearken::domain::message::IncomingMessage {
        channel: hearken::domain::channel::Channel::Sandbox,
        account: "brand".into(),
        platform_id: "p-1".into(),
        direction: hearken::domain::message::Direction::In,
        visibility: hearken::domain::channel::Visibility::Public,
        reply_to: None,
        customer: None,
        text: "hi".into(),
        platform_time: hearken::domain::time::now_millis() - 3_600_000,
        conversation_key: None,
        conversation_attrs: None,
        earlier_versions: vec![],
        deleted_at: None,
    };
    let conv = app
        .store()
        .ingest(app.ws, &Actor::System("test"), std::slice::from_ref(&m))
        .await
        .unwrap()
        .touched_conversations[0];
    app.store()
        .add_tag(app.ws, conv, "-cmd", &Actor::System("test"))
        .await
        .unwrap();
    m.platform_id = "p-2".into();
    m.direction = hearken::domain::message::Direction::Out;
    m.reply_to = Some("p-1".into());
    m.platform_time += 60_000;
    app.store()
        .ingest(app.ws, &Actor::System("test"), &[m])
        .await
        .unwrap();
    let req = Request::get("/api/v1/reports/sla?by=tag&format=csv")
        .header(header::AUTHORIZATION, format!("Bearer {}", manager.token))
        .body(Body::empty())
        .unwrap();
    let (status, _, bytes) = app.send(req).await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(text.contains(",'-cmd,"), "{text}");
    assert!(!text.contains(",-cmd,"), "{text}");
    assert!(text
        .lines()
        .next()
        .unwrap()
        .contains("first_response_median_business_minutes"));

    // The page states the time zone; agents are refused.
    let page = |token: &str| {
        Request::get("/reports/sla")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    };
    let (status, _, html) = app.send(page(&manager.token)).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&html));
    let html = String::from_utf8(html).unwrap();
    assert!(
        html.contains("workspace time zone <strong>UTC</strong>"),
        "{html}"
    );
    assert!(html.contains("<svg"));
    let (status, _, _) = app.send(page(&agent.token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[test]
fn safe_cell_prefixes_every_formula_start() {
    use hearken::sla::report::safe_cell;
    for s in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
        assert_eq!(safe_cell(s), format!("'{s}"));
    }
    assert_eq!(safe_cell("plain"), "plain");
    assert_eq!(safe_cell(""), "");
}

#[tokio::test]
async fn a_full_rollup_rebuild_racing_with_tag_changes_leaves_the_same_figures_as_exact() {
    let (app, _) = twcs_app().await;
    let manager = app.user("manager").await;
    let (_, list) = app
        .api(
            &manager.token,
            "GET",
            "/api/v1/conversations?limit=40",
            None,
        )
        .await;
    let ids: Vec<i64> = list["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    // Tag changes run while the whole workspace's rollups are rebuilt.
    let tagging = async {
        for id in &ids {
            let path = format!("/api/v1/conversations/{id}/tags");
            let body = Some(serde_json::json!({"tag": "raced"}));
            let (s, _) = app.api(&manager.token, "POST", &path, body).await;
            assert_eq!(s, StatusCode::NO_CONTENT);
            tokio::task::yield_now().await;
        }
    };
    let rebuild = app.store().sla_recompute_all(app.ws);
    let (rebuilt, ()) = tokio::join!(rebuild, tagging);
    assert!(rebuilt.unwrap() >= ids.len() as u64);
    let totals = |body: &serde_json::Value| -> BTreeMap<String, (u64, u64)> {
        body["totals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                let key = t["key"].as_str().unwrap().to_owned();
                let fr = t["first_response"]["count"].as_u64().unwrap();
                (key, (fr, t["cases_opened"].as_u64().unwrap()))
            })
            .collect()
    };
    let base = format!("/api/v1/reports/sla?from={FROM}&to={TO}&by=tag&time=calendar");
    let (_, exact) = app
        .api(&manager.token, "GET", &format!("{base}&exact=true"), None)
        .await;
    let (_, fast) = app.api(&manager.token, "GET", &base, None).await;
    let exact = totals(&exact);
    assert!(exact.contains_key("raced"), "{exact:?}");
    assert_eq!(totals(&fast), exact);
}
