//! Reconciliation: a periodic poll of the platform for items the webhooks missed.
//!
//! Mastodon is polled through `/api/v1/notifications?types[]=mention` with the
//! connectors' `poll_since`, which walks forward with `min_id` so a burst larger than one
//! page is read completely. Whatever the poll returns that the desk does not have yet is a
//! gap; it is stored and counted in the ledger.

use anyhow::Context;
use hearken_connectors::mastodon::{poll_since, Page, Pager};

use super::plan::{plan_body, Target};
use super::runtime::Channels;
use crate::domain::WorkspaceId;
use crate::storage::channels::{ConnectionRow, ReconcileReport};
use crate::storage::DynStore;

/// The ledger source name of reconciliation polls.
pub const POLL_SOURCE: &str = "poll";

/// Fetches pages of mention notifications over HTTP, from a blocking thread.
struct HttpPager {
    client: reqwest::Client,
    url: String,
    token: Option<String>,
    runtime: tokio::runtime::Handle,
    error: Option<String>,
}

impl Pager for HttpPager {
    fn page(&mut self, min_id: Option<&str>, limit: usize) -> Page {
        let mut req = self
            .client
            .get(&self.url)
            .query(&[("types[]", "mention"), ("limit", &limit.to_string())]);
        if let Some(id) = min_id {
            req = req.query(&[("min_id", id)]);
        }
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let fetched = self.runtime.block_on(async move {
            let resp = req.send().await?.error_for_status()?;
            let link = resp
                .headers()
                .get(reqwest::header::LINK)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let items: Vec<serde_json::Value> = resp.json().await?;
            Ok::<_, reqwest::Error>((items, link))
        });
        match fetched {
            Ok((items, link)) => Page {
                items,
                next_min_id: link.as_deref().and_then(prev_min_id),
            },
            Err(e) => {
                self.error = Some(e.to_string());
                Page::default()
            }
        }
    }
}

/// The `min_id` of the `rel="prev"` (newer) link of a Mastodon `Link` header.
pub fn prev_min_id(link: &str) -> Option<String> {
    link.split(',')
        .find(|part| part.contains("rel=\"prev\""))
        .and_then(|part| {
            let url = part.split(['<', '>']).nth(1)?;
            let query = url.split_once('?')?.1;
            query
                .split('&')
                .find_map(|kv| kv.strip_prefix("min_id=").map(str::to_owned))
        })
}

/// Polls one Mastodon account from its stored cursor and stores what was missing.
pub async fn reconcile_mastodon(
    channels: &Channels,
    store: &DynStore,
    row: &ConnectionRow,
    page_size: usize,
) -> anyhow::Result<ReconcileReport> {
    let ws = WorkspaceId(row.workspace_id);
    let base = row
        .base_url
        .as_deref()
        .context("the account has no instance URL to poll")?;
    let cursor = store
        .ledger(ws)
        .await?
        .into_iter()
        .find(|l| l.account_id == row.account_id && l.source == POLL_SOURCE)
        .and_then(|l| l.cursor);
    let mut pager = HttpPager {
        client: reqwest::Client::new(),
        url: format!("{}/api/v1/notifications", base.trim_end_matches('/')),
        token: super::connect::access_token(channels, row)?,
        runtime: tokio::runtime::Handle::current(),
        error: None,
    };
    let (poll, error) = tokio::task::spawn_blocking(move || {
        let poll = poll_since(&mut pager, cursor.as_deref(), page_size);
        (poll, pager.error)
    })
    .await
    .context("joining the poller")?;
    if let Some(e) = error {
        anyhow::bail!("polling account {} failed: {e}", row.account_id);
    }
    let target = Target {
        account_id: row.account_id,
        channel: &row.channel,
        handle: &row.handle,
        platform_user_id: &row.platform_user_id,
        app_id: row.app_id.as_deref(),
    };
    let body = serde_json::to_vec(&poll.items)?;
    let plan = plan_body(&target, &body);
    let report = store
        .apply_polled(
            ws,
            row.account_id,
            POLL_SOURCE,
            &plan.actions,
            poll.cursor.as_deref(),
        )
        .await?;
    tracing::info!(
        account.id = row.account_id,
        polled = report.polled,
        gaps_found = report.gaps_found,
        "reconciled account {}",
        row.account_id
    );
    Ok(report)
}

/// Reconciles every Mastodon account with an instance URL, in every workspace.
pub async fn reconcile_all(channels: &Channels, store: &DynStore) -> anyhow::Result<()> {
    for w in store.workspaces().await? {
        for row in store.connections(WorkspaceId(w.id)).await? {
            if row.channel == "mastodon" && row.base_url.is_some() {
                if let Err(e) = reconcile_mastodon(channels, store, &row, 40).await {
                    tracing::warn!(account.id = row.account_id, error = %e, "reconciliation failed");
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prev_link_gives_min_id() {
        let link = "<https://m.example/api/v1/notifications?max_id=104>; rel=\"next\", \
                    <https://m.example/api/v1/notifications?min_id=105&types[]=mention>; rel=\"prev\"";
        assert_eq!(prev_min_id(link).as_deref(), Some("105"));
        assert_eq!(prev_min_id("<x?max_id=1>; rel=\"next\""), None);
    }
}
