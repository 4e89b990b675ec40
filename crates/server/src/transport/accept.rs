//! The accept loop every listener runs.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

use super::Shutdown;

/// Accepts connections until shutdown, handing each to `handle` on a task
/// of its own. An accept error (out of file descriptors and the like) is
/// logged and retried after a short pause instead of ending the listener.
pub async fn accept_loop<F, Fut>(
    protocol: &'static str,
    listener: TcpListener,
    mut shutdown: Shutdown,
    handle: F,
) where
    F: Fn(TcpStream, SocketAddr, Shutdown) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
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
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}
