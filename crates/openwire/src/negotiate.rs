//! WireFormatInfo: what each peer offers, and what they agree on.
//!
//! Both peers open with a WireFormatInfo in the initial (loose, uncached)
//! format. Each then switches to the combination ActiveMQ computes: the
//! lower version wins, the smaller frame and cache sizes win, and every
//! boolean option is on only if both want it.

use bytes::Bytes;

use crate::error::{OpenWireError, Result};
use crate::primitive::{read_map, write_map, Primitive, PrimitiveMap};
use crate::schema::WireFormatInfo;
use crate::wire::{WireFormat, CACHE_SIZE};

/// The magic every WireFormatInfo starts with.
pub const MAGIC: &[u8; 8] = b"ActiveMQ";

/// One peer's WireFormatInfo, decoded.
#[derive(Clone, Debug, PartialEq)]
pub struct WireFormatOptions {
    pub version: i32,
    pub stack_trace: bool,
    pub cache: bool,
    pub tcp_no_delay: bool,
    pub tight: bool,
    pub size_prefix_disabled: bool,
    pub max_frame_size: i64,
    pub cache_size: i32,
    /// Inactivity timeout in ms the peer wants (0: none).
    pub max_inactivity: i64,
    pub max_inactivity_initial_delay: i64,
    /// Every property as sent, including informational ones (Host,
    /// ProviderName, ProviderVersion, PlatformDetails).
    pub properties: PrimitiveMap,
}

fn bool_of(map: &PrimitiveMap, key: &str) -> bool {
    matches!(map.get(key), Some(Primitive::Bool(true)))
}

fn long_of(map: &PrimitiveMap, key: &str, default: i64) -> i64 {
    match map.get(key) {
        Some(Primitive::Long(v)) => *v,
        Some(Primitive::Int(v)) => *v as i64,
        _ => default,
    }
}

impl WireFormatOptions {
    /// What a client of this codebase offers: version 12, tight encoding
    /// with the marshalling cache, a 100 MB frame limit, and the given
    /// inactivity settings in ms (0: no inactivity monitor).
    pub fn client(max_inactivity: i64, max_inactivity_initial_delay: i64) -> WireFormatOptions {
        WireFormatOptions {
            version: 12,
            stack_trace: false,
            cache: true,
            tcp_no_delay: true,
            tight: true,
            size_prefix_disabled: false,
            max_frame_size: 100 * 1024 * 1024,
            cache_size: 1024,
            max_inactivity,
            max_inactivity_initial_delay,
            properties: PrimitiveMap::default(),
        }
    }

    /// # Errors
    /// A wrong magic or unreadable properties.
    pub fn from_info(info: &WireFormatInfo) -> Result<WireFormatOptions> {
        if info.magic.as_ref() != MAGIC {
            return Err(OpenWireError::BadMagic(info.magic.to_vec()));
        }
        let properties = match &info.marshalled_properties {
            Some(b) => read_map(b)?.unwrap_or_default(),
            None => PrimitiveMap::default(),
        };
        Ok(WireFormatOptions {
            version: info.version,
            stack_trace: bool_of(&properties, "StackTraceEnabled"),
            cache: bool_of(&properties, "CacheEnabled"),
            tcp_no_delay: bool_of(&properties, "TcpNoDelayEnabled"),
            tight: bool_of(&properties, "TightEncodingEnabled"),
            size_prefix_disabled: bool_of(&properties, "SizePrefixDisabled"),
            max_frame_size: long_of(&properties, "MaxFrameSize", i64::MAX),
            cache_size: long_of(&properties, "CacheSize", 0) as i32,
            max_inactivity: long_of(&properties, "MaxInactivityDuration", 0),
            max_inactivity_initial_delay: long_of(
                &properties,
                "MaxInactivityDurationInitalDelay",
                0,
            ),
            properties,
        })
    }

    /// The WireFormatInfo that offers these options.
    ///
    /// # Errors
    /// Properties that cannot be marshalled.
    pub fn to_info(&self) -> Result<WireFormatInfo> {
        let mut map = self.properties.clone();
        map.insert("StackTraceEnabled", Primitive::Bool(self.stack_trace));
        map.insert("CacheEnabled", Primitive::Bool(self.cache));
        map.insert("TcpNoDelayEnabled", Primitive::Bool(self.tcp_no_delay));
        map.insert("TightEncodingEnabled", Primitive::Bool(self.tight));
        map.insert(
            "SizePrefixDisabled",
            Primitive::Bool(self.size_prefix_disabled),
        );
        map.insert("MaxFrameSize", Primitive::Long(self.max_frame_size));
        map.insert("CacheSize", Primitive::Int(self.cache_size));
        map.insert(
            "MaxInactivityDuration",
            Primitive::Long(self.max_inactivity),
        );
        map.insert(
            "MaxInactivityDurationInitalDelay",
            Primitive::Long(self.max_inactivity_initial_delay),
        );
        let mut out = Vec::new();
        write_map(&map, &mut out)?;
        Ok(WireFormatInfo {
            magic: Bytes::from_static(MAGIC),
            version: self.version,
            marshalled_properties: Some(Bytes::from(out)),
        })
    }
}

/// The format both directions use once `local` and `remote` have been
/// exchanged, computed as ActiveMQ's `renegotiateWireFormat` does.
pub fn negotiate(local: &WireFormatOptions, remote: &WireFormatOptions) -> WireFormat {
    let version = local.version.min(remote.version).clamp(1, 12) as u8;
    let cache = local.cache && remote.cache;
    let cache_size = match local.cache_size.min(remote.cache_size) {
        n if n <= 0 => CACHE_SIZE,
        n => n as usize,
    };
    WireFormat {
        version,
        tight: local.tight && remote.tight,
        cache,
        stack_trace: local.stack_trace && remote.stack_trace,
        size_prefix: !(local.size_prefix_disabled && remote.size_prefix_disabled),
        max_frame_size: local.max_frame_size.min(remote.max_frame_size).max(0) as u64,
        cache_size,
    }
}
