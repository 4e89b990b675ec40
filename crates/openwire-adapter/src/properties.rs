//! Message properties: OpenWire's marshalled primitive map ⇄ the core's
//! typed property list.

use std::sync::Arc;

use bytes::Bytes;
use model::Value;
use openwire::primitive::{read_map, write_map, Primitive, PrimitiveMap};
use openwire::OwString;

use crate::ConvertError;

fn value_of(p: &Primitive) -> Option<Value> {
    Some(match p {
        Primitive::Bool(v) => Value::Bool(*v),
        Primitive::Byte(v) => Value::Byte(*v),
        Primitive::Short(v) => Value::Short(*v),
        Primitive::Int(v) => Value::Int(*v),
        Primitive::Long(v) => Value::Long(*v),
        Primitive::Float(v) => Value::Float(*v),
        Primitive::Double(v) => Value::Double(*v),
        Primitive::String(s) => Value::String(Arc::from(s.to_string_lossy())),
        Primitive::Bytes(b) => Value::Bytes(b.clone()),
        Primitive::Char(c) => Value::String(Arc::from(
            char::from_u32(*c as u32).unwrap_or('\u{fffd}').to_string(),
        )),
        // JMS properties are scalars; the core has no place for the rest.
        Primitive::Null | Primitive::Map(_) | Primitive::List(_) => return None,
    })
}

fn primitive_of(v: &Value) -> Primitive {
    match v {
        Value::Bool(v) => Primitive::Bool(*v),
        Value::Byte(v) => Primitive::Byte(*v),
        Value::Short(v) => Primitive::Short(*v),
        Value::Int(v) => Primitive::Int(*v),
        Value::Long(v) => Primitive::Long(*v),
        Value::Float(v) => Primitive::Float(*v),
        Value::Double(v) => Primitive::Double(*v),
        Value::String(s) => Primitive::String(OwString::from(&**s)),
        Value::Bytes(b) => Primitive::Bytes(b.clone()),
    }
}

/// The properties a marshalled map holds, in its order (those the core
/// cannot hold, nested maps and lists, left out).
///
/// # Errors
/// A map that does not decode.
pub(crate) fn unmarshal_properties(
    marshalled: &[u8],
) -> Result<Vec<(Arc<str>, Value)>, ConvertError> {
    let Some(map) = read_map(marshalled)? else {
        return Ok(Vec::new());
    };
    Ok(map
        .0
        .iter()
        .filter_map(|(k, v)| Some((Arc::from(k.to_string_lossy()), value_of(v)?)))
        .collect())
}

/// The marshalled form of a property list (`None` for no properties, as
/// the JMS client sends it).
pub fn marshal_properties(properties: &[(Arc<str>, Value)]) -> Option<Bytes> {
    if properties.is_empty() {
        return None;
    }
    let mut map = PrimitiveMap::default();
    for (k, v) in properties {
        map.insert(OwString::from(&**k), primitive_of(v));
    }
    let mut out = Vec::new();
    write_map(&map, &mut out).ok()?;
    Some(Bytes::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_survive_marshalling() {
        let props: Vec<(Arc<str>, Value)> = vec![
            (Arc::from("a"), Value::Int(1)),
            (Arc::from("b"), Value::String(Arc::from("two"))),
            (Arc::from("c"), Value::Bool(true)),
        ];
        let bytes = marshal_properties(&props).expect("marshalled");
        let mut back = unmarshal_properties(&bytes).expect("readable");
        back.sort_by(|x, y| x.0.cmp(&y.0));
        assert_eq!(back, props);
        assert_eq!(marshal_properties(&[]), None);
    }
}
