//! The parsed form of a selector.

use crate::like::Pattern;

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Ne,
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
}

/// A literal value.
#[derive(Clone, Debug, PartialEq)]
pub enum Lit {
    Str(String),
    Long(i64),
    Double(f64),
    Bool(bool),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Lit(Lit),
    /// A header field or property name.
    Ident(String),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Cmp(Cmp, Box<Expr>, Box<Expr>),
    Arith(Arith, Box<Expr>, Box<Expr>),
    Between {
        expr: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
        negated: bool,
    },
    In {
        ident: String,
        list: Vec<String>,
        negated: bool,
    },
    Like {
        ident: String,
        pattern: Pattern,
        negated: bool,
    },
    IsNull {
        ident: String,
        negated: bool,
    },
}

impl Expr {
    /// Whether the expression can only be boolean (or unknown): what a
    /// selector as a whole must be. Identifiers may hold booleans.
    pub fn is_boolean(&self) -> bool {
        match self {
            Expr::Lit(Lit::Bool(_)) | Expr::Ident(_) => true,
            Expr::Lit(_) | Expr::Neg(_) | Expr::Arith(..) => false,
            _ => true,
        }
    }

    /// Whether the expression can only be numeric (or unknown): what
    /// arithmetic operands must be. Identifiers may hold numbers.
    pub fn is_arithmetic(&self) -> bool {
        matches!(
            self,
            Expr::Lit(Lit::Long(_) | Lit::Double(_))
                | Expr::Ident(_)
                | Expr::Neg(_)
                | Expr::Arith(..)
        )
    }
}
