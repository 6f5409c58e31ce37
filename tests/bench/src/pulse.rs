//! Pulse and logs: beats through gRPC against the Redis-native SET + ZADD pair, ListNodes over
//! 10,000 live nodes, and log lines through WriteLogs against pipelined XADD, each on the same
//! Redis.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use prost_types::Timestamp;
use redis::aio::MultiplexedConnection;
use tonic::transport::Channel;
use zenith_proto::v1::log_service_client::LogServiceClient;
use zenith_proto::v1::pulse_service_client::PulseServiceClient;
use zenith_proto::v1::{
    BeatPayload, BeatRequest, CurrentJob, ExternalQueue, ListNodesRequest, LogLevel, LogRecord,
    NodeIdentity, ProcessStats, SystemStats, WriteLogsRequest,
};
use zenith_server::db::Database;
use zenith_testkit::ZenithServer;

use crate::drive::{Latency, Step, drive, latency};
use crate::report::{Metric, Target};
use crate::zenith::Zenith;
use crate::{PAYLOAD, Scale, phase, raw};

const BEAT_SENDERS: usize = 64;
/// Raw beats go out in pipelines of this many SET + ZADD pairs per sender.
const BEAT_PIPELINE: usize = 50;
/// Node ids the beats spread over.
const BEAT_NODES: usize = 10_000;
/// Nodes ListNodes returns, all in one page.
const LISTED_NODES: usize = 10_000;
const LIST_NODES_MAX_MESSAGE: usize = 64 * 1024 * 1024;
const LOG_WRITERS: usize = 8;
const LOG_BATCH: usize = 100;
/// The server's default key prefix, which the Redis-native transport writes under.
const PREFIX: &str = "zenith";
/// An interval long enough that seeded nodes stay healthy for the whole run.
const LONG_INTERVAL: Duration = Duration::from_secs(300);
/// How long seeding nodes and archiving logs may take at most.
const SETTLE_LIMIT: Duration = Duration::from_secs(120);

pub async fn measure(binary: &Path, redis_url: &str, scale: &Scale) -> anyhow::Result<Vec<Metric>> {
    let set_zadd = Metric::new(
        "redis_set_zadd_pipelined_per_s",
        phase(
            "measuring redis_set_zadd_pipelined_per_s",
            set_zadd_per_s(redis_url, scale),
        )
        .await?,
        "beats/s",
    );
    raw::flush_all(redis_url).await?;
    let beats = Metric::new(
        "beats_per_s",
        phase(
            "measuring beats_per_s",
            beats_per_s(binary, redis_url, scale),
        )
        .await?,
        "beats/s",
    )
    .against(&set_zadd)
    .target(Target::RatioAtLeast(0.05));

    raw::flush_all(redis_url).await?;
    let (list, rss) = phase(
        "measuring list_nodes_10000_p99_ms",
        list_nodes(binary, redis_url, scale),
    )
    .await?;
    eprintln!("  p50 {:.3} ms, p99 {:.3} ms", list.p50_ms, list.p99_ms);
    let list_p50 = Metric::new("list_nodes_10000_p50_ms", list.p50_ms, "ms");
    let list_p99 = Metric::new("list_nodes_10000_p99_ms", list.p99_ms, "ms");
    let rss = Metric::new("pulse_server_peak_rss_mib", rss, "MiB");

    raw::flush_all(redis_url).await?;
    let xadd = Metric::new(
        "redis_xadd_pipelined_per_s",
        phase(
            "measuring redis_xadd_pipelined_per_s",
            xadd_per_s(redis_url, scale),
        )
        .await?,
        "lines/s",
    );
    raw::flush_all(redis_url).await?;
    let logs = phase(
        "measuring logs_written_per_s",
        logs_per_s(binary, redis_url, scale),
    )
    .await?;
    let written = Metric::new("logs_written_per_s", logs.written_per_s, "lines/s").against(&xadd);
    let archived = Metric::new("logs_archived_per_s", logs.archived_per_s, "lines/s");
    Ok(vec![
        set_zadd, beats, list_p50, list_p99, rss, xadd, written, archived,
    ])
}

fn timestamp(at: std::time::SystemTime) -> Timestamp {
    let since = at.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    Timestamp {
        seconds: since.as_secs() as i64,
        nanos: since.subsec_nanos() as i32,
    }
}

fn duration(duration: Duration) -> prost_types::Duration {
    prost_types::Duration {
        seconds: duration.as_secs() as i64,
        nanos: duration.subsec_nanos() as i32,
    }
}

fn node_id(index: usize) -> String {
    format!(
        "bench-host-{:03}:{}:{index:05}",
        index % 100,
        10_000 + index
    )
}

/// A full beat as a busy worker sends it, about 1 KB in the JSON mapping: identity with labels,
/// process and system figures, two running jobs (no lease tokens, so no lease is touched) and
/// two external queues.
fn beat(index: usize, interval: Duration) -> BeatPayload {
    let now = std::time::SystemTime::now();
    BeatPayload {
        identity: Some(NodeIdentity {
            node_id: node_id(index),
            service: format!("bench-service-{}", index % 20),
            language: "rust".to_owned(),
            runtime: "rustc 1.91.0".to_owned(),
            sdk_version: "0.1.0".to_owned(),
            version: "2026.11.3".to_owned(),
            pid: 10_000 + index as i64,
            hostname: format!("bench-host-{:03}", index % 100),
            platform: "linux-x86_64".to_owned(),
            labels: [
                ("region", "eu-west-1"),
                ("zone", "eu-west-1b"),
                ("deployment", "billing-7f9c6d5b8-x2k4q"),
            ]
            .into_iter()
            .map(|(key, value)| (key.to_owned(), value.to_owned()))
            .collect(),
        }),
        sent_at: Some(timestamp(now)),
        interval: Some(duration(interval)),
        process: Some(ProcessStats {
            cpu_percent: 37.5,
            memory_rss_bytes: 187_432_960,
            threads: 24,
            open_files: 113,
        }),
        system: Some(SystemStats {
            cpu_percent: 61.25,
            cpu_cores: 8,
            memory_total_bytes: 33_554_432_000,
            memory_used_bytes: 21_474_836_480,
            disk_total_bytes: 512_110_190_592,
            disk_used_bytes: 301_989_888_000,
            load_average_1m: 3.42,
        }),
        uptime: Some(duration(Duration::from_secs(86_400 + index as u64))),
        jobs: (0..2)
            .map(|job| CurrentJob {
                queue: "billing".to_owned(),
                job_id: format!("019a8f3c-7d21-7c4e-9b1a-{index:08}{job:04}"),
                lease_token: String::new(),
                started_at: Some(timestamp(now)),
            })
            .collect(),
        external_queues: vec![
            ExternalQueue {
                name: "emails".to_owned(),
                driver: "laravel".to_owned(),
                connection: "redis".to_owned(),
                pending: 1_204,
                active: 8,
                scheduled: 31,
                failed: 2,
                completed: 918_344,
                oldest_pending_age: Some(duration(Duration::from_secs(42))),
                paused: false,
            },
            ExternalQueue {
                name: "thumbnails".to_owned(),
                driver: "bullmq".to_owned(),
                connection: "cache".to_owned(),
                pending: 77,
                active: 4,
                scheduled: 0,
                failed: 0,
                completed: 55_120,
                oldest_pending_age: Some(duration(Duration::from_secs(3))),
                paused: false,
            },
        ],
        queues: vec!["billing".to_owned(), "billing-low".to_owned()],
        quiet: false,
    }
}

fn beat_json(index: usize, interval: Duration) -> String {
    zenith_proto::to_json(&beat(index, interval)).to_string()
}

/// `SET <prefix>:pulse:beat:<node> <json> EX <ttl>` + `ZADD <prefix>:pulse:nodes <ms> <node>`,
/// as PULSE.md says a Redis-native agent beats.
fn add_raw_beat(pipeline: &mut redis::Pipeline, index: usize, json: &str, interval: Duration) {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as i64;
    let node = node_id(index);
    pipeline
        .cmd("SET")
        .arg(format!("{PREFIX}:pulse:beat:{node}"))
        .arg(json)
        .arg("EX")
        .arg((interval * 3).as_secs())
        .ignore()
        .cmd("ZADD")
        .arg(format!("{PREFIX}:pulse:nodes"))
        .arg(now_ms)
        .arg(node)
        .ignore();
}

struct SetZaddWorker {
    conn: MultiplexedConnection,
    /// Built once and reused: the sender's share of node ids, one pipeline.
    pipeline: redis::Pipeline,
}

impl Step for SetZaddWorker {
    async fn step(&mut self) -> anyhow::Result<u64> {
        self.pipeline
            .query_async::<()>(&mut self.conn)
            .await
            .context("pipelined set + zadd")?;
        Ok(BEAT_PIPELINE as u64)
    }
}

/// SET + ZADD pairs per second from 64 senders, each pipelining beats of its own nodes.
async fn set_zadd_per_s(url: &str, scale: &Scale) -> anyhow::Result<f64> {
    let json = beat_json(0, LONG_INTERVAL);
    eprintln!("  beat is {} bytes of JSON", json.len());
    let mut workers = Vec::with_capacity(BEAT_SENDERS);
    for sender in 0..BEAT_SENDERS {
        let mut pipeline = redis::pipe();
        for slot in 0..BEAT_PIPELINE {
            let index = (sender * BEAT_PIPELINE + slot) % BEAT_NODES;
            add_raw_beat(&mut pipeline, index, &json, LONG_INTERVAL);
        }
        workers.push(SetZaddWorker {
            conn: raw::connect(url).await?,
            pipeline,
        });
    }
    let (workers, _) = drive(workers, scale.warmup).await?;
    let (_, rate) = drive(workers, scale.measure).await?;
    Ok(rate.per_second())
}

struct BeatWorker {
    client: PulseServiceClient<Channel>,
    /// This sender's nodes' beats, sent round robin.
    beats: Vec<BeatPayload>,
    next: usize,
}

impl Step for BeatWorker {
    async fn step(&mut self) -> anyhow::Result<u64> {
        let beat = self.beats[self.next].clone();
        self.next = (self.next + 1) % self.beats.len();
        self.client
            .beat(BeatRequest { beat: Some(beat) })
            .await
            .context("beat")?;
        Ok(1)
    }
}

/// Beats per second through PulseService/Beat from 64 senders, each its own connection and its
/// own slice of the 10,000 nodes.
async fn beats_per_s(binary: &Path, redis_url: &str, scale: &Scale) -> anyhow::Result<f64> {
    let server = ZenithServer::start_with(binary, redis_url, &[]).context("start the server")?;
    let zenith = Zenith::new(server.url(), PAYLOAD.to_vec());
    zenith.wait_ready().await?;
    let mut workers = Vec::with_capacity(BEAT_SENDERS);
    for sender in 0..BEAT_SENDERS {
        let beats = (sender..BEAT_NODES)
            .step_by(BEAT_SENDERS)
            .map(|index| beat(index, LONG_INTERVAL))
            .collect();
        workers.push(BeatWorker {
            client: PulseServiceClient::new(zenith.channel().await?),
            beats,
            next: 0,
        });
    }
    let (workers, _) = drive(workers, scale.warmup).await?;
    let (_, rate) = drive(workers, scale.measure).await?;
    Ok(rate.per_second())
}

/// Seeds 10,000 nodes through the Redis-native transport, waits until the server lists them
/// all, then times ListNodes returning every one in one page. Also returns the server's peak
/// memory with those nodes.
async fn list_nodes(
    binary: &Path,
    redis_url: &str,
    scale: &Scale,
) -> anyhow::Result<(Latency, f64)> {
    let server = ZenithServer::start_with(binary, redis_url, &[]).context("start the server")?;
    let pid = server.pid().context("server has no pid")?;
    let zenith = Zenith::new(server.url(), PAYLOAD.to_vec());
    zenith.wait_ready().await?;

    let mut conn = raw::connect(redis_url).await?;
    for start in (0..LISTED_NODES).step_by(1_000) {
        let mut pipeline = redis::pipe();
        for index in start..(start + 1_000).min(LISTED_NODES) {
            add_raw_beat(
                &mut pipeline,
                index,
                &beat_json(index, LONG_INTERVAL),
                LONG_INTERVAL,
            );
        }
        pipeline
            .query_async::<()>(&mut conn)
            .await
            .context("seed redis-native beats")?;
    }

    // 10,000 full beats are about 4.5 MB, past tonic's default 4 MiB limit on a decoded
    // message.
    let mut client = PulseServiceClient::new(zenith.channel().await?)
        .max_decoding_message_size(LIST_NODES_MAX_MESSAGE);
    let request = ListNodesRequest {
        page_size: LISTED_NODES as i32,
        ..Default::default()
    };
    let started = Instant::now();
    loop {
        let listed = client
            .list_nodes(request.clone())
            .await
            .context("list nodes")?
            .into_inner()
            .total_nodes;
        if listed as usize >= LISTED_NODES {
            eprintln!(
                "  {LISTED_NODES} nodes listed {:.2} s after seeding",
                started.elapsed().as_secs_f64()
            );
            break;
        }
        ensure!(
            started.elapsed() < SETTLE_LIMIT,
            "the server listed {listed} of {LISTED_NODES} seeded nodes in {SETTLE_LIMIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let latency = latency(scale.latency_warmup, scale.latency_samples, async || {
        let response = client
            .list_nodes(request.clone())
            .await
            .context("list nodes")?
            .into_inner();
        let nodes: usize = response
            .services
            .iter()
            .map(|service| service.nodes.len())
            .sum();
        ensure!(
            nodes == LISTED_NODES,
            "list nodes returned {nodes} nodes, expected {LISTED_NODES}"
        );
        Ok(())
    })
    .await?;
    Ok((latency, crate::server::peak_rss_mib(pid)?))
}

/// A log line as a worker writes it: about 200 bytes of message, with service, node, queue and
/// job and two structured fields.
fn log_record(writer: usize, line: usize) -> LogRecord {
    let mut message = format!(
        "charged order ord_{writer:02}{line:06} for customer 421337: 129900 EUR via card ending 4242, \
         3-D Secure passed, receipt queued for ada@example.com (attempt 1 of 3, gateway latency 184 ms)"
    );
    message.truncate(200);
    LogRecord {
        time: Some(timestamp(std::time::SystemTime::now())),
        level: LogLevel::Info.into(),
        message,
        service: "bench-billing".to_owned(),
        node_id: node_id(writer),
        queue: "billing".to_owned(),
        job_id: format!("019a8f3c-7d21-7c4e-9b1a-{writer:06}{line:06}"),
        target: "billing::charge".to_owned(),
        fields: [("gateway", "stripe"), ("currency", "EUR")]
            .into_iter()
            .map(|(key, value)| (key.to_owned(), value.to_owned()))
            .collect(),
        ..Default::default()
    }
}

struct XaddWorker {
    conn: MultiplexedConnection,
    pipeline: redis::Pipeline,
}

impl Step for XaddWorker {
    async fn step(&mut self) -> anyhow::Result<u64> {
        self.pipeline
            .query_async::<()>(&mut self.conn)
            .await
            .context("pipelined xadd")?;
        Ok(LOG_BATCH as u64)
    }
}

/// Lines per second of `XADD <prefix>:logs * record <json>` pipelined 100 at a time from 8
/// connections: the Redis-native log transport at its best.
async fn xadd_per_s(url: &str, scale: &Scale) -> anyhow::Result<f64> {
    let mut workers = Vec::with_capacity(LOG_WRITERS);
    for writer in 0..LOG_WRITERS {
        let mut pipeline = redis::pipe();
        for line in 0..LOG_BATCH {
            pipeline
                .cmd("XADD")
                .arg(format!("{PREFIX}:logs"))
                .arg("*")
                .arg("record")
                .arg(zenith_proto::to_json(&log_record(writer, line)).to_string())
                .ignore();
        }
        workers.push(XaddWorker {
            conn: raw::connect(url).await?,
            pipeline,
        });
    }
    let (workers, _) = drive(workers, scale.warmup).await?;
    let (_, rate) = drive(workers, scale.measure).await?;
    Ok(rate.per_second())
}

struct WriteLogsWorker {
    client: LogServiceClient<Channel>,
    request: WriteLogsRequest,
}

impl Step for WriteLogsWorker {
    async fn step(&mut self) -> anyhow::Result<u64> {
        let written = self
            .client
            .write_logs(self.request.clone())
            .await
            .context("write logs")?
            .into_inner()
            .written;
        ensure!(
            written as usize == LOG_BATCH,
            "write logs wrote {written} of {LOG_BATCH} lines"
        );
        Ok(LOG_BATCH as u64)
    }
}

struct LogRates {
    written_per_s: f64,
    archived_per_s: f64,
}

/// Lines per second through WriteLogs (100 a call, 8 writers); then waits until every line
/// written, warm-up included, is in SQL, and reports lines archived per second from the first
/// write to the last archived line.
async fn logs_per_s(binary: &Path, redis_url: &str, scale: &Scale) -> anyhow::Result<LogRates> {
    let server = ZenithServer::start_with(binary, redis_url, &[]).context("start the server")?;
    let zenith = Zenith::new(server.url(), PAYLOAD.to_vec());
    zenith.wait_ready().await?;
    let database = Database::connect(server.database_url()).await?;
    let store = zenith_server::logs::store::open(&database);

    let mut workers = Vec::with_capacity(LOG_WRITERS);
    for writer in 0..LOG_WRITERS {
        workers.push(WriteLogsWorker {
            client: LogServiceClient::new(zenith.channel().await?),
            request: WriteLogsRequest {
                records: (0..LOG_BATCH)
                    .map(|line| log_record(writer, line))
                    .collect(),
            },
        });
    }
    let started = Instant::now();
    let (workers, warmup) = drive(workers, scale.warmup).await?;
    let (_, rate) = drive(workers, scale.measure).await?;
    let written = warmup.items + rate.items;
    loop {
        let archived = store.count().await?;
        if archived >= written {
            ensure!(
                archived == written,
                "sql holds {archived} lines, {written} were written"
            );
            let elapsed = started.elapsed();
            eprintln!(
                "  {written} lines in sql {:.2} s after the first write",
                elapsed.as_secs_f64()
            );
            return Ok(LogRates {
                written_per_s: rate.per_second(),
                archived_per_s: written as f64 / elapsed.as_secs_f64(),
            });
        }
        ensure!(
            started.elapsed() < SETTLE_LIMIT,
            "sql holds {archived} of {written} written lines after {SETTLE_LIMIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
