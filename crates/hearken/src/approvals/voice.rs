//! The workspace's brand voice as the engine sees it: style book, routing table, paths.

use std::collections::BTreeMap;

use hearken_text::length::{weighted_length, Platform};
use hearken_voice::approval::rules::RoutingTable;
use hearken_voice::approval::ApprovalPath;
use hearken_voice::style::{self, StyleBook, StyleGuide, Violation};

use super::FlowError;
use crate::app::AppState;
use crate::domain::WorkspaceId;
use crate::storage::approvals::StyleGuideRow;

/// The style guides in force: the highest version of each locale.
pub async fn style_book(state: &AppState, ws: WorkspaceId) -> Result<Option<StyleBook>, FlowError> {
    let rows = state.store.style_guides(ws).await?;
    Ok(book_from(&rows))
}

fn book_from(rows: &[StyleGuideRow]) -> Option<StyleBook> {
    let mut latest: BTreeMap<String, &StyleGuideRow> = BTreeMap::new();
    for r in rows {
        let keep = latest.get(&r.locale).is_none_or(|l| l.version < r.version);
        if keep {
            latest.insert(r.locale.clone(), r);
        }
    }
    let default_locale = latest
        .values()
        .filter(|r| r.is_default != 0)
        .max_by_key(|r| r.id)
        .or_else(|| latest.values().min_by_key(|r| r.id))?
        .locale
        .clone();
    let variants = latest
        .into_iter()
        .filter_map(|(k, r)| {
            serde_json::from_str::<StyleGuide>(&r.guide)
                .ok()
                .map(|g| (k, g))
        })
        .collect();
    Some(StyleBook {
        default_locale,
        variants,
    })
}

/// The platform whose counting rule applies to a channel.
pub fn platform(channel: &str) -> Platform {
    serde_json::from_value(serde_json::Value::String(channel.to_owned()))
        .unwrap_or(Platform::Sandbox)
}

/// Checks a reply against a guide, counting length as the channel's platform does.
pub fn check(guide: &StyleGuide, text: &str, channel: &str) -> Vec<Violation> {
    let p = platform(channel);
    let counter = move |t: &str| weighted_length(p, t);
    style::check_with(guide, text, channel, &counter)
}

/// The guide a text was checked against: its locale and version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuideUsed {
    pub locale: String,
    pub version: i64,
}

/// Checks `text` against the guide for `locale`; `None` when no guide is set up.
pub async fn check_text(
    state: &AppState,
    ws: WorkspaceId,
    text: &str,
    channel: &str,
    locale: Option<&str>,
) -> Result<Option<(GuideUsed, Vec<Violation>)>, FlowError> {
    let Some(book) = style_book(state, ws).await? else {
        return Ok(None);
    };
    let locale = locale.unwrap_or(&book.default_locale).to_owned();
    let Some(guide) = book.guide_for(&locale) else {
        return Ok(None);
    };
    let used = GuideUsed {
        locale: guide.locale.clone(),
        version: guide.version,
    };
    Ok(Some((used, check(guide, text, channel))))
}

/// Refuses text with a blocking violation; returns the guide it was checked against.
pub async fn enforce(
    state: &AppState,
    ws: WorkspaceId,
    text: &str,
    channel: &str,
    locale: Option<&str>,
) -> Result<Option<GuideUsed>, FlowError> {
    match check_text(state, ws, text, channel, locale).await? {
        None => Ok(None),
        Some((used, violations)) if style::passes(&violations) => Ok(Some(used)),
        Some((_, violations)) => Err(FlowError::Style(violations)),
    }
}

/// Re-runs the stored guide `locale`/`version` on `text`, as it judged when the text was
/// checked; `None` when that version is not stored (or no guide was in force).
pub fn recheck(
    rows: &[StyleGuideRow],
    locale: &str,
    version: i64,
    text: &str,
    channel: &str,
) -> Option<Vec<Violation>> {
    let row = rows
        .iter()
        .find(|r| r.locale == locale && r.version == version)?;
    let guide: StyleGuide = serde_json::from_str(&row.guide).ok()?;
    Some(check(&guide, text, channel))
}

/// The routing table in force, if approvals are set up in this workspace.
pub async fn routing(state: &AppState, ws: WorkspaceId) -> Result<Option<RoutingTable>, FlowError> {
    let Some(row) = state.store.routing_table(ws).await? else {
        return Ok(None);
    };
    let table = serde_json::from_str(&row.body)
        .map_err(|e| FlowError::Store(crate::storage::StoreError::Conflict(e.to_string())))?;
    Ok(Some(table))
}

/// One approval path by key.
pub async fn path(state: &AppState, ws: WorkspaceId, key: &str) -> Result<ApprovalPath, FlowError> {
    let rows = state.store.approval_paths(ws).await?;
    let row = rows
        .into_iter()
        .find(|r| r.path_key == key)
        .ok_or_else(|| FlowError::Invalid(format!("approval path {key:?} does not exist")))?;
    serde_json::from_str(&row.body).map_err(|e| FlowError::Invalid(e.to_string()))
}
