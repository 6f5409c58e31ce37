//! `zenith-soak`: runs mixed load (enqueue, work, failures into dead jobs, bulk operations,
//! beats, logs, cron, alerts with a webhook) against one release server on Redis and
//! PostgreSQL for minutes, samples the server's RSS and Redis's key count, and says whether
//! they stayed flat after warm-up. Exits 1 when they did not.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use clap::Parser;
use tonic::transport::Channel;
use zenith_proto::v1::GetQueueRequest;
use zenith_proto::v1::queue_service_client::QueueServiceClient;
use zenith_testkit::{HttpReceiver, PostgresServer, RedisServer, ZenithServer};

use crate::load::Counters;
use crate::report::{Report, Sample, Verdict};

mod load;
mod report;

/// Short retention, so Redis reaches its steady state within the warm-up: completed jobs stay
/// 30 s, lost nodes 1 min, log lines for tailing 1 min; alert rules are evaluated every second.
const SERVER_SETTINGS: [&str; 8] = [
    "--completed-retention",
    "30s",
    "--lost-node-retention",
    "1m",
    "--log-tail-window",
    "1m",
    "--alert-evaluation-interval",
    "1s",
];

/// The shortest warm-up: until every retention window above has filled once and the bulk
/// operations have gone through a retry and a delete, Redis is still growing by design.
const MIN_WARMUP: Duration = Duration::from_secs(150);

#[derive(Parser)]
#[command(
    name = "zenith-soak",
    about = "Runs mixed load against a release server and checks its memory and Redis key count stay flat"
)]
struct Args {
    /// How long the load runs; fractions are fine (0.5 is a 30 s smoke run).
    #[arg(long, default_value_t = 30.0)]
    minutes: f64,
    /// Run this `zenith` binary instead of building the release server first.
    #[arg(long, env = "ZENITH_BIN")]
    server_binary: Option<PathBuf>,
    /// Seconds between two samples.
    #[arg(long, default_value_t = 10.0)]
    sample_seconds: f64,
    /// Leading share of the run, in percent, left out of the trends while queues, retention
    /// windows and caches fill up; never less than 2.5 minutes, so runs shorter than that are
    /// smoke runs that judge nothing.
    #[arg(long, default_value_t = 20.0)]
    warmup_percent: f64,
}

fn main() -> anyhow::Result<ExitCode> {
    // sqlx's slow-statement warnings would drown the progress lines on a busy machine.
    if std::env::var_os("RUST_LOG").is_none() {
        // SAFETY: no other thread runs yet; the runtime starts below.
        unsafe { std::env::set_var("RUST_LOG", "warn,sqlx=error") };
    }
    let verdict = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())?;
    // Every server is stopped by now: `run` dropped them.
    Ok(match verdict {
        Verdict::Unstable => ExitCode::FAILURE,
        Verdict::Stable | Verdict::Inconclusive => ExitCode::SUCCESS,
    })
}

async fn run() -> anyhow::Result<Verdict> {
    let args = Args::parse();
    ensure!(
        args.minutes > 0.0 && args.minutes.is_finite(),
        "--minutes must be above 0"
    );
    ensure!(
        args.sample_seconds >= 1.0,
        "--sample-seconds must be at least 1"
    );
    ensure!(
        (0.0..100.0).contains(&args.warmup_percent),
        "--warmup-percent must be from 0 to below 100"
    );
    let target_dir = zenith_testkit::release::target_dir()?;
    let binary = match args.server_binary {
        // The server starts in a directory of its own, so a relative path would miss.
        Some(binary) => std::path::absolute(binary)?,
        None => zenith_testkit::release::build_release(&target_dir)?,
    };

    let redis = RedisServer::start().context("start redis")?;
    let postgres = PostgresServer::start().context("start postgres")?;
    let database_url = postgres.create_database("soak")?;
    let webhook = HttpReceiver::start().await?;
    let mut server_args = vec!["--database-url", database_url.as_str()];
    server_args.extend(SERVER_SETTINGS);
    let server = ZenithServer::start_with(&binary, &redis.url(), &server_args)
        .context("start the server")?;
    let pid = server.pid().context("server has no pid")?;
    load::wait_ready(&server.url()).await?;
    load::configure(&server.url(), webhook.url("/soak")).await?;

    let counters = Arc::new(Counters::default());
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = load::start(&server.url(), counters.clone(), stop.clone()).await?;
    let mut redis_conn = redis.connection().await?;
    let mut queues = QueueServiceClient::new(load::channel(&server.url()).await?);
    let duration = Duration::from_secs_f64(args.minutes * 60.0);
    let every = Duration::from_secs_f64(args.sample_seconds);
    eprintln!(
        "soak: {:.1} min of load, a sample every {:.0} s; server pid {pid}",
        args.minutes, args.sample_seconds
    );

    let started = Instant::now();
    let mut samples = Vec::new();
    let mut next = every;
    loop {
        let until_next = next.min(duration).saturating_sub(started.elapsed());
        tokio::time::sleep(until_next).await;
        let sample = sample(
            pid,
            &mut redis_conn,
            &mut queues,
            started,
            counters.jobs_done(),
        )
        .await?;
        eprintln!(
            "[{:>6.0} s] rss {:>6.1} MiB  redis keys {:>7}  redis memory {:>6.1} MiB  jobs done {:>9}  backlog {:>6}  errors {}",
            sample.at_s,
            sample.server_rss_mib,
            sample.redis_keys,
            sample.redis_used_memory_mib,
            sample.jobs_done,
            sample.backlog,
            counters.errors.load(Ordering::Relaxed),
        );
        samples.push(sample);
        if started.elapsed() >= duration {
            break;
        }
        next += every;
    }
    stop.store(true, Ordering::Relaxed);
    while let Some(joined) = tasks.join_next().await {
        joined.context("a load task panicked")?;
    }

    let mut settings: Vec<String> = SERVER_SETTINGS.iter().map(|s| s.to_string()).collect();
    settings.push("--database-url postgres://…".to_owned());
    let warmup = duration
        .mul_f64(args.warmup_percent / 100.0)
        .max(MIN_WARMUP);
    let report = Report::new(
        args.minutes,
        args.sample_seconds,
        warmup.as_secs_f64(),
        settings,
        samples,
        counters.totals(webhook.requests().len() as u64),
    );
    let path = target_dir.join("soak").join("report.json");
    report.write_json(&path)?;
    print!("{}", report.summary());
    println!("report: {}", path.display());
    drop(server);
    drop(postgres);
    drop(redis);
    Ok(report.verdict)
}

/// Reads the server's resident memory, Redis's key count and memory, and the pending jobs now.
async fn sample(
    pid: u32,
    redis: &mut redis::aio::MultiplexedConnection,
    queues: &mut QueueServiceClient<Channel>,
    started: Instant,
    jobs_done: u64,
) -> anyhow::Result<Sample> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .context("read the server's /proc status (did it exit?)")?;
    let rss_kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS in the server's /proc status")?;
    // DBSIZE is O(1); a test tool may ask what the server itself never would.
    let keys: u64 = redis::cmd("DBSIZE").query_async(redis).await?;
    let info: String = redis::cmd("INFO").arg("memory").query_async(redis).await?;
    let used_memory: f64 = info
        .lines()
        .find_map(|line| line.strip_prefix("used_memory:"))
        .and_then(|value| value.trim().parse().ok())
        .context("no used_memory in INFO memory")?;
    let mut backlog = 0;
    for name in load::GOOD_QUEUES.iter().chain([&load::CRON_QUEUE]) {
        let queue = queues
            .get_queue(GetQueueRequest {
                name: name.to_string(),
            })
            .await
            .with_context(|| format!("get queue {name}"))?
            .into_inner()
            .queue;
        backlog += queue.and_then(|q| q.counts).map_or(0, |c| c.pending);
    }
    Ok(Sample {
        at_s: started.elapsed().as_secs_f64(),
        server_rss_mib: rss_kib / 1024.0,
        redis_keys: keys,
        redis_used_memory_mib: used_memory / 1024.0 / 1024.0,
        jobs_done,
        backlog: backlog as u64,
    })
}
