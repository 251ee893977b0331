//! The audit trail: an append-only, hash-chained log per workspace.
//!
//! Each event's hash covers its own fields and the previous event's hash, so editing or
//! deleting any stored row breaks every later link. `verify` walks a chain and names the
//! first broken link.
//!
//! Signed checkpoints (`checkpoint`) pin the chain's head under a secret key, so a
//! rewritten or truncated chain is caught even when every hash was recomputed.

pub mod chain;
pub mod checkpoint;
pub mod export;
pub mod verify;
