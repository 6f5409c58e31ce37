//! The worker against a real server: completion, retries, panics, timeouts, lease extension,
//! cancellation by an operator, graceful shutdown.

use super::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use super::common::wait_for_state;
use zenith_sdk::{Client, JobError, JobState, Worker, WorkerBuilder};

const WAIT: Duration = Duration::from_secs(30);

fn worker(client: &Client, queue: &str) -> WorkerBuilder {
    Worker::builder(client.clone())
        .queue(queue)
        .concurrency(4)
        .poll_wait(Duration::from_millis(500))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_completes_a_job() -> anyhow::Result<()> {
    let harness = common::start().await?;
    let client = &harness.client;
    let enqueued = client
        .enqueue("emails", "send_welcome")
        .json(&serde_json::json!({ "user_id": 42 }))?
        .send()
        .await?;

    let (seen_tx, mut seen_rx) = tokio::sync::mpsc::unbounded_channel();
    worker(client, "emails")
        .max_jobs(1)
        .handle("send_welcome", move |job| {
            let seen = seen_tx.clone();
            async move {
                let payload: serde_json::Value = job.json()?;
                job.set_result("sent");
                seen.send((payload, job.attempt()))?;
                Ok(())
            }
        })
        .build()?
        .run()
        .await?;

    let (payload, attempt) = seen_rx.recv().await.expect("handler ran");
    assert_eq!(payload["user_id"], 42);
    assert_eq!(attempt, 1);
    let job = wait_for_state(client, &enqueued.job.id, JobState::Completed, WAIT).await?;
    assert_eq!(job.result, b"sent");
    Ok(())
}

#[derive(Debug, thiserror::Error)]
#[error("deliver email")]
struct DeliverError(#[source] std::io::Error);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handler_error_retries_then_dies_with_message_and_stack_trace() -> anyhow::Result<()> {
    let harness = common::start().await?;
    let client = &harness.client;
    let enqueued = client
        .enqueue("emails", "send_welcome")
        .max_attempts(2)
        .backoff(Duration::from_millis(50), Duration::from_millis(100))
        .send()
        .await?;

    let calls = Arc::new(AtomicU32::new(0));
    let counter = calls.clone();
    worker(client, "emails")
        .max_jobs(2)
        .handle("send_welcome", move |_job| {
            counter.fetch_add(1, Ordering::SeqCst);
            async move {
                Err::<(), _>(DeliverError(std::io::Error::other("smtp refused")))?;
                Ok(())
            }
        })
        .build()?
        .run()
        .await?;

    assert_eq!(calls.load(Ordering::SeqCst), 2);
    let job = wait_for_state(client, &enqueued.job.id, JobState::Dead, WAIT).await?;
    assert_eq!(job.attempts, 2);
    assert_eq!(job.last_error, "deliver email: smtp refused");
    assert!(
        job.last_stack_trace.contains("worker"),
        "stack trace: {}",
        job.last_stack_trace
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panics_and_permanent_errors_fail_without_retry() -> anyhow::Result<()> {
    let harness = common::start().await?;
    let client = &harness.client;
    let panicking = client
        .enqueue("jobs", "explode")
        .max_attempts(1)
        .send()
        .await?;
    let permanent = client
        .enqueue("jobs", "reject")
        .max_attempts(5)
        .send()
        .await?;
    let unknown = client
        .enqueue("jobs", "mystery")
        .max_attempts(5)
        .send()
        .await?;

    worker(client, "jobs")
        .max_jobs(3)
        .handle("explode", |_job| async move { panic!("kaboom") })
        .handle("reject", |_job| async move {
            Err(JobError::msg("malformed order").not_retryable())
        })
        .build()?
        .run()
        .await?;

    let job = wait_for_state(client, &panicking.job.id, JobState::Dead, WAIT).await?;
    assert!(job.last_error.contains("kaboom"), "{}", job.last_error);
    let job = wait_for_state(client, &permanent.job.id, JobState::Dead, WAIT).await?;
    assert_eq!(job.attempts, 1);
    assert_eq!(job.last_error, "malformed order");
    let job = wait_for_state(client, &unknown.job.id, JobState::Dead, WAIT).await?;
    assert_eq!(job.attempts, 1);
    assert!(job.last_error.contains("no handler"), "{}", job.last_error);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_cancels_the_handler_and_fails_the_attempt() -> anyhow::Result<()> {
    let harness = common::start().await?;
    let client = &harness.client;
    let enqueued = client
        .enqueue("slow", "sleep")
        .max_attempts(1)
        .timeout(Duration::from_secs(1))
        .send()
        .await?;

    let cancelled = Arc::new(AtomicU32::new(0));
    let seen = cancelled.clone();
    worker(client, "slow")
        .max_jobs(1)
        .lease(Duration::from_secs(3))
        .handle("sleep", move |job| {
            let seen = seen.clone();
            async move {
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(30)) => Ok(()),
                    () = job.cancelled() => {
                        seen.fetch_add(1, Ordering::SeqCst);
                        Err(JobError::msg("stopped"))
                    }
                }
            }
        })
        .build()?
        .run()
        .await?;

    assert_eq!(cancelled.load(Ordering::SeqCst), 1);
    let job = wait_for_state(client, &enqueued.job.id, JobState::Dead, WAIT).await?;
    assert_eq!(job.attempts, 1);
    assert!(job.last_error.contains("timed out"), "{}", job.last_error);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lease_is_extended_while_a_handler_runs() -> anyhow::Result<()> {
    let harness = common::start().await?;
    let client = &harness.client;
    let enqueued = client.enqueue("slow", "sleep").send().await?;

    worker(client, "slow")
        .max_jobs(1)
        .lease(Duration::from_secs(1))
        .handle("sleep", |job| async move {
            tokio::time::sleep(Duration::from_millis(3_500)).await;
            assert!(!job.is_cancelled());
            Ok(())
        })
        .build()?
        .run()
        .await?;

    let job = wait_for_state(client, &enqueued.job.id, JobState::Completed, WAIT).await?;
    assert_eq!(
        job.attempts, 1,
        "the lease ran out and the job was redelivered"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_finishes_the_running_job() -> anyhow::Result<()> {
    let harness = common::start().await?;
    let client = &harness.client;
    let enqueued = client.enqueue("slow", "sleep").send().await?;
    let later = client
        .enqueue("slow", "sleep")
        .delay(Duration::from_secs(2))
        .send()
        .await?;

    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let started_tx = std::sync::Mutex::new(Some(started_tx));
    worker(client, "slow")
        .concurrency(1)
        .handle("sleep", move |_job| {
            let started = started_tx.lock().unwrap().take();
            async move {
                if let Some(started) = started {
                    let _ = started.send(());
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
                Ok(())
            }
        })
        .build()?
        .run_until(async {
            let _ = started_rx.await;
        })
        .await?;

    // Acked before run_until returned, and nothing more was reserved.
    let job = client.get_job(&enqueued.job.id).await?;
    assert_eq!(job.state(), JobState::Completed);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let job = client.get_job(&later.job.id).await?;
    assert!(
        matches!(job.state(), JobState::Pending | JobState::Scheduled),
        "{job:?}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_keeps_retrying_while_the_server_is_down() -> anyhow::Result<()> {
    let mut harness = common::start().await?;
    let url = harness.server.url();
    harness.server.stop();

    let client = Client::connect_lazy(url)?;
    let outcome = tokio::time::timeout(
        Duration::from_secs(2),
        worker(&client, "emails")
            .fallback(|_job| async move { Ok(()) })
            .build()?
            .run(),
    )
    .await;
    assert!(outcome.is_err(), "worker gave up: {outcome:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_job_stops_the_running_handler_and_the_job_ends_cancelled() -> anyhow::Result<()> {
    let harness = common::start().await?;
    let client = &harness.client;
    let enqueued = client.enqueue("videos", "encode").send().await?;

    let (seen_tx, mut seen_rx) = tokio::sync::mpsc::unbounded_channel();
    let run = worker(client, "videos")
        .max_jobs(1)
        .lease(Duration::from_secs(1))
        .handle("encode", move |job| {
            let seen = seen_tx.clone();
            async move {
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(30)) => Ok(()),
                    () = job.cancelled() => {
                        seen.send((job.is_cancelled(), job.cancel_reason().map(str::to_owned)))?;
                        Err(JobError::msg("stopped"))
                    }
                }
            }
        })
        .build()?
        .run();
    let running = tokio::spawn(run);

    wait_for_state(client, &enqueued.job.id, JobState::Active, WAIT).await?;
    let job = client.cancel_job(&enqueued.job.id, "wrong input").await?;
    assert!(job.cancel_requested);
    tokio::time::timeout(WAIT, running).await???;

    let (cancelled, reason) = seen_rx.recv().await.expect("handler saw the cancellation");
    assert!(cancelled);
    assert_eq!(reason.as_deref(), Some("wrong input"));
    let job = wait_for_state(client, &enqueued.job.id, JobState::Cancelled, WAIT).await?;
    assert_eq!(job.cancel_reason, "wrong input");
    assert_eq!(job.attempts, 1);
    assert!(job.last_error.contains("cancelled"), "{}", job.last_error);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_that_ignores_cancellation_is_dropped_after_the_grace() -> anyhow::Result<()> {
    let harness = common::start().await?;
    let client = &harness.client;
    let enqueued = client.enqueue("videos", "encode").send().await?;

    /// Marks the handler's future dropped.
    struct Dropped(Arc<AtomicU32>);
    impl Drop for Dropped {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let dropped = Arc::new(AtomicU32::new(0));
    let seen = dropped.clone();
    let run = worker(client, "videos")
        .max_jobs(1)
        .lease(Duration::from_secs(1))
        .cancel_grace(Duration::from_millis(200))
        .handle("encode", move |_job| {
            let guard = Dropped(seen.clone());
            async move {
                let _guard = guard;
                tokio::time::sleep(Duration::from_secs(60)).await;
                Ok(())
            }
        })
        .build()?
        .run();
    let running = tokio::spawn(run);

    wait_for_state(client, &enqueued.job.id, JobState::Active, WAIT).await?;
    client.cancel_job(&enqueued.job.id, "").await?;
    tokio::time::timeout(WAIT, running).await???;
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
    let job = wait_for_state(client, &enqueued.job.id, JobState::Cancelled, WAIT).await?;
    assert_eq!(job.last_error, "cancelled by an operator");
    Ok(())
}
