//! The loops every replica runs: tick due schedules, keep the Redis index whole from SQL,
//! follow runs to their end, prune old runs. Exactly-once comes from the job id of each fire
//! (`fire_job_id`); the per-schedule lock only saves replicas from doing the same work.

use std::future::Future;
use std::sync::LazyLock;
use std::time::Duration;

use redis::Script;
use tokio_util::sync::CancellationToken;
use zenith_proto::v1::{MisfirePolicy, RunState, RunTrigger};

use super::plan::{Plan, Policy, plan};
use super::spec::{DEFAULT_CATCH_UP_WINDOW, DEFAULT_MISFIRE_GRACE};
use super::{
    CronError, Result, SharedCron, StoredRun, duration_of, finished_state, fire_job_id, jitter_ms,
};
use crate::archive::ArchiveError;
use crate::queue::{QueueError, timestamp_to_ms};

const TICK_EVERY: Duration = Duration::from_millis(250);
/// Due schedules one tick takes at most; the rest are next.
const DUE_PER_TICK: usize = 100;
/// Fire times one schedule fires per tick at most (catching up); the rest wait a tick.
const FIRES_PER_SCHEDULE: usize = 100;
/// About one schedule's tick; a replica that dies holding it delays the schedule by at most
/// this (less than the least misfire grace). Outliving it only means two replicas do the same,
/// harmless, work.
const LOCK_TTL: Duration = Duration::from_secs(2);
const RECONCILE_EVERY: Duration = Duration::from_secs(60);
const RECONCILE_PAGE: usize = 500;
const FINALIZE_EVERY: Duration = Duration::from_secs(2);
const FINALIZE_BATCH: usize = 100;
/// How long one follow-up pass keeps taking batches: runs must not be made faster than looked at.
const FINALIZE_BUDGET: Duration = Duration::from_secs(1);
const PRUNE_EVERY: Duration = Duration::from_secs(600);
const PRUNE_BATCH: usize = 1000;
/// Batches one prune pass deletes at most, so a huge backlog cannot hold the loop.
const PRUNE_PASSES: usize = 20;

/// Moves a schedule's index entry from the fire time it was handled at to the next one (or
/// removes it), only if nobody moved it meanwhile.
static ADVANCE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) ~= tonumber(ARGV[2]) then return 0 end
if ARGV[3] == '' then
  redis.call('ZREM', KEYS[1], ARGV[1])
else
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
end
return 1",
    )
});

static UNLOCK: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0",
    )
});

pub async fn run(cron: SharedCron, stop: CancellationToken) {
    tokio::join!(
        every(TICK_EVERY, &stop, "cron_tick", "cron tick failed", || cron
            .tick()),
        every(
            RECONCILE_EVERY,
            &stop,
            "cron_reconcile",
            "cron index reconcile failed",
            || cron.reconcile()
        ),
        every(
            FINALIZE_EVERY,
            &stop,
            "cron_finalize",
            "cron run follow-up failed",
            || cron.finalize_runs()
        ),
        every(
            PRUNE_EVERY,
            &stop,
            "cron_prune",
            "cron run pruning failed",
            || cron.prune_runs()
        ),
    );
}

/// Runs `work` every `period` (the first time at once) until `stop`, each pass as loop `name`.
async fn every<F, Fut>(
    period: Duration,
    stop: &CancellationToken,
    name: &'static str,
    failed: &str,
    mut work: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<()>>,
{
    let mut interval = tokio::time::interval(period);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = interval.tick() => {}
        }
        if let Err(error) = crate::metrics::loop_pass(name, work()).await {
            tracing::warn!(%error, "{failed}");
        }
    }
}

impl super::Cron {
    async fn tick(&self) -> Result<()> {
        let now = self.now_ms().await?;
        let mut conn = self.engine.background_connection();
        let due: Vec<(String, f64)> = redis::cmd("ZRANGE")
            .arg(&self.due_key)
            .arg("-inf")
            .arg(now)
            .arg("BYSCORE")
            .arg("LIMIT")
            .arg(0)
            .arg(DUE_PER_TICK)
            .arg("WITHSCORES")
            .query_async(&mut conn)
            .await
            .map_err(QueueError::from)?;
        for (id, score) in due {
            let lock = format!("{}{id}", self.lock_prefix);
            let token = format!("{:016x}", rand::random::<u64>());
            let locked: Option<String> = redis::cmd("SET")
                .arg(&lock)
                .arg(&token)
                .arg("NX")
                .arg("PX")
                .arg(LOCK_TTL.as_millis() as u64)
                .query_async(&mut conn)
                .await
                .map_err(QueueError::from)?;
            if locked.is_none() {
                continue;
            }
            // Another replica may have handled this fire time between the read and the lock.
            let current: Option<f64> = redis::cmd("ZSCORE")
                .arg(&self.due_key)
                .arg(&id)
                .query_async(&mut conn)
                .await
                .map_err(QueueError::from)?;
            let result = if current == Some(score) {
                self.tick_schedule(&id, score as i64, now).await
            } else {
                Ok(())
            };
            UNLOCK
                .key(&lock)
                .arg(&token)
                .invoke_async::<i64>(&mut conn)
                .await
                .map_err(QueueError::from)?;
            if let Err(error) = result {
                tracing::warn!(schedule = %id, %error, "schedule tick failed");
            }
        }
        Ok(())
    }

    async fn tick_schedule(&self, id: &str, first_due: i64, now: i64) -> Result<()> {
        let stored = match self.store.get(id).await {
            Err(ArchiveError::Corrupt { message, .. }) => Err(message),
            other => Ok(other?),
        };
        let schedule = match stored {
            Ok(Some(schedule)) if !schedule.paused => schedule,
            Ok(_) => {
                self.advance(id, first_due, None).await?;
                return Ok(());
            }
            Err(message) => return self.drop_unreadable(id, first_due, &message).await,
        };
        let spec = &schedule.spec;
        let cadence = match super::spec::cadence_of(spec) {
            Ok(cadence) => cadence,
            Err(error) => {
                return self
                    .drop_unreadable(id, first_due, &error.to_string())
                    .await;
            }
        };
        let policy = Policy {
            misfire: MisfirePolicy::try_from(spec.misfire).unwrap_or(MisfirePolicy::FireOnce),
            grace: duration_of(spec.misfire_grace.as_ref(), DEFAULT_MISFIRE_GRACE),
            catch_up_window: duration_of(spec.catch_up_window.as_ref(), DEFAULT_CATCH_UP_WINDOW),
        };
        let Plan { fires, next } = plan(&cadence, &policy, first_due, now, FIRES_PER_SCHEDULE);
        for (fire_ms, trigger) in fires {
            let job_id = fire_job_id(id, fire_ms);
            if self.previous_unfinished(&schedule, &job_id).await? {
                self.store
                    .record_run(&StoredRun {
                        schedule_id: id.to_owned(),
                        fire_time_ms: fire_ms,
                        manual: false,
                        job_id: String::new(),
                        queue: schedule.queue().to_owned(),
                        trigger,
                        state: RunState::Skipped,
                        enqueued_at_ms: None,
                        finished_at_ms: None,
                        duration_ms: None,
                        triggered_by: String::new(),
                    })
                    .await?;
                tracing::info!(
                    schedule = id,
                    fire_ms,
                    "fire skipped: previous run unfinished"
                );
                continue;
            }
            // A made-up misfire runs now; a fire on time runs at its time plus its jitter.
            let run_at = match trigger {
                RunTrigger::Schedule => fire_ms + jitter_ms(spec, fire_ms),
                _ => now,
            };
            match self
                .fire(&schedule, job_id, fire_ms, run_at, trigger, "")
                .await
            {
                Ok(_) => {}
                // The stored template no longer passes (a lower payload limit): firing again
                // cannot help, so the fire time passes with the error logged.
                Err(CronError::InvalidArgument { field, message }) => {
                    tracing::error!(schedule = id, fire_ms, field, message, "fire refused")
                }
                Err(error) => return Err(error),
            }
        }
        if self.advance(id, first_due, next).await? {
            self.store.set_next_fire(id, next).await?;
        }
        Ok(())
    }

    /// A stored schedule this build cannot read never fires: it leaves the index, loudly,
    /// instead of coming due (and failing) on every tick ahead of the others.
    async fn drop_unreadable(&self, id: &str, first_due: i64, message: &str) -> Result<()> {
        tracing::error!(
            schedule = id,
            message,
            "stored schedule unreadable; it will not fire"
        );
        self.advance(id, first_due, None).await?;
        Ok(())
    }

    async fn advance(&self, id: &str, from: i64, next: Option<i64>) -> Result<bool> {
        let moved: i64 = ADVANCE
            .key(&self.due_key)
            .arg(id)
            .arg(from)
            .arg(next.map(|n| n.to_string()).unwrap_or_default())
            .invoke_async(&mut self.engine.background_connection())
            .await
            .map_err(QueueError::from)?;
        Ok(moved == 1)
    }

    /// Puts every enabled schedule missing from the index back, at its stored next fire time:
    /// after Redis lost its data, the misfire policy then decides about the time passed.
    async fn reconcile(&self) -> Result<()> {
        let now = self.now_ms().await?;
        let mut after = String::new();
        loop {
            let page = self.store.list(&after, None, RECONCILE_PAGE).await?;
            let mut pipe = redis::pipe();
            for schedule in page.iter().filter(|s| !s.paused) {
                let next = schedule.next_fire_ms.or_else(|| {
                    super::spec::cadence_of(&schedule.spec)
                        .ok()
                        .and_then(|cadence| cadence.next_after(now))
                });
                if let Some(next) = next {
                    pipe.cmd("ZADD")
                        .arg(&self.due_key)
                        .arg("NX")
                        .arg(next)
                        .arg(schedule.id())
                        .ignore();
                }
            }
            if pipe.cmd_iter().next().is_some() {
                pipe.query_async::<()>(&mut self.engine.background_connection())
                    .await
                    .map_err(QueueError::from)?;
            }
            match page.last() {
                Some(last) if page.len() == RECONCILE_PAGE => after = last.id().to_owned(),
                _ => return Ok(()),
            }
        }
    }

    /// Looks at unfinished runs' jobs and records the end of those that finished.
    async fn finalize_runs(&self) -> Result<()> {
        let started = tokio::time::Instant::now();
        while self.finalize_batch().await? == FINALIZE_BATCH && started.elapsed() < FINALIZE_BUDGET
        {
        }
        Ok(())
    }

    /// Looks at one batch of unfinished runs; returns how many it took.
    async fn finalize_batch(&self) -> Result<usize> {
        let now = self.now_ms().await?;
        let runs = self.store.take_unfinished(now, FINALIZE_BATCH).await?;
        let taken = runs.len();
        for mut run in runs {
            match self.job_of(&run).await? {
                Some(job) => {
                    let Some(state) = finished_state(job.state()) else {
                        continue;
                    };
                    let finished = job.finished_at.as_ref().map(timestamp_to_ms);
                    let started = job.started_at.as_ref().map(timestamp_to_ms);
                    run.state = state;
                    run.finished_at_ms = finished.or(Some(now));
                    run.duration_ms = finished
                        .zip(started)
                        .map(|(finished, started)| (finished - started).max(0));
                }
                None => {
                    run.state = RunState::Deleted;
                    run.finished_at_ms = Some(now);
                }
            }
            self.store.finish_run(&run).await?;
        }
        Ok(taken)
    }

    async fn prune_runs(&self) -> Result<()> {
        let cutoff = self.now_ms().await? - self.config.run_retention.as_millis() as i64;
        for _ in 0..PRUNE_PASSES {
            if self.store.prune_runs(cutoff, PRUNE_BATCH).await? < PRUNE_BATCH as u64 {
                break;
            }
        }
        Ok(())
    }
}
