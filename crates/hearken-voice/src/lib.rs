//! `hearken-voice`: the brand-voice and approval rules engines of Hearken.
//!
//! This crate performs no I/O and owns no storage. The application persists
//! the data (style guides, templates, drafts, certifications) and asks this
//! crate to decide:
//!
//! - [`style`]: a machine-checkable style guide and its checker.
//! - [`template`]: canned replies with `{{variable}}` placeholders.
//! - [`approval`]: approval paths as data, a pure draft state machine, and
//!   the routing rules ([`approval::rules`]) that choose a path.
//! - [`certification`]: grading of communication tests and certificate validity.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod approval;
pub mod certification;
pub mod style;
pub mod template;
mod textutil;
