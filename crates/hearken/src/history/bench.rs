//! `hearken bench-history`: audit append rate, chain verification rate, checkpoint
//! signing, and the person's timeline latency, on SQLite or PostgreSQL. A benchmark, never
//! a test: it prints figures and asserts nothing.

use std::time::Instant;

use clap::Args;

use crate::audit::checkpoint::{self, AuditKey};
use crate::audit::verify::verify_with;
use crate::domain::channel::{Channel, Visibility};
use crate::domain::message::{AuthorRef, Direction, IncomingMessage};
use crate::domain::time::now_millis;
use crate::domain::{Actor, WorkspaceId};
use crate::storage::{self, NewAuditEvent};

/// Options of the benchmark.
#[derive(Args)]
pub struct BenchHistoryArgs {
    /// Audit events to append before verifying.
    #[arg(long, default_value_t = 20_000)]
    pub events: usize,
    /// Conversations of the person whose timeline is timed (20 messages each).
    #[arg(long, default_value_t = 50)]
    pub conversations: usize,
    /// Database URL; default a fresh SQLite file in a temporary directory.
    #[arg(long)]
    pub database_url: Option<String>,
}

/// Runs the benchmark and prints its figures.
pub async fn run(args: BenchHistoryArgs) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!(
        "hearken-bench-history-{}",
        crate::auth::secret::new_token()
    ));
    std::fs::create_dir_all(&dir)?;
    let url = args
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", dir.join("bench.db").display()));
    let result = measure(&url, &args).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn measure(url: &str, args: &BenchHistoryArgs) -> anyhow::Result<()> {
    let store = storage::connect(url).await?;
    let slug = format!("bench-history-{}", now_millis());
    let ws = WorkspaceId(store.create_workspace(&slug, "bench").await?.id);
    println!("backend: {}", store.backend());

    let started = Instant::now();
    for i in 0..args.events {
        let ev = NewAuditEvent {
            at: now_millis(),
            actor: "system:bench".into(),
            action: "bench.event".into(),
            subject: format!("message:{i}"),
            before: None,
            after: Some(serde_json::json!({ "n": i })),
        };
        store.append_audit(ws, &ev).await?;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "audit append (one transaction each): {:.0} events/s",
        args.events as f64 / secs
    );

    let key = AuditKey::new("bench key").expect("non-empty");
    let started = Instant::now();
    checkpoint::record(&store, ws, &key).await?;
    println!(
        "checkpoint signing: {:.2} ms",
        started.elapsed().as_secs_f64() * 1e3
    );

    let started = Instant::now();
    let verdict = verify_with(&store, ws, Some(&key)).await?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "verify: {} in {:.2} s = {:.0} events/s",
        verdict.describe(),
        secs,
        args.events as f64 / secs
    );

    let items = person_items(args.conversations);
    store.ingest(ws, &Actor::System("bench"), &items).await?;
    let first = store
        .message_by_platform_id(ws, "x", "bench-0-0")
        .await?
        .expect("ingested");
    let contact = store
        .conversation(ws, first.message.conversation_id)
        .await?
        .and_then(|c| c.contact_id)
        .expect("contact");
    let mut times = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        super::timeline::build(&store, ws, contact).await?;
        times.push(started.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "timeline of {} messages in {} conversations: median {:.1} ms, max {:.1} ms",
        items.len(),
        args.conversations,
        times[times.len() / 2],
        times[times.len() - 1]
    );
    Ok(())
}

fn person_items(conversations: usize) -> Vec<IncomingMessage> {
    let mut out = Vec::new();
    for c in 0..conversations {
        for m in 0..20 {
            out.push(IncomingMessage {
                channel: Channel::X,
                account: "bench".into(),
                platform_id: format!("bench-{c}-{m}"),
                direction: Direction::In,
                visibility: Visibility::Public,
                reply_to: (m > 0).then(|| format!("bench-{c}-{}", m - 1)),
                customer: Some(AuthorRef {
                    platform_user_id: "bench-person".into(),
                    handle: "bench_person".into(),
                    display_name: None,
                }),
                text: format!("message {m} of conversation {c}"),
                platform_time: (c * 20 + m) as i64 * 1000,
                conversation_key: None,
                conversation_attrs: None,
                earlier_versions: Vec::new(),
                deleted_at: None,
            });
        }
    }
    out
}
