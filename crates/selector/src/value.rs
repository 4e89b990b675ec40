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
    /// As a number, for arithmetic and numeric comparison. Strings that look
    /// like numbers count (ActiveMQ's leniency for STOMP's text headers).
    pub fn numeric(self) -> Option<Value<'a>> {
        match self {
            Value::Long(_) | Value::Double(_) => Some(self),
            Value::Str(s) => {
                let t = s.trim();
                if let Ok(l) = t.parse::<i64>() {
                    Some(Value::Long(l))
                } else {
                    t.parse::<f64>()
                        .ok()
                        .filter(|d| d.is_finite())
                        .map(Value::Double)
                }
            }
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
