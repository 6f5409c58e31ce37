//! Bulk operations at scale: retry every one of many dead jobs in one operation, with Redis's
//! slow log watching that no single call takes 10 ms, then count a payload filter over them.

use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use tonic::transport::Channel;
use zenith_proto::v1::queue_service_client::QueueServiceClient;
use zenith_proto::v1::worker_service_client::WorkerServiceClient;
use zenith_proto::v1::{
    BatchEnqueueRequest, BulkOperation, BulkOperationStatus, CountJobsRequest, FailRequest,
    GetBulkOperationRequest, JobState, ReserveRequest, RetryAllDeadRequest,
};

use crate::raw;
use crate::zenith::Zenith;

pub const QUEUE: &str = "bench-bulk";
/// Callers that make jobs dead before the measurement; setup, not measured.
const SEEDERS: usize = 16;
const SEED_BATCH: usize = 500;
/// Redis's own threshold for the slow log during the retry: 10 ms.
const SLOW_MICROS: u64 = 10_000;

pub struct BulkFigures {
    pub retry_jobs_per_s: f64,
    pub slowlog_entries: f64,
    pub count_filter_ms: f64,
}

/// Makes `count` dead jobs: enqueued with one attempt, reserved, failed for good.
async fn seed_dead(zenith: &Zenith, count: usize) -> anyhow::Result<()> {
    let mut tasks = Vec::with_capacity(SEEDERS);
    for index in 0..SEEDERS {
        let share = count / SEEDERS + usize::from(index < count % SEEDERS);
        let channel = zenith.channel().await?;
        let spec = zenith_proto::v1::JobSpec {
            max_attempts: 1,
            ..zenith.spec(QUEUE)
        };
        tasks.push(tokio::spawn(seed_share(channel, spec, share)));
    }
    for task in tasks {
        task.await.context("seeding task panicked")??;
    }
    Ok(())
}

async fn seed_share(
    channel: Channel,
    spec: zenith_proto::v1::JobSpec,
    mut left: usize,
) -> anyhow::Result<()> {
    let mut queues = QueueServiceClient::new(channel.clone());
    let mut workers = WorkerServiceClient::new(channel);
    while left > 0 {
        let size = left.min(SEED_BATCH);
        queues
            .batch_enqueue(BatchEnqueueRequest {
                jobs: vec![spec.clone(); size],
            })
            .await
            .context("batch enqueue")?;
        let mut reserved = 0;
        while reserved < size {
            let jobs = workers
                .reserve(ReserveRequest {
                    queues: vec![QUEUE.to_owned()],
                    max_jobs: (size - reserved) as i32,
                    lease: Some(prost_types::Duration {
                        seconds: 3600,
                        nanos: 0,
                    }),
                    ..Default::default()
                })
                .await
                .context("reserve")?
                .into_inner()
                .jobs;
            reserved += jobs.len();
            for lease in jobs {
                let job = lease
                    .job
                    .context("reserve answered a lease without its job")?;
                workers
                    .fail(FailRequest {
                        queue: job.queue,
                        job_id: job.id,
                        lease_token: lease.lease_token,
                        error: "bench: upstream timeout".to_owned(),
                        retryable: Some(false),
                        ..Default::default()
                    })
                    .await
                    .context("fail")?;
            }
        }
        left -= size;
    }
    Ok(())
}

async fn wait_until_ended(
    queues: &mut QueueServiceClient<Channel>,
    id: &str,
) -> anyhow::Result<BulkOperation> {
    loop {
        let op = queues
            .get_bulk_operation(GetBulkOperationRequest { id: id.to_owned() })
            .await
            .context("get bulk operation")?
            .into_inner()
            .operation
            .context("no operation in the answer")?;
        match op.status() {
            BulkOperationStatus::Running => tokio::time::sleep(Duration::from_millis(20)).await,
            BulkOperationStatus::Succeeded => return Ok(op),
            status => bail!("bulk operation ended {status:?}: {}", op.error),
        }
    }
}

/// Seeds `jobs` dead jobs, then measures RetryAllDead over them with the slow log armed, then
/// a payload filter count over the now pending jobs.
pub async fn measure(zenith: &Zenith, redis_url: &str, jobs: usize) -> anyhow::Result<BulkFigures> {
    let started = Instant::now();
    seed_dead(zenith, jobs).await?;
    eprintln!(
        "  seeded {jobs} dead jobs in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let mut redis = raw::connect(redis_url).await?;
    redis::cmd("CONFIG")
        .arg("SET")
        .arg("slowlog-log-slower-than")
        .arg(SLOW_MICROS)
        .query_async::<()>(&mut redis)
        .await?;
    redis::cmd("SLOWLOG")
        .arg("RESET")
        .query_async::<()>(&mut redis)
        .await?;

    let mut queues = zenith.queue_client().await?;
    let started = Instant::now();
    let op = queues
        .retry_all_dead(RetryAllDeadRequest {
            queue: QUEUE.to_owned(),
        })
        .await
        .context("retry all dead")?
        .into_inner()
        .operation
        .context("no operation in the answer")?;
    let op = wait_until_ended(&mut queues, &op.id).await?;
    let elapsed = started.elapsed().as_secs_f64();
    ensure!(
        op.done == jobs as i64,
        "retried {} of {jobs} dead jobs",
        op.done
    );
    let slowlog: u64 = redis::cmd("SLOWLOG")
        .arg("LEN")
        .query_async(&mut redis)
        .await?;
    if slowlog > 0 {
        // Each entry: id, time, duration in µs, the command's words, client address, name.
        let entries: Vec<(i64, i64, i64, Vec<String>)> = redis::cmd("SLOWLOG")
            .arg("GET")
            .arg(10)
            .query_async::<Vec<redis::Value>>(&mut redis)
            .await?
            .into_iter()
            .filter_map(|entry| redis::from_redis_value(entry).ok())
            .map(
                |(id, at, micros, words, _, _): (i64, i64, i64, Vec<String>, String, String)| {
                    (id, at, micros, words)
                },
            )
            .collect();
        for (_, _, micros, words) in entries {
            let words: Vec<&str> = words.iter().map(String::as_str).take(16).collect();
            eprintln!("  slow: {micros} µs: {}", words.join(" "));
        }
    }
    eprintln!(
        "  retried {jobs} jobs in {elapsed:.2} s ({:.0} jobs/s); slow log entries: {slowlog}",
        jobs as f64 / elapsed
    );

    // A count over a million jobs may outlast the 30 s every other call is bounded by.
    let channel = tonic::transport::Endpoint::from_shared(zenith.url().to_owned())?
        .connect()
        .await?;
    let started = Instant::now();
    let matched = QueueServiceClient::new(channel)
        .count_jobs(CountJobsRequest {
            queue: QUEUE.to_owned(),
            state: JobState::Pending as i32,
            filter: "payload.amount_cents > 100000 AND payload.currency = \"EUR\"".to_owned(),
        })
        .await
        .context("count jobs")?
        .into_inner()
        .count;
    let count_filter_ms = started.elapsed().as_secs_f64() * 1000.0;
    ensure!(
        matched == jobs as i64,
        "the filter matched {matched} of {jobs} jobs"
    );
    Ok(BulkFigures {
        retry_jobs_per_s: jobs as f64 / elapsed,
        slowlog_entries: slowlog as f64,
        count_filter_ms,
    })
}
