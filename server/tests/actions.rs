//! Operator actions on jobs (retry, promote, delete, cancel) and the cancellation of active
//! jobs, through gRPC against a real server and Redis.

mod common;

use std::time::{Duration, Instant};

use common::{Harness, duration, error_reason, spec};
use redis::AsyncCommands;
use tonic::Code;
use zenith_proto::v1::*;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Act {
    Retry,
    Promote,
    Delete,
    Cancel,
}

/// What an action should do to a job: done with the new state (None once deleted), requested,
/// or refused.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    Done(Option<JobState>),
    Requested,
    Refused,
}

fn count(counts: &QueueCounts, state: JobState) -> i64 {
    match state {
        JobState::Pending => counts.pending,
        JobState::Scheduled => counts.scheduled,
        JobState::Active => counts.active,
        JobState::Retry => counts.retry,
        JobState::Dead => counts.dead,
        JobState::Completed => counts.completed,
        JobState::Cancelled => counts.cancelled,
        JobState::Unspecified | JobState::Deleted => 0,
    }
}

const STATES: [JobState; 7] = [
    JobState::Pending,
    JobState::Scheduled,
    JobState::Active,
    JobState::Retry,
    JobState::Dead,
    JobState::Completed,
    JobState::Cancelled,
];

/// The queue's counts as (state, count) for every state that is not zero.
async fn nonzero_counts(h: &mut Harness, queue: &str) -> Vec<(JobState, i64)> {
    let counts = h.queue(queue).await.counts.unwrap();
    STATES
        .iter()
        .map(|state| (*state, count(&counts, *state)))
        .filter(|(_, n)| *n != 0)
        .collect()
}

/// Puts one job into `state` in `queue` (which must hold no ready job) and returns its id.
async fn job_in_state(h: &mut Harness, queue: &str, state: JobState) -> String {
    let mut job = spec(queue, "work");
    job.max_attempts = 3;
    job.backoff = Some(Backoff {
        base: Some(duration(Duration::from_secs(3600))),
        max: Some(duration(Duration::from_secs(3600))),
    });
    if state == JobState::Scheduled {
        job.delay = Some(duration(Duration::from_secs(3600)));
    }
    let id = h.enqueue(job).await.job.unwrap().id;
    match state {
        JobState::Pending | JobState::Scheduled => {}
        JobState::Cancelled => {
            cancel(h, &id, "").await.unwrap();
        }
        _ => {
            let reserved = h.reserve(queue, 1, Duration::from_secs(60)).await;
            assert_eq!(reserved.len(), 1);
            match state {
                JobState::Active => {}
                JobState::Retry => {
                    h.fail(&reserved[0], "flaky", true).await.unwrap();
                }
                JobState::Dead => {
                    h.fail(&reserved[0], "broken", false).await.unwrap();
                }
                JobState::Completed => {
                    h.ack(&reserved[0]).await.unwrap();
                }
                _ => unreachable!(),
            }
        }
    }
    assert_eq!(h.job(&id).await.state(), state);
    id
}

async fn cancel(
    h: &mut Harness,
    id: &str,
    reason: &str,
) -> Result<CancelJobResponse, tonic::Status> {
    h.queues
        .cancel_job(CancelJobRequest {
            id: id.into(),
            queue: String::new(),
            reason: reason.into(),
        })
        .await
        .map(tonic::Response::into_inner)
}

/// Runs the single-job RPC; Ok holds the job as returned (None for delete) and whether a
/// cancellation was only requested.
async fn act_one(
    h: &mut Harness,
    act: Act,
    id: &str,
) -> Result<(Option<Job>, bool), tonic::Status> {
    let id = id.to_owned();
    let queue = String::new();
    match act {
        Act::Retry => h
            .queues
            .retry_job(RetryJobRequest { id, queue })
            .await
            .map(|r| (r.into_inner().job, false)),
        Act::Promote => h
            .queues
            .promote_job(PromoteJobRequest { id, queue })
            .await
            .map(|r| (r.into_inner().job, false)),
        Act::Delete => h
            .queues
            .delete_job(DeleteJobRequest { id, queue })
            .await
            .map(|_| (None, false)),
        Act::Cancel => cancel(h, &id, "operator said so")
            .await
            .map(|r| (r.job, r.requested)),
    }
}

fn expected(state: JobState, act: Act) -> Expect {
    use Expect::*;
    use JobState as S;
    match (act, state) {
        (Act::Retry, S::Scheduled | S::Retry | S::Dead) => Done(Some(S::Pending)),
        (Act::Promote, S::Scheduled | S::Retry) => Done(Some(S::Pending)),
        (Act::Delete, s) if s != S::Active => Done(None),
        (Act::Cancel, S::Pending | S::Scheduled | S::Retry) => Done(Some(S::Cancelled)),
        (Act::Cancel, S::Active) => Requested,
        _ => Refused,
    }
}

fn verb(act: Act) -> &'static str {
    match act {
        Act::Retry => "retry",
        Act::Promote => "promote",
        Act::Delete => "delete",
        Act::Cancel => "cancel",
    }
}

fn state_word(state: JobState) -> String {
    state
        .as_str_name()
        .trim_start_matches("JOB_STATE_")
        .to_lowercase()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_action_from_each_state_moves_the_job_and_its_count_or_is_refused() {
    let mut h = Harness::start().await;
    for state in STATES {
        for act in [Act::Retry, Act::Promote, Act::Delete, Act::Cancel] {
            let queue = format!("{}-{}", state_word(state), verb(act));
            let id = job_in_state(&mut h, &queue, state).await;
            let before = h.job(&id).await;
            let outcome = act_one(&mut h, act, &id).await;
            let case = format!("{act:?} of a {state:?} job");
            match expected(state, act) {
                Expect::Done(new_state) => {
                    let (job, requested) = outcome.unwrap_or_else(|e| panic!("{case}: {e}"));
                    assert!(!requested, "{case}");
                    match new_state {
                        Some(new_state) => {
                            let job = job.unwrap_or_else(|| panic!("{case}: no job"));
                            assert_eq!(job.state(), new_state, "{case}");
                            assert_eq!(h.job(&id).await.state(), new_state, "{case}");
                            assert_eq!(
                                nonzero_counts(&mut h, &queue).await,
                                vec![(new_state, 1)],
                                "{case}"
                            );
                            match act {
                                Act::Retry => {
                                    assert_eq!(job.attempts, 0, "{case}");
                                    assert!(job.finished_at.is_none(), "{case}");
                                }
                                Act::Promote => assert_eq!(job.attempts, before.attempts, "{case}"),
                                Act::Cancel => {
                                    assert_eq!(job.cancel_reason, "operator said so", "{case}");
                                    assert!(job.finished_at.is_some(), "{case}");
                                    assert!(!job.cancel_requested, "{case}");
                                }
                                Act::Delete => unreachable!(),
                            }
                        }
                        None => {
                            let gone = h
                                .queues
                                .get_job(GetJobRequest {
                                    id: id.clone(),
                                    queue: String::new(),
                                    ..Default::default()
                                })
                                .await
                                .unwrap_err();
                            assert_eq!(gone.code(), Code::NotFound, "{case}");
                            assert_eq!(nonzero_counts(&mut h, &queue).await, vec![], "{case}");
                        }
                    }
                }
                Expect::Requested => {
                    let (job, requested) = outcome.unwrap_or_else(|e| panic!("{case}: {e}"));
                    assert!(requested, "{case}");
                    let job = job.unwrap();
                    assert_eq!(job.state(), JobState::Active, "{case}");
                    assert!(job.cancel_requested, "{case}");
                    assert_eq!(job.cancel_reason, "operator said so", "{case}");
                    assert_eq!(
                        nonzero_counts(&mut h, &queue).await,
                        vec![(JobState::Active, 1)],
                        "{case}"
                    );
                }
                Expect::Refused => {
                    let status = outcome.err().unwrap_or_else(|| panic!("{case}: allowed"));
                    assert_eq!(status.code(), Code::FailedPrecondition, "{case}");
                    assert_eq!(error_reason(&status), "JOB_WRONG_STATE", "{case}");
                    assert_eq!(
                        status.message(),
                        format!("cannot {} job {id}: it is {}", verb(act), state_word(state)),
                        "{case}"
                    );
                    let after = h.job(&id).await;
                    assert_eq!(after, before, "{case}: the job changed");
                    assert_eq!(
                        nonzero_counts(&mut h, &queue).await,
                        vec![(state, 1)],
                        "{case}"
                    );
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_actions_on_unknown_jobs_are_not_found() {
    let mut h = Harness::start().await;
    for act in [Act::Retry, Act::Promote, Act::Delete, Act::Cancel] {
        let status = act_one(&mut h, act, "nope").await.unwrap_err();
        assert_eq!(status.code(), Code::NotFound, "{act:?}");
        assert_eq!(error_reason(&status), "JOB_NOT_FOUND");
        assert_eq!(status.message(), "job nope not found");
    }
    // With the queue given, a job of another queue is not found either.
    let id = job_in_state(&mut h, "dead-jobs", JobState::Dead).await;
    let status = h
        .queues
        .retry_job(RetryJobRequest {
            id: id.clone(),
            queue: "other".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let retried = h
        .queues
        .retry_job(RetryJobRequest {
            id,
            queue: "dead-jobs".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .job
        .unwrap();
    assert_eq!(retried.state(), JobState::Pending);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_reports_each_id_in_order_and_does_the_good_ones() {
    let mut h = Harness::start().await;
    let pending = job_in_state(&mut h, "mixed", JobState::Pending).await;
    let dead = job_in_state(&mut h, "mixed-dead", JobState::Dead).await;
    let scheduled = job_in_state(&mut h, "mixed", JobState::Scheduled).await;
    let results = h
        .queues
        .batch_retry_jobs(BatchRetryJobsRequest {
            ids: vec![
                dead.clone(),
                "missing".into(),
                pending.clone(),
                scheduled.clone(),
            ],
            queue: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .results;
    let summary: Vec<_> = results
        .iter()
        .map(|r| (r.id.as_str(), r.queue.as_str(), r.outcome(), r.state()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                dead.as_str(),
                "mixed-dead",
                JobActionOutcome::Done,
                JobState::Pending
            ),
            (
                "missing",
                "",
                JobActionOutcome::NotFound,
                JobState::Unspecified
            ),
            (
                pending.as_str(),
                "mixed",
                JobActionOutcome::WrongState,
                JobState::Pending
            ),
            (
                scheduled.as_str(),
                "mixed",
                JobActionOutcome::Done,
                JobState::Pending
            ),
        ]
    );
    assert_eq!(results[0].message, "");
    assert_eq!(results[1].message, "job missing not found");
    assert_eq!(
        results[2].message,
        format!("cannot retry job {pending}: it is pending")
    );
    assert_eq!(h.job(&dead).await.state(), JobState::Pending);
    assert_eq!(h.job(&scheduled).await.state(), JobState::Pending);
    assert_eq!(
        nonzero_counts(&mut h, "mixed").await,
        vec![(JobState::Pending, 2)]
    );
    assert_eq!(
        nonzero_counts(&mut h, "mixed-dead").await,
        vec![(JobState::Pending, 1)]
    );

    // Delete and cancel in a batch, the queue given.
    let active = job_in_state(&mut h, "busy", JobState::Active).await;
    let waiting = job_in_state(&mut h, "busy", JobState::Scheduled).await;
    let results = h
        .queues
        .batch_cancel_jobs(BatchCancelJobsRequest {
            ids: vec![active.clone(), waiting.clone(), active.clone()],
            queue: "busy".into(),
            reason: "stop it".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .results;
    let outcomes: Vec<_> = results.iter().map(|r| (r.outcome(), r.state())).collect();
    assert_eq!(
        outcomes,
        vec![
            (JobActionOutcome::Requested, JobState::Active),
            (JobActionOutcome::Done, JobState::Cancelled),
            (JobActionOutcome::Requested, JobState::Active),
        ]
    );
    assert!(results.iter().all(|r| r.queue == "busy"));
    let results = h
        .queues
        .batch_delete_jobs(BatchDeleteJobsRequest {
            ids: vec![waiting.clone(), active.clone(), waiting.clone()],
            queue: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .results;
    let outcomes: Vec<_> = results.iter().map(|r| (r.outcome(), r.state())).collect();
    assert_eq!(
        outcomes,
        vec![
            (JobActionOutcome::Done, JobState::Unspecified),
            (JobActionOutcome::WrongState, JobState::Active),
            (JobActionOutcome::NotFound, JobState::Unspecified),
        ]
    );
    assert_eq!(
        nonzero_counts(&mut h, "busy").await,
        vec![(JobState::Active, 1)]
    );
    // A deleted job leaves the job index too.
    let mut redis = h.redis.connection().await.unwrap();
    let indexed: Option<String> = redis.hget("zenith:job-queue", &waiting).await.unwrap();
    assert_eq!(indexed, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_without_a_queue_acts_in_each_jobs_own_queue() {
    let mut h = Harness::start().await;
    let a = job_in_state(&mut h, "alpha", JobState::Retry).await;
    let b = job_in_state(&mut h, "beta", JobState::Retry).await;
    let c = job_in_state(&mut h, "alpha", JobState::Scheduled).await;
    let results = h
        .queues
        .batch_promote_jobs(BatchPromoteJobsRequest {
            ids: vec![a.clone(), b.clone(), c.clone()],
            queue: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .results;
    let summary: Vec<_> = results
        .iter()
        .map(|r| (r.id.as_str(), r.queue.as_str(), r.outcome()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (a.as_str(), "alpha", JobActionOutcome::Done),
            (b.as_str(), "beta", JobActionOutcome::Done),
            (c.as_str(), "alpha", JobActionOutcome::Done),
        ]
    );
    // Promote keeps the attempts made so far.
    assert_eq!(h.job(&a).await.attempts, 1);
    assert_eq!(
        nonzero_counts(&mut h, "alpha").await,
        vec![(JobState::Pending, 2)]
    );
    assert_eq!(
        nonzero_counts(&mut h, "beta").await,
        vec![(JobState::Pending, 1)]
    );
}

fn field(status: &tonic::Status) -> String {
    use tonic_types::StatusExt;
    status
        .get_details_error_info()
        .and_then(|info| info.metadata.get("field").cloned())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_action_requests_are_refused_naming_the_field_and_change_nothing() {
    let mut h = Harness::start().await;
    let id = job_in_state(&mut h, "q", JobState::Dead).await;
    let batch = |ids: Vec<String>, queue: &str, reason: String| BatchCancelJobsRequest {
        ids,
        queue: queue.into(),
        reason,
    };
    let cases = [
        (batch(vec![], "", String::new()), "ids"),
        (batch(vec![id.clone(); 1001], "", String::new()), "ids"),
        (
            batch(vec![id.clone(), "bad id".into()], "", String::new()),
            "ids[1]",
        ),
        (
            batch(vec![id.clone()], "no such/queue", String::new()),
            "queue",
        ),
        (batch(vec![id.clone()], "", "x".repeat(1025)), "reason"),
    ];
    for (request, expected_field) in cases {
        let status = h.queues.batch_cancel_jobs(request).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert_eq!(field(&status), expected_field, "{status:?}");
    }
    let status = h
        .queues
        .batch_retry_jobs(BatchRetryJobsRequest {
            ids: vec![id.clone(), String::new()],
            queue: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(field(&status), "ids[1]");
    let status = h
        .queues
        .retry_job(RetryJobRequest {
            id: String::new(),
            queue: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        (status.code(), field(&status)),
        (Code::InvalidArgument, "id".into())
    );
    let status = cancel(&mut h, &id, &"x".repeat(1025)).await.unwrap_err();
    assert_eq!(field(&status), "reason");
    // A reason of exactly 1 KiB is fine (checked on a job whose state refuses it).
    let status = cancel(&mut h, &id, &"x".repeat(1024)).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);

    assert_eq!(h.job(&id).await.state(), JobState::Dead);
    assert_eq!(nonzero_counts(&mut h, "q").await, vec![(JobState::Dead, 1)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_active_job_is_told_through_its_lease_and_ends_cancelled_on_fail() {
    let mut h = Harness::start().await;
    let mut job = spec("video", "encode");
    job.unique_key = "encode-7".into();
    let id = h.enqueue(job).await.job.unwrap().id;
    let reserved = h.reserve("video", 1, Duration::from_secs(30)).await;

    let response = cancel(&mut h, &id, "wrong file").await.unwrap();
    assert!(response.requested);
    let extend = ExtendLeaseRequest {
        queue: "video".into(),
        job_id: id.clone(),
        lease_token: reserved[0].lease_token.clone(),
        extension: Some(duration(Duration::from_secs(30))),
    };
    let extended = h
        .workers
        .extend_lease(extend.clone())
        .await
        .unwrap()
        .into_inner();
    assert!(extended.cancel_requested);
    assert_eq!(extended.cancel_reason, "wrong file");
    assert!(extended.lease_deadline.is_some());
    // Still active (and still holding its unique key) until the worker lets go.
    assert_eq!(h.job(&id).await.state(), JobState::Active);
    let mut again = spec("video", "encode");
    again.unique_key = "encode-7".into();
    assert!(h.enqueue(again.clone()).await.duplicate);

    let failed = h
        .fail(&reserved[0], "cancelled by an operator", true)
        .await
        .unwrap();
    assert_eq!(failed.state(), JobState::Cancelled);
    assert!(failed.retry_at.is_none());
    let job = h.job(&id).await;
    assert_eq!(job.state(), JobState::Cancelled);
    assert_eq!(job.cancel_reason, "wrong file");
    assert!(!job.cancel_requested);
    assert!(job.finished_at.is_some());
    assert!(job.lease_deadline.is_none());
    assert_eq!(
        nonzero_counts(&mut h, "video").await,
        vec![(JobState::Cancelled, 1)]
    );
    let status = h.workers.extend_lease(extend).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);

    let listed = h
        .queues
        .list_jobs(ListJobsRequest {
            queue: "video".into(),
            state: JobState::Cancelled.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .jobs;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, id);

    let events = h.archived_events("video", &id).await;
    let last = events.last().unwrap();
    assert_eq!(last.kind(), JobEventKind::Cancelled);
    assert_eq!(last.reason, "wrong file");

    // The unique key was released with the cancellation.
    let fresh = h.enqueue(again).await;
    assert!(!fresh.duplicate);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_that_finishes_a_cancelled_job_anyway_completes_it() {
    let mut h = Harness::start().await;
    let id = h.enqueue(spec("q", "work")).await.job.unwrap().id;
    let reserved = h.reserve("q", 1, Duration::from_secs(30)).await;
    assert!(cancel(&mut h, &id, "too late").await.unwrap().requested);
    h.ack(&reserved[0]).await.unwrap();
    let job = h.job(&id).await;
    assert_eq!(job.state(), JobState::Completed);
    assert!(!job.cancel_requested);
    assert_eq!(job.cancel_reason, "");
    assert_eq!(
        nonzero_counts(&mut h, "q").await,
        vec![(JobState::Completed, 1)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_job_whose_lease_runs_out_ends_cancelled_and_is_pruned_later() {
    let mut h = Harness::start_with(&["--completed-retention", "1s"]).await;
    let mut job = spec("q", "work");
    job.max_attempts = 5;
    let id = h.enqueue(job).await.job.unwrap().id;
    h.reserve("q", 1, Duration::from_secs(1)).await;
    assert!(cancel(&mut h, &id, "stuck").await.unwrap().requested);
    // The worker goes silent; the lease runs out.
    let job = h.wait_for_state(&id, JobState::Cancelled).await;
    assert_eq!(job.cancel_reason, "stuck");
    assert!(
        job.last_error.contains("cancellation"),
        "{}",
        job.last_error
    );
    assert_eq!(job.attempts, 1);
    assert_eq!(
        nonzero_counts(&mut h, "q").await,
        vec![(JobState::Cancelled, 1)]
    );

    // Past the retention, cancelled jobs go like completed ones, index entry and all; the
    // archive answers for them then.
    let started = Instant::now();
    loop {
        let found = h
            .queues
            .get_job(GetJobRequest {
                id: id.clone(),
                queue: String::new(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        if found.source() == JobSource::Archive {
            assert_eq!(found.job.unwrap().state(), JobState::Cancelled);
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "job {id} never pruned"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(nonzero_counts(&mut h, "q").await, vec![]);
    let mut redis = h.redis.connection().await.unwrap();
    let indexed: Option<String> = redis.hget("zenith:job-queue", &id).await.unwrap();
    assert_eq!(indexed, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_and_cancel_free_the_unique_key() {
    let mut h = Harness::start().await;
    let unique = |key: &str| {
        let mut job = spec("q", "work");
        job.unique_key = key.into();
        job
    };
    let first = h.enqueue(unique("k")).await.job.unwrap().id;
    assert!(h.enqueue(unique("k")).await.duplicate);
    act_one(&mut h, Act::Delete, &first).await.unwrap();
    let second = h.enqueue(unique("k")).await;
    assert!(!second.duplicate);
    let second = second.job.unwrap().id;
    assert!(h.enqueue(unique("k")).await.duplicate);
    act_one(&mut h, Act::Cancel, &second).await.unwrap();
    let third = h.enqueue(unique("k")).await;
    assert!(!third.duplicate);
    assert_ne!(third.job.unwrap().id, second);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_dead_job_holds_its_unique_key_again() {
    let mut h = Harness::start().await;
    let unique = || {
        let mut job = spec("q", "work");
        job.unique_key = "invoice-7".into();
        job.max_attempts = 1;
        job
    };
    let first = h.enqueue(unique()).await.job.unwrap().id;
    let reserved = h.reserve("q", 1, Duration::from_secs(30)).await;
    h.fail(&reserved[0], "boom", false).await.unwrap();
    assert_eq!(h.job(&first).await.state(), JobState::Dead);

    act_one(&mut h, Act::Retry, &first).await.unwrap();
    let again = h.enqueue(unique()).await;
    assert!(
        again.duplicate,
        "a second job took the key of a retried one"
    );
    assert_eq!(again.job.unwrap().id, first);

    // Held by another live job meanwhile: the retried job runs without it.
    let reserved = h.reserve("q", 1, Duration::from_secs(30)).await;
    h.fail(&reserved[0], "boom", false).await.unwrap();
    let second = h.enqueue(unique()).await;
    assert!(!second.duplicate);
    act_one(&mut h, Act::Retry, &first).await.unwrap();
    let third = h.enqueue(unique()).await;
    assert!(third.duplicate);
    assert_eq!(third.job.unwrap().id, second.job.unwrap().id);
}
