//! The tracing layer against a real server: a handler's log line reaches `SearchLogs` tagged
//! with its job. Its own test binary, since the layer must be the process's global subscriber
//! to see the worker's tasks on every thread.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use tracing_subscriber::Layer as _;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use zenith_sdk::proto::{LogFilter, LogLevel, LogRecord, SearchLogsRequest};
use zenith_sdk::{Client, LogShipper, Worker, detect_identity};
use zenith_testkit::{RedisServer, ZenithServer};

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handlers_log_line_is_shipped_tagged_with_its_job() -> anyhow::Result<()> {
    let redis = RedisServer::start()?;
    let server = ZenithServer::start(&redis.url(), &[])?;
    let client = Client::connect(server.url()).await?;
    let identity = detect_identity("invoice-worker");
    let shipper = LogShipper::start(client.clone(), &identity);
    tracing_subscriber::registry()
        .with(
            shipper
                .layer()
                .with_filter(tracing_subscriber::filter::LevelFilter::INFO),
        )
        .init();

    let id = client.enqueue("invoices", "charge").send().await?.job.id;
    Worker::builder(client.clone())
        .queue("invoices")
        .poll_wait(Duration::from_millis(300))
        .pulse_identity(identity.clone())
        .max_jobs(1)
        .handle("charge", |job| async move {
            tracing::info!(amount_cents = 1250, "charging card for {}", job.id());
            Ok(())
        })
        .build()?
        .run()
        .await?;
    tracing::info!("outside any job");
    shipper.flush().await;

    let request = SearchLogsRequest {
        filter: Some(LogFilter {
            job_id: id.clone(),
            ..LogFilter::default()
        }),
        ..SearchLogsRequest::default()
    };
    let started = Instant::now();
    let record = loop {
        let found = client.search_logs(request.clone()).await?;
        if let Some(record) = found
            .records
            .into_iter()
            .find(|record| record.message.starts_with("charging card"))
        {
            break record;
        }
        assert!(started.elapsed() < WAIT, "the handler's line never arrived");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(record.message, format!("charging card for {id}"));
    assert_eq!(record.job_id, id);
    assert_eq!(record.queue, "invoices");
    assert_eq!(record.service, "invoice-worker");
    assert_eq!(record.node_id, identity.node_id);
    assert_eq!(record.level(), LogLevel::Info);
    assert_eq!(record.fields["amount_cents"], "1250");
    assert!(record.target.starts_with("logs"), "{}", record.target);
    Ok(())
}

/// Lines the server would refuse as sent (a bad job id, a field over 4 KiB, a NUL, a long
/// target) are fitted to its limits, so they and the good line sharing their batch arrive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lines_over_the_servers_limits_are_fitted_not_lost() -> anyhow::Result<()> {
    let redis = RedisServer::start()?;
    let server = ZenithServer::start(&redis.url(), &[])?;
    let client = Client::connect(server.url()).await?;
    let shipper = LogShipper::start(client.clone(), &detect_identity("fitting"));
    shipper.send(LogRecord {
        message: "good".to_owned(),
        ..LogRecord::default()
    });
    shipper.send(LogRecord {
        message: "nul\0inside".to_owned(),
        job_id: "not a job id".to_owned(),
        queue: "emails".to_owned(),
        target: "t".repeat(1_000),
        fields: HashMap::from([("body".to_owned(), "x".repeat(10_000))]),
        ..LogRecord::default()
    });
    shipper.flush().await;

    let request = SearchLogsRequest {
        filter: Some(LogFilter {
            service: "fitting".to_owned(),
            ..LogFilter::default()
        }),
        ..SearchLogsRequest::default()
    };
    let started = Instant::now();
    let records = loop {
        let found = client.search_logs(request.clone()).await?.records;
        if found.len() >= 2 {
            break found;
        }
        assert!(started.elapsed() < WAIT, "lines never arrived: {found:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let fitted = records
        .iter()
        .find(|record| record.message == "nulinside")
        .expect("the fitted line arrived");
    assert_eq!(fitted.job_id, "");
    assert_eq!(fitted.queue, "emails");
    assert!(fitted.target.len() <= 256);
    assert!(fitted.fields["body"].len() <= 4 * 1024);
    assert!(records.iter().any(|record| record.message == "good"));
    Ok(())
}
