//! Live tail: one reader per replica follows the stream on a dedicated connection and fans
//! lines out to every `TailLogs` subscriber through a broadcast channel, so a slow subscriber
//! only skips lines itself and never holds up the others.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use zenith_proto::v1::{LogFilter, LogRecord};

use super::{Logs, Result, record, stream};

/// Lines buffered per subscriber before it starts skipping.
pub const CHANNEL_LINES: usize = 16_384;
const BLOCK_MS: u64 = 5_000;
const READ_COUNT: usize = 1_000;
/// How long past its block a read may take before the connection counts as dead.
const READ_GRACE: Duration = Duration::from_secs(5);
const MAX_BACKOFF: Duration = Duration::from_secs(1);

pub type Line = Arc<LogRecord>;

/// What a subscriber wants: every set filter must match.
#[derive(Clone, Debug, Default)]
pub struct TailFilter {
    pub filter: LogFilter,
    /// Lowercased; empty matches every message.
    pub text: String,
}

impl TailFilter {
    pub fn matches(&self, line: &LogRecord) -> bool {
        let filter = &self.filter;
        line.level >= filter.min_level
            && (filter.service.is_empty() || filter.service == line.service)
            && (filter.node_id.is_empty() || filter.node_id == line.node_id)
            && (filter.queue.is_empty() || filter.queue == line.queue)
            && (filter.job_id.is_empty() || filter.job_id == line.job_id)
            && (self.text.is_empty() || line.message.to_lowercase().contains(&self.text))
    }
}

/// Follows the stream from its newest entry until stopped, publishing every line.
pub async fn run(logs: &Logs, stop: CancellationToken) {
    let mut after: Option<String> = None;
    let mut backoff = Duration::from_millis(50);
    loop {
        let result = tokio::select! {
            _ = stop.cancelled() => return,
            result = follow(logs, &mut after) => result,
        };
        if let Err(error) = result {
            tracing::warn!(%error, "log tail reader failed; reconnecting");
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

async fn follow(logs: &Logs, after: &mut Option<String>) -> Result<()> {
    let mut conn = logs.engine.dedicated_connection().await?;
    let position = match after {
        Some(id) => id.clone(),
        None => stream::last_id(&mut conn, &logs.key).await?,
    };
    *after = Some(position);
    loop {
        let from = after.clone().unwrap_or_default();
        // The connection has no response timeout of its own: a dead one must not hang here.
        let read = stream::read_after(&mut conn, &logs.key, &from, BLOCK_MS, READ_COUNT);
        let entries = tokio::time::timeout(Duration::from_millis(BLOCK_MS) + READ_GRACE, read)
            .await
            .map_err(|_| {
                crate::queue::QueueError::Unavailable(redis::RedisError::from((
                    redis::ErrorKind::Io,
                    "blocking log read timed out",
                )))
            })??;
        let Some(last) = entries.last() else {
            continue;
        };
        *after = Some(last.id.clone());
        // Nobody listening: nothing to parse.
        if logs.tail.receiver_count() == 0 {
            continue;
        }
        for entry in entries {
            let (line, _) = record::from_entry(&entry.id, &entry.fields);
            let _ = logs.tail.send(Arc::new(line));
        }
    }
}
