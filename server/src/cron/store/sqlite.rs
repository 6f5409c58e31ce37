//! Schedules on SQLite. `cron_runs` is a rowid table: bounded deletes and the last-run lookup
//! go by rowid.

use std::collections::HashMap;

use prost::Message;
use sqlx::sqlite::SqliteArguments;
use sqlx::{QueryBuilder, Sqlite, SqlitePool};

use super::{
    RUN_COLUMNS, RunCursor, SCHEDULE_COLUMNS, ScheduleStore, StoredRun, StoredSchedule,
    run_from_row, schedule_from_row,
};
use crate::archive::Result;
use crate::archive::store::limit_param;

type Query<'q> = sqlx::query::Query<'q, Sqlite, SqliteArguments<'q>>;

pub struct SqliteSchedules {
    pool: SqlitePool,
}

impl SqliteSchedules {
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }
}

/// Binds the columns of `SCHEDULE_COLUMNS` after `id`, in order.
fn bind_schedule_columns<'q>(query: Query<'q>, schedule: &'q StoredSchedule) -> Query<'q> {
    query
        .bind(schedule.spec.encode_to_vec())
        .bind(schedule.queue())
        .bind(schedule.origin as i32)
        .bind(schedule.paused)
        .bind(schedule.paused_by.as_str())
        .bind(schedule.paused_at_ms)
        .bind(schedule.pause_reason.as_str())
        .bind(schedule.next_fire_ms)
        .bind(schedule.created_by.as_str())
        .bind(schedule.created_at_ms)
        .bind(schedule.updated_by.as_str())
        .bind(schedule.updated_at_ms)
}

#[async_trait::async_trait]
impl ScheduleStore for SqliteSchedules {
    async fn insert(&self, schedule: &StoredSchedule) -> Result<bool> {
        let sql = format!(
            "INSERT INTO cron_schedules ({SCHEDULE_COLUMNS}) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING"
        );
        let query = sqlx::query(&sql).bind(schedule.id());
        let done = bind_schedule_columns(query, schedule)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn replace(&self, schedule: &StoredSchedule) -> Result<bool> {
        let query = sqlx::query(
            "UPDATE cron_schedules SET spec = ?, queue = ?, origin = ?, paused = ?, \
             paused_by = ?, paused_at_ms = ?, pause_reason = ?, next_fire_ms = ?, \
             created_by = ?, created_at_ms = ?, updated_by = ?, updated_at_ms = ? WHERE id = ?",
        );
        let done = bind_schedule_columns(query, schedule)
            .bind(schedule.id())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn get(&self, id: &str) -> Result<Option<StoredSchedule>> {
        let sql = format!("SELECT {SCHEDULE_COLUMNS} FROM cron_schedules WHERE id = ?");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(schedule_from_row).transpose()
    }

    async fn list(
        &self,
        after_id: &str,
        queue: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StoredSchedule>> {
        let mut sql = QueryBuilder::<Sqlite>::new(format!(
            "SELECT {SCHEDULE_COLUMNS} FROM cron_schedules WHERE id > "
        ));
        sql.push_bind(after_id);
        if let Some(queue) = queue {
            sql.push(" AND queue = ").push_bind(queue);
        }
        sql.push(" ORDER BY id LIMIT ")
            .push_bind(limit_param(limit));
        let rows = sql.build().fetch_all(&self.pool).await?;
        rows.iter().map(schedule_from_row).collect()
    }

    async fn delete(&self, id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM cron_schedules WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn set_next_fire(&self, id: &str, next_fire_ms: Option<i64>) -> Result<()> {
        sqlx::query("UPDATE cron_schedules SET next_fire_ms = ? WHERE id = ?")
            .bind(next_fire_ms)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn record_run(&self, run: &StoredRun) -> Result<()> {
        // A fired run replaces a skipped one (a replica that saw the previous run unfinished
        // met one that fired); any other meeting keeps the first record.
        let on_conflict = if run.manual {
            "DO NOTHING"
        } else {
            "DO UPDATE SET job_id = excluded.job_id, queue = excluded.queue, \
             trigger = excluded.trigger, state = excluded.state, \
             enqueued_at_ms = excluded.enqueued_at_ms, finished_at_ms = excluded.finished_at_ms, \
             duration_ms = excluded.duration_ms, triggered_by = excluded.triggered_by, \
             checked_at_ms = NULL \
             WHERE cron_runs.job_id = '' AND excluded.job_id <> ''"
        };
        let sql = format!(
            "INSERT INTO cron_runs ({RUN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (schedule_id, fire_time_ms, manual) {on_conflict}"
        );
        sqlx::query(&sql)
            .bind(run.schedule_id.as_str())
            .bind(run.fire_time_ms)
            .bind(run.manual)
            .bind(run.job_id.as_str())
            .bind(run.queue.as_str())
            .bind(run.trigger as i32)
            .bind(run.state as i32)
            .bind(run.enqueued_at_ms)
            .bind(run.finished_at_ms)
            .bind(run.duration_ms)
            .bind(run.triggered_by.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn run_of_job(&self, schedule_id: &str, job_id: &str) -> Result<Option<StoredRun>> {
        let sql =
            format!("SELECT {RUN_COLUMNS} FROM cron_runs WHERE schedule_id = ? AND job_id = ?");
        let row = sqlx::query(&sql)
            .bind(schedule_id)
            .bind(job_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(run_from_row).transpose()
    }

    async fn last_fired_run(&self, schedule_id: &str) -> Result<Option<StoredRun>> {
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM cron_runs WHERE schedule_id = ? AND job_id <> '' \
             ORDER BY fire_time_ms DESC, manual DESC LIMIT 1"
        );
        let row = sqlx::query(&sql)
            .bind(schedule_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(run_from_row).transpose()
    }

    async fn last_runs(&self, schedule_ids: &[String]) -> Result<HashMap<String, StoredRun>> {
        if schedule_ids.is_empty() {
            return Ok(HashMap::new());
        }
        // The ids travel as one JSON array, whatever their number; each finds its newest run
        // through the primary key.
        let ids = serde_json::to_string(schedule_ids).expect("a list of strings encodes");
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM cron_runs WHERE rowid IN (\
             SELECT (SELECT rowid FROM cron_runs WHERE schedule_id = wanted.value \
             ORDER BY fire_time_ms DESC, manual DESC LIMIT 1) FROM json_each(?) AS wanted)"
        );
        let rows = sqlx::query(&sql).bind(ids).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| run_from_row(row).map(|run| (run.schedule_id.clone(), run)))
            .collect()
    }

    async fn list_runs(
        &self,
        schedule_id: Option<&str>,
        after: Option<&RunCursor>,
        limit: usize,
    ) -> Result<Vec<StoredRun>> {
        let mut sql =
            QueryBuilder::<Sqlite>::new(format!("SELECT {RUN_COLUMNS} FROM cron_runs WHERE 1 = 1"));
        if let Some(schedule_id) = schedule_id {
            sql.push(" AND schedule_id = ").push_bind(schedule_id);
        }
        if let Some(after) = after {
            sql.push(" AND (fire_time_ms, schedule_id, manual) < (")
                .push_bind(after.fire_time_ms)
                .push(", ")
                .push_bind(after.schedule_id.as_str())
                .push(", ")
                .push_bind(after.manual)
                .push(")");
        }
        sql.push(" ORDER BY fire_time_ms DESC, schedule_id DESC, manual DESC LIMIT ")
            .push_bind(limit_param(limit));
        let rows = sql.build().fetch_all(&self.pool).await?;
        rows.iter().map(run_from_row).collect()
    }

    async fn take_unfinished(&self, now_ms: i64, limit: usize) -> Result<Vec<StoredRun>> {
        // One statement: taking and marking are atomic. state = 1 is RUN_STATE_RUNNING, written
        // out so that the partial index applies; SQLite sorts NULLs (never checked) first.
        let sql = format!(
            "UPDATE cron_runs SET checked_at_ms = ? WHERE rowid IN (\
             SELECT rowid FROM cron_runs WHERE state = 1 ORDER BY checked_at_ms LIMIT ?) \
             RETURNING {RUN_COLUMNS}"
        );
        let rows = sqlx::query(&sql)
            .bind(now_ms)
            .bind(limit_param(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(run_from_row).collect()
    }

    async fn finish_run(&self, run: &StoredRun) -> Result<()> {
        sqlx::query(
            "UPDATE cron_runs SET state = ?, finished_at_ms = ?, duration_ms = ? \
             WHERE schedule_id = ? AND fire_time_ms = ? AND manual = ? AND state = 1",
        )
        .bind(run.state as i32)
        .bind(run.finished_at_ms)
        .bind(run.duration_ms)
        .bind(run.schedule_id.as_str())
        .bind(run.fire_time_ms)
        .bind(run.manual)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn prune_runs(&self, cutoff_ms: i64, limit: usize) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM cron_runs WHERE rowid IN (\
             SELECT rowid FROM cron_runs WHERE fire_time_ms < ? LIMIT ?)",
        )
        .bind(cutoff_ms)
        .bind(limit_param(limit))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }
}
