//! Export of every message in the canonical NDJSON format that `import --format ndjson`
//! reads back to an identical desk.

use std::collections::HashMap;
use std::io::Write;

use anyhow::Context;

use crate::domain::channel::{Channel, Visibility};
use crate::domain::message::{AuthorRef, ConversationAttrs, Direction};
use crate::domain::time::from_millis;
use crate::domain::WorkspaceId;
use crate::import::ndjson::CanonicalMessage;
use crate::storage::{DynStore, ExportRow};

const PAGE: i64 = 2000;

/// Writes every message of the workspace, in the order they were stored; returns the count.
pub async fn write_ndjson(
    store: &DynStore,
    ws: WorkspaceId,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<u64> {
    let mut after = 0;
    let mut written = 0;
    let mut attrs: HashMap<i64, ConversationAttrs> = HashMap::new();
    loop {
        let rows = store
            .export_page(ws, after, PAGE)
            .await
            .context("reading messages")?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        for row in rows {
            let conv = conversation_attrs(store, ws, &mut attrs, &row).await?;
            let versions = earlier_versions(store, ws, &row).await?;
            let line = serde_json::to_string(&canonical(row, conv, versions)?)?;
            writeln!(out, "{line}").context("writing export")?;
            written += 1;
        }
    }
    out.flush()?;
    Ok(written)
}

async fn conversation_attrs(
    store: &DynStore,
    ws: WorkspaceId,
    cache: &mut HashMap<i64, ConversationAttrs>,
    row: &ExportRow,
) -> anyhow::Result<ConversationAttrs> {
    if let Some(a) = cache.get(&row.conversation_id) {
        return Ok(a.clone());
    }
    let tags = store.tags(ws, row.conversation_id).await?;
    let a = ConversationAttrs {
        status: row.conv_status.clone(),
        priority: row.conv_priority.clone(),
        tags,
    };
    cache.insert(row.conversation_id, a.clone());
    Ok(a)
}

async fn earlier_versions(
    store: &DynStore,
    ws: WorkspaceId,
    row: &ExportRow,
) -> anyhow::Result<Vec<String>> {
    if row.version_count <= 1 {
        return Ok(Vec::new());
    }
    let mut all = store.message_versions(ws, row.id).await?;
    all.pop();
    Ok(all)
}

fn canonical(
    row: ExportRow,
    conv: ConversationAttrs,
    versions: Vec<String>,
) -> anyhow::Result<CanonicalMessage> {
    let channel: Channel = row.channel.parse()?;
    let visibility = Visibility::parse(&row.visibility).context("stored visibility")?;
    let direction = if row.direction == "out" {
        Direction::Out
    } else {
        Direction::In
    };
    let customer = row.author_platform_user_id.map(|id| AuthorRef {
        platform_user_id: id,
        handle: row.author_handle.unwrap_or_default(),
        display_name: row.author_display_name,
    });
    Ok(CanonicalMessage {
        conversation_id: row.conv_key,
        conversation: Some(conv),
        channel,
        account: row.account_handle,
        platform_id: row.platform_id,
        direction,
        visibility,
        reply_to: row.reply_to,
        customer,
        text: row.text,
        created_at: from_millis(row.platform_time),
        earlier_versions: versions,
        deleted_at: row.deleted_at.map(from_millis),
    })
}
