-- The job archive: one row per job id, in the order jobs were first recorded (seq).
CREATE TABLE archived_jobs (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    queue TEXT NOT NULL,
    type TEXT NOT NULL,
    -- zenith.v1.JobState number.
    state INTEGER NOT NULL,
    -- Completed, dead, cancelled or deleted by an operator: the state no longer changes.
    finished BOOLEAN NOT NULL,
    created_at_ms BIGINT NOT NULL,
    finished_at_ms BIGINT,
    version BIGINT NOT NULL,
    -- The prost-encoded zenith.v1.Job.
    job BYTEA NOT NULL,
    -- Words of the job (text::search_text), one lexeme each, with positions for phrases.
    words TSVECTOR NOT NULL
);
CREATE INDEX archived_jobs_queue_seq ON archived_jobs (queue, seq);
CREATE INDEX archived_jobs_retention ON archived_jobs (queue, finished_at_ms) WHERE finished;
CREATE INDEX archived_jobs_words ON archived_jobs USING GIN (words);

-- Every event of every job's life, unique per stream entry so that replays change nothing.
CREATE TABLE job_events (
    pos BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id TEXT NOT NULL,
    queue TEXT NOT NULL,
    entry TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    -- zenith.v1.JobEventKind number.
    kind INTEGER NOT NULL,
    -- The prost-encoded zenith.v1.JobEvent.
    event BYTEA NOT NULL,
    UNIQUE (queue, entry, job_id)
);
CREATE INDEX job_events_job ON job_events (job_id, pos);
CREATE INDEX job_events_retention ON job_events (queue, at_ms);

-- Per-queue overrides of the archive defaults; NULL follows the default.
CREATE TABLE archive_settings (
    queue TEXT PRIMARY KEY,
    retention_s BIGINT,
    index_on_enqueue BOOLEAN
);

-- Hourly sums of a queue's per-minute counters ('' for all queues); fields is a JSON object.
CREATE TABLE metric_rollups (
    queue TEXT NOT NULL,
    hour_ms BIGINT NOT NULL,
    fields TEXT NOT NULL,
    PRIMARY KEY (queue, hour_ms)
);
