//! PostgreSQL down for 30 s while jobs keep completing: the queue path does not need SQL, the
//! archive waits, and once PostgreSQL is back the archive catches up with every finished job,
//! each exactly once.

use std::time::{Duration, Instant};

use zenith_faults::{
    InProcessWorker, Producer, Runs, assert_all_completed, eventually, quiet_server, report,
};
use zenith_sdk::Client;
use zenith_testkit::{PostgresServer, RedisServer};

const QUEUE: &str = "archived";
const OUTAGE: Duration = Duration::from_secs(30);

/// Finished jobs of the queue in the archive, and how many distinct ids they are.
fn archived(postgres: &PostgresServer) -> anyhow::Result<(usize, usize)> {
    let row = postgres.psql(
        "zenith",
        &format!(
            "SELECT count(*) || ' ' || count(DISTINCT id) FROM archived_jobs \
             WHERE queue = '{QUEUE}' AND finished"
        ),
    )?;
    let (rows, ids) = row.split_once(' ').unwrap_or_default();
    Ok((rows.parse()?, ids.parse()?))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_archive_catches_up_after_postgres_was_down() -> anyhow::Result<()> {
    let mut postgres = PostgresServer::start()?;
    let database_url = postgres.create_database("zenith")?;
    let redis = RedisServer::start()?;
    let server = quiet_server(&redis.url(), &["--database-url", &database_url])?;
    let client = Client::connect(server.url()).await?;
    let runs = Runs::default();
    let worker = InProcessWorker::start(client.clone(), QUEUE, 4, Duration::ZERO, runs.clone());
    let producer = Producer::start(client.clone(), QUEUE, Duration::from_millis(20));
    eventually(
        "archiving before the outage",
        Duration::from_secs(30),
        || async {
            let (rows, _) = archived(&postgres).ok()?;
            (rows >= 50).then_some(())
        },
    )
    .await;

    tokio::task::block_in_place(|| postgres.stop());
    let accepted_before = producer.accepted();
    tokio::time::sleep(OUTAGE).await;
    let accepted_while_down = producer.accepted() - accepted_before;
    assert!(
        accepted_while_down > 100,
        "only {accepted_while_down} jobs enqueued in {OUTAGE:?} without postgres"
    );
    tokio::task::block_in_place(|| postgres.start_again())?;
    let back = Instant::now();
    let produced = producer.stop().await;
    assert_eq!(produced.unavailable, 0, "enqueue needs no SQL");
    assert_all_completed(&client, QUEUE, &produced.ids, Duration::from_secs(60)).await;

    let jobs = produced.ids.len();
    let (rows, ids) = eventually("the archive caught up", Duration::from_secs(90), || async {
        let (rows, ids) = archived(&postgres).ok()?;
        (rows >= jobs).then_some((rows, ids))
    })
    .await;
    assert_eq!((rows, ids), (jobs, jobs), "archived rows and distinct ids");
    report(&format!(
        "postgres down: {jobs} jobs, {accepted_while_down} enqueued and worked during the \
         {OUTAGE:?} outage, archive caught up {:?} after postgres came back",
        back.elapsed()
    ));
    worker.stop().await?;
    Ok(())
}
