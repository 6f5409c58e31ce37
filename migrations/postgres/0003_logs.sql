-- Archived log lines, one row per stream entry, so replays change nothing.
CREATE TABLE logs (
    id TEXT PRIMARY KEY,
    logged_at_ms BIGINT NOT NULL,
    received_at_ms BIGINT NOT NULL,
    -- zenith.v1.LogLevel number.
    level INTEGER NOT NULL,
    message TEXT NOT NULL,
    service TEXT NOT NULL,
    node_id TEXT NOT NULL,
    queue TEXT NOT NULL,
    job_id TEXT NOT NULL,
    target TEXT NOT NULL,
    -- A JSON object of strings.
    fields TEXT NOT NULL,
    -- Words of the message (text::message_search_text), one lexeme each, with positions.
    words TSVECTOR NOT NULL
);
CREATE INDEX logs_job ON logs (job_id, logged_at_ms, id);
CREATE INDEX logs_time ON logs (logged_at_ms, id);
CREATE INDEX logs_queue ON logs (queue, logged_at_ms, id);
CREATE INDEX logs_service ON logs (service, logged_at_ms, id);
-- Retention goes by when the server received a line.
CREATE INDEX logs_received ON logs (received_at_ms);
CREATE INDEX logs_words ON logs USING GIN (words);
