//! TEMPORARY stub (the real module is being written): raw modified UTF-8.
use bytes::Bytes;
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Debug)]
pub struct OwString(pub Bytes);
impl OwString {
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn is_ascii_7bit(&self) -> bool {
        self.0.iter().all(|b| (1..=0x7f).contains(b))
    }
    pub fn to_string_lossy(&self) -> String {
        String::from_utf8_lossy(&self.0).into_owned()
    }
}
impl From<&str> for OwString {
    fn from(s: &str) -> Self {
        OwString(Bytes::copy_from_slice(s.as_bytes()))
    }
}
