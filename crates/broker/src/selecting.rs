//! How a JMS selector sees a core message: header fields by their JMS
//! names, then properties.

use crate::message::{Message, Value};

/// A message as a JMS selector sees it: header fields by their JMS names,
/// then properties. `redelivery_count` is the delivery's, for
/// `JMSRedelivered` and `JMSXDeliveryCount`.
pub struct SelectorView<'a> {
    pub message: &'a Message,
    pub redelivery_count: u32,
}

impl selector::Fields for SelectorView<'_> {
    fn get(&self, name: &str) -> selector::Value<'_> {
        use selector::Value as V;
        let m = self.message;
        match name {
            "JMSMessageID" => V::Str(m.id.as_str()),
            "JMSPriority" => V::Long(i64::from(m.priority)),
            "JMSTimestamp" => V::Long(m.timestamp),
            "JMSExpiration" => V::Long(m.expiration),
            "JMSDeliveryMode" => V::Str(if m.persistent {
                "PERSISTENT"
            } else {
                "NON_PERSISTENT"
            }),
            "JMSCorrelationID" => m.correlation_id.as_deref().map_or(V::Null, V::Str),
            "JMSType" => m.message_type.as_deref().map_or(V::Null, V::Str),
            "JMSRedelivered" => V::Bool(self.redelivery_count > 0),
            "JMSXDeliveryCount" => V::Long(i64::from(self.redelivery_count) + 1),
            _ => match m.property(name) {
                None => V::Null,
                Some(Value::Bool(b)) => V::Bool(*b),
                Some(Value::Byte(b)) => V::Long(i64::from(*b)),
                Some(Value::Short(s)) => V::Long(i64::from(*s)),
                Some(Value::Int(i)) => V::Long(i64::from(*i)),
                Some(Value::Long(l)) => V::Long(*l),
                Some(Value::Float(f)) => V::Double(f64::from(*f)),
                Some(Value::Double(d)) => V::Double(*d),
                Some(Value::String(s)) => V::Str(s),
                Some(Value::Bytes(_)) => V::Null,
            },
        }
    }
}

/// Selector matching for messages (the model crate knows no selectors).
pub(crate) trait SelectedBy {
    /// Whether `selector` selects this message (as delivered for the
    /// `redelivery_count`-th time).
    fn selected_by(&self, selector: &selector::Selector, redelivery_count: u32) -> bool;
}

impl SelectedBy for Message {
    fn selected_by(&self, selector: &selector::Selector, redelivery_count: u32) -> bool {
        selector.matches(&SelectorView {
            message: self,
            redelivery_count,
        })
    }
}
