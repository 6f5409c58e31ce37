//! Zenith on a Redis Cluster of three primaries, each with a replica, through a real server:
//! jobs spread over queues in different slots keep flowing while one primary fails over, first
//! by a coordinated `CLUSTER FAILOVER` (nothing may be lost) and then by killing a primary
//! (Redis documents that writes not yet replicated are lost then; the test counts them). Both
//! runs report how many jobs were delivered twice. The rest of the engine suite runs on a
//! cluster too: `ZENITH_TEST_REDIS_CLUSTER=1` makes every test's Redis one (see scripts/test).

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::task::JoinSet;
use tonic::transport::Channel;
use zenith_proto::v1::queue_service_client::QueueServiceClient;
use zenith_proto::v1::worker_service_client::WorkerServiceClient;
use zenith_proto::v1::*;
use zenith_testkit::{RedisServer, ZenithServer};

const ZENITH: &str = env!("CARGO_BIN_EXE_zenith");
/// Queues in different slots, so the jobs spread over the primaries.
const QUEUES: [&str; 8] = ["q0", "q1", "q2", "q3", "q4", "q5", "q6", "q7"];
const WORKERS: usize = 4;
const BEFORE: usize = 3_000;
const DURING: usize = 1_000;

#[derive(Default)]
struct Tally {
    enqueued: HashSet<String>,
    /// Deliveries per job: a reservation handed to a worker.
    delivered: HashMap<String, u32>,
    completed: HashSet<String>,
    /// gRPC codes of failed calls, by code.
    errors: HashMap<String, u32>,
}

impl Tally {
    fn error(&mut self, status: &tonic::Status) {
        *self
            .errors
            .entry(format!("{:?}", status.code()))
            .or_default() += 1;
    }
}

fn duration(d: Duration) -> prost_types::Duration {
    prost_types::Duration {
        seconds: d.as_secs() as i64,
        nanos: d.subsec_nanos() as i32,
    }
}

async fn enqueue(
    queues: &mut QueueServiceClient<Channel>,
    tally: &Mutex<Tally>,
    prefix: &str,
    count: usize,
) {
    let ids: Vec<String> = (0..count).map(|n| format!("{prefix}-{n:05}")).collect();
    for chunk in ids.chunks(200) {
        let jobs: Vec<JobSpec> = chunk
            .iter()
            .enumerate()
            .map(|(n, id)| JobSpec {
                id: id.clone(),
                queue: QUEUES[n % QUEUES.len()].into(),
                r#type: "cluster".into(),
                payload: b"{}".to_vec(),
                ..Default::default()
            })
            .collect();
        // A batch that failed mid-failover is sent again whole: ids already in make it a no-op.
        loop {
            match queues
                .batch_enqueue(BatchEnqueueRequest { jobs: jobs.clone() })
                .await
            {
                Ok(_) => {
                    tally.lock().unwrap().enqueued.extend(chunk.iter().cloned());
                    break;
                }
                Err(status) => {
                    tally.lock().unwrap().error(&status);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }
}

/// Reserves from every queue and acknowledges, until told to stop.
async fn work(
    mut workers: WorkerServiceClient<Channel>,
    tally: Arc<Mutex<Tally>>,
    stop: Arc<tokio::sync::Notify>,
) {
    loop {
        let reserve = workers.reserve(ReserveRequest {
            queues: QUEUES.iter().map(|q| q.to_string()).collect(),
            max_jobs: 50,
            wait: Some(duration(Duration::from_millis(500))),
            lease: Some(duration(Duration::from_secs(3))),
            ..Default::default()
        });
        let reserved = tokio::select! {
            _ = stop.notified() => return,
            reserved = reserve => reserved,
        };
        let jobs = match reserved {
            Ok(response) => response.into_inner().jobs,
            Err(status) => {
                tally.lock().unwrap().error(&status);
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if jobs.is_empty() {
            continue;
        }
        let mut acks = Vec::with_capacity(jobs.len());
        {
            let mut tally = tally.lock().unwrap();
            for reserved in &jobs {
                let job = reserved.job.as_ref().expect("job");
                *tally.delivered.entry(job.id.clone()).or_default() += 1;
                acks.push(JobAck {
                    queue: job.queue.clone(),
                    job_id: job.id.clone(),
                    lease_token: reserved.lease_token.clone(),
                    result: Vec::new(),
                });
            }
        }
        // Acks one at a time: a stale lease (the job went back after a failover) refuses one
        // ack, not the batch.
        for ack in acks {
            let id = ack.job_id.clone();
            match workers.ack(AckRequest { acks: vec![ack] }).await {
                Ok(_) => {
                    tally.lock().unwrap().completed.insert(id);
                }
                Err(status) => tally.lock().unwrap().error(&status),
            }
        }
    }
}

struct Outcome {
    enqueued: usize,
    lost: Vec<String>,
    duplicates: u32,
    errors: HashMap<String, u32>,
}

/// One run: jobs enqueued, workers started, `fail_over` run once a third is done, more jobs
/// enqueued while it happens, then waits (bounded) until every enqueued job completed.
async fn run_through_failover(
    cluster: Arc<Mutex<RedisServer>>,
    server: &ZenithServer,
    prefix: &str,
    kill: bool,
) -> Outcome {
    let channel = Channel::from_shared(server.url())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut queues = QueueServiceClient::new(channel.clone());
    let tally = Arc::new(Mutex::new(Tally::default()));
    enqueue(&mut queues, &tally, &format!("{prefix}-before"), BEFORE).await;

    let stop = Arc::new(tokio::sync::Notify::new());
    let mut tasks = JoinSet::new();
    for _ in 0..WORKERS {
        tasks.spawn(work(
            WorkerServiceClient::new(channel.clone()),
            tally.clone(),
            stop.clone(),
        ));
    }
    while tally.lock().unwrap().completed.len() < BEFORE / 3 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let failover = tokio::task::spawn_blocking(move || cluster.lock().unwrap().fail_over(kill));
    enqueue(&mut queues, &tally, &format!("{prefix}-during"), DURING).await;
    failover.await.unwrap().expect("fail over");

    // Leases are 3 s and the reaper runs every second: allow well over that for jobs whose
    // lease or whose ack a failover cut short.
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        let done = {
            let tally = tally.lock().unwrap();
            tally.enqueued.is_subset(&tally.completed)
        };
        if done {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for _ in 0..WORKERS {
        stop.notify_one();
    }
    stop.notify_waiters();
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}

    let tally = tally.lock().unwrap();
    let mut lost: Vec<String> = tally
        .enqueued
        .difference(&tally.completed)
        .cloned()
        .collect();
    lost.sort();
    Outcome {
        enqueued: tally.enqueued.len(),
        lost,
        duplicates: tally.delivered.values().map(|n| n - 1).sum(),
        errors: tally.errors.clone(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_survive_a_primary_failing_over() {
    let cluster = RedisServer::start_cluster(3, 1).expect("start redis cluster");
    assert_eq!(cluster.primary_ports().unwrap().len(), 3);
    let server = ZenithServer::start_with(Path::new(ZENITH), &cluster.url(), &[]).unwrap();
    let cluster = Arc::new(Mutex::new(cluster));

    let coordinated = run_through_failover(cluster.clone(), &server, "coordinated", false).await;
    println!(
        "coordinated failover: {} jobs, {} lost, {} delivered twice, failed calls {:?}",
        coordinated.enqueued,
        coordinated.lost.len(),
        coordinated.duplicates,
        coordinated.errors
    );
    assert_eq!(coordinated.enqueued, BEFORE + DURING);
    assert!(
        coordinated.lost.is_empty(),
        "a coordinated failover lost jobs: {:?}",
        &coordinated.lost[..coordinated.lost.len().min(20)]
    );
    assert!(
        !coordinated.errors.contains_key("Internal"),
        "a failover is not a bug: {:?}",
        coordinated.errors
    );

    let killed = run_through_failover(cluster.clone(), &server, "killed", true).await;
    println!(
        "primary killed: {} jobs, {} lost (unreplicated writes, as Redis documents), {} \
         delivered twice, failed calls {:?}",
        killed.enqueued,
        killed.lost.len(),
        killed.duplicates,
        killed.errors
    );
    assert_eq!(killed.enqueued, BEFORE + DURING);
    // Asynchronous replication loses at most what the primary took in its last moments; on
    // loopback that is a handful of batches, never most of the run.
    assert!(
        killed.lost.len() < (BEFORE + DURING) / 10,
        "{} of {} jobs lost when a primary died",
        killed.lost.len(),
        killed.enqueued
    );
    assert!(
        !killed.errors.contains_key("Internal"),
        "a failover is not a bug: {:?}",
        killed.errors
    );

    // The server kept running and still serves every queue.
    let channel = Channel::from_shared(server.url())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let listed = QueueServiceClient::new(channel)
        .list_queues(ListQueuesRequest::default())
        .await
        .expect("list queues after the failovers")
        .into_inner()
        .queues;
    let names: HashSet<&str> = listed.iter().map(|queue| queue.name.as_str()).collect();
    assert!(
        QUEUES.iter().all(|queue| names.contains(queue)),
        "{names:?}"
    );
}
