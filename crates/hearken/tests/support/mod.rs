//! Shared helpers of the issue #6 tests.
pub mod channels;
