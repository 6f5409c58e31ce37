//! The mixed load: producers, workers, bulk operations, pulse beats, log lines, cron schedules
//! and an alert rule with a webhook, each a task that runs until told to stop.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use anyhow::Context;
use serde::Serialize;
use tokio::task::JoinSet;
use tokio::time::{MissedTickBehavior, interval};
use tonic::transport::{Channel, Endpoint};
use zenith_proto::v1::alert_service_client::AlertServiceClient;
use zenith_proto::v1::cron_service_client::CronServiceClient;
use zenith_proto::v1::log_service_client::LogServiceClient;
use zenith_proto::v1::pulse_service_client::PulseServiceClient;
use zenith_proto::v1::queue_service_client::QueueServiceClient;
use zenith_proto::v1::rule_spec::Condition;
use zenith_proto::v1::worker_service_client::WorkerServiceClient;
use zenith_proto::v1::*;

/// Queues whose jobs succeed.
pub const GOOD_QUEUES: [&str; 3] = ["soak-a", "soak-b", "soak-c"];
/// Every job here fails: it is retried once, then dead until a bulk operation clears it.
pub const FLAKY_QUEUE: &str = "soak-flaky";
/// Where the cron schedules put their jobs.
pub const CRON_QUEUE: &str = "soak-cron";
const CRON_SCHEDULES: usize = 3;
/// Batch enqueue: this many jobs every `BATCH_EVERY` (one in ten goes to the flaky queue, one in
/// ten is delayed a few seconds).
const BATCH_SIZE: usize = 30;
const BATCH_EVERY: Duration = Duration::from_millis(500);
/// Unary enqueue: this many callers, each one job every `UNARY_EVERY`.
const UNARY_CALLERS: usize = 2;
const UNARY_EVERY: Duration = Duration::from_millis(200);
const WORKERS: usize = 4;
const RESERVE_MAX_JOBS: i32 = 100;
/// How often the dead jobs of the flaky queue are retried or deleted, alternately.
const BULK_EVERY: Duration = Duration::from_secs(60);
const STABLE_NODES: usize = 4;
const BEAT_INTERVAL: Duration = Duration::from_secs(2);
/// A churning node takes a new id this often; the old one goes lost, then is forgotten.
const NODE_CHURN_EVERY: Duration = Duration::from_secs(30);
/// Log lines shipped every second, in one WriteLogs call.
const LOG_LINES_PER_SECOND: usize = 50;

const PAYLOAD: &[u8] =
    br#"{"order_id":"ord_8c1f2a9e","customer_id":421337,"amount_cents":129900,"currency":"EUR"}"#;

/// What the load did, counted as it happens.
#[derive(Default)]
pub struct Counters {
    pub calls: AtomicU64,
    pub errors: AtomicU64,
    pub enqueued: AtomicU64,
    pub duplicates: AtomicU64,
    pub acked: AtomicU64,
    pub failed: AtomicU64,
    pub cron_jobs_done: AtomicU64,
    pub bulk_operations: AtomicU64,
    pub dead_jobs_bulk_handled: AtomicU64,
    pub beats: AtomicU64,
    pub log_lines: AtomicU64,
}

/// The counters at the end of the run.
#[derive(Serialize)]
pub struct Totals {
    pub calls: u64,
    pub errors: u64,
    pub enqueued: u64,
    pub duplicates: u64,
    pub acked: u64,
    pub failed: u64,
    pub cron_jobs_done: u64,
    pub bulk_operations: u64,
    pub dead_jobs_bulk_handled: u64,
    pub beats: u64,
    pub log_lines: u64,
    pub webhook_requests: u64,
}

/// Errors printed in full; past that they are only counted.
const ERRORS_SHOWN: u64 = 20;

impl Counters {
    fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Counts one RPC and, when it failed, the error.
    fn call<T>(&self, what: &str, result: Result<T, tonic::Status>) -> Option<T> {
        Self::add(&self.calls, 1);
        match result {
            Ok(value) => Some(value),
            Err(status) => {
                let seen = self.errors.fetch_add(1, Ordering::Relaxed);
                if seen < ERRORS_SHOWN {
                    eprintln!("error: {what}: {:?}: {}", status.code(), status.message());
                }
                None
            }
        }
    }

    pub fn jobs_done(&self) -> u64 {
        self.acked.load(Ordering::Relaxed)
    }

    pub fn totals(&self, webhook_requests: u64) -> Totals {
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        Totals {
            calls: get(&self.calls),
            errors: get(&self.errors),
            enqueued: get(&self.enqueued),
            duplicates: get(&self.duplicates),
            acked: get(&self.acked),
            failed: get(&self.failed),
            cron_jobs_done: get(&self.cron_jobs_done),
            bulk_operations: get(&self.bulk_operations),
            dead_jobs_bulk_handled: get(&self.dead_jobs_bulk_handled),
            beats: get(&self.beats),
            log_lines: get(&self.log_lines),
            webhook_requests,
        }
    }
}

/// A connection of its own for each task, as separate processes would have.
pub async fn channel(url: &str) -> anyhow::Result<Channel> {
    Endpoint::from_shared(url.to_owned())?
        .connect_timeout(Duration::from_secs(5))
        // Bounds every call, so a stuck server shows as errors instead of a silent stall.
        .timeout(Duration::from_secs(30))
        .connect()
        .await
        .with_context(|| format!("connect to {url}"))
}

fn duration(d: Duration) -> prost_types::Duration {
    prost_types::Duration {
        seconds: d.as_secs() as i64,
        nanos: d.subsec_nanos() as i32,
    }
}

fn now() -> prost_types::Timestamp {
    SystemTime::now().into()
}

/// Waits until the server answers RPCs: its port opens before Redis and SQL are ready.
pub async fn wait_ready(url: &str) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let attempt = async {
            QueueServiceClient::new(channel(url).await?)
                .list_queues(ListQueuesRequest::default())
                .await?;
            anyhow::Ok(())
        };
        match attempt.await {
            Ok(()) => return Ok(()),
            Err(error) if tokio::time::Instant::now() > deadline => {
                return Err(error.context("server not ready within 60 s"));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// The cron schedules, a webhook channel and alert rules that fire while the load runs.
pub async fn configure(url: &str, webhook_url: String) -> anyhow::Result<()> {
    let channel = channel(url).await?;
    let mut cron = CronServiceClient::new(channel.clone());
    for index in 0..CRON_SCHEDULES {
        cron.create_schedule(CreateScheduleRequest {
            spec: Some(ScheduleSpec {
                id: format!("soak-every-second-{index}"),
                cron: "* * * * * *".into(),
                job: Some(JobSpec {
                    queue: CRON_QUEUE.into(),
                    r#type: "soak.tick".into(),
                    payload: br#"{"tick":true}"#.to_vec(),
                    content_type: "application/json".into(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            paused: false,
        })
        .await
        .context("create a cron schedule")?;
    }
    let mut alerts = AlertServiceClient::new(channel);
    alerts
        .create_channel(CreateChannelRequest {
            spec: Some(ChannelSpec {
                id: "soak-hook".into(),
                kind: Some(channel_spec::Kind::Webhook(WebhookChannel {
                    url: webhook_url,
                    signing_secret: "soak-secret".into(),
                })),
                ..Default::default()
            }),
        })
        .await
        .context("create the webhook channel")?;
    // Dead jobs grow all the time on the flaky queue: the alert fires and reminds every minute.
    alerts
        .create_rule(CreateRuleRequest {
            spec: Some(RuleSpec {
                id: "soak-dead-growth".into(),
                queue: FLAKY_QUEUE.into(),
                repeat_interval: Some(duration(Duration::from_secs(60))),
                condition: Some(Condition::DeadGrowth(DeadGrowthCondition {
                    above: 0,
                    window: Some(duration(Duration::from_secs(60))),
                })),
                ..Default::default()
            }),
        })
        .await
        .context("create the dead growth rule")?;
    // Every churned node goes lost: one alert per node, each resolving when it is forgotten.
    alerts
        .create_rule(CreateRuleRequest {
            spec: Some(RuleSpec {
                id: "soak-node-lost".into(),
                service: "soak-churn".into(),
                condition: Some(Condition::NodeLost(NodeLostCondition {})),
                ..Default::default()
            }),
        })
        .await
        .context("create the node lost rule")?;
    Ok(())
}

/// Starts every load task; they run until `stop` is set.
pub async fn start(
    url: &str,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<JoinSet<()>> {
    let mut tasks = JoinSet::new();
    tasks.spawn(batch_producer(
        QueueServiceClient::new(channel(url).await?),
        counters.clone(),
        stop.clone(),
    ));
    for caller in 0..UNARY_CALLERS {
        tasks.spawn(unary_producer(
            caller,
            QueueServiceClient::new(channel(url).await?),
            counters.clone(),
            stop.clone(),
        ));
    }
    for worker in 0..WORKERS {
        tasks.spawn(work(
            worker,
            WorkerServiceClient::new(channel(url).await?),
            counters.clone(),
            stop.clone(),
        ));
    }
    tasks.spawn(bulk(
        QueueServiceClient::new(channel(url).await?),
        counters.clone(),
        stop.clone(),
    ));
    tasks.spawn(beats(
        PulseServiceClient::new(channel(url).await?),
        counters.clone(),
        stop.clone(),
    ));
    tasks.spawn(logs(
        LogServiceClient::new(channel(url).await?),
        counters.clone(),
        stop,
    ));
    Ok(tasks)
}

fn job(queue: &str) -> JobSpec {
    JobSpec {
        queue: queue.into(),
        r#type: "soak.order".into(),
        payload: PAYLOAD.to_vec(),
        content_type: "application/json".into(),
        ..Default::default()
    }
}

/// Fails on its first attempt and its one retry, a second later.
fn flaky_job() -> JobSpec {
    JobSpec {
        max_attempts: 2,
        backoff: Some(Backoff {
            base: Some(duration(Duration::from_secs(1))),
            max: Some(duration(Duration::from_secs(2))),
        }),
        ..job(FLAKY_QUEUE)
    }
}

async fn batch_producer(
    mut client: QueueServiceClient<Channel>,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
) {
    let mut tick = interval(BATCH_EVERY);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    while !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        let jobs = (0..BATCH_SIZE)
            .map(|n| match n % 10 {
                0 => flaky_job(),
                1 => JobSpec {
                    delay: Some(duration(Duration::from_secs(5))),
                    ..job(GOOD_QUEUES[n % GOOD_QUEUES.len()])
                },
                _ => job(GOOD_QUEUES[n % GOOD_QUEUES.len()]),
            })
            .collect();
        let result = client
            .batch_enqueue(BatchEnqueueRequest { jobs })
            .await
            .map(tonic::Response::into_inner);
        if let Some(response) = counters.call("batch enqueue", result) {
            Counters::add(&counters.enqueued, response.jobs.len() as u64);
        }
    }
}

/// One job at a time; every other one carries a unique key from a small set that expires after
/// 20 s, so some are duplicates and unique keys come and go.
async fn unary_producer(
    caller: usize,
    mut client: QueueServiceClient<Channel>,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
) {
    let mut tick = interval(UNARY_EVERY);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut n: u64 = 0;
    while !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        n += 1;
        let queue = GOOD_QUEUES[(n as usize + caller) % GOOD_QUEUES.len()];
        let spec = if n.is_multiple_of(2) {
            JobSpec {
                unique_key: format!("soak-unique-{caller}-{}", n % 100),
                unique_ttl: Some(duration(Duration::from_secs(20))),
                ..job(queue)
            }
        } else {
            job(queue)
        };
        let result = client
            .enqueue(EnqueueRequest { job: Some(spec) })
            .await
            .map(tonic::Response::into_inner);
        if let Some(response) = counters.call("enqueue", result) {
            let counter = if response.duplicate {
                &counters.duplicates
            } else {
                &counters.enqueued
            };
            Counters::add(counter, 1);
        }
    }
}

/// Reserves from every queue, fails the flaky queue's jobs one by one and acks the rest in one
/// call.
async fn work(
    worker: usize,
    mut client: WorkerServiceClient<Channel>,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
) {
    let mut queues: Vec<String> = GOOD_QUEUES.iter().map(|q| q.to_string()).collect();
    queues.extend([FLAKY_QUEUE.to_owned(), CRON_QUEUE.to_owned()]);
    let start = worker % queues.len();
    queues.rotate_left(start);
    while !stop.load(Ordering::Relaxed) {
        // Reserve takes from the queues in the order given: rotating it keeps a backlog in one
        // queue from starving the others.
        queues.rotate_left(1);
        let result = client
            .reserve(ReserveRequest {
                queues: queues.clone(),
                max_jobs: RESERVE_MAX_JOBS,
                wait: Some(duration(Duration::from_secs(1))),
                lease: Some(duration(Duration::from_secs(30))),
                worker_id: format!("soak-worker-{worker}"),
            })
            .await
            .map(tonic::Response::into_inner);
        let Some(reserved) = counters.call("reserve", result) else {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        let mut acks = Vec::new();
        let mut cron_jobs = 0;
        // Fails go out together: one after another, the last of a large batch could outlive
        // its lease on a slow machine.
        let mut fails = JoinSet::new();
        for reserved in reserved.jobs {
            let Some(job) = reserved.job else { continue };
            if job.queue == FLAKY_QUEUE {
                let mut client = client.clone();
                fails.spawn(async move {
                    client
                        .fail(FailRequest {
                            queue: job.queue,
                            job_id: job.id,
                            lease_token: reserved.lease_token,
                            error: "soak: simulated failure".into(),
                            stack_trace: "at soak::work\nat soak::main".into(),
                            retryable: None,
                        })
                        .await
                });
                continue;
            }
            cron_jobs += u64::from(job.queue == CRON_QUEUE);
            acks.push(JobAck {
                queue: job.queue,
                job_id: job.id,
                lease_token: reserved.lease_token,
                result: Vec::new(),
            });
        }
        while let Some(joined) = fails.join_next().await {
            let result = joined.expect("a fail call panicked");
            if counters.call("fail", result).is_some() {
                Counters::add(&counters.failed, 1);
            }
        }
        if acks.is_empty() {
            continue;
        }
        let result = client
            .ack(AckRequest { acks })
            .await
            .map(tonic::Response::into_inner);
        if let Some(response) = counters.call("ack", result) {
            Counters::add(&counters.acked, response.acked as u64);
            Counters::add(&counters.cron_jobs_done, cron_jobs);
        }
    }
}

/// Retries, then deletes, the flaky queue's dead jobs, alternately: retried jobs die again.
async fn bulk(
    mut client: QueueServiceClient<Channel>,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
) {
    let mut tick = interval(BULK_EVERY);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    // The first tick is immediate; nothing is dead yet.
    tick.tick().await;
    let mut retry = true;
    while !stop.load(Ordering::Relaxed) {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stopped(&stop) => return,
        }
        let queue = FLAKY_QUEUE.to_owned();
        let operation = if retry {
            let result = client.retry_all_dead(RetryAllDeadRequest { queue }).await;
            counters
                .call("retry all dead", result)
                .and_then(|response| response.into_inner().operation)
        } else {
            let result = client.delete_all_dead(DeleteAllDeadRequest { queue }).await;
            counters
                .call("delete all dead", result)
                .and_then(|response| response.into_inner().operation)
        };
        retry = !retry;
        let Some(operation) = operation else { continue };
        Counters::add(&counters.bulk_operations, 1);
        if let Some(done) = wait_bulk(&mut client, &counters, &stop, operation.id).await {
            Counters::add(&counters.dead_jobs_bulk_handled, done);
        }
    }
}

/// Polls a bulk operation until it finishes; returns how many jobs it acted on.
async fn wait_bulk(
    client: &mut QueueServiceClient<Channel>,
    counters: &Counters,
    stop: &AtomicBool,
    id: String,
) -> Option<u64> {
    while !stop.load(Ordering::Relaxed) {
        let result = client
            .get_bulk_operation(GetBulkOperationRequest { id: id.clone() })
            .await;
        let operation = counters
            .call("get bulk operation", result)?
            .into_inner()
            .operation?;
        if operation.status() != BulkOperationStatus::Running {
            return Some(operation.done as u64);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    None
}

async fn stopped(stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn beat(node_id: &str, service: &str, started: tokio::time::Instant) -> BeatRequest {
    BeatRequest {
        beat: Some(BeatPayload {
            identity: Some(NodeIdentity {
                node_id: node_id.into(),
                service: service.into(),
                language: "rust".into(),
                runtime: "soak".into(),
                sdk_version: "zenith-soak 0.1.0".into(),
                version: "soak".into(),
                pid: 4242,
                hostname: "soak-host".into(),
                platform: "linux-x86_64".into(),
                labels: HashMap::from([("region".to_owned(), "local".to_owned())]),
            }),
            sent_at: Some(now()),
            interval: Some(duration(BEAT_INTERVAL)),
            process: Some(ProcessStats {
                cpu_percent: 12.5,
                memory_rss_bytes: 64 << 20,
                threads: 8,
                open_files: 32,
            }),
            system: Some(SystemStats {
                cpu_percent: 40.0,
                cpu_cores: 2,
                memory_total_bytes: 8 << 30,
                memory_used_bytes: 3 << 30,
                disk_total_bytes: 100 << 30,
                disk_used_bytes: 40 << 30,
                load_average_1m: 1.0,
            }),
            uptime: Some(duration(started.elapsed())),
            queues: GOOD_QUEUES.iter().map(|q| q.to_string()).collect(),
            ..Default::default()
        }),
    }
}

/// A few steady nodes, and one that takes a new id every `NODE_CHURN_EVERY`, as restarted
/// containers do.
async fn beats(
    mut client: PulseServiceClient<Channel>,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
) {
    let started = tokio::time::Instant::now();
    let mut tick = interval(BEAT_INTERVAL);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    while !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        let generation = started.elapsed().as_secs() / NODE_CHURN_EVERY.as_secs();
        let mut requests: Vec<BeatRequest> = (0..STABLE_NODES)
            .map(|n| beat(&format!("soak-node-{n}"), "soak-workers", started))
            .collect();
        requests.push(beat(
            &format!("soak-churn-{generation}"),
            "soak-churn",
            started,
        ));
        for request in requests {
            let result = client.beat(request).await;
            if counters.call("beat", result).is_some() {
                Counters::add(&counters.beats, 1);
            }
        }
    }
}

/// Ships `LOG_LINES_PER_SECOND` lines each second, as a worker's log handler would.
async fn logs(
    mut client: LogServiceClient<Channel>,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
) {
    let mut tick = interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut line: u64 = 0;
    while !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        let records = (0..LOG_LINES_PER_SECOND)
            .map(|_| {
                line += 1;
                LogRecord {
                    time: Some(now()),
                    level: if line.is_multiple_of(10) {
                        LogLevel::Warn
                    } else {
                        LogLevel::Info
                    } as i32,
                    message: format!("soak line {line}: processed order ord_{line:08x}"),
                    service: "soak-workers".into(),
                    node_id: format!("soak-node-{}", line as usize % STABLE_NODES),
                    queue: GOOD_QUEUES[line as usize % GOOD_QUEUES.len()].into(),
                    target: "soak::worker".into(),
                    fields: HashMap::from([("line".to_owned(), line.to_string())]),
                    ..Default::default()
                }
            })
            .collect();
        let result = client
            .write_logs(WriteLogsRequest { records })
            .await
            .map(tonic::Response::into_inner);
        if let Some(response) = counters.call("write logs", result) {
            Counters::add(&counters.log_lines, response.written as u64);
        }
    }
}
