//! `hearken bench-ingest`: sustained webhook ingestion through HTTP (filled in below).

use clap::Args;

use crate::config::Settings;

/// Options of the ingestion benchmark.
#[derive(Args, Debug)]
pub struct BenchIngestArgs {
    /// Database URL; default a fresh SQLite file in a temporary directory.
    #[arg(long)]
    pub database_url: Option<String>,
}

/// Runs the benchmark and prints its figures.
pub async fn run(_settings: Settings, _args: BenchIngestArgs) -> anyhow::Result<()> {
    Ok(())
}
