//! The tracing layer against a real server: a handler's log line reaches `SearchLogs` tagged
//! with its job. Its own test binary, since the layer must be the process's global subscriber
//! to see the worker's tasks on every thread.

use std::time::{Duration, Instant};

use tracing_subscriber::Layer as _;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use zenith_sdk::proto::{LogFilter, LogLevel, SearchLogsRequest};
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
