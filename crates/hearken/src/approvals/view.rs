//! API views of drafts, with their versions, decisions and why they are where they are.

use serde::Serialize;

use super::decide::Loaded;
use crate::domain::time::rfc3339;
use crate::storage::approvals::{DecisionRow, DraftRow, DraftVersionRow};

/// A draft as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DraftView {
    pub id: i64,
    pub conversation_id: i64,
    pub author_id: i64,
    pub channel: String,
    /// pending, approved, rejected, expired, sending or sent.
    pub status: String,
    pub path: String,
    /// The routing rule that chose the path; none for the trainee path.
    pub rule_id: Option<String>,
    /// Why the rule matched.
    pub reasons: Vec<String>,
    pub risk: i64,
    pub style_version: Option<i64>,
    pub version: i64,
    pub version_hash: String,
    pub text: String,
    /// Index of the active step while pending.
    pub step: Option<usize>,
    /// Names of the branches of the active step still waiting.
    pub waiting_on: Vec<String>,
    pub send_at: Option<String>,
    pub sent_message_id: Option<i64>,
    pub seen_message_id: i64,
    pub seen_note_id: i64,
    #[schema(value_type = Vec<Object>)]
    pub versions: Vec<DraftVersionRow>,
    #[schema(value_type = Vec<Object>)]
    pub decisions: Vec<DecisionRow>,
    pub created_at: String,
}

impl DraftView {
    /// Builds the view of a loaded draft with its stored copies.
    pub fn new(l: &Loaded, versions: Vec<DraftVersionRow>, decisions: Vec<DecisionRow>) -> Self {
        let r: &DraftRow = &l.row;
        let step = match l.draft.status() {
            hearken_voice::approval::DraftStatus::Pending { step } => Some(*step),
            _ => None,
        };
        let waiting_on = step
            .map(|s| {
                l.draft
                    .branch_states()
                    .iter()
                    .zip(&l.draft.path().steps[s].branches)
                    .filter(|(st, _)| !st.done)
                    .map(|(_, b)| b.name.clone())
                    .collect()
            })
            .unwrap_or_default();
        DraftView {
            id: r.id,
            conversation_id: r.conversation_id,
            author_id: r.author_id,
            channel: r.channel.clone(),
            status: r.status.clone(),
            path: r.path_key.clone(),
            rule_id: r.rule_id.clone(),
            reasons: serde_json::from_str(&r.reasons).unwrap_or_default(),
            risk: r.risk,
            style_version: r.style_version,
            version: i64::from(l.draft.current().number),
            version_hash: r.current_hash.clone(),
            text: l.draft.current().text.clone(),
            step,
            waiting_on,
            send_at: r.send_at.map(rfc3339),
            sent_message_id: r.sent_message_id,
            seen_message_id: r.seen_message_id,
            seen_note_id: r.seen_note_id,
            versions,
            decisions,
            created_at: rfc3339(r.created_at),
        }
    }
}

/// A word-level diff from `old` to `new`: runs of `=` (kept), `-` (removed), `+` (added).
/// Whitespace stays attached to the word before it, so joining the `=` and `+` runs gives
/// `new` back exactly.
pub fn word_diff(old: &str, new: &str) -> Vec<(String, String)> {
    let a = words(old);
    let b = words(new);
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut out: Vec<(String, String)> = Vec::new();
    let mut push = |op: &str, w: &str| match out.last_mut() {
        Some((o, text)) if o == op => text.push_str(w),
        _ => out.push((op.to_owned(), w.to_owned())),
    };
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            push("=", a[i]);
            i += 1;
            j += 1;
        } else if lcs[i + 1][j] >= lcs[i][j + 1] {
            push("-", a[i]);
            i += 1;
        } else {
            push("+", b[j]);
            j += 1;
        }
    }
    a[i..].iter().for_each(|w| push("-", w));
    b[j..].iter().for_each(|w| push("+", w));
    out
}

fn words(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_space = false;
    for (i, c) in s.char_indices() {
        if c.is_whitespace() {
            in_space = true;
        } else if in_space {
            out.push(&s[start..i]);
            start = i;
            in_space = false;
        }
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}
