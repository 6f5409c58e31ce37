//! Shared pieces of the fault suite (`tests/*.rs`): a server that logs only errors, job specs
//! that survive many failed attempts, a producer that retries across outages, in-process
//! workers that count every run, the checks every fault ends with (each job completed, none
//! lost, none left pending, active or dead), and figures printed for CI logs.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;
use zenith_sdk::{CancellationToken, Client, Job, JobSpec, JobState, Worker, proto::QueueCounts};
use zenith_testkit::{ZenithServer, zenith_binary};

/// `zenith serve` logging only errors: the faults make it warn on purpose, many times a second.
pub fn quiet_server(redis_url: &str, extra_args: &[&str]) -> anyhow::Result<ZenithServer> {
    ZenithServer::start_with_env(
        &zenith_binary()?,
        redis_url,
        extra_args,
        &[("RUST_LOG", "error")],
        std::process::Stdio::inherit(),
    )
}

/// A job that may be interrupted many times by the faults and still complete: many attempts,
/// short backoff.
pub fn resilient_job(client: &Client, queue: &str, id: &str) -> JobSpec {
    client
        .enqueue(queue, "noop")
        .id(id)
        .max_attempts(100)
        .backoff(Duration::from_millis(50), Duration::from_millis(200))
        .into_spec()
}

/// Polls `probe` every 100 ms until it returns `Some`; panics naming `what` after `timeout`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            started.elapsed() < timeout,
            "{what}: not within {timeout:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The queue's counts, or `None` while the server cannot answer.
pub async fn counts(client: &Client, queue: &str) -> Option<QueueCounts> {
    client.get_queue(queue).await.ok()?.counts
}

/// Waits until `expected` jobs of `queue` completed, then checks that nothing else is left in
/// any state and that the completed jobs are exactly `ids`, each listed once.
pub async fn assert_all_completed(client: &Client, queue: &str, ids: &[String], timeout: Duration) {
    let expected = ids.len() as i64;
    let settled = eventually("all jobs completed", timeout, || async {
        counts(client, queue)
            .await
            .filter(|counts| counts.completed >= expected && counts.active == 0)
    })
    .await;
    assert_eq!(
        (
            settled.pending,
            settled.scheduled,
            settled.active,
            settled.retry,
            settled.dead,
            settled.completed
        ),
        (0, 0, 0, 0, 0, expected),
        "{settled:?}"
    );
    let listed = completed_jobs(client, queue, ids.len() * 2).await;
    assert_eq!(listed.len(), ids.len(), "the completed listing has repeats");
    let listed: HashSet<&str> = listed.iter().map(|job| job.id.as_str()).collect();
    let expected: HashSet<&str> = ids.iter().map(String::as_str).collect();
    assert_eq!(
        listed, expected,
        "completed jobs differ from the enqueued ones"
    );
}

/// Every completed job of `queue`, up to `limit`.
pub async fn completed_jobs(client: &Client, queue: &str, limit: usize) -> Vec<Job> {
    client
        .list_jobs(queue, JobState::Completed)
        .page_size(500)
        .collect(limit)
        .await
        .expect("list completed jobs")
        .jobs
}

/// How many times each job id ran, across every worker of a test.
#[derive(Clone, Default)]
pub struct Runs(Arc<Mutex<HashMap<String, u32>>>);

impl Runs {
    pub fn record(&self, id: &str) {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(id.to_owned())
            .or_default() += 1;
    }

    /// Runs beyond the first, summed over all jobs.
    pub fn duplicates(&self) -> u32 {
        let runs = self.0.lock().unwrap_or_else(|p| p.into_inner());
        runs.values().map(|n| n - 1).sum()
    }
}

/// A Rust SDK worker running in this process until stopped.
pub struct InProcessWorker {
    stop: CancellationToken,
    task: JoinHandle<zenith_sdk::Result<()>>,
}

impl InProcessWorker {
    /// Works `queue` with `concurrency` slots and a 2 s lease; each run takes `work` and is
    /// recorded in `runs`.
    pub fn start(
        client: Client,
        queue: &str,
        concurrency: usize,
        work: Duration,
        runs: Runs,
    ) -> Self {
        let worker = Worker::builder(client)
            .queue(queue)
            .concurrency(concurrency)
            .lease(Duration::from_secs(2))
            .poll_wait(Duration::from_secs(1))
            .without_pulse()
            .fallback(move |job| {
                let runs = runs.clone();
                async move {
                    runs.record(job.id());
                    tokio::time::sleep(work).await;
                    Ok(())
                }
            })
            .build()
            .expect("a valid worker");
        let stop = CancellationToken::new();
        let until = stop.clone();
        let task = tokio::spawn(worker.run_until(async move { until.cancelled().await }));
        Self { stop, task }
    }

    /// Stops taking jobs, waits for the running ones, and returns how the worker ended.
    pub async fn stop(self) -> zenith_sdk::Result<()> {
        self.stop.cancel();
        self.task.await.expect("the worker task")
    }
}

/// What a [`Producer`] got through.
pub struct Produced {
    /// Every job id the server took, in order.
    pub ids: Vec<String>,
    /// Enqueue calls answered UNAVAILABLE (and retried).
    pub unavailable: u32,
}

/// Enqueues jobs one at a time as a careful client does across outages: each id is retried
/// until the server takes it, so none is lost on the client's side. Every refusal must be
/// UNAVAILABLE, and every call must answer within 5 s (a hang fails the test).
pub struct Producer {
    stop: CancellationToken,
    accepted: Arc<std::sync::atomic::AtomicUsize>,
    task: JoinHandle<Produced>,
}

impl Producer {
    pub fn start(client: Client, queue: &str, pace: Duration) -> Self {
        let stop = CancellationToken::new();
        let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let task = tokio::spawn(produce(
            client,
            queue.to_owned(),
            pace,
            stop.clone(),
            accepted.clone(),
        ));
        Self {
            stop,
            accepted,
            task,
        }
    }

    /// Jobs the server took so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Stops after the job being enqueued now is taken.
    pub async fn stop(self) -> Produced {
        self.stop.cancel();
        self.task.await.expect("the producer task")
    }
}

async fn produce(
    client: Client,
    queue: String,
    pace: Duration,
    stop: CancellationToken,
    accepted: Arc<std::sync::atomic::AtomicUsize>,
) -> Produced {
    let mut produced = Produced {
        ids: Vec::new(),
        unavailable: 0,
    };
    for n in 0.. {
        if stop.is_cancelled() {
            break;
        }
        let id = format!("{queue}-{n:06}");
        loop {
            let spec = resilient_job(&client, &queue, &id);
            let answer = tokio::time::timeout(Duration::from_secs(5), client.enqueue_spec(spec))
                .await
                .unwrap_or_else(|_| panic!("enqueue of {id} hung"));
            match answer {
                Ok(_) => break,
                Err(error) => {
                    assert_eq!(
                        error.code(),
                        Some(tonic::Code::Unavailable),
                        "enqueue of {id}: {error}"
                    );
                    produced.unavailable += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        produced.ids.push(id);
        accepted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tokio::time::sleep(pace).await;
    }
    produced
}

/// Prints a test's figures so CI logs show them: straight to stderr, past libtest's capture of
/// `println!`, which hides a passing test's output.
pub fn report(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}
