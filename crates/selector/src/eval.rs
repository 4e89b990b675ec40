//! Evaluation with SQL three-valued logic and ActiveMQ's type rules.
//! Nothing here allocates: values borrow from the message or the selector.

use std::cmp::Ordering;

use crate::ast::{Arith, Cmp, Expr, Lit};
use crate::value::{Fields, Value};

/// `convert`: the selector had `convert_string_expressions:` (comparisons
/// convert strings; see the crate doc).
pub fn eval<'a, F: Fields + ?Sized>(e: &'a Expr, f: &'a F, convert: bool) -> Value<'a> {
    match e {
        Expr::Lit(Lit::Str(s)) => Value::Str(s),
        Expr::Lit(Lit::Long(l)) => Value::Long(*l),
        Expr::Lit(Lit::Double(d)) => Value::Double(*d),
        Expr::Lit(Lit::Bool(b)) => Value::Bool(*b),
        Expr::Ident(name) => f.get(name),
        Expr::Neg(e) => match eval(e, f, convert).numeric() {
            Some(Value::Long(l)) => l.checked_neg().map_or(Value::Null, Value::Long),
            Some(Value::Double(d)) => Value::Double(-d),
            _ => Value::Null,
        },
        Expr::Not(e) => match eval(e, f, convert) {
            Value::Bool(b) => Value::Bool(!b),
            _ => Value::Null,
        },
        Expr::And(l, r) => match eval(l, f, convert) {
            Value::Bool(false) => Value::Bool(false),
            lv => match (lv, eval(r, f, convert)) {
                (_, Value::Bool(false)) => Value::Bool(false),
                (Value::Bool(true), Value::Bool(true)) => Value::Bool(true),
                _ => Value::Null,
            },
        },
        Expr::Or(l, r) => match eval(l, f, convert) {
            Value::Bool(true) => Value::Bool(true),
            lv => match (lv, eval(r, f, convert)) {
                (_, Value::Bool(true)) => Value::Bool(true),
                (Value::Bool(false), Value::Bool(false)) => Value::Bool(false),
                _ => Value::Null,
            },
        },
        Expr::Cmp(op, l, r) => compare(*op, eval(l, f, convert), eval(r, f, convert), convert),
        Expr::Arith(op, l, r) => arith(*op, eval(l, f, convert), eval(r, f, convert)),
        Expr::Between {
            expr,
            low,
            high,
            negated,
        } => {
            let v = eval(expr, f, convert);
            let (lo, hi) = (eval(low, f, convert), eval(high, f, convert));
            if *negated {
                or3(
                    compare(Cmp::Lt, v, lo, convert),
                    compare(Cmp::Gt, v, hi, convert),
                )
            } else {
                and3(
                    compare(Cmp::Ge, v, lo, convert),
                    compare(Cmp::Le, v, hi, convert),
                )
            }
        }
        Expr::In {
            ident,
            list,
            negated,
        } => match f.get(ident) {
            Value::Str(s) => Value::Bool(list.iter().any(|x| x == s) != *negated),
            _ => Value::Null,
        },
        Expr::Like {
            ident,
            pattern,
            negated,
        } => match f.get(ident) {
            Value::Null => Value::Null,
            Value::Str(s) => Value::Bool(pattern.matches(s) != *negated),
            // ActiveMQ: LIKE on a non-string is false (and NOT LIKE true).
            _ => Value::Bool(*negated),
        },
        Expr::IsNull { ident, negated } => {
            Value::Bool(matches!(f.get(ident), Value::Null) != *negated)
        }
    }
}

fn and3<'a>(a: Value<'a>, b: Value<'a>) -> Value<'a> {
    match (a, b) {
        (Value::Bool(false), _) | (_, Value::Bool(false)) => Value::Bool(false),
        (Value::Bool(true), Value::Bool(true)) => Value::Bool(true),
        _ => Value::Null,
    }
}

fn or3<'a>(a: Value<'a>, b: Value<'a>) -> Value<'a> {
    match (a, b) {
        (Value::Bool(true), _) | (_, Value::Bool(true)) => Value::Bool(true),
        (Value::Bool(false), Value::Bool(false)) => Value::Bool(false),
        _ => Value::Null,
    }
}

/// Orders two values the way ActiveMQ's ComparisonExpression does: numbers
/// across types, strings among strings, booleans among booleans, and, only
/// with `convert`, a string converted to the type it is compared with.
/// `None`: the types do not compare (the comparison is then false).
fn order(l: Value<'_>, r: Value<'_>, convert: bool) -> Option<Ordering> {
    match (l, r) {
        (Value::Str(a), Value::Str(b)) => Some(a.cmp(b)),
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(&b)),
        (Value::Str(s), other) if convert => order(Value::converted(s, other)?, other, false),
        (other, Value::Str(s)) if convert => order(other, Value::converted(s, other)?, false),
        (Value::Long(a), Value::Long(b)) => Some(a.cmp(&b)),
        _ => {
            let (a, b) = (l.numeric()?, r.numeric()?);
            match (a, b) {
                (Value::Long(a), Value::Long(b)) => Some(a.cmp(&b)),
                _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
            }
        }
    }
}

fn compare<'a>(op: Cmp, l: Value<'a>, r: Value<'a>, convert: bool) -> Value<'a> {
    if matches!(l, Value::Null) || matches!(r, Value::Null) {
        return Value::Null;
    }
    let Some(o) = order(l, r, convert) else {
        // Incomparable types: `=` is false, so `<>` (its negation) is true.
        return Value::Bool(op == Cmp::Ne);
    };
    Value::Bool(match op {
        Cmp::Eq => o == Ordering::Equal,
        Cmp::Ne => o != Ordering::Equal,
        Cmp::Lt => o == Ordering::Less,
        Cmp::Le => o != Ordering::Greater,
        Cmp::Gt => o == Ordering::Greater,
        Cmp::Ge => o != Ordering::Less,
    })
}

fn arith<'a>(op: Arith, l: Value<'a>, r: Value<'a>) -> Value<'a> {
    let (Some(l), Some(r)) = (l.numeric(), r.numeric()) else {
        return Value::Null;
    };
    if let (Value::Long(a), Value::Long(b)) = (l, r) {
        let v = match op {
            Arith::Add => a.checked_add(b),
            Arith::Sub => a.checked_sub(b),
            Arith::Mul => a.checked_mul(b),
            // Integer division by zero is an error in Java: no match.
            Arith::Div => a.checked_div(b),
        };
        return v.map_or(Value::Null, Value::Long);
    }
    let (Some(a), Some(b)) = (l.as_f64(), r.as_f64()) else {
        return Value::Null;
    };
    Value::Double(match op {
        Arith::Add => a + b,
        Arith::Sub => a - b,
        Arith::Mul => a * b,
        Arith::Div => a / b,
    })
}
