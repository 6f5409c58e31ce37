//! 10,000 jobs through four `zenith work --concurrency 4` processes while workers are
//! SIGKILLed at random and restarted. Delivery is at least once, so a killed worker's jobs run
//! again; what must hold: no job is lost or completed twice, every job held by a killed worker
//! is handed out again within its lease + 5 s, and the extra runs are at most the jobs that
//! were in flight at the kills.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use rand::Rng;
use zenith_faults::{assert_all_completed, counts, eventually, report, resilient_job};
use zenith_proto::v1::JobEventKind;
use zenith_sdk::{Client, JobState, from_proto_timestamp};
use zenith_testkit::{RedisServer, ZenithServer, zenith_binary};

const QUEUE: &str = "kills";
const JOBS: usize = 10_000;
const WORKERS: usize = 4;
const LEASE: Duration = Duration::from_secs(2);
/// How long after its lease runs out a killed worker's job may take to be handed out again.
const REDELIVERY_SLACK: Duration = Duration::from_secs(5);
/// Pending is first in, first out by ready time, so a redelivered job waits behind the whole
/// backlog; jobs are fed in as they drain to keep that wait short.
const BACKLOG: i64 = 100;
const DEADLINE: Duration = Duration::from_secs(150);

fn spawn_worker(zenith: &Path, server_url: &str, runs_file: &Path) -> Child {
    Command::new(zenith)
        .args(["--server", server_url, "work", QUEUE])
        .args(["--concurrency", "4", "--lease", "2s", "--"])
        // One line per run; appends this short are atomic, so concurrent runs never mix.
        .args(["sh", "-c", r#"echo "$ZENITH_JOB_ID" >> "$RUNS_FILE""#])
        .env("RUNS_FILE", runs_file)
        .env("ZENITH_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start zenith work")
}

/// The worker processes; killed when dropped, so a failing test leaves none behind.
struct Workers(Vec<Child>);

impl Drop for Workers {
    fn drop(&mut self) {
        for worker in &mut self.0 {
            let _ = worker.kill();
            let _ = worker.wait();
        }
    }
}

/// One SIGKILL: when, and the jobs (id, attempt) the victim held at that moment.
struct Kill {
    at: SystemTime,
    in_flight: Vec<(String, i32)>,
}

/// Enqueues `ids` in batches, keeping the pending backlog near `BACKLOG`.
async fn feed(client: Client, ids: Vec<String>, enqueued: Arc<AtomicI64>) -> anyhow::Result<()> {
    for chunk in ids.chunks(50) {
        loop {
            match counts(&client, QUEUE).await {
                Some(counts) if counts.pending >= BACKLOG => {}
                _ => break,
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let specs = chunk
            .iter()
            .map(|id| resilient_job(&client, QUEUE, id))
            .collect();
        client.batch_enqueue(specs).await?;
        enqueued.fetch_add(chunk.len() as i64, Ordering::Relaxed);
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_workers_lose_nothing_and_their_jobs_come_back_within_the_lease()
-> anyhow::Result<()> {
    let started = Instant::now();
    let zenith = zenith_binary()?;
    let redis = RedisServer::start()?;
    let server = ZenithServer::start_with(&zenith, &redis.url(), &[])?;
    let client = Client::connect(server.url()).await?;
    let scratch = tempfile::tempdir()?;
    let runs_file: PathBuf = scratch.path().join("runs");

    let ids: Vec<String> = (0..JOBS).map(|n| format!("job-{n:05}")).collect();
    let enqueued = Arc::new(AtomicI64::new(0));
    let feeder = tokio::spawn(feed(client.clone(), ids.clone(), enqueued.clone()));

    let mut workers = Workers(
        (0..WORKERS)
            .map(|_| spawn_worker(&zenith, &server.url(), &runs_file))
            .collect(),
    );
    let mut kills: Vec<Kill> = Vec::new();
    loop {
        let pause = rand::rng().random_range(300..700);
        tokio::time::sleep(Duration::from_millis(pause)).await;
        let completed = counts(&client, QUEUE).await.map_or(0, |c| c.completed);
        if completed as usize >= JOBS {
            break;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "{completed} of {JOBS} jobs completed within {DEADLINE:?}"
        );
        let victim = rand::rng().random_range(0..WORKERS);
        let worker_id = format!("zenith-work-{}", workers.0[victim].id());
        let at = SystemTime::now();
        workers.0[victim].kill()?;
        workers.0[victim].wait()?;
        // Dead now, so what it held stays active until its leases run out.
        let active = client
            .list_jobs(QUEUE, JobState::Active)
            .page_size(500)
            .collect(10_000)
            .await?;
        let in_flight = active
            .jobs
            .into_iter()
            .filter(|job| job.worker_id == worker_id)
            .map(|job| (job.id, job.attempts))
            .collect();
        kills.push(Kill { at, in_flight });
        workers.0[victim] = spawn_worker(&zenith, &server.url(), &runs_file);
    }
    drop(workers);
    feeder.await??;
    assert_eq!(enqueued.load(Ordering::Relaxed) as usize, JOBS);
    assert!(kills.len() >= 5, "only {} workers were killed", kills.len());
    assert_all_completed(&client, QUEUE, &ids, Duration::from_secs(30)).await;

    // The archive holds every job once it caught up with the events stream.
    let connection = redis.connection().await?;
    let stream = format!("zenith:{{{QUEUE}}}:events");
    eventually("archive caught up", Duration::from_secs(60), || {
        let mut connection = connection.clone();
        let stream = stream.clone();
        async move {
            let waiting: i64 = redis::cmd("XLEN")
                .arg(&stream)
                .query_async(&mut connection)
                .await
                .ok()?;
            (waiting == 0).then_some(())
        }
    })
    .await;
    let database = zenith_server::db::Database::connect(server.database_url()).await?;
    let archive = zenith_server::archive::store::open(&database);
    assert_eq!(archive.count_jobs().await? as usize, JOBS);

    // Each job a victim held is reserved again (next attempt) within lease + slack of the
    // kill, or the victim's ack landed just before it died; either way it completes once.
    let limit = LEASE + REDELIVERY_SLACK;
    let mut redelivered = 0;
    let mut acked_at_kill = 0;
    let mut max_delay = Duration::ZERO;
    for kill in &kills {
        for (id, attempt) in &kill.in_flight {
            let events = archive.job_events(id, None, 1000).await?;
            let completions = events
                .iter()
                .filter(|(_, event)| event.kind() == JobEventKind::Completed)
                .count();
            assert_eq!(completions, 1, "job {id} completed {completions} times");
            let next_reservation = events.iter().find(|(_, event)| {
                event.kind() == JobEventKind::Reserved && event.attempt > *attempt
            });
            let Some((_, reserved)) = next_reservation else {
                let completed_by_victim = events.iter().any(|(_, event)| {
                    event.kind() == JobEventKind::Completed && event.attempt == *attempt
                });
                assert!(
                    completed_by_victim,
                    "job {id} never came back after the kill"
                );
                acked_at_kill += 1;
                continue;
            };
            let reserved_at = from_proto_timestamp(reserved.at.as_ref().expect("event time"));
            let delay = reserved_at.duration_since(kill.at).unwrap_or_default();
            assert!(
                delay <= limit,
                "job {id} came back {delay:?} after the kill (limit {limit:?})"
            );
            max_delay = max_delay.max(delay);
            redelivered += 1;
        }
    }

    let runs_text = std::fs::read_to_string(&runs_file)?;
    let mut runs: HashMap<&str, u32> = HashMap::new();
    for id in runs_text.lines() {
        *runs.entry(id).or_default() += 1;
    }
    assert_eq!(runs.len(), JOBS, "some jobs never ran");
    let duplicates: u32 = runs.values().map(|n| n - 1).sum();
    let in_flight_at_kills: usize = kills.iter().map(|kill| kill.in_flight.len()).sum();
    let in_flight_counts: Vec<usize> = kills.iter().map(|kill| kill.in_flight.len()).collect();
    report(&format!(
        "worker kills: {JOBS} jobs, {} kills, in flight at each kill {in_flight_counts:?} \
         (total {in_flight_at_kills}), {redelivered} redeliveries, {acked_at_kill} acked at the \
         kill, {duplicates} duplicate runs, max redelivery delay {max_delay:?}, took {:?}",
        kills.len(),
        started.elapsed()
    ));
    assert!(
        duplicates as usize <= in_flight_at_kills,
        "{duplicates} duplicate runs but only {in_flight_at_kills} jobs in flight at the kills"
    );
    Ok(())
}
