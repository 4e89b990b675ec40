//! `ferrum openwire dump FILE`: a captured OpenWire stream, frame by frame.
//!
//! What an operator or developer reaches for when a client misbehaves:
//! record the bytes (a TCP proxy, or the captures in proto-fixtures), then
//! read them here. FILE is one direction of a connection; the other
//! direction (`--peer`, or the `.c2s.bin`/`.s2c.bin` sibling when it exists)
//! supplies the peer's WireFormatInfo so the negotiated format is known.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use bytes::BytesMut;
use openwire::negotiate::{negotiate, WireFormatOptions};
use openwire::{Codec, DataStructure, WireFormat};

fn first_options(bytes: &[u8]) -> anyhow::Result<WireFormatOptions> {
    let mut codec = Codec::new(WireFormat::initial(12));
    let mut buf = BytesMut::from(bytes);
    match codec.read_frame(&mut buf)? {
        Some(Some(DataStructure::WireFormatInfo(info))) => Ok(WireFormatOptions::from_info(&info)?),
        _ => bail!("the stream does not start with a WireFormatInfo"),
    }
}

fn sibling(file: &Path) -> Option<PathBuf> {
    let name = file.file_name()?.to_str()?;
    let other = if name.contains(".c2s.") {
        name.replace(".c2s.", ".s2c.")
    } else if name.contains(".s2c.") {
        name.replace(".s2c.", ".c2s.")
    } else {
        return None;
    };
    let p = file.with_file_name(other);
    p.exists().then_some(p)
}

pub fn run(file: &Path, peer: Option<&Path>) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let mine = first_options(&bytes)?;
    let theirs = match peer.map(Path::to_path_buf).or_else(|| sibling(file)) {
        Some(p) => {
            let b = std::fs::read(&p).with_context(|| format!("reading {}", p.display()))?;
            first_options(&b)?
        }
        None => mine.clone(),
    };
    let format = negotiate(&mine, &theirs);
    println!(
        "# {}: {} bytes; negotiated version={} tight={} cache={} stackTrace={} sizePrefix={}",
        file.display(),
        bytes.len(),
        format.version,
        format.tight,
        format.cache,
        format.stack_trace,
        format.size_prefix
    );
    let mut codec = Codec::new(WireFormat::initial(12));
    let mut buf = BytesMut::from(&bytes[..]);
    let mut offset = 0;
    let mut first = true;
    while !buf.is_empty() {
        let before = buf.len();
        match codec.read_frame(&mut buf) {
            Ok(Some(frame)) => {
                let len = before - buf.len();
                match frame {
                    Some(f) => {
                        println!("{offset} {len} {} {:?}", f.name(), f);
                        describe_contents(&f);
                    }
                    None => println!("{offset} {len} NULL"),
                }
                offset += len;
            }
            Ok(None) => {
                println!("{offset} - truncated: {} bytes left", buf.len());
                break;
            }
            Err(e) => {
                println!("{offset} - error: {e}");
                break;
            }
        }
        if first {
            codec.set_format(format);
            first = false;
        }
    }
    Ok(())
}

/// Decodes what the structure dump shows only as bytes: WireFormatInfo
/// options, message properties and text bodies.
fn describe_contents(f: &DataStructure) {
    use openwire::primitive::{inflate, read_map, read_text};
    match f {
        DataStructure::WireFormatInfo(info) => {
            if let Some(Ok(Some(map))) = info.marshalled_properties.as_ref().map(|p| read_map(p)) {
                println!("    options: {map:?}");
            }
        }
        DataStructure::MessageDispatch(d) => {
            if let Some(m) = &d.message {
                describe_contents(m);
            }
        }
        DataStructure::ActiveMqMessage(m)
        | DataStructure::BytesMessage(m)
        | DataStructure::MapMessage(m)
        | DataStructure::ObjectMessage(m)
        | DataStructure::StreamMessage(m)
        | DataStructure::TextMessage(m) => {
            if let Some(Ok(Some(map))) = m.marshalled_properties.as_ref().map(|p| read_map(p)) {
                println!("    properties: {map:?}");
            }
            if let (DataStructure::TextMessage(_), Some(content)) = (f, &m.content) {
                let body = if m.compressed {
                    inflate(content, 100 << 20).ok()
                } else {
                    Some(content.clone())
                };
                if let Some(Ok(Some(text))) = body.map(|b| read_text(&b)) {
                    let shown: String = text.chars().take(200).collect();
                    println!("    text ({} chars): {shown:?}", text.chars().count());
                }
            }
        }
        _ => {}
    }
}
