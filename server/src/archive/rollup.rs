//! Hourly roll-ups of the per-minute queue metrics into SQL, so charts reach back 90 days.

use std::time::Duration;

use rand::Rng;
use tokio_util::sync::CancellationToken;

use super::Result;
use super::store::{MetricRollup, SharedArchive};
use crate::queue::SharedEngine;

const HOUR_MS: i64 = 3_600_000;
/// Hours of minute hashes Redis still holds whole (they live 49 h).
const KEPT_HOURS: i64 = 48;
/// An hour is rolled up once Redis's clock is this far past its end, so no script (each
/// stamps the minute it starts in) still writes to it.
const GRACE_MS: i64 = 10_000;
/// Hours read per pipeline: 360 minute hashes.
const HOURS_PER_READ: usize = 6;
/// Registry names read per page.
const QUEUES_PER_PAGE: usize = 500;
const ROUND_INTERVAL: Duration = Duration::from_secs(60);
/// The first round waits a little so the maintenance loop has summed the all-queues minutes.
const FIRST_ROUND_DELAY: Duration = Duration::from_secs(2);

/// Rolls up every finished hour still in Redis that SQL lacks, on every replica. Replicas
/// rolling the same hour write the same rows, so no lock is needed.
pub async fn run(engine: SharedEngine, store: SharedArchive, stop: CancellationToken) {
    let mut wait = FIRST_ROUND_DELAY;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
        if let Err(error) = crate::metrics::loop_pass("rollup", roll_up(&engine, &store)).await {
            tracing::warn!(%error, "metric roll-up failed");
        }
        wait = ROUND_INTERVAL.mul_f64(rand::rng().random_range(0.9..1.1));
    }
}

/// One round: the all-queues hours, then every registered queue's.
async fn roll_up(engine: &SharedEngine, store: &SharedArchive) -> Result<()> {
    let now_ms = engine.redis_time_ms().await?;
    let last_finished = (now_ms - GRACE_MS).div_euclid(HOUR_MS) * HOUR_MS - HOUR_MS;
    let oldest_kept = now_ms.div_euclid(HOUR_MS) * HOUR_MS - KEPT_HOURS * HOUR_MS;
    // The all-queues minute hashes are complete only up to the maintenance loop's marker.
    if let Some(summed_minute) = engine.all_queues_rolled_minute().await? {
        let summed_through = ((summed_minute + 1) * 60_000).div_euclid(HOUR_MS) * HOUR_MS - HOUR_MS;
        let marker = engine.rolled_up_hours(&[None]).await?.pop().flatten();
        let through = last_finished.min(summed_through);
        roll_up_queue(engine, store, None, marker, oldest_kept, through).await?;
    }
    let mut after = String::new();
    loop {
        let names = engine.queue_names_after(&after, QUEUES_PER_PAGE).await?;
        let queues: Vec<Option<&str>> = names.iter().map(|name| Some(name.as_str())).collect();
        let markers = engine.rolled_up_hours(&queues).await?;
        for (queue, marker) in queues.into_iter().zip(markers) {
            roll_up_queue(engine, store, queue, marker, oldest_kept, last_finished).await?;
        }
        match names.last() {
            Some(last) if names.len() == QUEUES_PER_PAGE => after = last.clone(),
            _ => return Ok(()),
        }
    }
}

/// Rolls up one queue's hours after its marker (the last hour rolled), through
/// `last_hour_ms`, moving the marker only after SQL has the rows, so a failure redoes hours
/// rather than skipping them.
async fn roll_up_queue(
    engine: &SharedEngine,
    store: &SharedArchive,
    queue: Option<&str>,
    marker: Option<i64>,
    oldest_kept_ms: i64,
    last_hour_ms: i64,
) -> Result<()> {
    let mut from = marker
        .map_or(oldest_kept_ms, |hour| hour + HOUR_MS)
        .max(oldest_kept_ms);
    while from <= last_hour_ms {
        let hours = (((last_hour_ms - from) / HOUR_MS + 1) as usize).min(HOURS_PER_READ);
        let merged = engine.hourly_metrics(queue, from, hours).await?;
        let rollups: Vec<MetricRollup> = merged
            .into_iter()
            .enumerate()
            .filter(|(_, fields)| fields.values().any(|&value| value != 0))
            .map(|(i, fields)| MetricRollup {
                queue: queue.unwrap_or_default().to_owned(),
                hour_ms: from + i as i64 * HOUR_MS,
                fields,
            })
            .collect();
        if !rollups.is_empty() {
            store.put_rollups(&rollups).await?;
        }
        let through = from + (hours as i64 - 1) * HOUR_MS;
        engine.set_rolled_up_hour(queue, through).await?;
        from = through + HOUR_MS;
    }
    Ok(())
}
