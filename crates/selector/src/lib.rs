//! JMS message selectors (JMS 1.1 §3.8.1), exactly as ActiveMQ 5.17
//! parses and evaluates them.
//!
//! A selector is parsed once, when a consumer subscribes ([`Selector::parse`]),
//! and then evaluated for every candidate message ([`Selector::matches`])
//! against anything that can look up header fields and properties by name
//! ([`Fields`]).
//!
//! ActiveMQ is the reference, not the JMS text, wherever the two part:
//! users replacing an ActiveMQ broker expect the messages it chose. Every
//! rule below was checked against ActiveMQ's own selector code
//! (`crates/broker/tests/selector_vs_activemq.rs` compares generated
//! selectors and messages with it):
//!
//! - Grammar (`parser.rs`): `NOT` binds tighter than comparisons
//!   (`NOT a = 1` is `(NOT a) = 1`); `%` is a remainder; comments are
//!   skipped; string, boolean and NULL literals cannot be ordered with
//!   `<`; identifiers are ASCII. ActiveMQ's XPATH/XQUERY selectors and
//!   function calls are refused as invalid, not evaluated.
//! - Types follow Java's classes: whole literals are ints when they fit,
//!   `+ - *` wrap at 32 or 64 bits, `/` and `%` are always floating point,
//!   `'text' + x` joins, and comparisons convert between numeric classes
//!   only where ActiveMQ's ComparisonExpression does (an int compared with
//!   a byte property is false).
//! - Strict strings: a string compared with a number or a boolean is false,
//!   never converted — except under ActiveMQ's `convert_string_expressions:`
//!   prefix (its STOMP layer adds it to every STOMP subscription, whose
//!   header values are all text), where the string is parsed as the other
//!   side's type (false if it does not parse).
//! - Unknowns: SQL three-valued logic for AND, OR, NOT and ordering; `=`
//!   as ActiveMQ: two unknowns are equal, and `'a' <> x` is TRUE when x is
//!   missing (but `x <> 'a'` unknown).
//! - Where ActiveMQ's evaluation throws (arithmetic on a string, negating a
//!   byte, a double compared with a float) the message is not selected.
//!
//! Evaluation borrows from the message; it allocates only to join strings.

mod ast;
mod eval;
mod java;
mod like;
mod parser;
mod value;

pub use ast::Expr;
pub use value::{Fields, Value};

/// A parsed selector.
#[derive(Clone, Debug, PartialEq)]
pub struct Selector {
    expr: Expr,
    text: String,
    /// `convert_string_expressions:` was given (see the crate doc).
    convert_strings: bool,
}

/// The prefix with which ActiveMQ asks for string conversion in comparisons.
pub const CONVERT_STRING_EXPRESSIONS: &str = "convert_string_expressions:";

/// Why a selector does not parse; the text is what the client is shown
/// (`javax.jms.InvalidSelectorException` over OpenWire, an ERROR over STOMP).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}: {selector}")]
pub struct ParseError {
    pub message: String,
    pub selector: String,
}

impl Selector {
    /// Parses `text`.
    ///
    /// # Errors
    /// [`ParseError`] for anything that is not a valid selector, including a
    /// valid expression that is not boolean (`a + 1`).
    pub fn parse(text: &str) -> Result<Selector, ParseError> {
        let (body, convert_strings) = match text.strip_prefix(CONVERT_STRING_EXPRESSIONS) {
            Some(rest) => (rest, true),
            None => (text, false),
        };
        let expr = parser::parse(body).map_err(|message| ParseError {
            message,
            selector: text.to_string(),
        })?;
        Ok(Selector {
            expr,
            text: text.to_string(),
            convert_strings,
        })
    }

    /// Whether the message is selected: the expression is TRUE (not false,
    /// not unknown).
    pub fn matches<F: Fields + ?Sized>(&self, fields: &F) -> bool {
        eval::matches(&self.expr, fields, self.convert_strings).unwrap_or(false)
    }

    /// The selector as the client wrote it.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn expr(&self) -> &Expr {
        &self.expr
    }
}

#[cfg(test)]
mod tests;
