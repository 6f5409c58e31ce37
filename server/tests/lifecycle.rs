//! Every job state transition, through gRPC against a real server and Redis.

mod common;

use std::time::Duration;

use common::{Harness, duration, error_reason, spec};
use tonic::Code;
use zenith_proto::v1::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enqueue_reserve_ack_completes_the_job_and_records_it_for_the_archive() {
    let mut h = Harness::start().await;
    let enqueued = h.enqueue(spec("emails", "send_welcome")).await;
    let job = enqueued.job.unwrap();
    assert!(!enqueued.duplicate);
    assert_eq!(job.state(), JobState::Pending);
    assert_eq!(h.queue("emails").await.counts.unwrap().pending, 1);

    let reserved = h.reserve("emails", 10, Duration::from_secs(30)).await;
    assert_eq!(reserved.len(), 1);
    let active = reserved[0].job.as_ref().unwrap();
    assert_eq!(active.id, job.id);
    assert_eq!(active.state(), JobState::Active);
    assert_eq!(active.attempts, 1);
    assert_eq!(active.payload, br#"{"to":"a@example.com"}"#);
    assert!(reserved[0].lease_deadline.is_some());

    assert_eq!(h.ack(&reserved[0]).await.unwrap().acked, 1);
    let done = h.job(&job.id).await;
    assert_eq!(done.state(), JobState::Completed);
    assert!(done.finished_at.is_some());
    let counts = h.queue("emails").await.counts.unwrap();
    assert_eq!((counts.pending, counts.active, counts.completed), (0, 0, 1));

    let events = h.archived_events("emails", &job.id).await;
    let kinds: Vec<JobEventKind> = events.iter().map(JobEvent::kind).collect();
    assert_eq!(
        kinds,
        [
            JobEventKind::Enqueued,
            JobEventKind::Reserved,
            JobEventKind::Completed
        ]
    );
    assert_eq!(events[2].at, done.finished_at);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_retry_with_backoff_then_die_when_attempts_are_spent() {
    let mut h = Harness::start().await;
    let mut job = spec("billing", "charge");
    job.max_attempts = 2;
    job.backoff = Some(Backoff {
        base: Some(duration(Duration::from_millis(400))),
        max: Some(duration(Duration::from_secs(2))),
    });
    let id = h.enqueue(job).await.job.unwrap().id;

    let first = h.reserve("billing", 1, Duration::from_secs(30)).await;
    let failed = h.fail(&first[0], "card declined", true).await.unwrap();
    assert_eq!(failed.state(), JobState::Retry);
    let retry_at = failed.retry_at.unwrap();
    let in_retry = h.job(&id).await;
    assert_eq!(in_retry.state(), JobState::Retry);
    assert_eq!(in_retry.last_error, "card declined");
    assert_eq!(in_retry.last_stack_trace, "at handler (worker.rs:1)");
    // Equal jitter: the first retry waits between half and all of the base.
    let started = first[0].job.as_ref().unwrap().started_at.unwrap();
    let waited_ms = (retry_at.seconds - started.seconds) * 1000
        + i64::from(retry_at.nanos - started.nanos) / 1_000_000;
    assert!((190..=450).contains(&waited_ms), "backoff {waited_ms} ms");
    assert!(
        h.reserve("billing", 1, Duration::from_secs(30))
            .await
            .is_empty()
    );

    h.wait_for_state(&id, JobState::Pending).await;
    let second = h.reserve("billing", 1, Duration::from_secs(30)).await;
    assert_eq!(second[0].job.as_ref().unwrap().attempts, 2);
    let failed = h
        .fail(&second[0], "card declined again", true)
        .await
        .unwrap();
    assert_eq!(failed.state(), JobState::Dead);
    let dead = h.job(&id).await;
    assert_eq!(dead.state(), JobState::Dead);
    assert_eq!(dead.last_error, "card declined again");
    let counts = h.queue("billing").await.counts.unwrap();
    assert_eq!((counts.retry, counts.dead, counts.active), (0, 1, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_marked_not_retryable_goes_straight_to_dead() {
    let mut h = Harness::start().await;
    let id = h.enqueue(spec("emails", "send")).await.job.unwrap().id;
    let reserved = h.reserve("emails", 1, Duration::from_secs(30)).await;
    let failed = h
        .fail(&reserved[0], "mailbox does not exist", false)
        .await
        .unwrap();
    assert_eq!(failed.state(), JobState::Dead);
    assert_eq!(h.job(&id).await.attempts, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_lease_sends_the_job_back_and_fences_the_old_token() {
    let mut h = Harness::start().await;
    let mut job = spec("reports", "render");
    job.max_attempts = 2;
    job.backoff = Some(Backoff {
        base: Some(duration(Duration::from_millis(100))),
        max: Some(duration(Duration::from_millis(100))),
    });
    let id = h.enqueue(job).await.job.unwrap().id;
    let first = h.reserve("reports", 1, Duration::from_secs(1)).await;
    // The worker goes silent; the lease runs out and the job comes back.
    let retried = h.wait_for_state(&id, JobState::Pending).await;
    assert!(
        retried.last_error.contains("lease expired"),
        "{}",
        retried.last_error
    );

    let second = h.reserve("reports", 1, Duration::from_secs(30)).await;
    assert_eq!(second[0].job.as_ref().unwrap().attempts, 2);
    assert_ne!(second[0].lease_token, first[0].lease_token);

    let stale = h.ack(&first[0]).await.unwrap_err();
    assert_eq!(stale.code(), Code::FailedPrecondition);
    assert_eq!(error_reason(&stale), "LEASE_STALE");
    let stale = h.fail(&first[0], "late", true).await.unwrap_err();
    assert_eq!(stale.code(), Code::FailedPrecondition);
    assert_eq!(h.job(&id).await.state(), JobState::Active);

    h.ack(&second[0]).await.unwrap();
    assert_eq!(h.job(&id).await.state(), JobState::Completed);
    // Acking twice is refused: the job completes once.
    assert_eq!(
        h.ack(&second[0]).await.unwrap_err().code(),
        Code::FailedPrecondition
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leases_extend_but_never_past_the_job_timeout() {
    let mut h = Harness::start().await;
    let mut job = spec("video", "transcode");
    job.timeout = Some(duration(Duration::from_secs(2)));
    job.max_attempts = 1;
    let id = h.enqueue(job).await.job.unwrap().id;
    let reserved = h.reserve("video", 1, Duration::from_secs(30)).await;
    let job = reserved[0].job.as_ref().unwrap();
    let started = job.started_at.unwrap();
    // The timeout caps the very first lease.
    assert_eq!(
        reserved[0].lease_deadline.unwrap().seconds - started.seconds,
        2
    );

    let extended = h
        .workers
        .extend_lease(ExtendLeaseRequest {
            queue: "video".into(),
            job_id: id.clone(),
            lease_token: reserved[0].lease_token.clone(),
            extension: Some(duration(Duration::from_secs(60))),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(extended.capped);
    assert_eq!(
        extended.lease_deadline.unwrap().seconds - started.seconds,
        2
    );

    let dead = h.wait_for_state(&id, JobState::Dead).await;
    assert!(dead.last_error.contains("timed out"), "{}", dead.last_error);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extend_lease_moves_the_deadline_and_keeps_the_job_active() {
    let mut h = Harness::start().await;
    let id = h.enqueue(spec("video", "transcode")).await.job.unwrap().id;
    let reserved = h.reserve("video", 1, Duration::from_secs(1)).await;
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let extended = h
            .workers
            .extend_lease(ExtendLeaseRequest {
                queue: "video".into(),
                job_id: id.clone(),
                lease_token: reserved[0].lease_token.clone(),
                extension: Some(duration(Duration::from_secs(1))),
            })
            .await
            .unwrap()
            .into_inner();
        assert!(!extended.capped);
    }
    // 1.5 s after reserving with a 1 s lease, the job is still ours.
    assert_eq!(h.job(&id).await.state(), JobState::Active);
    h.ack(&reserved[0]).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unique_keys_return_the_existing_job_until_it_finishes() {
    let mut h = Harness::start().await;
    let mut job = spec("emails", "digest");
    job.unique_key = "digest:42".into();
    let first = h.enqueue(job.clone()).await;
    let again = h.enqueue(job.clone()).await;
    assert!(again.duplicate);
    assert_eq!(
        again.job.as_ref().unwrap().id,
        first.job.as_ref().unwrap().id
    );
    assert_eq!(h.queue("emails").await.counts.unwrap().pending, 1);

    let reserved = h.reserve("emails", 1, Duration::from_secs(30)).await;
    assert!(h.enqueue(job.clone()).await.duplicate, "still running");
    h.ack(&reserved[0]).await.unwrap();
    let after = h.enqueue(job).await;
    assert!(!after.duplicate);
    assert_ne!(after.job.unwrap().id, first.job.unwrap().id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enqueue_with_a_caller_id_is_idempotent() {
    let mut h = Harness::start().await;
    let mut job = spec("orders", "ship");
    job.id = "order-1234".into();
    let first = h.enqueue(job.clone()).await;
    assert!(!first.duplicate);
    assert_eq!(first.job.unwrap().id, "order-1234");
    let second = h.enqueue(job).await;
    assert!(second.duplicate);
    assert_eq!(second.job.unwrap().state(), JobState::Pending);
    assert_eq!(h.queue("orders").await.counts.unwrap().pending, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn higher_priority_runs_first_and_equal_priority_in_order() {
    let mut h = Harness::start().await;
    let jobs: Vec<JobSpec> = [0, 5, 0, 10, 5, -3]
        .iter()
        .enumerate()
        .map(|(i, &priority)| {
            let mut job = spec("mixed", &format!("job{i}"));
            job.priority = priority;
            job
        })
        .collect();
    h.queues
        .batch_enqueue(BatchEnqueueRequest { jobs })
        .await
        .unwrap();
    let order: Vec<String> = h
        .reserve("mixed", 10, Duration::from_secs(30))
        .await
        .into_iter()
        .map(|r| r.job.unwrap().r#type)
        .collect();
    assert_eq!(order, ["job3", "job1", "job4", "job0", "job2", "job5"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delayed_jobs_wait_in_scheduled_until_due() {
    let mut h = Harness::start().await;
    let mut job = spec("later", "remind");
    job.delay = Some(duration(Duration::from_secs(1)));
    let enqueued = h.enqueue(job).await.job.unwrap();
    assert_eq!(enqueued.state(), JobState::Scheduled);
    let due = enqueued.scheduled_at.unwrap().seconds - enqueued.created_at.unwrap().seconds;
    assert!((0..=2).contains(&due));
    assert!(
        h.reserve("later", 1, Duration::from_secs(30))
            .await
            .is_empty()
    );
    assert_eq!(h.queue("later").await.counts.unwrap().scheduled, 1);
    h.wait_for_state(&enqueued.id, JobState::Pending).await;
    assert_eq!(
        h.reserve("later", 1, Duration::from_secs(30)).await.len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reserve_long_polls_until_a_job_arrives() {
    let mut h = Harness::start().await;
    let mut workers = h.workers.clone();
    let waiting = tokio::spawn(async move {
        workers
            .reserve(ReserveRequest {
                queues: vec!["quiet".into(), "busy".into()],
                max_jobs: 1,
                wait: Some(duration(Duration::from_secs(20))),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .jobs
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let id = h.enqueue(spec("busy", "ping")).await.job.unwrap().id;
    let jobs = waiting.await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].job.as_ref().unwrap().id, id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reserve_takes_queues_in_the_order_given() {
    let mut h = Harness::start().await;
    h.enqueue(spec("low", "a")).await;
    h.enqueue(spec("high", "b")).await;
    let jobs = h
        .workers
        .reserve(ReserveRequest {
            queues: vec!["high".into(), "low".into()],
            max_jobs: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .jobs;
    assert_eq!(jobs[0].job.as_ref().unwrap().queue, "high");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paused_queues_hand_out_nothing_until_resumed() {
    let mut h = Harness::start().await;
    h.enqueue(spec("emails", "send")).await;
    let paused = h
        .queues
        .pause_queue(PauseQueueRequest {
            name: "emails".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .queue
        .unwrap();
    assert!(paused.paused);
    assert!(
        h.reserve("emails", 1, Duration::from_secs(30))
            .await
            .is_empty()
    );
    h.enqueue(spec("emails", "send")).await;
    assert_eq!(h.queue("emails").await.counts.unwrap().pending, 2);
    h.queues
        .resume_queue(ResumeQueueRequest {
            name: "emails".into(),
        })
        .await
        .unwrap();
    assert!(!h.queue("emails").await.paused);
    assert_eq!(
        h.reserve("emails", 5, Duration::from_secs(30)).await.len(),
        2
    );

    let missing = h
        .queues
        .pause_queue(PauseQueueRequest {
            name: "nope".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_ack_together_and_report_only_stale_leases() {
    let mut h = Harness::start().await;
    let jobs = (0..3)
        .map(|i| spec(if i == 2 { "other" } else { "main" }, "x"))
        .collect();
    h.queues
        .batch_enqueue(BatchEnqueueRequest { jobs })
        .await
        .unwrap();
    let mut reserved = h.reserve("main", 10, Duration::from_secs(30)).await;
    reserved.extend(h.reserve("other", 10, Duration::from_secs(30)).await);
    assert_eq!(reserved.len(), 3);
    let mut acks: Vec<JobAck> = reserved
        .iter()
        .map(|r| {
            let job = r.job.as_ref().unwrap();
            JobAck {
                queue: job.queue.clone(),
                job_id: job.id.clone(),
                lease_token: r.lease_token.clone(),
                result: b"done".to_vec(),
            }
        })
        .collect();
    acks[1].lease_token = "forged.1".into();
    let error = h
        .workers
        .ack(AckRequest { acks: acks.clone() })
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::FailedPrecondition);
    assert!(error.message().contains(&acks[1].job_id));
    for (i, ack) in acks.iter().enumerate() {
        let job = h.job(&ack.job_id).await;
        let expected = if i == 1 {
            JobState::Active
        } else {
            JobState::Completed
        };
        assert_eq!(job.state(), expected);
        if i != 1 {
            assert_eq!(job.result, b"done");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_mode_shows_a_live_system() {
    let mut h = Harness::start_with(&["--demo"]).await;
    let mut finished = 0;
    for _ in 0..100 {
        let queues = h
            .queues
            .list_queues(ListQueuesRequest::default())
            .await
            .unwrap()
            .into_inner()
            .queues;
        finished = queues
            .iter()
            .filter(|q| q.name.starts_with("demo."))
            .map(|q| {
                let counts = q.counts.unwrap();
                counts.completed + counts.retry + counts.dead
            })
            .sum::<i64>();
        if finished >= 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        finished >= 5,
        "demo jobs were produced and worked: {finished}"
    );

    // The demo's workers beat, so the workers view has something to show at once.
    let channel = tonic::transport::Channel::from_shared(h.server.url())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut pulse = zenith_proto::v1::pulse_service_client::PulseServiceClient::new(channel);
    let mut nodes = Vec::new();
    for _ in 0..50 {
        nodes = pulse
            .list_nodes(ListNodesRequest {
                service: "demo-worker".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .services
            .into_iter()
            .flat_map(|service| service.nodes)
            .collect::<Vec<_>>();
        if nodes.len() == 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(nodes.len(), 4, "every demo worker is a node: {nodes:?}");
    for node in &nodes {
        assert_eq!(node.health(), NodeHealth::Healthy);
        let identity = node.beat.as_ref().and_then(|beat| beat.identity.as_ref());
        assert_eq!(identity.map(|i| i.language.as_str()), Some("rust"));
    }
}
