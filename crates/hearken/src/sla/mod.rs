//! SLA policies, business calendars and SLA reporting (issue #3), over the pure
//! `hearken_sla` engine: `engine` turns stored rows into clocks and live state,
//! `report` aggregates stored clocks into the dashboard figures and CSV exports.

pub mod bench;
pub mod cli;
pub mod engine;
pub mod report;
pub mod rollup;
pub mod watch;
