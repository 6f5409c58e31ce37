//! Redis going away, the server stopping, and the counts staying true under churn.

mod common;

use std::time::Duration;

use common::{Harness, readyz, spec};
use rand::{Rng, SeedableRng};
use redis::AsyncCommands;
use tonic::Code;
use zenith_proto::v1::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_fails_fast_as_unavailable_and_everything_recovers() {
    let mut h = Harness::start().await;
    let before = h.enqueue(spec("emails", "send")).await.job.unwrap().id;

    h.redis.stop();
    let status = h
        .queues
        .enqueue(EnqueueRequest {
            job: Some(spec("emails", "send")),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unavailable, "{}", status.message());
    let ready = readyz(h.server.port()).await;
    assert!(ready.starts_with("HTTP/1.1 503"), "{ready}");
    assert!(
        ready.contains(r#""ready":false"#) && ready.contains("redis"),
        "{ready}"
    );

    // Redis comes back with its data (AOF) but without the server's scripts.
    h.redis.start_again().unwrap();
    let mut recovered = None;
    for _ in 0..100 {
        match h
            .queues
            .enqueue(EnqueueRequest {
                job: Some(spec("emails", "send")),
            })
            .await
        {
            Ok(response) => {
                recovered = Some(response.into_inner());
                break;
            }
            Err(status) => {
                assert_eq!(status.code(), Code::Unavailable, "{}", status.message());
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    assert!(recovered.is_some(), "enqueue never recovered");
    assert!(readyz(h.server.port()).await.starts_with("HTTP/1.1 200"));
    let reserved = h.reserve("emails", 10, Duration::from_secs(30)).await;
    assert_eq!(reserved.len(), 2);
    assert_eq!(reserved[0].job.as_ref().unwrap().id, before);
    for job in &reserved {
        h.ack(job).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_ends_waiting_calls_and_exits_cleanly() {
    let mut h = Harness::start().await;
    let mut workers = h.workers.clone();
    let waiting = tokio::spawn(async move {
        workers
            .reserve(ReserveRequest {
                queues: vec!["idle".into()],
                wait: Some(common::duration(Duration::from_secs(50))),
                ..Default::default()
            })
            .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let code = tokio::task::spawn_blocking(move || h.server.stop())
        .await
        .unwrap();
    assert_eq!(code, Some(0));
    let reply = waiting
        .await
        .unwrap()
        .expect("the waiting reserve returns normally");
    assert!(reply.into_inner().jobs.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_counts_match_the_sets_after_random_churn() {
    let mut h = Harness::start().await;
    let queue = "churn";
    let mut leases: Vec<ReservedJob> = Vec::new();
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    for _ in 0..300 {
        match rng.random_range(0..5) {
            0 | 1 => {
                let mut job = spec(queue, "x");
                job.max_attempts = 2;
                job.backoff = Some(Backoff {
                    base: Some(common::duration(Duration::from_millis(50))),
                    max: Some(common::duration(Duration::from_millis(50))),
                });
                if rng.random_bool(0.2) {
                    job.delay = Some(common::duration(Duration::from_millis(100)));
                }
                h.enqueue(job).await;
            }
            2 => leases.extend(h.reserve(queue, 3, Duration::from_secs(1)).await),
            3 if !leases.is_empty() => {
                let lease = leases.swap_remove(rng.random_range(0..leases.len()));
                let _ = h.ack(&lease).await;
            }
            4 if !leases.is_empty() => {
                let lease = leases.swap_remove(rng.random_range(0..leases.len()));
                let _ = h.fail(&lease, "boom", rng.random_bool(0.8)).await;
            }
            _ => {}
        }
    }
    // Let some leases expire and retries come due while the loop runs.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut redis = h.redis.connection().await.unwrap();
    let counts = h.queue(queue).await.counts.unwrap();
    let mut sets = Vec::new();
    for state in [
        "pending",
        "scheduled",
        "active",
        "retry",
        "dead",
        "completed",
    ] {
        let n: i64 = redis
            .zcard(format!("zenith:{{{queue}}}:{state}"))
            .await
            .unwrap();
        sets.push(n);
    }
    assert_eq!(
        vec![
            counts.pending,
            counts.scheduled,
            counts.active,
            counts.retry,
            counts.dead,
            counts.completed
        ],
        sets
    );
    assert!(counts.completed > 0 && counts.dead + counts.retry + counts.pending > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_warns_when_redis_may_evict_jobs() {
    let redis = zenith_testkit::RedisServer::start().unwrap();
    let mut conn = redis.connection().await.unwrap();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory-policy")
        .arg("allkeys-lru")
        .query_async(&mut conn)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_zenith"))
        .arg("serve")
        .args([
            "--listen",
            &format!("127.0.0.1:{}", zenith_testkit::free_port()),
        ])
        .args(["--redis-url", &redis.url()])
        .arg("--database-url")
        .arg(format!(
            "sqlite://{}",
            dir.path().join("zenith.db").display()
        ))
        .env("ZENITH_LOG", "warn")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = server.stderr.take().unwrap();
    let warning = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .find(|line| line.contains("maxmemory-policy"))
    });
    let line = tokio::time::timeout(Duration::from_secs(20), warning)
        .await
        .expect("a warning within 20 s")
        .unwrap()
        .expect("a maxmemory-policy warning");
    assert!(
        line.contains("allkeys-lru") && line.contains("noeviction"),
        "{line}"
    );
    let _ = server.kill();
    let _ = server.wait();
}
