//! Issue #5, contacts and the person's timeline: links with evidence that undo exactly,
//! suggestions that are only shown, no crossing of workspaces, one ordered timeline across
//! channels, and replies that keep their door after linking. Runs on SQLite, and on
//! PostgreSQL when HEARKEN_TEST_DATABASE_URL is set.

mod common;
mod history_support;

use common::{TestApp, TestUser};
use hearken::domain::channel::Channel;
use hearken::domain::WorkspaceId;
use history_support::*;
use serde_json::{json, Value};

async fn add_email(app: &TestApp, who: &TestUser, contact: i64, email: &str, verified: bool) {
    let (s, v) = app
        .api(
            &who.token,
            "POST",
            &format!("/api/v1/contacts/{contact}/attributes"),
            Some(json!({"kind": "email", "value": email, "verified": verified})),
        )
        .await;
    assert_eq!(s, 201, "{v}");
}

async fn timeline(app: &TestApp, who: &TestUser, contact: i64) -> Value {
    let (s, v) = app
        .api(
            &who.token,
            "GET",
            &format!("/api/v1/contacts/{contact}/timeline"),
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    v
}

#[tokio::test]
async fn two_x_users_giving_the_same_email_stay_two_contacts_with_one_suggestion() {
    let app = TestApp::new().await;
    let agent = app.user("agent").await;
    let items = [
        inbound(Channel::X, "acme", "a1", "1001", "hello", 1_000),
        inbound(Channel::X, "acme", "b1", "2002", "hi there", 2_000),
    ];
    ingest(app.store(), app.ws, &items).await;
    let a = contact_of(app.store(), app.ws, "x", "a1").await;
    let b = contact_of(app.store(), app.ws, "x", "b1").await;
    assert_ne!(a, b);
    add_email(&app, &agent, a, "shared@example.org", false).await;
    add_email(&app, &agent, b, "Shared@Example.org", false).await;

    assert_ne!(
        contact_of(app.store(), app.ws, "x", "a1").await,
        contact_of(app.store(), app.ws, "x", "b1").await
    );
    let (s, v) = app
        .api(&agent.token, "GET", "/api/v1/contact-suggestions", None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        v,
        json!([{"contact_id": a.min(b), "other_contact_id": a.max(b), "basis": "email"}])
    );
    let t = timeline(&app, &agent, a).await;
    assert_eq!(
        t["contacts"].as_array().unwrap().len(),
        1,
        "nothing applied"
    );
    assert_eq!(t["suggestions"].as_array().unwrap().len(), 1);
    assert!(t["links"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn the_same_email_in_two_workspaces_makes_one_contact_each_and_neither_sees_the_other() {
    let app = TestApp::new().await;
    let other = WorkspaceId(
        app.store()
            .create_workspace("globex", "Globex")
            .await
            .unwrap()
            .id,
    );
    let agent = app.user("agent").await;
    let other_agent = app.user_in(other, "agent", "agent@globex.test").await;
    let item = inbound(Channel::X, "brand", "s1", "3003", "hi", 1_000);
    ingest(app.store(), app.ws, std::slice::from_ref(&item)).await;
    ingest(app.store(), other, std::slice::from_ref(&item)).await;
    let mine = contact_of(app.store(), app.ws, "x", "s1").await;
    let theirs = contact_of(app.store(), other, "x", "s1").await;
    assert_ne!(mine, theirs);
    add_email(&app, &agent, mine, "same@example.org", true).await;
    add_email(&app, &other_agent, theirs, "same@example.org", true).await;

    for (who, foreign) in [(&agent, theirs), (&other_agent, mine)] {
        let (s, _) = app
            .api(
                &who.token,
                "GET",
                &format!("/api/v1/contacts/{foreign}/timeline"),
                None,
            )
            .await;
        assert_eq!(s, 404);
        let (s, _) = app
            .api(
                &who.token,
                "POST",
                &format!("/api/v1/contacts/{foreign}/attributes"),
                Some(json!({"kind": "phone", "value": "+1 555 0100 22"})),
            )
            .await;
        assert_eq!(s, 404);
        let (_, v) = app
            .api(&who.token, "GET", "/api/v1/contact-suggestions", None)
            .await;
        assert_eq!(v, json!([]));
    }
    let (s, _) = app
        .api(
            &agent.token,
            "POST",
            &format!("/api/v1/contacts/{mine}/links"),
            Some(json!({"linked_contact_id": theirs, "reason": "manual"})),
        )
        .await;
    assert_eq!(s, 404, "a link never crosses workspaces");
}

/// Everything stored about the two contacts, for exact comparison.
async fn snapshot(app: &TestApp, ids: &[i64]) -> Value {
    let s = app.store();
    let mut contacts = Vec::new();
    for id in ids {
        contacts.push(json!(s.contact(app.ws, *id).await.unwrap()));
    }
    let convs: Vec<Value> = s
        .conversations_of(app.ws, ids)
        .await
        .unwrap()
        .into_iter()
        .map(|c| json!([c.id, c.contact_id, c.identity_id, c.account_id, c.status]))
        .collect();
    json!({
        "contacts": contacts,
        "identities": s.identities_of(app.ws, ids).await.unwrap(),
        "attributes": s.attributes_of(app.ws, ids).await.unwrap(),
        "conversations": convs,
    })
}

#[tokio::test]
async fn linking_b_into_a_shows_all_four_conversations_and_undo_restores_both_exactly() {
    let app = TestApp::new().await;
    let agent = app.user("agent").await;
    let items = [
        inbound(Channel::X, "acme", "a1", "100", "A on X", 1_000),
        inbound(
            Channel::Mastodon,
            "acme@m.social",
            "b1",
            "200",
            "B first",
            2_000,
        ),
        inbound(
            Channel::Mastodon,
            "acme@m.social",
            "b2",
            "200",
            "B second",
            3_000,
        ),
        inbound(
            Channel::Mastodon,
            "acme@m.social",
            "b3",
            "200",
            "B third",
            4_000,
        ),
    ];
    ingest(app.store(), app.ws, &items).await;
    let a = contact_of(app.store(), app.ws, "x", "a1").await;
    let b = contact_of(app.store(), app.ws, "mastodon", "b1").await;
    add_email(&app, &agent, a, "x@ex.org", true).await;
    add_email(&app, &agent, b, "x@ex.org", true).await;
    add_email(&app, &agent, b, "y@ex.org", false).await;
    let before = snapshot(&app, &[a, b]).await;
    let tl_a = timeline(&app, &agent, a).await;
    let tl_b = timeline(&app, &agent, b).await;
    assert_eq!(tl_a["conversations"].as_array().unwrap().len(), 1);
    assert_eq!(tl_b["conversations"].as_array().unwrap().len(), 3);

    let (s, link) = app
        .api(
            &agent.token,
            "POST",
            &format!("/api/v1/contacts/{a}/links"),
            Some(json!({"linked_contact_id": b, "reason": "verified_email"})),
        )
        .await;
    assert_eq!(s, 201, "{link}");
    assert_eq!(link["linked_by"], format!("user:{}", agent.id));
    assert!(link["evidence"].as_str().unwrap().contains("x@ex.org"));

    let joined = timeline(&app, &agent, a).await;
    let convs = joined["conversations"].as_array().unwrap();
    assert_eq!(convs.len(), 4);
    assert!(
        convs.iter().all(|c| c["contact_id"].is_i64()),
        "no conversation without a contact"
    );
    let texts: Vec<&str> = joined["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, vec!["A on X", "B first", "B second", "B third"]);
    assert_eq!(
        joined["suggestions"],
        json!([]),
        "linked contacts are no longer suggested"
    );
    // Reading from B's side gives the same person.
    assert_eq!(
        timeline(&app, &agent, b).await["conversations"]
            .as_array()
            .unwrap()
            .len(),
        4
    );

    let link_id = link["id"].as_i64().unwrap();
    let (s, undone) = app
        .api(
            &agent.token,
            "POST",
            &format!("/api/v1/links/{link_id}/undo"),
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(undone["undone_by"], format!("user:{}", agent.id));
    assert_eq!(snapshot(&app, &[a, b]).await, before);
    for (id, old) in [(a, &tl_a), (b, &tl_b)] {
        let now = timeline(&app, &agent, id).await;
        for field in [
            "contacts",
            "conversations",
            "entries",
            "attributes",
            "identities",
            "vip",
        ] {
            assert_eq!(now[field], old[field], "{field} of contact {id}");
        }
    }
    let (s, _) = app
        .api(
            &agent.token,
            "POST",
            &format!("/api/v1/links/{link_id}/undo"),
            None,
        )
        .await;
    assert_eq!(s, 409);
}

#[tokio::test]
async fn a_verified_email_link_needs_the_evidence() {
    let app = TestApp::new().await;
    let agent = app.user("agent").await;
    let items = [
        inbound(Channel::X, "acme", "a1", "100", "a", 1_000),
        inbound(Channel::X, "acme", "b1", "200", "b", 2_000),
    ];
    ingest(app.store(), app.ws, &items).await;
    let a = contact_of(app.store(), app.ws, "x", "a1").await;
    let b = contact_of(app.store(), app.ws, "x", "b1").await;
    add_email(&app, &agent, a, "x@ex.org", true).await;
    add_email(&app, &agent, b, "x@ex.org", false).await;
    let (s, _) = app
        .api(
            &agent.token,
            "POST",
            &format!("/api/v1/contacts/{a}/links"),
            Some(json!({"linked_contact_id": b, "reason": "verified_email"})),
        )
        .await;
    assert_eq!(s, 422);
    let auditor = app.user("auditor").await;
    let (s, _) = app
        .api(
            &auditor.token,
            "POST",
            &format!("/api/v1/contacts/{a}/links"),
            Some(json!({"linked_contact_id": b, "reason": "customer_confirmed"})),
        )
        .await;
    assert_eq!(s, 403, "auditors change nothing");
}

#[tokio::test]
async fn the_same_handle_on_two_platforms_is_suggested() {
    let app = TestApp::new().await;
    let agent = app.user("agent").await;
    let items = [
        inbound(Channel::X, "acme", "a1", "77", "a", 1_000),
        inbound(Channel::Reddit, "acme", "r1", "77", "b", 2_000),
    ];
    ingest(app.store(), app.ws, &items).await;
    let a = contact_of(app.store(), app.ws, "x", "a1").await;
    let b = contact_of(app.store(), app.ws, "reddit", "r1").await;
    let (_, v) = app
        .api(&agent.token, "GET", "/api/v1/contact-suggestions", None)
        .await;
    assert_eq!(
        v,
        json!([{"contact_id": a.min(b), "other_contact_id": a.max(b), "basis": "handle"}])
    );
}

#[tokio::test]
async fn a_dismissed_suggestion_is_no_longer_shown_and_the_dismissal_is_audited() {
    let app = TestApp::new().await;
    let agent = app.user("agent").await;
    let auditor = app.user("auditor").await;
    let items = [
        inbound(Channel::X, "acme", "a1", "88", "a", 1_000),
        inbound(Channel::Reddit, "acme", "r1", "88", "b", 2_000),
    ];
    ingest(app.store(), app.ws, &items).await;
    let a = contact_of(app.store(), app.ws, "x", "a1").await;
    let b = contact_of(app.store(), app.ws, "reddit", "r1").await;
    let dismiss = |token: String, basis: &'static str, reason: &'static str| {
        let body =
            json!({"contact_id": b, "other_contact_id": a, "basis": basis, "reason": reason});
        let app = &app;
        async move {
            let path = "/api/v1/contact-suggestions/dismiss";
            app.api(&token, "POST", path, Some(body)).await.0
        }
    };
    let (agent_t, auditor_t) = (agent.token.clone(), auditor.token.clone());
    let s = dismiss(auditor_t, "handle", "different people").await;
    assert_eq!(s, 403, "auditors change nothing");
    let s = dismiss(agent_t.clone(), "shoe size", "x").await;
    assert_eq!(s, 422, "unknown basis");
    let s = dismiss(agent_t.clone(), "handle", " ").await;
    assert_eq!(s, 422, "a reason is required");
    let s = dismiss(agent_t.clone(), "handle", "different people").await;
    assert_eq!(s, 204);
    // Dismissing twice changes nothing and logs once.
    let s = dismiss(agent_t, "handle", "different people").await;
    assert_eq!(s, 204);
    let (_, v) = app
        .api(&agent.token, "GET", "/api/v1/contact-suggestions", None)
        .await;
    assert_eq!(v, json!([]));
    let (_, t) = app
        .api(
            &agent.token,
            "GET",
            &format!("/api/v1/contacts/{a}/timeline"),
            None,
        )
        .await;
    assert_eq!(t["suggestions"], json!([]));
    let filter = hearken::storage::AuditFilter {
        action: Some("suggestion.dismissed".into()),
        ..Default::default()
    };
    let events = app.store().audit_events(app.ws, &filter, 10).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor, format!("user:{}", agent.id));
    let after: serde_json::Value =
        serde_json::from_str(events[0].after_state.as_deref().unwrap()).unwrap();
    assert_eq!(
        (
            &after["contact_id"],
            &after["other_contact_id"],
            &after["basis"]
        ),
        (&json!(a.min(b)), &json!(a.max(b)), &json!("handle"))
    );
    // The contacts stay apart: dismissal links nothing.
    assert_ne!(a, b);
    assert_eq!(t["conversations"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_timeline_shows_versions_deletions_notes_tags_vip_and_attributes() {
    let app = TestApp::new().await;
    let agent = app.user("agent").await;
    let mut edited = inbound(Channel::X, "acme", "e1", "500", "final words", 1_000);
    edited.earlier_versions = vec!["first words".into(), "second words".into()];
    let mut gone = inbound(Channel::X, "acme", "d1", "500", "regrettable words", 2_000);
    gone.deleted_at = Some(1_700_000_000_000);
    ingest(app.store(), app.ws, &[edited, gone]).await;
    let contact = contact_of(app.store(), app.ws, "x", "e1").await;
    let conv = conversation_of(app.store(), app.ws, "x", "e1").await;
    let base = format!("/api/v1/conversations/{conv}");
    app.api(
        &agent.token,
        "POST",
        &format!("{base}/notes"),
        Some(json!({"body": "called them"})),
    )
    .await;
    app.api(
        &agent.token,
        "POST",
        &format!("{base}/tags"),
        Some(json!({"tag": "billing"})),
    )
    .await;
    let (s, _) = app
        .api(
            &agent.token,
            "PATCH",
            &format!("/api/v1/contacts/{contact}"),
            Some(json!({"vip": true})),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = app
        .api(
            &agent.token,
            "POST",
            &format!("/api/v1/contacts/{contact}/attributes"),
            Some(json!({"kind": "custom", "name": "plan", "value": "gold"})),
        )
        .await;
    assert_eq!(s, 201);

    let t = timeline(&app, &agent, contact).await;
    assert_eq!(t["vip"], true);
    assert_eq!(t["attributes"][0]["name"], "plan");
    let conv_ids: Vec<i64> = t["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    let tagged = t["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == conv)
        .unwrap();
    assert_eq!(tagged["tags"], json!(["billing"]));
    let entries = t["entries"].as_array().unwrap();
    let e1 = entries
        .iter()
        .find(|e| e["message"]["platform_id"] == "e1")
        .unwrap();
    let versions: Vec<&str> = e1["message"]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["text"].as_str().unwrap())
        .collect();
    assert_eq!(versions, vec!["first words", "second words", "final words"]);
    let d1 = entries
        .iter()
        .find(|e| e["message"]["platform_id"] == "d1")
        .unwrap();
    assert_eq!(d1["message"]["deleted"], true);
    assert_eq!(d1["message"]["text"], Value::Null);
    assert_eq!(
        d1["message"]["tombstone"],
        "deleted on X at 2023-11-14 22:13:20 UTC"
    );
    assert!(!t.to_string().contains("regrettable"));
    let note = entries.iter().find(|e| e["note"].is_object()).unwrap();
    assert_eq!(note["note"]["body"], "called them");
    assert!(conv_ids.contains(&note["conversation_id"].as_i64().unwrap()));
    // Ordered by time.
    let ats: Vec<i64> = entries.iter().map(|e| e["at"].as_i64().unwrap()).collect();
    let mut sorted = ats.clone();
    sorted.sort();
    assert_eq!(ats, sorted);

    let (s, _, page) = get_raw(&app, &agent.token, &format!("/contacts/{contact}")).await;
    assert_eq!(s, 200);
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains("deleted on X at"));
    assert!(!page.contains("regrettable"));
}

#[tokio::test]
async fn after_linking_a_reply_still_leaves_through_its_own_identity_and_account() {
    let app = TestApp::new().await;
    let agent = app.user("agent").await;
    let mut dm = inbound(Channel::X, "acme_help", "x1", "100", "dm on X", 1_000);
    dm.visibility = hearken::domain::channel::Visibility::Private;
    let items = [
        dm,
        inbound(
            Channel::Mastodon,
            "acme@m.social",
            "m1",
            "200",
            "toot",
            2_000,
        ),
    ];
    ingest(app.store(), app.ws, &items).await;
    let a = contact_of(app.store(), app.ws, "x", "x1").await;
    let b = contact_of(app.store(), app.ws, "mastodon", "m1").await;
    let conv_a = conversation_of(app.store(), app.ws, "x", "x1").await;
    let conv_b = conversation_of(app.store(), app.ws, "mastodon", "m1").await;
    let (s, _) = app
        .api(
            &agent.token,
            "POST",
            &format!("/api/v1/contacts/{a}/links"),
            Some(json!({"linked_contact_id": b, "reason": "customer_confirmed", "evidence": "said so in DM"})),
        )
        .await;
    assert_eq!(s, 201);
    for (conv, text) in [(conv_a, "reply to A"), (conv_b, "reply to B")] {
        let (s, v) = app
            .api(
                &agent.token,
                "POST",
                &format!("/api/v1/conversations/{conv}/replies"),
                Some(json!({"text": text})),
            )
            .await;
        assert_eq!(s, 201, "{v}");
    }
    let accounts = app.store().accounts(app.ws).await.unwrap();
    let acct = |h: &str| accounts.iter().find(|x| x.handle == h).unwrap().id;
    let outbox = app.store().sandbox_outbox(app.ws).await.unwrap();
    let sent: Vec<(i64, &str, Option<&str>, &str)> = outbox
        .iter()
        .map(|o| {
            (
                o.account_id,
                o.kind.as_str(),
                o.in_reply_to.as_deref(),
                o.text.as_str(),
            )
        })
        .collect();
    assert_eq!(
        sent,
        vec![
            (acct("acme_help"), "dm", Some("x1"), "reply to A"),
            (acct("acme@m.social"), "public", Some("m1"), "reply to B"),
        ]
    );
    for (conv, identity_handle) in [(conv_a, "h_100"), (conv_b, "h_200")] {
        let (_, v) = app
            .api(
                &agent.token,
                "GET",
                &format!("/api/v1/conversations/{conv}"),
                None,
            )
            .await;
        let out = v["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["direction"] == "out")
            .unwrap()
            .clone();
        assert_eq!(out["handle"], identity_handle);
    }
}

/// A customer who renames themselves keeps one identity: the newest message sets the
/// current handle and name, the names it replaced are kept with the time they ended, a
/// late-arriving older message renames nothing, and erasure removes the old names too.
#[tokio::test]
async fn a_renamed_customer_keeps_one_identity_with_its_earlier_names() {
    let app = TestApp::new().await;
    let admin = app.user("admin").await;
    let renamed =
        |mut m: hearken::domain::message::IncomingMessage, handle: &str, name: Option<&str>| {
            let who = m.customer.as_mut().unwrap();
            who.handle = handle.into();
            who.display_name = name.map(Into::into);
            m
        };
    let t = 1_700_000_000_000i64;
    let first = inbound(Channel::X, "acme", "r1", "77", "first", t);
    let second = renamed(
        inbound(Channel::X, "acme", "r2", "77", "second", t + 1000),
        "new_handle",
        Some("New Name"),
    );
    // Same handle, no display name given: not a rename.
    let third = renamed(
        inbound(Channel::X, "acme", "r3", "77", "third", t + 2000),
        "new_handle",
        None,
    );
    ingest(app.store(), app.ws, &[first]).await;
    ingest(app.store(), app.ws, &[second, third]).await;
    // An older message under the first handle arrives late.
    let late = inbound(Channel::X, "acme", "r0", "77", "late", t - 1000);
    ingest(app.store(), app.ws, &[late]).await;

    let contact = contact_of(app.store(), app.ws, "x", "r1").await;
    assert_eq!(contact, contact_of(app.store(), app.ws, "x", "r2").await);
    let tl = timeline(&app, &admin, contact).await;
    let ids = tl["identities"].as_array().unwrap();
    assert_eq!(ids.len(), 1, "{tl}");
    assert_eq!(
        (ids[0]["handle"].as_str(), ids[0]["display_name"].as_str()),
        (Some("new_handle"), Some("New Name"))
    );
    assert_eq!(
        tl["past_names"],
        json!([{ "identity_id": ids[0]["id"], "handle": "h_77", "display_name": "Name 77", "until_at": t + 1000 }])
    );

    let (status, _) = app
        .api(
            &admin.token,
            "POST",
            &format!("/api/v1/contacts/{contact}/erasure"),
            Some(json!({"reason": "request"})),
        )
        .await;
    assert_eq!(status, 200);
    let tl = timeline(&app, &admin, contact).await;
    assert_eq!(
        tl["past_names"],
        json!([]),
        "erasure removes the earlier names"
    );
}
