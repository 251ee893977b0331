//! The worked cases of issue #3, end to end through storage: messages are ingested,
//! replies recorded, notes and status changes stored, policies and calendars saved, and
//! the figures read back from the stored clocks and the report built on them. Expected
//! values are the issue's, worked by hand in the comments.

mod common;

use hearken::domain::channel::{Channel, Visibility};
use hearken::domain::message::{AuthorRef, Direction, IncomingMessage};
use hearken::domain::{Actor, WorkspaceId};
use hearken::sla::report::{self, Bucket, Dimension, ReportData, ReportQuery, TimeKind};
use hearken::storage::sla::{NewPolicyVersion, SlaClockRow};
use hearken::storage::DynStore;

const SYS: Actor = Actor::System("test");

fn ms(s: &str) -> i64 {
    s.parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

fn msg(id: &str, dir: Direction, at: &str, reply_to: Option<&str>) -> IncomingMessage {
    IncomingMessage {
        channel: Channel::Sandbox,
        account: "brand".into(),
        platform_id: id.into(),
        direction: dir,
        visibility: Visibility::Public,
        reply_to: reply_to.map(Into::into),
        customer: Some(AuthorRef {
            platform_user_id: format!("cust-{}", id.split('-').next().unwrap()),
            handle: "customer".into(),
            display_name: None,
        }),
        text: "hello".into(),
        platform_time: ms(at),
        conversation_key: None,
        conversation_attrs: None,
        earlier_versions: vec![],
        deleted_at: None,
    }
}

async fn workspace(store: &DynStore, slug: &str) -> WorkspaceId {
    WorkspaceId(store.create_workspace(slug, slug).await.unwrap().id)
}

async fn office(store: &DynStore, ws: WorkspaceId, holidays: &[&str]) {
    let spec = serde_json::json!({
        "zone": "UTC",
        "weekly": {
            "monday": ["09:00-17:00"], "tuesday": ["09:00-17:00"], "wednesday": ["09:00-17:00"],
            "thursday": ["09:00-17:00"], "friday": ["09:00-17:00"]
        },
        "holidays": holidays,
    });
    store
        .sla_save_calendar(ws, "office", &spec.to_string(), &SYS)
        .await
        .unwrap();
}

async fn policy(store: &DynStore, ws: WorkspaceId, from: &str, first: i64, resolution: i64) {
    let body = serde_json::json!({
        "id": "std", "version": 1, "name": "Standard", "effective_from": "2024-01-01T00:00:00Z",
        "first_response": {"minutes": first, "business_time": true},
        "next_response": {"minutes": first, "business_time": true},
        "resolution": {"minutes": resolution, "business_time": true},
        "pause_statuses": ["pending"],
    });
    let new = NewPolicyVersion {
        policy_key: "std".into(),
        name: "Standard".into(),
        position: 1,
        calendar_id: None,
        effective_from: ms(from),
        body: body.to_string(),
    };
    store.sla_add_policy_version(ws, &new, &SYS).await.unwrap();
}

async fn ingest(store: &DynStore, ws: WorkspaceId, batch: &[IncomingMessage]) -> Vec<i64> {
    store
        .ingest(ws, &SYS, batch)
        .await
        .unwrap()
        .touched_conversations
}

async fn clocks(store: &DynStore, ws: WorkspaceId, conv: i64) -> Vec<SlaClockRow> {
    store.sla_clocks_of(ws, conv).await.unwrap()
}

fn metric<'a>(clocks: &'a [SlaClockRow], name: &str) -> &'a SlaClockRow {
    clocks.iter().find(|k| k.metric == name).unwrap()
}

#[tokio::test]
async fn case1_weekend_and_holiday_are_not_business_time() {
    let db = common::db().await;
    let store = &db.store;

    // Sat 2024-06-08 10:00 → Mon 10:30: 2 days + 30 min = 2910 calendar minutes;
    // business time is Mon 09:00–10:30 = 90 minutes.
    let ws = workspace(store, "plain").await;
    office(store, ws, &[]).await;
    policy(store, ws, "2024-01-01T00:00:00Z", 240, 2400).await;
    let conv = ingest(
        store,
        ws,
        &[
            msg("a-1", Direction::In, "2024-06-08T10:00:00Z", None),
            msg("a-2", Direction::Out, "2024-06-10T10:30:00Z", Some("a-1")),
        ],
    )
    .await[0];
    let k = clocks(store, ws, conv).await;
    let fr = metric(&k, "first_response");
    assert_eq!((fr.calendar_minutes, fr.business_minutes), (2910, 90));
    assert_eq!(fr.outcome, "met");

    // With Monday a holiday and the reply Tue 09:30: Tue 09:00–09:30 = 30 minutes.
    let ws = workspace(store, "holiday").await;
    office(store, ws, &["2024-06-10"]).await;
    policy(store, ws, "2024-01-01T00:00:00Z", 240, 2400).await;
    let conv = ingest(
        store,
        ws,
        &[
            msg("b-1", Direction::In, "2024-06-08T10:00:00Z", None),
            msg("b-2", Direction::Out, "2024-06-11T09:30:00Z", Some("b-1")),
        ],
    )
    .await[0];
    let fr = metric(&clocks(store, ws, conv).await, "first_response").clone();
    assert_eq!(fr.business_minutes, 30);

    // 4 business hours from Fri 15:00 with that holiday: Fri 15–17 (120), Mon closed,
    // Tue 09:00 + 120 = Tue 11:00. The conversation is unanswered: its live due time.
    let conv = ingest(
        store,
        ws,
        &[msg("c-1", Direction::In, "2024-06-07T15:00:00Z", None)],
    )
    .await[0];
    let fr = metric(&clocks(store, ws, conv).await, "first_response").clone();
    assert_eq!(fr.due_at, Some(ms("2024-06-11T11:00:00Z")));
    let state = store.sla_states(ws, &[conv]).await.unwrap().remove(0);
    assert_eq!(state.due_at, Some(ms("2024-06-11T11:00:00Z")));
    let live = hearken::sla::engine::live_view(
        &state,
        &store.sla_calendars(ws).await.unwrap(),
        hearken::domain::time::now_millis(),
    )
    .unwrap();
    assert_eq!(live.state, "breached");
}

#[tokio::test]
async fn case2_bot_acknowledgement_and_note_do_not_end_first_response() {
    let db = common::db().await;
    let store = &db.store;
    let ws = workspace(store, "bot").await;
    office(store, ws, &[]).await;
    policy(store, ws, "2024-01-01T00:00:00Z", 240, 4800).await;
    let conv = ingest(
        store,
        ws,
        &[
            msg("d-1", Direction::In, "2024-06-10T10:00:00Z", None),
            msg("d-2", Direction::Out, "2024-06-10T10:00:05Z", Some("d-1")),
            msg("d-3", Direction::In, "2024-06-11T10:00:00Z", Some("d-2")),
        ],
    )
    .await[0];
    // The acknowledgement came from an auto-responder.
    let ack = store
        .conversation_messages(ws, conv)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.platform_id == "d-2")
        .unwrap();
    store
        .sla_set_sender_kind(ws, ack.id, "automatic", &SYS)
        .await
        .unwrap();
    store
        .sla_record_event(
            ws,
            conv,
            ms("2024-06-11T11:00:00Z"),
            "private_note",
            None,
            &SYS,
        )
        .await
        .unwrap();
    ingest(
        store,
        ws,
        &[
            msg("d-4", Direction::In, "2024-06-12T10:00:00Z", Some("d-2")),
            msg("d-5", Direction::Out, "2024-06-13T10:00:00Z", Some("d-4")),
        ],
    )
    .await;
    // Mon 10:00 → Thu 10:00 = 3 days = 4320 calendar minutes; business time is
    // Mon 10–17 (420) + Tue (480) + Wed (480) + Thu 09–10 (60) = 1440.
    let k = clocks(store, ws, conv).await;
    let fr = metric(&k, "first_response");
    assert_eq!((fr.calendar_minutes, fr.business_minutes), (4320, 1440));
    assert_eq!(fr.ended_at, Some(ms("2024-06-13T10:00:00Z")));
    // All three customer messages were covered by that one clock and answered.
    assert_eq!(fr.inbound_items, 3);
    assert!(k.iter().all(|c| c.metric != "next_response"));
}

async fn case3(store: &DynStore, ws: WorkspaceId, change_at_tue_noon: bool) -> SlaClockRow {
    office(store, ws, &[]).await;
    policy(store, ws, "2024-01-01T00:00:00Z", 60, 480).await;
    let conv = ingest(
        store,
        ws,
        &[
            msg("e-1", Direction::In, "2024-06-10T09:00:00Z", None),
            msg("e-2", Direction::Out, "2024-06-10T09:30:00Z", Some("e-1")),
        ],
    )
    .await[0];
    let status = |at: &'static str, to: &'static str| {
        let store = store.clone();
        async move {
            store
                .sla_record_event(ws, conv, ms(at), "status_changed", Some(to), &SYS)
                .await
                .unwrap()
        }
    };
    status("2024-06-10T11:00:00Z", "pending").await;
    if change_at_tue_noon {
        // The target becomes 4 business hours at Tue 12:00, while the case is open.
        policy(store, ws, "2024-06-11T12:00:00Z", 60, 240).await;
    }
    status("2024-06-11T15:00:00Z", "open").await;
    status("2024-06-12T10:00:00Z", "resolved").await;
    metric(&clocks(store, ws, conv).await, "resolution").clone()
}

#[tokio::test]
async fn case3_pause_resolution_and_policy_change() {
    let db = common::db().await;
    let store = &db.store;
    // Active Mon 09–11 (120) + Tue 15–17 (120) + Wed 09–10 (60) = 300; paused
    // Mon 11–17 (360) + Tue 09–15 (360) = 720. 480 target: 360 left at Tue 15:00 →
    // Tue 15–17 (120) + Wed 09:00 + 240 = Wed 13:00.
    let r = case3(store, workspace(store, "v1").await, false).await;
    assert_eq!(
        (r.active_business_minutes, r.paused_business_minutes),
        (300, 720)
    );
    assert_eq!(r.outcome, "met");
    assert_eq!(r.due_at, Some(ms("2024-06-12T13:00:00Z")));
    assert_eq!(r.policy_version, Some(1));

    // With 240 from Tue 12:00: 240 − 120 = 120 left from Tue 15:00 → Tue 17:00; the
    // active time after it, Wed 09–10, is 60 minutes over.
    let r = case3(store, workspace(store, "v2").await, true).await;
    assert_eq!(r.due_at, Some(ms("2024-06-11T17:00:00Z")));
    assert_eq!(r.breached_at, Some(ms("2024-06-11T17:00:00Z")));
    assert_eq!(r.outcome, "breached");
    assert_eq!(r.overdue_minutes, 60);
    assert_eq!(r.policy_version, Some(2));
    // Both versions are kept: the change never rewrote version 1.
    let ws2 = store.workspace_by_slug("v2").await.unwrap().unwrap();
    let versions = store.sla_policies(WorkspaceId(ws2.id)).await.unwrap();
    assert_eq!(
        versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        [1, 2]
    );
}

#[tokio::test]
async fn case4_report_mean_median_and_unanswered_apart() {
    let db = common::db().await;
    let store = &db.store;
    let ws = workspace(store, "stats").await;
    // No calendar: 24x7 UTC. First responses of 2, 3, 4, 5 and 600 minutes, one unanswered.
    let mut batch = Vec::new();
    for (i, minutes) in [2i64, 3, 4, 5, 600].iter().enumerate() {
        let start = ms("2024-06-10T08:00:00Z") + i as i64 * 3_600_000;
        let mut a = msg(
            &format!("f{i}-1"),
            Direction::In,
            "2024-06-10T08:00:00Z",
            None,
        );
        a.platform_time = start;
        let mut b = msg(
            &format!("f{i}-2"),
            Direction::Out,
            "2024-06-10T08:00:00Z",
            None,
        );
        b.reply_to = Some(a.platform_id.clone());
        b.platform_time = start + minutes * 60_000;
        batch.push(a);
        batch.push(b);
    }
    batch.push(msg("g-1", Direction::In, "2024-06-10T20:00:00Z", None));
    ingest(store, ws, &batch).await;

    let q = ReportQuery {
        from: ms("2024-06-10T00:00:00Z"),
        to: ms("2024-06-12T00:00:00Z"),
        zone: "UTC".into(),
        bucket: Bucket::Day,
        by: Dimension::None,
        time: TimeKind::Calendar,
    };
    let data = ReportData::load(store, ws, q.from, q.to).await.unwrap();
    let r = report::compute(&q, &data);
    let all = r.totals.iter().find(|t| t.key == "all").unwrap();
    // (2 + 3 + 4 + 5 + 600) / 5 = 122.8; the middle of five is 4.
    assert_eq!(all.first_response.count, 5);
    assert_eq!(all.first_response.unanswered, 1);
    assert_eq!(all.first_response.mean, Some(122.8));
    assert_eq!(all.first_response.median, Some(4.0));
    assert_eq!(all.cases_opened, 6);
    // Six inbound items, five answered.
    assert_eq!((all.inbound_items, all.answered_items), (6, 5));
    // The same from the incremental daily aggregates.
    let params = report::ReportParams {
        from: Some("2024-06-10".into()),
        to: Some("2024-06-11".into()),
        time: Some("calendar".into()),
        ..Default::default()
    };
    let fast = report::run_rollups(store, ws, &params, hearken::domain::time::now_millis())
        .await
        .unwrap();
    let f = fast.totals.iter().find(|t| t.key == "all").unwrap();
    assert_eq!(
        (f.first_response.count, f.first_response.unanswered),
        (5, 1)
    );
    assert_eq!(f.first_response.mean, Some(122.8));
    assert_eq!(f.first_response.median, Some(4.0));
    assert_eq!(
        (f.cases_opened, f.inbound_items, f.answered_items),
        (6, 6, 5)
    );
    let csv = report::aggregate_csv(&r);
    assert!(csv.starts_with(report::BOM));
    let text = String::from_utf8(csv[3..].to_vec()).unwrap();
    assert!(
        text.contains("first_response_median_calendar_minutes"),
        "{text}"
    );
}
