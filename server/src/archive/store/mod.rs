//! The archive's SQL storage: one trait, implemented for SQLite (`sqlite`) and PostgreSQL
//! (`postgres`), and one test suite (`server/tests/storage.rs`) run against both.
//!
//! Tables (see `migrations/*/0002_archive.sql`): `archived_jobs` (one row per job id, ordered by
//! `seq`, the order in which jobs were first recorded), the text index over each job's words,
//! `job_events` (one row per event per job, unique on its stream entry), `archive_settings`
//! (per-queue overrides) and `metric_rollups` (hourly queue metrics).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use zenith_proto::v1::{Job, JobEvent, JobState};

use super::Result;

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
/// only by a record with a larger `version`, so replaying a record changes nothing.
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
    /// contains, in order within each phrase. Empty: no text condition.
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

    /// Events of one job, oldest first, after the event at position `after` (from a previous
    /// call's returned positions); positions are opaque and increasing.
    async fn job_events(
        &self,
        job_id: &str,
        after: Option<i64>,
        limit: usize,
    ) -> Result<Vec<(i64, JobEvent)>>;

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
    todo!("archive store over {}", database.backend())
}
