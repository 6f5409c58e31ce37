//! Logs (PULSE.md, "Logs"): lines written over gRPC or straight into Redis land in one stream,
//! which `TailLogs` follows and the log archiver copies into SQL (`store`) for search, kept for
//! the log retention.

mod archiver;
mod error;
pub mod record;
mod retention;
pub mod store;
pub mod stream;
pub mod tail;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;
use zenith_proto::v1::{LogRecord, TailLogsResponse};

pub use error::{LogError, Result};
pub use store::{LogStore, SharedLogStore};
use tail::{Line, TailFilter};

use crate::queue::SharedEngine;

/// Lines one tail response carries at most.
const LINES_PER_RESPONSE: usize = 500;
/// Bytes after which a tail response is sent: with a line of at most about 600 KiB, a response
/// stays under the 4 MiB gRPC clients accept by default.
const BYTES_PER_RESPONSE: usize = 1024 * 1024;

/// Lines in responses of at most `LINES_PER_RESPONSE` lines and about `BYTES_PER_RESPONSE`.
fn responses(records: Vec<LogRecord>) -> Vec<Vec<LogRecord>> {
    let mut responses = Vec::new();
    let mut current = Vec::new();
    let mut bytes = 0;
    for record in records {
        bytes += prost::Message::encoded_len(&record);
        current.push(record);
        if current.len() >= LINES_PER_RESPONSE || bytes >= BYTES_PER_RESPONSE {
            responses.push(std::mem::take(&mut current));
            bytes = 0;
        }
    }
    if !current.is_empty() {
        responses.push(current);
    }
    responses
}
/// Entries one replay read takes.
const REPLAY_PAGE: usize = 1_000;

#[derive(Clone, Debug)]
pub struct LogConfig {
    /// How long lines stay searchable in SQL.
    pub retention: Duration,
    /// How long archived lines stay in Redis for tail replay.
    pub tail_window: Duration,
}

pub struct Logs {
    engine: SharedEngine,
    store: SharedLogStore,
    config: LogConfig,
    key: String,
    tail: broadcast::Sender<Line>,
}

pub type SharedLogs = Arc<Logs>;

/// What a write did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Written {
    pub written: usize,
    pub truncated: usize,
}

impl Logs {
    pub fn new(engine: SharedEngine, store: SharedLogStore, config: LogConfig) -> SharedLogs {
        let key = stream::key(engine.prefix());
        let (tail, _) = broadcast::channel(tail::CHANNEL_LINES);
        Arc::new(Self {
            engine,
            store,
            config,
            key,
            tail,
        })
    }

    /// Copies the stream into SQL, trims what is archived and older than the tail window,
    /// prunes SQL past the retention, and feeds live tails.
    pub async fn run(self: SharedLogs, stop: CancellationToken) {
        tokio::join!(
            archiver::run(&self, stop.clone()),
            retention::run(&self, stop.clone()),
            tail::run(&self, stop),
        );
    }

    pub fn store(&self) -> &SharedLogStore {
        &self.store
    }

    /// Checks and appends lines in one round trip, keeping their order. Errors name
    /// `records[i].<field>`.
    pub async fn write(&self, mut records: Vec<LogRecord>) -> Result<Written> {
        if records.is_empty() || records.len() > record::MAX_RECORDS {
            return Err(LogError::invalid(
                "records",
                format!("1 to {} lines per request", record::MAX_RECORDS),
            ));
        }
        let mut truncated = 0;
        let mut lines = Vec::with_capacity(records.len());
        for (i, line) in records.iter_mut().enumerate() {
            record::check(i, line)?;
            truncated += usize::from(record::truncate_message(&mut line.message));
            let json = zenith_proto::try_to_json(line)
                .map_err(|reason| LogError::invalid(format!("records[{i}]"), reason))?;
            lines.push(json.to_string());
        }
        stream::append(&mut self.engine.connection(), &self.key, &lines).await?;
        Ok(Written {
            written: lines.len(),
            truncated,
        })
    }

    /// Matching lines as responses: first those of the last `replay` still in Redis, then new
    /// ones as they arrive, until the receiver is dropped or the server stops.
    pub fn tail(
        self: &SharedLogs,
        filter: TailFilter,
        replay: Duration,
    ) -> mpsc::Receiver<Result<TailLogsResponse>> {
        let (sender, receiver) = mpsc::channel(16);
        // Subscribed before the replay is read, so no line falls between the two.
        let live = self.tail.subscribe();
        let logs = self.clone();
        let stopping = self.engine.stopping();
        tokio::spawn(async move {
            tokio::select! {
                _ = stopping.cancelled() => {}
                _ = sender.closed() => {}
                _ = logs.feed(&filter, replay, live, &sender) => {}
            }
        });
        receiver
    }

    async fn feed(
        &self,
        filter: &TailFilter,
        replay: Duration,
        mut live: broadcast::Receiver<Line>,
        sender: &mpsc::Sender<Result<TailLogsResponse>>,
    ) {
        let mut replayed: Option<(u64, u64)> = None;
        if !replay.is_zero() {
            let from = archiver::unix_ms().saturating_sub(replay.as_millis() as u64);
            let mut start = format!("{from}-0");
            let mut conn = self.engine.connection();
            loop {
                let entries = match stream::range(&mut conn, &self.key, &start, REPLAY_PAGE).await {
                    Ok(entries) => entries,
                    Err(error) => {
                        let _ = sender.send(Err(error.into())).await;
                        return;
                    }
                };
                let Some(last) = entries.last() else { break };
                replayed = Some(stream::entry_order(&last.id));
                start = format!("({}", last.id);
                let full = entries.len() == REPLAY_PAGE;
                let records: Vec<LogRecord> = entries
                    .iter()
                    .map(|entry| record::from_entry(&entry.id, &entry.fields).0)
                    .filter(|line| filter.matches(line))
                    .collect();
                for chunk in responses(records) {
                    let response = TailLogsResponse {
                        records: chunk,
                        skipped: 0,
                    };
                    if sender.send(Ok(response)).await.is_err() {
                        return;
                    }
                }
                if !full {
                    break;
                }
            }
        }
        loop {
            let mut records = Vec::new();
            let mut bytes = 0;
            let mut skipped = 0i64;
            // Waits for one line, then takes what else is already there.
            let mut next = live.recv().await;
            loop {
                match next {
                    Ok(line) => {
                        let fresh =
                            replayed.is_none_or(|last| stream::entry_order(&line.id) > last);
                        if fresh && filter.matches(&line) {
                            bytes += prost::Message::encoded_len(line.as_ref());
                            records.push(LogRecord::clone(&line));
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(missed)) => skipped += missed as i64,
                    Err(broadcast::error::RecvError::Closed) => return,
                }
                if records.len() >= LINES_PER_RESPONSE || bytes >= BYTES_PER_RESPONSE {
                    break;
                }
                next = match live.try_recv() {
                    Ok(line) => Ok(line),
                    Err(broadcast::error::TryRecvError::Lagged(missed)) => {
                        Err(broadcast::error::RecvError::Lagged(missed))
                    }
                    Err(_) => break,
                };
            }
            if records.is_empty() && skipped == 0 {
                continue;
            }
            if sender
                .send(Ok(TailLogsResponse { records, skipped }))
                .await
                .is_err()
            {
                return;
            }
        }
    }
}
