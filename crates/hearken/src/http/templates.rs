//! HTML templates (minijinja, auto-escaping on): everything customer-supplied that reaches
//! a page is escaped by the engine, never by hand.

use minijinja::{Environment, Value};
use serde::Serialize;

use crate::domain::time::rfc3339;

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
    (
        "listening_queries.html",
        include_str!("../../templates/listening_queries.html"),
    ),
];

impl Templates {
    /// Loads every template; a broken template is a build-time bug, so this panics.
    pub fn new() -> Templates {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
        env.add_filter("time", |ms: i64| {
            rfc3339(ms)
                .replace('T', " ")
                .trim_end_matches('Z')
                .to_owned()
                + " UTC"
        });
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

impl Default for Templates {
    fn default() -> Self {
        Templates::new()
    }
}
