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

/// Walks a workspace's messages page by page, in the order they were stored, producing
/// canonical NDJSON a page at a time so large exports never sit whole in memory.
pub struct Exporter {
    store: DynStore,
    ws: WorkspaceId,
    after: i64,
    attrs: HashMap<i64, ConversationAttrs>,
    /// Messages written so far.
    pub written: u64,
}

impl Exporter {
    /// Starts at the first message.
    pub fn new(store: DynStore, ws: WorkspaceId) -> Exporter {
        Exporter {
            store,
            ws,
            after: 0,
            attrs: HashMap::new(),
            written: 0,
        }
    }

    /// The next page of NDJSON lines, or `None` at the end.
    pub async fn next_chunk(&mut self) -> anyhow::Result<Option<Vec<u8>>> {
        let rows = self
            .store
            .export_page(self.ws, self.after, PAGE)
            .await
            .context("reading messages")?;
        let Some(last) = rows.last() else {
            return Ok(None);
        };
        self.after = last.id;
        let mut out = Vec::new();
        for row in rows {
            let conv = conversation_attrs(&self.store, self.ws, &mut self.attrs, &row).await?;
            let versions = earlier_versions(&self.store, self.ws, &row).await?;
            serde_json::to_writer(&mut out, &canonical(row, conv, versions)?)?;
            out.push(b'\n');
            self.written += 1;
        }
        Ok(Some(out))
    }
}

/// Writes every message of the workspace; returns the count.
pub async fn write_ndjson(
    store: &DynStore,
    ws: WorkspaceId,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<u64> {
    let mut exporter = Exporter::new(store.clone(), ws);
    while let Some(chunk) = exporter.next_chunk().await? {
        out.write_all(&chunk).context("writing export")?;
    }
    out.flush()?;
    Ok(exporter.written)
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
