-- Facts about this installation that outlive Redis.
CREATE TABLE zenith_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
