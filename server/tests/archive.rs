//! The archive end to end: lifecycle events flow from the queues' streams into SQL exactly once,
//! through a real Redis, a real `zenith serve` process and a real SQLite file or PostgreSQL.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::{duration, error_reason, spec};
use redis::AsyncCommands;
use tonic::Code;
use tonic::transport::Channel;
use zenith_proto::v1::archive_service_client::ArchiveServiceClient;
use zenith_proto::v1::queue_service_client::QueueServiceClient;
use zenith_proto::v1::worker_service_client::WorkerServiceClient;
use zenith_proto::v1::*;
use zenith_server::archive::SharedArchive;
use zenith_testkit::{PostgresServer, RedisServer, ZenithServer};

/// A server process with clients to it; several may share one Redis and one database.
struct Server {
    queues: QueueServiceClient<Channel>,
    workers: WorkerServiceClient<Channel>,
    archive: ArchiveServiceClient<Channel>,
    process: ZenithServer,
}

impl Server {
    async fn start(redis: &RedisServer, args: &[&str]) -> Self {
        let process =
            ZenithServer::start_with(env!("CARGO_BIN_EXE_zenith").as_ref(), &redis.url(), args)
                .expect("start zenith");
        let channel = Channel::from_shared(process.url())
            .unwrap()
            .connect()
            .await
            .expect("connect to zenith");
        Self {
            queues: QueueServiceClient::new(channel.clone()),
            workers: WorkerServiceClient::new(channel.clone()),
            archive: ArchiveServiceClient::new(channel),
            process,
        }
    }

    /// Enqueues as `actor`; returns the job ids.
    async fn enqueue_as(&mut self, actor: &str, jobs: Vec<JobSpec>) -> Vec<String> {
        let mut request = tonic::Request::new(BatchEnqueueRequest { jobs });
        request
            .metadata_mut()
            .insert("x-zenith-actor", actor.parse().unwrap());
        self.queues
            .batch_enqueue(request)
            .await
            .expect("enqueue")
            .into_inner()
            .jobs
            .into_iter()
            .map(|job| job.id)
            .collect()
    }

    async fn reserve(&mut self, queue: &str, max_jobs: i32, worker: &str) -> Vec<ReservedJob> {
        self.workers
            .reserve(ReserveRequest {
                queues: vec![queue.into()],
                max_jobs,
                lease: Some(duration(Duration::from_secs(30))),
                worker_id: worker.into(),
                ..Default::default()
            })
            .await
            .expect("reserve")
            .into_inner()
            .jobs
    }

    async fn ack_all(&mut self, reserved: &[ReservedJob]) {
        let acks = reserved
            .iter()
            .map(|r| {
                let job = r.job.as_ref().unwrap();
                JobAck {
                    queue: job.queue.clone(),
                    job_id: job.id.clone(),
                    lease_token: r.lease_token.clone(),
                    result: Vec::new(),
                }
            })
            .collect();
        self.workers.ack(AckRequest { acks }).await.expect("ack");
    }

    /// Enqueues, reserves and acks `n` jobs in batches.
    async fn complete_jobs(&mut self, queue: &str, n: usize) -> Vec<String> {
        let mut ids = Vec::new();
        while ids.len() < n {
            let batch = (n - ids.len()).min(500);
            ids.extend(
                self.enqueue_as("loader", (0..batch).map(|_| spec(queue, "work")).collect())
                    .await,
            );
            let reserved = self.reserve(queue, batch as i32, "node-a").await;
            assert_eq!(reserved.len(), batch);
            self.ack_all(&reserved).await;
        }
        ids
    }

    async fn status(&mut self) -> Result<GetArchiveStatusResponse, tonic::Status> {
        self.archive
            .get_archive_status(GetArchiveStatusRequest {})
            .await
            .map(tonic::Response::into_inner)
    }

    /// Waits until no event is left unarchived.
    async fn wait_archived(&mut self, within: Duration) -> GetArchiveStatusResponse {
        let started = Instant::now();
        loop {
            if let Ok(status) = self.status().await
                && status.pending_events == 0
            {
                return status;
            }
            assert!(
                started.elapsed() < within,
                "archive still behind after {within:?}: {:?}",
                self.status().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn get_job(&mut self, id: &str) -> GetJobResponse {
        self.queues
            .get_job(GetJobRequest {
                id: id.into(),
                queue: String::new(),
                ..Default::default()
            })
            .await
            .expect("get job")
            .into_inner()
    }
}

async fn open_store(url: &str) -> SharedArchive {
    let database = zenith_server::db::Database::connect(url)
        .await
        .expect("open database");
    zenith_server::archive::store::open(&database)
}

async fn events_of(store: &SharedArchive, id: &str) -> Vec<JobEvent> {
    store
        .job_events(id, None, 1000)
        .await
        .expect("job events")
        .into_iter()
        .map(|(_, event)| event)
        .collect()
}

fn kinds(events: &[JobEvent]) -> Vec<JobEventKind> {
    events.iter().map(JobEvent::kind).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_finished_job_reaches_the_archive_once_with_its_final_state() {
    let redis = RedisServer::start().unwrap();
    let mut server = Server::start(&redis, &[]).await;
    let mut dying = spec("mail", "send");
    dying.max_attempts = 1;
    let ids = server
        .enqueue_as(
            "alice",
            vec![spec("mail", "send"), dying, spec("mail", "send")],
        )
        .await;
    let (completed, dead, cancelled) = (&ids[0], &ids[1], &ids[2]);
    let reserved = server.reserve("mail", 2, "node-1").await;
    let of = |id: &str| {
        reserved
            .iter()
            .find(|r| r.job.as_ref().unwrap().id == id)
            .unwrap()
    };
    server.ack_all(std::slice::from_ref(of(completed))).await;
    let failing = of(dead).clone();
    let job = failing.job.as_ref().unwrap();
    server
        .workers
        .fail(FailRequest {
            queue: job.queue.clone(),
            job_id: job.id.clone(),
            lease_token: failing.lease_token.clone(),
            error: "smtp refused".into(),
            stack_trace: String::new(),
            retryable: Some(false),
        })
        .await
        .unwrap();
    server
        .queues
        .cancel_job(CancelJobRequest {
            id: cancelled.clone(),
            reason: "not needed".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let deleted = server
        .enqueue_as("alice", vec![spec("mail", "send")])
        .await
        .remove(0);
    server
        .queues
        .delete_job(DeleteJobRequest {
            id: deleted.clone(),
            queue: String::new(),
        })
        .await
        .unwrap();

    let status = server.wait_archived(Duration::from_secs(20)).await;
    assert_eq!(status.archived_jobs, 4);
    assert_eq!(status.backend, "sqlite");
    let store = open_store(server.process.database_url()).await;
    assert_eq!(store.count_jobs().await.unwrap(), 4);
    let expected = [
        (completed, JobState::Completed, JobEventKind::Completed),
        (dead, JobState::Dead, JobEventKind::Failed),
        (cancelled, JobState::Cancelled, JobEventKind::Cancelled),
        (&deleted, JobState::Deleted, JobEventKind::Deleted),
    ];
    for (id, state, last) in expected {
        let archived = store.get_job(id).await.unwrap().expect("archived");
        assert_eq!(archived.job.state(), state, "{id}");
        assert!(archived.job.finished_at.is_some(), "{id}");
        let events = events_of(&store, id).await;
        assert_eq!(events.last().unwrap().kind(), last, "{id}");
        assert_eq!(events[0].kind(), JobEventKind::Enqueued);
        assert_eq!(events[0].actor, "alice");
    }
    let dead_events = events_of(&store, dead).await;
    assert_eq!(dead_events.last().unwrap().state(), JobState::Dead);
    assert_eq!(dead_events.last().unwrap().error, "smtp refused");
    let cancel_events = events_of(&store, cancelled).await;
    assert_eq!(cancel_events.last().unwrap().reason, "not needed");
    assert!(
        cancel_events
            .last()
            .unwrap()
            .actor
            .starts_with("anonymous@127.0.0.1")
    );

    // The deleted job is gone from Redis, its tomb too once archived, and its id is free.
    let mut conn = redis.connection().await.unwrap();
    let tombs: Vec<String> = redis::cmd("KEYS")
        .arg("zenith:{mail}:gone:*")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(tombs.is_empty(), "{tombs:?}");
    let from_archive = server.get_job(&deleted).await;
    assert_eq!(from_archive.source(), JobSource::Archive);
    assert_eq!(from_archive.job.unwrap().state(), JobState::Deleted);
    let mut again = spec("mail", "send");
    again.id = deleted.clone();
    let reused = server.enqueue_as("bob", vec![again]).await;
    assert_eq!(reused, vec![deleted.clone()]);
    assert_eq!(server.get_job(&deleted).await.source(), JobSource::Live);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeline_has_every_event_in_order_with_actor_worker_and_error() {
    let redis = RedisServer::start().unwrap();
    let mut server = Server::start(&redis, &[]).await;
    let mut job = spec("reports", "build");
    job.backoff = Some(Backoff {
        base: Some(duration(Duration::from_millis(10))),
        max: Some(duration(Duration::from_millis(10))),
    });
    let id = server
        .enqueue_as("alice@example.com", vec![job])
        .await
        .remove(0);
    let first = server.reserve("reports", 1, "node-1").await.remove(0);
    server
        .workers
        .extend_lease(ExtendLeaseRequest {
            queue: "reports".into(),
            job_id: id.clone(),
            lease_token: first.lease_token.clone(),
            extension: Some(duration(Duration::from_secs(60))),
        })
        .await
        .unwrap();
    server
        .workers
        .fail(FailRequest {
            queue: "reports".into(),
            job_id: id.clone(),
            lease_token: first.lease_token.clone(),
            error: "disk full".into(),
            stack_trace: String::new(),
            retryable: Some(true),
        })
        .await
        .unwrap();
    let second = loop {
        // Maintenance promotes the job once its backoff passed.
        if let Some(reserved) = server.reserve("reports", 1, "node-2").await.pop() {
            break reserved;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    server.ack_all(&[second]).await;
    server.wait_archived(Duration::from_secs(20)).await;

    let store = open_store(server.process.database_url()).await;
    let events = events_of(&store, &id).await;
    use JobEventKind::*;
    assert_eq!(
        kinds(&events),
        [
            Enqueued,
            Reserved,
            LeaseExtended,
            Failed,
            Promoted,
            Reserved,
            Completed
        ]
    );
    assert_eq!(events[0].actor, "alice@example.com");
    assert_eq!(events[0].state(), JobState::Pending);
    assert_eq!(
        (events[1].worker.as_str(), events[1].attempt),
        ("node-1", 1)
    );
    assert!(events[1].due.is_some());
    assert!(events[2].due.unwrap().seconds >= events[1].due.unwrap().seconds);
    assert_eq!(events[3].error, "disk full");
    assert_eq!(events[3].state(), JobState::Retry);
    assert!(events[3].due.is_some());
    assert_eq!(
        (events[5].worker.as_str(), events[5].attempt),
        ("node-2", 2)
    );
    assert_eq!(events[6].state(), JobState::Completed);
    let times: Vec<_> = events.iter().map(|e| e.at.unwrap()).collect();
    assert!(
        times
            .windows(2)
            .all(|w| (w[0].seconds, w[0].nanos) <= (w[1].seconds, w[1].nanos))
    );

    // The actor names a person or service: printable ASCII, 1-128 characters.
    for bad in ["", "tab\there", &"x".repeat(129)] {
        let mut request = tonic::Request::new(EnqueueRequest {
            job: Some(spec("reports", "build")),
        });
        request
            .metadata_mut()
            .insert("x-zenith-actor", bad.parse().unwrap());
        let status = server.queues.enqueue(request).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{bad:?}");
        assert_eq!(error_reason(&status), "INVALID_ARGUMENT");
        assert!(
            status.message().contains("x-zenith-actor"),
            "{}",
            status.message()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_archives_nothing_twice_and_loses_nothing() {
    const JOBS: usize = 3000;
    let redis = RedisServer::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("archive.db").display());
    let args = ["--database-url", url.as_str()];
    let mut first = Server::start(&redis, &args).await;
    let ids = first.complete_jobs("bulk", JOBS).await;
    first.wait_archived(Duration::from_secs(30)).await;

    // Deleting them all makes one big round (3,000 tombs read and rows written); the server
    // dies in the middle of it, holding entries it read and never acknowledged.
    for chunk in ids.chunks(1000) {
        first
            .queues
            .batch_delete_jobs(BatchDeleteJobsRequest {
                ids: chunk.to_vec(),
                queue: "bulk".into(),
            })
            .await
            .unwrap();
    }
    let mut conn = redis.connection().await.unwrap();
    let stream = "zenith:{bulk}:events";
    let held = |conn: &mut redis::aio::MultiplexedConnection| {
        let mut conn = conn.clone();
        async move {
            let summary: (i64, Option<String>, Option<String>, redis::Value) =
                redis::cmd("XPENDING")
                    .arg(stream)
                    .arg("archiver")
                    .query_async(&mut conn)
                    .await
                    .unwrap();
            summary.0
        }
    };
    let started = Instant::now();
    while held(&mut conn).await == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "archiver never read the deletes"
        );
    }
    let pid = first.process.pid().unwrap();
    std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    drop(first);
    assert!(
        held(&mut conn).await > 0,
        "the killed server finished its round first"
    );

    let mut second = Server::start(&redis, &args).await;
    // Entries the killed server held are claimed once idle for a while.
    let status = second.wait_archived(Duration::from_secs(90)).await;
    assert_eq!(status.archived_jobs, JOBS as i64);
    let tombs: Vec<String> = redis::cmd("KEYS")
        .arg("zenith:{bulk}:gone:*")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(tombs.is_empty(), "{} tombs left", tombs.len());
    let store = open_store(&url).await;
    assert_eq!(store.count_jobs().await.unwrap(), JOBS as i64);
    for id in &ids {
        use JobEventKind::*;
        let events = events_of(&store, id).await;
        assert_eq!(
            kinds(&events),
            [Enqueued, Reserved, Completed, Deleted],
            "{id}"
        );
        let archived = store.get_job(id).await.unwrap().unwrap();
        assert_eq!(archived.job.state(), JobState::Deleted);
        assert!(archived.job.finished_at.is_some());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_goes_on_while_postgres_is_down_and_the_archive_catches_up_after() {
    let redis = RedisServer::start().unwrap();
    let mut postgres = PostgresServer::start().unwrap();
    let url = postgres.create_database("outage").unwrap();
    let mut server = Server::start(&redis, &["--database-url", &url]).await;
    let mut ids = server.complete_jobs("orders", 200).await;
    let status = server.wait_archived(Duration::from_secs(20)).await;
    assert_eq!(
        (status.archived_jobs, status.backend.as_str()),
        (200, "postgres")
    );

    postgres.stop();
    // Enqueue, reserve and ack never wait for SQL.
    let started = Instant::now();
    ids.extend(server.complete_jobs("orders", 1000).await);
    assert!(started.elapsed() < Duration::from_secs(20));
    let mut conn = redis.connection().await.unwrap();
    let waiting: i64 = conn.xlen("zenith:{orders}:events").await.unwrap();
    assert!(waiting > 0);
    tokio::time::sleep(Duration::from_secs(2)).await;

    postgres.start_again().unwrap();
    let status = server.wait_archived(Duration::from_secs(60)).await;
    assert_eq!(status.archived_jobs, 1200);
    let store = open_store(&url).await;
    let mut seen: HashMap<JobEventKind, usize> = HashMap::new();
    for id in &ids {
        for event in events_of(&store, id).await {
            *seen.entry(event.kind()).or_default() += 1;
        }
    }
    use JobEventKind::*;
    assert_eq!(
        seen,
        HashMap::from([(Enqueued, 1200), (Reserved, 1200), (Completed, 1200)])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_completed_prune_waits_for_the_archive_and_get_job_then_reads_it() {
    let redis = RedisServer::start().unwrap();
    let mut postgres = PostgresServer::start().unwrap();
    let url = postgres.create_database("prune").unwrap();
    let mut server = Server::start(
        &redis,
        &["--database-url", &url, "--completed-retention", "1s"],
    )
    .await;
    server.wait_archived(Duration::from_secs(20)).await;

    // With SQL down nothing is archived, so nothing finished may leave Redis.
    postgres.stop();
    let ids = server.complete_jobs("prune", 20).await;
    // Past the retention and more than one prune pass (every 5 s).
    tokio::time::sleep(Duration::from_secs(12)).await;
    let mut conn = redis.connection().await.unwrap();
    for id in &ids {
        let exists: bool = conn
            .exists(format!("zenith:{{prune}}:job:{id}"))
            .await
            .unwrap();
        assert!(exists, "{id} pruned before it was archived");
    }

    postgres.start_again().unwrap();
    server.wait_archived(Duration::from_secs(60)).await;
    let started = Instant::now();
    loop {
        let left: i64 = conn.zcard("zenith:{prune}:completed").await.unwrap();
        if left == 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{left} never pruned"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let answer = server.get_job(&ids[0]).await;
    assert_eq!(answer.source(), JobSource::Archive);
    let job = answer.job.unwrap();
    assert_eq!(
        (job.id.as_str(), job.state()),
        (ids[0].as_str(), JobState::Completed)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_operation_names_its_actor_and_itself_on_every_job_it_moves() {
    let redis = RedisServer::start().unwrap();
    let mut server = Server::start(&redis, &[]).await;
    let mut dying = spec("imports", "load");
    dying.max_attempts = 1;
    let ids = server.enqueue_as("loader", vec![dying; 3]).await;
    for reserved in server.reserve("imports", 3, "node-1").await {
        let job = reserved.job.unwrap();
        server
            .workers
            .fail(FailRequest {
                queue: job.queue,
                job_id: job.id,
                lease_token: reserved.lease_token,
                error: "bad row".into(),
                stack_trace: String::new(),
                retryable: Some(false),
            })
            .await
            .unwrap();
    }
    let mut request = tonic::Request::new(StartBulkOperationRequest {
        queue: "imports".into(),
        state: JobState::Dead.into(),
        action: BulkAction::Retry.into(),
        ..Default::default()
    });
    request
        .metadata_mut()
        .insert("x-zenith-actor", "ops@example.com".parse().unwrap());
    let operation = server
        .queues
        .start_bulk_operation(request)
        .await
        .unwrap()
        .into_inner()
        .operation
        .unwrap();
    let started = Instant::now();
    loop {
        let now = server
            .queues
            .get_bulk_operation(GetBulkOperationRequest {
                id: operation.id.clone(),
            })
            .await
            .unwrap()
            .into_inner()
            .operation
            .unwrap();
        if now.status() == BulkOperationStatus::Succeeded {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "{now:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.wait_archived(Duration::from_secs(20)).await;

    let store = open_store(server.process.database_url()).await;
    for id in &ids {
        let events = events_of(&store, id).await;
        let last = events.last().unwrap();
        assert_eq!(last.kind(), JobEventKind::Retried, "{id}");
        assert_eq!(last.actor, "ops@example.com");
        assert_eq!(last.bulk_operation_id, operation.id);
        assert_eq!(last.state(), JobState::Pending);
        // The archive no longer calls it dead: it runs again.
        let archived = store.get_job(id).await.unwrap().unwrap();
        assert_eq!(archived.job.state(), JobState::Pending);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_job_is_found_by_the_error_of_its_last_failed_attempt() {
    let redis = RedisServer::start().unwrap();
    let mut server = Server::start(&redis, &[]).await;
    let mut retrying = spec("mail", "send");
    retrying.backoff = Some(Backoff {
        base: Some(duration(Duration::from_secs(3600))),
        max: None,
    });
    let id = server.enqueue_as("alice", vec![retrying]).await.remove(0);
    let reserved = server.reserve("mail", 1, "node-1").await.remove(0);
    server
        .workers
        .fail(FailRequest {
            queue: "mail".into(),
            job_id: id.clone(),
            lease_token: reserved.lease_token.clone(),
            error: "greylisted by mx.example.net".into(),
            stack_trace: String::new(),
            retryable: Some(true),
        })
        .await
        .unwrap();
    server.wait_archived(Duration::from_secs(20)).await;
    let hits = server
        .archive
        .search_jobs(SearchJobsRequest {
            query: "\"greylisted by mx\"".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .hits;
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0].source(), JobSource::Live);
    let job = hits[0].job.as_ref().unwrap();
    assert_eq!(
        (job.id.as_str(), job.state()),
        (id.as_str(), JobState::Retry)
    );
}

/// Each process start reads streams under a consumer name of its own; the names of stopped
/// replicas are deleted once they hold nothing and have been idle long enough.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumers_of_stopped_replicas_are_forgotten() {
    let redis = RedisServer::start().unwrap();
    let mut conn = redis.connection().await.unwrap();
    let stream = "zenith:{q}:events".to_owned();
    let unused = "zenith:{other}:events".to_owned();
    let _: () = redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(&stream)
        .arg("archiver")
        .arg("0")
        .arg("MKSTREAM")
        .query_async(&mut conn)
        .await
        .unwrap();
    for n in 0..3 {
        let _: String = redis::cmd("XADD")
            .arg(&stream)
            .arg("*")
            .arg("n")
            .arg(n)
            .query_async(&mut conn)
            .await
            .unwrap();
    }
    // `stopped` read and acknowledged its entry; `holding` still holds one; `me` is the caller.
    let read = |consumer: &'static str| {
        let mut conn = conn.clone();
        let stream = stream.clone();
        async move {
            let reply: redis::Value = redis::cmd("XREADGROUP")
                .arg("GROUP")
                .arg("archiver")
                .arg(consumer)
                .arg("COUNT")
                .arg(1)
                .arg("STREAMS")
                .arg(&stream)
                .arg(">")
                .query_async(&mut conn)
                .await
                .unwrap();
            reply
        }
    };
    read("stopped").await;
    read("holding").await;
    read("me").await;
    let pending: Vec<(String, String, i64, i64)> = redis::cmd("XPENDING")
        .arg(&stream)
        .arg("archiver")
        .arg("-")
        .arg("+")
        .arg(10)
        .arg("stopped")
        .query_async(&mut conn)
        .await
        .unwrap();
    let _: i64 = redis::cmd("XACK")
        .arg(&stream)
        .arg("archiver")
        .arg(&pending[0].0)
        .query_async(&mut conn)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let streams = [stream.clone(), unused];
    let recent = zenith_server::queue::forget_idle_consumers(
        &mut conn,
        &streams,
        "archiver",
        "me",
        Duration::from_secs(3600),
    )
    .await
    .unwrap();
    assert_eq!(recent, 0, "no consumer has been idle for an hour");
    let forgotten = zenith_server::queue::forget_idle_consumers(
        &mut conn,
        &streams,
        "archiver",
        "me",
        Duration::from_millis(20),
    )
    .await
    .unwrap();
    assert_eq!(forgotten, 1);
    let consumers: Vec<HashMap<String, redis::Value>> = redis::cmd("XINFO")
        .arg("CONSUMERS")
        .arg(&stream)
        .arg("archiver")
        .query_async(&mut conn)
        .await
        .unwrap();
    let mut names: Vec<String> = consumers
        .iter()
        .map(|consumer| redis::from_redis_value_ref(&consumer["name"]).unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["holding", "me"]);
}
