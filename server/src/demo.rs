//! `--demo`: a few queues fed with a steady stream of jobs, and in-process workers that
//! succeed, fail, retry and sometimes "die" (let their lease expire), each beating as a node of
//! the `demo-worker` service, so a new user sees a live system at once.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use rand::Rng;
use tokio_util::sync::CancellationToken;
use zenith_proto::v1::{BeatPayload, CurrentJob, NodeIdentity, ProcessStats, SystemStats};

use crate::pulse::SharedPulse;
use crate::queue::{AckItem, Engine, FailItem, NewJob, ReserveParams};

const WORKERS: usize = 4;
const BEAT_INTERVAL: Duration = Duration::from_secs(2);

/// The job each demo worker runs now, for its beats.
type Running = Arc<Mutex<Vec<Option<CurrentJob>>>>;

const QUEUES: [(&str, &[&str]); 3] = [
    (
        "demo.emails",
        &["send_welcome", "send_receipt", "send_digest"],
    ),
    ("demo.reports", &["render_pdf", "export_csv"]),
    ("demo.webhooks", &["deliver"]),
];

pub async fn run(engine: Arc<Engine>, pulse: SharedPulse, stop: CancellationToken) {
    tracing::info!(queues = ?QUEUES.map(|(q, _)| q), "demo mode: producing and working demo jobs");
    let running: Running = Arc::new(Mutex::new(vec![None; WORKERS]));
    let producer = produce(engine.clone(), stop.clone());
    let workers = (0..WORKERS).map(|n| work(engine.clone(), running.clone(), stop.clone(), n));
    let beats = beat(pulse, running.clone(), stop.clone());
    tokio::join!(producer, futures::future::join_all(workers), beats);
}

fn worker_id(n: usize) -> String {
    format!("demo-worker-{n}")
}

/// Every worker's beat: what it runs (shown only: no lease token, so a dying job's lease still
/// expires) and made-up but plausible resource figures.
async fn beat(pulse: SharedPulse, running: Running, stop: CancellationToken) {
    let started = SystemTime::now();
    let hostname = std::fs::read_to_string("/etc/hostname")
        .map(|name| name.trim().to_owned())
        .unwrap_or_else(|_| "localhost".into());
    loop {
        let current = running.lock().expect("demo running jobs").clone();
        for (n, job) in current.into_iter().enumerate() {
            let payload = {
                let mut rng = rand::rng();
                let busy = job.is_some();
                BeatPayload {
                    identity: Some(NodeIdentity {
                        node_id: worker_id(n),
                        service: "demo-worker".into(),
                        language: "rust".into(),
                        runtime: "zenith demo".into(),
                        sdk_version: format!("zenith {}", env!("CARGO_PKG_VERSION")),
                        version: env!("CARGO_PKG_VERSION").into(),
                        hostname: hostname.clone(),
                        platform: format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH),
                        ..Default::default()
                    }),
                    interval: Some(prost_types::Duration {
                        seconds: BEAT_INTERVAL.as_secs() as i64,
                        nanos: 0,
                    }),
                    process: Some(ProcessStats {
                        cpu_percent: if busy {
                            rng.random_range(20.0..70.0)
                        } else {
                            rng.random_range(0.5..5.0)
                        },
                        memory_rss_bytes: rng.random_range(60..90) * 1024 * 1024,
                        threads: 4,
                        ..Default::default()
                    }),
                    system: Some(SystemStats {
                        cpu_percent: rng.random_range(10.0..40.0),
                        cpu_cores: 2,
                        memory_total_bytes: 8 << 30,
                        memory_used_bytes: rng.random_range(3u64..4) << 30,
                        disk_total_bytes: 100 << 30,
                        disk_used_bytes: 42 << 30,
                        ..Default::default()
                    }),
                    uptime: started.elapsed().ok().map(|uptime| prost_types::Duration {
                        seconds: uptime.as_secs() as i64,
                        nanos: 0,
                    }),
                    jobs: job.into_iter().collect(),
                    queues: QUEUES
                        .iter()
                        .map(|(queue, _)| (*queue).to_owned())
                        .collect(),
                    ..Default::default()
                }
            };
            if let Err(error) = pulse.beat(payload).await {
                tracing::warn!(%error, "demo worker could not beat");
            }
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(BEAT_INTERVAL) => {}
        }
    }
}

fn demo_job(rng: &mut impl Rng) -> NewJob {
    let (queue, types) = QUEUES[rng.random_range(0..QUEUES.len())];
    let job_type = types[rng.random_range(0..types.len())];
    let customer = rng.random_range(1000..9999);
    let payload = serde_json::json!({
        "customer_id": customer,
        "email": format!("user{customer}@example.com"),
    });
    let delay = if rng.random_bool(0.1) {
        Duration::from_secs(rng.random_range(5..60))
    } else {
        Duration::ZERO
    };
    NewJob {
        id: uuid::Uuid::now_v7().to_string(),
        fresh_id: true,
        queue: queue.into(),
        job_type: job_type.into(),
        payload: payload.to_string().into_bytes(),
        content_type: "application/json".into(),
        headers: Default::default(),
        priority: if rng.random_bool(0.1) { 10 } else { 0 },
        run_at_ms: 0,
        delay,
        max_attempts: 3,
        backoff_base: Duration::from_secs(2),
        backoff_max: Duration::from_secs(30),
        timeout: Some(Duration::from_secs(20)),
        unique_key: String::new(),
        unique_ttl: Duration::from_secs(60),
        tags: vec!["demo".into()],
    }
}

/// Who the demo's jobs say enqueued them.
const DEMO_ACTOR: &str = "demo";

async fn produce(engine: Arc<Engine>, stop: CancellationToken) {
    loop {
        let jobs: Vec<NewJob> = {
            let mut rng = rand::rng();
            let count = rng.random_range(1..6);
            (0..count).map(|_| demo_job(&mut rng)).collect()
        };
        if let Err(error) =
            crate::metrics::loop_pass("demo", engine.enqueue(jobs, DEMO_ACTOR)).await
        {
            tracing::warn!(%error, "demo producer could not enqueue");
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_millis(700)) => {}
        }
    }
}

enum Outcome {
    Succeed,
    Fail { retryable: bool },
    Die,
}

fn pick_outcome(rng: &mut impl Rng) -> Outcome {
    match rng.random_range(0..100) {
        0..80 => Outcome::Succeed,
        80..93 => Outcome::Fail { retryable: true },
        93..96 => Outcome::Fail { retryable: false },
        _ => Outcome::Die,
    }
}

async fn work(engine: Arc<Engine>, running: Running, stop: CancellationToken, n: usize) {
    let queues: Vec<String> = QUEUES.iter().map(|(q, _)| (*q).to_owned()).collect();
    let worker_id = worker_id(n);
    while !stop.is_cancelled() {
        let reserved = engine
            .reserve(ReserveParams {
                queues: &queues,
                max_jobs: 1,
                lease: Duration::from_secs(5),
                wait: Duration::from_secs(1),
                worker_id: &worker_id,
            })
            .await;
        let jobs = match reserved {
            Ok(jobs) => jobs,
            Err(error) => {
                tracing::warn!(%error, "demo worker could not reserve");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        for reserved in jobs {
            let (work_time, outcome) = {
                let mut rng = rand::rng();
                (
                    Duration::from_millis(rng.random_range(50..800)),
                    pick_outcome(&mut rng),
                )
            };
            running.lock().expect("demo running jobs")[n] = Some(CurrentJob {
                queue: reserved.job.queue.clone(),
                job_id: reserved.job.id.clone(),
                started_at: Some(prost_types::Timestamp::from(SystemTime::now())),
                ..Default::default()
            });
            tokio::time::sleep(work_time).await;
            running.lock().expect("demo running jobs")[n] = None;
            let job = reserved.job;
            let result = match outcome {
                Outcome::Succeed => engine
                    .ack(vec![AckItem {
                        queue: job.queue,
                        job_id: job.id,
                        lease_token: reserved.lease_token,
                        result: br#"{"ok":true}"#.to_vec(),
                    }])
                    .await
                    .map(drop),
                Outcome::Fail { retryable } => engine
                    .fail(FailItem {
                        queue: job.queue,
                        job_id: job.id,
                        lease_token: reserved.lease_token,
                        error: if retryable {
                            "smtp: connection reset by peer".into()
                        } else {
                            "invalid recipient: mailbox does not exist".into()
                        },
                        stack_trace: format!(
                            "at {}::handle (demo/{}.rs:42)\nat zenith::demo::work (demo.rs:7)",
                            job.r#type, job.r#type
                        ),
                        retryable,
                    })
                    .await
                    .map(drop),
                // Walks away without a word; the lease expires and the job is retried.
                Outcome::Die => Ok(()),
            };
            if let Err(error) = result {
                tracing::warn!(%error, "demo worker could not report a job");
            }
        }
    }
}
