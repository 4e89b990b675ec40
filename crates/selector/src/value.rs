//! Values a selector computes with, and where they come from.

/// A value during evaluation. Strings borrow from the message (or the
/// selector's literals), so evaluating allocates nothing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value<'a> {
    /// A missing property or an undefined result: SQL's UNKNOWN.
    Null,
    Bool(bool),
    /// Exact numerics: byte, short, int and long properties, integer literals.
    Long(i64),
    /// Approximate numerics: float and double properties, decimal literals.
    Double(f64),
    Str(&'a str),
}

impl<'a> Value<'a> {
    /// As a number, for arithmetic and numeric comparison: numbers only.
    pub fn numeric(self) -> Option<Value<'a>> {
        match self {
            Value::Long(_) | Value::Double(_) => Some(self),
            _ => None,
        }
    }

    /// A string converted to the type of `like` (a long, a double or a
    /// boolean), as ActiveMQ converts under `convert_string_expressions:`
    /// (Long.valueOf, Double.valueOf, Boolean.valueOf); `None` when it does
    /// not parse.
    pub fn converted(s: &str, like: Value<'_>) -> Option<Value<'a>> {
        match like {
            Value::Long(_) => s.parse::<i64>().ok().map(Value::Long),
            Value::Double(_) => s.trim().parse::<f64>().ok().map(Value::Double),
            Value::Bool(_) => Some(Value::Bool(s.eq_ignore_ascii_case("true"))),
            _ => None,
        }
    }

    pub fn as_f64(self) -> Option<f64> {
        match self {
            Value::Long(l) => Some(l as f64),
            Value::Double(d) => Some(d),
            _ => None,
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
            .map_or(Value::Null, |(_, v)| *v)
    }
}
