//! Cron schedules (CRON.md): definitions and run history in SQL (`store`), the next-fire index
//! in Redis, and a ticker on every replica that makes exactly one job per (schedule, fire time).

pub mod cadence;
mod error;
mod plan;
pub mod spec;
pub mod store;
mod ticker;

use std::sync::Arc;
use std::time::Duration;

use redis::AsyncCommands;
use tokio_util::sync::CancellationToken;
use zenith_proto::v1::{
    Job, JobState, OverlapPolicy, RunState, RunTrigger, Schedule, ScheduleOrigin, ScheduleRun,
    ScheduleSpec,
};

pub use cadence::{Cadence, CadenceError};
pub use error::{CronError, Result};
pub use store::{RunCursor, ScheduleStore, SharedScheduleStore, StoredRun, StoredSchedule};

use crate::api::Limits;
use crate::archive::SharedArchive;
use crate::queue::{QueueError, SharedEngine, proto_duration, timestamp_from_ms, timestamp_to_ms};
use crate::telemetry::TraceHeaders;

/// Milliseconds after its trigger time a manual run may be recorded at, when others took them.
const MANUAL_RUN_SLOTS: usize = 16;

#[derive(Clone, Debug)]
pub struct CronConfig {
    /// How long runs stay in SQL.
    pub run_retention: Duration,
    pub limits: Limits,
}

pub struct Cron {
    engine: SharedEngine,
    store: SharedScheduleStore,
    archive: SharedArchive,
    config: CronConfig,
    /// ZSET: schedule id → next fire time (ms since the epoch), enabled schedules only.
    due_key: String,
    lock_prefix: String,
}

pub type SharedCron = Arc<Cron>;

/// The job a scheduled fire makes: the same on every replica, so only one is ever enqueued.
pub fn fire_job_id(schedule_id: &str, fire_ms: i64) -> String {
    format!("cron:{schedule_id}:{fire_ms}")
}

/// The job a manual trigger makes: from the request id when given, so a retried trigger finds
/// its first job.
fn manual_job_id(schedule_id: &str, request_id: &str) -> String {
    let suffix = if request_id.is_empty() {
        rand::random::<u64>()
    } else {
        fnv1a(request_id.as_bytes())
    };
    format!("cron:{schedule_id}:m{suffix:016x}")
}

/// FNV-1a: stable across builds and replicas, unlike std's hasher.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

pub fn rfc3339_utc(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|time| time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// The job's share of the jitter for one fire time, the same on every replica.
fn jitter_ms(spec: &ScheduleSpec, fire_ms: i64) -> i64 {
    let Some(jitter) = spec.jitter.as_ref() else {
        return 0;
    };
    let max = jitter.seconds * 1000 + i64::from(jitter.nanos) / 1_000_000;
    if max <= 0 {
        return 0;
    }
    let seed = fnv1a(format!("{}:{fire_ms}", spec.id).as_bytes());
    (seed % (max as u64 + 1)) as i64
}

fn duration_of(duration: Option<&prost_types::Duration>, default: Duration) -> Duration {
    duration
        .map(|d| Duration::new(d.seconds.max(0) as u64, d.nanos.max(0) as u32))
        .unwrap_or(default)
}

fn run_view(run: StoredRun) -> ScheduleRun {
    ScheduleRun {
        schedule_id: run.schedule_id,
        fire_time: Some(timestamp_from_ms(run.fire_time_ms)),
        job_id: run.job_id,
        queue: run.queue,
        trigger: run.trigger as i32,
        state: run.state as i32,
        enqueued_at: run.enqueued_at_ms.map(timestamp_from_ms),
        finished_at: run.finished_at_ms.map(timestamp_from_ms),
        duration: run
            .duration_ms
            .map(|ms| proto_duration(Duration::from_millis(ms.max(0) as u64))),
        triggered_by: run.triggered_by,
    }
}

/// A job's state as a run's, once the job has finished.
fn finished_state(state: JobState) -> Option<RunState> {
    match state {
        JobState::Completed => Some(RunState::Completed),
        JobState::Dead => Some(RunState::Failed),
        JobState::Cancelled => Some(RunState::Cancelled),
        JobState::Deleted => Some(RunState::Deleted),
        _ => None,
    }
}

/// Whether an upsert or update changes when the schedule fires.
fn same_cadence(a: &ScheduleSpec, b: &ScheduleSpec) -> bool {
    a.cron == b.cron && a.interval == b.interval && a.time_zone == b.time_zone
}

/// What a trigger did.
pub struct Triggered {
    pub run: ScheduleRun,
    pub job: Option<Job>,
}

impl Cron {
    pub fn new(
        engine: SharedEngine,
        store: SharedScheduleStore,
        archive: SharedArchive,
        config: CronConfig,
    ) -> SharedCron {
        let prefix = engine.prefix().to_owned();
        Arc::new(Self {
            engine,
            store,
            archive,
            config,
            due_key: format!("{prefix}:cron:due"),
            lock_prefix: format!("{prefix}:cron:lock:"),
        })
    }

    pub fn limits(&self) -> &Limits {
        &self.config.limits
    }

    async fn now_ms(&self) -> Result<i64> {
        let (seconds, micros): (i64, i64) = redis::cmd("TIME")
            .query_async(&mut self.engine.connection())
            .await
            .map_err(QueueError::from)?;
        Ok(seconds * 1000 + micros / 1000)
    }

    /// Puts a schedule's next fire time in the index, or takes it out. SQL has the change
    /// already, so a failure here is repaired rather than reported: a missing entry comes back
    /// within a minute (reconcile), a stale one leaves when it comes due (the tick reads SQL).
    async fn index(&self, id: &str, next_fire_ms: Option<i64>) {
        let mut conn = self.engine.connection();
        let written = match next_fire_ms {
            Some(next) => conn.zadd::<_, _, _, ()>(&self.due_key, id, next).await,
            None => conn.zrem::<_, _, ()>(&self.due_key, id).await,
        };
        if let Err(error) = written {
            tracing::warn!(schedule = id, %error, "cron index not updated; reconcile will");
        }
    }

    async fn view(&self, schedule: StoredSchedule) -> Result<Schedule> {
        let mut last = self
            .store
            .last_runs(std::slice::from_ref(&schedule.spec.id))
            .await?;
        let last_run = last.remove(&schedule.spec.id);
        Ok(schedule_view(schedule, last_run))
    }

    pub async fn create(
        &self,
        spec: Option<ScheduleSpec>,
        paused: bool,
        actor: &str,
    ) -> Result<Schedule> {
        let checked = spec::check(spec, &self.config.limits)?;
        let now = self.now_ms().await?;
        let next_fire_ms = if paused {
            None
        } else {
            checked.cadence.next_after(now)
        };
        let schedule = new_schedule(
            checked.spec,
            ScheduleOrigin::Api,
            paused,
            actor,
            now,
            next_fire_ms,
        );
        if !self.store.insert(&schedule).await? {
            return Err(CronError::AlreadyExists(schedule.spec.id));
        }
        self.index(schedule.id(), next_fire_ms).await;
        tracing::info!(schedule = schedule.id(), actor, "schedule created");
        Ok(schedule_view(schedule, None))
    }

    /// Replaces a stored definition; `origin` says who declared the new one. The next fire
    /// time moves only when the cadence changed: else a tick's advance could be undone.
    async fn redefine(
        &self,
        existing: &StoredSchedule,
        checked: spec::CheckedSpec,
        origin: ScheduleOrigin,
        actor: &str,
    ) -> Result<StoredSchedule> {
        let now = self.now_ms().await?;
        let next_fire_ms = if same_cadence(&existing.spec, &checked.spec) {
            None
        } else {
            checked.cadence.next_after(now)
        };
        let schedule = self
            .store
            .update_definition(&checked.spec, origin, actor, now, next_fire_ms)
            .await?
            .ok_or_else(|| CronError::NotFound(checked.spec.id.clone()))?;
        if !schedule.paused && next_fire_ms.is_some() {
            self.index(schedule.id(), schedule.next_fire_ms).await;
        }
        tracing::info!(schedule = schedule.id(), actor, "schedule changed");
        Ok(schedule)
    }

    pub async fn update(&self, spec: Option<ScheduleSpec>, actor: &str) -> Result<Schedule> {
        let checked = spec::check(spec, &self.config.limits)?;
        let existing = self.get_stored(&checked.spec.id).await?;
        let schedule = self
            .redefine(&existing, checked, ScheduleOrigin::Api, actor)
            .await?;
        self.view(schedule).await
    }

    /// Returns the schedule, whether it was created, and whether anything changed.
    pub async fn upsert(
        &self,
        spec: Option<ScheduleSpec>,
        actor: &str,
    ) -> Result<(Schedule, bool, bool)> {
        let checked = spec::check(spec, &self.config.limits)?;
        let existing = match self.store.get(&checked.spec.id).await? {
            Some(existing) => existing,
            None => {
                let now = self.now_ms().await?;
                let next_fire_ms = checked.cadence.next_after(now);
                let schedule = new_schedule(
                    checked.spec.clone(),
                    ScheduleOrigin::Code,
                    false,
                    actor,
                    now,
                    next_fire_ms,
                );
                if self.store.insert(&schedule).await? {
                    self.index(schedule.id(), next_fire_ms).await;
                    tracing::info!(schedule = schedule.id(), actor, "schedule declared");
                    return Ok((schedule_view(schedule, None), true, true));
                }
                // Another worker declared it at the same moment: compare with theirs.
                self.get_stored(&checked.spec.id).await?
            }
        };
        if existing.spec == checked.spec {
            return Ok((self.view(existing).await?, false, false));
        }
        let schedule = self
            .redefine(&existing, checked, ScheduleOrigin::Code, actor)
            .await?;
        Ok((self.view(schedule).await?, false, true))
    }

    async fn get_stored(&self, id: &str) -> Result<StoredSchedule> {
        self.store
            .get(id)
            .await?
            .ok_or_else(|| CronError::NotFound(id.to_owned()))
    }

    pub async fn get(&self, id: &str) -> Result<Schedule> {
        let schedule = self.get_stored(id).await?;
        self.view(schedule).await
    }

    pub async fn delete(&self, id: &str, actor: &str) -> Result<()> {
        if !self.store.delete(id).await? {
            return Err(CronError::NotFound(id.to_owned()));
        }
        self.index(id, None).await;
        tracing::info!(schedule = id, actor, "schedule deleted");
        Ok(())
    }

    /// A page of schedules after `after_id`, and whether more follow.
    pub async fn list(
        &self,
        after_id: &str,
        queue: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<Schedule>, bool)> {
        let mut schedules = self.store.list(after_id, queue, limit + 1).await?;
        let more = schedules.len() > limit;
        schedules.truncate(limit);
        let ids: Vec<String> = schedules.iter().map(|s| s.spec.id.clone()).collect();
        let mut last = self.store.last_runs(&ids).await?;
        let views = schedules
            .into_iter()
            .map(|schedule| {
                let run = last.remove(&schedule.spec.id);
                schedule_view(schedule, run)
            })
            .collect();
        Ok((views, more))
    }

    pub async fn pause(&self, id: &str, reason: &str, actor: &str) -> Result<Schedule> {
        let now = self.now_ms().await?;
        let (schedule, changed) = self
            .store
            .pause(id, actor, now, reason)
            .await?
            .ok_or_else(|| CronError::NotFound(id.to_owned()))?;
        if changed {
            self.index(id, None).await;
            tracing::info!(schedule = id, actor, reason, "schedule paused");
        }
        self.view(schedule).await
    }

    pub async fn resume(&self, id: &str, actor: &str) -> Result<Schedule> {
        let cadence = self.stored_cadence(id).await?;
        let next_fire_ms = cadence.next_after(self.now_ms().await?);
        let (schedule, changed) = self
            .store
            .resume(id, next_fire_ms)
            .await?
            .ok_or_else(|| CronError::NotFound(id.to_owned()))?;
        if changed {
            self.index(id, schedule.next_fire_ms).await;
            tracing::info!(schedule = id, actor, "schedule resumed");
        }
        self.view(schedule).await
    }

    pub async fn trigger(&self, id: &str, request_id: &str, actor: &str) -> Result<Triggered> {
        let schedule = self.get_stored(id).await?;
        let job_id = manual_job_id(id, request_id);
        // A repeated request finds its run, even once its job has left Redis.
        if !request_id.is_empty()
            && let Some(run) = self.store.run_of_job(id, &job_id).await?
        {
            return self.triggered(run).await;
        }
        let now = self.now_ms().await?;
        let fired = self
            .fire(
                &schedule,
                job_id.clone(),
                now,
                now,
                RunTrigger::Manual,
                actor,
            )
            .await?;
        let run = match fired {
            Some(run) => run,
            None => match self.store.run_of_job(id, &job_id).await? {
                Some(run) => run,
                // The job exists but its run does not: the first request failed between the
                // two. Its run is keyed by the job's creation, the same for every retry.
                None => {
                    let job = self.engine.get_job(&job_id, Some(schedule.queue())).await?;
                    let created_ms = job.created_at.as_ref().map_or(now, timestamp_to_ms);
                    let run = StoredRun {
                        schedule_id: id.to_owned(),
                        fire_time_ms: created_ms,
                        manual: true,
                        job_id: job_id.clone(),
                        queue: job.queue.clone(),
                        trigger: RunTrigger::Manual,
                        state: RunState::Running,
                        enqueued_at_ms: Some(created_ms),
                        finished_at_ms: None,
                        duration_ms: None,
                        triggered_by: actor.to_owned(),
                    };
                    self.store.record_run(&run).await?;
                    run
                }
            },
        };
        self.triggered(run).await
    }

    /// A run's job, from Redis or else the archive (none once gone from both).
    async fn job_of(&self, run: &StoredRun) -> Result<Option<Job>> {
        match self.engine.get_job(&run.job_id, Some(&run.queue)).await {
            Ok(job) => Ok(Some(job)),
            Err(QueueError::JobNotFound(_) | QueueError::QueueNotFound(_)) => Ok(self
                .archive
                .get_job(&run.job_id)
                .await?
                .map(|archived| archived.job)),
            Err(error) => Err(error.into()),
        }
    }

    async fn triggered(&self, run: StoredRun) -> Result<Triggered> {
        let job = self.job_of(&run).await?;
        Ok(Triggered {
            run: run_view(run),
            job,
        })
    }

    /// Enqueues the job of one fire and records the run; `None` when the job already existed
    /// (another replica, or a repeated trigger, made it).
    async fn fire(
        &self,
        schedule: &StoredSchedule,
        job_id: String,
        fire_ms: i64,
        run_at_ms: i64,
        trigger: RunTrigger,
        actor: &str,
    ) -> Result<Option<StoredRun>> {
        let mut job = spec::job_for_fire(
            &schedule.spec,
            job_id.clone(),
            fire_ms,
            run_at_ms,
            &self.config.limits,
        )?;
        // The tick's (or the trigger call's) span, when spans are exported.
        if let Some(trace) = TraceHeaders::of(&tracing::Span::current()) {
            trace.apply(&mut job.headers);
        }
        let queue = job.queue.clone();
        let enqueued = self
            .engine
            .enqueue(vec![job], &format!("cron:{}", schedule.id()))
            .await?;
        let Some(enqueued) = enqueued.into_iter().next() else {
            return Ok(None);
        };
        let manual = trigger == RunTrigger::Manual;
        let mut run = StoredRun {
            schedule_id: schedule.id().to_owned(),
            fire_time_ms: fire_ms,
            manual,
            job_id,
            queue,
            trigger,
            state: RunState::Running,
            enqueued_at_ms: enqueued.created_at_ms.or(Some(fire_ms)),
            finished_at_ms: None,
            duration_ms: None,
            triggered_by: if manual {
                actor.to_owned()
            } else {
                String::new()
            },
        };
        // A scheduled fire is recorded even when its job existed: the replica that enqueued it
        // may have died before recording. A repeated trigger has its run already.
        if !manual {
            self.store.record_run(&run).await?;
        } else if !enqueued.duplicate {
            self.record_manual(&mut run).await?;
        }
        Ok((!enqueued.duplicate).then_some(run))
    }

    /// Records a manual run at the first free millisecond from its trigger time, so that two
    /// triggers within one millisecond keep a run each.
    async fn record_manual(&self, run: &mut StoredRun) -> Result<()> {
        for _ in 0..MANUAL_RUN_SLOTS {
            self.store.record_run(run).await?;
            if self
                .store
                .run_of_job(&run.schedule_id, &run.job_id)
                .await?
                .is_some()
            {
                return Ok(());
            }
            run.fire_time_ms += 1;
        }
        tracing::warn!(schedule = %run.schedule_id, job = %run.job_id, "manual run not recorded: no free millisecond");
        Ok(())
    }

    /// Whether the previous run of a schedule that skips overlaps is still unfinished.
    async fn previous_unfinished(&self, schedule: &StoredSchedule, job_id: &str) -> Result<bool> {
        if OverlapPolicy::try_from(schedule.spec.overlap) != Ok(OverlapPolicy::Skip) {
            return Ok(false);
        }
        let Some(previous) = self.store.last_fired_run(&schedule.spec.id).await? else {
            return Ok(false);
        };
        if previous.job_id == job_id || previous.state != RunState::Running {
            return Ok(false);
        }
        match self
            .engine
            .get_job(&previous.job_id, Some(&previous.queue))
            .await
        {
            Ok(job) => Ok(finished_state(job.state()).is_none()),
            Err(QueueError::JobNotFound(_)) => Ok(false),
            Err(error) => Err(error.into()),
        }
    }

    pub async fn preview(
        &self,
        cadence: &Cadence,
        after_ms: Option<i64>,
        count: usize,
    ) -> Result<Vec<i64>> {
        let mut cursor = match after_ms {
            Some(after) => after,
            None => self.now_ms().await?,
        };
        let mut times = Vec::with_capacity(count);
        while times.len() < count {
            let Some(next) = cadence.next_after(cursor) else {
                break;
            };
            times.push(next);
            cursor = next;
        }
        Ok(times)
    }

    pub async fn stored_cadence(&self, id: &str) -> Result<Cadence> {
        let schedule = self.get_stored(id).await?;
        spec::cadence_of(&schedule.spec)
    }

    pub async fn list_runs(
        &self,
        schedule_id: Option<&str>,
        after: Option<&RunCursor>,
        limit: usize,
    ) -> Result<(Vec<(RunCursor, ScheduleRun)>, bool)> {
        let mut runs = self.store.list_runs(schedule_id, after, limit + 1).await?;
        let more = runs.len() > limit;
        runs.truncate(limit);
        Ok((
            runs.into_iter()
                .map(|run| (run.cursor(), run_view(run)))
                .collect(),
            more,
        ))
    }

    /// Ticks schedules, keeps the index whole, follows runs to their end and prunes old ones,
    /// until `stop`.
    pub async fn run(self: Arc<Self>, stop: CancellationToken) {
        ticker::run(self, stop).await
    }
}

/// A schedule as first stored, by `actor` at `now`.
fn new_schedule(
    spec: ScheduleSpec,
    origin: ScheduleOrigin,
    paused: bool,
    actor: &str,
    now: i64,
    next_fire_ms: Option<i64>,
) -> StoredSchedule {
    StoredSchedule {
        spec,
        origin,
        paused,
        paused_by: if paused {
            actor.to_owned()
        } else {
            String::new()
        },
        paused_at_ms: paused.then_some(now),
        pause_reason: String::new(),
        next_fire_ms,
        created_by: actor.to_owned(),
        created_at_ms: now,
        updated_by: actor.to_owned(),
        updated_at_ms: now,
    }
}

fn schedule_view(schedule: StoredSchedule, last_run: Option<StoredRun>) -> Schedule {
    Schedule {
        paused: schedule.paused,
        next_fire_at: schedule
            .next_fire_ms
            .filter(|_| !schedule.paused)
            .map(timestamp_from_ms),
        last_run: last_run.map(run_view),
        origin: schedule.origin as i32,
        created_by: schedule.created_by,
        created_at: Some(timestamp_from_ms(schedule.created_at_ms)),
        updated_by: schedule.updated_by,
        updated_at: Some(timestamp_from_ms(schedule.updated_at_ms)),
        paused_by: schedule.paused_by,
        paused_at: schedule.paused_at_ms.map(timestamp_from_ms),
        pause_reason: schedule.pause_reason,
        spec: Some(schedule.spec),
    }
}
