//! The socket side of a load-generator connection, the same for STOMP and
//! OpenWire: one TCP stream with its read and write buffers.

use std::time::Duration;

use anyhow::Context;
use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Producers write in batches of about this many bytes.
pub const WRITE_BATCH: usize = 64 * 1024;

pub struct Link {
    pub stream: TcpStream,
    /// Bytes read from the broker, not yet decoded.
    pub rbuf: BytesMut,
    /// Encoded frames not yet written.
    pub wbuf: BytesMut,
}

impl Link {
    pub async fn connect(host: &str) -> anyhow::Result<Link> {
        let stream = TcpStream::connect(host)
            .await
            .with_context(|| format!("connecting to {host}"))?;
        let _ = stream.set_nodelay(true);
        Ok(Link {
            stream,
            rbuf: BytesMut::with_capacity(64 * 1024),
            wbuf: BytesMut::with_capacity(WRITE_BATCH * 2),
        })
    }

    /// Waits for more bytes from the broker.
    pub async fn fill(&mut self) -> anyhow::Result<()> {
        let n = self
            .stream
            .read_buf(&mut self.rbuf)
            .await
            .context("reading from the broker")?;
        if n == 0 {
            anyhow::bail!("the broker closed the connection");
        }
        Ok(())
    }

    pub async fn flush(&mut self) -> anyhow::Result<()> {
        self.stream
            .write_all(&self.wbuf)
            .await
            .context("writing to the broker")?;
        self.wbuf.clear();
        Ok(())
    }

    /// A producer's flush: it never waits to read, so this also pulls in
    /// whatever the broker sent meanwhile, without waiting, for the caller
    /// to look at. After a failed write it gives the broker a moment to say
    /// why (its error is the likely reason), then returns the write's result.
    pub async fn flush_and_drain(&mut self) -> anyhow::Result<()> {
        let flushed = self.flush().await;
        if flushed.is_err() {
            let _ = tokio::time::timeout(Duration::from_secs(1), self.stream.readable()).await;
        }
        while let Ok(n) = self.stream.try_read_buf(&mut self.rbuf) {
            if n == 0 {
                break;
            }
        }
        flushed
    }
}
