//! Crash test: 10,000 jobs through four `zenith work --concurrency 4` processes while workers
//! are SIGKILLed at random and restarted. Delivery is at least once, so commands may run twice;
//! what must hold is that no job is lost and none is completed twice.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rand::Rng;
use zenith_sdk::{Client, JobState};
use zenith_testkit::{RedisServer, ZenithServer};

const ZENITH: &str = env!("CARGO_BIN_EXE_zenith");
const QUEUE: &str = "crash";
const JOBS: usize = 10_000;
const WORKERS: usize = 4;
const DEADLINE: Duration = Duration::from_secs(110);

fn spawn_worker(server_url: &str) -> Child {
    Command::new(ZENITH)
        .args(["--server", server_url, "work", QUEUE])
        .args(["--concurrency", "4", "--lease", "2s", "--", "true"])
        .env("ZENITH_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start zenith work")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_job_is_lost_or_completed_twice_when_workers_crash() -> anyhow::Result<()> {
    let started = Instant::now();
    let redis = RedisServer::start()?;
    let server = ZenithServer::start_with(Path::new(ZENITH), &redis.url(), &[])?;
    let client = Client::connect(server.url()).await?;

    let ids: Vec<String> = (0..JOBS).map(|n| format!("job-{n:05}")).collect();
    for chunk in ids.chunks(1_000) {
        let specs = chunk
            .iter()
            .map(|id| {
                client
                    .enqueue(QUEUE, "noop")
                    .id(id.clone())
                    // Killed attempts count; leave room for many of them.
                    .max_attempts(100)
                    .backoff(Duration::from_millis(50), Duration::from_millis(200))
                    .into_spec()
            })
            .collect();
        client.batch_enqueue(specs).await?;
    }

    let mut workers: Vec<Child> = (0..WORKERS).map(|_| spawn_worker(&server.url())).collect();
    let mut kills = 0;
    let completed = loop {
        let pause = rand::rng().random_range(200..600);
        tokio::time::sleep(Duration::from_millis(pause)).await;
        let counts = client.get_queue(QUEUE).await?.counts.unwrap_or_default();
        if counts.completed as usize >= JOBS || started.elapsed() > DEADLINE {
            break counts.completed;
        }
        let victim = rand::rng().random_range(0..WORKERS);
        workers[victim].kill()?;
        workers[victim].wait()?;
        workers[victim] = spawn_worker(&server.url());
        kills += 1;
    };
    for worker in &mut workers {
        worker.kill()?;
        worker.wait()?;
    }
    assert_eq!(
        completed as usize, JOBS,
        "not all jobs completed within {DEADLINE:?}"
    );
    assert!(kills >= 5, "only {kills} workers were killed");

    let queue = client.get_queue(QUEUE).await?;
    let counts = queue.counts.unwrap_or_default();
    assert_eq!(
        (
            counts.pending,
            counts.scheduled,
            counts.active,
            counts.retry,
            counts.dead
        ),
        (0, 0, 0, 0, 0),
        "{counts:?}"
    );

    let listed = client
        .list_jobs(QUEUE, JobState::Completed)
        .page_size(500)
        .collect(JOBS * 2)
        .await?;
    let completed_ids: HashSet<&str> = listed.jobs.iter().map(|job| job.id.as_str()).collect();
    assert_eq!(listed.jobs.len(), JOBS, "completed listing has repeats");
    let expected: HashSet<&str> = ids.iter().map(String::as_str).collect();
    assert_eq!(completed_ids, expected);
    let redelivered = listed.jobs.iter().filter(|job| job.attempts > 1).count();

    // The archive must hold every job with exactly one completion, once it caught up.
    let mut connection = redis.connection().await?;
    let stream = format!("zenith:{{{QUEUE}}}:events");
    let caught_up = Instant::now();
    loop {
        let waiting: i64 = redis::cmd("XLEN")
            .arg(&stream)
            .query_async(&mut connection)
            .await?;
        if waiting == 0 {
            break;
        }
        assert!(
            caught_up.elapsed() < Duration::from_secs(60),
            "archive behind by {waiting}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let database = zenith_server::db::Database::connect(server.database_url()).await?;
    let store = zenith_server::archive::store::open(&database);
    assert_eq!(store.count_jobs().await? as usize, JOBS);
    let mut completions: HashMap<String, usize> = HashMap::new();
    for id in &ids {
        for (_, event) in store.job_events(id, None, 1000).await? {
            if event.kind() == zenith_proto::v1::JobEventKind::Completed {
                *completions.entry(id.clone()).or_default() += 1;
            }
        }
    }
    let twice: Vec<_> = completions.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "completed more than once: {twice:?}");
    assert_eq!(completions.len(), JOBS);

    eprintln!(
        "crash test: {JOBS} jobs, {kills} worker kills, {redelivered} jobs redelivered, {:?}",
        started.elapsed()
    );
    assert!(started.elapsed() < Duration::from_secs(120));
    Ok(())
}
