//! TEMPORARY stub (the real module is being written).
use crate::error::{OpenWireError, Result};
use crate::mutf8::OwString;
use bytes::Bytes;
#[derive(Clone, Debug, PartialEq)]
pub enum Primitive {
    Null,
    Bool(bool),
    Byte(i8),
    Char(u16),
    Short(i16),
    Int(i32),
    Long(i64),
    Float(f32),
    Double(f64),
    String(OwString),
    Bytes(Bytes),
    Map(PrimitiveMap),
    List(Vec<Primitive>),
}
#[derive(Clone, Debug, PartialEq, Default)]
pub struct PrimitiveMap(pub Vec<(OwString, Primitive)>);
impl PrimitiveMap {
    pub fn get(&self, key: &str) -> Option<&Primitive> {
        self.0
            .iter()
            .find(|(k, _)| k.as_bytes() == key.as_bytes())
            .map(|(_, v)| v)
    }
    pub fn insert(&mut self, key: impl Into<OwString>, v: Primitive) {
        let k = key.into();
        if let Some(e) = self.0.iter_mut().find(|(kk, _)| *kk == k) {
            e.1 = v
        } else {
            self.0.push((k, v))
        }
    }
}
fn t(d: &[u8], p: &mut usize, n: usize) -> Result<Vec<u8>> {
    if d.len() < *p + n {
        return Err(OpenWireError::Truncated {
            needed: *p + n - d.len(),
        });
    }
    let v = d[*p..*p + n].to_vec();
    *p += n;
    Ok(v)
}
pub fn read_map(d: &[u8]) -> Result<Option<PrimitiveMap>> {
    let mut p = 0;
    let n = i32::from_be_bytes(t(d, &mut p, 4)?.try_into().unwrap_or([0; 4]));
    if n < 0 {
        return Ok(None);
    }
    let mut m = PrimitiveMap::default();
    for _ in 0..n {
        let kl = u16::from_be_bytes(t(d, &mut p, 2)?.try_into().unwrap_or([0; 2])) as usize;
        let k = OwString(Bytes::from(t(d, &mut p, kl)?));
        let ty = t(d, &mut p, 1)?[0];
        let v = match ty {
            1 => Primitive::Bool(t(d, &mut p, 1)?[0] != 0),
            5 => Primitive::Int(i32::from_be_bytes(
                t(d, &mut p, 4)?.try_into().unwrap_or([0; 4]),
            )),
            6 => Primitive::Long(i64::from_be_bytes(
                t(d, &mut p, 8)?.try_into().unwrap_or([0; 8]),
            )),
            9 => {
                let l = u16::from_be_bytes(t(d, &mut p, 2)?.try_into().unwrap_or([0; 2])) as usize;
                Primitive::String(OwString(Bytes::from(t(d, &mut p, l)?)))
            }
            x => return Err(OpenWireError::Malformed(format!("stub type {x}"))),
        };
        m.0.push((k, v));
    }
    Ok(Some(m))
}
pub fn write_map(_m: &PrimitiveMap, _out: &mut Vec<u8>) -> Result<()> {
    Err(OpenWireError::Unencodable("stub".into()))
}
