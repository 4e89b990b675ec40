//! Wiring: the broker core, the listeners, and an orderly stop.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use broker::{Broker, BrokerConfig, MemoryStore};
use tokio::net::TcpListener;

use crate::config::Config;
use crate::shutdown::{Shutdown, Signals};
use crate::stomp;

pub async fn run(config: Config) -> anyhow::Result<()> {
    let mut signals = Signals::install().context("installing signal handlers")?;
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating data dir {}", config.data_dir.display()))?;
    let broker = Arc::new(Broker::new(
        BrokerConfig {
            name: config.broker_name.clone(),
            ..BrokerConfig::default()
        },
        Box::new(MemoryStore::new()),
    ));
    let (stop_tx, stop) = Shutdown::new();

    let stomp_listener = TcpListener::bind(SocketAddr::new(config.bind, config.stomp_port))
        .await
        .with_context(|| format!("binding STOMP on {}:{}", config.bind, config.stomp_port))?;
    let stomp_addr = stomp_listener.local_addr()?;
    let openwire_listener = TcpListener::bind(SocketAddr::new(config.bind, config.openwire_port))
        .await
        .with_context(|| {
            format!(
                "binding OpenWire on {}:{}",
                config.bind, config.openwire_port
            )
        })?;
    let openwire_addr = openwire_listener.local_addr()?;
    tracing::info!("OpenWire listening on {openwire_addr}");
    tracing::info!("STOMP listening on {stomp_addr}");
    tracing::info!(
        "ferrum {} started (data dir {})",
        env!("CARGO_PKG_VERSION"),
        config.data_dir.display()
    );

    let settings = Arc::new(stomp::Settings::from_config(&config));
    let accept = tokio::spawn(stomp::serve(
        stomp_listener,
        Arc::clone(&broker),
        settings,
        stop.clone(),
    ));

    let openwire_settings = Arc::new(crate::openwire::Settings::new(
        &config.broker_name,
        openwire_addr,
        config.openwire_max_frame_size,
    ));
    let openwire_accept = tokio::spawn(crate::openwire::serve(
        openwire_listener,
        Arc::clone(&broker),
        openwire_settings,
        stop.clone(),
    ));

    signals.recv().await;
    tracing::info!("shutting down");
    let _ = stop_tx.send(true);
    // Connections close their sockets on the signal; give them a moment.
    let _ = tokio::time::timeout(Duration::from_secs(2), accept).await;
    let _ = tokio::time::timeout(Duration::from_secs(1), openwire_accept).await;
    tracing::info!("stopped");
    Ok(())
}

/// Accepts connections until shutdown, handing each to `handle` on a task
/// of its own. An accept error (out of file descriptors and the like) is
/// logged and retried after a short pause instead of ending the listener.
pub async fn accept_loop<F, Fut>(
    protocol: &'static str,
    listener: tokio::net::TcpListener,
    mut shutdown: Shutdown,
    handle: F,
) where
    F: Fn(tokio::net::TcpStream, std::net::SocketAddr, Shutdown) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.requested() => return,
        };
        match accepted {
            Ok((socket, peer)) => {
                tokio::spawn(handle(socket, peer, shutdown.clone()));
            }
            Err(e) => {
                tracing::warn!("{protocol} accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
}
