//! The parsed form of a selector: one node per ActiveMQ expression class,
//! so that evaluation can follow ActiveMQ's rules node by node.

use crate::like::Pattern;

/// Ordering comparisons (`=` is [`Expr::Eq`]: its NULL rules differ).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    Lt,
    Le,
    Gt,
    Ge,
}

/// Arithmetic operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arith {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

/// A literal, typed as ActiveMQ types it: a whole number is an `Int` when
/// it fits 32 bits, else a `Long`; beyond 64 bits it is a BigDecimal
/// (`Big`), which compares with nothing but itself.
#[derive(Clone, Debug, PartialEq)]
pub enum Lit {
    Str(String),
    Int(i32),
    Long(i64),
    Big(i128),
    Double(f64),
    Bool(bool),
    Null,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Lit(Lit),
    /// A header field or property name.
    Ident(String),
    /// Unary minus (never folded into a literal: ActiveMQ does not fold).
    Neg(Box<Expr>),
    Not(Box<Expr>),
    /// An identifier where a boolean is needed (`color AND x`): its value
    /// if boolean, FALSE if another type, unknown if missing.
    BoolCast(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    /// `=`; `<>` is `NOT =` and `IS NULL` is `= NULL`, as in ActiveMQ.
    Eq(Box<Expr>, Box<Expr>),
    Cmp(Cmp, Box<Expr>, Box<Expr>),
    Arith(Arith, Box<Expr>, Box<Expr>),
    In {
        ident: String,
        list: Vec<String>,
        negated: bool,
    },
    Like {
        expr: Box<Expr>,
        pattern: Pattern,
    },
}

impl Expr {
    /// Whether ActiveMQ's parser sees this as a BooleanExpression: what
    /// AND, OR, NOT and a whole selector take (an identifier is cast), and
    /// what `<` refuses.
    pub fn is_boolean(&self) -> bool {
        match self {
            Expr::Lit(Lit::Bool(_) | Lit::Null) => true,
            Expr::Lit(_) | Expr::Ident(_) | Expr::Neg(_) | Expr::Arith(..) => false,
            _ => true,
        }
    }

    pub fn is_literal(&self) -> bool {
        matches!(self, Expr::Lit(_))
    }
}
