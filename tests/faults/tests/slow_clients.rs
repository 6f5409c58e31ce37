//! Slow clients must not hurt anyone else: streams whose readers never read stop at HTTP/2
//! flow control instead of piling up in the server's memory, and connections that trickle a
//! request a byte at a time (slowloris) do not keep other clients from being served.

use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use prost::Message;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use zenith_faults::report;
use zenith_proto::v1::{LogLevel, LogRecord, TailLogsRequest, WatchQueuesRequest};
use zenith_sdk::Client;
use zenith_testkit::{RedisServer, ZenithServer, zenith_binary};

const STALLED_TAILS: usize = 16;
const STALLED_WATCHES: usize = 4;
/// Log lines of 1 KiB written in each of two rounds while the stalled readers hold their
/// streams: the first fills whatever the server buffers per stream, the second must not grow it.
const LINES: usize = 12_000;

fn rss_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/PID/status");
    kib / 1024
}

fn grpc_frame(message: &impl Message) -> Bytes {
    let body = message.encode_to_vec();
    let mut frame = Vec::with_capacity(5 + body.len());
    frame.push(0);
    frame.extend_from_slice(&(body.len() as u32).to_be_bytes());
    frame.extend_from_slice(&body);
    frame.into()
}

/// Opens a server stream on its own HTTP/2 connection with a 1 KiB stream window, and never
/// reads it: the server may send 1 KiB and must then wait. Returns what keeps it open.
async fn stalled_stream(
    port: u16,
    path: &str,
    request: Bytes,
) -> (h2::client::SendRequest<Bytes>, h2::RecvStream) {
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let (client, connection) = h2::client::Builder::new()
        .initial_window_size(1024)
        .handshake(tcp)
        .await
        .unwrap();
    tokio::spawn(connection);
    let mut client = client.ready().await.unwrap();
    let call = http::Request::post(format!("http://127.0.0.1:{port}{path}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(())
        .unwrap();
    let (response, mut send) = client.send_request(call, false).unwrap();
    send.send_data(request, true).unwrap();
    let response = response.await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    (client, response.into_body())
}

fn line(message: String) -> LogRecord {
    LogRecord {
        level: LogLevel::Info.into(),
        message,
        service: "slow-readers".into(),
        ..Default::default()
    }
}

/// Writes `LINES` lines of 1 KiB, checking between batches that other calls are served.
async fn write_lines(client: &Client, round: usize) -> anyhow::Result<()> {
    let filler = "x".repeat(1024);
    for batch in 0..LINES / 1_000 {
        let records = (0..1_000)
            .map(|n| line(format!("{round}/{batch}/{n} {filler}")))
            .collect();
        let written = client.write_logs(records).await?;
        assert_eq!(written.written, 1_000);
        client.list_queues().await?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_stream_readers_neither_grow_memory_nor_block_others() -> anyhow::Result<()> {
    let redis = RedisServer::start()?;
    // Archiving this many lines into SQLite is slow here; its warnings are noise.
    let server = ZenithServer::start_with_env(
        &zenith_binary()?,
        &redis.url(),
        &[],
        &[("RUST_LOG", "warn,sqlx=error")],
        std::process::Stdio::inherit(),
    )?;
    let port = server.port();
    let client = Client::connect(server.url()).await?;

    let mut stalled = Vec::new();
    for _ in 0..STALLED_TAILS {
        let request = grpc_frame(&TailLogsRequest::default());
        stalled.push(stalled_stream(port, "/zenith.v1.LogService/TailLogs", request).await);
    }
    for _ in 0..STALLED_WATCHES {
        let request = grpc_frame(&WatchQueuesRequest::default());
        stalled.push(stalled_stream(port, "/zenith.v1.QueueService/WatchQueues", request).await);
    }
    // A reader that keeps up, looking for the last line.
    let mut healthy = client.tail_logs(TailLogsRequest::default()).await?;
    let pid = server.pid().expect("server pid");
    let before = rss_mib(pid);
    write_lines(&client, 1).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let filled = rss_mib(pid);
    write_lines(&client, 2).await?;
    client
        .write_logs(vec![line("the last line".into())])
        .await?;

    let seen = tokio::time::timeout(Duration::from_secs(30), async {
        let mut seen = 0;
        while let Some(response) = healthy.next().await {
            let response = response.expect("the healthy tail");
            seen += response.records.len();
            if response
                .records
                .iter()
                .any(|record| record.message == "the last line")
            {
                return seen;
            }
        }
        panic!("the healthy tail ended");
    })
    .await
    .expect("the healthy tail saw the last line");
    let after = rss_mib(pid);
    let unbounded_mib = LINES * STALLED_TAILS / 1024;
    report(&format!(
        "slow readers: {STALLED_TAILS} stalled tails and {STALLED_WATCHES} stalled watches; \
         server rss {before} MiB, {filled} MiB after {LINES} lines of 1 KiB, {after} MiB after \
         {LINES} more (buffering them all would add {unbounded_mib} MiB); the healthy tail got \
         {seen} lines"
    ));
    assert!(
        after.saturating_sub(filled) < unbounded_mib as u64 / 2,
        "the second round grew the server from {filled} MiB to {after} MiB"
    );
    // The stalled streams are still open and the server still answers.
    assert_eq!(stalled.len(), STALLED_TAILS + STALLED_WATCHES);
    client.list_queues().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_connections_do_not_keep_others_waiting() -> anyhow::Result<()> {
    let redis = RedisServer::start()?;
    let server = ZenithServer::start(&redis.url(), &[])?;
    let client = Client::connect(server.url()).await?;

    // Half start an HTTP/2 connection preface, half an HTTP/1.1 request; none ever finishes.
    let http2 = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".as_slice();
    let http1 =
        b"POST /zenith.v1.QueueService/ListQueues HTTP/1.1\r\nHost: 127.0.0.1\r\n".as_slice();
    let mut trickling = Vec::new();
    for n in 0..40 {
        let stream = TcpStream::connect(("127.0.0.1", server.port())).await?;
        trickling.push((stream, if n % 2 == 0 { http2 } else { http1 }));
    }
    let trickle = tokio::spawn(async move {
        // One byte per connection every 200 ms for 4 s: 20 bytes, less than either request.
        for offset in 0..20 {
            for (stream, request) in &mut trickling {
                let _ = stream.write_all(&request[offset..offset + 1]).await;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        trickling
    });

    let started = Instant::now();
    let mut served = 0;
    while !trickle.is_finished() {
        tokio::time::timeout(Duration::from_secs(5), client.list_queues())
            .await
            .expect("served while others trickle")?;
        // A fresh connection too: the accept loop is not stuck behind the tricklers.
        let fresh = Client::connect(server.url()).await?;
        tokio::time::timeout(Duration::from_secs(5), fresh.list_queues())
            .await
            .expect("a new client served while others trickle")?;
        served += 2;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let trickling = trickle.await?;
    report(&format!(
        "slowloris: {} trickling connections, {served} calls served meanwhile in {:?}",
        trickling.len(),
        started.elapsed()
    ));
    assert!(served >= 10, "only {served} calls served");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_message_is_refused_from_its_length_before_its_body_arrives()
-> anyhow::Result<()> {
    let redis = RedisServer::start()?;
    let server = ZenithServer::start(&redis.url(), &[])?;
    let port = server.port();
    let tcp = TcpStream::connect(("127.0.0.1", port)).await?;
    let (client, connection) = h2::client::handshake(tcp).await?;
    tokio::spawn(connection);
    let mut client = client.ready().await?;
    let call = http::Request::post(format!(
        "http://127.0.0.1:{port}/zenith.v1.QueueService/Enqueue"
    ))
    .header("content-type", "application/grpc")
    .header("te", "trailers")
    .body(())?;
    let (response, mut send) = client.send_request(call, false)?;
    // A gRPC message header announcing 1 GiB, and then nothing: the stream stays open.
    let mut header = vec![0];
    header.extend_from_slice(&(1_u32 << 30).to_be_bytes());
    send.send_data(header.into(), false)?;

    let answered = tokio::time::timeout(Duration::from_secs(10), async {
        let response = response.await?;
        if let Some(status) = response.headers().get("grpc-status") {
            return Ok::<_, h2::Error>(status.to_str().unwrap_or_default().to_owned());
        }
        let mut body = response.into_body();
        while body.data().await.transpose()?.is_some() {}
        let trailers = body.trailers().await?.unwrap_or_default();
        Ok(trailers
            .get("grpc-status")
            .and_then(|status| status.to_str().ok())
            .unwrap_or_default()
            .to_owned())
    })
    .await
    .expect("an answer without waiting for the announced gigabyte")?;
    assert_eq!(
        answered,
        (tonic::Code::ResourceExhausted as i32).to_string(),
        "grpc-status"
    );
    // The server goes on serving.
    let client = Client::connect(server.url()).await?;
    client.list_queues().await?;
    report(&format!(
        "oversized: a message announcing 1 GiB got grpc-status {answered} before any body"
    ));
    Ok(())
}
