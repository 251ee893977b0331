//! Importing real data: every row lands, threads are rebuilt, a second import adds nothing,
//! bad rows are reported with their line and the rest still import.

mod common;

use std::collections::{HashMap, HashSet};

use hearken::domain::{Actor, WorkspaceId};
use hearken::import::{self, progress::Progress, Format, ImportSummary};
use hearken::storage::{DynStore, InboxFilter};

async fn import_file(
    store: &DynStore,
    ws: WorkspaceId,
    format: Format,
    bytes: &[u8],
) -> ImportSummary {
    let rows = import::parse(format, bytes);
    import::run(store, ws, &Actor::System("test"), rows, &Progress::hidden())
        .await
        .unwrap()
}

async fn workspace(store: &DynStore, slug: &str) -> WorkspaceId {
    WorkspaceId(store.create_workspace(slug, slug).await.unwrap().id)
}

/// The TWCS rows as the csv crate reads them: id -> in_response_to.
fn twcs_reply_links(bytes: &[u8]) -> Vec<(String, Option<String>)> {
    let mut r = csv::Reader::from_reader(bytes);
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let parent = rec[6].trim().to_owned();
            (rec[0].to_owned(), (!parent.is_empty()).then_some(parent))
        })
        .collect()
}

#[tokio::test]
async fn twcs_head_sample_imports_every_row_and_rebuilds_threads() {
    let db = common::db().await;
    let ws = workspace(&db.store, "acme").await;
    let bytes =
        std::fs::read(common::shared_data().join("conversations/twcs/twcs_head_sample.csv"))
            .unwrap();
    let links = twcs_reply_links(&bytes);

    let first = import_file(&db.store, ws, Format::Twcs, &bytes).await;
    assert_eq!(first.read, links.len() as u64);
    assert_eq!(first.imported, links.len() as u64);
    assert_eq!((first.duplicates, first.rejected), (0, 0));

    // Map every message to its conversation through the API-facing store calls.
    let mut conv_of: HashMap<String, i64> = HashMap::new();
    let mut after = None;
    loop {
        let page = db
            .store
            .inbox(
                ws,
                &InboxFilter {
                    after,
                    ..Default::default()
                },
                200,
            )
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        after = Some(hearken::storage::InboxCursor {
            activity_at: last.activity_at,
            id: last.id,
        });
        for c in &page {
            for m in db.store.conversation_messages(ws, c.id).await.unwrap() {
                conv_of.insert(m.platform_id, c.id);
            }
        }
    }
    assert_eq!(
        conv_of.len(),
        links.len(),
        "every message is in some conversation"
    );
    let ids: HashSet<&String> = links.iter().map(|(id, _)| id).collect();
    let mut joined = 0;
    for (id, parent) in &links {
        if let Some(p) = parent.as_ref().filter(|p| ids.contains(p)) {
            assert_eq!(
                conv_of[id], conv_of[p],
                "reply {id} sits in the conversation of its parent {p}"
            );
            joined += 1;
        }
    }
    assert_eq!(
        joined, 2765,
        "PROVENANCE-independent count of in-file reply links"
    );

    // And nothing is joined that the file does not link: the conversations are exactly the
    // connected components of the in-file reply links (union-find, computed here).
    let mut root: HashMap<String, String> = links
        .iter()
        .map(|(id, _)| (id.clone(), id.clone()))
        .collect();
    fn find(root: &mut HashMap<String, String>, x: &str) -> String {
        let mut r = x.to_owned();
        while root[&r] != r {
            r = root[&r].clone();
        }
        root.insert(x.to_owned(), r.clone());
        r
    }
    for (id, parent) in &links {
        if let Some(p) = parent.as_ref().filter(|p| ids.contains(p)) {
            let (a, b) = (find(&mut root, id), find(&mut root, p));
            root.insert(a, b);
        }
    }
    let mut want: HashMap<String, Vec<String>> = HashMap::new();
    let mut got: HashMap<i64, Vec<String>> = HashMap::new();
    for (id, _) in &links {
        let r = find(&mut root, id);
        want.entry(r).or_default().push(id.clone());
        got.entry(conv_of[id]).or_default().push(id.clone());
    }
    let sorted = |groups: Vec<Vec<String>>| {
        let mut g: Vec<Vec<String>> = groups
            .into_iter()
            .map(|mut v| {
                v.sort();
                v
            })
            .collect();
        g.sort();
        g
    };
    let (want, got) = (
        sorted(want.into_values().collect()),
        sorted(got.into_values().collect()),
    );
    assert_eq!(
        got.len(),
        998,
        "PROVENANCE.md counts 998 threads in this file"
    );
    assert_eq!(got, want);

    let second = import_file(&db.store, ws, Format::Twcs, &bytes).await;
    assert_eq!(
        (second.imported, second.duplicates),
        (0, links.len() as u64)
    );
}

#[tokio::test]
async fn a_reply_arriving_before_its_parent_joins_the_parents_conversation() {
    let db = common::db().await;
    let ws = workspace(&db.store, "acme").await;
    let header =
        "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n";
    let reply = format!("{header}2,acme,False,Tue Oct 31 22:12:00 +0000 2017,@9 we can help,,1\n");
    let parent = format!("{header}1,9,True,Tue Oct 31 22:10:00 +0000 2017,@acme help,2,\n");
    import_file(&db.store, ws, Format::Twcs, reply.as_bytes()).await;
    assert_eq!(
        db.store
            .inbox(ws, &InboxFilter::default(), 10)
            .await
            .unwrap()
            .len(),
        1
    );
    import_file(&db.store, ws, Format::Twcs, parent.as_bytes()).await;
    let convs = db
        .store
        .inbox(ws, &InboxFilter::default(), 10)
        .await
        .unwrap();
    assert_eq!(convs.len(), 1, "the two conversations became one");
    let msgs = db
        .store
        .conversation_messages(ws, convs[0].id)
        .await
        .unwrap();
    let order: Vec<&str> = msgs.iter().map(|m| m.platform_id.as_str()).collect();
    assert_eq!(order, ["1", "2"]);
    assert_eq!(msgs[1].direction, "out", "the brand reply is outbound");
    assert_eq!(convs[0].customer_handle.as_deref(), Some("9"));
    assert_eq!(convs[0].waiting_since, None, "the customer was answered");
}

#[tokio::test]
async fn bad_rows_are_reported_and_the_rest_import() {
    let db = common::db().await;
    let ws = workspace(&db.store, "acme").await;
    let data =
        "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n\
        10,5,True,Tue Oct 31 22:10:00 +0000 2017,@acme one,,\n\
        ,5,True,Tue Oct 31 22:10:00 +0000 2017,@acme no id,,\n\
        12,5,True,31/10/2017,@acme bad date,,\n\
        13,5,True,Tue Oct 31 22:10:00 +0000 2017,\"@acme broken quote,,\n\
        14,5,True,Tue Oct 31 22:11:00 +0000 2017,@acme four,,\n";
    let s = import_file(&db.store, ws, Format::Twcs, data.as_bytes()).await;
    assert_eq!((s.imported, s.rejected), (2, 3));
    let lines: Vec<u64> = s.rejections.iter().map(|r| r.line).collect();
    assert_eq!(lines, [3, 4, 5]);
    assert!(s.rejections[0].reason.contains("tweet_id is empty"));
    assert!(s.rejections[1].reason.contains("created_at"));
}

#[tokio::test]
async fn every_shared_conversation_file_imports() {
    let db = common::db().await;
    let dir = common::shared_data().join("conversations");
    let files = [
        ("twcs/twcs_head_sample.csv", Format::Twcs),
        ("twcs/twcs_kaggle_sample.csv", Format::Twcs),
        ("twcs/twcs_random_sample.csv", Format::Twcs),
        ("ibm_cdp/cdp_dev.json", Format::IbmCdp),
        ("ibm_cdp/cdp_test.json", Format::IbmCdp),
    ];
    for (i, (file, format)) in files.iter().enumerate() {
        // One workspace per file, so duplicates across files do not mix in.
        let ws = workspace(&db.store, &format!("w{i}")).await;
        let s = import_file(
            &db.store,
            ws,
            *format,
            &std::fs::read(dir.join(file)).unwrap(),
        )
        .await;
        assert_eq!(s.rejected, 0, "{file}: {:?}", s.rejections.first());
        assert_eq!(s.imported + s.duplicates, s.read, "{file}");
        assert!(s.imported > 0, "{file}");
    }
}

#[tokio::test]
async fn ndjson_export_reads_back_to_an_identical_desk() {
    let db = common::db().await;
    let a = workspace(&db.store, "a").await;
    let bytes =
        std::fs::read(common::shared_data().join("conversations/twcs/twcs_kaggle_sample.csv"))
            .unwrap();
    import_file(&db.store, a, Format::Twcs, &bytes).await;
    let convs = db.store.inbox(a, &InboxFilter::default(), 5).await.unwrap();
    db.store
        .add_tag(a, convs[0].id, "refund", &Actor::System("test"))
        .await
        .unwrap();
    let mut first = Vec::new();
    hearken::export::write_ndjson(&db.store, a, &mut first)
        .await
        .unwrap();

    let b = workspace(&db.store, "b").await;
    let s = import_file(&db.store, b, Format::Ndjson, &first).await;
    assert_eq!((s.imported, s.rejected), (77, 0));
    let mut second = Vec::new();
    hearken::export::write_ndjson(&db.store, b, &mut second)
        .await
        .unwrap();
    assert_eq!(
        String::from_utf8(first).unwrap(),
        String::from_utf8(second).unwrap()
    );
}

#[tokio::test]
async fn early_replies_in_several_conversations_are_joined_when_the_parent_arrives() {
    let db = common::db().await;
    let header =
        "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n";
    for (slug, batches) in [
        // Each reply in its own import, then the parent: three conversations become one.
        (
            "apart",
            vec![
                "2,acme,False,Tue Oct 31 22:12:00 +0000 2017,@9 first answer,,1\n",
                "3,9,True,Tue Oct 31 22:13:00 +0000 2017,@acme also,,1\n",
                "1,9,True,Tue Oct 31 22:10:00 +0000 2017,@acme help,\"2,3\",\n",
            ],
        ),
        // The same rows in one batch, replies first.
        (
            "together",
            vec![
                "2,acme,False,Tue Oct 31 22:12:00 +0000 2017,@9 first answer,,1\n\
             3,9,True,Tue Oct 31 22:13:00 +0000 2017,@acme also,,1\n\
             1,9,True,Tue Oct 31 22:10:00 +0000 2017,@acme help,\"2,3\",\n",
            ],
        ),
    ] {
        let ws = workspace(&db.store, slug).await;
        for rows in batches {
            let s = import_file(
                &db.store,
                ws,
                Format::Twcs,
                format!("{header}{rows}").as_bytes(),
            )
            .await;
            assert_eq!(s.rejected, 0);
        }
        let convs = db
            .store
            .inbox(ws, &InboxFilter::default(), 10)
            .await
            .unwrap();
        assert_eq!(convs.len(), 1, "{slug}: one conversation");
        let msgs = db
            .store
            .conversation_messages(ws, convs[0].id)
            .await
            .unwrap();
        let ids: Vec<&str> = msgs.iter().map(|m| m.platform_id.as_str()).collect();
        assert_eq!(ids, ["1", "2", "3"], "{slug}");
        assert_eq!(convs[0].message_count, 3);
        // The customer's 22:13 message came after the brand's answer: waiting since 22:13.
        let t: jiff::Timestamp = "2017-10-31T22:13:00Z".parse().unwrap();
        assert_eq!(convs[0].waiting_since, Some(t.as_millisecond()), "{slug}");
    }
}
