//! The server port's transport: TLS and mTLS, grpc-web over HTTP/1.1 through TLS, TLS to Redis
//! and PostgreSQL, a Redis user with fewer rights, message size and stream limits, the unary
//! request timeout, and CORS. Real processes throughout; certificates are made fresh for each run.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use prost::Message;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use tonic::Code;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};
use zenith_proto::v1::archive_service_client::ArchiveServiceClient;
use zenith_proto::v1::queue_service_client::QueueServiceClient;
use zenith_proto::v1::worker_service_client::WorkerServiceClient;
use zenith_proto::v1::*;
use zenith_testkit::{PostgresServer, RedisServer, TlsFiles, ZenithServer};

fn zenith() -> &'static Path {
    env!("CARGO_BIN_EXE_zenith").as_ref()
}

/// A test CA, a server certificate for 127.0.0.1 and localhost, and a client certificate, all
/// as PEM files in a temporary directory.
struct Pki {
    dir: tempfile::TempDir,
    ca_pem: String,
    server_cert_pem: String,
    server_key_pem: String,
    client_cert_pem: String,
    client_key_pem: String,
}

fn ca(name: &str) -> (CertificateParams, KeyPair, String) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let pem = params.self_signed(&key).unwrap().pem();
    (params, key, pem)
}

/// A leaf certificate and its key (PEM), signed by `issuer`.
fn leaf(
    issuer: &Issuer<'_, &KeyPair>,
    names: &[&str],
    usage: ExtendedKeyUsagePurpose,
) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(
        names
            .iter()
            .map(|name| name.to_string())
            .collect::<Vec<_>>(),
    )
    .unwrap();
    params.distinguished_name.push(DnType::CommonName, names[0]);
    params.extended_key_usages = vec![usage];
    let cert = params.signed_by(&key, issuer).unwrap();
    (cert.pem(), key.serialize_pem())
}

impl Pki {
    fn new() -> Self {
        let (ca_params, ca_key, ca_pem) = ca("zenith test ca");
        let issuer = Issuer::new(ca_params, &ca_key);
        let (server_cert_pem, server_key_pem) = leaf(
            &issuer,
            &["localhost", "127.0.0.1"],
            ExtendedKeyUsagePurpose::ServerAuth,
        );
        let (client_cert_pem, client_key_pem) =
            leaf(&issuer, &["worker-1"], ExtendedKeyUsagePurpose::ClientAuth);
        let pki = Self {
            dir: tempfile::tempdir().unwrap(),
            ca_pem,
            server_cert_pem,
            server_key_pem,
            client_cert_pem,
            client_key_pem,
        };
        for (name, text) in [
            ("ca.pem", &pki.ca_pem),
            ("server.pem", &pki.server_cert_pem),
            ("server.key", &pki.server_key_pem),
        ] {
            std::fs::write(pki.path(name), text).unwrap();
        }
        pki
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn arg(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }

    fn server_files(&self) -> TlsFiles {
        TlsFiles {
            cert: self.path("server.pem"),
            key: self.path("server.key"),
            ca: self.path("ca.pem"),
        }
    }

    /// `--tls-cert` and `--tls-key` for the server certificate.
    fn tls_args(&self) -> Vec<String> {
        vec![
            "--tls-cert".into(),
            self.arg("server.pem"),
            "--tls-key".into(),
            self.arg("server.key"),
        ]
    }
}

fn start(redis: &RedisServer, args: &[String]) -> ZenithServer {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ZenithServer::start_with(zenith(), &redis.url(), &args).expect("start zenith")
}

/// A gRPC channel over TLS that trusts the test CA, with the client certificate if asked.
async fn tls_channel(
    server: &ZenithServer,
    pki: &Pki,
    identity: Option<(&str, &str)>,
) -> Result<Channel, tonic::transport::Error> {
    let mut tls = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(&pki.ca_pem));
    if let Some((cert, key)) = identity {
        tls = tls.identity(Identity::from_pem(cert, key));
    }
    Channel::from_shared(format!("https://127.0.0.1:{}", server.port()))
        .unwrap()
        .tls_config(tls)?
        .connect()
        .await
}

/// ListQueues over a channel, or why there was no answer (at connect or at the call).
async fn list_queues(channel: Result<Channel, tonic::transport::Error>) -> Result<(), String> {
    let channel = channel.map_err(|error| format!("connect: {error:?}"))?;
    QueueServiceClient::new(channel)
        .list_queues(ListQueuesRequest::default())
        .await
        .map(|_| ())
        .map_err(|status| format!("call: {status:?}"))
}

async fn plaintext_channel(server: &ZenithServer) -> Channel {
    Channel::from_shared(server.url())
        .unwrap()
        .connect()
        .await
        .expect("connect")
}

/// A grpc-web request body: one uncompressed message frame.
fn grpc_web_frame(message: &impl Message) -> Vec<u8> {
    let body = message.encode_to_vec();
    let mut frame = vec![0];
    frame.extend_from_slice(&(body.len() as u32).to_be_bytes());
    frame.extend_from_slice(&body);
    frame
}

/// The `grpc-status` and `grpc-message` of a grpc-web response: from the headers for a
/// trailers-only answer, else from the trailer frame (flag 0x80) at the end of the body.
async fn grpc_web_status(response: reqwest::Response) -> (String, String) {
    let header = |headers: &reqwest::header::HeaderMap, name: &str| {
        headers
            .get(name)
            .map(|value| value.to_str().unwrap().to_owned())
    };
    if let Some(status) = header(response.headers(), "grpc-status") {
        let message = header(response.headers(), "grpc-message").unwrap_or_default();
        return (status, message);
    }
    let body = response.bytes().await.unwrap();
    let mut rest = &body[..];
    while rest.len() >= 5 {
        let flag = rest[0];
        let len = u32::from_be_bytes(rest[1..5].try_into().unwrap()) as usize;
        let payload = &rest[5..5 + len];
        if flag & 0x80 != 0 {
            let text = String::from_utf8_lossy(payload);
            let field = |name: &str| {
                text.split("\r\n")
                    .find_map(|line| {
                        let (key, value) = line.split_once(':')?;
                        key.eq_ignore_ascii_case(name)
                            .then(|| value.trim().to_owned())
                    })
                    .unwrap_or_default()
            };
            return (field("grpc-status"), field("grpc-message"));
        }
        rest = &rest[5 + len..];
    }
    panic!("no grpc-status in the grpc-web response");
}

fn https_client(pki: &Pki) -> reqwest::Client {
    reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(pki.ca_pem.as_bytes()).unwrap())
        .https_only(true)
        .build()
        .unwrap()
}

#[tokio::test]
async fn grpc_over_tls_round_trips_and_plaintext_is_refused() {
    let pki = Pki::new();
    let redis = RedisServer::start().unwrap();
    let server = start(&redis, &pki.tls_args());

    list_queues(tls_channel(&server, &pki, None).await)
        .await
        .expect("ListQueues over TLS");
    let mut queues = QueueServiceClient::new(tls_channel(&server, &pki, None).await.unwrap());
    let enqueued = queues
        .enqueue(EnqueueRequest {
            job: Some(common::spec("tls", "send")),
        })
        .await
        .expect("enqueue over TLS")
        .into_inner();
    let id = enqueued.job.unwrap().id;

    // The peer address still reaches handlers through TLS: it names the anonymous actor.
    let mut archive = ArchiveServiceClient::new(tls_channel(&server, &pki, None).await.unwrap());
    let mut actor = String::new();
    for _ in 0..200 {
        let history = archive
            .get_job_history(GetJobHistoryRequest {
                id: id.clone(),
                ..Default::default()
            })
            .await
            .expect("job history")
            .into_inner();
        if let Some(event) = history.events.first() {
            actor = event.actor.clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(actor, "anonymous@127.0.0.1");

    // A client that does not speak TLS gets nothing from a TLS port.
    let plaintext = Channel::from_shared(server.url()).unwrap().connect().await;
    assert!(list_queues(plaintext).await.is_err());

    // Nor does one that does not trust the server's CA.
    let other = Pki::new();
    assert!(
        list_queues(tls_channel(&server, &other, None).await)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn mtls_requires_a_client_certificate_from_the_ca() {
    let pki = Pki::new();
    let redis = RedisServer::start().unwrap();
    let mut args = pki.tls_args();
    args.extend(["--tls-client-ca".into(), pki.arg("ca.pem")]);
    let server = start(&redis, &args);

    let refused = list_queues(tls_channel(&server, &pki, None).await).await;
    assert!(refused.is_err(), "a client without a certificate got in");

    let stranger = Pki::new();
    let refused = list_queues(
        tls_channel(
            &server,
            &pki,
            Some((&stranger.client_cert_pem, &stranger.client_key_pem)),
        )
        .await,
    )
    .await;
    assert!(refused.is_err(), "a certificate of another CA got in");

    list_queues(
        tls_channel(
            &server,
            &pki,
            Some((&pki.client_cert_pem, &pki.client_key_pem)),
        )
        .await,
    )
    .await
    .expect("a client with a certificate of the CA is served");
}

#[tokio::test]
async fn grpc_web_over_http1_through_tls() {
    let pki = Pki::new();
    let redis = RedisServer::start().unwrap();
    let server = start(&redis, &pki.tls_args());

    let response = https_client(&pki)
        .post(format!(
            "https://127.0.0.1:{}/zenith.v1.QueueService/ListQueues",
            server.port()
        ))
        .header("content-type", "application/grpc-web+proto")
        .header("x-grpc-web", "1")
        .body(grpc_web_frame(&ListQueuesRequest::default()))
        .send()
        .await
        .expect("grpc-web over TLS");
    assert_eq!(response.version(), reqwest::Version::HTTP_11);
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/grpc-web+proto"
    );
    let (status, message) = grpc_web_status(response).await;
    assert_eq!(status, "0", "{message}");

    // The console and health endpoints share the port.
    let healthz = https_client(&pki)
        .get(format!("https://127.0.0.1:{}/healthz", server.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(healthz.status(), 200);
}

/// Enqueues a job into `queue` and reads it back: both ways through Redis.
async fn enqueue_and_read_back(server: &ZenithServer, queue: &str) -> Job {
    let mut queues = QueueServiceClient::new(plaintext_channel(server).await);
    let id = queues
        .enqueue(EnqueueRequest {
            job: Some(common::spec(queue, "send")),
        })
        .await
        .expect("enqueue")
        .into_inner()
        .job
        .unwrap()
        .id;
    queues
        .get_job(GetJobRequest {
            id,
            ..Default::default()
        })
        .await
        .expect("get job")
        .into_inner()
        .job
        .unwrap()
}

#[tokio::test]
async fn redis_over_tls_with_a_private_ca() {
    let pki = Pki::new();
    let redis = RedisServer::start_tls(pki.server_files()).unwrap();
    let server = ZenithServer::start_with(
        zenith(),
        &redis.tls_url(),
        &["--redis-ca-cert", &pki.arg("ca.pem")],
    )
    .expect("start zenith against rediss://");
    assert_eq!(
        enqueue_and_read_back(&server, "secure").await.queue,
        "secure"
    );
}

/// Zenith asks `INFO cluster` at start to tell a cluster from a single server; an ACL user may
/// be denied it (and `CONFIG`), and Zenith must serve all the same.
#[tokio::test]
async fn a_redis_user_denied_info_and_config_still_serves() {
    let redis = RedisServer::start().unwrap();
    let mut admin = redis.connection().await.unwrap();
    redis::cmd("ACL")
        .arg(&[
            "SETUSER", "zenith", "on", ">secret", "~*", "&*", "+@all", "-info", "-config",
        ])
        .query_async::<()>(&mut admin)
        .await
        .unwrap();
    let url = format!("redis://zenith:secret@127.0.0.1:{}", redis.port());
    let server =
        ZenithServer::start_with(zenith(), &url, &[]).expect("start zenith as a user denied INFO");
    assert_eq!(
        enqueue_and_read_back(&server, "limited").await.queue,
        "limited"
    );
}

#[tokio::test]
async fn postgres_with_sslmode_verify_full() {
    let pki = Pki::new();
    let redis = RedisServer::start().unwrap();
    let postgres = PostgresServer::start_tls(&pki.server_cert_pem, &pki.server_key_pem).unwrap();
    let url = postgres.create_database("zenith_tls").unwrap();
    let url = format!(
        "{url}?sslmode=verify-full&sslrootcert={}",
        pki.arg("ca.pem")
    );
    let server = start(&redis, &["--database-url".into(), url]);
    list_queues(Ok(plaintext_channel(&server).await))
        .await
        .unwrap();
    // The server's pooled connections to its database are encrypted.
    let encrypted = postgres
        .psql(
            "postgres",
            "SELECT count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) \
             WHERE datname = 'zenith_tls' AND ssl",
        )
        .unwrap();
    assert_ne!(encrypted, "0", "no TLS connection from zenith");
    let plain = postgres
        .psql(
            "postgres",
            "SELECT count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) \
             WHERE datname = 'zenith_tls' AND NOT ssl",
        )
        .unwrap();
    assert_eq!(plain, "0");
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/PID/status")
}

#[tokio::test]
async fn oversized_messages_are_refused_without_buffering_them() {
    let redis = RedisServer::start().unwrap();
    let server = start(&redis, &[]);
    let mut queues = QueueServiceClient::new(plaintext_channel(&server).await);
    let enqueue = |payload_bytes: usize| EnqueueRequest {
        job: Some(JobSpec {
            payload: vec![b'x'; payload_bytes],
            ..common::spec("big", "send")
        }),
    };

    // Under the 4 MiB message limit but over the 1 MiB payload limit: the payload check.
    let status = queues.enqueue(enqueue(2 << 20)).await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");

    let pid = server.pid().unwrap();
    let before = rss_kib(pid);
    for _ in 0..20 {
        let status = queues.enqueue(enqueue(6 << 20)).await.unwrap_err();
        assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
        assert!(
            status
                .message()
                .contains("exceeds the limit of 4194304 bytes"),
            "{status:?}"
        );
    }
    let grown_mib = rss_kib(pid).saturating_sub(before) / 1024;
    println!("rss before {} MiB, grown by {grown_mib} MiB", before / 1024);
    assert!(
        grown_mib < 40,
        "20 refused 6 MiB messages grew the server by {grown_mib} MiB"
    );
    // The connection is still good.
    queues.enqueue(enqueue(10)).await.expect("a small enqueue");
}

#[tokio::test]
async fn max_message_bytes_raises_the_limit() {
    let redis = RedisServer::start().unwrap();
    let args = [
        "--max-message-bytes".to_owned(),
        (8 << 20).to_string(),
        "--max-payload-bytes".into(),
        (7 << 20).to_string(),
    ];
    let server = start(&redis, &args);
    // The answer carries the job, payload and all: the client must take it.
    let mut queues = QueueServiceClient::new(plaintext_channel(&server).await)
        .max_decoding_message_size(16 << 20);
    let job = JobSpec {
        payload: vec![b'x'; 6 << 20],
        ..common::spec("big", "send")
    };
    queues
        .enqueue(EnqueueRequest { job: Some(job) })
        .await
        .expect("a 6 MiB payload under an 8 MiB limit");
    let job = JobSpec {
        payload: vec![b'x'; 9 << 20],
        ..common::spec("big", "send")
    };
    let status = queues
        .enqueue(EnqueueRequest { job: Some(job) })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
}

#[tokio::test]
async fn http2_settings_carry_max_concurrent_streams() {
    let redis = RedisServer::start().unwrap();
    let server = start(&redis, &["--max-concurrent-streams".into(), "2".into()]);
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", server.port()))
        .await
        .unwrap();
    let (client, connection) = h2::client::handshake(tcp).await.unwrap();
    tokio::spawn(connection);
    let mut client = client.ready().await.unwrap();
    // One exchange, so the server's SETTINGS have surely arrived.
    let request = http::Request::get(format!("http://127.0.0.1:{}/healthz", server.port()))
        .body(())
        .unwrap();
    let (response, _) = client.send_request(request, true).unwrap();
    assert_eq!(response.await.unwrap().status(), 200);
    assert_eq!(client.current_max_send_streams(), 2);
}

fn reserve_waiting(queue: &str, wait: Duration) -> ReserveRequest {
    ReserveRequest {
        queues: vec![queue.into()],
        max_jobs: 1,
        wait: Some(common::duration(wait)),
        ..Default::default()
    }
}

#[tokio::test]
async fn unary_calls_end_at_the_request_timeout_and_streams_do_not() {
    let pki = Pki::new();
    let redis = RedisServer::start().unwrap();
    let mut args = pki.tls_args();
    args.extend(["--request-timeout".into(), "1s".into()]);
    let server = start(&redis, &args);
    let channel = tls_channel(&server, &pki, None).await.unwrap();

    // A Reserve that would wait 10 s on an empty queue is cut at the 1 s cap.
    let started = Instant::now();
    let status = WorkerServiceClient::new(channel.clone())
        .reserve(reserve_waiting("empty", Duration::from_secs(10)))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    assert!(status.message().contains("1s"), "{status:?}");
    assert!(started.elapsed() < Duration::from_secs(9));

    // A client's own shorter deadline (grpc-timeout) is enforced by the server too: sent over
    // grpc-web, which has no client-side timer.
    let response = https_client(&pki)
        .post(format!(
            "https://127.0.0.1:{}/zenith.v1.WorkerService/Reserve",
            server.port()
        ))
        .header("content-type", "application/grpc-web+proto")
        .header("grpc-timeout", "300m")
        .body(grpc_web_frame(&reserve_waiting(
            "empty",
            Duration::from_secs(10),
        )))
        .send()
        .await
        .unwrap();
    let (status, message) = grpc_web_status(response).await;
    assert_eq!(
        status,
        (Code::DeadlineExceeded as i32).to_string(),
        "{message}"
    );
    assert!(message.contains("300ms"), "{message}");

    // A watch stream outlives the cap: it still delivers snapshots after 2.5 s.
    let mut watch = QueueServiceClient::new(channel)
        .watch_queues(WatchQueuesRequest::default())
        .await
        .expect("watch")
        .into_inner();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    for _ in 0..3 {
        watch
            .message()
            .await
            .expect("the watch stream is still open")
            .expect("a snapshot");
    }
}

#[tokio::test]
async fn cors_answers_only_listed_origins() {
    let redis = RedisServer::start().unwrap();
    let server = start(
        &redis,
        &[
            "--cors-origins".into(),
            "https://console.example.com".into(),
        ],
    );
    let preflight = |origin: &'static str| {
        reqwest::Client::new()
            .request(
                reqwest::Method::OPTIONS,
                format!("{}/zenith.v1.QueueService/ListQueues", server.url()),
            )
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type,x-grpc-web")
            .send()
    };
    let listed = preflight("https://console.example.com").await.unwrap();
    assert_eq!(
        listed.headers()["access-control-allow-origin"],
        "https://console.example.com"
    );
    let other = preflight("https://evil.example.com").await.unwrap();
    assert!(
        other.headers().get("access-control-allow-origin").is_none(),
        "{:?}",
        other.headers()
    );
}

#[tokio::test]
async fn bad_transport_settings_stop_the_server_at_start() {
    let pki = Pki::new();
    let redis = RedisServer::start().unwrap();
    let missing = pki.arg("missing.pem");
    let not_a_cert = pki.arg("server.key");
    let (cert, key) = (pki.arg("server.pem"), pki.arg("server.key"));
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--cors-origins", "*"], "'*' is not allowed"),
        (
            vec!["--tls-cert", &missing, "--tls-key", &missing],
            "--tls-cert",
        ),
        (
            vec!["--tls-cert", &not_a_cert, "--tls-key", &not_a_cert],
            "--tls-cert",
        ),
        (vec!["--tls-key", &not_a_cert], "--tls-cert and --tls-key"),
        (
            vec![
                "--tls-cert",
                &cert,
                "--tls-key",
                &key,
                "--tls-client-ca",
                &missing,
            ],
            "--tls-client-ca: cannot read",
        ),
        (
            vec!["--max-payload-bytes", "8388608"],
            "--max-message-bytes",
        ),
    ];
    for (args, expected) in cases {
        let (code, stderr) = ZenithServer::run_expecting_exit(
            zenith(),
            &redis.url(),
            &args,
            Duration::from_secs(30),
        )
        .unwrap();
        assert_ne!(code, Some(0), "{args:?}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

#[tokio::test]
async fn sigterm_lets_in_flight_calls_finish_and_exits_cleanly() {
    let redis = RedisServer::start().unwrap();
    let mut server = start(&redis, &[]);
    let mut workers = WorkerServiceClient::new(plaintext_channel(&server).await);
    let waiting = tokio::spawn(async move {
        workers
            .reserve(reserve_waiting("quiet", Duration::from_secs(30)))
            .await
    });
    // Let the Reserve reach the server and start waiting.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let started = Instant::now();
    let exit = tokio::task::spawn_blocking(move || server.stop());
    // Shutdown ends the wait: the call is answered (no jobs), not cut off.
    let reserved = waiting
        .await
        .unwrap()
        .expect("the in-flight Reserve is answered");
    assert!(reserved.into_inner().jobs.is_empty());
    assert_eq!(exit.await.unwrap(), Some(0));
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "shutdown waited out the grace period"
    );
}
