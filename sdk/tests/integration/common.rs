//! A real Redis and a real `zenith serve` per test, and helpers to wait on job states.

use std::time::{Duration, Instant};

use zenith_sdk::{Client, Job, JobState};
use zenith_testkit::{RedisServer, ZenithServer};

/// Tests run on a multi-thread runtime: dropping the harness stops the server with blocking
/// waits, and meanwhile the client's connection task must still run to answer the server's
/// GOAWAY, or the server waits on it until it is killed.
pub struct Harness {
    pub client: Client,
    pub server: ZenithServer,
    _redis: RedisServer,
}

pub async fn start() -> anyhow::Result<Harness> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_test_writer()
        .try_init();
    let redis = RedisServer::start()?;
    let server = ZenithServer::start(&redis.url(), &[])?;
    let client = Client::connect(server.url()).await?;
    Ok(Harness {
        client,
        server,
        _redis: redis,
    })
}

/// Polls until the job is in `state`; fails with the job's last known form otherwise.
pub async fn wait_for_state(
    client: &Client,
    id: &str,
    state: JobState,
    timeout: Duration,
) -> anyhow::Result<Job> {
    let started = Instant::now();
    loop {
        let job = client.get_job(id).await?;
        if job.state() == state {
            return Ok(job);
        }
        if started.elapsed() > timeout {
            anyhow::bail!("job {id} not {state:?} within {timeout:?}: {job:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
