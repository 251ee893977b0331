//! `hearken report sla`: the SLA report as CSV or JSON on standard output.

use std::io::Write;

use clap::Args;

use crate::domain::time::now_millis;
use crate::sla::report::{self, ReportParams, RunError};
use crate::storage::DynStore;

#[derive(Args)]
pub struct SlaReportArgs {
    /// First day, YYYY-MM-DD in the workspace's time zone (default: 29 days before --to).
    #[arg(long)]
    pub from: Option<String>,
    /// Last day (inclusive), YYYY-MM-DD (default: today).
    #[arg(long)]
    pub to: Option<String>,
    /// none, agent, team, channel, account, tag or policy.
    #[arg(long, default_value = "none")]
    pub by: String,
    /// day or week.
    #[arg(long, default_value = "day")]
    pub bucket: String,
    /// business or calendar minutes.
    #[arg(long, default_value = "business")]
    pub time: String,
    /// csv or json.
    #[arg(long, default_value = "csv")]
    pub format: String,
    /// One line per conversation instead of the aggregate table (CSV only).
    #[arg(long)]
    pub conversations: bool,
    /// Exact quantiles from every clock instead of the daily aggregates (1 % error).
    #[arg(long)]
    pub exact: bool,
    /// Workspace slug.
    #[arg(long, default_value = "default")]
    pub workspace: String,
}

/// Runs the report and writes it to standard output.
pub async fn run(store: &DynStore, a: SlaReportArgs) -> anyhow::Result<()> {
    let ws = store
        .workspace_by_slug(&a.workspace)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no workspace {:?}", a.workspace))?;
    let params = ReportParams {
        from: a.from,
        to: a.to,
        bucket: Some(a.bucket),
        by: Some(a.by),
        time: Some(a.time),
        format: Some(a.format.clone()),
        exact: Some(a.exact),
    };
    let ws = crate::domain::WorkspaceId(ws.id);
    let err = |e| match e {
        RunError::Invalid(m) => anyhow::anyhow!(m),
        RunError::Store(s) => s.into(),
    };
    if a.conversations {
        if a.format != "csv" {
            anyhow::bail!("--conversations is written as CSV only");
        }
        let (_, data) = report::run(store, ws, &params, now_millis())
            .await
            .map_err(err)?;
        std::io::stdout()
            .lock()
            .write_all(&report::conversation_csv(&data))?;
        return Ok(());
    }
    let r = if a.exact {
        report::run(store, ws, &params, now_millis())
            .await
            .map_err(err)?
            .0
    } else {
        report::run_rollups(store, ws, &params, now_millis())
            .await
            .map_err(err)?
    };
    let out = match a.format.as_str() {
        "csv" => report::aggregate_csv(&r),
        "json" => serde_json::to_vec_pretty(&r)?,
        _ => anyhow::bail!("--format must be csv or json"),
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&out)?;
    if a.format == "json" {
        stdout.write_all(b"\n")?;
    }
    Ok(())
}
