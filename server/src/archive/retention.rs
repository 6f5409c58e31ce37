//! Retention: archived jobs and events older than their queue's retention are deleted in
//! bounded batches, by a background loop and on demand (PruneArchive).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::Rng;
use tokio_util::sync::CancellationToken;

use super::Result;
use super::settings::SharedSettings;
use super::store::{PruneScope, Pruned, SharedArchive};

/// Rows one prune statement deletes at most, so no statement holds SQL writers back for long.
const PRUNE_BATCH: usize = 1000;
/// Pause between batches: lets the archiver's transactions in (SQLite has one writer).
const BATCH_PAUSE: Duration = Duration::from_millis(5);
/// The first background sweep comes this soon after start at the latest.
const FIRST_SWEEP_WITHIN: Duration = Duration::from_secs(60);

/// Prunes every queue (or one) now, until nothing older than its retention is left.
pub async fn prune_now(
    store: &SharedArchive,
    settings: &SharedSettings,
    queue: Option<&str>,
) -> Result<Pruned> {
    let now_ms = now_ms();
    let cutoff = |retention: Duration| now_ms.saturating_sub(retention.as_millis() as i64);
    if let Some(queue) = queue {
        let retention = settings.for_queue(queue).retention;
        return prune_scope(
            store,
            &PruneScope::Queue(queue.to_owned()),
            cutoff(retention),
        )
        .await;
    }
    let overrides = settings.overrides();
    let mut total = Pruned::default();
    for queue in &overrides {
        let retention = settings.for_queue(&queue.queue).retention;
        let scope = PruneScope::Queue(queue.queue.clone());
        add(
            &mut total,
            prune_scope(store, &scope, cutoff(retention)).await?,
        );
    }
    let others = PruneScope::AllExcept(overrides.into_iter().map(|found| found.queue).collect());
    let default_cutoff = cutoff(settings.defaults().retention);
    add(
        &mut total,
        prune_scope(store, &others, default_cutoff).await?,
    );
    Ok(total)
}

/// Deletes in batches until a batch comes back short of the limit.
async fn prune_scope(store: &SharedArchive, scope: &PruneScope, cutoff_ms: i64) -> Result<Pruned> {
    let mut total = Pruned::default();
    loop {
        let pruned = store.prune(scope, cutoff_ms, PRUNE_BATCH).await?;
        add(&mut total, pruned);
        if pruned.jobs < PRUNE_BATCH as u64 && pruned.events < PRUNE_BATCH as u64 {
            return Ok(total);
        }
        tokio::time::sleep(BATCH_PAUSE).await;
    }
}

fn add(total: &mut Pruned, pruned: Pruned) {
    total.jobs += pruned.jobs;
    total.events += pruned.events;
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as i64)
}

/// The background sweep, on every replica: the first within a minute of start (sooner for
/// short intervals), then one every `interval`, each moved by a random tenth so replicas
/// started together do not sweep together. Two replicas sweeping at once delete disjoint or
/// already deleted rows, which is harmless.
pub async fn run(
    store: SharedArchive,
    settings: SharedSettings,
    interval: Duration,
    stop: CancellationToken,
) {
    let mut wait = interval
        .min(FIRST_SWEEP_WITHIN)
        .mul_f64(rand::rng().random_range(0.5..1.0));
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
        let started = tokio::time::Instant::now();
        match crate::metrics::loop_pass("retention", prune_now(&store, &settings, None)).await {
            Ok(pruned) if pruned.jobs > 0 || pruned.events > 0 => tracing::info!(
                jobs = pruned.jobs,
                events = pruned.events,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "archive pruned"
            ),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "archive prune failed"),
        }
        wait = interval.mul_f64(rand::rng().random_range(0.9..1.1));
    }
}
