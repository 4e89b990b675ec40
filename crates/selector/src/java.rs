//! The Java behaviour ActiveMQ's evaluator inherits: how `compareTo`
//! orders each class, which classes ComparisonExpression converts to which
//! before comparing, what `valueOf` accepts for a string, and how
//! `toString` prints a value joined to a string.

use std::cmp::Ordering;

use crate::value::Value;

/// Evaluation threw in ActiveMQ (a ClassCastException, a RuntimeException
/// from arithmetic on a string, ...): the message is not selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thrown;

/// The comparison ActiveMQ's ComparisonExpression.compare makes:
/// `Ok(None)` when it answers FALSE without comparing (classes it does not
/// convert between, a string that does not parse), `Err` where Java would
/// throw (a double against a float: it converts the float to a float).
pub fn compare(l: &Value<'_>, r: &Value<'_>, convert: bool) -> Result<Option<Ordering>, Thrown> {
    use Value as V;
    let (l, r) = match (l, r) {
        _ if same_class(l, r) => (l.clone(), r.clone()),
        // ActiveMQ's code casts the boolean itself to a string here, and throws.
        (V::Bool(_), V::Str(_)) if convert => return Err(Thrown),
        (V::Byte(_), V::Short(_)) => (V::Short(l.int_value() as i16), r.clone()),
        (V::Byte(_) | V::Short(_), V::Int(_)) => (V::Int(l.int_value()), r.clone()),
        (V::Byte(_) | V::Short(_) | V::Int(_), V::Long(_)) => (V::Long(l.long_value()), r.clone()),
        (V::Byte(_) | V::Short(_) | V::Int(_) | V::Long(_), V::Float(_)) => {
            (V::Float(l.float_value()), r.clone())
        }
        (V::Byte(_) | V::Short(_) | V::Int(_) | V::Long(_) | V::Float(_), V::Double(_)) => {
            (V::Double(l.double_value()), r.clone())
        }
        (V::Long(_), V::Int(_)) => (l.clone(), V::Long(r.long_value())),
        (V::Float(_), V::Int(_) | V::Long(_)) => (l.clone(), V::Float(r.float_value())),
        (V::Double(_), V::Int(_) | V::Long(_)) => (l.clone(), V::Double(r.double_value())),
        // Java converts the float to a float and compareTo then throws.
        (V::Double(_), V::Float(_)) => return Err(Thrown),
        (
            V::Byte(_) | V::Short(_) | V::Int(_) | V::Long(_) | V::Float(_) | V::Double(_),
            V::Str(s),
        ) if convert => match value_of(s, l) {
            Some(v) => (l.clone(), v),
            None => return Ok(None),
        },
        (V::Str(s), V::Bool(_) | V::Byte(_) | V::Short(_) | V::Int(_) | V::Long(_))
        | (V::Str(s), V::Float(_) | V::Double(_))
            if convert =>
        {
            match value_of(s, r) {
                Some(v) => (v, r.clone()),
                None => return Ok(None),
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(compare_same(&l, &r)))
}

fn same_class(l: &Value<'_>, r: &Value<'_>) -> bool {
    std::mem::discriminant(l) == std::mem::discriminant(r)
}

/// `compareTo` between two values of one class.
fn compare_same(l: &Value<'_>, r: &Value<'_>) -> Ordering {
    use Value as V;
    match (l, r) {
        (V::Bool(a), V::Bool(b)) => a.cmp(b),
        (V::Byte(a), V::Byte(b)) => a.cmp(b),
        (V::Short(a), V::Short(b)) => a.cmp(b),
        (V::Int(a), V::Int(b)) => a.cmp(b),
        (V::Long(a), V::Long(b)) => a.cmp(b),
        (V::Big(a), V::Big(b)) => a.cmp(b),
        (V::Float(a), V::Float(b)) => double_compare(f64::from(*a), f64::from(*b)),
        (V::Double(a), V::Double(b)) => double_compare(*a, *b),
        // String.compareTo orders UTF-16 code units.
        (V::Str(a), V::Str(b)) => a.encode_utf16().cmp(b.encode_utf16()),
        _ => Ordering::Equal,
    }
}

/// Double.compare: -0.0 before 0.0, NaN after everything and equal to
/// itself.
fn double_compare(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => a.total_cmp(&b),
    }
}

/// `Boolean.valueOf`, `Byte.valueOf`, ... `Double.valueOf` of `s`, as the
/// class of `like`; `None` where Java throws NumberFormatException.
fn value_of<'a>(s: &str, like: &Value<'_>) -> Option<Value<'a>> {
    Some(match like {
        Value::Bool(_) => Value::Bool(s.eq_ignore_ascii_case("true")),
        Value::Byte(_) => Value::Byte(s.parse().ok()?),
        Value::Short(_) => Value::Short(s.parse().ok()?),
        Value::Int(_) => Value::Int(s.parse().ok()?),
        Value::Long(_) => Value::Long(s.parse().ok()?),
        Value::Float(_) => Value::Float(parse_floating(s)? as f32),
        Value::Double(_) => Value::Double(parse_floating(s)?),
        _ => return None,
    })
}

/// What Double.valueOf accepts, near enough: surrounding blanks, a sign,
/// `NaN`, `Infinity`, decimal digits with an exponent, an `f`/`d` suffix.
fn parse_floating(s: &str) -> Option<f64> {
    let t = s.trim_matches(|c: char| c <= ' ');
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    if unsigned == "NaN" || unsigned == "Infinity" {
        return t.replace("Infinity", "inf").parse().ok();
    }
    let body = t.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(t);
    if body.is_empty()
        || !body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
    {
        return None;
    }
    body.parse().ok()
}

/// `String.valueOf(v)`, for `'text' + v`.
pub fn to_string(v: &Value<'_>) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Byte(n) => n.to_string(),
        Value::Short(n) => n.to_string(),
        Value::Int(n) => n.to_string(),
        Value::Long(n) => n.to_string(),
        Value::Big(n) => n.to_string(),
        Value::Float(f) => floating_to_string(f64::from(*f), format!("{f:e}")),
        Value::Double(d) => floating_to_string(*d, format!("{d:e}")),
        Value::Str(s) => s.to_string(),
    }
}

/// Double.toString / Float.toString: `1.0`, `0.001`, `1.0E7`, `1.5E-4`,
/// from the shortest digits that give the value back (`sci` is Rust's
/// `{:e}` form of it).
fn floating_to_string(v: f64, sci: String) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if v == 0.0 {
        return format!("{sign}0.0");
    }
    if (-3..7).contains(&exp) {
        let point = exp + 1;
        let (int, frac) = if point <= 0 {
            (
                "0".to_string(),
                "0".repeat(point.unsigned_abs() as usize) + &digits,
            )
        } else {
            let p = point as usize;
            let padded = format!("{digits:0<p$}");
            (padded[..p].to_string(), padded[p..].to_string())
        };
        let frac = if frac.is_empty() { "0".into() } else { frac };
        format!("{sign}{int}.{frac}")
    } else {
        let (first, rest) = digits.split_at(1);
        let rest = if rest.is_empty() { "0" } else { rest };
        format!("{sign}{first}.{rest}E{exp}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_print_as_java_prints_them() {
        for (v, java) in [
            (1.0, "1.0"),
            (1.5, "1.5"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (1e7, "1.0E7"),
            (1234567.0, "1234567.0"),
            (-2.5e-5, "-2.5E-5"),
            (-0.0, "-0.0"),
            (100.0, "100.0"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
        ] {
            assert_eq!(to_string(&Value::Double(v)), java, "{v}");
        }
        assert_eq!(to_string(&Value::Float(0.1)), "0.1");
    }

    #[test]
    fn strings_convert_as_java_value_of_does() {
        assert_eq!(parse_floating(" 1.5 "), Some(1.5));
        assert_eq!(parse_floating("1e3"), Some(1000.0));
        assert_eq!(parse_floating("2f"), Some(2.0));
        assert!(parse_floating("NaN").is_some_and(f64::is_nan));
        assert_eq!(parse_floating("-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_floating("inf"), None);
        assert_eq!(parse_floating("abc"), None);
        assert_eq!(value_of(" 1", &Value::Int(0)), None);
        assert_eq!(value_of("+1", &Value::Int(0)), Some(Value::Int(1)));
    }
}
