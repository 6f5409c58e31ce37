//! The log archiver: copies the stream into SQL through the consumer group `log-archiver`,
//! acknowledging entries only after the commit, and trims the stream by age without ever
//! dropping an entry the group has not acknowledged.
//!
//! Every replica runs it; the group shares entries between them. Rows are unique on the entry
//! id, so a round replayed after a crash between commit and acknowledgement changes nothing.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::Result;
use super::{Logs, record, stream};
use crate::queue::{FORGET_CONSUMERS_EVERY, FORGET_CONSUMERS_IDLE, forget_idle_consumers};

/// Entries one round reads at most: one transaction stays short after an outage.
const ENTRIES_PER_ROUND: usize = 5_000;
const IDLE_WAIT: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(1);
/// Entries stuck with a dead replica are claimed this often, once this idle.
const CLAIM_EVERY: Duration = Duration::from_secs(5);
const CLAIM_MIN_IDLE: Duration = Duration::from_secs(15);
const TRIM_EVERY: Duration = Duration::from_secs(1);

pub async fn run(logs: &Logs, stop: CancellationToken) {
    let mut archiver = Archiver {
        logs,
        consumer: format!("log-archiver-{}", uuid::Uuid::now_v7()),
        grouped: false,
        read_pending: true,
        claimed_at: None,
        trimmed_at: None,
        consumers_forgotten_at: None,
    };
    let mut backoff = Duration::from_millis(50);
    let mut failing = false;
    loop {
        let result = tokio::select! {
            _ = stop.cancelled() => return,
            result = crate::metrics::loop_pass("log_archiver", archiver.round()) => result,
        };
        let wait = match result {
            Ok(archived) => {
                if failing {
                    tracing::info!("log archiving resumed");
                    failing = false;
                }
                backoff = Duration::from_millis(50);
                if archived > 0 {
                    continue;
                }
                IDLE_WAIT
            }
            Err(error) => {
                if !failing {
                    tracing::warn!(%error, "log archiving paused; retrying");
                    failing = true;
                }
                archiver.read_pending = true;
                archiver.grouped = false;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                backoff
            }
        };
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

struct Archiver<'a> {
    logs: &'a Logs,
    /// Unique per process, so a restarted server never takes another's pending entries as its own.
    consumer: String,
    grouped: bool,
    /// Read this consumer's own pending entries before new ones.
    read_pending: bool,
    claimed_at: Option<tokio::time::Instant>,
    trimmed_at: Option<tokio::time::Instant>,
    consumers_forgotten_at: Option<tokio::time::Instant>,
}

fn due(last: Option<tokio::time::Instant>, every: Duration) -> bool {
    last.is_none_or(|at| at.elapsed() >= every)
}

impl Archiver<'_> {
    /// One round; returns how many entries it archived.
    async fn round(&mut self) -> Result<usize> {
        let mut conn = self.logs.engine.background_connection();
        let key = &self.logs.key;
        if !self.grouped {
            stream::create_group(&mut conn, key).await?;
            self.grouped = true;
        }
        if due(self.trimmed_at, TRIM_EVERY) {
            let older_than =
                unix_ms().saturating_sub(self.logs.config.tail_window.as_millis() as u64);
            let trimmed = stream::trim(&mut conn, key, older_than).await?;
            if trimmed > 0 {
                tracing::debug!(trimmed, "log stream trimmed");
            }
            self.trimmed_at = Some(tokio::time::Instant::now());
        }
        let mut entries = Vec::new();
        if due(self.claimed_at, CLAIM_EVERY) {
            entries = stream::claim_stale(
                &mut conn,
                key,
                &self.consumer,
                CLAIM_MIN_IDLE.as_millis() as u64,
                ENTRIES_PER_ROUND,
            )
            .await?;
            if !entries.is_empty() {
                tracing::info!(
                    claimed = entries.len(),
                    "claimed log lines a stopped replica left unarchived"
                );
            }
            self.claimed_at = Some(tokio::time::Instant::now());
        }
        if due(self.consumers_forgotten_at, FORGET_CONSUMERS_EVERY) {
            let forgotten = forget_idle_consumers(
                &mut conn,
                std::slice::from_ref(key),
                stream::ARCHIVER_GROUP,
                &self.consumer,
                FORGET_CONSUMERS_IDLE,
            )
            .await?;
            if forgotten > 0 {
                tracing::info!(
                    forgotten,
                    "forgot log archiver consumers of stopped replicas"
                );
            }
            self.consumers_forgotten_at = Some(tokio::time::Instant::now());
        }
        if entries.is_empty() && self.read_pending {
            entries = stream::read_group(&mut conn, key, &self.consumer, true, ENTRIES_PER_ROUND)
                .await
                .inspect_err(|_| self.grouped = false)?;
            self.read_pending = !entries.is_empty();
        }
        if entries.is_empty() {
            entries = stream::read_group(&mut conn, key, &self.consumer, false, ENTRIES_PER_ROUND)
                .await
                .inspect_err(|_| self.grouped = false)?;
        }
        if entries.is_empty() {
            return Ok(0);
        }
        let mut lines = Vec::with_capacity(entries.len());
        let mut ids = Vec::with_capacity(entries.len());
        for entry in entries {
            let (line, malformed) = record::from_entry(&entry.id, &entry.fields);
            if malformed {
                tracing::warn!(entry = %entry.id, "malformed log entry archived as raw text");
            }
            lines.push(line);
            ids.push(entry.id);
        }
        self.logs.store.insert(&lines).await?;
        stream::ack(&mut conn, key, &ids).await?;
        tracing::debug!(lines = ids.len(), "log lines archived");
        Ok(ids.len())
    }
}

pub fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as u64)
}
