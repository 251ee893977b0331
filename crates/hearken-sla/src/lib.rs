//! Hearken SLA engine: business calendars, SLA policies, SLA clocks computed
//! from conversation events, and response-time statistics.
//!
//! Pure computation: no I/O, no database. All time arithmetic is done on real
//! instants with `jiff`, in each calendar's IANA time zone.
//!
//! * [`calendar`]: opening hours, holidays (also from iCalendar), business
//!   time between instants and due times.
//! * [`policy`]: targets, conditions, policy selection and versions.
//! * [`clock`]: first/next response, resolution and approval clocks, with
//!   explanations and live state.
//! * [`stats`]: mean and quantiles, plus a mergeable quantile sketch.

pub mod calendar;
pub mod clock;
pub mod policy;
pub mod stats;

pub use calendar::{BusinessCalendar, CalendarError, CalendarSpec, Window};
pub use clock::{
    compute, compute_at, live_state, ConversationMetrics, Event, EventKind, LiveSla, LiveState,
};
pub use policy::{select_policy, ConversationFacts, PolicyCondition, SlaPolicy, Target};
