-- API keys. Only a SHA-256 of the secret is kept; `id` is the public part of the token.
-- queues is a JSON array of exact queue names.
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    secret_sha256 TEXT NOT NULL,
    -- zenith.v1.Role number.
    role INTEGER NOT NULL,
    queues TEXT NOT NULL,
    queue_prefix TEXT NOT NULL,
    payloads INTEGER NOT NULL,
    requests_per_second INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    expires_at_ms INTEGER,
    revoked_at_ms INTEGER
);

-- Every control-plane mutation and every refused call, newest read first by id.
CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms INTEGER NOT NULL,
    principal TEXT NOT NULL,
    key_name TEXT NOT NULL,
    role INTEGER NOT NULL,
    rpc TEXT NOT NULL,
    target TEXT NOT NULL,
    request TEXT NOT NULL,
    code TEXT NOT NULL,
    message TEXT NOT NULL,
    peer TEXT NOT NULL
);
CREATE INDEX audit_events_at ON audit_events (at_ms);
CREATE INDEX audit_events_principal ON audit_events (principal, id);
