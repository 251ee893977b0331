//! Recursive-descent parser over the tokens.
//!
//! ```text
//! query   := or
//! or      := and ("OR" and)*
//! and     := unary (["AND"] unary)*
//! unary   := ("NOT" | "-") unary | near
//! near    := primary ["NEAR/n" primary]
//! primary := WORD | "PHRASE" | FILTER | "(" or ")"
//! ```
//!
//! The operands of `NEAR/n` must be words or phrases.

use super::lexer::{Tok, Token};
use super::matcher::Term;
use super::{Node, QueryError, QueryErrorKind as Kind, MAX_DEPTH};

/// Parses the whole token list into a tree.
pub(super) fn parse_tokens(src: &str, tokens: Vec<Token>) -> Result<Node, QueryError> {
    if tokens.is_empty() {
        return Err(QueryError::new(Kind::Empty, src, 0, "empty query"));
    }
    let mut parser = Parser {
        src,
        tokens,
        pos: 0,
        depth: 0,
    };
    let root = parser.or(None)?;
    match parser.peek() {
        None => Ok(root),
        Some(t) => Err(parser.error(Kind::UnbalancedParens, t.start, "unmatched )")),
    }
}

struct Parser<'s> {
    src: &'s str,
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn peek_tok(&self) -> Option<&Tok> {
        self.peek().map(|t| &t.tok)
    }

    /// Consumes the next token if it equals `tok`.
    fn eat(&mut self, tok: &Tok) -> bool {
        let hit = self.peek_tok() == Some(tok);
        self.pos += usize::from(hit);
        hit
    }

    /// Offset of the next token, or the end of the source.
    fn here(&self) -> usize {
        self.peek().map_or(self.src.len(), |t| t.start)
    }

    fn error(&self, kind: Kind, offset: usize, message: impl Into<String>) -> QueryError {
        QueryError::new(kind, self.src, offset, message)
    }

    fn or(&mut self, after: Option<&str>) -> Result<Node, QueryError> {
        let mut items = vec![self.and(after)?];
        while self.eat(&Tok::Or) {
            items.push(self.and(Some("OR"))?);
        }
        Ok(Node::or(items))
    }

    fn and(&mut self, after: Option<&str>) -> Result<Node, QueryError> {
        let mut items = vec![self.unary(after)?];
        loop {
            if self.eat(&Tok::And) {
                items.push(self.unary(Some("AND"))?);
            } else if self.peek_tok().is_some_and(Tok::starts_operand) {
                items.push(self.unary(None)?);
            } else {
                return Ok(Node::and(items));
            }
        }
    }

    fn unary(&mut self, after: Option<&str>) -> Result<Node, QueryError> {
        let op = match self.peek_tok() {
            Some(Tok::Not) => "NOT",
            Some(Tok::Minus) => "-",
            _ => return self.near(after),
        };
        self.pos += 1;
        self.nested(|p| p.unary(Some(op))).map(Node::not)
    }

    /// Runs `inner` one nesting level deeper, enforcing [`MAX_DEPTH`].
    fn nested<T>(
        &mut self,
        inner: impl FnOnce(&mut Self) -> Result<T, QueryError>,
    ) -> Result<T, QueryError> {
        if self.depth >= MAX_DEPTH {
            let message = format!("query is nested too deeply; the limit is {MAX_DEPTH}");
            return Err(self.error(Kind::TooDeep, self.here(), message));
        }
        self.depth += 1;
        let result = inner(self);
        self.depth -= 1;
        result
    }

    fn near(&mut self, after: Option<&str>) -> Result<Node, QueryError> {
        let left = self.primary(after)?;
        let Some(&Tok::Near(distance)) = self.peek_tok() else {
            return Ok(left);
        };
        let op_at = self.here();
        self.pos += 1;
        let label = format!("NEAR/{distance}");
        let bad_near = |p: &Self| {
            let message = format!("{label} must join two words or phrases");
            p.error(Kind::BadNear, op_at, message)
        };
        if matches!(self.peek_tok(), Some(Tok::Not | Tok::Minus)) {
            return Err(bad_near(self));
        }
        let right = self.primary(Some(&label))?;
        let (Node::Term(left), Node::Term(right)) = (left, right) else {
            return Err(bad_near(self));
        };
        if let Some(&Tok::Near(_)) = self.peek_tok() {
            let message = "NEAR joins exactly two terms; combine pairs with AND";
            return Err(self.error(Kind::BadNear, self.here(), message));
        }
        Ok(Node::Near {
            left,
            right,
            distance,
        })
    }

    fn primary(&mut self, after: Option<&str>) -> Result<Node, QueryError> {
        let Some(token) = self.peek().cloned() else {
            return Err(self.missing(after, self.src.len()));
        };
        self.pos += 1;
        match token.tok {
            Tok::Word(word) => self.term(&word, false, token.start),
            Tok::Phrase(text) => self.term(&text, true, token.start),
            Tok::Filter(filter) => Ok(Node::Filter(filter)),
            Tok::LParen => self.group(&token),
            Tok::RParen if after.is_none() => {
                Err(self.error(Kind::UnbalancedParens, token.start, "unmatched )"))
            }
            Tok::And | Tok::Or | Tok::Near(_) if after.is_none() => {
                let op = &self.src[token.start..token.end];
                let message = format!("expected a term before {op}");
                Err(self.error(Kind::DanglingOperator, token.start, message))
            }
            _ => Err(self.missing(after, token.start)),
        }
    }

    /// "expected a term after OR" and friends.
    fn missing(&self, after: Option<&str>, offset: usize) -> QueryError {
        let message = match after {
            Some(op) => format!("expected a term after {op}"),
            None => "expected a term".to_owned(),
        };
        self.error(Kind::DanglingOperator, offset, message)
    }

    fn term(&self, raw: &str, quoted: bool, start: usize) -> Result<Node, QueryError> {
        Term::new(raw, quoted).map(Node::Term).ok_or_else(|| {
            let what = if quoted { "phrase" } else { "word" };
            let message = format!("this {what} has nothing to search for");
            self.error(Kind::EmptyTerm, start, message)
        })
    }

    /// The inside of `( … )`; the `(` is already consumed.
    fn group(&mut self, open: &Token) -> Result<Node, QueryError> {
        if self.eat(&Tok::RParen) {
            return Err(self.error(Kind::Empty, open.start, "empty parentheses"));
        }
        let inner = self.nested(|p| p.or(None))?;
        if self.eat(&Tok::RParen) {
            Ok(inner)
        } else {
            Err(self.error(Kind::UnbalancedParens, open.start, "unclosed ("))
        }
    }
}
