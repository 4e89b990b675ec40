//! Evaluation, node by node as ActiveMQ 5.17's filter classes evaluate:
//! SQL's three-valued logic where they follow it, and their own rules
//! where they do not (written down at each node). An evaluation that would
//! throw in ActiveMQ is [`Thrown`]: the message is not selected.

use std::borrow::Cow;

use crate::ast::{Arith, Cmp, Expr, Lit};
use crate::java::{self, Thrown};
use crate::value::{Fields, Value};

type R<'a> = Result<Value<'a>, Thrown>;

/// Whether the selector selects: ActiveMQ's `matches`, which for AND and
/// OR asks each operand whether it matches, left to right, and stops at
/// the first that decides (an unknown counts as not matching there), so
/// an operand that would throw is never reached where `eval` would reach
/// it.
pub fn matches<F: Fields + ?Sized>(e: &Expr, f: &F, convert: bool) -> Result<bool, Thrown> {
    match e {
        Expr::And(l, r) => Ok(matches(l, f, convert)? && matches(r, f, convert)?),
        Expr::Or(l, r) => Ok(matches(l, f, convert)? || matches(r, f, convert)?),
        _ => Ok(eval(e, f, convert)? == Value::Bool(true)),
    }
}

/// `convert`: the selector had `convert_string_expressions:` (comparisons
/// convert strings; see the crate doc).
pub fn eval<'a, F: Fields + ?Sized>(e: &'a Expr, f: &'a F, convert: bool) -> R<'a> {
    Ok(match e {
        Expr::Lit(lit) => literal(lit),
        Expr::Ident(name) => f.get(name),
        Expr::Neg(e) => negate(eval(e, f, convert)?)?,
        Expr::Not(e) => match eval(e, f, convert)? {
            Value::Null => Value::Null,
            Value::Bool(b) => Value::Bool(!b),
            _ => return Err(Thrown),
        },
        // An identifier as a boolean: FALSE unless it holds a boolean.
        Expr::BoolCast(e) => match eval(e, f, convert)? {
            Value::Null => Value::Null,
            Value::Bool(b) => Value::Bool(b),
            _ => Value::Bool(false),
        },
        // Left to right, stopping at the first FALSE (AND) or TRUE (OR).
        Expr::And(l, r) => logic(eval(l, f, convert)?, || eval(r, f, convert), false)?,
        Expr::Or(l, r) => logic(eval(l, f, convert)?, || eval(r, f, convert), true)?,
        Expr::Eq(l, r) => equal(eval(l, f, convert)?, eval(r, f, convert)?, convert)?,
        Expr::Cmp(op, l, r) => match known_operands(l, r, f, convert)? {
            None => Value::Null,
            Some((lv, rv)) => {
                Value::Bool(java::compare(&lv, &rv, convert)?.is_some_and(|o| match op {
                    Cmp::Lt => o.is_lt(),
                    Cmp::Le => o.is_le(),
                    Cmp::Gt => o.is_gt(),
                    Cmp::Ge => o.is_ge(),
                }))
            }
        },
        Expr::Arith(op, l, r) => match known_operands(l, r, f, convert)? {
            None => Value::Null,
            Some((lv, rv)) => arith(*op, lv, rv)?,
        },
        // IN on anything but a string is unknown.
        Expr::In {
            ident,
            list,
            negated,
        } => match f.get(ident) {
            Value::Str(s) => Value::Bool(list.iter().any(|x| *x == *s) != *negated),
            _ => Value::Null,
        },
        // LIKE on a value that is not a string is FALSE.
        Expr::Like { expr, pattern } => match eval(expr, f, convert)? {
            Value::Null => Value::Null,
            Value::Str(s) => Value::Bool(pattern.matches(&s)),
            _ => Value::Bool(false),
        },
    })
}

/// Both operands of an ordering or arithmetic, or `None` (the result is
/// unknown) as soon as one is unknown: the right one is not evaluated when
/// the left is unknown, as in ActiveMQ, so it cannot throw then.
fn known_operands<'a, F: Fields + ?Sized>(
    l: &'a Expr,
    r: &'a Expr,
    f: &'a F,
    convert: bool,
) -> Result<Option<(Value<'a>, Value<'a>)>, Thrown> {
    let lv = eval(l, f, convert)?;
    if lv == Value::Null {
        return Ok(None);
    }
    let rv = eval(r, f, convert)?;
    if rv == Value::Null {
        return Ok(None);
    }
    Ok(Some((lv, rv)))
}

fn literal(lit: &Lit) -> Value<'_> {
    match lit {
        Lit::Str(s) => Value::str(s),
        Lit::Int(i) => Value::Int(*i),
        Lit::Long(l) => Value::Long(*l),
        Lit::Big(b) => Value::Big(*b),
        Lit::Double(d) => Value::Double(*d),
        Lit::Bool(b) => Value::Bool(*b),
        Lit::Null => Value::Null,
    }
}

/// One step of an AND (`decisive` false) or OR (`decisive` true): the left
/// value decides alone when it is the decisive one; otherwise the right is
/// evaluated, and an unknown on either side makes the result unknown.
fn logic<'a>(lv: Value<'a>, right: impl FnOnce() -> R<'a>, decisive: bool) -> R<'a> {
    let l = boolean(&lv)?;
    if l == Some(decisive) {
        return Ok(Value::Bool(decisive));
    }
    let r = boolean(&right()?)?;
    Ok(match (l, r) {
        (_, Some(b)) if b == decisive => Value::Bool(decisive),
        (Some(_), Some(_)) => Value::Bool(!decisive),
        _ => Value::Null,
    })
}

/// A boolean expression's value (`(Boolean) evaluate(...)` in ActiveMQ).
fn boolean(v: &Value<'_>) -> Result<Option<bool>, Thrown> {
    match v {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(*b)),
        _ => Err(Thrown),
    }
}

/// `=` as ActiveMQ's EqualsExpression: two unknowns are equal (that is how
/// `IS NULL` works), an unknown on the left is unknown, an unknown on the
/// right only is FALSE (so `'a' <> x` is TRUE for a missing x while
/// `x <> 'a'` is unknown).
fn equal<'a>(lv: Value<'a>, rv: Value<'a>, convert: bool) -> R<'a> {
    Ok(match (&lv, &rv) {
        (Value::Null, Value::Null) => Value::Bool(true),
        (Value::Null, _) => Value::Null,
        (_, Value::Null) => Value::Bool(false),
        _ => Value::Bool(java::compare(&lv, &rv, convert)?.is_some_and(|o| o.is_eq())),
    })
}

/// Unary minus: ints and longs wrap, floats and doubles flip; a byte or a
/// short throws (ActiveMQ "don't know how to negate" them); anything that
/// is not a number is unknown.
fn negate(v: Value<'_>) -> R<'_> {
    Ok(match v {
        Value::Int(i) => Value::Int(i.wrapping_neg()),
        Value::Long(l) => Value::Long(l.wrapping_neg()),
        Value::Float(x) => Value::Float(-x),
        Value::Double(x) => Value::Double(-x),
        Value::Big(b) => match i64::try_from(-b) {
            Ok(l) if l == i64::MIN => Value::Long(l),
            _ => Value::Big(-b),
        },
        Value::Byte(_) | Value::Short(_) => return Err(Thrown),
        _ => Value::Null,
    })
}

/// Arithmetic as ActiveMQ's ArithmeticExpression: `+` on a string on the
/// left joins the right as text; otherwise both sides must be numbers (or
/// it throws). `+ - *` are int arithmetic (wrapping at 32 bits) unless a
/// long is involved (64 bits) or a float or double (double); `/` and `%`
/// are always double.
fn arith<'a>(op: Arith, lv: Value<'a>, rv: Value<'a>) -> R<'a> {
    if let (Arith::Add, Value::Str(s)) = (op, &lv) {
        return Ok(Value::Str(Cow::Owned(format!(
            "{s}{}",
            java::to_string(&rv)
        ))));
    }
    if !lv.is_number() || !rv.is_number() {
        return Err(Thrown);
    }
    let floating = |v: &Value<'_>| matches!(v, Value::Float(_) | Value::Double(_));
    if matches!(op, Arith::Div | Arith::Mod) || floating(&lv) || floating(&rv) {
        let (a, b) = (lv.double_value(), rv.double_value());
        return Ok(Value::Double(match op {
            Arith::Add => a + b,
            Arith::Sub => a - b,
            Arith::Mul => a * b,
            Arith::Div => a / b,
            Arith::Mod => a % b,
        }));
    }
    if matches!(lv, Value::Long(_)) || matches!(rv, Value::Long(_)) {
        let (a, b) = (lv.long_value(), rv.long_value());
        return Ok(Value::Long(match op {
            Arith::Add => a.wrapping_add(b),
            Arith::Sub => a.wrapping_sub(b),
            _ => a.wrapping_mul(b),
        }));
    }
    let (a, b) = (lv.int_value(), rv.int_value());
    Ok(Value::Int(match op {
        Arith::Add => a.wrapping_add(b),
        Arith::Sub => a.wrapping_sub(b),
        _ => a.wrapping_mul(b),
    }))
}
