//! Redis restarted under load: jobs are being enqueued and worked when Redis stops for a few
//! seconds. The server must keep running and answer UNAVAILABLE (not INTERNAL, not hang) while
//! Redis is away, recover by itself once it is back (its AOF keeps the jobs), and end with
//! every job completed: leases whose acks were lost are reaped and run again, none stays active.

use std::time::{Duration, Instant};

use zenith_faults::{
    InProcessWorker, Producer, Runs, assert_all_completed, counts, eventually, quiet_server, report,
};
use zenith_sdk::Client;
use zenith_testkit::RedisServer;

const QUEUE: &str = "restart";
const OUTAGE: Duration = Duration::from_secs(4);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restart_under_load_answers_unavailable_then_recovers_with_nothing_lost()
-> anyhow::Result<()> {
    let mut redis = RedisServer::start()?;
    let server = quiet_server(&redis.url(), &[])?;
    let client = Client::connect(server.url()).await?;
    let runs = Runs::default();
    // Each run takes a moment, so some are mid-run (their acks lost) when Redis goes.
    let workers: Vec<InProcessWorker> = (0..2)
        .map(|_| {
            InProcessWorker::start(
                client.clone(),
                QUEUE,
                4,
                Duration::from_millis(20),
                runs.clone(),
            )
        })
        .collect();
    let producer = Producer::start(client.clone(), QUEUE, Duration::from_millis(5));
    eventually(
        "load before the outage",
        Duration::from_secs(30),
        || async {
            let completed = counts(&client, QUEUE).await?.completed;
            (completed >= 100).then_some(())
        },
    )
    .await;

    tokio::task::block_in_place(|| redis.stop());
    let down = Instant::now();
    // Reads fail fast too, and the server stays up.
    while down.elapsed() < OUTAGE {
        let answer = tokio::time::timeout(Duration::from_secs(5), client.get_queue(QUEUE))
            .await
            .expect("get_queue answers while redis is down");
        let error = answer.expect_err("get_queue fails while redis is down");
        assert_eq!(
            error.code(),
            Some(tonic::Code::Unavailable),
            "get_queue: {error}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let accepted_during_outage = producer.accepted();

    tokio::task::block_in_place(|| redis.start_again())?;
    let back = Instant::now();
    eventually(
        "enqueue after redis came back",
        Duration::from_secs(30),
        || async { (producer.accepted() > accepted_during_outage + 50).then_some(()) },
    )
    .await;
    let recovery = back.elapsed();
    let produced = producer.stop().await;
    assert!(produced.unavailable > 0, "no enqueue saw the outage");

    assert_all_completed(&client, QUEUE, &produced.ids, Duration::from_secs(60)).await;
    report(&format!(
        "redis restart: {} jobs, {} enqueues answered UNAVAILABLE during a {OUTAGE:?} outage, \
         enqueue recovered {recovery:?} after restart, {} duplicate runs",
        produced.ids.len(),
        produced.unavailable,
        runs.duplicates()
    ));
    for worker in workers {
        worker.stop().await?;
    }
    Ok(())
}
