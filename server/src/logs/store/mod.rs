//! The one place logs speak SQL: a SQLite and a PostgreSQL implementation of `LogStore`, tested
//! against both in `server/tests/storage.rs`.
//!
//! Table `logs` (`migrations/*/0003_logs.sql`): one row per stream entry id, so the archiver
//! can replay a batch harmlessly, with a text index over the words of each message.

mod postgres;
mod sqlite;

use std::collections::BTreeMap;
use std::sync::Arc;

use zenith_proto::v1::{LogFilter, LogRecord};

use crate::archive::{ArchiveError, Result};

/// Where a line stands in search order: by when it was logged, then by its entry id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogCursor {
    pub logged_at_ms: i64,
    pub id: String,
}

/// Archived lines matching every condition.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LogQuery {
    /// Phrases (lists of words as `text::words` makes them) that must all occur in the message.
    pub phrases: Vec<Vec<String>>,
    pub filter: LogFilter,
    /// Logged at or after (ms since the epoch).
    pub since_ms: Option<i64>,
    /// Logged before (ms since the epoch).
    pub until_ms: Option<i64>,
    pub oldest_first: bool,
    /// Only lines past this one in the chosen order: the paging cursor.
    pub after: Option<LogCursor>,
    pub limit: usize,
}

#[async_trait::async_trait]
pub trait LogStore: Send + Sync {
    /// Writes lines in one transaction; lines whose id is already stored are ignored. Every
    /// record has its `id`, `time` and `received_at` set.
    async fn insert(&self, records: &[LogRecord]) -> Result<()>;

    /// Lines matching the query, in its order, with the cursor of each.
    async fn search(&self, query: &LogQuery) -> Result<Vec<(LogCursor, LogRecord)>>;

    /// A job's lines, oldest first, at most `limit`.
    async fn job_lines(&self, job_id: &str, limit: usize) -> Result<Vec<LogRecord>>;

    /// Deletes up to `limit` lines received before `cutoff_ms` (the server's clock: a writer's
    /// wrong clock must not delete lines early or keep them forever); returns how many.
    async fn prune(&self, cutoff_ms: i64, limit: usize) -> Result<u64>;

    /// Number of archived lines, for tests and status.
    async fn count(&self) -> Result<u64>;
}

pub type SharedLogStore = Arc<dyn LogStore>;

/// The log store over the server's database.
pub fn open(database: &crate::db::Database) -> SharedLogStore {
    match database {
        crate::db::Database::Sqlite(pool) => Arc::new(sqlite::SqliteLogs::new(pool.clone())),
        crate::db::Database::Postgres(pool) => Arc::new(postgres::PostgresLogs::new(pool.clone())),
    }
}

/// A record as its row's columns.
struct LogRow<'a> {
    id: &'a str,
    logged_at_ms: i64,
    received_at_ms: i64,
    level: i32,
    message: &'a str,
    service: &'a str,
    node_id: &'a str,
    queue: &'a str,
    job_id: &'a str,
    target: &'a str,
    fields: String,
    text: String,
}

impl<'a> LogRow<'a> {
    fn new(record: &'a LogRecord) -> Self {
        let fields: BTreeMap<&String, &String> = record.fields.iter().collect();
        Self {
            id: &record.id,
            logged_at_ms: record.time.as_ref().map_or(0, timestamp_ms),
            received_at_ms: record.received_at.as_ref().map_or(0, timestamp_ms),
            level: record.level,
            message: &record.message,
            service: &record.service,
            node_id: &record.node_id,
            queue: &record.queue,
            job_id: &record.job_id,
            target: &record.target,
            fields: serde_json::to_string(&fields).expect("a map of strings encodes"),
            text: crate::archive::text::message_search_text(&record.message),
        }
    }
}

const COLUMNS: &str = "id, logged_at_ms, received_at_ms, level, message, service, node_id, queue, job_id, target, fields";

fn timestamp_ms(at: &prost_types::Timestamp) -> i64 {
    at.seconds
        .saturating_mul(1000)
        .saturating_add(i64::from(at.nanos / 1_000_000))
}

fn timestamp(ms: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: ms.div_euclid(1000),
        nanos: (ms.rem_euclid(1000) * 1_000_000) as i32,
    }
}

/// A row read back: the columns of `COLUMNS`, in order.
fn record_from_row<R>(row: &R) -> Result<(LogCursor, LogRecord)>
where
    R: sqlx::Row,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i32: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let id: String = row.try_get("id")?;
    let logged_at_ms: i64 = row.try_get("logged_at_ms")?;
    let fields: String = row.try_get("fields")?;
    let fields = serde_json::from_str(&fields).map_err(|error| ArchiveError::Corrupt {
        id: format!("log {id}"),
        message: error.to_string(),
    })?;
    let record = LogRecord {
        time: Some(timestamp(logged_at_ms)),
        level: row.try_get("level")?,
        message: row.try_get("message")?,
        service: row.try_get("service")?,
        node_id: row.try_get("node_id")?,
        queue: row.try_get("queue")?,
        job_id: row.try_get("job_id")?,
        target: row.try_get("target")?,
        fields,
        id: id.clone(),
        received_at: Some(timestamp(row.try_get("received_at_ms")?)),
    };
    Ok((LogCursor { logged_at_ms, id }, record))
}
