//! `hearken demo`: a fresh embedded desk with real bundled conversations (IBM CDP,
//! Apache-2.0, see `demo/NOTICE.md`), an admin login printed to the terminal, and part of
//! the sample replayed as live traffic so the dashboard moves.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::app::{AppState, DeskEvent};
use crate::auth::secret::new_token;
use crate::auth::users::{self, NewUserRequest};
use crate::config::Settings;
use crate::domain::message::IncomingMessage;
use crate::domain::time::now_millis;
use crate::domain::{Actor, WorkspaceId};
use crate::import::{ibm_cdp, progress::Progress};

const SAMPLE: &[u8] = include_bytes!("../demo/ibm_cdp_dev.json");
/// Share of sample conversations held back and replayed live.
const REPLAY_SHARE: f64 = 0.3;

/// Options of the demo.
#[derive(Args)]
pub struct DemoArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Directory for the fresh database (default: a new temporary directory).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Milliseconds between replayed live messages; 0 turns the replay off.
    #[arg(long, default_value_t = 2000)]
    pub replay_ms: u64,
}

/// Runs the demo until Ctrl-C.
pub async fn run(mut settings: Settings, args: DemoArgs) -> anyhow::Result<()> {
    let dir = match args.data_dir {
        Some(d) => d,
        None => std::env::temp_dir().join(format!("hearken-demo-{}", now_millis())),
    };
    anyhow::ensure!(
        !dir.join("hearken.db").exists(),
        "{} already holds a database; the demo needs a fresh one",
        dir.display()
    );
    settings.data_dir = dir.clone();
    settings.database_url = None;
    let store = crate::cli::open(&settings).await?;
    let ws = crate::cli::ensure_workspace(&store, "demo").await?;
    let password = new_token()[..16].to_owned();
    let admin = NewUserRequest {
        name: "Demo Admin".into(),
        email: "admin@demo.hearken.local".into(),
        role: "admin".into(),
        password: password.clone(),
    };
    users::create(&store, ws, &admin, &Actor::System("demo"))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let (now_part, live_part) = split_sample(now_millis());
    let rows = now_part.into_iter().map(Ok);
    let summary = crate::import::run(
        &store,
        ws,
        &Actor::System("demo"),
        rows,
        &Progress::hidden(),
    )
    .await?;
    let state = AppState::new(store, settings);
    println!(
        "Hearken demo: {} messages imported into {}",
        summary.imported,
        dir.display()
    );
    println!(
        "Open http://{}/ and sign in as admin@demo.hearken.local with password {password}",
        args.listen
    );
    let exe =
        std::env::current_exe().map_or_else(|_| "hearken".into(), |p| p.display().to_string());
    println!(
        "More users: on /admin/users, or HEARKEN_DATA_DIR={} {exe} user add --workspace demo \
         --email you@example.org --name You --role agent",
        dir.display()
    );
    if args.replay_ms > 0 {
        println!(
            "Replaying {} messages as live traffic, one every {} ms",
            live_part.len(),
            args.replay_ms
        );
        tokio::spawn(replay(
            state.clone(),
            ws,
            live_part,
            Duration::from_millis(args.replay_ms),
        ));
    }
    crate::cli::start_background(&state);
    crate::cli::serve_state(state, args.listen).await
}

/// Splits the sample into conversations shown as history (spread over the last 24 hours,
/// keeping each conversation's own timing) and conversations replayed live.
pub fn split_sample(now: i64) -> (Vec<(u64, IncomingMessage)>, Vec<IncomingMessage>) {
    let mut by_conv: BTreeMap<u64, Vec<IncomingMessage>> = BTreeMap::new();
    for (line, m) in ibm_cdp::parse(SAMPLE).into_iter().flatten() {
        by_conv.entry(line).or_default().push(m);
    }
    let total = by_conv.len();
    let history = ((total as f64) * (1.0 - REPLAY_SHARE)) as usize;
    let day = 24 * 3_600_000;
    let mut past = Vec::new();
    let mut live = Vec::new();
    for (i, (line, msgs)) in by_conv.into_iter().enumerate() {
        if i < history {
            let start = now - day + (i as i64 * day / history.max(1) as i64);
            let shift = start - msgs[0].platform_time;
            for mut m in msgs {
                m.platform_time = (m.platform_time + shift).min(now);
                past.push((line, m));
            }
        } else {
            live.extend(msgs);
        }
    }
    (past, live)
}

async fn replay(state: AppState, ws: WorkspaceId, messages: Vec<IncomingMessage>, every: Duration) {
    for mut m in messages {
        tokio::time::sleep(every).await;
        m.platform_time = now_millis();
        match state
            .store
            .ingest(ws, &Actor::System("demo-replay"), std::slice::from_ref(&m))
            .await
        {
            Ok(report) => {
                if let Err(e) = crate::routing::after_ingest(&state, ws, &report).await {
                    tracing::warn!(error = %e, "routing failed on a replayed message");
                }
                for id in report.touched_conversations {
                    state.publish(DeskEvent::changed(ws, id));
                }
            }
            Err(e) => tracing::warn!(error = %e, "demo replay could not store a message"),
        }
    }
    tracing::info!("demo replay finished");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_splits_without_losing_messages() {
        let all = ibm_cdp::parse(SAMPLE)
            .into_iter()
            .filter(|r| r.is_ok())
            .count();
        let (past, live) = split_sample(1_700_000_000_000);
        assert_eq!(past.len() + live.len(), all);
        assert!(!live.is_empty());
        assert!(past
            .iter()
            .all(|(_, m)| m.platform_time <= 1_700_000_000_000));
    }
}
