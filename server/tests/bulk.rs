//! Bulk operations against a real Redis and real servers: previews, every shortcut, bad input,
//! and an operation whose server is killed half-way and finished by another replica.

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Harness, duration, error_reason, spec};
use tonic::Code;
use tonic::transport::Channel;
use zenith_proto::v1::queue_service_client::QueueServiceClient;
use zenith_proto::v1::worker_service_client::WorkerServiceClient;
use zenith_proto::v1::*;
use zenith_testkit::ZenithServer;

/// Enqueues `count` jobs with ids `<prefix>-<n>`, a delay of an hour (so they wait, scheduled)
/// unless `pending`, and the tag "vip" on every other one.
async fn enqueue_many(
    queues: &mut QueueServiceClient<Channel>,
    queue: &str,
    prefix: &str,
    count: usize,
    pending: bool,
) {
    let specs: Vec<JobSpec> = (0..count)
        .map(|n| JobSpec {
            id: format!("{prefix}-{n:06}"),
            delay: (!pending).then(|| duration(Duration::from_secs(3600))),
            tags: if n % 2 == 0 {
                vec!["vip".into()]
            } else {
                vec![]
            },
            payload: format!(r#"{{"n":{n}}}"#).into_bytes(),
            ..spec(queue, "report")
        })
        .collect();
    for chunk in specs.chunks(1000) {
        queues
            .batch_enqueue(BatchEnqueueRequest {
                jobs: chunk.to_vec(),
            })
            .await
            .expect("batch enqueue");
    }
}

async fn wait_until_ended(
    queues: &mut QueueServiceClient<Channel>,
    id: &str,
    within: Duration,
) -> BulkOperation {
    let deadline = Instant::now() + within;
    loop {
        let op = queues
            .get_bulk_operation(GetBulkOperationRequest { id: id.into() })
            .await
            .expect("get bulk operation")
            .into_inner()
            .operation
            .unwrap();
        if op.status() != BulkOperationStatus::Running {
            return op;
        }
        assert!(
            Instant::now() < deadline,
            "operation {id} still running: {op:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn count(h: &mut Harness, queue: &str, state: JobState, filter: &str) -> i64 {
    h.queues
        .count_jobs(CountJobsRequest {
            queue: queue.into(),
            state: state as i32,
            filter: filter.into(),
        })
        .await
        .expect("count jobs")
        .into_inner()
        .count
}

/// Makes `count` dead jobs: reserved, then failed for good.
async fn make_dead(h: &mut Harness, queue: &str, count: usize) {
    enqueue_many(&mut h.queues, queue, "dead", count, true).await;
    let mut left = count;
    while left > 0 {
        let reserved = h.reserve(queue, 500, Duration::from_secs(60)).await;
        for job in &reserved {
            h.fail(job, "boom", false).await.expect("fail");
        }
        left -= reserved.len();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_all_dead_makes_every_dead_job_pending_with_fresh_attempts() {
    let mut h = Harness::start().await;
    make_dead(&mut h, "reports", 300).await;
    assert_eq!(count(&mut h, "reports", JobState::Dead, "").await, 300);

    let op = h
        .queues
        .retry_all_dead(RetryAllDeadRequest {
            queue: "reports".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .operation
        .unwrap();
    assert_eq!(op.total, 300);
    assert_eq!(op.action(), BulkAction::Retry);
    let op = wait_until_ended(&mut h.queues, &op.id, Duration::from_secs(30)).await;
    assert_eq!(op.status(), BulkOperationStatus::Succeeded, "{op:?}");
    assert_eq!(
        (op.examined, op.matched, op.done, op.skipped),
        (300, 300, 300, 0)
    );
    assert!(op.finished_at.is_some());

    let counts = h.queue("reports").await.counts.unwrap();
    assert_eq!((counts.dead, counts.pending), (0, 300));
    let job = h.job("dead-000007").await;
    assert_eq!(job.state(), JobState::Pending);
    assert_eq!(job.attempts, 0);
    assert_eq!(
        job.last_error, "boom",
        "the last error stays for the record"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preview_count_equals_the_jobs_a_filtered_operation_handles() {
    let mut h = Harness::start().await;
    enqueue_many(&mut h.queues, "reports", "job", 2_001, false).await;
    let preview = count(&mut h, "reports", JobState::Scheduled, r#"tags : "vip""#).await;
    assert_eq!(preview, 1_001);

    let op = h
        .queues
        .start_bulk_operation(StartBulkOperationRequest {
            queue: "reports".into(),
            state: JobState::Scheduled as i32,
            filter: r#"tags : "vip""#.into(),
            action: BulkAction::Promote as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .operation
        .unwrap();
    assert_eq!(op.filter, r#"tags : "vip""#);
    let op = wait_until_ended(&mut h.queues, &op.id, Duration::from_secs(30)).await;
    assert_eq!(op.status(), BulkOperationStatus::Succeeded, "{op:?}");
    assert_eq!(
        (op.examined, op.matched, op.done),
        (2_001, preview, preview)
    );

    let counts = h.queue("reports").await.counts.unwrap();
    assert_eq!((counts.pending, counts.scheduled), (1_001, 1_000));
    assert_eq!(h.job("job-000010").await.state(), JobState::Pending);
    assert_eq!(h.job("job-000011").await.state(), JobState::Scheduled);
    assert_eq!(
        count(&mut h, "reports", JobState::Scheduled, r#"tags : "vip""#).await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_removes_every_job_but_active_ones() {
    let mut h = Harness::start().await;
    enqueue_many(&mut h.queues, "reports", "later", 700, false).await;
    enqueue_many(&mut h.queues, "reports", "now", 5, true).await;
    let reserved = h.reserve("reports", 2, Duration::from_secs(60)).await;
    h.ack(&reserved[0]).await.unwrap();
    let active_id = reserved[1].job.as_ref().unwrap().id.clone();

    let op = h
        .queues
        .purge_queue(PurgeQueueRequest {
            queue: "reports".into(),
            state: JobState::Unspecified as i32,
        })
        .await
        .unwrap()
        .into_inner()
        .operation
        .unwrap();
    assert_eq!(op.states.len(), 6);
    assert_eq!(op.total, 704);
    let op = wait_until_ended(&mut h.queues, &op.id, Duration::from_secs(30)).await;
    assert_eq!(op.status(), BulkOperationStatus::Succeeded, "{op:?}");
    assert_eq!(op.done, 704);

    let counts = h.queue("reports").await.counts.unwrap();
    assert_eq!(
        counts,
        QueueCounts {
            active: 1,
            ..QueueCounts::default()
        }
    );
    let gone = h
        .queues
        .get_job(GetJobRequest {
            id: "later-000001".into(),
            queue: String::new(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(gone.code(), Code::NotFound);
    assert_eq!(h.job(&active_id).await.state(), JobState::Active);
    h.ack(&reserved[1])
        .await
        .expect("the active job's lease still holds");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_refused_and_change_nothing() {
    let mut h = Harness::start().await;
    enqueue_many(&mut h.queues, "reports", "job", 10, false).await;
    let start = |state: JobState, action: BulkAction, filter: &str| StartBulkOperationRequest {
        queue: "reports".into(),
        state: state as i32,
        filter: filter.into(),
        action: action as i32,
        ..Default::default()
    };
    let cases = [
        (start(JobState::Dead, BulkAction::Promote, ""), "state"),
        (start(JobState::Active, BulkAction::Delete, ""), "state"),
        (
            start(JobState::Unspecified, BulkAction::Delete, ""),
            "state",
        ),
        (
            start(JobState::Scheduled, BulkAction::Unspecified, ""),
            "action",
        ),
        (
            start(JobState::Scheduled, BulkAction::Delete, "tags :"),
            "filter",
        ),
        (
            start(JobState::Scheduled, BulkAction::Delete, "nope = 1"),
            "filter",
        ),
    ];
    for (request, field) in cases {
        let status = h
            .queues
            .start_bulk_operation(request.clone())
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{request:?}");
        let info = tonic_types::StatusExt::get_details_error_info(&status).unwrap();
        assert_eq!(
            info.metadata["field"],
            field,
            "{request:?}: {}",
            status.message()
        );
    }
    let status = h
        .queues
        .count_jobs(CountJobsRequest {
            queue: "reports".into(),
            state: JobState::Scheduled as i32,
            filter: "attempts >= \"three\"".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status.message().contains("position"),
        "{}",
        status.message()
    );

    let status = h
        .queues
        .purge_queue(PurgeQueueRequest {
            queue: "reports".into(),
            state: JobState::Active as i32,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let status = h
        .queues
        .retry_all_dead(RetryAllDeadRequest {
            queue: "missing".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let status = h
        .queues
        .get_bulk_operation(GetBulkOperationRequest { id: "nope".into() })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(error_reason(&status), "BULK_OPERATION_NOT_FOUND");

    assert_eq!(h.queue("reports").await.counts.unwrap().scheduled, 10);
    let listed = h
        .queues
        .list_bulk_operations(ListBulkOperationsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(listed.operations.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_are_listed_newest_first_and_started_once_per_request_id() {
    let mut h = Harness::start().await;
    enqueue_many(&mut h.queues, "a", "a", 3, false).await;
    enqueue_many(&mut h.queues, "b", "b", 3, false).await;
    let mut ids = Vec::new();
    for queue in ["a", "b", "a"] {
        let request = StartBulkOperationRequest {
            queue: queue.into(),
            state: JobState::Scheduled as i32,
            action: BulkAction::Cancel as i32,
            reason: "campaign withdrawn".into(),
            request_id: format!("req-{}", ids.len()),
            ..Default::default()
        };
        let first = h
            .queues
            .start_bulk_operation(request.clone())
            .await
            .unwrap();
        let again = h.queues.start_bulk_operation(request).await.unwrap();
        let (first, again) = (
            first.into_inner().operation.unwrap(),
            again.into_inner().operation.unwrap(),
        );
        assert_eq!(first.id, again.id, "same request id, same operation");
        ids.push(first.id);
    }
    for id in &ids {
        let op = wait_until_ended(&mut h.queues, id, Duration::from_secs(30)).await;
        assert_eq!(op.status(), BulkOperationStatus::Succeeded);
    }
    let job = h.job("a-000001").await;
    assert_eq!(job.state(), JobState::Cancelled);
    assert_eq!(job.cancel_reason, "campaign withdrawn");

    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = h
            .queues
            .list_bulk_operations(ListBulkOperationsRequest {
                page_size: 2,
                page_token: token.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        seen.extend(page.operations.into_iter().map(|op| op.id));
        token = page.next_page_token;
        if token.is_empty() {
            break;
        }
    }
    let newest_first: Vec<String> = ids.iter().rev().cloned().collect();
    assert_eq!(seen, newest_first);
    let only_a = h
        .queues
        .list_bulk_operations(ListBulkOperationsRequest {
            queue: "a".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .operations;
    assert_eq!(only_a.len(), 2);
    assert!(only_a.iter().all(|op| op.queue == "a"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_operation_stops_and_keeps_what_it_did() {
    let mut h = Harness::start().await;
    enqueue_many(&mut h.queues, "reports", "job", 20_000, false).await;
    let op = h
        .queues
        .start_bulk_operation(StartBulkOperationRequest {
            queue: "reports".into(),
            state: JobState::Scheduled as i32,
            filter: r#"payload.n >= 0"#.into(),
            action: BulkAction::Delete as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .operation
        .unwrap();
    let cancelled = h
        .queues
        .cancel_bulk_operation(CancelBulkOperationRequest { id: op.id.clone() })
        .await
        .unwrap()
        .into_inner()
        .operation
        .unwrap();
    let ended = wait_until_ended(&mut h.queues, &op.id, Duration::from_secs(30)).await;
    if cancelled.status() == BulkOperationStatus::Cancelled {
        tokio::time::sleep(Duration::from_millis(600)).await;
        let later = wait_until_ended(&mut h.queues, &op.id, Duration::from_secs(1)).await;
        assert_eq!(later.status(), BulkOperationStatus::Cancelled);
        assert_eq!(later.done, ended.done, "nothing changes after the cancel");
        let left = h.queue("reports").await.counts.unwrap().scheduled;
        assert_eq!(left, 20_000 - later.done);
    } else {
        assert_eq!(ended.status(), BulkOperationStatus::Succeeded);
    }
}

/// Reserves and acks jobs until told to stop, recording every id it acked.
async fn work(
    mut workers: WorkerServiceClient<Channel>,
    queue: &str,
    acked: Arc<Mutex<Vec<String>>>,
    stop: tokio_util::sync::CancellationToken,
) {
    while !stop.is_cancelled() {
        let reserved = match workers
            .reserve(ReserveRequest {
                queues: vec![queue.into()],
                max_jobs: 200,
                wait: Some(duration(Duration::from_millis(200))),
                lease: Some(duration(Duration::from_secs(60))),
                ..Default::default()
            })
            .await
        {
            Ok(response) => response.into_inner().jobs,
            Err(_) => continue,
        };
        if reserved.is_empty() {
            continue;
        }
        let acks = reserved
            .iter()
            .map(|r| JobAck {
                queue: queue.into(),
                job_id: r.job.as_ref().unwrap().id.clone(),
                lease_token: r.lease_token.clone(),
                result: Vec::new(),
            })
            .collect();
        workers.ack(AckRequest { acks }).await.expect("ack");
        acked
            .lock()
            .unwrap()
            .extend(reserved.into_iter().map(|r| r.job.unwrap().id));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_leaves_its_operation_to_another_replica_and_no_job_is_handled_twice() {
    const JOBS: usize = 50_000;
    let mut h = Harness::start().await;
    let replica =
        ZenithServer::start_with(env!("CARGO_BIN_EXE_zenith").as_ref(), &h.redis.url(), &[])
            .expect("start a second server");
    let channel = Channel::from_shared(replica.url())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut replica_queues = QueueServiceClient::new(channel.clone());
    enqueue_many(&mut replica_queues, "reports", "job", JOBS, false).await;

    // Workers on the replica take every promoted job while the operation runs.
    let acked = Arc::new(Mutex::new(Vec::new()));
    let stop = tokio_util::sync::CancellationToken::new();
    let workers: Vec<_> = (0..2)
        .map(|_| {
            tokio::spawn(work(
                WorkerServiceClient::new(channel.clone()),
                "reports",
                acked.clone(),
                stop.clone(),
            ))
        })
        .collect();

    let op = h
        .queues
        .start_bulk_operation(StartBulkOperationRequest {
            queue: "reports".into(),
            state: JobState::Scheduled as i32,
            filter: r#"tags : "vip""#.into(),
            action: BulkAction::Promote as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .operation
        .unwrap();
    // Kill the server holding the operation once it is well under way.
    let killed_at = loop {
        let now = replica_queues
            .get_bulk_operation(GetBulkOperationRequest { id: op.id.clone() })
            .await
            .unwrap()
            .into_inner()
            .operation
            .unwrap();
        assert_eq!(
            now.status(),
            BulkOperationStatus::Running,
            "finished before the kill"
        );
        if now.examined >= 5_000 {
            let pid = h.server.pid().unwrap().to_string();
            let killed = std::process::Command::new("kill")
                .args(["-9", &pid])
                .status();
            assert!(killed.unwrap().success());
            break now;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    assert!(killed_at.examined < JOBS as i64);

    let op = wait_until_ended(&mut replica_queues, &op.id, Duration::from_secs(120)).await;
    assert_eq!(op.status(), BulkOperationStatus::Succeeded, "{op:?}");
    assert_eq!(op.matched, (JOBS / 2) as i64, "{op:?}");
    assert_eq!(op.done, (JOBS / 2) as i64, "{op:?}");

    // Let the workers drain what was promoted, then check every match ran exactly once.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let counts = replica_queues
            .get_queue(GetQueueRequest {
                name: "reports".into(),
            })
            .await
            .unwrap()
            .into_inner()
            .queue
            .unwrap()
            .counts
            .unwrap();
        if counts.completed == (JOBS / 2) as i64 {
            assert_eq!(counts.scheduled, (JOBS / 2) as i64);
            assert_eq!(counts.pending + counts.active, 0);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "workers never drained: {counts:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.cancel();
    for worker in workers {
        worker.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    let unique: HashSet<&String> = acked.iter().collect();
    assert_eq!(unique.len(), acked.len(), "a job was handled twice");
    let expected: HashSet<String> = (0..JOBS)
        .step_by(2)
        .map(|n| format!("job-{n:06}"))
        .collect();
    assert_eq!(unique.len(), expected.len());
    assert!(acked.iter().all(|id| expected.contains(id)));
}

/// Reserves and fails for good, until told to stop: a handler that breaks every job.
async fn fail_everything(
    mut workers: WorkerServiceClient<Channel>,
    queue: &str,
    stop: tokio_util::sync::CancellationToken,
) {
    while !stop.is_cancelled() {
        let Ok(response) = workers
            .reserve(ReserveRequest {
                queues: vec![queue.into()],
                max_jobs: 100,
                wait: Some(duration(Duration::from_millis(100))),
                lease: Some(duration(Duration::from_secs(60))),
                ..Default::default()
            })
            .await
        else {
            continue;
        };
        for reserved in response.into_inner().jobs {
            let job = reserved.job.unwrap();
            let _ = workers
                .fail(FailRequest {
                    queue: job.queue,
                    job_id: job.id,
                    lease_token: reserved.lease_token,
                    error: "still broken".into(),
                    retryable: Some(false),
                    ..Default::default()
                })
                .await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_that_die_again_during_a_retry_all_are_retried_once_and_none_is_skipped() {
    const JOBS: usize = 3_000;
    let mut h = Harness::start().await;
    make_dead(&mut h, "reports", JOBS).await;
    let channel = Channel::from_shared(h.server.url())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let stop = tokio_util::sync::CancellationToken::new();
    let breaker = tokio::spawn(fail_everything(
        WorkerServiceClient::new(channel),
        "reports",
        stop.clone(),
    ));
    let op = h
        .queues
        .retry_all_dead(RetryAllDeadRequest {
            queue: "reports".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .operation
        .unwrap();
    let op = wait_until_ended(&mut h.queues, &op.id, Duration::from_secs(60)).await;
    assert_eq!(op.status(), BulkOperationStatus::Succeeded, "{op:?}");
    assert_eq!(op.done, JOBS as i64, "every dead job retried once: {op:?}");

    // 3,000 Fail calls one by one: on a loaded CI machine that alone can take half a minute.
    let deadline = Instant::now() + Duration::from_secs(120);
    while h.queue("reports").await.counts.unwrap().dead < JOBS as i64 {
        assert!(
            Instant::now() < deadline,
            "the retried jobs never died again"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.cancel();
    breaker.await.unwrap();
    let counts = h.queue("reports").await.counts.unwrap();
    assert_eq!(
        (counts.dead, counts.pending, counts.active),
        (JOBS as i64, 0, 0)
    );
}
