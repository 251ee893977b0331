//! Audit log export as JSON lines or CSV.
//!
//! CSV cells that a spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`,
//! a tab or a carriage return) are made inert by a leading apostrophe: event subjects and
//! states can carry text that someone else chose.

use serde::Serialize;

use crate::domain::time::rfc3339;
use crate::storage::AuditRow;

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// One JSON object per line.
    Jsonl,
    /// Comma-separated values with a header row.
    Csv,
}

impl ExportFormat {
    /// The HTTP content type.
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Jsonl => "application/x-ndjson; charset=utf-8",
            ExportFormat::Csv => "text/csv; charset=utf-8",
        }
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Jsonl => "jsonl",
            ExportFormat::Csv => "csv",
        }
    }
}

/// One exported event.
#[derive(Debug, Serialize)]
struct ExportedEvent<'a> {
    seq: i64,
    at: i64,
    time: String,
    actor: &'a str,
    action: &'a str,
    subject: &'a str,
    before_state: Option<&'a str>,
    after_state: Option<&'a str>,
    prev_hash: &'a str,
    hash: &'a str,
}

fn exported(r: &AuditRow) -> ExportedEvent<'_> {
    ExportedEvent {
        seq: r.seq,
        at: r.at,
        time: rfc3339(r.at),
        actor: &r.actor,
        action: &r.action,
        subject: &r.subject,
        before_state: r.before_state.as_deref(),
        after_state: r.after_state.as_deref(),
        prev_hash: &r.prev_hash,
        hash: &r.hash,
    }
}

/// Makes a cell inert for spreadsheets.
pub fn inert(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_owned(),
    }
}

/// Writes the rows in the chosen format.
pub fn write(format: ExportFormat, rows: &[AuditRow]) -> anyhow::Result<Vec<u8>> {
    match format {
        ExportFormat::Jsonl => {
            let mut out = Vec::new();
            for r in rows {
                serde_json::to_writer(&mut out, &exported(r))?;
                out.push(b'\n');
            }
            Ok(out)
        }
        ExportFormat::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record([
                "seq",
                "at",
                "time",
                "actor",
                "action",
                "subject",
                "before_state",
                "after_state",
                "prev_hash",
                "hash",
            ])?;
            for r in rows {
                let e = exported(r);
                let cells = [
                    e.seq.to_string(),
                    e.at.to_string(),
                    e.time,
                    inert(e.actor),
                    inert(e.action),
                    inert(e.subject),
                    inert(e.before_state.unwrap_or("")),
                    inert(e.after_state.unwrap_or("")),
                    e.prev_hash.to_owned(),
                    e.hash.to_owned(),
                ];
                w.write_record(&cells)?;
            }
            Ok(w.into_inner()?)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_made_inert() {
        for bad in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(inert(bad).starts_with('\''), "{bad:?}");
        }
        assert_eq!(inert("user:1"), "user:1");
        assert_eq!(inert(""), "");
    }
}
