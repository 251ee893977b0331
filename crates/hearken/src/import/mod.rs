//! Importing messages from files: TWCS CSV, IBM CDP JSON and our canonical NDJSON.
//!
//! Each format module turns bytes into numbered rows (`Parsed`); the pipeline here
//! validates them, sends them to storage in batches, and reports what happened to every
//! row. A bad row is rejected with its line number and reason and the rest go on; a batch
//! the database refuses is retried row by row so one bad row cannot sink its neighbours.

pub mod ibm_cdp;
pub mod ndjson;
pub mod progress;
pub mod twcs;

use serde::Serialize;

use crate::domain::message::IncomingMessage;
use crate::domain::{Actor, WorkspaceId};
use crate::storage::{DynStore, StoreError};

/// Rows sent to storage per transaction.
pub const BATCH_SIZE: usize = 1000;

/// Rejection details kept in a summary; the count goes on beyond this.
const MAX_REPORTED_REJECTIONS: usize = 1000;

/// The file formats `hearken import` reads.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Kaggle "Customer Support on Twitter" CSV.
    Twcs,
    /// IBM Twitter customer-care conversations JSON.
    IbmCdp,
    /// Hearken's canonical message format, one JSON object per line (what export writes).
    Ndjson,
}

/// A row that could not be imported, with where it was and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Rejection {
    /// 1-based line in the file where the row starts (for JSON arrays, the item number).
    pub line: u64,
    pub reason: String,
}

/// One parsed row: its line and the message, or why it was refused.
pub type Parsed = Result<(u64, IncomingMessage), Rejection>;

/// What an import did, as printed by `--json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub read: u64,
    pub imported: u64,
    pub duplicates: u64,
    pub rejected: u64,
    /// The first rejections, with line and reason.
    pub rejections: Vec<Rejection>,
}

impl ImportSummary {
    fn reject(&mut self, r: Rejection) {
        self.rejected += 1;
        if self.rejections.len() < MAX_REPORTED_REJECTIONS {
            self.rejections.push(r);
        }
    }
}

/// Parses a whole file in the given format.
pub fn parse(format: Format, bytes: &[u8]) -> Box<dyn Iterator<Item = Parsed> + Send + '_> {
    match format {
        Format::Twcs => Box::new(twcs::parse(bytes)),
        Format::IbmCdp => Box::new(ibm_cdp::parse(bytes).into_iter()),
        Format::Ndjson => Box::new(ndjson::parse(bytes)),
    }
}

/// Imports parsed rows into a workspace, reporting progress as it goes.
pub async fn run(
    store: &DynStore,
    ws: WorkspaceId,
    actor: &Actor,
    rows: impl Iterator<Item = Parsed> + Send,
    progress: &progress::Progress,
) -> Result<ImportSummary, StoreError> {
    let mut summary = ImportSummary::default();
    let mut batch = Vec::with_capacity(BATCH_SIZE);
    // The planner's statistics are refreshed each time the import has grown the tables
    // fourfold, so its lookups keep using indexes as the desk grows from empty.
    let mut stats_at = BATCH_SIZE as u64;
    for row in rows {
        summary.read += 1;
        match row.and_then(validated) {
            Ok(pair) => batch.push(pair),
            Err(r) => summary.reject(r),
        }
        if batch.len() == BATCH_SIZE {
            store_batch(store, ws, actor, &mut batch, &mut summary).await?;
            progress.set(summary.read);
            if summary.imported >= stats_at {
                store.refresh_planner_stats().await?;
                stats_at = summary.imported.saturating_mul(4);
            }
        }
    }
    store_batch(store, ws, actor, &mut batch, &mut summary).await?;
    progress.finish(summary.read);
    Ok(summary)
}

fn validated((line, m): (u64, IncomingMessage)) -> Parsed {
    match m.validate() {
        Ok(()) => Ok((line, m)),
        Err(e) => Err(Rejection {
            line,
            reason: e.to_string(),
        }),
    }
}

async fn store_batch(
    store: &DynStore,
    ws: WorkspaceId,
    actor: &Actor,
    batch: &mut Vec<(u64, IncomingMessage)>,
    summary: &mut ImportSummary,
) -> Result<(), StoreError> {
    if batch.is_empty() {
        return Ok(());
    }
    let messages: Vec<IncomingMessage> = batch.iter().map(|(_, m)| m.clone()).collect();
    match store.ingest(ws, actor, &messages).await {
        Ok(report) => {
            summary.imported += report.imported;
            summary.duplicates += report.duplicates;
        }
        Err(StoreError::Database(err)) => {
            tracing::warn!(error = %err, rows = batch.len(), "import batch refused; retrying row by row");
            store_one_by_one(store, ws, actor, batch, summary).await?;
        }
        Err(other) => return Err(other),
    }
    batch.clear();
    Ok(())
}

async fn store_one_by_one(
    store: &DynStore,
    ws: WorkspaceId,
    actor: &Actor,
    batch: &[(u64, IncomingMessage)],
    summary: &mut ImportSummary,
) -> Result<(), StoreError> {
    for (line, m) in batch {
        match store.ingest(ws, actor, std::slice::from_ref(m)).await {
            Ok(report) => {
                summary.imported += report.imported;
                summary.duplicates += report.duplicates;
            }
            Err(StoreError::Database(err)) => {
                tracing::warn!(error = %err, line, "import row refused by the database");
                summary.reject(Rejection {
                    line: *line,
                    reason: "the database refused this row".into(),
                });
            }
            Err(other) => return Err(other),
        }
    }
    Ok(())
}
