//! A faulty network between the server and Redis, through the testkit's TCP fault proxy:
//! added latency slows the server down but it keeps working; dropped connections (and a spell
//! of refused ones) give UNAVAILABLE, then the server reconnects by itself. Jobs are enqueued
//! and worked throughout; in the end every one completed and none is stuck.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use zenith_faults::{
    InProcessWorker, Producer, Runs, assert_all_completed, counts, eventually, quiet_server, report,
};
use zenith_sdk::Client;
use zenith_testkit::{FaultProxy, RedisServer};

const QUEUE: &str = "network";
const LATENCY: Duration = Duration::from_millis(25);

/// Waits until `more` jobs beyond the current count have completed.
async fn completes_more(client: &Client, more: i64, what: &str) {
    let start = counts(client, QUEUE).await.map_or(0, |c| c.completed);
    eventually(what, Duration::from_secs(60), || async {
        let completed = counts(client, QUEUE).await?.completed;
        (completed >= start + more).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_rides_out_latency_and_dropped_redis_connections() -> anyhow::Result<()> {
    let redis = RedisServer::start()?;
    let proxy = FaultProxy::start(SocketAddr::from(([127, 0, 0, 1], redis.port()))).await?;
    let redis_url = format!("redis://127.0.0.1:{}", proxy.port());
    let server = quiet_server(&redis_url, &[])?;
    let client = Client::connect(server.url()).await?;
    let runs = Runs::default();
    let workers: Vec<InProcessWorker> = (0..2)
        .map(|_| InProcessWorker::start(client.clone(), QUEUE, 4, Duration::ZERO, runs.clone()))
        .collect();
    let producer = Producer::start(client.clone(), QUEUE, Duration::from_millis(5));
    completes_more(&client, 100, "jobs through a healthy proxy").await;

    // Latency: each Redis round trip takes at least LATENCY each way, and work goes on.
    proxy.set_latency(LATENCY);
    let asked = Instant::now();
    client.get_queue(QUEUE).await?;
    let slowed = asked.elapsed();
    assert!(
        slowed >= LATENCY * 2,
        "a read took {slowed:?}, so it did not cross the proxy"
    );
    completes_more(&client, 50, "jobs with added latency").await;
    proxy.set_latency(Duration::ZERO);

    // Every connection dropped at once: the server reconnects and work goes on.
    proxy.drop_connections();
    completes_more(&client, 100, "jobs after dropped connections").await;

    // Dropped, and new connections refused for a while: UNAVAILABLE, then recovery.
    proxy.refuse_new(true);
    proxy.drop_connections();
    let refused = Instant::now();
    let mut unavailable = 0;
    while refused.elapsed() < Duration::from_secs(3) {
        let answer = tokio::time::timeout(Duration::from_secs(5), client.get_queue(QUEUE))
            .await
            .expect("get_queue answers while redis is unreachable");
        if let Err(error) = answer {
            assert_eq!(
                error.code(),
                Some(tonic::Code::Unavailable),
                "get_queue: {error}"
            );
            unavailable += 1;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(unavailable > 0, "no call noticed redis was unreachable");
    proxy.refuse_new(false);
    let reopened = Instant::now();
    completes_more(&client, 100, "jobs after redis was reachable again").await;
    let recovery = reopened.elapsed();

    let produced = producer.stop().await;
    assert_all_completed(&client, QUEUE, &produced.ids, Duration::from_secs(60)).await;
    report(&format!(
        "redis network faults: {} jobs, a read through {LATENCY:?} latency took {slowed:?}, \
         {unavailable} reads and {} enqueues answered UNAVAILABLE while connections were \
         refused, 100 more jobs done {recovery:?} after, {} duplicate runs",
        produced.ids.len(),
        produced.unavailable,
        runs.duplicates()
    ));
    for worker in workers {
        worker.stop().await?;
    }
    Ok(())
}
