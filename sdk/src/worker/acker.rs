//! Batches acks: completed jobs are acknowledged together in one call.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tonic::Code;
use zenith_proto::v1::JobAck;

use crate::Client;
use crate::worker::{Backoff, display_chain};

/// Send side of the batcher; each clone can queue acks.
#[derive(Clone)]
pub(crate) struct AckSender(mpsc::Sender<JobAck>);

impl AckSender {
    pub(crate) async fn send(&self, ack: JobAck) {
        if self.0.send(ack).await.is_err() {
            tracing::error!("ack batcher stopped; the job will be redelivered");
        }
    }
}

/// Spawns the batcher. It flushes when `max_batch` acks are waiting or `linger` after the
/// first, and finishes once every sender is dropped and the last batch is flushed.
pub(crate) fn spawn(
    client: Client,
    max_batch: usize,
    linger: Duration,
) -> (AckSender, JoinHandle<()>) {
    let (sender, mut receiver) = mpsc::channel(max_batch * 4);
    let task = tokio::spawn(async move {
        let mut batch = Vec::with_capacity(max_batch);
        while receiver.recv_many(&mut batch, max_batch).await > 0 {
            if batch.len() < max_batch {
                // Let acks of jobs finishing right now join this batch.
                tokio::time::sleep(linger).await;
                while batch.len() < max_batch {
                    match receiver.try_recv() {
                        Ok(ack) => batch.push(ack),
                        Err(_) => break,
                    }
                }
            }
            flush(&client, std::mem::take(&mut batch)).await;
        }
    });
    (AckSender(sender), task)
}

/// Tries a batch until it lands, the server refuses it, or about a lease's worth of retries
/// passed; an ack that never lands only means the job runs again.
async fn flush(client: &Client, acks: Vec<JobAck>) {
    let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
    for _ in 0..10 {
        match client.ack(acks.clone()).await {
            Ok(response) => {
                tracing::debug!(acked = response.acked, batch = acks.len(), "acked jobs");
                return;
            }
            Err(error) if error.code() == Some(Code::FailedPrecondition) => {
                // The others in the batch were acked; the stale ones already run elsewhere.
                tracing::warn!(error = %display_chain(&error), batch = acks.len(), "stale leases in ack batch");
                return;
            }
            Err(error) if error.is_transient() => {
                let delay = backoff.next_delay();
                tracing::warn!(error = %display_chain(&error), retry_in = ?delay, "ack failed; retrying");
                tokio::time::sleep(delay).await;
            }
            Err(error) => {
                tracing::error!(error = %display_chain(&error), batch = acks.len(), "ack refused");
                return;
            }
        }
    }
    tracing::error!(
        batch = acks.len(),
        "giving up on ack batch; its jobs will be redelivered"
    );
}
