//! Processes `send_welcome` and `send_reminder` jobs until Ctrl-C. Run a server, then:
//! `cargo run -p zenith-sdk --example worker` (server from `ZENITH_SERVER`, default
//! http://127.0.0.1:7700).

use std::time::Duration;

use serde::Deserialize;
use zenith_sdk::{Client, JobContext, JobError, Worker, default_server_url};

#[derive(Deserialize)]
struct Welcome {
    user_id: u64,
}

async fn send_welcome(job: JobContext) -> Result<(), JobError> {
    let welcome: Welcome = job.json()?;
    tokio::select! {
        () = tokio::time::sleep(Duration::from_millis(200)) => {}
        // Timeout passed or lease lost: stop early, the job is not acked.
        () = job.cancelled() => return Err(JobError::msg("cancelled")),
    }
    tracing::info!(
        user_id = welcome.user_id,
        attempt = job.attempt(),
        "sent welcome email"
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    // Lazy: the worker keeps retrying until the server is up.
    let client = Client::connect_lazy(default_server_url())?;
    let worker = Worker::builder(client)
        .queue("emails")
        .concurrency(10)
        .handle("send_welcome", send_welcome)
        .fallback(|job| async move {
            tracing::warn!(job_type = job.job_type(), "no handler; dropping job");
            Err(JobError::msg(format!("unsupported job type {}", job.job_type())).not_retryable())
        })
        .build()?;
    worker
        .run_until(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
