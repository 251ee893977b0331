//! Terms, filters and how they match a post (rules in the parent module).

use std::fmt;
use std::ops::Range;

use unicode_segmentation::UnicodeSegmentation;

use super::Post;

/// A word or quoted phrase, ready to match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Term {
    /// Canonical text: lower-cased, whitespace collapsed.
    text: String,
    quoted: bool,
    pattern: Pattern,
}

/// How a term is looked for in a post.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pattern {
    /// A run of consecutive post words.
    Words(Vec<String>),
    /// A substring of the normalised post text.
    Substring(String),
}

/// A post filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Filter {
    /// Handle, lower-cased, without leading `@`.
    Author(String),
    /// Language tag, lower-cased, `_` replaced by `-`.
    Lang(String),
}

/// A post's text, normalised once and split into words.
pub(super) struct Prepared {
    text: String,
    words: Vec<Range<usize>>,
}

/// A term occurrence as a half-open range of word positions; empty for an
/// occurrence that lies between words (such as an emoji).
type Span = (usize, usize);

impl Prepared {
    pub(super) fn new(text: &str) -> Self {
        let text = normalise(text);
        let words = text
            .unicode_word_indices()
            .map(|(i, w)| i..i + w.len())
            .collect();
        Prepared { text, words }
    }

    fn word(&self, i: usize) -> &str {
        &self.text[self.words[i].clone()]
    }

    /// Word positions covered by the bytes `range` of the normalised text.
    fn span_of(&self, range: Range<usize>) -> Span {
        let start = self.words.partition_point(|w| w.end <= range.start);
        let end = self.words.partition_point(|w| w.start < range.end);
        (start, end.max(start))
    }
}

impl Term {
    /// A term for `raw` text, or `None` if nothing is left to match once
    /// normalised.
    pub(super) fn new(raw: &str, quoted: bool) -> Option<Term> {
        let text = collapse_whitespace(&raw.to_lowercase());
        let norm = normalise(&text);
        if norm.is_empty() {
            return None;
        }
        let words: Vec<String> = norm.unicode_words().map(str::to_owned).collect();
        let pattern = if words.is_empty() || norm.chars().any(is_unspaced_script) {
            Pattern::Substring(norm)
        } else {
            Pattern::Words(words)
        };
        Some(Term {
            text,
            quoted,
            pattern,
        })
    }

    pub(super) fn occurs_in(&self, post: &Prepared) -> bool {
        match &self.pattern {
            Pattern::Substring(s) => post.text.contains(s.as_str()),
            Pattern::Words(words) => word_runs(words, post).next().is_some(),
        }
    }

    /// Every occurrence, in text order (starts and ends both non-decreasing).
    fn spans(&self, post: &Prepared) -> Vec<Span> {
        match &self.pattern {
            Pattern::Substring(s) => post
                .text
                .match_indices(s.as_str())
                .map(|(i, m)| post.span_of(i..i + m.len()))
                .collect(),
            Pattern::Words(words) => word_runs(words, post)
                .map(|i| (i, i + words.len()))
                .collect(),
        }
    }
}

/// Start positions where `words` occur consecutively in the post.
fn word_runs<'p>(words: &'p [String], post: &'p Prepared) -> impl Iterator<Item = usize> + 'p {
    let count = post.words.len();
    (0..(count + 1).saturating_sub(words.len()))
        .filter(move |&i| words.iter().enumerate().all(|(k, w)| post.word(i + k) == w))
}

/// Whether `left` and `right` occur at most `distance` word positions apart
/// (either order, not overlapping).
pub(super) fn near(left: &Term, right: &Term, distance: u32, post: &Prepared) -> bool {
    let d = distance as usize;
    let rights = right.spans(post);
    left.spans(post).into_iter().any(|a| {
        let lo = rights.partition_point(|b| b.1 + d <= a.0);
        let hi = rights.partition_point(|b| b.0 < a.1 + d);
        rights[lo..hi.max(lo)].iter().any(|&b| within(a, b, d))
    })
}

fn within(a: Span, b: Span, d: usize) -> bool {
    if a.0 < b.1 && b.0 < a.1 {
        return false;
    }
    let (first, second) = if a.1 <= b.0 { (a, b) } else { (b, a) };
    second.0 + 1 - first.1 <= d
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.quoted {
            write!(f, "\"{}\"", self.text)
        } else {
            f.write_str(&self.text)
        }
    }
}

impl Filter {
    /// An `author:` filter; the value must name a handle.
    pub(super) fn author(value: &str) -> Result<Filter, String> {
        let handle = normalise_handle(value);
        if handle.is_empty() {
            return Err("expected a handle after author:".to_owned());
        }
        Ok(Filter::Author(handle))
    }

    /// A `lang:` filter; the value must be a language tag such as `en` or
    /// `pt-BR`.
    pub(super) fn lang(value: &str) -> Result<Filter, String> {
        let tag = normalise_lang(value);
        let mut parts = tag.split('-');
        let primary = parts.next().unwrap_or("");
        let primary_ok =
            (2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_lowercase());
        let rest_ok = parts
            .all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
        if primary_ok && rest_ok {
            Ok(Filter::Lang(tag))
        } else {
            Err("expected a language code such as en or pt-br after lang:".to_owned())
        }
    }

    pub(super) fn matches(&self, post: &Post<'_>) -> bool {
        match self {
            Filter::Author(handle) => normalise_handle(post.author) == *handle,
            Filter::Lang(tag) => post.lang.is_some_and(|l| {
                let l = normalise_lang(l);
                l == *tag
                    || l.strip_prefix(tag.as_str())
                        .is_some_and(|r| r.starts_with('-'))
            }),
        }
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::Author(handle) => write!(f, "author:{handle}"),
            Filter::Lang(tag) => write!(f, "lang:{tag}"),
        }
    }
}

fn normalise_handle(handle: &str) -> String {
    handle.trim().trim_start_matches('@').to_lowercase()
}

fn normalise_lang(tag: &str) -> String {
    tag.trim().to_ascii_lowercase().replace('_', "-")
}

/// Lower-cases, folds `ς`→`σ` and `’`→`'`, drops invisible formatting
/// characters, collapses whitespace and trims.
fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars().filter(|&c| !is_invisible(c)) {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        match c {
            'ς' => out.push('σ'),
            '\u{2019}' => out.push('\''),
            _ => out.extend(c.to_lowercase()),
        }
    }
    out
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Soft hyphen, zero-width spaces and joiners, directional marks,
/// embeddings, overrides and isolates, word joiner and BOM.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// Scripts written without spaces between words.
fn is_unspaced_script(c: char) -> bool {
    matches!(
        c,
        '\u{0E00}'..='\u{0EFF}' // Thai, Lao
            | '\u{1000}'..='\u{109F}' // Myanmar
            | '\u{1100}'..='\u{11FF}' // Hangul Jamo
            | '\u{1780}'..='\u{17FF}' // Khmer
            | '\u{2E80}'..='\u{2FDF}' // CJK radicals
            | '\u{3040}'..='\u{31FF}' // kana, Bopomofo, Hangul compatibility jamo
            | '\u{3400}'..='\u{4DBF}' // CJK extension A
            | '\u{4E00}'..='\u{9FFF}' // CJK unified ideographs
            | '\u{A960}'..='\u{A97F}' // Hangul Jamo extended A
            | '\u{AC00}'..='\u{D7FF}' // Hangul syllables and Jamo extended B
            | '\u{F900}'..='\u{FAFF}' // CJK compatibility ideographs
            | '\u{FF66}'..='\u{FF9F}' // half-width katakana
            | '\u{20000}'..='\u{3FFFF}' // CJK extensions B and later
    )
}
