//! Sending replies. A reply goes back where the customer wrote: the same account, the
//! same channel, privately for a direct message and publicly for a public item. Channel
//! adapters do the delivery; the `sandbox` adapter delivers to a local outbox so the whole
//! loop runs without a network.

pub mod adapter;
pub mod clients;
pub mod credentials;
pub mod outbound;
pub mod sandbox;
pub mod send;
