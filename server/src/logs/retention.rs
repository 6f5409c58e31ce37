//! Deletes archived lines older than the log retention, in bounded batches, on an interval.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::Logs;
use super::archiver::unix_ms;

const EVERY: Duration = Duration::from_secs(300);
/// Lines one statement deletes at most, so no transaction holds the table for long.
const BATCH: usize = 10_000;

pub async fn run(logs: &Logs, stop: CancellationToken) {
    loop {
        let cutoff = unix_ms().saturating_sub(logs.config.retention.as_millis() as u64) as i64;
        crate::metrics::loop_pass("log_retention", async {
            while !stop.is_cancelled() {
                match logs.store.prune(cutoff, BATCH).await {
                    Ok(pruned) => {
                        if pruned > 0 {
                            tracing::debug!(pruned, "old log lines pruned");
                        }
                        if pruned < BATCH as u64 {
                            break;
                        }
                    }
                    Err(error) => {
                        tracing::warn!(%error, "log pruning failed; retrying later");
                        break;
                    }
                }
            }
        })
        .await;
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(EVERY) => {}
        }
    }
}
