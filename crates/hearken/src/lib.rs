//! Hearken: a social customer care desk.
//!
//! The crate is organised by capability: `import` and `export` move messages in and out,
//! `inbox` works conversations, `replies` sends answers through channel adapters, `audit`
//! keeps the tamper-evident log, `dashboard` computes monitoring figures, `auth` decides who
//! may do what, and `http` serves the UI and the JSON API over all of them. `storage` holds
//! the one storage trait with a SQLite and a PostgreSQL backend.

pub mod app;
pub mod approvals;
pub mod audit;
pub mod auth;
pub mod bench;
pub mod channels;
pub mod cli;
pub mod config;
pub mod dashboard;
pub mod demo;
pub mod domain;
pub mod export;
pub mod history;
pub mod http;
pub mod import;
pub mod inbox;
pub mod listening;
pub mod replies;
pub mod routing;
pub mod sla;
pub mod storage;
pub mod telemetry;
