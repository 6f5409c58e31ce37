-- The job archive: one row per job id, in the order jobs were first recorded (seq = rowid).
CREATE TABLE archived_jobs (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    queue TEXT NOT NULL,
    type TEXT NOT NULL,
    -- zenith.v1.JobState number.
    state INTEGER NOT NULL,
    -- Completed, dead, cancelled or deleted by an operator: the state no longer changes.
    finished INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL,
    finished_at_ms INTEGER,
    version INTEGER NOT NULL,
    -- The prost-encoded zenith.v1.Job.
    job BLOB NOT NULL
);
CREATE INDEX archived_jobs_queue_seq ON archived_jobs (queue, seq);
CREATE INDEX archived_jobs_retention ON archived_jobs (queue, finished_at_ms) WHERE finished = 1;

-- Words of each job (text::search_text), rowid = archived_jobs.seq. Contentless: the words live
-- only in the index. Diacritics are kept so that SQLite matches exactly the words PostgreSQL does.
CREATE VIRTUAL TABLE archived_jobs_text USING fts5 (
    words,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 0'
);

-- Every event of every job's life, unique per stream entry so that replays change nothing.
CREATE TABLE job_events (
    pos INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL,
    queue TEXT NOT NULL,
    entry TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    -- zenith.v1.JobEventKind number.
    kind INTEGER NOT NULL,
    -- The prost-encoded zenith.v1.JobEvent.
    event BLOB NOT NULL,
    UNIQUE (queue, entry, job_id)
);
CREATE INDEX job_events_job ON job_events (job_id, pos);
CREATE INDEX job_events_retention ON job_events (queue, at_ms);

-- Per-queue overrides of the archive defaults; NULL follows the default.
CREATE TABLE archive_settings (
    queue TEXT PRIMARY KEY,
    retention_s INTEGER,
    index_on_enqueue INTEGER
);

-- Hourly sums of a queue's per-minute counters ('' for all queues); fields is a JSON object.
CREATE TABLE metric_rollups (
    queue TEXT NOT NULL,
    hour_ms INTEGER NOT NULL,
    fields TEXT NOT NULL,
    PRIMARY KEY (queue, hour_ms)
);
