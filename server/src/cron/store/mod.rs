//! The one place schedules speak SQL: a SQLite and a PostgreSQL implementation of
//! `ScheduleStore`, tested against both in `server/tests/storage.rs`.
//!
//! Tables (`migrations/*/0004_cron.sql`): `cron_schedules`, one row per schedule with its
//! definition as an encoded `ScheduleSpec`; `cron_runs`, one row per (schedule, fire time,
//! manual), so replicas recording the same fire meet on the key.

mod postgres;
mod sqlite;

use std::collections::HashMap;
use std::sync::Arc;

use prost::Message;
use zenith_proto::v1::{RunState, RunTrigger, ScheduleOrigin, ScheduleSpec};

use crate::archive::{ArchiveError, Result};

/// A schedule as stored: its definition and what the server keeps about it.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredSchedule {
    pub spec: ScheduleSpec,
    pub origin: ScheduleOrigin,
    pub paused: bool,
    pub paused_by: String,
    pub paused_at_ms: Option<i64>,
    pub pause_reason: String,
    /// The next fire time as the ticker last set it; `None` while paused.
    pub next_fire_ms: Option<i64>,
    pub created_by: String,
    pub created_at_ms: i64,
    pub updated_by: String,
    pub updated_at_ms: i64,
}

impl StoredSchedule {
    pub fn id(&self) -> &str {
        &self.spec.id
    }

    /// The queue its jobs go to.
    pub fn queue(&self) -> &str {
        self.spec.job.as_ref().map_or("", |job| job.queue.as_str())
    }
}

/// One run of a schedule.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredRun {
    pub schedule_id: String,
    /// The fire time; for a manual run, when it was triggered.
    pub fire_time_ms: i64,
    /// Part of the key: a manual run never meets a scheduled one.
    pub manual: bool,
    /// Empty for a skipped run.
    pub job_id: String,
    pub queue: String,
    pub trigger: RunTrigger,
    pub state: RunState,
    pub enqueued_at_ms: Option<i64>,
    pub finished_at_ms: Option<i64>,
    pub duration_ms: Option<i64>,
    pub triggered_by: String,
}

/// Where a page of runs ended, in their order: fire time descending, then schedule id
/// descending, then manual before scheduled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunCursor {
    pub fire_time_ms: i64,
    pub schedule_id: String,
    pub manual: bool,
}

impl StoredRun {
    pub fn cursor(&self) -> RunCursor {
        RunCursor {
            fire_time_ms: self.fire_time_ms,
            schedule_id: self.schedule_id.clone(),
            manual: self.manual,
        }
    }
}

#[async_trait::async_trait]
pub trait ScheduleStore: Send + Sync {
    /// Adds a schedule; false when its id is taken (nothing changes then).
    async fn insert(&self, schedule: &StoredSchedule) -> Result<bool>;

    /// Overwrites every column of the schedule with this id; false when there is none.
    async fn replace(&self, schedule: &StoredSchedule) -> Result<bool>;

    async fn get(&self, id: &str) -> Result<Option<StoredSchedule>>;

    /// Schedules with ids after `after_id` (all when empty), ordered by id, optionally only
    /// those whose job goes to `queue`, at most `limit`.
    async fn list(
        &self,
        after_id: &str,
        queue: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StoredSchedule>>;

    /// Removes the schedule (not its runs); false when there was none.
    async fn delete(&self, id: &str) -> Result<bool>;

    /// Sets only the next fire time, leaving everything else as it is.
    async fn set_next_fire(&self, id: &str, next_fire_ms: Option<i64>) -> Result<()>;

    /// Records a run. A scheduled run (manual false) meets another record of the same
    /// (schedule, fire time) on the key: a fired run (non-empty job id) replaces a skipped one,
    /// and any other meeting keeps the row already there. A manual run is inserted unless its
    /// key exists.
    async fn record_run(&self, run: &StoredRun) -> Result<()>;

    /// The run that made this job, if any.
    async fn run_of_job(&self, schedule_id: &str, job_id: &str) -> Result<Option<StoredRun>>;

    /// The run with the latest fire time that made a job (manual or not), past skipped ones.
    async fn last_fired_run(&self, schedule_id: &str) -> Result<Option<StoredRun>>;

    /// For each id, its run with the latest fire time (manual or not); ids with no runs are
    /// absent.
    async fn last_runs(&self, schedule_ids: &[String]) -> Result<HashMap<String, StoredRun>>;

    /// Runs in cursor order (newest fire time first), only of `schedule_id` when given,
    /// strictly after `after` when given, at most `limit`.
    async fn list_runs(
        &self,
        schedule_id: Option<&str>,
        after: Option<&RunCursor>,
        limit: usize,
    ) -> Result<Vec<StoredRun>>;

    /// Up to `limit` runs in state RUNNING, those checked least recently (or never) first;
    /// marks each as checked at `now_ms` so the next call moves on to others.
    async fn take_unfinished(&self, now_ms: i64, limit: usize) -> Result<Vec<StoredRun>>;

    /// Sets a run's final state, finish time and duration (all from `run`, found by its key),
    /// only while it is RUNNING.
    async fn finish_run(&self, run: &StoredRun) -> Result<()>;

    /// Deletes up to `limit` runs whose fire time is before `cutoff_ms`; returns how many.
    async fn prune_runs(&self, cutoff_ms: i64, limit: usize) -> Result<u64>;
}

const SCHEDULE_COLUMNS: &str = "id, spec, queue, origin, paused, paused_by, paused_at_ms, \
    pause_reason, next_fire_ms, created_by, created_at_ms, updated_by, updated_at_ms";

const RUN_COLUMNS: &str = "schedule_id, fire_time_ms, manual, job_id, queue, trigger, state, \
    enqueued_at_ms, finished_at_ms, duration_ms, triggered_by";

/// A row read back: the columns of `SCHEDULE_COLUMNS`.
fn schedule_from_row<R>(row: &R) -> Result<StoredSchedule>
where
    R: sqlx::Row,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i32: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let id: String = row.try_get("id")?;
    let spec: Vec<u8> = row.try_get("spec")?;
    let spec = ScheduleSpec::decode(spec.as_slice()).map_err(|error| ArchiveError::Corrupt {
        id: format!("schedule {id}"),
        message: error.to_string(),
    })?;
    // An origin this build does not know reads as unspecified, as proto3 reads unknown enums.
    let origin = ScheduleOrigin::try_from(row.try_get::<i32, _>("origin")?).unwrap_or_default();
    Ok(StoredSchedule {
        spec,
        origin,
        paused: row.try_get("paused")?,
        paused_by: row.try_get("paused_by")?,
        paused_at_ms: row.try_get("paused_at_ms")?,
        pause_reason: row.try_get("pause_reason")?,
        next_fire_ms: row.try_get("next_fire_ms")?,
        created_by: row.try_get("created_by")?,
        created_at_ms: row.try_get("created_at_ms")?,
        updated_by: row.try_get("updated_by")?,
        updated_at_ms: row.try_get("updated_at_ms")?,
    })
}

/// A row read back: the columns of `RUN_COLUMNS`.
fn run_from_row<R>(row: &R) -> Result<StoredRun>
where
    R: sqlx::Row,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i32: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    // Enum numbers this build does not know read as unspecified, as proto3 reads them.
    let trigger = RunTrigger::try_from(row.try_get::<i32, _>("trigger")?).unwrap_or_default();
    let state = RunState::try_from(row.try_get::<i32, _>("state")?).unwrap_or_default();
    Ok(StoredRun {
        schedule_id: row.try_get("schedule_id")?,
        fire_time_ms: row.try_get("fire_time_ms")?,
        manual: row.try_get("manual")?,
        job_id: row.try_get("job_id")?,
        queue: row.try_get("queue")?,
        trigger,
        state,
        enqueued_at_ms: row.try_get("enqueued_at_ms")?,
        finished_at_ms: row.try_get("finished_at_ms")?,
        duration_ms: row.try_get("duration_ms")?,
        triggered_by: row.try_get("triggered_by")?,
    })
}

pub type SharedScheduleStore = Arc<dyn ScheduleStore>;

/// The schedule store over the server's database.
pub fn open(database: &crate::db::Database) -> SharedScheduleStore {
    match database {
        crate::db::Database::Sqlite(pool) => Arc::new(sqlite::SqliteSchedules::new(pool.clone())),
        crate::db::Database::Postgres(pool) => {
            Arc::new(postgres::PostgresSchedules::new(pool.clone()))
        }
    }
}
