//! The moving parts of ingestion: the group-commit intake that makes each delivery durable
//! before its request is answered, the cache of connected accounts used by the webhook
//! endpoints, and the worker that processes pending deliveries.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, oneshot, Notify};

use super::plan::plan_delivery;
use super::secrets::{binding, Credentials, SealError, Sealer};
use crate::app::{AppState, DeskEvent};
use crate::domain::WorkspaceId;
use crate::routing;
use crate::storage::channels::{ConnectionRow, NewDelivery, ProcessReport};
use crate::storage::{DynStore, StoreResult};

// TODO(#6): processing costs several round trips per item (dedup check, identity,
// placement, version, parked check, recompute), so it trails intake: about 720/s on SQLite
// and 120/s on PostgreSQL in a debug build on a loaded machine. Batch those lookups per
// claim and run several workers on PostgreSQL (the claim already skips locked rows).
/// Deliveries a worker claims per transaction.
pub const CLAIM_BATCH: i64 = 256;
/// Most deliveries written in one group commit.
const MAX_GROUP: usize = 1024;

type Ack = oneshot::Sender<Result<(), String>>;

/// A connected account as the webhook endpoints need it, with its credentials opened.
#[derive(Debug, Clone)]
pub struct HookAccount {
    pub account_id: i64,
    pub workspace: WorkspaceId,
    pub channel: String,
    pub credentials: Credentials,
}

/// Ingestion state shared by the server.
pub struct Channels {
    store: DynStore,
    sealer: Option<Sealer>,
    intake: OnceLock<mpsc::Sender<(NewDelivery, Ack)>>,
    wake: Arc<Notify>,
    accounts: RwLock<HashMap<i64, Arc<HookAccount>>>,
}

impl Channels {
    /// Ingestion over a store; without a key, accounts cannot be connected.
    pub fn new(store: DynStore, sealer: Option<Sealer>) -> Channels {
        Channels {
            store,
            sealer,
            intake: OnceLock::new(),
            wake: Arc::new(Notify::new()),
            accounts: RwLock::new(HashMap::new()),
        }
    }

    /// The installation key, if configured.
    pub fn sealer(&self) -> Result<&Sealer, SealError> {
        self.sealer.as_ref().ok_or(SealError::NoKey)
    }

    /// Forgets a cached account (after its credentials change).
    pub fn forget(&self, account_id: i64) {
        if let Ok(mut m) = self.accounts.write() {
            m.remove(&account_id);
        }
    }

    /// The connected account behind a hook URL, with its credentials opened.
    pub async fn hook_account(&self, account_id: i64) -> anyhow::Result<Option<Arc<HookAccount>>> {
        if let Some(a) = self
            .accounts
            .read()
            .ok()
            .and_then(|m| m.get(&account_id).cloned())
        {
            return Ok(Some(a));
        }
        let Some(row) = self.store.connection_for_hook(account_id).await? else {
            return Ok(None);
        };
        let account = Arc::new(self.open(&row)?);
        if let Ok(mut m) = self.accounts.write() {
            m.insert(account_id, account.clone());
        }
        Ok(Some(account))
    }

    fn open(&self, row: &ConnectionRow) -> Result<HookAccount, SealError> {
        let creds = self
            .sealer()?
            .open(&binding(&row.channel, &row.handle), &row.sealed_credentials)?;
        Ok(HookAccount {
            account_id: row.account_id,
            workspace: WorkspaceId(row.workspace_id),
            channel: row.channel.clone(),
            credentials: creds,
        })
    }

    /// Writes a delivery durably; returns once it is committed (grouped with whatever
    /// other deliveries arrived meanwhile).
    pub async fn accept(&self, delivery: NewDelivery) -> Result<(), String> {
        let tx = self
            .intake
            .get_or_init(|| spawn_intake(self.store.clone(), self.wake.clone()));
        let (ack, done) = oneshot::channel();
        tx.send((delivery, ack))
            .await
            .map_err(|_| "intake stopped".to_owned())?;
        done.await.map_err(|_| "intake stopped".to_owned())?
    }

    /// Runs the processing worker until the process ends: deliveries become messages,
    /// then routing rules triage the new inbound ones.
    pub fn spawn_worker(&self, state: AppState) {
        let wake = self.wake.clone();
        tokio::spawn(async move {
            loop {
                match work_once(&state).await {
                    Ok(r) if r.deliveries > 0 => continue,
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "processing deliveries failed"),
                }
                let _ = tokio::time::timeout(Duration::from_secs(1), wake.notified()).await;
            }
        });
    }
}

fn spawn_intake(store: DynStore, wake: Arc<Notify>) -> mpsc::Sender<(NewDelivery, Ack)> {
    let (tx, mut rx) = mpsc::channel::<(NewDelivery, Ack)>(8192);
    tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            // Whatever queued up while the previous commit ran goes into this one.
            let mut group = vec![first];
            while group.len() < MAX_GROUP {
                match rx.try_recv() {
                    Ok(next) => group.push(next),
                    Err(_) => break,
                }
            }
            let (deliveries, acks): (Vec<NewDelivery>, Vec<Ack>) = group.into_iter().unzip();
            let result = store.accept_deliveries(&deliveries).await.map_err(|e| {
                tracing::error!(error = %e, count = deliveries.len(), "writing deliveries failed");
                "the delivery could not be stored".to_owned()
            });
            if result.is_ok() {
                wake.notify_one();
            }
            for ack in acks {
                let _ = ack.send(result.clone());
            }
        }
    });
    tx
}

/// Processes one batch of pending deliveries and tells live listeners what changed.
pub async fn process_once(
    store: &DynStore,
    events: &broadcast::Sender<DeskEvent>,
) -> StoreResult<ProcessReport> {
    let report = store.process_pending(CLAIM_BATCH, plan_delivery).await?;
    if report.deliveries > 0 {
        tracing::info!(
            deliveries = report.deliveries,
            messages = report.messages,
            duplicates = report.duplicates,
            edits = report.edits,
            deletes = report.deletes,
            parked = report.parked,
            skipped = report.skipped,
            "processed {} webhook deliveries",
            report.deliveries
        );
    }
    for (ws, conv) in &report.touched {
        let _ = events.send(DeskEvent::changed(WorkspaceId(*ws), *conv));
    }
    Ok(report)
}

/// One turn of the worker: processes a batch of deliveries, then routes the new inbound
/// messages of every conversation it touched. Routing claims each message once, so a
/// failure here is logged and the messages wait for the next change to be routed again.
pub async fn work_once(state: &AppState) -> StoreResult<ProcessReport> {
    let report = process_once(&state.store, &state.events).await?;
    let mut by_ws: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (ws, conv) in &report.touched {
        by_ws.entry(*ws).or_default().push(*conv);
    }
    for (ws, mut convs) in by_ws {
        convs.sort_unstable();
        convs.dedup();
        if let Err(e) = routing::route_conversations(state, WorkspaceId(ws), &convs, None).await {
            tracing::error!(error = %e, workspace.id = ws, "routing delivered messages failed");
        }
    }
    Ok(report)
}

/// Processes until nothing is pending (tests and the CLI use this).
pub async fn process_all(store: &DynStore) -> StoreResult<ProcessReport> {
    let (events, _) = broadcast::channel(16);
    let mut total = ProcessReport::default();
    loop {
        let r = process_once(store, &events).await?;
        if r.deliveries == 0 {
            return Ok(total);
        }
        total.deliveries += r.deliveries;
        total.failed_deliveries += r.failed_deliveries;
        total.messages += r.messages;
        total.duplicates += r.duplicates;
        total.edits += r.edits;
        total.deletes += r.deletes;
        total.parked += r.parked;
        total.unparked += r.unparked;
        total.confirmed += r.confirmed;
        total.sent_outside += r.sent_outside;
        total.skipped += r.skipped;
    }
}
