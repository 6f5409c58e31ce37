//! The archive's SQL storage: one trait, implemented for SQLite (`sqlite`) and PostgreSQL
//! (`postgres`), and one test suite (`server/tests/storage.rs`) run against both.
//!
//! Tables (see `migrations/*/0002_archive.sql`): `archived_jobs` (one row per job id, ordered by
//! `seq`, the order in which jobs were first recorded), the text index over each job's words,
//! `job_events` (one row per event per job, unique on its stream entry), `archive_settings`
//! (per-queue overrides) and `metric_rollups` (hourly queue metrics).

pub(crate) mod postgres;
pub(crate) mod sqlite;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use zenith_proto::v1::{Job, JobEvent, JobState};

use super::{ArchiveError, Result};

pub type SharedArchive = Arc<dyn ArchiveStore>;

/// A job as the archive keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct ArchivedJob {
    /// Position in recording order: larger is newer. Search pages by it.
    pub seq: i64,
    /// The job as last recorded: its final state once finished, else the state it had when
    /// indexed at enqueue.
    pub job: Job,
}

/// A version of a job to record. A job's row is written when it is first seen and replaced
/// only by a record with a larger `version`, so replaying a record changes nothing. The row
/// counts as finished (prunable once `finished_at` is older than the retention) when the job
/// is completed, dead or cancelled, or has `finished_at` set: a job deleted by an operator is
/// recorded with `finished_at` set to the deletion time.
#[derive(Clone, Debug, PartialEq)]
pub struct JobRecord {
    pub job: Job,
    /// Orders the versions of one job: derived from the stream entry that carried it.
    pub version: i64,
    /// The words search matches for this job (`text::search_text`).
    pub text: String,
}

/// One event of a job's life. `(queue, entry, job_id)` is unique, so replays are ignored.
#[derive(Clone, Debug, PartialEq)]
pub struct EventRecord {
    pub job_id: String,
    pub queue: String,
    /// The stream entry id the event came from ("<ms>-<seq>").
    pub entry: String,
    pub event: JobEvent,
}

/// Where an event stands in its job's timeline: by when it happened, then by the order it was
/// recorded in (a replica that takes over another's entries records them late).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct EventPosition {
    pub at_ms: i64,
    pub pos: i64,
}

/// What one archiver batch writes, in one transaction.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ArchiveBatch {
    pub jobs: Vec<JobRecord>,
    pub events: Vec<EventRecord>,
}

/// Candidates for a search, before the caller joins live state and checks the whole query.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SearchPlan {
    /// Phrases (each a list of words as `text::words` makes them) that every candidate's text
    /// contains, in order within each phrase. Empty: no text condition. Words are cut again
    /// by `text::words`, so other text is taken literally too; a phrase with no words in it
    /// requires nothing.
    pub phrases: Vec<Vec<String>>,
    /// Any of these queues; empty: all.
    pub queues: Vec<String>,
    /// Any of these types; empty: all.
    pub types: Vec<String>,
    /// Jobs recorded in one of these states, or recorded unfinished (whose state now only
    /// Redis knows); empty: all.
    pub states: Vec<JobState>,
    /// Created at or after (ms since the epoch).
    pub created_after_ms: Option<i64>,
    /// Created before (ms since the epoch).
    pub created_before_ms: Option<i64>,
    /// Only rows with `seq` below this: the paging cursor.
    pub before_seq: Option<i64>,
    /// At most this many rows, newest (largest seq) first.
    pub limit: usize,
}

/// Which queues a prune covers.
#[derive(Clone, Debug, PartialEq)]
pub enum PruneScope {
    Queue(String),
    /// Every queue but these (the ones with their own retention).
    AllExcept(Vec<String>),
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    pub jobs: u64,
    pub events: u64,
}

/// A queue's override of the archive defaults; unset fields follow the defaults.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SettingsOverride {
    pub queue: String,
    pub retention: Option<Duration>,
    pub index_on_enqueue: Option<bool>,
}

/// One hour of one queue's metrics (queue "" for all queues), as sums of the per-minute
/// counters in Redis: the same field names (`enqueued`, `run_n`, `wait_b7`…); `*_max` fields
/// hold maxima.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MetricRollup {
    pub queue: String,
    /// Start of the hour, ms since the epoch.
    pub hour_ms: i64,
    pub fields: BTreeMap<String, i64>,
}

#[async_trait]
pub trait ArchiveStore: Send + Sync + 'static {
    /// "sqlite" or "postgres".
    fn backend(&self) -> &'static str;

    /// Writes a batch in one transaction: all of it or none.
    async fn record(&self, batch: &ArchiveBatch) -> Result<()>;

    async fn get_job(&self, id: &str) -> Result<Option<ArchivedJob>>;

    /// Events of one job, oldest first, after the event at `after` (from a previous call).
    async fn job_events(
        &self,
        job_id: &str,
        after: Option<EventPosition>,
        limit: usize,
    ) -> Result<Vec<(EventPosition, JobEvent)>>;

    /// Rows matching the plan, newest first.
    async fn search(&self, plan: &SearchPlan) -> Result<Vec<ArchivedJob>>;

    /// Deletes up to `limit` jobs finished before `cutoff_ms` and up to `limit` events that
    /// happened before it, in the scope; callers repeat until less than `limit` is deleted.
    async fn prune(&self, scope: &PruneScope, cutoff_ms: i64, limit: usize) -> Result<Pruned>;

    async fn settings_overrides(&self) -> Result<Vec<SettingsOverride>>;
    /// Creates or replaces a queue's override.
    async fn put_settings_override(&self, settings: &SettingsOverride) -> Result<()>;
    async fn delete_settings_override(&self, queue: &str) -> Result<()>;

    /// Writes roll-ups, replacing rows of the same queue and hour.
    async fn put_rollups(&self, rollups: &[MetricRollup]) -> Result<()>;
    /// Roll-ups of one queue ("" for all) with `from_ms <= hour_ms < to_ms`, oldest first.
    async fn rollups(&self, queue: &str, from_ms: i64, to_ms: i64) -> Result<Vec<MetricRollup>>;

    /// Jobs in the archive.
    async fn count_jobs(&self) -> Result<i64>;
}

/// The archive store over the server's database.
pub fn open(database: &crate::db::Database) -> SharedArchive {
    match database {
        crate::db::Database::Sqlite(pool) => Arc::new(sqlite::SqliteArchive::new(pool.clone())),
        crate::db::Database::Postgres(pool) => {
            Arc::new(postgres::PostgresArchive::new(pool.clone()))
        }
    }
}

/// A job record as its row's columns.
struct JobRow<'a> {
    id: &'a str,
    queue: &'a str,
    r#type: &'a str,
    state: i32,
    finished: bool,
    created_at_ms: i64,
    finished_at_ms: Option<i64>,
    version: i64,
    job: Vec<u8>,
    text: &'a str,
}

/// The rows a batch writes: one per job id, the record with the largest version, since one
/// statement may not touch a row twice and smaller versions would lose anyway.
fn job_rows(records: &[JobRecord]) -> Vec<JobRow<'_>> {
    let mut newest: HashMap<&str, &JobRecord> = HashMap::with_capacity(records.len());
    for record in records {
        newest
            .entry(record.job.id.as_str())
            .and_modify(|kept| {
                if record.version > kept.version {
                    *kept = record;
                }
            })
            .or_insert(record);
    }
    // Recording order follows the batch, so seq grows with the stream.
    records
        .iter()
        .filter(|record| std::ptr::eq(newest[record.job.id.as_str()], *record))
        .map(|record| {
            let job = &record.job;
            JobRow {
                id: &job.id,
                queue: &job.queue,
                r#type: &job.r#type,
                state: job.state,
                finished: is_finished(job),
                created_at_ms: job.created_at.as_ref().map_or(0, timestamp_ms),
                finished_at_ms: job.finished_at.as_ref().map(timestamp_ms),
                version: record.version,
                job: prost::Message::encode_to_vec(job),
                text: &record.text,
            }
        })
        .collect()
}

/// Finished jobs no longer change: completed, dead, cancelled, or deleted by an operator (the
/// archiver records those with `finished_at` set).
fn is_finished(job: &Job) -> bool {
    matches!(
        job.state(),
        JobState::Completed | JobState::Dead | JobState::Cancelled | JobState::Deleted
    ) || job.finished_at.is_some()
}

/// The phrases as `text::words` cuts them, whatever the caller passed, without the ones left
/// with no words: those require nothing, as with `text::contains_phrase`.
fn phrase_words(phrases: &[Vec<String>]) -> Vec<Vec<String>> {
    phrases
        .iter()
        .map(|phrase| {
            phrase
                .iter()
                .flat_map(|word| super::text::words(word))
                .collect()
        })
        .filter(|words: &Vec<String>| !words.is_empty())
        .collect()
}

fn timestamp_ms(at: &prost_types::Timestamp) -> i64 {
    at.seconds
        .saturating_mul(1000)
        .saturating_add(i64::from(at.nanos / 1_000_000))
}

fn event_at_ms(event: &JobEvent) -> i64 {
    event.at.as_ref().map_or(0, timestamp_ms)
}

fn decode_job(seq: i64, id: &str, bytes: &[u8]) -> Result<ArchivedJob> {
    let job = prost::Message::decode(bytes).map_err(|error| ArchiveError::Corrupt {
        id: id.to_owned(),
        message: error.to_string(),
    })?;
    Ok(ArchivedJob { seq, job })
}

fn decode_event(job_id: &str, bytes: &[u8]) -> Result<JobEvent> {
    prost::Message::decode(bytes).map_err(|error| ArchiveError::Corrupt {
        id: job_id.to_owned(),
        message: format!("event: {error}"),
    })
}

fn encode_fields(fields: &BTreeMap<String, i64>) -> String {
    serde_json::to_string(fields).expect("a map of numbers encodes")
}

fn decode_fields(queue: &str, hour_ms: i64, text: &str) -> Result<BTreeMap<String, i64>> {
    serde_json::from_str(text).map_err(|error| ArchiveError::Corrupt {
        id: format!("rollup {queue}@{hour_ms}"),
        message: error.to_string(),
    })
}

pub(crate) fn limit_param(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

fn retention_seconds(retention: std::time::Duration) -> i64 {
    i64::try_from(retention.as_secs()).unwrap_or(i64::MAX)
}
