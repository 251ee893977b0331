//! The `hearken` binary: parses the command line and hands over to the library.

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    hearken::cli::run(hearken::cli::Cli::parse()).await
}
