//! The audit log's writer: calls hand their events to a bounded queue, and one task writes them
//! to SQL in batches. A full queue makes callers wait rather than drop events.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::store::{AuditRecord, AuthStore};

const QUEUE_CAPACITY: usize = 4096;
const MAX_BATCH: usize = 256;
const RETRY_DELAY: Duration = Duration::from_secs(1);

#[derive(Clone)]
pub struct Auditor {
    sender: mpsc::Sender<AuditRecord>,
}

pub struct AuditWriter {
    receiver: mpsc::Receiver<AuditRecord>,
    store: AuthStore,
}

impl Auditor {
    pub fn new(store: AuthStore) -> (Self, AuditWriter) {
        let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
        (Self { sender }, AuditWriter { receiver, store })
    }

    pub async fn record(&self, event: AuditRecord) {
        if let Err(error) = self.sender.send(event).await {
            let event = error.0;
            tracing::error!(
                principal = event.principal,
                rpc = event.rpc,
                code = event.code,
                "audit writer stopped; event not stored"
            );
        }
    }
}

impl AuditWriter {
    pub async fn run(mut self, stop: CancellationToken) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                received = self.receiver.recv_many(&mut batch, MAX_BATCH) => {
                    if received == 0 {
                        break;
                    }
                }
            }
            crate::metrics::loop_pass("audit_writer", self.write(&mut batch, &stop)).await;
        }
        // Calls have finished by the time the loops stop: store what they left.
        self.receiver.close();
        while self.receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
            crate::metrics::loop_pass("audit_writer", self.write(&mut batch, &stop)).await;
        }
    }

    /// Writes the batch, retrying while SQL is down; gives up only when stopping after a
    /// failed attempt.
    async fn write(&self, batch: &mut Vec<AuditRecord>, stop: &CancellationToken) {
        loop {
            match self.store.append_audit(batch).await {
                Ok(()) => {
                    batch.clear();
                    return;
                }
                Err(error) if stop.is_cancelled() => {
                    tracing::error!(%error, events = batch.len(), "could not store audit events at shutdown");
                    batch.clear();
                    return;
                }
                Err(error) => {
                    tracing::warn!(%error, events = batch.len(), "could not store audit events; retrying");
                    tokio::time::sleep(RETRY_DELAY).await;
                }
            }
        }
    }
}
