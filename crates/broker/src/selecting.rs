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
    /// Header fields typed as ActiveMQ's PropertyExpression gives them
    /// (JMSPriority and JMSXDeliveryCount ints, JMSXGroupSeq 0 when unset,
    /// destinations in their `queue://name` form).
    fn get(&self, name: &str) -> selector::Value<'_> {
        use selector::Value as V;
        let m = self.message;
        match name {
            "JMSMessageID" => V::str(m.id.as_str()),
            "JMSPriority" => V::Int(i32::from(m.priority)),
            "JMSTimestamp" => V::Long(m.timestamp),
            "JMSExpiration" => V::Long(m.expiration),
            "JMSDeliveryMode" => V::str(if m.persistent {
                "PERSISTENT"
            } else {
                "NON_PERSISTENT"
            }),
            "JMSCorrelationID" => m.correlation_id.as_deref().map_or(V::Null, V::str),
            "JMSType" => m.message_type.as_deref().map_or(V::Null, V::str),
            "JMSRedelivered" => V::Bool(self.redelivery_count > 0),
            "JMSXDeliveryCount" => V::Int(
                i32::try_from(self.redelivery_count).map_or(i32::MAX, |c| c.saturating_add(1)),
            ),
            "JMSDestination" => V::Str(
                m.original_destination
                    .as_ref()
                    .unwrap_or(&m.destination)
                    .to_string()
                    .into(),
            ),
            "JMSReplyTo" => m
                .reply_to
                .as_ref()
                .map_or(V::Null, |d| V::Str(d.to_string().into())),
            "JMSXGroupSeq" => match m.property(name) {
                None => V::Int(0),
                Some(v) => property(v),
            },
            _ => m.property(name).map_or(V::Null, property),
        }
    }
}

fn property(v: &Value) -> selector::Value<'_> {
    use selector::Value as V;
    match v {
        Value::Bool(b) => V::Bool(*b),
        Value::Byte(b) => V::Byte(*b),
        Value::Short(s) => V::Short(*s),
        Value::Int(i) => V::Int(*i),
        Value::Long(l) => V::Long(*l),
        Value::Float(f) => V::Float(*f),
        Value::Double(d) => V::Double(*d),
        Value::String(s) => V::str(s),
        // A byte-array property is not comparable with anything.
        Value::Bytes(_) => V::Null,
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
