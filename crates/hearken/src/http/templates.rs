//! HTML templates (minijinja, auto-escaping on): everything customer-supplied that reaches
//! a page is escaped by the engine, never by hand.

use minijinja::{Environment, Value};
use serde::Serialize;

use crate::domain::time::from_millis;

/// The compiled templates, embedded in the binary so the server needs no files.
pub struct Templates {
    env: Environment<'static>,
}

const SOURCES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("login.html", include_str!("../../templates/login.html")),
    ("inbox.html", include_str!("../../templates/inbox.html")),
    (
        "conversation.html",
        include_str!("../../templates/conversation.html"),
    ),
    (
        "dashboard.html",
        include_str!("../../templates/dashboard.html"),
    ),
    (
        "dashboard_panel.html",
        include_str!("../../templates/dashboard_panel.html"),
    ),
    ("audit.html", include_str!("../../templates/audit.html")),
    ("users.html", include_str!("../../templates/users.html")),
    // SLA reporting (#3)
    (
        "sla_report.html",
        include_str!("../../templates/sla_report.html"),
    ),
    (
        "sla_report_table.html",
        include_str!("../../templates/sla_report_table.html"),
    ),
    // Issue #6: connected accounts.
    (
        "channels_accounts.html",
        include_str!("../../templates/channels_accounts.html"),
    ),
    (
        "approvals_queue.html",
        include_str!("../../templates/approvals_queue.html"),
    ),
    // Issue #5: the person's timeline and audited originals.
    (
        "history_timeline.html",
        include_str!("../../templates/history_timeline.html"),
    ),
    (
        "history_original.html",
        include_str!("../../templates/history_original.html"),
    ),
    (
        "history_record.html",
        include_str!("../../templates/history_record.html"),
    ),
    (
        "listening_queries.html",
        include_str!("../../templates/listening_queries.html"),
    ),
    // Issue #4: communication tests, reply rights and the brand voice in force.
    (
        "comm_tests.html",
        include_str!("../../templates/comm_tests.html"),
    ),
    (
        "comm_test_take.html",
        include_str!("../../templates/comm_test_take.html"),
    ),
    (
        "comm_attempt_body.html",
        include_str!("../../templates/comm_attempt_body.html"),
    ),
    (
        "comm_attempt.html",
        include_str!("../../templates/comm_attempt.html"),
    ),
    (
        "comm_review.html",
        include_str!("../../templates/comm_review.html"),
    ),
    (
        "certifications.html",
        include_str!("../../templates/certifications.html"),
    ),
    (
        "brand_voice.html",
        include_str!("../../templates/brand_voice.html"),
    ),
];

impl Templates {
    /// Loads every template; a broken template is a build-time bug, so this panics.
    pub fn new() -> Templates {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
        env.add_filter("time", display_time);
        env.add_filter("preview", |s: String, n: usize| {
            crate::domain::message::preview(&s, n)
        });
        for (name, src) in SOURCES {
            env.add_template(name, src).expect("template compiles");
        }
        Templates { env }
    }

    /// Renders a template with the given context.
    pub fn render<S: Serialize>(&self, name: &str, ctx: S) -> Result<String, minijinja::Error> {
        self.env
            .get_template(name)?
            .render(Value::from_serialize(&ctx))
    }
}

/// Epoch milliseconds as `2024-06-10 10:00 UTC`.
fn display_time(ms: i64) -> String {
    from_millis(ms).strftime("%Y-%m-%d %H:%M UTC").to_string()
}

impl Default for Templates {
    fn default() -> Self {
        Templates::new()
    }
}
