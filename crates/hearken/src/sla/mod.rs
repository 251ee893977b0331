//! SLA policies, business calendars and SLA reporting (issue #3), over the pure
//! `hearken_sla` engine: `engine` turns stored rows into clocks and live state,
//! `report` aggregates stored clocks into the dashboard figures and CSV exports,
//! `watch` announces warnings and breaches live and `escalation` decides who hears of
//! them and which escalation rules act.

pub mod bench;
pub mod cli;
pub mod engine;
pub mod escalation;
pub mod report;
pub mod rollup;
pub mod watch;
