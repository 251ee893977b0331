//! `hearken bench-ingest`: sustained webhook ingestion through HTTP on loopback.
//!
//! Phase 1 posts `--requests` signed Messenger deliveries with `--concurrency` requests in
//! flight and reports acknowledged deliveries per second; every acknowledged delivery is
//! durable (committed) before its 200, and the count stored is checked against the count
//! acknowledged. The worker processes meanwhile; the time to drain is reported too.
//! Phase 2 posts `--latency-requests` deliveries at `--rate` per second, each from a new
//! customer, and measures from just before the request is sent to the moment the worker
//! commits the conversation (when the inbox can show it): p50, p99 and max.
//! A benchmark, never a test: it prints figures and asserts nothing but durability.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use futures::StreamExt;
use secrecy::SecretString;

use crate::app::AppState;
use crate::channels::connect::{connect, ConnectRequest};
use crate::config::Settings;
use crate::domain::{Actor, WorkspaceId};
use crate::storage::{self, DynStore};

const SECRET: &str = "bench-app-secret-0123456789";
const PAGE: &str = "BENCHPAGE";

/// Options of the ingestion benchmark.
#[derive(Args, Debug)]
pub struct BenchIngestArgs {
    /// Database URL; default a fresh SQLite file in a temporary directory.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Deliveries in the throughput phase.
    #[arg(long, default_value_t = 20_000)]
    pub requests: usize,
    /// Requests in flight in the throughput phase.
    #[arg(long, default_value_t = 128)]
    pub concurrency: usize,
    /// Deliveries per second in the latency phase.
    #[arg(long, default_value_t = 1_000)]
    pub rate: u64,
    /// Deliveries in the latency phase.
    #[arg(long, default_value_t = 5_000)]
    pub latency_requests: usize,
}

fn body(run: &str, n: usize, customer: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "object": "page",
        "entry": [{ "id": PAGE, "time": 1_764_000_000_000i64, "messaging": [{
            "sender": { "id": customer }, "recipient": { "id": PAGE },
            "timestamp": crate::domain::time::now_millis(),
            "message": { "mid": format!("{run}-{n}"), "text": format!("bench message {n} ✓") },
        }]}],
    }))
    .unwrap_or_default()
}

struct Target {
    client: reqwest::Client,
    url: String,
}

impl Target {
    async fn post(&self, b: Vec<u8>) -> bool {
        let sig = hearken_connectors::signature::meta_signature_256(SECRET, &b);
        matches!(
            self.client.post(&self.url).header("x-hub-signature-256", sig).body(b).send().await,
            Ok(r) if r.status().is_success()
        )
    }
}

/// Runs the benchmark and prints its figures.
pub async fn run(_settings: Settings, args: BenchIngestArgs) -> anyhow::Result<()> {
    let tmp = tempfile_dir()?;
    let url = args
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", tmp.join("bench-ingest.db").display()));
    let store = storage::connect(&url)
        .await
        .context("opening the database")?;
    let settings = Settings {
        secret_key: Some(SecretString::from(crate::auth::secret::new_token())),
        ..Settings::default()
    };
    let state = AppState::new(store.clone(), settings);
    let run = format!("b{}", crate::domain::time::now_millis());
    let ws = WorkspaceId(store.create_workspace(&run, &run).await?.id);
    let req = ConnectRequest {
        channel: "messenger".into(),
        handle: "bench-page".into(),
        platform_user_id: PAGE.into(),
        app_secret: Some(SECRET.into()),
        ..ConnectRequest::default()
    };
    let view = connect(&state.channels, &store, ws, &req, &Actor::System("bench")).await?;
    state.channels.spawn_worker(state.clone());
    let mut events = state.events.subscribe();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = crate::http::router::router(state.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let target = Arc::new(Target {
        client: reqwest::Client::builder()
            .pool_max_idle_per_host(args.concurrency)
            .build()?,
        url: format!("http://{addr}{}", view.webhook_path),
    });
    println!(
        "backend: {}  (client and server share this machine)",
        store.backend()
    );

    // Phase 1: throughput.
    let bodies: Vec<Vec<u8>> = (0..args.requests)
        .map(|n| body(&run, n, &format!("cust-{}", n % 1000)))
        .collect();
    let started = Instant::now();
    let acked = futures::stream::iter(bodies)
        .map(|b| {
            let t = target.clone();
            async move { t.post(b).await }
        })
        .buffer_unordered(args.concurrency)
        .filter(|ok| futures::future::ready(*ok))
        .count()
        .await;
    let secs = started.elapsed().as_secs_f64();
    let stats = store.delivery_stats(ws, view.account_id).await?;
    let stored = stats.pending + stats.done + stats.failed;
    println!(
        "ingest: {acked} deliveries acknowledged in {secs:.2} s = {:.0}/s with {} in flight; \
         {stored} durable (must equal acknowledged: {})",
        acked as f64 / secs,
        args.concurrency,
        if stored as usize == acked {
            "yes"
        } else {
            "NO"
        }
    );
    drain(&store).await?;
    let total = started.elapsed().as_secs_f64();
    println!(
        "processing: all {acked} turned into messages {total:.2} s after the first post = {:.0}/s end to end",
        acked as f64 / total
    );

    // Phase 2: latency at a steady rate.
    while events.try_recv().is_ok() {}
    let seen: Arc<Mutex<HashMap<i64, Instant>>> = Arc::default();
    let collector = {
        let seen = seen.clone();
        tokio::spawn(async move {
            while let Ok(ev) = events.recv().await {
                if let Some(c) = ev.conversation_id {
                    seen.lock()
                        .map(|mut m| m.entry(c).or_insert_with(Instant::now).to_owned())
                        .ok();
                }
            }
        })
    };
    let sent: Arc<Mutex<Vec<(usize, Instant)>>> = Arc::default();
    let mut tick = tokio::time::interval(Duration::from_nanos(1_000_000_000 / args.rate.max(1)));
    let lat_run = format!("{run}L");
    let started = Instant::now();
    let mut posts = Vec::new();
    for n in 0..args.latency_requests {
        tick.tick().await;
        let (t, sent) = (target.clone(), sent.clone());
        let b = body(&lat_run, n, &format!("lat-{n}"));
        posts.push(tokio::spawn(async move {
            let t0 = Instant::now();
            if t.post(b).await {
                sent.lock().map(|mut s| s.push((n, t0))).ok();
            }
        }));
    }
    for p in posts {
        let _ = p.await;
    }
    let offered = args.latency_requests as f64 / started.elapsed().as_secs_f64();
    drain(&store).await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    collector.abort();
    let seen = seen.lock().map(|m| m.clone()).unwrap_or_default();
    let mut lat = Vec::new();
    for (n, t0) in sent.lock().map(|s| s.clone()).unwrap_or_default() {
        let mid = format!("{lat_run}-{n}");
        let found = store.messages_by_platform_id(ws, "messenger", &mid).await?;
        if let Some(at) = found.first().and_then(|m| seen.get(&m.conversation_id)) {
            lat.push(at.saturating_duration_since(t0).as_secs_f64() * 1000.0);
        }
    }
    lat.sort_by(|a, b| a.total_cmp(b));
    let q = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or(f64::NAN)
    };
    println!(
        "latency at {offered:.0}/s offered: {} measured, delivery to visible in inbox p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        lat.len(),
        q(0.50),
        q(0.99),
        lat.last().copied().unwrap_or(f64::NAN)
    );
    Ok(())
}

async fn drain(store: &DynStore) -> anyhow::Result<()> {
    while store.pending_deliveries().await? > 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("hearken-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
