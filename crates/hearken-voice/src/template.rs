//! Canned replies with `{{variable}}` placeholders.
//!
//! Placeholders are `{{name}}` (spaces inside the braces are allowed) where
//! `name` is `[a-z_][a-z0-9_]*`. The built-in names are
//! [`BUILTIN_VARIABLES`]; a template may declare more in
//! [`Template::variables`]. Any other name, an unclosed `{{`, a stray `}}`
//! or a brace inside a placeholder is an error.
//!
//! Rendering is a single pass: a value containing `{{...}}` is inserted
//! verbatim and never expanded again.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::style::{self, StyleGuide, Violation};

/// Variables every template may use without declaring them.
pub const BUILTIN_VARIABLES: [&str; 3] = ["customer_name", "agent_name", "order_number"];

/// A canned reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    /// Identifier assigned by the application.
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// The text with placeholders.
    pub body: String,
    /// Extra variable names this template may use.
    #[serde(default)]
    pub variables: Vec<String>,
}

/// A parsed piece of a template body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment<'a> {
    /// Literal text.
    Text(&'a str),
    /// A placeholder with its variable name.
    Var(&'a str),
}

/// Why a template cannot be parsed or rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// A placeholder has no value.
    #[error("missing value for variable `{name}`")]
    MissingVariable {
        /// The variable's name.
        name: String,
    },
    /// A placeholder names a variable that is neither built in nor declared.
    #[error("unknown placeholder `{{{{{name}}}}}` at byte {offset}")]
    UnknownPlaceholder {
        /// The unknown name.
        name: String,
        /// Byte offset of the opening `{{`.
        offset: usize,
    },
    /// Broken placeholder syntax.
    #[error("malformed placeholder at byte {offset}: {reason}")]
    Malformed {
        /// Byte offset of the problem.
        offset: usize,
        /// What is wrong.
        reason: String,
    },
    /// A declared variable has an invalid name.
    #[error("declared variable `{name}` is not a valid name ([a-z_][a-z0-9_]*)")]
    InvalidDeclaration {
        /// The invalid name.
        name: String,
    },
}

impl Template {
    /// Parses the body into literal text and placeholders.
    pub fn parse(&self) -> Result<Vec<Segment<'_>>, TemplateError> {
        self.check_declarations()?;
        let known = self.known_variables();
        let mut segments = Vec::new();
        let mut pos = 0;
        while let Some((open, close)) = next_placeholder(&self.body, pos)? {
            let name = placeholder_name(&self.body, open, close)?;
            if !known.contains(name) {
                let name = name.to_string();
                return Err(TemplateError::UnknownPlaceholder { name, offset: open });
            }
            push_text(&mut segments, &self.body[pos..open]);
            segments.push(Segment::Var(name));
            pos = close + 2;
        }
        push_text(&mut segments, &self.body[pos..]);
        Ok(segments)
    }

    /// Names of the variables the body uses.
    pub fn placeholders(&self) -> Result<BTreeSet<String>, TemplateError> {
        let segments = self.parse()?;
        Ok(segments
            .into_iter()
            .filter_map(|s| match s {
                Segment::Var(n) => Some(n.to_string()),
                Segment::Text(_) => None,
            })
            .collect())
    }

    /// Built-in plus declared variable names.
    pub fn known_variables(&self) -> BTreeSet<&str> {
        let declared = self.variables.iter().map(String::as_str);
        BUILTIN_VARIABLES.into_iter().chain(declared).collect()
    }

    fn check_declarations(&self) -> Result<(), TemplateError> {
        match self.variables.iter().find(|v| !valid_name(v)) {
            Some(v) => Err(TemplateError::InvalidDeclaration { name: v.clone() }),
            None => Ok(()),
        }
    }
}

fn push_text<'a>(segments: &mut Vec<Segment<'a>>, text: &'a str) {
    if !text.is_empty() {
        segments.push(Segment::Text(text));
    }
}

/// Finds the next `{{ ... }}` at or after `from` as (open, close) offsets.
fn next_placeholder(body: &str, from: usize) -> Result<Option<(usize, usize)>, TemplateError> {
    let open = body[from..].find("{{").map(|i| i + from);
    let stray = body[from..].find("}}").map(|i| i + from);
    match (open, stray) {
        (None, None) => Ok(None),
        (Some(o), Some(c)) if c < o => Err(stray_close(c)),
        (None, Some(c)) => Err(stray_close(c)),
        (Some(o), _) => match body[o + 2..].find("}}") {
            Some(c) => Ok(Some((o, o + 2 + c))),
            None => Err(TemplateError::Malformed {
                offset: o,
                reason: "`{{` is never closed".into(),
            }),
        },
    }
}

fn stray_close(offset: usize) -> TemplateError {
    TemplateError::Malformed {
        offset,
        reason: "`}}` without a matching `{{`".into(),
    }
}

fn placeholder_name(body: &str, open: usize, close: usize) -> Result<&str, TemplateError> {
    let inner = &body[open + 2..close];
    if inner.contains(['{', '}']) {
        return Err(TemplateError::Malformed {
            offset: open,
            reason: "braces inside a placeholder".into(),
        });
    }
    let name = inner.trim();
    if !valid_name(name) {
        return Err(TemplateError::Malformed {
            offset: open,
            reason: format!("`{name}` is not a valid variable name"),
        });
    }
    Ok(name)
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    first_ok && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Renders `template` with `vars`. Unused values are ignored.
pub fn render(
    template: &Template,
    vars: &BTreeMap<String, String>,
) -> Result<String, TemplateError> {
    expand(template, vars, true)
}

/// Fills the placeholders `vars` has values for and keeps the others as written
/// (`{{order_number}}`), for a composer where the agent completes the rest by hand.
pub fn fill(template: &Template, vars: &BTreeMap<String, String>) -> Result<String, TemplateError> {
    expand(template, vars, false)
}

/// One pass over the template; a placeholder without a value is an error when `strict`,
/// else it is kept as written.
fn expand(
    template: &Template,
    vars: &BTreeMap<String, String>,
    strict: bool,
) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(template.body.len());
    for segment in template.parse()? {
        match segment {
            Segment::Text(t) => out.push_str(t),
            Segment::Var(name) => match vars.get(name) {
                Some(value) => out.push_str(value),
                None if strict => {
                    let name = name.to_string();
                    return Err(TemplateError::MissingVariable { name });
                }
                None => {
                    out.push_str("{{");
                    out.push_str(name);
                    out.push_str("}}");
                }
            },
        }
    }
    Ok(out)
}

/// Renders with sample values and checks the result against a style guide.
///
/// Spans in the returned violations refer to the rendered text.
pub fn check_style(
    template: &Template,
    samples: &BTreeMap<String, String>,
    guide: &StyleGuide,
    channel: &str,
) -> Result<Vec<Violation>, TemplateError> {
    let text = render(template, samples)?;
    Ok(style::check(guide, &text, channel))
}

#[cfg(test)]
mod fill_tests {
    use super::*;

    fn template(body: &str) -> Template {
        Template {
            id: "t".into(),
            name: "t".into(),
            body: body.into(),
            variables: Vec::new(),
        }
    }

    #[test]
    fn fill_keeps_what_it_has_no_value_for() {
        let t = template("Hi {{ customer_name }}, {{agent_name}} here. Order {{order_number}}?");
        let vars = BTreeMap::from([
            ("customer_name".to_owned(), "Ana {{agent_name}}".to_owned()),
            ("agent_name".to_owned(), "Sam".to_owned()),
        ]);
        assert_eq!(
            fill(&t, &vars).unwrap(),
            "Hi Ana {{agent_name}}, Sam here. Order {{order_number}}?"
        );
        assert!(fill(&template("broken {{"), &vars).is_err());
    }
}
