//! A machine-checkable brand style guide.
//!
//! A [`StyleGuide`] is plain data (JSON through serde) holding [`Rule`]s.
//! [`check`] / [`check_with`] run every rule against a reply and return
//! [`Violation`]s, each with a fix hint and, where a location exists, a byte
//! span that always lies on UTF-8 char boundaries.
//!
//! Guides should be validated with [`StyleGuide::validate`] when saved. If an
//! invalid guide is checked anyway, the broken rule reports a `Blocking`
//! violation (fail closed) instead of being silently skipped.
//!
//! Locale variants live in a [`StyleBook`] with fallback to a default locale.

use std::collections::{BTreeMap, BTreeSet};

use regex::Regex;
use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation;

use crate::textutil::{find_whole, phrase_regex};

/// How serious a violation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The reply must not be sent until fixed.
    Blocking,
    /// The reply may be sent; the agent is advised to fix it.
    Warning,
}

/// A versioned, locale-specific style guide.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StyleGuide {
    /// Monotonic version number, assigned by the application.
    pub version: i64,
    /// Locale tag such as `en-GB`.
    pub locale: String,
    /// The rules, checked in order.
    pub rules: Vec<Rule>,
}

/// One rule of a style guide.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// Identifier, unique inside its guide.
    pub id: String,
    /// Severity of the violations this rule reports.
    pub severity: Severity,
    /// What the rule checks.
    #[serde(flatten)]
    pub kind: RuleKind,
}

/// The kinds of rule. Serialized with a `"kind"` tag, e.g.
/// `{"id":"r1","severity":"warning","kind":"banned_phrase","phrase":"ASAP"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RuleKind {
    /// A word or phrase that must not appear (case-insensitive, whole word).
    BannedPhrase {
        /// The banned phrase; inner whitespace matches any whitespace run.
        phrase: String,
        /// Suggested alternative wording.
        #[serde(default)]
        suggestion: Option<String>,
    },
    /// The reply must end with a sign-off.
    RequiredSignOff {
        /// How the sign-off is recognised.
        sign_off: SignOff,
    },
    /// When any topic phrase appears, the disclosure text must appear too.
    RequiredDisclosure {
        /// Topic phrases (case-insensitive, whole word), e.g. `refund`.
        topics: Vec<String>,
        /// Text that must be present (case-insensitive), e.g. `Terms apply`.
        disclosure: String,
    },
    /// Maximum length on one channel, as measured by the caller's counter.
    MaxLength {
        /// Channel name this limit applies to (exact match).
        channel: String,
        /// Largest allowed length.
        max: usize,
    },
    /// Links (`http://`, `https://`, `www.`) may only point to these domains
    /// or their subdomains.
    AllowedLinkDomains {
        /// Allowed domains, e.g. `example.com`.
        domains: Vec<String>,
    },
    /// Too much uppercase.
    Shouting {
        /// Flag when more than this percentage of cased letters is uppercase.
        max_upper_percent: u8,
        /// ...but only when the text has at least this many cased letters.
        min_letters: usize,
        /// Also flag a run of more than this many consecutive all-caps words.
        #[serde(default)]
        max_caps_words: Option<usize>,
    },
    /// Sentences longer than `max_words` words.
    LongSentence {
        /// Largest allowed number of words in one sentence.
        max_words: usize,
    },
}

/// How a required sign-off is recognised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignOff {
    /// The text (ignoring trailing whitespace) ends with this literal.
    Literal(String),
    /// The last non-empty line, trimmed, matches this regex (e.g. `^[A-Z]{2}$`).
    Regex(String),
}

/// One finding of the checker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// Id of the rule that fired.
    pub rule_id: String,
    /// Severity of the rule.
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub fix: String,
    /// Byte range `start..end` in the checked text, on char boundaries.
    pub span: Option<(usize, usize)>,
}

/// An invalid style guide or style book.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuideError {
    /// A rule is malformed.
    #[error("style rule `{rule_id}` is invalid: {problem}")]
    InvalidRule {
        /// The offending rule.
        rule_id: String,
        /// What is wrong with it.
        problem: String,
    },
    /// Two rules share an id.
    #[error("style rule id `{0}` is used more than once")]
    DuplicateRuleId(String),
    /// The style book's default locale has no guide.
    #[error("default locale `{0}` has no style guide")]
    MissingDefault(String),
    /// A style book key disagrees with the guide's own locale.
    #[error("style book key `{key}` holds a guide for locale `{locale}`")]
    LocaleMismatch {
        /// The map key.
        key: String,
        /// The guide's `locale` field.
        locale: String,
    },
}

/// Measures a reply's length the way a channel does.
///
/// Platform-specific counting (URL shortening, weighted characters) lives
/// outside this crate; any `Fn(&str) -> usize` is a counter.
pub trait LengthCounter {
    /// Length of `text` as the channel counts it.
    fn count(&self, text: &str) -> usize;
}

impl<F: Fn(&str) -> usize> LengthCounter for F {
    fn count(&self, text: &str) -> usize {
        self(text)
    }
}

/// Counts Unicode scalar values; the default used by [`check`].
#[derive(Debug, Clone, Copy, Default)]
pub struct CharCounter;

impl LengthCounter for CharCounter {
    fn count(&self, text: &str) -> usize {
        text.chars().count()
    }
}

impl StyleGuide {
    /// Checks that every rule is well-formed and ids are unique.
    pub fn validate(&self) -> Result<(), GuideError> {
        let mut seen = BTreeSet::new();
        for rule in &self.rules {
            if !seen.insert(rule.id.as_str()) {
                return Err(GuideError::DuplicateRuleId(rule.id.clone()));
            }
            rule.validate()?;
        }
        Ok(())
    }
}

impl Rule {
    /// Checks this rule alone; the error names the rule.
    pub fn validate(&self) -> Result<(), GuideError> {
        let problem = match self.id.trim().is_empty() {
            true => Some("rule id is empty".to_string()),
            false => self.kind.problem(),
        };
        match problem {
            Some(problem) => Err(GuideError::InvalidRule {
                rule_id: self.id.clone(),
                problem,
            }),
            None => Ok(()),
        }
    }
}

impl RuleKind {
    fn problem(&self) -> Option<String> {
        match self {
            RuleKind::BannedPhrase { phrase, .. } => blank(phrase, "phrase"),
            RuleKind::RequiredSignOff { sign_off } => sign_off.problem(),
            RuleKind::RequiredDisclosure { topics, disclosure } => {
                topics_problem(topics).or_else(|| blank(disclosure, "disclosure"))
            }
            RuleKind::MaxLength { channel, .. } => blank(channel, "channel"),
            RuleKind::AllowedLinkDomains { domains } => domains
                .iter()
                .find(|d| normalize_domain(d).is_empty())
                .map(|_| "an allowed domain is empty".to_string()),
            RuleKind::Shouting {
                max_upper_percent, ..
            } => (*max_upper_percent > 100).then(|| "max_upper_percent exceeds 100".into()),
            RuleKind::LongSentence { max_words } => {
                (*max_words == 0).then(|| "max_words must be at least 1".into())
            }
        }
    }
}

fn blank(value: &str, field: &str) -> Option<String> {
    value.trim().is_empty().then(|| format!("{field} is empty"))
}

fn topics_problem(topics: &[String]) -> Option<String> {
    if topics.is_empty() {
        return Some("topics is empty".into());
    }
    topics.iter().find_map(|t| blank(t, "a topic"))
}

impl SignOff {
    fn problem(&self) -> Option<String> {
        match self {
            SignOff::Literal(lit) => blank(lit, "sign-off literal"),
            SignOff::Regex(re) => Regex::new(re)
                .err()
                .map(|e| format!("sign-off regex does not compile: {e}")),
        }
    }
}

/// Checks `text` for `channel`, counting length in chars ([`CharCounter`]).
pub fn check(guide: &StyleGuide, text: &str, channel: &str) -> Vec<Violation> {
    check_with(guide, text, channel, &CharCounter)
}

/// Checks `text` for `channel`, measuring length with `counter`.
pub fn check_with(
    guide: &StyleGuide,
    text: &str,
    channel: &str,
    counter: &dyn LengthCounter,
) -> Vec<Violation> {
    let ctx = Ctx {
        text,
        channel,
        counter,
    };
    guide
        .rules
        .iter()
        .flat_map(|r| check_rule(r, &ctx))
        .collect()
}

/// True when no violation is `Blocking`.
pub fn passes(violations: &[Violation]) -> bool {
    violations.iter().all(|v| v.severity != Severity::Blocking)
}

struct Ctx<'a> {
    text: &'a str,
    channel: &'a str,
    counter: &'a dyn LengthCounter,
}

/// A violation before the rule's id and severity are attached.
struct Finding {
    message: String,
    fix: String,
    span: Option<(usize, usize)>,
}

fn finding(message: String, fix: String, span: Option<(usize, usize)>) -> Finding {
    Finding { message, fix, span }
}

fn check_rule(rule: &Rule, ctx: &Ctx) -> Vec<Violation> {
    if let Err(err) = rule.validate() {
        return vec![misconfigured(rule, err)];
    }
    let findings = match &rule.kind {
        RuleKind::BannedPhrase { phrase, suggestion } => {
            banned(ctx.text, phrase, suggestion.as_deref())
        }
        RuleKind::RequiredSignOff { sign_off } => sign_off_missing(ctx.text, sign_off),
        RuleKind::RequiredDisclosure { topics, disclosure } => {
            disclosure_missing(ctx.text, topics, disclosure)
        }
        RuleKind::MaxLength { channel, max } => too_long(ctx, channel, *max),
        RuleKind::AllowedLinkDomains { domains } => bad_links(ctx.text, domains),
        RuleKind::Shouting {
            max_upper_percent,
            min_letters,
            max_caps_words,
        } => shouting(ctx.text, *max_upper_percent, *min_letters, *max_caps_words),
        RuleKind::LongSentence { max_words } => long_sentences(ctx.text, *max_words),
    };
    findings
        .into_iter()
        .map(|f| Violation {
            rule_id: rule.id.clone(),
            severity: rule.severity,
            message: f.message,
            fix: f.fix,
            span: f.span,
        })
        .collect()
}

fn misconfigured(rule: &Rule, err: GuideError) -> Violation {
    Violation {
        rule_id: rule.id.clone(),
        severity: Severity::Blocking,
        message: err.to_string(),
        fix: "Ask a style-guide editor to repair this rule.".into(),
        span: None,
    }
}

fn banned(text: &str, phrase: &str, suggestion: Option<&str>) -> Vec<Finding> {
    let Ok(re) = phrase_regex(phrase) else {
        return Vec::new();
    };
    let fix = match suggestion {
        Some(s) => format!("Replace it with \"{s}\"."),
        None => "Remove or rephrase it.".to_string(),
    };
    find_whole(text, &re)
        .into_iter()
        .map(|(s, e)| {
            let msg = format!("\"{}\" is not in our voice", &text[s..e]);
            finding(msg, fix.clone(), Some((s, e)))
        })
        .collect()
}

fn sign_off_missing(text: &str, sign_off: &SignOff) -> Vec<Finding> {
    let ok = match sign_off {
        SignOff::Literal(lit) => text.trim_end().ends_with(lit.as_str()),
        SignOff::Regex(re) => {
            let line = text.trim_end().lines().last().unwrap_or("").trim();
            Regex::new(re).is_ok_and(|re| re.is_match(line))
        }
    };
    if ok {
        return Vec::new();
    }
    let fix = match sign_off {
        SignOff::Literal(lit) => format!("End the reply with \"{lit}\"."),
        SignOff::Regex(re) => format!("End the reply with a last line matching `{re}`."),
    };
    vec![finding("The reply has no sign-off.".into(), fix, None)]
}

fn disclosure_missing(text: &str, topics: &[String], disclosure: &str) -> Vec<Finding> {
    if text.to_lowercase().contains(&disclosure.to_lowercase()) {
        return Vec::new();
    }
    let first = topics
        .iter()
        .filter_map(|t| phrase_regex(t).ok())
        .filter_map(|re| find_whole(text, &re).into_iter().next())
        .min();
    first
        .map(|(s, e)| {
            let msg = format!("Mentioning \"{}\" requires a disclosure.", &text[s..e]);
            let fix = format!("Add \"{disclosure}\".");
            vec![finding(msg, fix, Some((s, e)))]
        })
        .unwrap_or_default()
}

fn too_long(ctx: &Ctx, channel: &str, max: usize) -> Vec<Finding> {
    if ctx.channel != channel {
        return Vec::new();
    }
    let len = ctx.counter.count(ctx.text);
    if len <= max {
        return Vec::new();
    }
    let msg = format!("The reply is {len} long; {channel} allows {max}.");
    let fix = format!("Shorten it by at least {}.", len - max);
    vec![finding(msg, fix, None)]
}

fn link_regex() -> Regex {
    Regex::new(r#"(?i)\b(?:https?://|www\.)[^\s<>"'()\[\]{}]+"#).expect("static regex")
}

fn bad_links(text: &str, domains: &[String]) -> Vec<Finding> {
    let allowed: Vec<String> = domains.iter().map(|d| normalize_domain(d)).collect();
    link_regex()
        .find_iter(text)
        .filter_map(|m| {
            let url = m.as_str().trim_end_matches(['.', ',', ';', ':', '!', '?']);
            let host = link_host(url);
            let ok = allowed.iter().any(|d| domain_allows(d, &host));
            (!ok).then(|| {
                let msg = format!("Link to \"{host}\" is not on the allowed list.");
                let fix = format!("Link only to: {}.", allowed.join(", "));
                finding(msg, fix, Some((m.start(), m.start() + url.len())))
            })
        })
        .collect()
}

fn normalize_domain(domain: &str) -> String {
    domain
        .trim()
        .trim_start_matches("*.")
        .trim_start_matches('.')
        .trim_end_matches('.')
        .to_lowercase()
}

/// Host of a URL, lower-cased, without user info or port.
fn link_host(url: &str) -> String {
    let lower = url.to_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .unwrap_or(&lower);
    let authority = rest.split(['/', '?', '#', '\\']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let host = host_port.split(':').next().unwrap_or("");
    host.trim_end_matches('.').to_string()
}

fn domain_allows(domain: &str, host: &str) -> bool {
    host == domain || host.ends_with(&format!(".{domain}"))
}

fn shouting(text: &str, max_pct: u8, min_letters: usize, max_run: Option<usize>) -> Vec<Finding> {
    let mut out = Vec::new();
    let (upper, cased) = cased_counts(text);
    if cased >= min_letters && cased > 0 && upper * 100 > usize::from(max_pct) * cased {
        let pct = upper * 100 / cased;
        let msg = format!("{pct}% of the letters are uppercase (limit {max_pct}%).");
        out.push(finding(msg, "Use sentence case.".into(), None));
    }
    if let Some(max) = max_run {
        out.extend(caps_runs(text, max));
    }
    out
}

fn cased_counts(text: &str) -> (usize, usize) {
    text.chars()
        .filter(|c| c.is_uppercase() || c.is_lowercase())
        .fold((0, 0), |(u, n), c| {
            (u + usize::from(c.is_uppercase()), n + 1)
        })
}

#[derive(PartialEq)]
enum WordCase {
    Caps,
    Neutral,
    Other,
}

fn word_case(word: &str) -> WordCase {
    match cased_counts(word) {
        (_, n) if n < 2 => WordCase::Neutral,
        (u, n) if u == n => WordCase::Caps,
        _ => WordCase::Other,
    }
}

fn caps_runs(text: &str, max: usize) -> Vec<Finding> {
    let mut runs = Vec::new();
    let mut run: Option<(usize, usize, usize)> = None; // start, end, words
    for (i, w) in text.unicode_word_indices() {
        match word_case(w) {
            WordCase::Caps => {
                let (s, _, n) = run.unwrap_or((i, i, 0));
                run = Some((s, i + w.len(), n + 1));
            }
            WordCase::Neutral => {}
            WordCase::Other => runs.extend(run.take()),
        }
    }
    runs.extend(run);
    runs.into_iter()
        .filter(|&(_, _, n)| n > max)
        .map(|(s, e, n)| {
            let msg = format!("{n} words in a row are in capitals.");
            finding(msg, "Use sentence case.".into(), Some((s, e)))
        })
        .collect()
}

fn long_sentences(text: &str, max_words: usize) -> Vec<Finding> {
    text.split_sentence_bound_indices()
        .filter_map(|(i, s)| {
            let words = s.unicode_words().count();
            (words > max_words).then(|| {
                let start = i + (s.len() - s.trim_start().len());
                let end = i + s.trim_end().len();
                let msg = format!("This sentence has {words} words (limit {max_words}).");
                finding(
                    msg,
                    "Split it into shorter sentences.".into(),
                    Some((start, end)),
                )
            })
        })
        .collect()
}

/// Style guides per locale with a default fallback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StyleBook {
    /// Locale used when no variant fits.
    pub default_locale: String,
    /// Guides keyed by locale tag.
    pub variants: BTreeMap<String, StyleGuide>,
}

impl StyleBook {
    /// The guide for `locale`: exact tag, then its language (`fr-CA` → `fr`),
    /// then the default locale. Tags compare case-insensitively, `_` = `-`.
    pub fn guide_for(&self, locale: &str) -> Option<&StyleGuide> {
        let wanted = normalize_locale(locale);
        let language = wanted.split('-').next().unwrap_or("").to_string();
        self.find(&wanted)
            .or_else(|| self.find(&language))
            .or_else(|| self.find(&normalize_locale(&self.default_locale)))
    }

    fn find(&self, normalized: &str) -> Option<&StyleGuide> {
        self.variants
            .iter()
            .find(|(k, _)| normalize_locale(k) == normalized)
            .map(|(_, g)| g)
    }

    /// Validates every guide, the default's presence and key/locale agreement.
    pub fn validate(&self) -> Result<(), GuideError> {
        if self.find(&normalize_locale(&self.default_locale)).is_none() {
            return Err(GuideError::MissingDefault(self.default_locale.clone()));
        }
        for (key, guide) in &self.variants {
            if normalize_locale(key) != normalize_locale(&guide.locale) {
                return Err(GuideError::LocaleMismatch {
                    key: key.clone(),
                    locale: guide.locale.clone(),
                });
            }
            guide.validate()?;
        }
        Ok(())
    }
}

fn normalize_locale(tag: &str) -> String {
    tag.trim().replace('_', "-").to_lowercase()
}
