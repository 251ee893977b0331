//! HTTP: the server-rendered UI and the JSON API over the same capabilities.
//!
//! `error` owns every status mapping (use `ApiError` in API handlers and `PageError` in UI
//! handlers), `session` resolves the caller and guards forms against CSRF, `router` is the
//! one route table.

pub mod api;
pub mod error;
pub mod extract;
pub mod hooks;
pub mod router;
pub mod session;
pub mod templates;
pub mod ui;
pub mod views;
