//! Several replicas: three `zenith serve` processes on one Redis and one PostgreSQL database,
//! clients spread across them, replicas SIGKILLed and restarted on new ports while work flows.
//! Every background loop (promotion, reaping, cron, alerts, archive, retention, bulk operations)
//! must stay exactly right whichever replica runs it and whichever dies.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;
use tonic::{Code, Status};
use zenith_proto::v1::alert_service_client::AlertServiceClient;
use zenith_proto::v1::archive_service_client::ArchiveServiceClient;
use zenith_proto::v1::cron_service_client::CronServiceClient;
use zenith_proto::v1::queue_service_client::QueueServiceClient;
use zenith_proto::v1::worker_service_client::WorkerServiceClient;
use zenith_proto::v1::*;
use zenith_testkit::receivers::HttpReceiver;
use zenith_testkit::{PostgresServer, RedisServer, ZenithServer};

const ZENITH: &str = env!("CARGO_BIN_EXE_zenith");
const REPLICAS: usize = 3;

fn duration(d: Duration) -> prost_types::Duration {
    prost_types::Duration {
        seconds: d.as_secs() as i64,
        nanos: d.subsec_nanos() as i32,
    }
}

/// A closure for `Clients::call`: one RPC with a copy of `request` on the channel it is given.
macro_rules! rpc {
    ($client:ident, $method:ident, $request:expr) => {{
        let request = $request;
        move |channel| {
            let request = request.clone();
            async move { $client::new(channel).$method(request).await }
        }
    }};
}

/// One Redis, one PostgreSQL database and three replicas over them. A replica can be killed
/// and started again (on a new port); `Clients` follow whichever replicas are up.
struct Cluster {
    // Fields drop in order: replicas, then the stores under them.
    replicas: Mutex<Vec<Option<ZenithServer>>>,
    urls: Arc<Mutex<Vec<String>>>,
    args: Vec<String>,
    database: String,
    postgres: PostgresServer,
    redis: RedisServer,
}

impl Cluster {
    async fn start(name: &str, extra_args: &[&str]) -> Arc<Self> {
        let redis = RedisServer::start().expect("start redis");
        let postgres = tokio::task::spawn_blocking(PostgresServer::start)
            .await
            .unwrap()
            .expect("start postgres");
        let database = postgres.create_database(name).expect("create database");
        let mut args = vec!["--database-url".to_owned(), database.clone()];
        args.extend(extra_args.iter().map(|arg| (*arg).to_owned()));
        let cluster = Arc::new(Self {
            replicas: Mutex::new((0..REPLICAS).map(|_| None).collect()),
            urls: Arc::new(Mutex::new(vec![String::new(); REPLICAS])),
            args,
            database,
            postgres,
            redis,
        });
        for slot in 0..REPLICAS {
            cluster.restart(slot).await;
        }
        cluster
    }

    fn clients(&self) -> Clients {
        Clients {
            urls: self.urls.clone(),
            channels: Arc::default(),
        }
    }

    /// Starts a fresh replica in `slot` (replacing a dead one) and lets clients find it.
    async fn restart(&self, slot: usize) {
        let redis_url = self.redis.url();
        let args = self.args.clone();
        let server = tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            // Errors only: every start would warn about open mode.
            let env = [("RUST_LOG", "error")];
            ZenithServer::start_with_env(
                Path::new(ZENITH),
                &redis_url,
                &args,
                &env,
                Stdio::inherit(),
            )
        })
        .await
        .unwrap()
        .expect("start zenith");
        self.urls.lock().unwrap()[slot] = server.url();
        self.replicas.lock().unwrap()[slot] = Some(server);
    }

    /// SIGKILLs the replica in `slot`: no graceful shutdown, possibly mid-call or mid-script.
    fn kill(&self, slot: usize) {
        self.urls.lock().unwrap()[slot].clear();
        let mut server = self.replicas.lock().unwrap()[slot]
            .take()
            .expect("a replica in the slot");
        let pid = server.pid().expect("a running replica");
        unsafe { libc::kill(pid as i32, libc::SIGKILL) };
        // Reaps the dead process.
        server.stop();
    }

    /// One SQL statement's rows, as psql prints them (`|` between columns).
    fn sql(&self, statement: &str) -> Vec<String> {
        let database = self.database.rsplit('/').next().unwrap();
        self.postgres
            .psql(database, statement)
            .expect("psql")
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn sql_count(&self, statement: &str) -> i64 {
        self.sql(statement)[0].parse().expect("a count")
    }
}

/// gRPC clients over every live replica. A call goes to the replica it is given and moves on
/// to the next while that one is down, as a client behind a load balancer would.
#[derive(Clone)]
struct Clients {
    urls: Arc<Mutex<Vec<String>>>,
    channels: Arc<Mutex<HashMap<String, Channel>>>,
}

/// What a replica dying under a call looks like to the client.
fn replica_down(status: &Status) -> bool {
    matches!(
        status.code(),
        Code::Unavailable | Code::Unknown | Code::Cancelled | Code::DeadlineExceeded
    )
}

impl Clients {
    fn channel(&self, slot: usize) -> Option<Channel> {
        let url = self.urls.lock().unwrap()[slot % REPLICAS].clone();
        if url.is_empty() {
            return None;
        }
        let mut channels = self.channels.lock().unwrap();
        let channel = channels.entry(url.clone()).or_insert_with(|| {
            Channel::from_shared(url)
                .unwrap()
                .timeout(Duration::from_secs(10))
                .connect_lazy()
        });
        Some(channel.clone())
    }

    /// Runs `call` on replica `slot`, then on the next ones while replicas are down (for up to
    /// 30 s); any other error is returned.
    async fn call<T, F, Fut>(&self, slot: usize, mut call: F) -> Result<T, Status>
    where
        F: FnMut(Channel) -> Fut,
        Fut: Future<Output = Result<tonic::Response<T>, Status>>,
    {
        let deadline = Instant::now() + Duration::from_secs(30);
        for attempt in 0.. {
            if let Some(channel) = self.channel(slot + attempt) {
                match call(channel).await {
                    Ok(response) => return Ok(response.into_inner()),
                    Err(status) if replica_down(&status) && Instant::now() < deadline => {}
                    Err(status) => return Err(status),
                }
            }
            if attempt % REPLICAS == REPLICAS - 1 {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        unreachable!()
    }

    async fn queue(&self, slot: usize, name: &str) -> Queue {
        self.call(
            slot,
            rpc!(
                QueueServiceClient,
                get_queue,
                GetQueueRequest { name: name.into() }
            ),
        )
        .await
        .expect("get queue")
        .queue
        .unwrap()
    }

    async fn counts(&self, slot: usize, name: &str) -> QueueCounts {
        self.queue(slot, name).await.counts.unwrap()
    }

    /// Enqueues in batches of 500, spread over the replicas; ids make a retried batch harmless.
    async fn enqueue(&self, specs: Vec<JobSpec>) {
        for (n, chunk) in specs.chunks(500).enumerate() {
            let request = BatchEnqueueRequest {
                jobs: chunk.to_vec(),
            };
            self.call(n, rpc!(QueueServiceClient, batch_enqueue, request))
                .await
                .expect("batch enqueue");
        }
    }

    /// Every job of a queue in a state, oldest first.
    async fn jobs(&self, queue: &str, state: JobState) -> Vec<Job> {
        let mut jobs = Vec::new();
        let mut token = String::new();
        for page in 0.. {
            let request = ListJobsRequest {
                queue: queue.into(),
                state: state as i32,
                page_size: 500,
                page_token: token.clone(),
                ..Default::default()
            };
            let listed = self
                .call(page, rpc!(QueueServiceClient, list_jobs, request))
                .await
                .expect("list jobs");
            jobs.extend(listed.jobs);
            if listed.next_page_token.is_empty() {
                break;
            }
            token = listed.next_page_token;
        }
        jobs
    }

    async fn get_job(&self, slot: usize, id: &str) -> Result<GetJobResponse, Status> {
        self.call(
            slot,
            rpc!(
                QueueServiceClient,
                get_job,
                GetJobRequest {
                    id: id.into(),
                    ..Default::default()
                }
            ),
        )
        .await
    }

    /// Waits until every event recorded in Redis is committed to SQL.
    async fn archive_caught_up(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        for slot in 0.. {
            let status = self
                .call(
                    slot,
                    rpc!(
                        ArchiveServiceClient,
                        get_archive_status,
                        GetArchiveStatusRequest {}
                    ),
                )
                .await
                .expect("archive status");
            if status.pending_events == 0 {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "archive still behind: {status:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// Polls `check` until it holds, failing after `within`.
async fn eventually<F, Fut>(what: &str, within: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    while !check().await {
        assert!(Instant::now() < deadline, "{what} within {within:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Archived events of a queue's jobs, counted per job and kind.
fn event_counts(cluster: &Cluster, queue: &str) -> HashMap<String, BTreeMap<JobEventKind, i64>> {
    let mut counts: HashMap<String, BTreeMap<JobEventKind, i64>> = HashMap::new();
    for row in cluster.sql(&format!(
        "SELECT job_id, kind, count(*) FROM job_events WHERE queue = '{queue}' GROUP BY job_id, kind"
    )) {
        let columns: Vec<&str> = row.split('|').collect();
        let kind = JobEventKind::try_from(columns[1].parse::<i32>().unwrap()).unwrap();
        counts
            .entry(columns[0].to_owned())
            .or_default()
            .insert(kind, columns[2].parse().unwrap());
    }
    counts
}

/// How a chaos job is handled the first time a worker sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// Acked.
    Plain,
    /// Enqueued with a delay: scheduled, then promoted.
    Delayed,
    /// Failed (retryable), so it waits in retry with backoff, then is promoted and acked.
    FailsOnce,
    /// Reserved and never acked: its lease runs out and the reaper sends it to retry.
    Abandoned,
}

fn kind_of(n: usize) -> Kind {
    match n % 10 {
        1 | 2 => Kind::Delayed,
        3 => Kind::FailsOnce,
        4 if n % 50 == 4 => Kind::Abandoned,
        _ => Kind::Plain,
    }
}

fn number_of(id: &str) -> usize {
    id.rsplit('-').next().unwrap().parse().unwrap()
}

/// Reserves and handles chaos jobs on replica `slot` (or the next live one) until told to stop.
async fn work(
    clients: Clients,
    slot: usize,
    seen: Arc<Mutex<HashSet<String>>>,
    stop: CancellationToken,
) {
    let request = ReserveRequest {
        queues: vec!["chaos".into()],
        max_jobs: 50,
        wait: Some(duration(Duration::from_millis(300))),
        lease: Some(duration(Duration::from_secs(3))),
        worker_id: format!("worker-{slot}"),
    };
    while !stop.is_cancelled() {
        let reserved = clients
            .call(slot, rpc!(WorkerServiceClient, reserve, request.clone()))
            .await
            .expect("reserve")
            .jobs;
        let mut acks = Vec::new();
        for reservation in reserved {
            let job = reservation.job.unwrap();
            let first_time = seen.lock().unwrap().insert(job.id.clone());
            match kind_of(number_of(&job.id)) {
                Kind::Abandoned if first_time => {}
                Kind::FailsOnce if first_time => {
                    let request = FailRequest {
                        queue: job.queue.clone(),
                        job_id: job.id.clone(),
                        lease_token: reservation.lease_token.clone(),
                        error: "flaky".into(),
                        stack_trace: String::new(),
                        retryable: Some(true),
                    };
                    let failed = clients
                        .call(slot, rpc!(WorkerServiceClient, fail, request))
                        .await;
                    match failed {
                        Ok(outcome) => assert_eq!(outcome.state(), JobState::Retry),
                        // The lease ran out meanwhile, or a retried call found it done.
                        Err(status) if status.code() == Code::FailedPrecondition => {}
                        Err(status) => panic!("fail {}: {status}", job.id),
                    }
                }
                _ => acks.push(JobAck {
                    queue: job.queue,
                    job_id: job.id,
                    lease_token: reservation.lease_token,
                    result: Vec::new(),
                }),
            }
        }
        if !acks.is_empty() {
            let request = AckRequest { acks };
            // The valid leases are acked; stale ones (lost while a slow call went from replica
            // to replica) are named, and their jobs come back to be worked again.
            match clients
                .call(slot, rpc!(WorkerServiceClient, ack, request))
                .await
            {
                Ok(_) => {}
                Err(status) if status.code() == Code::FailedPrecondition => {}
                Err(status) => panic!("ack: {status}"),
            }
        }
    }
}

/// Kills a random replica every one to three seconds and starts a fresh one in its place.
async fn chaos(cluster: Arc<Cluster>, stop: CancellationToken) -> usize {
    let mut kills = 0;
    loop {
        let pause = rand::rng().random_range(1000..3000);
        tokio::select! {
            _ = stop.cancelled() => return kills,
            _ = tokio::time::sleep(Duration::from_millis(pause)) => {}
        }
        let slot = rand::rng().random_range(0..REPLICAS);
        cluster.kill(slot);
        kills += 1;
        cluster.restart(slot).await;
    }
}

/// The fire times (ms) of a schedule's jobs waiting in `queue`, read from their ids.
async fn fire_times(clients: &Clients, queue: &str, schedule: &str) -> Vec<i64> {
    let prefix = format!("cron:{schedule}:");
    let mut times: Vec<i64> = clients
        .jobs(queue, JobState::Pending)
        .await
        .iter()
        .filter_map(|job| job.id.strip_prefix(&prefix)?.parse().ok())
        .collect();
    times.sort_unstable();
    times
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_job_completes_once_while_replicas_are_killed_and_restarted() {
    const JOBS: usize = 3000;
    let started = Instant::now();
    let cluster = Cluster::start("chaos", &["--alert-evaluation-interval", "1s"]).await;
    let clients = cluster.clients();

    // An alert on the cron jobs piling up: it fires once, whichever replica evaluates.
    let receiver = HttpReceiver::start().await.unwrap();
    let channel = ChannelSpec {
        id: "hook".into(),
        kind: Some(channel_spec::Kind::Webhook(WebhookChannel {
            url: receiver.url("/hook"),
            signing_secret: "chaos-secret".into(),
        })),
        ..Default::default()
    };
    clients
        .call(
            0,
            rpc!(
                AlertServiceClient,
                create_channel,
                CreateChannelRequest {
                    spec: Some(channel)
                }
            ),
        )
        .await
        .expect("create channel");
    let rule = RuleSpec {
        id: "ticks-backlog".into(),
        queue: "ticks".into(),
        condition: Some(rule_spec::Condition::Backlog(BacklogCondition { above: 0 })),
        channels: vec!["hook".into()],
        ..Default::default()
    };
    clients
        .call(
            1,
            rpc!(
                AlertServiceClient,
                create_rule,
                CreateRuleRequest { spec: Some(rule) }
            ),
        )
        .await
        .expect("create rule");

    let schedule = ScheduleSpec {
        id: "chaos-tick".into(),
        cron: "* * * * * *".into(),
        job: Some(JobSpec {
            queue: "ticks".into(),
            r#type: "tick".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    clients
        .call(
            0,
            rpc!(
                CronServiceClient,
                create_schedule,
                CreateScheduleRequest {
                    spec: Some(schedule.clone()),
                    paused: false,
                }
            ),
        )
        .await
        .expect("create schedule");

    let stop_chaos = CancellationToken::new();
    let chaos = tokio::spawn(chaos(cluster.clone(), stop_chaos.clone()));
    let stop_workers = CancellationToken::new();
    let seen = Arc::new(Mutex::new(HashSet::new()));
    let workers: Vec<_> = (0..4)
        .map(|slot| {
            tokio::spawn(work(
                clients.clone(),
                slot,
                seen.clone(),
                stop_workers.clone(),
            ))
        })
        .collect();

    // Jobs trickle in for about fifteen seconds, so kills land throughout.
    let specs: Vec<JobSpec> = (0..JOBS)
        .map(|n| JobSpec {
            id: format!("chaos-{n:05}"),
            queue: "chaos".into(),
            r#type: "work".into(),
            payload: format!(r#"{{"n":{n}}}"#).into_bytes(),
            content_type: "application/json".into(),
            delay: (kind_of(n) == Kind::Delayed)
                .then(|| duration(Duration::from_millis(500 + (n % 20) as u64 * 100))),
            // Killed replicas lose leases; leave room for those attempts.
            max_attempts: 25,
            backoff: Some(Backoff {
                base: Some(duration(Duration::from_millis(100))),
                max: Some(duration(Duration::from_millis(500))),
            }),
            ..Default::default()
        })
        .collect();
    for chunk in specs.chunks(25) {
        clients.enqueue(chunk.to_vec()).await;
        tokio::time::sleep(Duration::from_millis(125)).await;
    }

    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let counts = clients.counts(0, "chaos").await;
        if counts.completed as usize == JOBS {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not all jobs completed: {counts:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    stop_chaos.cancel();
    let kills = chaos.await.unwrap();
    stop_workers.cancel();
    for worker in workers {
        worker.await.unwrap();
    }
    assert!(kills >= 5, "only {kills} replicas were killed");

    // The schedule made one job per second, none lost while replicas died.
    clients
        .call(
            1,
            rpc!(
                CronServiceClient,
                pause_schedule,
                PauseScheduleRequest {
                    id: "chaos-tick".into(),
                    reason: "test over".into(),
                }
            ),
        )
        .await
        .expect("pause schedule");
    // A tick that began before the pause may still be finishing.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let times = fire_times(&clients, "ticks", "chaos-tick").await;
    assert!(times.len() >= 10, "only {} fire times", times.len());
    for pair in times.windows(2) {
        assert_eq!(pair[1] - pair[0], 1000, "a fire time was lost: {pair:?}");
    }
    let runs = clients
        .call(
            2,
            rpc!(
                CronServiceClient,
                list_schedule_runs,
                ListScheduleRunsRequest {
                    schedule_id: "chaos-tick".into(),
                    page_size: 1000,
                    page_token: String::new(),
                }
            ),
        )
        .await
        .expect("list runs")
        .runs;
    assert_eq!(runs.len(), times.len(), "one run per fire time");

    // One notification for the one transition; a delivery repeated after a kill keeps its key.
    eventually("the alert notified", Duration::from_secs(30), || async {
        !receiver.requests().is_empty()
    })
    .await;
    let notifications = clients
        .call(
            2,
            rpc!(
                AlertServiceClient,
                list_notifications,
                ListNotificationsRequest {
                    rule_id: "ticks-backlog".into(),
                    ..Default::default()
                }
            ),
        )
        .await
        .expect("list notifications")
        .notifications;
    assert_eq!(notifications.len(), 1, "{notifications:#?}");
    assert_eq!(notifications[0].kind(), NotificationKind::Firing);
    for request in receiver.requests() {
        assert_eq!(request.json()["rule"]["id"], "ticks-backlog");
        assert_eq!(request.json()["kind"], "firing");
        assert_eq!(
            request.header("idempotency-key"),
            Some(notifications[0].id.as_str())
        );
    }

    // The queue's counts agree everywhere, and nothing is left in flight.
    let expected = QueueCounts {
        completed: JOBS as i64,
        ..Default::default()
    };
    for slot in 0..REPLICAS {
        assert_eq!(
            clients.counts(slot, "chaos").await,
            expected,
            "replica {slot}"
        );
    }
    let listed = clients
        .call(
            1,
            rpc!(
                QueueServiceClient,
                list_queues,
                ListQueuesRequest::default()
            ),
        )
        .await
        .expect("list queues")
        .queues;
    let by_name: HashMap<&str, &QueueCounts> = listed
        .iter()
        .map(|queue| (queue.name.as_str(), queue.counts.as_ref().unwrap()))
        .collect();
    assert_eq!(by_name.get("chaos"), Some(&&expected));
    assert_eq!(by_name["ticks"].pending, times.len() as i64);

    // Every job completed, each once.
    let completed = clients.jobs("chaos", JobState::Completed).await;
    assert_eq!(completed.len(), JOBS, "completed listing has repeats");
    let ids: BTreeSet<&str> = completed.iter().map(|job| job.id.as_str()).collect();
    let expected_ids: BTreeSet<String> = (0..JOBS).map(|n| format!("chaos-{n:05}")).collect();
    assert!(
        ids.iter()
            .copied()
            .eq(expected_ids.iter().map(String::as_str))
    );

    // The archive holds each job once, completed once, and every attempt but the last ended
    // by a failure the worker reported or by a lease that ran out.
    clients.archive_caught_up().await;
    assert_eq!(
        cluster.sql_count(
            "SELECT count(*) FROM archived_jobs WHERE queue = 'chaos' AND state = 6 AND finished"
        ),
        JOBS as i64
    );
    let events = event_counts(&cluster, "chaos");
    assert_eq!(events.len(), JOBS);
    let mut lost_leases = 0;
    for job in &completed {
        let counts = &events[&job.id];
        let count = |kind| counts.get(&kind).copied().unwrap_or(0);
        let failed = count(JobEventKind::Failed);
        let expired = count(JobEventKind::LeaseExpired);
        let kind = kind_of(number_of(&job.id));
        assert_eq!(count(JobEventKind::Completed), 1, "{}: {counts:?}", job.id);
        assert_eq!(count(JobEventKind::Enqueued), 1, "{}: {counts:?}", job.id);
        assert_eq!(
            count(JobEventKind::Reserved),
            i64::from(job.attempts),
            "{}: {counts:?}",
            job.id
        );
        assert_eq!(
            i64::from(job.attempts),
            1 + failed + expired,
            "{}: an attempt that neither failed nor lost its lease: {counts:?}",
            job.id
        );
        match kind {
            Kind::FailsOnce => assert!(failed <= 1 && failed + expired >= 1, "{}", job.id),
            _ => assert_eq!(failed, 0, "{}: {counts:?}", job.id),
        }
        if kind == Kind::Abandoned {
            assert!(expired >= 1, "{}: {counts:?}", job.id);
        }
        if matches!(kind, Kind::Delayed | Kind::FailsOnce | Kind::Abandoned) {
            assert!(count(JobEventKind::Promoted) >= 1, "{}: {counts:?}", job.id);
        }
        if expired > 0 && kind != Kind::Abandoned {
            lost_leases += 1;
        }
    }
    eprintln!(
        "replicas chaos: {JOBS} jobs, {kills} replica kills, {lost_leases} other jobs lost a lease, {} fire times, {:?}",
        times.len(),
        started.elapsed()
    );
}

/// Jobs done and the status of a bulk operation on queue `bulk`, from its record in Redis.
async fn bulk_progress(redis: &mut redis::aio::MultiplexedConnection, id: &str) -> (i64, String) {
    let (done, status): (Option<i64>, Option<String>) = redis::cmd("HMGET")
        .arg(format!("zenith:{{bulk}}:bulk:{id}"))
        .arg("done")
        .arg("status")
        .query_async(redis)
        .await
        .unwrap();
    (done.unwrap_or(0), status.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_retry_finishes_exactly_when_the_replica_running_it_is_killed() {
    const JOBS: usize = 5000;
    let cluster = Cluster::start("bulk", &[]).await;
    let clients = cluster.clients();

    // Dead jobs made by the reaper: one attempt allowed, reserved and never acked.
    let specs: Vec<JobSpec> = (0..JOBS)
        .map(|n| JobSpec {
            id: format!("dead-{n:05}"),
            queue: "bulk".into(),
            r#type: "report".into(),
            max_attempts: 1,
            ..Default::default()
        })
        .collect();
    clients.enqueue(specs).await;
    let mut reserved = 0;
    for slot in 0.. {
        let request = ReserveRequest {
            queues: vec!["bulk".into()],
            max_jobs: 1000,
            lease: Some(duration(Duration::from_secs(1))),
            ..Default::default()
        };
        reserved += clients
            .call(slot, rpc!(WorkerServiceClient, reserve, request))
            .await
            .expect("reserve")
            .jobs
            .len();
        if reserved == JOBS {
            break;
        }
    }
    eventually("every lease reaped", Duration::from_secs(30), || async {
        clients.counts(1, "bulk").await.dead == JOBS as i64
    })
    .await;

    // With replica 0 alone, it takes the operation it starts.
    cluster.kill(1);
    cluster.kill(2);
    let request = StartBulkOperationRequest {
        queue: "bulk".into(),
        state: JobState::Dead as i32,
        action: BulkAction::Retry as i32,
        request_id: "retry-all-dead".into(),
        ..Default::default()
    };
    let op = clients
        .call(0, rpc!(QueueServiceClient, start_bulk_operation, request))
        .await
        .expect("start bulk operation")
        .operation
        .unwrap();
    // Read straight from Redis: the only replica left is about to die.
    let mut redis = cluster.redis.connection().await.unwrap();
    loop {
        let (done, status) = bulk_progress(&mut redis, &op.id).await;
        assert_eq!(status, "running", "ended before the kill");
        if done > 0 {
            break;
        }
    }
    cluster.kill(0);
    let (done_at_kill, status) = bulk_progress(&mut redis, &op.id).await;
    assert_eq!(status, "running");
    assert!(done_at_kill < JOBS as i64, "the kill came too late");

    for slot in 0..REPLICAS {
        cluster.restart(slot).await;
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let ended = loop {
        let now = clients
            .call(
                2,
                rpc!(
                    QueueServiceClient,
                    get_bulk_operation,
                    GetBulkOperationRequest { id: op.id.clone() }
                ),
            )
            .await
            .expect("get bulk operation")
            .operation
            .unwrap();
        if now.status() != BulkOperationStatus::Running {
            break now;
        }
        assert!(Instant::now() < deadline, "never finished: {now:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(ended.status(), BulkOperationStatus::Succeeded, "{ended:?}");
    let jobs = JOBS as i64;
    assert_eq!(
        (ended.total, ended.matched, ended.done, ended.skipped),
        (jobs, jobs, jobs, 0),
        "{ended:?}"
    );
    let counts = clients.counts(0, "bulk").await;
    assert_eq!((counts.dead, counts.pending), (0, jobs), "{counts:?}");
    let pending = clients.jobs("bulk", JobState::Pending).await;
    assert_eq!(pending.len(), JOBS);
    assert!(
        pending.iter().all(|job| job.attempts == 0),
        "attempts afresh"
    );

    // Each job was retried exactly once, by the operation.
    clients.archive_caught_up().await;
    let events = event_counts(&cluster, "bulk");
    for n in 0..JOBS {
        let id = format!("dead-{n:05}");
        let counts = &events[&id];
        assert_eq!(
            counts.get(&JobEventKind::Retried),
            Some(&1),
            "{id}: {counts:?}"
        );
        assert_eq!(
            counts.get(&JobEventKind::LeaseExpired),
            Some(&1),
            "{id}: {counts:?}"
        );
    }
    eprintln!("bulk retry: killed its replica at {done_at_kill} of {JOBS} done");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finished_jobs_leave_redis_for_the_archive_and_then_leave_the_archive() {
    const JOBS: usize = 200;
    let cluster = Cluster::start(
        "retention",
        &[
            "--completed-retention",
            "1s",
            "--archive-retention",
            "1h",
            "--archive-prune-interval",
            "1s",
        ],
    )
    .await;
    let clients = cluster.clients();
    let specs: Vec<JobSpec> = (0..JOBS)
        .map(|n| JobSpec {
            id: format!("{}-{n:03}", if n % 2 == 0 { "aged" } else { "kept" }),
            queue: "reports".into(),
            r#type: "report".into(),
            ..Default::default()
        })
        .collect();
    clients.enqueue(specs).await;
    let mut acked = 0;
    for slot in 0.. {
        let request = ReserveRequest {
            queues: vec!["reports".into()],
            max_jobs: 30,
            lease: Some(duration(Duration::from_secs(30))),
            ..Default::default()
        };
        let reserved = clients
            .call(slot, rpc!(WorkerServiceClient, reserve, request))
            .await
            .expect("reserve")
            .jobs;
        let acks: Vec<JobAck> = reserved
            .into_iter()
            .map(|r| JobAck {
                queue: "reports".into(),
                job_id: r.job.unwrap().id,
                lease_token: r.lease_token,
                result: Vec::new(),
            })
            .collect();
        let request = AckRequest { acks };
        acked += clients
            .call(slot + 1, rpc!(WorkerServiceClient, ack, request))
            .await
            .expect("ack")
            .acked;
        if acked as usize == JOBS {
            break;
        }
    }

    // Past the completed retention, whichever replica prunes: gone from Redis, kept in SQL.
    eventually(
        "completed jobs pruned from redis",
        Duration::from_secs(30),
        || async { clients.counts(0, "reports").await.completed == 0 },
    )
    .await;
    for n in (0..JOBS).step_by(17) {
        let id = format!("{}-{n:03}", if n % 2 == 0 { "aged" } else { "kept" });
        let found = clients.get_job(n, &id).await.expect("get job");
        assert_eq!(found.source(), JobSource::Archive, "{id}");
        assert_eq!(found.job.unwrap().state(), JobState::Completed, "{id}");
    }

    // Half of them finished two hours ago, as far as the archive knows; the one-hour
    // retention takes them, and their events, with one replica dead.
    clients.archive_caught_up().await;
    cluster.kill(0);
    let two_hours_ms = 2 * 3600 * 1000;
    cluster.sql(&format!(
        "UPDATE archived_jobs SET finished_at_ms = finished_at_ms - {two_hours_ms} \
         WHERE id LIKE 'aged-%'"
    ));
    cluster.sql(&format!(
        "UPDATE job_events SET at_ms = at_ms - {two_hours_ms} WHERE job_id LIKE 'aged-%'"
    ));
    eventually(
        "aged jobs pruned from the archive",
        Duration::from_secs(30),
        || async {
            cluster.sql_count("SELECT count(*) FROM archived_jobs WHERE id LIKE 'aged-%'") == 0
        },
    )
    .await;
    eventually("aged events pruned", Duration::from_secs(30), || async {
        cluster.sql_count("SELECT count(*) FROM job_events WHERE job_id LIKE 'aged-%'") == 0
    })
    .await;
    assert_eq!(
        cluster.sql_count("SELECT count(*) FROM archived_jobs WHERE id LIKE 'kept-%'"),
        (JOBS / 2) as i64
    );
    let kept_events = event_counts(&cluster, "reports");
    assert_eq!(kept_events.len(), JOBS / 2);
    assert!(
        kept_events
            .values()
            .all(|counts| { counts.get(&JobEventKind::Completed) == Some(&1) })
    );
    let status = clients.get_job(1, "aged-000").await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    let kept = clients.get_job(2, "kept-001").await.expect("get job");
    assert_eq!(kept.source(), JobSource::Archive);
}
