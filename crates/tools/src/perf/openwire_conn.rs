//! One OpenWire client connection of the load generator: the sans-IO
//! [`openwire::Client`] (handshake, command ids, responses) over a tokio
//! TCP stream, and the connection-level commands of ActiveMQ's JMS client
//! (ConnectionInfo and SessionInfo to open, RemoveInfo and ShutdownInfo to
//! close).

use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use openwire::client::{Event, RequestId};
use openwire::negotiate::WireFormatOptions;
use openwire::{Client, DataStructure, OwString};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::link;

fn s(v: &str) -> Option<OwString> {
    Some(OwString::from(v))
}

pub struct Conn {
    stream: TcpStream,
    pub client: Client,
    /// The JMS connection id, which the consumer, producer and transaction
    /// ids start with.
    pub connection_id: String,
}

impl Conn {
    /// Connects, negotiates and opens a connection with one session (1).
    pub async fn connect(host: &str, client_id: &str) -> anyhow::Result<Conn> {
        // No inactivity monitor: an idle consumer must not be dropped.
        let ours = WireFormatOptions::client(0, 0);
        let mut c = Conn {
            stream: link::connect(host).await?,
            client: Client::new(ours).context("building WireFormatInfo")?,
            connection_id: format!("{client_id}:1"),
        };
        // Held by the client until the WireFormatInfo exchange is done.
        let info = openwire::ConnectionInfo {
            connection_id: Some(c.connection_id()),
            client_id: s(&format!("{client_id}:0")),
            manageable: false,
            ..Default::default()
        };
        let request = c.request(DataStructure::ConnectionInfo(Arc::new(info)))?;
        c.wait(request).await.context("ConnectionInfo")?;
        let info = openwire::SessionInfo {
            session_id: Some(DataStructure::SessionId(Arc::new(openwire::SessionId {
                connection_id: s(&c.connection_id),
                value: 1,
            }))),
            ..Default::default()
        };
        c.send(DataStructure::SessionInfo(Arc::new(info)))?;
        Ok(c)
    }

    /// The ConnectionId structure.
    pub fn connection_id(&self) -> DataStructure {
        DataStructure::ConnectionId(Arc::new(openwire::ConnectionId {
            value: s(&self.connection_id),
        }))
    }

    /// Queues a command that wants no response.
    pub fn send(&mut self, cmd: DataStructure) -> anyhow::Result<()> {
        let name = cmd.name();
        self.client
            .send(cmd)
            .with_context(|| format!("encoding {name}"))?;
        Ok(())
    }

    /// Queues a command the broker must answer (see [`Conn::wait`]).
    pub fn request(&mut self, cmd: DataStructure) -> anyhow::Result<RequestId> {
        let name = cmd.name();
        self.client
            .request(cmd)
            .with_context(|| format!("encoding {name}"))
    }

    /// How many encoded bytes wait to be written.
    pub fn unwritten(&self) -> usize {
        self.client.output().len()
    }

    pub async fn flush(&mut self) -> anyhow::Result<()> {
        link::write(&mut self.stream, self.client.output()).await?;
        self.client.clear_output();
        Ok(())
    }

    /// An async producer's flush: it never waits to read, so this also
    /// looks at whatever the broker sent meanwhile and fails on an error.
    pub async fn flush_checked(&mut self) -> anyhow::Result<()> {
        let flushed = self.flush().await;
        link::drain(&mut self.stream, self.client.input(), flushed.is_err()).await;
        while let Some(event) = self.buffered()? {
            match event {
                Event::Command(DataStructure::ExceptionResponse(r)) => {
                    let e = openwire::client::RemoteError::from_throwable(r.exception.as_deref());
                    bail!("the broker refused: {e}")
                }
                Event::Completed(c) => {
                    if let Err(e) = c.outcome {
                        bail!("the broker refused: {e}")
                    }
                }
                _ => {}
            }
        }
        flushed
    }

    /// The next event already buffered; a connection-level failure from
    /// the broker is an error.
    pub fn buffered(&mut self) -> anyhow::Result<Option<Event>> {
        let event = self
            .client
            .poll_event()
            .context("bad OpenWire data from the broker")?;
        match event {
            Some(Event::Command(DataStructure::ConnectionError(e))) => {
                let e = openwire::client::RemoteError::from_throwable(e.exception.as_deref());
                bail!("ConnectionError from the broker: {e}")
            }
            Some(Event::Command(DataStructure::ShutdownInfo(_))) => {
                bail!("the broker is shutting down")
            }
            other => Ok(other),
        }
    }

    /// Waits for more bytes from the broker (writing what is queued first).
    pub async fn fill(&mut self) -> anyhow::Result<()> {
        if self.unwritten() > 0 {
            self.flush().await?;
        }
        link::fill(&mut self.stream, self.client.input()).await
    }

    async fn next(&mut self) -> anyhow::Result<Event> {
        loop {
            if let Some(event) = self.buffered()? {
                return Ok(event);
            }
            self.fill().await?;
        }
    }

    /// Flushes and waits for `request`'s response (other events that
    /// arrive meanwhile are dropped: none is expected then).
    pub async fn wait(&mut self, request: RequestId) -> anyhow::Result<()> {
        self.flush().await?;
        loop {
            if let Event::Completed(c) = self.next().await? {
                if c.request == request {
                    return c
                        .outcome
                        .map(|_| ())
                        .map_err(|e| anyhow!("the broker refused: {e}"));
                }
            }
        }
    }

    /// RemoveInfo for the connection, then ShutdownInfo, as the JMS client
    /// does on close; waits briefly for the RemoveInfo's response.
    pub async fn close(mut self) {
        let remove = openwire::RemoveInfo {
            object_id: Some(self.connection_id()),
            last_delivered_sequence_id: -1,
            ..Default::default()
        };
        if let Ok(request) = self.request(DataStructure::RemoveInfo(Arc::new(remove))) {
            let _ = tokio::time::timeout(Duration::from_secs(2), self.wait(request)).await;
        }
        let shutdown = DataStructure::ShutdownInfo(Arc::default());
        if self.send(shutdown).is_ok() {
            let _ = self.flush().await;
        }
        let _ = self.stream.shutdown().await;
    }
}
