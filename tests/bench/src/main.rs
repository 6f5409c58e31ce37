//! `zenith-bench`: measures raw Redis and Zenith side by side on one Redis in one run, and
//! reports each Zenith figure as a ratio of its raw baseline; with `--peers`, BullMQ's too.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use zenith_testkit::{RedisServer, ZenithServer};

use crate::drive::Latency;
use crate::peers::BullMq;
use crate::report::{Metric, Report, Target};
use crate::zenith::{BATCH_CALLERS, BATCH_SIZE, UNARY_CALLERS, Zenith};

mod archive;
mod bulk;
mod drive;
mod peers;
mod pulse;
mod raw;
mod report;
mod server;
mod zenith;

/// A typical small job: about 100 bytes of JSON.
const PAYLOAD: &[u8] =
    br#"{"order_id":"ord_8c1f2a9e","customer_id":421337,"amount_cents":129900,"currency":"EUR","express":true}"#;

#[derive(Parser)]
#[command(
    name = "zenith-bench",
    about = "Measures Zenith against raw Redis in one run"
)]
struct Args {
    /// Scales every phase down to a few seconds, for CI.
    #[arg(long)]
    quick: bool,
    /// Measure this `zenith` binary instead of building the release server first.
    #[arg(long, env = "ZENITH_BIN")]
    server_binary: Option<PathBuf>,
    /// Only these parts, comma-separated [default: all].
    #[arg(long, value_enum, value_delimiter = ',')]
    only: Vec<Part>,
    /// Also run BullMQ (installed from npm into tests/bench/peers) on the same Redis and report
    /// Zenith's queue figures against it; needs Node.js and npm.
    #[arg(long)]
    peers: bool,
}

#[derive(Clone, Copy, PartialEq, clap::ValueEnum)]
enum Part {
    /// Queues and jobs against raw Redis.
    Queue,
    /// The SQL archive and search against raw SQL, on SQLite and PostgreSQL.
    Archive,
    /// Beats, nodes and logs against raw Redis.
    Pulse,
}

/// How long each phase runs.
pub struct Scale {
    pub warmup: Duration,
    pub measure: Duration,
    pub latency_warmup: usize,
    pub latency_samples: usize,
    /// Longest time to spend pre-enqueueing a backlog before a measurement.
    pub fill_limit: Duration,
    /// Dead jobs one bulk retry handles.
    pub bulk_jobs: usize,
    /// Archived jobs search runs over.
    pub archived_jobs: usize,
    /// Jobs archived end to end through a server.
    pub archive_e2e_jobs: usize,
    /// Searches timed, free text and field terms alternating.
    pub search_queries: usize,
}

impl Scale {
    fn new(quick: bool) -> Self {
        if quick {
            Self {
                warmup: Duration::from_millis(300),
                measure: Duration::from_millis(1_500),
                latency_warmup: 10,
                latency_samples: 100,
                fill_limit: Duration::from_secs(10),
                bulk_jobs: 20_000,
                archived_jobs: 20_000,
                archive_e2e_jobs: 20_000,
                search_queries: 100,
            }
        } else {
            Self {
                warmup: Duration::from_secs(2),
                measure: Duration::from_secs(8),
                latency_warmup: 20,
                latency_samples: 200,
                fill_limit: Duration::from_secs(60),
                bulk_jobs: 1_000_000,
                archived_jobs: 1_000_000,
                archive_e2e_jobs: 100_000,
                search_queries: 400,
            }
        }
    }
}

/// Runs one phase and says on stderr how long it took, so a slow phase shows while the run is
/// still going.
async fn phase<T>(name: &str, work: impl Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    eprintln!("{name}");
    let started = Instant::now();
    let value = work.await.with_context(|| format!("{name} failed"))?;
    eprintln!("  took {:.1} s", started.elapsed().as_secs_f64());
    Ok(value)
}

/// The p99 for the report; the median goes to stderr as a hint whether a high p99 is a tail or
/// the norm.
fn p99(latency: Latency) -> f64 {
    eprintln!(
        "  p50 {:.3} ms, p99 {:.3} ms",
        latency.p50_ms, latency.p99_ms
    );
    latency.p99_ms
}

fn main() -> anyhow::Result<()> {
    // The servers log at warn; sqlx's slow-statement warning would print whole multi-row
    // INSERTs each time the archive bench holds writes back on purpose.
    if std::env::var_os("RUST_LOG").is_none() {
        // SAFETY: no other thread runs yet; the runtime starts below.
        unsafe { std::env::set_var("RUST_LOG", "warn,sqlx=error") };
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let args = Args::parse();
    let scale = Scale::new(args.quick);
    let target_dir = zenith_testkit::release::target_dir()?;
    let binary = match args.server_binary {
        // The server starts in a directory of its own, so a relative path would miss.
        Some(binary) => std::path::absolute(binary)?,
        None => {
            phase("building the release server", async {
                zenith_testkit::release::build_release(&target_dir)
            })
            .await?
        }
    };
    let runs = |part: Part| args.only.is_empty() || args.only.contains(&part);
    anyhow::ensure!(
        !args.peers || runs(Part::Queue),
        "--peers compares the queue part, which --only leaves out"
    );

    let redis = RedisServer::start().context("start redis")?;
    let redis_url = redis.url();
    let peers = if args.peers {
        Some(phase("installing bullmq", BullMq::install(&redis_url, PAYLOAD)).await?)
    } else {
        None
    };
    let mut metrics = Vec::new();
    if runs(Part::Queue) {
        metrics
            .extend(queue_metrics(&binary, &redis_url, &scale, args.quick, peers.as_ref()).await?);
    }
    if runs(Part::Archive) {
        raw::flush_all(&redis_url).await?;
        metrics.extend(archive::measure(&binary, &redis_url, &scale).await?);
    }
    if runs(Part::Pulse) {
        raw::flush_all(&redis_url).await?;
        metrics.extend(pulse::measure(&binary, &redis_url, &scale).await?);
    }

    let report = Report {
        machine: report::machine(),
        quick: args.quick,
        metrics,
    };
    let path = target_dir.join("bench").join("report.json");
    report.write_json(&path)?;
    print!("{}", report.table());
    println!("\nreport: {}", path.display());
    Ok(())
}

/// Queues and jobs: raw Redis baselines, then the same work through a server, each enqueue and
/// reserve phase followed by BullMQ's counterpart when `peers` is given.
async fn queue_metrics(
    binary: &Path,
    redis_url: &str,
    scale: &Scale,
    quick: bool,
    peers: Option<&BullMq>,
) -> anyhow::Result<Vec<Metric>> {
    let lpush = Metric::new(
        "redis_lpush_pipelined_per_s",
        phase(
            "measuring redis_lpush_pipelined_per_s",
            raw::lpush_per_s(redis_url, PAYLOAD, scale),
        )
        .await?,
        "items/s",
    );
    let zcard = Metric::new(
        "redis_pipelined_1000_card_p99_ms",
        p99(phase(
            "measuring redis_pipelined_1000_card_p99_ms",
            raw::pipelined_zcard_latency(redis_url, scale),
        )
        .await?),
        "ms",
    );
    // Every Zenith phase starts on an empty Redis, like the baselines: queues left by an earlier
    // phase would cost later ones (the server's maintenance pass visits every queue), and one page
    // of ListQueues must hold exactly the 1,000 queues made for it.
    raw::flush_all(redis_url).await?;

    let server = ZenithServer::start_with(binary, redis_url, &[]).context("start the server")?;
    let pid = server.pid().context("server has no pid")?;
    let zenith = Zenith::new(server.url(), PAYLOAD.to_vec());
    zenith.wait_ready().await?;

    phase("creating 1000 queues", zenith.create_listed_queues()).await?;
    let list = Metric::new(
        "list_queues_1000_p99_ms",
        p99(phase(
            "measuring list_queues_1000_p99_ms",
            zenith.list_queues_latency(scale),
        )
        .await?),
        "ms",
    )
    .against(&zcard)
    .target(Target::RatioAtMost(3.0));

    // Each BullMQ phase runs right after the Zenith phase it is compared to, on the same
    // Redis flushed in between, with as many jobs as Zenith handled in its measured time.
    let mut peer_metrics = Vec::new();
    raw::flush_all(redis_url).await?;
    let batch_rate = phase(
        "measuring enqueue_batch_jobs_per_s",
        zenith.enqueue_batch(scale),
    )
    .await?;
    let batch = Metric::new(
        "enqueue_batch_jobs_per_s",
        batch_rate.per_second(),
        "jobs/s",
    )
    .against(&lpush)
    .target(Target::RatioAtLeast(0.10));
    if let Some(bullmq) = peers {
        raw::flush_all(redis_url).await?;
        let add_bulk = Metric::new(
            "bullmq_add_bulk_jobs_per_s",
            phase(
                "measuring bullmq_add_bulk_jobs_per_s",
                bullmq.add_bulk(batch_rate.items, BATCH_CALLERS, BATCH_SIZE, scale.warmup),
            )
            .await?
            .per_second(),
            "jobs/s",
        );
        let versus = batch
            .also_against(&add_bulk)
            .target(Target::RatioAtLeast(2.0));
        peer_metrics.extend([add_bulk, versus]);
    }

    raw::flush_all(redis_url).await?;
    let unary_rate = phase(
        "measuring enqueue_unary_jobs_per_s",
        zenith.enqueue_unary(scale),
    )
    .await?;
    let unary = Metric::new(
        "enqueue_unary_jobs_per_s",
        unary_rate.per_second(),
        "jobs/s",
    )
    .against(&lpush);
    if let Some(bullmq) = peers {
        raw::flush_all(redis_url).await?;
        let add = Metric::new(
            "bullmq_add_jobs_per_s",
            phase(
                "measuring bullmq_add_jobs_per_s",
                bullmq.add(unary_rate.items, UNARY_CALLERS, scale.warmup),
            )
            .await?
            .per_second(),
            "jobs/s",
        );
        let versus = unary.also_against(&add);
        peer_metrics.extend([add, versus]);
    }

    raw::flush_all(redis_url).await?;
    let reserve_rate = phase(
        "measuring reserve_ack_jobs_per_s",
        zenith.reserve_ack(scale, batch.value()),
    )
    .await?;
    let reserve = Metric::new(
        "reserve_ack_jobs_per_s",
        reserve_rate.per_second(),
        "jobs/s",
    )
    .against(&lpush)
    .target(Target::RatioAtLeast(0.05));
    if let Some(bullmq) = peers {
        raw::flush_all(redis_url).await?;
        let worker = Metric::new(
            "bullmq_worker_jobs_per_s",
            phase(
                "measuring bullmq_worker_jobs_per_s",
                bullmq.worker(reserve_rate.items),
            )
            .await?
            .per_second(),
            "jobs/s",
        );
        let versus = reserve
            .also_against(&worker)
            .target(Target::RatioAtLeast(2.0));
        peer_metrics.extend([worker, versus]);
    }

    raw::flush_all(redis_url).await?;
    let retry_floor = Metric::new(
        "redis_lua_retry_floor_per_s",
        phase(
            "measuring redis_lua_retry_floor_per_s",
            raw::lua_retry_floor_per_s(redis_url, scale.bulk_jobs, PAYLOAD),
        )
        .await?,
        "jobs/s",
    );
    raw::flush_all(redis_url).await?;
    let bulk = phase(
        "measuring bulk retry of dead jobs",
        bulk::measure(&zenith, redis_url, scale.bulk_jobs),
    )
    .await?;
    let (retry_name, count_name) = if quick {
        ("bulk_retry_20k_jobs_per_s", "count_filter_20k_ms")
    } else {
        ("bulk_retry_1m_jobs_per_s", "count_filter_1m_ms")
    };
    let bulk_retry = Metric::new(retry_name, bulk.retry_jobs_per_s, "jobs/s")
        .against(&retry_floor)
        .target(Target::ValueAtLeast(100_000.0));
    let slowlog = Metric::new(
        "bulk_retry_redis_slowlog_entries",
        bulk.slowlog_entries,
        "entries",
    )
    .target(Target::ValueAtMost(0.0));
    let count_filter = Metric::new(count_name, bulk.count_filter_ms, "ms");

    let rss = Metric::new("server_peak_rss_mib", server::peak_rss_mib(pid)?, "MiB")
        .target(Target::ValueAtMost(150.0));
    drop(server);

    let mut metrics = vec![
        lpush,
        zcard,
        batch,
        unary,
        reserve,
        list,
        retry_floor,
        bulk_retry,
        slowlog,
        count_filter,
        rss,
    ];
    metrics.extend(peer_metrics);
    Ok(metrics)
}
