//! The declarative machinery behind [`crate::schema`]: one macro turns the
//! schema's field lists into structs plus their readers and writers for
//! every version and both encodings (the encoding is the
//! [`crate::wire::Reader`]'s business, the version check is generated here).

/// Declares OpenWire structures: `Name { field: kind [since..=until], ... }`.
macro_rules! structures {
    ($( $(#[$m:meta])* $name:ident { $( $(#[$fm:meta])* $field:ident : $kind:ident $(($arg:literal))? [$lo:literal ..= $hi:literal] ),* $(,)? } )*) => {
        $(
            $(#[$m])*
            #[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
            pub struct $name {
                $( $(#[$fm])* pub $field: field_type!($kind), )*
            }

            impl $name {
                /// Reads the fields that exist in the reader's version.
                pub(crate) fn read_fields(r: &mut $crate::wire::Reader<'_>) -> $crate::Result<Self> {
                    #[allow(unused_mut)]
                    let mut v = Self::default();
                    #[allow(unused_variables)]
                    let version = r.version();
                    $( if ($lo..=$hi).contains(&version) { v.$field = read_field!(r, $kind $(, $arg)?); } )*
                    Ok(v)
                }

                /// Writes the fields that exist in the writer's version.
                pub(crate) fn write_fields(&self, w: &mut $crate::wire::Writer<'_>) -> $crate::Result<()> {
                    #[allow(unused_variables)]
                    let version = w.version();
                    $( if ($lo..=$hi).contains(&version) { write_field!(w, $kind, &self.$field $(, $arg)?); } )*
                    Ok(())
                }

                /// The command id and response flag, if this structure is a
                /// command (its fields start with BaseCommand's).
                pub fn command_header(&self) -> Option<$crate::schema::CommandHeader> {
                    command_header_of!(self; $($field)*)
                }

                /// Sets the command id and response flag; false (and
                /// nothing set) if this structure is not a command.
                pub fn set_command_header(&mut self, header: $crate::schema::CommandHeader) -> bool {
                    set_command_header_of!(self, header; $($field)*)
                }
            }
        )*
    };
}

/// Reads BaseCommand's header: a structure is a command when its field
/// list starts with `command_id, response_required` (the schema lists
/// inherited fields first, as the wire does).
macro_rules! command_header_of {
    ($s:ident; command_id response_required $($rest:ident)*) => {
        Some($crate::schema::CommandHeader {
            command_id: $s.command_id,
            response_required: $s.response_required,
        })
    };
    ($s:ident; $($rest:ident)*) => {
        None
    };
}

/// Writes BaseCommand's header, for the structures `command_header_of`
/// recognises as commands.
macro_rules! set_command_header_of {
    ($s:ident, $h:ident; command_id response_required $($rest:ident)*) => {{
        $s.command_id = $h.command_id;
        $s.response_required = $h.response_required;
        true
    }};
    ($s:ident, $h:ident; $($rest:ident)*) => {{
        let _ = $h;
        false
    }};
}

/// The Rust type of each wire kind.
macro_rules! field_type {
    (bool) => { bool };
    (byte) => { i8 };
    (short) => { i16 };
    (char) => { u16 };
    (int) => { i32 };
    (long) => { i64 };
    (string) => { Option<$crate::mutf8::OwString> };
    (bytes) => { Option<bytes::Bytes> };
    (const_bytes) => { bytes::Bytes };
    (byte_seq) => { Option<bytes::Bytes> };
    (throwable) => { Option<Box<$crate::schema::Throwable>> };
    (cached) => { Option<$crate::schema::DataStructure> };
    (nested) => { Option<$crate::schema::DataStructure> };
    (array) => { Option<Vec<$crate::schema::DataStructure>> };
}

macro_rules! read_field {
    ($r:ident, bool) => {
        $r.boolean()?
    };
    ($r:ident, byte) => {
        $r.byte()?
    };
    ($r:ident, short) => {
        $r.short()?
    };
    ($r:ident, char) => {
        $r.char()?
    };
    ($r:ident, int) => {
        $r.int()?
    };
    ($r:ident, long) => {
        $r.long()?
    };
    ($r:ident, string) => {
        $r.string()?
    };
    ($r:ident, bytes) => {
        $r.bytes()?
    };
    ($r:ident, const_bytes, $n:literal) => {
        $r.const_bytes($n)?
    };
    ($r:ident, byte_seq) => {
        $r.byte_seq()?
    };
    ($r:ident, throwable) => {
        $r.throwable()?
    };
    ($r:ident, cached) => {
        $r.cached()?
    };
    ($r:ident, nested) => {
        $r.nested()?
    };
    ($r:ident, array) => {
        $r.array()?
    };
}

macro_rules! write_field {
    ($w:ident, bool, $v:expr) => {
        $w.boolean(*$v)
    };
    ($w:ident, byte, $v:expr) => {
        $w.byte(*$v)
    };
    ($w:ident, short, $v:expr) => {
        $w.short(*$v)
    };
    ($w:ident, char, $v:expr) => {
        $w.char(*$v)
    };
    ($w:ident, int, $v:expr) => {
        $w.int(*$v)
    };
    ($w:ident, long, $v:expr) => {
        $w.long(*$v)
    };
    ($w:ident, string, $v:expr) => {
        $w.string($v)?
    };
    ($w:ident, bytes, $v:expr) => {
        $w.bytes($v)?
    };
    ($w:ident, const_bytes, $v:expr, $n:literal) => {
        $w.const_bytes($v, $n)?
    };
    ($w:ident, byte_seq, $v:expr) => {
        $w.byte_seq($v)?
    };
    ($w:ident, throwable, $v:expr) => {
        $w.throwable($v)?
    };
    ($w:ident, cached, $v:expr) => {
        $w.cached($v)?
    };
    ($w:ident, nested, $v:expr) => {
        $w.nested($v)?
    };
    ($w:ident, array, $v:expr) => {
        $w.array($v)?
    };
}

/// Declares the type-byte table: which structure each type byte carries and
/// in which versions it exists.
macro_rules! data_structures {
    ($( $(#[$m:meta])* $type:literal => $variant:ident($struct:ident) [$lo:literal ..= $hi:literal], )*) => {
        /// Any OpenWire data structure: a command, an id, a destination, a
        /// message. Cheap to clone: structures are shared (Arc), so a cache
        /// hit or a copy costs a reference count, not an allocation.
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum DataStructure {
            $( $(#[$m])* $variant(std::sync::Arc<$struct>), )*
        }

        /// The type byte of every structure, by the name of its
        /// [`DataStructure`] variant: what to match a type byte against
        /// instead of a number.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum DataType {
            $( #[doc = concat!("Type byte ", stringify!($type), ": [`DataStructure::", stringify!($variant), "`].")]
            $variant = $type, )*
        }

        impl DataType {
            /// The type byte on the wire.
            pub const fn code(self) -> u8 {
                self as u8
            }

            /// The structure type a type byte names, if any (in some version).
            pub const fn from_code(code: u8) -> Option<DataType> {
                match code {
                    $( $type => Some(DataType::$variant), )*
                    _ => None,
                }
            }
        }

        impl DataStructure {
            /// The type byte on the wire.
            pub fn data_type(&self) -> u8 {
                self.kind().code()
            }

            /// The structure's type.
            pub fn kind(&self) -> DataType {
                match self { $( DataStructure::$variant(_) => DataType::$variant, )* }
            }

            /// The command id and response flag, if this is a command
            /// (anything with BaseCommand's fields: not ids, destinations,
            /// WireFormatInfo...).
            pub fn command_header(&self) -> Option<$crate::schema::CommandHeader> {
                match self { $( DataStructure::$variant(v) => v.command_header(), )* }
            }

            /// Sets the command id and response flag of a command; false
            /// (and nothing changed) for a structure that is not one. A
            /// shared structure is copied first (copy on write).
            pub fn set_command_header(&mut self, header: $crate::schema::CommandHeader) -> bool {
                match self {
                    $( DataStructure::$variant(v) => {
                        v.command_header().is_some()
                            && std::sync::Arc::make_mut(v).set_command_header(header)
                    } )*
                }
            }

            /// ActiveMQ's class name for the structure, for dumps and logs.
            pub fn name(&self) -> &'static str {
                match self { $( DataStructure::$variant(_) => stringify!($variant), )* }
            }

            pub(crate) fn read_body(kind: u8, r: &mut $crate::wire::Reader<'_>) -> $crate::Result<Self> {
                let version = r.version();
                if let Some(v) = r.read_pooled(kind)? {
                    return Ok(v);
                }
                match kind {
                    $( $type if ($lo..=$hi).contains(&version) =>
                        Ok(DataStructure::$variant(std::sync::Arc::new($struct::read_fields(r)?))), )*
                    other => Err($crate::OpenWireError::UnknownType(other)),
                }
            }

            pub(crate) fn write_body(&self, w: &mut $crate::wire::Writer<'_>) -> $crate::Result<()> {
                match self { $( DataStructure::$variant(v) => v.write_fields(w), )* }
            }

            /// One default-valued instance of every structure that exists in
            /// `version`, for tests that sweep the whole command set.
            pub fn defaults_for_version(version: u8) -> Vec<DataStructure> {
                let mut all = Vec::new();
                $( if ($lo..=$hi).contains(&version) {
                    all.push(DataStructure::$variant(std::sync::Arc::new($struct::default())));
                } )*
                all
            }
        }
    };
}

/// Declares the codes some fields carry (MessageAck's ack types,
/// TransactionInfo's kinds...): a module of constants per field, and the
/// constants' names for logs and dumps.
macro_rules! codes {
    ($( $(#[$m:meta])* pub mod $module:ident : $ty:ty { $( $(#[$cm:meta])* $name:ident = $value:literal, )* } )*) => {
        $(
            $(#[$m])*
            pub mod $module {
                $( $(#[$cm])* pub const $name: $ty = $value; )*

                /// The constant's name for a code, if it is one.
                pub fn name(code: $ty) -> Option<&'static str> {
                    match code {
                        $( $value => Some(stringify!($name)), )*
                        _ => None,
                    }
                }
            }
        )*
    };
}
