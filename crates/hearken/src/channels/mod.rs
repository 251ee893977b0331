//! Channels in (issue #6): connected accounts with sealed credentials, webhook deliveries
//! accepted durably before they are answered and processed by a worker afterwards, exactly
//! once, and the completeness ledger that shows whether each source is healthy.
//!
//! The flow: `http::hooks` checks the signature and hands the raw body to the
//! [`runtime::Intake`] group-commit writer, which writes many concurrent deliveries in one
//! transaction and only then lets each request answer 200. The [`runtime`] worker claims
//! pending deliveries, [`plan`] turns each into actions, and the store applies them and
//! marks the delivery done in the same transaction. [`reconcile`] polls Mastodon for
//! anything the webhooks missed, and [`monitor`] raises the quiet-source alert.

pub mod bench;
pub mod connect;
pub mod monitor;
pub mod plan;
pub mod reconcile;
pub mod runtime;
pub mod secrets;
