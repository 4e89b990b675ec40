//! The socket side of a load-generator connection, the same for STOMP and
//! OpenWire: one TCP stream and the bytes going through it.
//!
//! The functions take the buffers they fill or drain, so a protocol state
//! machine that keeps its own (the OpenWire client) can use them; [`Link`]
//! bundles a stream with its two buffers for the STOMP side, which keeps
//! none.

use std::time::Duration;

use anyhow::Context;
use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Producers write in batches of about this many bytes.
pub const WRITE_BATCH: usize = 64 * 1024;

/// A connected stream with Nagle off (the tools batch their own writes).
pub async fn connect(host: &str) -> anyhow::Result<TcpStream> {
    let stream = TcpStream::connect(host)
        .await
        .with_context(|| format!("connecting to {host}"))?;
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

/// Waits for more bytes from the broker, appended to `rbuf`.
pub async fn fill(stream: &mut TcpStream, rbuf: &mut BytesMut) -> anyhow::Result<()> {
    let n = stream
        .read_buf(rbuf)
        .await
        .context("reading from the broker")?;
    if n == 0 {
        anyhow::bail!("the broker closed the connection");
    }
    Ok(())
}

/// Writes all of `bytes`.
pub async fn write(stream: &mut TcpStream, bytes: &[u8]) -> anyhow::Result<()> {
    stream
        .write_all(bytes)
        .await
        .context("writing to the broker")
}

/// Pulls in whatever the broker sent, without waiting, for the caller to
/// look at: a producer never waits to read, so this is how it hears of an
/// error. After a failed write (`write_failed`) it first gives the broker a
/// moment to say why: its error is the likely reason.
pub async fn drain(stream: &mut TcpStream, rbuf: &mut BytesMut, write_failed: bool) {
    if write_failed {
        let _ = tokio::time::timeout(Duration::from_secs(1), stream.readable()).await;
    }
    while let Ok(n) = stream.try_read_buf(rbuf) {
        if n == 0 {
            break;
        }
    }
}

pub struct Link {
    pub stream: TcpStream,
    /// Bytes read from the broker, not yet decoded.
    pub rbuf: BytesMut,
    /// Encoded frames not yet written.
    pub wbuf: BytesMut,
}

impl Link {
    pub async fn connect(host: &str) -> anyhow::Result<Link> {
        Ok(Link {
            stream: connect(host).await?,
            rbuf: BytesMut::with_capacity(64 * 1024),
            wbuf: BytesMut::with_capacity(WRITE_BATCH * 2),
        })
    }

    /// Waits for more bytes from the broker.
    pub async fn fill(&mut self) -> anyhow::Result<()> {
        fill(&mut self.stream, &mut self.rbuf).await
    }

    pub async fn flush(&mut self) -> anyhow::Result<()> {
        write(&mut self.stream, &self.wbuf).await?;
        self.wbuf.clear();
        Ok(())
    }

    /// A producer's flush: writes, then [`drain`]s; returns the write's
    /// result.
    pub async fn flush_and_drain(&mut self) -> anyhow::Result<()> {
        let flushed = self.flush().await;
        drain(&mut self.stream, &mut self.rbuf, flushed.is_err()).await;
        flushed
    }
}
