//! Retention: archived jobs and events older than their queue's retention are deleted in
//! bounded batches, by a background loop and on demand (PruneArchive).

use tokio_util::sync::CancellationToken;

use super::Result;
use super::settings::SharedSettings;
use super::store::{Pruned, SharedArchive};

/// Prunes every queue (or one) now, until nothing older than its retention is left.
pub async fn prune_now(
    store: &SharedArchive,
    settings: &SharedSettings,
    queue: Option<&str>,
) -> Result<Pruned> {
    todo!("{queue:?} {} {:?}", store.backend(), settings.defaults())
}

/// The background sweep, on every replica.
pub async fn run(store: SharedArchive, settings: SharedSettings, stop: CancellationToken) {
    let _ = (store, settings);
    stop.cancelled().await
}
