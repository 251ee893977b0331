//! Signed checkpoints of an audit chain head.
//!
//! A checkpoint records a chain's head (sequence number and hash) with an HMAC-SHA256
//! signature under the installation's audit key (`HEARKEN_AUDIT_KEY`). Someone who can
//! rewrite the database can recompute every hash of the chain, but cannot sign a new head
//! without the key; and a checkpoint naming a sequence beyond the chain's end reveals a
//! truncated tail, which hashes alone cannot.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::domain::time::now_millis;
use crate::domain::WorkspaceId;
use crate::storage::{CheckpointRow, DynStore, NewCheckpoint, StoreResult};

type HmacSha256 = Hmac<Sha256>;

/// The key that signs checkpoints; `Debug` never shows it.
#[derive(Clone)]
pub struct AuditKey(SecretString);

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AuditKey({})", self.id())
    }
}

impl AuditKey {
    /// Wraps a secret; `None` for an empty one.
    pub fn new(secret: &str) -> Option<AuditKey> {
        (!secret.is_empty()).then(|| AuditKey(SecretString::from(secret.to_owned())))
    }

    /// A public name for the key: the first 16 hex digits of SHA-256 of the key, so a
    /// verifier can tell which key signed a checkpoint without learning the key.
    pub fn id(&self) -> String {
        let digest = Sha256::digest(self.0.expose_secret().as_bytes());
        hex::encode(&digest[..8])
    }

    fn mac(&self) -> HmacSha256 {
        HmacSha256::new_from_slice(self.0.expose_secret().as_bytes())
            .expect("HMAC accepts keys of any length")
    }

    /// The hex signature of a chain head.
    pub fn sign(&self, ws: WorkspaceId, seq: i64, hash: &str, at: i64) -> String {
        let mut mac = self.mac();
        mac.update(&signed_bytes(ws, seq, hash, at));
        hex::encode(mac.finalize().into_bytes())
    }

    /// Whether `signature` is this key's signature of the head (constant-time compare).
    pub fn verify(&self, ws: WorkspaceId, seq: i64, hash: &str, at: i64, signature: &str) -> bool {
        let Ok(sig) = hex::decode(signature) else {
            return false;
        };
        let mut mac = self.mac();
        mac.update(&signed_bytes(ws, seq, hash, at));
        mac.verify_slice(&sig).is_ok()
    }
}

/// The signed message: each field length-prefixed, as in the chain's own hashing.
fn signed_bytes(ws: WorkspaceId, seq: i64, hash: &str, at: i64) -> Vec<u8> {
    let mut out = Vec::new();
    for field in [
        &b"hearken-audit-checkpoint-v1"[..],
        &ws.0.to_be_bytes(),
        &seq.to_be_bytes(),
        hash.as_bytes(),
        &at.to_be_bytes(),
    ] {
        out.extend_from_slice(&(field.len() as u64).to_be_bytes());
        out.extend_from_slice(field);
    }
    out
}

/// Signs and stores the current head of a workspace's chain.
pub async fn record(
    store: &DynStore,
    ws: WorkspaceId,
    key: &AuditKey,
) -> StoreResult<CheckpointRow> {
    let (seq, hash) = store.audit_head(ws).await?;
    let at = now_millis();
    let cp = NewCheckpoint {
        seq,
        signature: key.sign(ws, seq, &hash, at),
        hash,
        at,
        key_id: key.id(),
    };
    store.add_checkpoint(ws, &cp).await
}

/// Records a checkpoint of every workspace whose chain moved since its last one.
pub async fn record_all(store: &DynStore, key: &AuditKey) -> StoreResult<usize> {
    let mut made = 0;
    for w in store.workspaces().await? {
        let ws = WorkspaceId(w.id);
        let (seq, _) = store.audit_head(ws).await?;
        let last = store.checkpoints(ws).await?.last().map(|c| c.seq);
        if last != Some(seq) {
            let cp = record(store, ws, key).await?;
            tracing::info!(
                workspace.id = ws.0,
                audit.seq = cp.seq,
                "audit checkpoint {} recorded for workspace {}",
                cp.seq,
                ws.0
            );
            made += 1;
        }
    }
    Ok(made)
}

/// Records checkpoints every `every` for as long as the server runs.
pub fn spawn_periodic(store: DynStore, key: AuditKey, every: std::time::Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            if let Err(e) = record_all(&store, &key).await {
                tracing::error!(error = %e, "recording audit checkpoints failed");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc4231_case_2() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let mut mac = HmacSha256::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn a_signature_covers_every_field() {
        let key = AuditKey::new("k").unwrap();
        let ws = WorkspaceId(1);
        let sig = key.sign(ws, 5, "abc", 10);
        assert!(key.verify(ws, 5, "abc", 10, &sig));
        assert!(!key.verify(ws, 4, "abc", 10, &sig));
        assert!(!key.verify(ws, 5, "abd", 10, &sig));
        assert!(!key.verify(WorkspaceId(2), 5, "abc", 10, &sig));
        assert!(!AuditKey::new("other")
            .unwrap()
            .verify(ws, 5, "abc", 10, &sig));
    }
}
