//! Accept, then process (issue #6): the real `hearken serve` binary takes a burst of signed
//! deliveries, is killed with SIGKILL in the middle of it, and is started again. Every
//! delivery it acknowledged must end as exactly one message; nothing is doubled.

use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hearken::domain::WorkspaceId;
use hearken_connectors::signature;
use serde_json::json;

const SECRET: &str = "crash-test-app-secret-123";
const PAGE: &str = "PAGE9";
const BURST: usize = 600;
const KILL_AFTER: usize = 150;

/// A database for the run: a SQLite file, or a fresh PostgreSQL database.
struct Db {
    url: String,
    _dir: tempfile::TempDir,
    pg_drop: Option<(String, String)>,
}

async fn database() -> Db {
    let dir = tempfile::tempdir().unwrap();
    match std::env::var("HEARKEN_TEST_DATABASE_URL") {
        Ok(base) => {
            use sqlx::Connection;
            let name = format!("hk_crash_{}", std::process::id());
            let mut c = sqlx::PgConnection::connect(&base).await.unwrap();
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
                .execute(&mut c)
                .await;
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut c)
                .await
                .unwrap();
            let (root, _) = base.rsplit_once('/').unwrap();
            Db {
                url: format!("{root}/{name}"),
                _dir: dir,
                pg_drop: Some((base, name)),
            }
        }
        Err(_) => Db {
            url: format!("sqlite://{}", dir.path().join("crash.db").display()),
            _dir: dir,
            pg_drop: None,
        },
    }
}

fn hearken(db: &Db) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hearken"));
    c.env("HEARKEN_DATABASE_URL", &db.url)
        .env("HEARKEN_DATA_DIR", db._dir.path())
        .env("HEARKEN_SECRET_KEY", "crash test installation key")
        .env("HEARKEN_ACCOUNT_APP_SECRET", SECRET)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    c
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn serve(db: &Db, port: u16) -> Child {
    let mut child = hearken(db)
        .arg("serve")
        .env("HEARKEN_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    for _ in 0..600 {
        if client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .is_ok()
        {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("hearken serve did not come up");
}

fn body(n: usize) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "object": "page",
        "entry": [{ "id": PAGE, "time": 1_764_000_000_000i64, "messaging": [{
            "sender": { "id": format!("cust-{}", n % 50) }, "recipient": { "id": PAGE },
            "timestamp": 1_764_000_000_000i64 + n as i64,
            "message": { "mid": format!("burst-{n}"), "text": format!("message number {n}") },
        }]}],
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_burst_loses_nothing_acknowledged_and_doubles_nothing() {
    let db = database().await;
    let out = hearken(&db)
        .args([
            "account",
            "connect",
            "--channel",
            "messenger",
            "--handle",
            "crash-page",
        ])
        .args(["--platform-user-id", PAGE])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let view: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let path = view["webhook_path"].as_str().unwrap().to_owned();
    assert!(!String::from_utf8_lossy(&out.stdout).contains(SECRET));

    let port = free_port();
    let mut server = serve(&db, port).await;
    let acked = Arc::new(Mutex::new(Vec::new()));
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}{path}");
    let (kill_tx, kill_rx) = tokio::sync::oneshot::channel::<()>();
    let kill_tx = Arc::new(Mutex::new(Some(kill_tx)));
    let mut tasks = Vec::new();
    for lane in 0..16 {
        let (client, url, acked, kill_tx) =
            (client.clone(), url.clone(), acked.clone(), kill_tx.clone());
        tasks.push(tokio::spawn(async move {
            for n in (lane..BURST).step_by(16) {
                let b = body(n);
                let sig = signature::meta_signature_256(SECRET, &b);
                let sent = client
                    .post(&url)
                    .header("x-hub-signature-256", sig)
                    .body(b)
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status().is_success() => {
                        let mut a = acked.lock().unwrap();
                        a.push(n);
                        if a.len() >= KILL_AFTER {
                            if let Some(tx) = kill_tx.lock().unwrap().take() {
                                let _ = tx.send(());
                            }
                        }
                    }
                    Ok(r) => panic!("unexpected status {}", r.status()),
                    Err(_) => {}
                }
            }
        }));
    }
    kill_rx.await.unwrap();
    server.kill().unwrap(); // SIGKILL on Unix
    server.wait().unwrap();
    for t in tasks {
        t.await.unwrap();
    }
    let acked: HashSet<usize> = acked.lock().unwrap().iter().copied().collect();
    assert!(
        acked.len() >= KILL_AFTER && acked.len() < BURST,
        "killed mid-burst: {}",
        acked.len()
    );

    let mut server = serve(&db, port).await;
    let store = hearken::storage::connect(&db.url).await.unwrap();
    let ws = WorkspaceId(
        store
            .workspace_by_slug("default")
            .await
            .unwrap()
            .unwrap()
            .id,
    );
    let mut drained = false;
    for _ in 0..1200 {
        if store.pending_deliveries().await.unwrap() == 0 {
            drained = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(drained, "the restarted worker processed what was pending");
    let account = view["account_id"].as_i64().unwrap();
    let stored = store.deliveries(ws, account).await.unwrap();
    assert!(stored.iter().all(|(_, state, _)| state == "done"));
    let mut messages = 0;
    for n in 0..BURST {
        let found = store
            .messages_by_platform_id(ws, "messenger", &format!("burst-{n}"))
            .await
            .unwrap();
        assert!(found.len() <= 1, "burst-{n} doubled");
        if acked.contains(&n) {
            assert_eq!(found.len(), 1, "acknowledged burst-{n} lost");
        }
        messages += found.len();
    }
    // Each stored delivery became exactly one message; unacknowledged ones may or may
    // not have been written before the kill.
    assert_eq!(messages, stored.len());
    server.kill().unwrap();
    server.wait().unwrap();
    drop(store);
    if let Some((base, name)) = &db.pg_drop {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(base).await.unwrap();
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut c)
            .await;
    }
}
