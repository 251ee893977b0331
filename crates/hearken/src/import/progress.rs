//! Import progress on a terminal: rows, rate and time left. Silent when stderr is not a
//! terminal, so scripts and CI logs stay clean.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress display that may be hidden.
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A bar over `total` rows when stderr is a terminal, otherwise nothing.
    pub fn for_rows(total: u64) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{bar:30} {pos}/{len} rows  {per_sec}  {elapsed} elapsed, {eta} left",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        Progress { bar: Some(bar) }
    }

    /// No display at all.
    pub fn hidden() -> Progress {
        Progress { bar: None }
    }

    /// Rows handled so far.
    pub fn set(&self, rows: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(rows);
        }
    }

    /// Clears the bar at the end.
    pub fn finish(&self, rows: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(rows);
            bar.finish_and_clear();
        }
    }
}
