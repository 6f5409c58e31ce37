//! The server port: an accept loop that speaks HTTP/1.1 and HTTP/2 on one port, optionally over
//! TLS (with client certificates for mTLS), with a cap on concurrent HTTP/2 streams, graceful
//! shutdown, the server-side deadline of unary RPCs, and RESOURCE_EXHAUSTED for oversized
//! messages.

use std::collections::HashSet;
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use rustls::RootCertStore;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use crate::config::ServeConfig;
use crate::queue::QueueError;

/// A client that has not finished the TLS handshake by then is dropped.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The one TLS implementation of the process: ring, which reqwest and lettre already use.
/// Installed as the process default so that every rustls user (Redis, PostgreSQL, webhooks,
/// SMTP) agrees on it.
pub fn crypto_provider() -> Arc<CryptoProvider> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()))
}

/// How connections on the server port are accepted and served.
pub struct Transport {
    tls: Option<TlsAcceptor>,
    client_certificates: bool,
    max_concurrent_streams: u32,
}

impl Transport {
    /// Reads the certificate files named by the configuration; every error names its flag.
    pub fn from_config(config: &ServeConfig) -> anyhow::Result<Self> {
        crypto_provider();
        let tls = match (&config.tls_cert, &config.tls_key) {
            (Some(cert), Some(key)) => Some(TlsAcceptor::from(Arc::new(server_tls_config(
                cert,
                key,
                config.tls_client_ca.as_deref(),
            )?))),
            _ => None,
        };
        Ok(Self {
            tls,
            client_certificates: config.tls_client_ca.is_some(),
            max_concurrent_streams: config.max_concurrent_streams,
        })
    }
}

/// PEM certificates from a file, at least one.
pub fn read_certificates(path: &Path, flag: &str) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let certificates = CertificateDer::pem_file_iter(path)
        .with_context(|| format!("{flag}: cannot read {}", path.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("{flag}: {} is not a PEM certificate file", path.display()))?;
    if certificates.is_empty() {
        anyhow::bail!(
            "{flag}: {} has no PEM certificate (-----BEGIN CERTIFICATE-----)",
            path.display()
        );
    }
    Ok(certificates)
}

fn server_tls_config(
    cert: &Path,
    key: &Path,
    client_ca: Option<&Path>,
) -> anyhow::Result<rustls::ServerConfig> {
    let provider = crypto_provider();
    let chain = read_certificates(cert, "--tls-cert")?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|error| {
        anyhow::anyhow!(
            "--tls-key: no PEM private key in {}: {error}",
            key.display()
        )
    })?;
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .context("tls: protocol versions")?;
    let builder = match client_ca {
        Some(path) => {
            let mut roots = RootCertStore::empty();
            for certificate in read_certificates(path, "--tls-client-ca")? {
                roots.add(certificate).with_context(|| {
                    format!("--tls-client-ca: bad CA certificate in {}", path.display())
                })?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .context("--tls-client-ca: cannot verify client certificates with it")?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(chain, key)
        .context("--tls-cert/--tls-key: the key does not match the certificate")?;
    // gRPC speaks HTTP/2; grpc-web and the browser console speak HTTP/1.1.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// Serves `app` on `listener` until `shutdown` completes; then stops accepting, lets in-flight
/// calls finish (HTTP/2 GOAWAY, idle HTTP/1.1 connections closed) and gives up on connections
/// still open after `grace`. Handlers see the peer as `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    transport: &Transport,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30));
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(transport.max_concurrent_streams);
    let builder = Arc::new(builder);
    match (&transport.tls, transport.client_certificates) {
        (None, _) => tracing::info!("plaintext: no --tls-cert"),
        (Some(_), false) => tracing::info!("tls on"),
        (Some(_), true) => tracing::info!("tls on; clients must present a certificate (mTLS)"),
    }

    let graceful = GracefulShutdown::new();
    // Connections still in their TLS handshake when shutdown starts are dropped.
    let handshakes = CancellationToken::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    accept_failed(error).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Without TCP_NODELAY, small responses wait on the client's delayed ack (tens of ms).
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY");
        }
        tokio::spawn(serve_connection(
            tcp,
            peer,
            app.clone(),
            transport.tls.clone(),
            builder.clone(),
            graceful.watcher(),
            handshakes.clone(),
        ));
    }
    drop(listener);
    handshakes.cancel();
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(grace) => tracing::warn!(
            ?grace,
            "connections still open after the grace period; closing them"
        ),
    }
}

async fn serve_connection(
    tcp: TcpStream,
    peer: SocketAddr,
    app: Router,
    tls: Option<TlsAcceptor>,
    builder: Arc<auto::Builder<TokioExecutor>>,
    watcher: Watcher,
    handshakes: CancellationToken,
) {
    // The peer address names anonymous actors (`api::actor`).
    let service =
        TowerToHyperService::new(app.map_request(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            request
        }));
    let result = match tls {
        None => {
            let connection = builder.serve_connection(TokioIo::new(tcp), service);
            watcher.watch(connection).await
        }
        Some(acceptor) => {
            let stream = tokio::select! {
                stream = tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(tcp)) => stream,
                () = handshakes.cancelled() => return,
            };
            let stream = match stream {
                Ok(Ok(stream)) => stream,
                Ok(Err(error)) => {
                    tracing::debug!(%peer, %error, "tls handshake failed");
                    return;
                }
                Err(_) => {
                    tracing::debug!(%peer, "tls handshake timed out");
                    return;
                }
            };
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            watcher.watch(connection).await
        }
    };
    if let Err(error) = result {
        tracing::debug!(%peer, %error, "connection ended with an error");
    }
}

/// Errors of one connection are that connection's; others (out of file descriptors) get a
/// pause so the loop does not spin.
async fn accept_failed(error: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        error.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    ) {
        return;
    }
    tracing::error!(%error, "accept failed; retrying in 1s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// The server-side deadline of unary RPCs: the client's `grpc-timeout`, capped by
/// `--request-timeout`. Streaming RPCs (watch, tail, reflection) run as long as the client
/// keeps them.
#[derive(Clone)]
pub struct Deadlines {
    cap: Duration,
    unary: Arc<HashSet<String>>,
}

impl Deadlines {
    pub fn new(cap: Duration) -> Self {
        let mut unary = HashSet::new();
        let pools = [
            zenith_proto::DESCRIPTOR_POOL.clone(),
            prost_reflect::DescriptorPool::decode(tonic_health::pb::FILE_DESCRIPTOR_SET)
                .expect("the health descriptor set decodes"),
        ];
        for pool in pools {
            for service in pool.services() {
                for method in service.methods() {
                    if !method.is_client_streaming() && !method.is_server_streaming() {
                        unary.insert(format!("/{}/{}", service.full_name(), method.name()));
                    }
                }
            }
        }
        Self {
            cap,
            unary: Arc::new(unary),
        }
    }

    /// The deadline of a call to `path`, or `None` for streaming calls and non-gRPC paths.
    fn deadline(&self, path: &str, grpc_timeout: Option<&[u8]>) -> Option<Duration> {
        if !self.unary.contains(path) {
            return None;
        }
        let asked = grpc_timeout.and_then(parse_grpc_timeout);
        Some(asked.map_or(self.cap, |asked| asked.min(self.cap)))
    }
}

/// Middleware: ends a unary call that outlives its deadline with DEADLINE_EXCEEDED.
pub async fn enforce_deadline(
    State(deadlines): State<Deadlines>,
    request: Request,
    next: Next,
) -> Response {
    let timeout = request
        .headers()
        .get("grpc-timeout")
        .map(|value| value.as_bytes());
    let Some(deadline) = deadlines.deadline(request.uri().path(), timeout) else {
        return next.run(request).await;
    };
    match tokio::time::timeout(deadline, next.run(request)).await {
        Ok(response) => response,
        Err(_) => tonic::Status::deadline_exceeded(format!(
            "deadline exceeded: the call ran longer than {deadline:?}"
        ))
        .into_http::<axum::body::Body>()
        .into_response(),
    }
}

/// `grpc-timeout`: at most 8 digits and a unit (H, M, S, m, u, n).
fn parse_grpc_timeout(value: &[u8]) -> Option<Duration> {
    let (unit, digits) = value.split_last()?;
    if digits.is_empty() || digits.len() > 8 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let amount: u64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    Some(match unit {
        b'H' => Duration::from_secs(amount * 3600),
        b'M' => Duration::from_secs(amount * 60),
        b'S' => Duration::from_secs(amount),
        b'm' => Duration::from_millis(amount),
        b'u' => Duration::from_micros(amount),
        b'n' => Duration::from_nanos(amount),
        _ => return None,
    })
}

/// tonic refuses a request message over `--max-message-bytes` with OUT_OF_RANGE; Zenith answers
/// every size limit with RESOURCE_EXHAUSTED (reason TOO_LARGE), as gRPC's own servers do.
pub async fn oversized_as_resource_exhausted(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let Some(status) = tonic::Status::from_header_map(response.headers()) else {
        return response;
    };
    if status.code() != tonic::Code::OutOfRange
        || !status
            .message()
            .contains("decoded message length too large")
    {
        return response;
    }
    // "… found N bytes, the limit is: M bytes"
    let numbers: Vec<&str> = status
        .message()
        .split(|c: char| !c.is_ascii_digit())
        .filter(|part| !part.is_empty())
        .collect();
    let [found, limit] = numbers[..] else {
        return response;
    };
    let refused = tonic::Status::from(QueueError::TooLarge {
        field: "request".into(),
        message: format!(
            "message of {found} bytes exceeds the limit of {limit} bytes (--max-message-bytes)"
        ),
    });
    let headers = response.headers_mut();
    for name in ["grpc-status", "grpc-message", "grpc-status-details-bin"] {
        headers.remove(name);
    }
    if refused.add_header(headers).is_err() {
        tracing::warn!(code = ?refused.code(), "could not rewrite an oversized request's status");
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeout_values_parse() {
        assert_eq!(parse_grpc_timeout(b"2H"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_grpc_timeout(b"3M"), Some(Duration::from_secs(180)));
        assert_eq!(parse_grpc_timeout(b"10S"), Some(Duration::from_secs(10)));
        assert_eq!(
            parse_grpc_timeout(b"250m"),
            Some(Duration::from_millis(250))
        );
        assert_eq!(parse_grpc_timeout(b"7u"), Some(Duration::from_micros(7)));
        assert_eq!(
            parse_grpc_timeout(b"99999999n"),
            Some(Duration::from_nanos(99_999_999))
        );
        for bad in [
            &b""[..],
            b"S",
            b"10",
            b"10s",
            b"123456789S",
            b"-1S",
            b"1.5S",
        ] {
            assert_eq!(
                parse_grpc_timeout(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn unary_calls_get_the_smaller_deadline_and_streams_none() {
        let deadlines = Deadlines::new(Duration::from_secs(60));
        let list = "/zenith.v1.QueueService/ListQueues";
        assert_eq!(
            deadlines.deadline(list, None),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            deadlines.deadline(list, Some(b"5S")),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            deadlines.deadline(list, Some(b"2H")),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            deadlines.deadline(list, Some(b"junk")),
            Some(Duration::from_secs(60))
        );
        assert!(
            deadlines
                .deadline("/grpc.health.v1.Health/Check", None)
                .is_some()
        );
        for streaming in [
            "/zenith.v1.QueueService/WatchQueues",
            "/zenith.v1.PulseService/WatchNodes",
            "/zenith.v1.LogService/TailLogs",
            "/grpc.health.v1.Health/Watch",
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
            "/healthz",
        ] {
            assert_eq!(
                deadlines.deadline(streaming, Some(b"1S")),
                None,
                "{streaming}"
            );
        }
    }
}
