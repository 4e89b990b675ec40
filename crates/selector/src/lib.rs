//! JMS message selectors (JMS 1.1 §3.8.1), as ActiveMQ 5.x evaluates them.
//!
//! A selector is parsed once, when a consumer subscribes ([`Selector::parse`]),
//! and then evaluated for every candidate message ([`Selector::matches`])
//! against anything that can look up header fields and properties by name
//! ([`Fields`]). Evaluation borrows from the message and never allocates.
//!
//! SQL three-valued logic: a comparison involving a missing property is
//! *unknown*, `NOT unknown` is unknown, and a message is selected only when
//! the whole expression is *true*.
//!
//! Types are strict, as JMS requires: a string compared with a number or a
//! boolean is false, never converted. ActiveMQ's one exception is a
//! selector prefixed `convert_string_expressions:` (its STOMP layer adds it
//! to every STOMP subscription, whose header values are all text): there a
//! string compared with a number or boolean is converted first (to a long
//! against an integer, a double against a decimal; false if it does not
//! parse). Arithmetic never converts strings.

mod ast;
mod eval;
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
        matches!(
            eval::eval(&self.expr, fields, self.convert_strings),
            Value::Bool(true)
        )
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
