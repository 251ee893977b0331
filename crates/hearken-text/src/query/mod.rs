//! The listening query language: which public posts a listening rule picks.
//!
//! It follows the boolean conventions of social-listening tools (Brandwatch,
//! Talkwalker, X's own search operators):
//!
//! | syntax               | meaning                                              |
//! |----------------------|------------------------------------------------------|
//! | `refund`             | the word *refund* (whole word, any case)             |
//! | `"money back"`       | the words *money back*, adjacent and in order        |
//! | `a b`, `a AND b`     | both (adjacent terms are joined by AND)               |
//! | `a OR b`             | either                                               |
//! | `NOT a`, `-a`        | not *a*                                              |
//! | `(a OR b) c`         | grouping                                             |
//! | `late NEAR/3 parcel` | both, at most 3 words apart, in either order          |
//! | `author:acme`        | posted by `@acme` (case-insensitive, `@` optional)   |
//! | `lang:pt`            | the post's language is `pt` or a variant (`pt-br`)   |
//!
//! Precedence, tightest first: `NOT`/`-`, `NEAR/n`, `AND` (explicit or
//! implicit), `OR`. Keywords must be upper case; lower-case `and`, `or`,
//! `not`, `near` are ordinary words, and a quoted `"AND"` searches the word.
//!
//! # Matching
//!
//! Text is normalised before matching, on both sides: lower-cased (Unicode
//! simple lowercase; final sigma `ς` is folded to `σ` and `’` to `'`),
//! invisible formatting characters (RTL/LTR marks and embeddings, zero-width
//! spaces and joiners, soft hyphens, BOM) are removed and whitespace runs
//! become one space. No stemming, accent folding or NFKC width folding.
//!
//! The post is split into words on Unicode word boundaries (UAX #29). A word
//! or phrase matches a run of consecutive post words, so `refund` does not
//! match *refunds* and `#refund` matches the word *refund*. Scripts written
//! without spaces (Chinese, Japanese, Korean, Thai, Lao, Khmer, Myanmar)
//! have no reliable word boundaries, so a term containing them matches as a
//! substring of the normalised text, as does a term with no letters or digits
//! (such as an emoji).
//!
//! `NEAR/n` counts word positions: adjacent words are 1 apart, so
//! `late NEAR/1 parcel` needs them side by side and `NEAR/3` allows two
//! words in between. The two terms must not overlap.
//!
//! # Limits and errors
//!
//! Queries are capped at [`MAX_QUERY_BYTES`] bytes, [`MAX_TERMS`] terms
//! (words, phrases and filters) and [`MAX_DEPTH`] levels of nesting, and
//! `NEAR` distances run from 1 to [`MAX_NEAR_DISTANCE`]. A query made only of
//! exclusions (`NOT spam`, `a OR -b`) is refused: it would match almost every
//! post on the platform. Every [`QueryError`] names the byte offset of the
//! fault and displays its 1-based column in characters.

mod lexer;
mod matcher;
mod parser;

use std::fmt;
use std::str::FromStr;

use matcher::{Filter, Prepared, Term};

/// Longest accepted query, in bytes.
pub const MAX_QUERY_BYTES: usize = 2000;
/// Most words, phrases and filters in one query.
pub const MAX_TERMS: usize = 50;
/// Deepest nesting of parentheses and negations.
pub const MAX_DEPTH: usize = 32;
/// Largest `NEAR/n` distance.
pub const MAX_NEAR_DISTANCE: u32 = 50;

/// A public post to test against a [`Query`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Post<'a> {
    /// The post's text as published.
    pub text: &'a str,
    /// The author's handle, with or without a leading `@`.
    pub author: &'a str,
    /// The post's language tag (BCP 47, e.g. `en`, `pt-BR`), if known.
    pub lang: Option<&'a str>,
}

/// A parsed listening query. Build one with [`parse`] or [`str::parse`];
/// its [`Display`](fmt::Display) form is canonical and parses back to an
/// equal query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    root: Node,
}

/// A node of the query tree.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Term(Term),
    Filter(Filter),
    Near {
        left: Term,
        right: Term,
        distance: u32,
    },
    Not(Box<Node>),
    And(Vec<Node>),
    Or(Vec<Node>),
}

/// What went wrong in a query, for callers that react to the kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueryErrorKind {
    /// Nothing but whitespace, or empty parentheses.
    Empty,
    /// Longer than [`MAX_QUERY_BYTES`].
    TooLong,
    /// More than [`MAX_TERMS`] terms.
    TooManyTerms,
    /// Nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// A `(` never closed or a `)` never opened.
    UnbalancedParens,
    /// An operator with no term on one side.
    DanglingOperator,
    /// `NEAR` without a distance, or a distance outside 1..=[`MAX_NEAR_DISTANCE`].
    BadNearDistance,
    /// `NEAR` joining something other than two words or phrases, or chained.
    BadNear,
    /// A `name:` filter other than `author:` and `lang:`.
    UnknownFilter,
    /// A filter with a missing or malformed value.
    BadFilterValue,
    /// A `"` with no closing `"`.
    UnterminatedQuote,
    /// A phrase or word with nothing to match once normalised.
    EmptyTerm,
    /// A query that only excludes, so it would match almost everything.
    OnlyNegative,
}

/// A query that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at column {column}")]
pub struct QueryError {
    /// What went wrong.
    pub kind: QueryErrorKind,
    /// Byte offset of the fault in the query source.
    pub offset: usize,
    /// 1-based column of the fault, counted in characters.
    pub column: usize,
    /// A human-readable description, without the position.
    pub message: String,
}

impl QueryError {
    fn new(kind: QueryErrorKind, src: &str, offset: usize, message: impl Into<String>) -> Self {
        let column = src.char_indices().take_while(|&(i, _)| i < offset).count() + 1;
        QueryError {
            kind,
            offset,
            column,
            message: message.into(),
        }
    }
}

/// Parses a listening query (see the module docs for the grammar).
pub fn parse(src: &str) -> Result<Query, QueryError> {
    if src.len() > MAX_QUERY_BYTES {
        let message = format!(
            "query is {} bytes long; the limit is {MAX_QUERY_BYTES}",
            src.len()
        );
        return Err(QueryError::new(
            QueryErrorKind::TooLong,
            src,
            MAX_QUERY_BYTES,
            message,
        ));
    }
    let tokens = lexer::lex(src)?;
    let root = parser::parse_tokens(src, tokens)?;
    if !root.has_positive() {
        return Err(QueryError::new(
            QueryErrorKind::OnlyNegative,
            src,
            0,
            "the query needs something to look for; NOT and - only exclude posts",
        ));
    }
    Ok(Query { root })
}

impl Query {
    /// Whether `post` satisfies the query.
    pub fn matches(&self, post: &Post<'_>) -> bool {
        let prepared = Prepared::new(post.text);
        self.root.eval(post, &prepared)
    }
}

impl FromStr for Query {
    type Err = QueryError;

    fn from_str(src: &str) -> Result<Self, Self::Err> {
        parse(src)
    }
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.root.fmt(f)
    }
}

impl Node {
    /// Joins nodes with AND, flattening nested ANDs.
    fn and(items: Vec<Node>) -> Node {
        let mut flat = Vec::with_capacity(items.len());
        for item in items {
            match item {
                Node::And(inner) => flat.extend(inner),
                other => flat.push(other),
            }
        }
        Node::single_or(flat, Node::And)
    }

    /// Joins nodes with OR, flattening nested ORs.
    fn or(items: Vec<Node>) -> Node {
        let mut flat = Vec::with_capacity(items.len());
        for item in items {
            match item {
                Node::Or(inner) => flat.extend(inner),
                other => flat.push(other),
            }
        }
        Node::single_or(flat, Node::Or)
    }

    /// The only item itself, or `make` of all of them.
    fn single_or(mut items: Vec<Node>, make: fn(Vec<Node>) -> Node) -> Node {
        match items.len() {
            1 => items.pop().unwrap_or_else(|| make(Vec::new())),
            _ => make(items),
        }
    }

    /// Negates a node; `NOT NOT a` is `a`.
    fn not(node: Node) -> Node {
        match node {
            Node::Not(inner) => *inner,
            other => Node::Not(Box::new(other)),
        }
    }

    /// Whether the node needs some term or filter to be present, rather than
    /// only requiring absences.
    fn has_positive(&self) -> bool {
        match self {
            Node::Term(_) | Node::Filter(_) | Node::Near { .. } => true,
            Node::Not(_) => false,
            Node::And(items) => items.iter().any(Node::has_positive),
            Node::Or(items) => items.iter().all(Node::has_positive),
        }
    }

    fn eval(&self, post: &Post<'_>, prepared: &Prepared) -> bool {
        match self {
            Node::Term(term) => term.occurs_in(prepared),
            Node::Filter(filter) => filter.matches(post),
            Node::Near {
                left,
                right,
                distance,
            } => matcher::near(left, right, *distance, prepared),
            Node::Not(inner) => !inner.eval(post, prepared),
            Node::And(items) => items.iter().all(|n| n.eval(post, prepared)),
            Node::Or(items) => items.iter().any(|n| n.eval(post, prepared)),
        }
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Term(term) => term.fmt(f),
            Node::Filter(filter) => filter.fmt(f),
            Node::Near {
                left,
                right,
                distance,
            } => write!(f, "{left} NEAR/{distance} {right}"),
            Node::Not(inner) if matches!(**inner, Node::And(_) | Node::Or(_)) => {
                write!(f, "NOT ({inner})")
            }
            Node::Not(inner) => write!(f, "NOT {inner}"),
            Node::And(items) => join(f, items, " AND ", |n| matches!(n, Node::Or(_))),
            Node::Or(items) => join(f, items, " OR ", |_| false),
        }
    }
}

/// Writes `items` separated by `sep`, parenthesising those `wrap` selects.
fn join(
    f: &mut fmt::Formatter<'_>,
    items: &[Node],
    sep: &str,
    wrap: fn(&Node) -> bool,
) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        if wrap(item) {
            write!(f, "({item})")?;
        } else {
            write!(f, "{item}")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
