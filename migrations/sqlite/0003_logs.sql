-- Archived log lines, one row per stream entry (id unique, so replays change nothing). seq is
-- the rowid that the text index refers to.
CREATE TABLE logs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    logged_at_ms INTEGER NOT NULL,
    received_at_ms INTEGER NOT NULL,
    -- zenith.v1.LogLevel number.
    level INTEGER NOT NULL,
    message TEXT NOT NULL,
    service TEXT NOT NULL,
    node_id TEXT NOT NULL,
    queue TEXT NOT NULL,
    job_id TEXT NOT NULL,
    target TEXT NOT NULL,
    -- A JSON object of strings.
    fields TEXT NOT NULL
);
CREATE INDEX logs_job ON logs (job_id, logged_at_ms, id);
CREATE INDEX logs_time ON logs (logged_at_ms, id);
CREATE INDEX logs_queue ON logs (queue, logged_at_ms, id);
CREATE INDEX logs_service ON logs (service, logged_at_ms, id);
-- Retention goes by when the server received a line.
CREATE INDEX logs_received ON logs (received_at_ms);

-- Words of each message (text::message_search_text), rowid = logs.seq. Contentless, with the
-- diacritics kept, as for the job archive.
CREATE VIRTUAL TABLE logs_text USING fts5 (
    words,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 0'
);
