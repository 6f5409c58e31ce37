//! `zenith-bench`: measures raw Redis and Zenith side by side on one Redis in one run, and
//! reports each Zenith figure as a ratio of its raw baseline.

use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use zenith_testkit::{RedisServer, ZenithServer};

use crate::report::{Metric, Report, Target};
use crate::zenith::Zenith;

mod drive;
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
}

/// How long each phase runs.
pub struct Scale {
    pub warmup: Duration,
    pub measure: Duration,
    pub latency_warmup: usize,
    pub latency_samples: usize,
    /// Longest time to spend pre-enqueueing a backlog before a measurement.
    pub fill_limit: Duration,
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
            }
        } else {
            Self {
                warmup: Duration::from_secs(2),
                measure: Duration::from_secs(8),
                latency_warmup: 20,
                latency_samples: 200,
                fill_limit: Duration::from_secs(60),
            }
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let scale = Scale::new(args.quick);
    let target_dir = server::target_dir()?;

    eprintln!("building the release server");
    let binary = server::build_release(&target_dir)?;

    let redis = RedisServer::start().context("start redis")?;
    let redis_url = redis.url();

    eprintln!("measuring redis_lpush_pipelined_per_s");
    let lpush = Metric::new(
        "redis_lpush_pipelined_per_s",
        raw::lpush_per_s(&redis_url, PAYLOAD, &scale).await?,
        "items/s",
    );
    eprintln!("measuring redis_pipelined_1000_card_p99_ms");
    let zcard = Metric::new(
        "redis_pipelined_1000_card_p99_ms",
        raw::pipelined_zcard_p99_ms(&redis_url, &scale).await?,
        "ms",
    );
    // Zenith starts on an empty Redis, so its queue registry holds only what the bench adds.
    raw::flush_all(&redis_url).await?;

    let server = ZenithServer::start_with(&binary, &redis_url, &[]).context("start the server")?;
    let pid = server.pid().context("server has no pid")?;
    let zenith = Zenith::new(server.url(), PAYLOAD.to_vec());
    zenith.wait_ready().await?;

    // ListQueues goes first, while its 1,000 queues are the only ones.
    eprintln!("measuring list_queues_1000_p99_ms");
    zenith.create_listed_queues().await?;
    let list = Metric::new(
        "list_queues_1000_p99_ms",
        zenith.list_queues_p99_ms(&scale).await?,
        "ms",
    )
    .against(&zcard)
    .target(Target::RatioAtMost(3.0));

    eprintln!("measuring enqueue_batch_jobs_per_s");
    let batch_rate = zenith.enqueue_batch_per_s(&scale).await?;
    let batch = Metric::new("enqueue_batch_jobs_per_s", batch_rate, "jobs/s")
        .against(&lpush)
        .target(Target::RatioAtLeast(0.10));

    eprintln!("measuring enqueue_unary_jobs_per_s");
    let unary = Metric::new(
        "enqueue_unary_jobs_per_s",
        zenith.enqueue_unary_per_s(&scale).await?,
        "jobs/s",
    )
    .against(&lpush);

    eprintln!("measuring reserve_ack_jobs_per_s");
    let reserve = Metric::new(
        "reserve_ack_jobs_per_s",
        zenith.reserve_ack_per_s(&scale, batch_rate).await?,
        "jobs/s",
    )
    .against(&lpush)
    .target(Target::RatioAtLeast(0.05));

    let rss = Metric::new("server_peak_rss_mib", server::peak_rss_mib(pid)?, "MiB")
        .target(Target::ValueAtMost(150.0));
    drop(server);

    let report = Report {
        machine: report::machine(),
        quick: args.quick,
        metrics: vec![lpush, zcard, batch, unary, reserve, list, rss],
    };
    let path = target_dir.join("bench").join("report.json");
    report.write_json(&path)?;
    print!("{}", report.table());
    println!("\nreport: {}", path.display());
    Ok(())
}
