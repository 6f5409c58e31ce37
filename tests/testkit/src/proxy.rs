//! A TCP fault proxy: forwards a loopback port to an upstream address and, on command, delays
//! every chunk, drops every open connection, or refuses new ones. Put it between the server and
//! Redis (or anything else) to test slow and broken networks without toxiproxy.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

struct Faults {
    latency_micros: AtomicU64,
    refusing: AtomicBool,
    /// Bumped to drop every connection open at that moment.
    generation: watch::Sender<u64>,
}

/// A running proxy; stops accepting and drops its connections when dropped. Needs a Tokio
/// runtime (it runs on the caller's).
pub struct FaultProxy {
    port: u16,
    faults: Arc<Faults>,
    acceptor: JoinHandle<()>,
}

impl FaultProxy {
    /// Listens on a free 127.0.0.1 port and forwards each connection to `upstream`.
    pub async fn start(upstream: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let faults = Arc::new(Faults {
            latency_micros: AtomicU64::new(0),
            refusing: AtomicBool::new(false),
            generation: watch::channel(0).0,
        });
        let acceptor = tokio::spawn(accept(listener, upstream, faults.clone()));
        Ok(Self {
            port,
            faults,
            acceptor,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Delays every chunk, in each direction, by `latency` (zero turns it off).
    pub fn set_latency(&self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.faults.latency_micros.store(micros, Ordering::Relaxed);
    }

    /// Closes every connection open now, both sides; new ones are still accepted.
    pub fn drop_connections(&self) {
        self.faults
            .generation
            .send_modify(|generation| *generation += 1);
    }

    /// While on, new connections are closed as soon as they are accepted.
    pub fn refuse_new(&self, refuse: bool) {
        self.faults.refusing.store(refuse, Ordering::Relaxed);
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.acceptor.abort();
        self.drop_connections();
    }
}

async fn accept(listener: TcpListener, upstream: SocketAddr, faults: Arc<Faults>) {
    while let Ok((client, _)) = listener.accept().await {
        if faults.refusing.load(Ordering::Relaxed) {
            continue;
        }
        let Ok(server) = TcpStream::connect(upstream).await else {
            continue;
        };
        let _ = client.set_nodelay(true);
        let _ = server.set_nodelay(true);
        let mut dropped = faults.generation.subscribe();
        let faults = faults.clone();
        tokio::spawn(async move {
            let (client_read, client_write) = client.into_split();
            let (server_read, server_write) = server.into_split();
            tokio::select! {
                _ = pipe(client_read, server_write, &faults) => {}
                _ = pipe(server_read, client_write, &faults) => {}
                _ = dropped.changed() => {}
            }
        });
    }
}

/// Copies one direction chunk by chunk, each after the current latency, until either side
/// closes or fails.
async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    faults: &Faults,
) {
    let mut buffer = vec![0; 16 * 1024];
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => read,
        };
        let latency = faults.latency_micros.load(Ordering::Relaxed);
        if latency > 0 {
            tokio::time::sleep(Duration::from_micros(latency)).await;
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            return;
        }
    }
}
