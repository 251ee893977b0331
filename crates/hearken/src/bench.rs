//! `hearken bench`: import throughput, raw insert rate, inbox page latency and resident
//! memory on a database of the given size, for SQLite or PostgreSQL. A benchmark, never a
//! test: it prints figures and asserts nothing.
//!
//! The rows are the TWCS head sample replicated with fresh ids (reply ids shifted the same
//! way, so each copy keeps its threads) until the requested count.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Args;

use crate::config::Settings;
use crate::domain::message::IncomingMessage;
use crate::domain::{Actor, WorkspaceId};
use crate::import::{self, progress::Progress, twcs};
use crate::storage::{self, DynStore, InboxFilter};

/// Options of the benchmark.
#[derive(Args)]
pub struct BenchArgs {
    /// The TWCS CSV to replicate.
    #[arg(
        long,
        default_value = "../shared/data/conversations/twcs/twcs_head_sample.csv"
    )]
    pub twcs: PathBuf,
    /// How many messages to import.
    #[arg(long, default_value_t = 1_000_000)]
    pub rows: usize,
    /// Database URL; default a fresh SQLite file in a temporary directory.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Inbox queries to time per kind.
    #[arg(long, default_value_t = 300)]
    pub queries: usize,
}

/// Runs the benchmark and prints its figures.
pub async fn run(_settings: Settings, args: BenchArgs) -> anyhow::Result<()> {
    let bytes =
        std::fs::read(&args.twcs).with_context(|| format!("reading {}", args.twcs.display()))?;
    let base: Vec<IncomingMessage> = twcs::parse(&bytes)
        .filter_map(Result::ok)
        .map(|(_, m)| m)
        .collect();
    anyhow::ensure!(!base.is_empty(), "no rows in {}", args.twcs.display());
    let rows = replicate(&base, args.rows);
    let (url, _tmp) = database_url(&args)?;
    let store = storage::connect(&url).await?;
    println!("backend: {}  rows: {}", store.backend(), rows.len());

    let raw = raw_insert_rate(&store, &url, &rows).await?;
    println!(
        "raw insert into a bare table ({} rows a statement, {} a transaction): {:.0} rows/s",
        crate::storage::ingest::INSERT_CHUNK,
        import::BATCH_SIZE,
        raw
    );

    let ws = WorkspaceId(store.create_workspace("bench", "bench").await?.id);
    let started = Instant::now();
    let numbered = rows
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, m)| Ok((i as u64 + 1, m)));
    let summary = import::run(
        &store,
        ws,
        &Actor::System("bench"),
        numbered,
        &Progress::for_rows(rows.len() as u64),
    )
    .await?;
    let secs = started.elapsed().as_secs_f64();
    drop(rows);
    let rate = summary.imported as f64 / secs;
    println!(
        "import: {} messages in {:.1} s = {:.0} messages/s ({:.0}% of raw)",
        summary.imported,
        secs,
        rate,
        100.0 * rate / raw
    );

    inbox_latency(
        &store,
        ws,
        "newest first, waiting for us",
        InboxFilter {
            waiting: true,
            ..Default::default()
        },
        args.queries,
    )
    .await?;
    inbox_latency(
        &store,
        ws,
        "filter status=new, channel=x",
        InboxFilter {
            status: Some("new".into()),
            channel: Some("x".into()),
            ..Default::default()
        },
        args.queries,
    )
    .await?;
    inbox_latency(
        &store,
        ws,
        "filter tag (none match)",
        InboxFilter {
            tag: Some("vip".into()),
            ..Default::default()
        },
        args.queries.min(50),
    )
    .await?;
    server_phase(&store, ws, &url, args.queries).await
}

/// Starts `hearken serve` on the benchmark's database as a child process, times inbox
/// pages through the JSON API, and reads the server's resident memory with the desk loaded.
async fn server_phase(
    store: &DynStore,
    ws: WorkspaceId,
    url: &str,
    queries: usize,
) -> anyhow::Result<()> {
    use crate::auth::secret::{new_api_token, new_token, token_hash};
    use crate::auth::users::{self, NewUserRequest};

    let actor = Actor::System("bench");
    let req = NewUserRequest {
        name: "Bench".into(),
        email: format!("bench-{}@bench.test", &new_token()[..8]).to_lowercase(),
        role: "admin".into(),
        password: new_token(),
    };
    let user = users::create(store, ws, &req, &actor)
        .await
        .map_err(|e| anyhow::anyhow!("creating the bench user: {e:?}"))?;
    let token = new_api_token();
    store
        .create_token(ws, user.id, "bench", &token_hash(&token), &actor)
        .await?;

    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let data = tempfile_dir::TempDir::new()?;
    let mut child = tokio::process::Command::new(std::env::current_exe()?)
        .arg("serve")
        .env("HEARKEN_DATABASE_URL", url)
        .env("HEARKEN_LISTEN", format!("127.0.0.1:{port}"))
        .env("HEARKEN_DATA_DIR", data.path())
        .env("HEARKEN_RECONCILE_SECS", "0")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("starting hearken serve")?;
    let pid = child.id().context("server pid")?;
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let started = Instant::now();
    while http.get(format!("{base}/healthz")).send().await.is_err() {
        anyhow::ensure!(
            started.elapsed().as_secs() < 120,
            "the server did not start"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    for (label, query) in [
        ("newest first, waiting for us", "waiting=true"),
        ("filter status=new, channel=x", "status=new&channel=x"),
    ] {
        let mut times = Vec::with_capacity(queries);
        let mut after: Option<String> = None;
        for _ in 0..queries {
            let mut u = format!("{base}/api/v1/conversations?limit=50&{query}");
            if let Some(a) = &after {
                u.push_str(&format!("&after={a}"));
            }
            let t = Instant::now();
            let resp = http.get(&u).bearer_auth(&token).send().await?;
            anyhow::ensure!(resp.status().is_success(), "GET {u}: {}", resp.status());
            let body: serde_json::Value = resp.json().await?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            // A few pages deep, then from the top again.
            after = match body["next"].as_str() {
                Some(n) if times.len() % 10 != 0 => Some(n.to_owned()),
                _ => None,
            };
        }
        report("GET /api/v1/conversations", label, &mut times);
    }
    println!(
        "server resident memory with the desk loaded: {} (peak {})",
        proc_status(pid, "VmRSS"),
        proc_status(pid, "VmHWM")
    );
    child.kill().await.ok();
    Ok(())
}

fn report(what: &str, label: &str, times: &mut [f64]) {
    times.sort_by(|a, b| a.total_cmp(b));
    let n = times.len();
    let pct = |q: f64| times[((n as f64 * q).ceil() as usize).clamp(1, n) - 1];
    println!(
        "{what} page of 50 ({label}): p50 {:.2} ms, p99 {:.2} ms over {n} requests",
        pct(0.5),
        pct(0.99)
    );
}

/// Copies of the base rows with ids offset per copy until `n` rows.
pub fn replicate(base: &[IncomingMessage], n: usize) -> Vec<IncomingMessage> {
    let mut out = Vec::with_capacity(n);
    let mut copy = 0u64;
    while out.len() < n {
        for m in base {
            if out.len() == n {
                break;
            }
            let mut m = m.clone();
            if copy > 0 {
                m.platform_id = format!("{}-{copy}", m.platform_id);
                m.reply_to = m.reply_to.map(|r| format!("{r}-{copy}"));
                if let Some(c) = m.customer.as_mut() {
                    c.platform_user_id = format!("{}-{copy}", c.platform_user_id);
                }
            }
            out.push(m);
        }
        copy += 1;
    }
    out
}

fn database_url(args: &BenchArgs) -> anyhow::Result<(String, Option<tempfile_dir::TempDir>)> {
    if let Some(u) = &args.database_url {
        return Ok((u.clone(), None));
    }
    let dir = tempfile_dir::TempDir::new()?;
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    Ok((url, Some(dir)))
}

/// The same rows into a bare table with one unique index, in the import's transaction and
/// statement sizes, in the same database: what the disk and the driver allow at best.
async fn raw_insert_rate(
    store: &DynStore,
    url: &str,
    rows: &[IncomingMessage],
) -> anyhow::Result<f64> {
    let started = Instant::now();
    raw::insert_all(url, rows, import::BATCH_SIZE).await?;
    let _ = store;
    Ok(rows.len() as f64 / started.elapsed().as_secs_f64())
}

async fn inbox_latency(
    store: &DynStore,
    ws: WorkspaceId,
    label: &str,
    filter: InboxFilter,
    n: usize,
) -> anyhow::Result<()> {
    let mut times = Vec::with_capacity(n);
    let mut cursor = None;
    for _ in 0..n {
        let f = InboxFilter {
            after: cursor,
            ..filter.clone()
        };
        let t = Instant::now();
        let page = store.inbox(ws, &f, 50).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        // Walk a few pages deep, then start over, so both first and later pages count.
        cursor = match page.last() {
            Some(r) if times.len() % 10 != 0 => Some(crate::storage::InboxCursor {
                activity_at: r.activity_at,
                id: r.id,
            }),
            _ => None,
        };
    }
    report("store inbox query", label, &mut times);
    Ok(())
}

fn proc_status(pid: u32, field: &str) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .map(|l| l[field.len() + 1..].trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// A temporary directory removed on drop, without a dev-only dependency.
mod tempfile_dir {
    use std::path::{Path, PathBuf};

    pub struct TempDir(PathBuf);

    impl TempDir {
        pub fn new() -> std::io::Result<TempDir> {
            let p = std::env::temp_dir().join(format!(
                "hearken-bench-{}",
                crate::auth::secret::new_token()
            ));
            std::fs::create_dir_all(&p)?;
            Ok(TempDir(p))
        }

        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

mod raw {
    use sqlx::Connection;

    use crate::domain::message::IncomingMessage;

    const CREATE: &str = "CREATE TABLE IF NOT EXISTS bench_raw (id BIGINT PRIMARY KEY, \
        platform_id TEXT NOT NULL UNIQUE, direction TEXT NOT NULL, reply_to TEXT, \
        account TEXT NOT NULL, text TEXT NOT NULL, platform_time BIGINT NOT NULL)";
    /// Rows per statement: the import's own multi-row chunk.
    const ROWS: usize = crate::storage::ingest::INSERT_CHUNK;

    /// A multi-row INSERT of `n` rows; plain `?` parameters on SQLite, as the import's
    /// statements use there.
    fn insert_sql(n: usize, sqlite: bool) -> String {
        let rows: Vec<String> = (0..n)
            .map(|i| format!("({})", crate::storage::ingest::placeholders(i * 7 + 1, 7)))
            .collect();
        let sql = format!(
            "INSERT INTO bench_raw (id, platform_id, direction, reply_to, account, text, \
             platform_time) VALUES {}",
            rows.join(", ")
        );
        match sqlite {
            true => crate::storage::ingest::positional(&sql).unwrap_or(sql),
            false => sql,
        }
    }

    macro_rules! insert_with {
        ($conn:expr, $rows:expr, $batch:expr, $sqlite:expr) => {{
            sqlx::query(CREATE).execute(&mut $conn).await?;
            let mut next_id = 0i64;
            for chunk in $rows.chunks($batch) {
                let mut tx = $conn.begin().await?;
                for part in chunk.chunks(ROWS) {
                    let sql = insert_sql(part.len(), $sqlite);
                    let mut q = sqlx::query(&sql);
                    for m in part {
                        q = q
                            .bind(next_id)
                            .bind(&m.platform_id)
                            .bind(m.direction.as_str())
                            .bind(&m.reply_to)
                            .bind(&m.account)
                            .bind(&m.text)
                            .bind(m.platform_time);
                        next_id += 1;
                    }
                    q.execute(&mut *tx).await?;
                }
                tx.commit().await?;
            }
        }};
    }

    /// Inserts every row in transactions of `batch`.
    pub async fn insert_all(
        url: &str,
        rows: &[IncomingMessage],
        batch: usize,
    ) -> anyhow::Result<()> {
        if url.starts_with("sqlite:") {
            use std::str::FromStr;
            let opts = sqlx::sqlite::SqliteConnectOptions::from_str(url)?
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Full);
            let mut conn = sqlx::SqliteConnection::connect_with(&opts).await?;
            insert_with!(conn, rows, batch, true);
        } else {
            let mut conn = sqlx::PgConnection::connect(url).await?;
            sqlx::query("DROP TABLE IF EXISTS bench_raw")
                .execute(&mut conn)
                .await?;
            insert_with!(conn, rows, batch, false);
        }
        Ok(())
    }
}
