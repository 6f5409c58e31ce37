use std::collections::HashMap;

use sqlx::PgPool;

use super::{RunCursor, ScheduleStore, StoredRun, StoredSchedule};
use crate::archive::Result;

pub struct PostgresSchedules {
    pool: PgPool,
}

impl PostgresSchedules {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait::async_trait]
impl ScheduleStore for PostgresSchedules {
    async fn insert(&self, schedule: &StoredSchedule) -> Result<bool> {
        let _ = (&self.pool, schedule);
        todo!()
    }
    async fn replace(&self, schedule: &StoredSchedule) -> Result<bool> {
        let _ = schedule;
        todo!()
    }
    async fn get(&self, id: &str) -> Result<Option<StoredSchedule>> {
        let _ = id;
        todo!()
    }
    async fn list(
        &self,
        after_id: &str,
        queue: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StoredSchedule>> {
        let _ = (after_id, queue, limit);
        todo!()
    }
    async fn delete(&self, id: &str) -> Result<bool> {
        let _ = id;
        todo!()
    }
    async fn set_next_fire(&self, id: &str, next_fire_ms: Option<i64>) -> Result<()> {
        let _ = (id, next_fire_ms);
        todo!()
    }
    async fn record_run(&self, run: &StoredRun) -> Result<()> {
        let _ = run;
        todo!()
    }
    async fn run_of_job(&self, schedule_id: &str, job_id: &str) -> Result<Option<StoredRun>> {
        let _ = (schedule_id, job_id);
        todo!()
    }
    async fn last_runs(&self, schedule_ids: &[String]) -> Result<HashMap<String, StoredRun>> {
        let _ = schedule_ids;
        todo!()
    }
    async fn list_runs(
        &self,
        schedule_id: Option<&str>,
        after: Option<&RunCursor>,
        limit: usize,
    ) -> Result<Vec<StoredRun>> {
        let _ = (schedule_id, after, limit);
        todo!()
    }
    async fn take_unfinished(&self, now_ms: i64, limit: usize) -> Result<Vec<StoredRun>> {
        let _ = (now_ms, limit);
        todo!()
    }
    async fn finish_run(&self, run: &StoredRun) -> Result<()> {
        let _ = run;
        todo!()
    }
    async fn prune_runs(&self, cutoff_ms: i64, limit: usize) -> Result<u64> {
        let _ = (cutoff_ms, limit);
        todo!()
    }
}
