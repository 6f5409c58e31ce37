-- Cron schedules, one row per schedule id. The definition is the prost-encoded
-- zenith.v1.ScheduleSpec; queue is copied out of it for the queue filter.
CREATE TABLE cron_schedules (
    id TEXT PRIMARY KEY,
    spec BLOB NOT NULL,
    queue TEXT NOT NULL,
    -- zenith.v1.ScheduleOrigin number.
    origin INTEGER NOT NULL,
    paused INTEGER NOT NULL,
    paused_by TEXT NOT NULL,
    paused_at_ms INTEGER,
    pause_reason TEXT NOT NULL,
    next_fire_ms INTEGER,
    created_by TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at_ms INTEGER NOT NULL
);
CREATE INDEX cron_schedules_queue ON cron_schedules (queue, id);

-- Runs, one per (schedule, fire time, manual): replicas recording the same fire meet on the key.
-- The primary key also serves one schedule's runs newest first and its last run.
CREATE TABLE cron_runs (
    schedule_id TEXT NOT NULL,
    fire_time_ms INTEGER NOT NULL,
    manual INTEGER NOT NULL,
    -- Empty for a skipped run.
    job_id TEXT NOT NULL,
    queue TEXT NOT NULL,
    -- zenith.v1.RunTrigger number.
    trigger INTEGER NOT NULL,
    -- zenith.v1.RunState number.
    state INTEGER NOT NULL,
    enqueued_at_ms INTEGER,
    finished_at_ms INTEGER,
    duration_ms INTEGER,
    triggered_by TEXT NOT NULL,
    -- When the server last looked at the run's job while it was running.
    checked_at_ms INTEGER,
    PRIMARY KEY (schedule_id, fire_time_ms, manual)
);
-- All runs newest first, and pruning by age.
CREATE INDEX cron_runs_fire_time ON cron_runs (fire_time_ms, schedule_id, manual);
CREATE INDEX cron_runs_job ON cron_runs (schedule_id, job_id);
-- The last run that made a job, past any skipped ones: what OVERLAP_POLICY_SKIP looks at.
CREATE INDEX cron_runs_fired ON cron_runs (schedule_id, fire_time_ms, manual) WHERE job_id <> '';
-- Running runs (RUN_STATE_RUNNING = 1), least recently checked first (NULLs sort first).
CREATE INDEX cron_runs_running ON cron_runs (checked_at_ms) WHERE state = 1;
