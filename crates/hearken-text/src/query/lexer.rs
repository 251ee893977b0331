//! Splits a query into tokens.
//!
//! Whitespace separates tokens; `(`, `)` and `"` also end a bare word. A bare
//! word is a keyword (`AND`, `OR`, `NOT`, `NEAR/n`), a filter (`name:value`
//! where `name` is ASCII letters and `value` does not start with `//`, so
//! `https://…` stays a word), or a plain word. A `-` at the start of a token
//! negates what follows it.

use super::matcher::Filter;
use super::{QueryError, QueryErrorKind as Kind, MAX_NEAR_DISTANCE, MAX_TERMS};

/// A token's kind and payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Tok {
    LParen,
    RParen,
    And,
    Or,
    Not,
    Minus,
    Near(u32),
    Word(String),
    Phrase(String),
    Filter(Filter),
}

impl Tok {
    /// Whether the token can begin an operand (and so implies AND).
    pub(super) fn starts_operand(&self) -> bool {
        matches!(
            self,
            Tok::LParen | Tok::Not | Tok::Minus | Tok::Word(_) | Tok::Phrase(_) | Tok::Filter(_)
        )
    }
}

/// A token and its byte span in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Token {
    pub(super) tok: Tok,
    pub(super) start: usize,
    pub(super) end: usize,
}

/// Tokenises `src`, enforcing [`MAX_TERMS`].
pub(super) fn lex(src: &str) -> Result<Vec<Token>, QueryError> {
    let mut lexer = Lexer {
        src,
        pos: 0,
        tokens: Vec::new(),
        terms: 0,
    };
    while let Some(c) = src[lexer.pos..].chars().next() {
        lexer.step(c)?;
    }
    Ok(lexer.tokens)
}

struct Lexer<'s> {
    src: &'s str,
    pos: usize,
    tokens: Vec<Token>,
    terms: usize,
}

impl Lexer<'_> {
    fn step(&mut self, c: char) -> Result<(), QueryError> {
        match c {
            c if c.is_whitespace() => {
                self.pos += c.len_utf8();
                Ok(())
            }
            '(' => self.push(Tok::LParen, self.pos + 1),
            ')' => self.push(Tok::RParen, self.pos + 1),
            '"' => self.phrase(),
            '-' => self.minus(),
            _ => self.bare(),
        }
    }

    fn error(&self, kind: Kind, offset: usize, message: impl Into<String>) -> QueryError {
        QueryError::new(kind, self.src, offset, message)
    }

    /// Records a token from `self.pos` to `end` and moves past it.
    fn push(&mut self, tok: Tok, end: usize) -> Result<(), QueryError> {
        if matches!(tok, Tok::Word(_) | Tok::Phrase(_) | Tok::Filter(_)) {
            self.terms += 1;
            if self.terms > MAX_TERMS {
                let message = format!("too many terms; the limit is {MAX_TERMS}");
                return Err(self.error(Kind::TooManyTerms, self.pos, message));
            }
        }
        let start = self.pos;
        self.tokens.push(Token { tok, start, end });
        self.pos = end;
        Ok(())
    }

    fn phrase(&mut self) -> Result<(), QueryError> {
        let open = self.pos;
        let Some(len) = self.src[open + 1..].find('"') else {
            return Err(self.error(Kind::UnterminatedQuote, open, "unterminated quote"));
        };
        let text = self.src[open + 1..open + 1 + len].to_owned();
        self.push(Tok::Phrase(text), open + len + 2)
    }

    fn minus(&mut self) -> Result<(), QueryError> {
        let next = self.src[self.pos + 1..].chars().next();
        if next.is_none_or(|c| c.is_whitespace() || c == ')') {
            let message = "expected a term right after - (write -spam to exclude spam)";
            return Err(self.error(Kind::DanglingOperator, self.pos, message));
        }
        self.push(Tok::Minus, self.pos + 1)
    }

    fn bare(&mut self) -> Result<(), QueryError> {
        let rest = &self.src[self.pos..];
        let len = rest
            .find(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | '"'))
            .unwrap_or(rest.len());
        let word = &rest[..len];
        let tok = match word {
            "AND" => Tok::And,
            "OR" => Tok::Or,
            "NOT" => Tok::Not,
            _ if word == "NEAR" || word.starts_with("NEAR/") => self.near(word)?,
            _ => match filter_parts(word) {
                Some((name, value)) => Tok::Filter(self.filter(name, value)?),
                None => Tok::Word(word.to_lowercase()),
            },
        };
        self.push(tok, self.pos + len)
    }

    /// `NEAR/n`; a bare `NEAR` or a bad `n` is an error.
    fn near(&self, word: &str) -> Result<Tok, QueryError> {
        let Some(digits) = word.strip_prefix("NEAR/") else {
            let message = "NEAR needs a distance, such as NEAR/3";
            return Err(self.error(Kind::BadNearDistance, self.pos, message));
        };
        match digits.parse::<u32>() {
            Ok(n) if (1..=MAX_NEAR_DISTANCE).contains(&n) => Ok(Tok::Near(n)),
            _ => {
                let message =
                    format!("NEAR distance must be a whole number from 1 to {MAX_NEAR_DISTANCE}");
                Err(self.error(Kind::BadNearDistance, self.pos + 5, message))
            }
        }
    }

    fn filter(&self, name: &str, value: &str) -> Result<Filter, QueryError> {
        let value_at = self.pos + name.len() + 1;
        let filter = match name.to_ascii_lowercase().as_str() {
            "author" => Filter::author(value),
            "lang" => Filter::lang(value),
            _ => {
                let message = format!("unknown filter {name}:; use author: or lang:");
                return Err(self.error(Kind::UnknownFilter, self.pos, message));
            }
        };
        filter.map_err(|message| self.error(Kind::BadFilterValue, value_at, message))
    }
}

/// Splits `name:value` when `name` is ASCII letters and `value` is not the
/// `//` of a URL.
fn filter_parts(word: &str) -> Option<(&str, &str)> {
    let (name, value) = word.split_once(':')?;
    let is_name = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphabetic());
    (is_name && !value.starts_with("//")).then_some((name, value))
}
