//! Values a selector computes with, and where they come from.

use std::borrow::Cow;

/// A value during evaluation: one variant per Java class ActiveMQ's
/// evaluator meets, because its rules depend on the class (an `int`
/// property compared with a `byte` one is false, `int` arithmetic wraps at
/// 32 bits, ...). Strings borrow from the message or the selector's
/// literals; only string concatenation (`'a' + 1`) and destination names
/// make new ones.
#[derive(Clone, Debug, PartialEq)]
pub enum Value<'a> {
    /// A missing property or an undefined result: SQL's UNKNOWN.
    Null,
    Bool(bool),
    Byte(i8),
    Short(i16),
    Int(i32),
    Long(i64),
    /// A whole-number literal beyond a long (Java's BigDecimal).
    Big(i128),
    Float(f32),
    Double(f64),
    Str(Cow<'a, str>),
}

impl<'a> Value<'a> {
    /// A borrowed string value.
    pub fn str(s: &'a str) -> Value<'a> {
        Value::Str(Cow::Borrowed(s))
    }

    pub(crate) fn is_number(&self) -> bool {
        matches!(
            self,
            Value::Byte(_)
                | Value::Short(_)
                | Value::Int(_)
                | Value::Long(_)
                | Value::Big(_)
                | Value::Float(_)
                | Value::Double(_)
        )
    }

    /// Java's Number.intValue(): the low 32 bits (after truncating a
    /// fraction, saturating as Java does for floating values).
    pub(crate) fn int_value(&self) -> i32 {
        match *self {
            Value::Byte(b) => i32::from(b),
            Value::Short(s) => i32::from(s),
            Value::Int(i) => i,
            Value::Long(l) => l as i32,
            Value::Big(b) => b as i32,
            Value::Float(f) => f as i32,
            Value::Double(d) => d as i32,
            _ => 0,
        }
    }

    /// Java's Number.longValue().
    pub(crate) fn long_value(&self) -> i64 {
        match *self {
            Value::Byte(b) => i64::from(b),
            Value::Short(s) => i64::from(s),
            Value::Int(i) => i64::from(i),
            Value::Long(l) => l,
            Value::Big(b) => b as i64,
            Value::Float(f) => f as i64,
            Value::Double(d) => d as i64,
            _ => 0,
        }
    }

    /// Java's Number.floatValue().
    pub(crate) fn float_value(&self) -> f32 {
        match *self {
            Value::Float(f) => f,
            Value::Double(d) => d as f32,
            Value::Big(b) => b as f32,
            Value::Long(l) => l as f32,
            _ => self.int_value() as f32,
        }
    }

    /// Java's Number.doubleValue().
    pub(crate) fn double_value(&self) -> f64 {
        match *self {
            Value::Float(f) => f64::from(f),
            Value::Double(d) => d,
            Value::Big(b) => b as f64,
            Value::Long(l) => l as f64,
            _ => f64::from(self.int_value()),
        }
    }
}

/// A message as a selector sees it: JMS header fields (`JMSPriority`,
/// `JMSType`, ...) and properties, looked up by name. A missing name is
/// [`Value::Null`].
pub trait Fields {
    fn get(&self, name: &str) -> Value<'_>;
}

/// For tests and simple uses: a list of (name, value) pairs.
impl Fields for [(&str, Value<'_>)] {
    fn get(&self, name: &str) -> Value<'_> {
        self.iter()
            .find(|(n, _)| *n == name)
            .map_or(Value::Null, |(_, v)| v.clone())
    }
}
