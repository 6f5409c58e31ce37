-- Alerting. Definitions are prost-encoded zenith.v1 messages; enum columns hold the proto enum
-- numbers. No foreign keys: pruning deletes a notification with its links, deliveries and attempts.

-- Rules, one row per rule id. spec: RuleSpec.
CREATE TABLE alert_rules (
    id TEXT PRIMARY KEY,
    spec BLOB NOT NULL,
    -- zenith.v1.RuleOrigin number.
    origin INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
);

-- One row once the default rules were seeded: seeding happens once per database, so a deleted
-- default rule stays deleted, and two replicas starting together seed once.
CREATE TABLE alert_seeded (
    id INTEGER PRIMARY KEY
);

-- Channels, one row per channel id. spec: ChannelSpec with its secrets.
CREATE TABLE alert_channels (
    id TEXT PRIMARY KEY,
    spec BLOB NOT NULL,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
);

-- Silences. spec: SilenceSpec for matchers, comment and author; the window is in the columns.
CREATE TABLE alert_silences (
    id TEXT PRIMARY KEY,
    spec BLOB NOT NULL,
    starts_at_ms INTEGER NOT NULL,
    ends_at_ms INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL
);
CREATE INDEX alert_silences_ends ON alert_silences (ends_at_ms);

-- Alerts, one row each (id: a UUIDv7, so id order is creation order).
CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    rule_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    -- zenith.v1.AlertState number: 1 pending, 2 firing, 3 resolved.
    state INTEGER NOT NULL,
    -- zenith.v1.Severity number.
    severity INTEGER NOT NULL,
    -- A JSON object of strings.
    labels TEXT NOT NULL,
    -- Copied from labels for the filters.
    queue TEXT NOT NULL,
    service TEXT NOT NULL,
    summary TEXT NOT NULL,
    value REAL NOT NULL,
    pending_since_ms INTEGER NOT NULL,
    fired_at_ms INTEGER,
    resolved_at_ms INTEGER,
    acknowledged_at_ms INTEGER,
    acknowledged_by TEXT NOT NULL,
    acknowledge_comment TEXT NOT NULL,
    fire_notified_at_ms INTEGER,
    last_notified_at_ms INTEGER,
    resolve_handled INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
);
-- At most one open (pending or firing) alert per rule and subject: replicas opening the same
-- alert meet here. Also serves one rule's open alerts.
CREATE UNIQUE INDEX alerts_open ON alerts (rule_id, subject) WHERE state IN (1, 2);
-- Listing newest first, per filter.
CREATE INDEX alerts_state ON alerts (state, id);
CREATE INDEX alerts_rule ON alerts (rule_id, id);
CREATE INDEX alerts_queue ON alerts (queue, id);
CREATE INDEX alerts_service ON alerts (service, id);
-- Resolves still to notify, and pruning by age.
CREATE INDEX alerts_resolve_unhandled ON alerts (resolved_at_ms) WHERE state = 3 AND NOT resolve_handled;
CREATE INDEX alerts_resolved ON alerts (resolved_at_ms) WHERE state = 3;

-- Notifications (id: a UUIDv7, also every delivery's idempotency key).
CREATE TABLE alert_notifications (
    id TEXT PRIMARY KEY,
    rule_id TEXT NOT NULL,
    -- zenith.v1.NotificationKind number.
    kind INTEGER NOT NULL,
    -- zenith.v1.Severity number.
    severity INTEGER NOT NULL,
    title TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
);
CREATE INDEX alert_notifications_rule ON alert_notifications (rule_id, id);
CREATE INDEX alert_notifications_created ON alert_notifications (created_at_ms);

-- The alerts each notification claimed.
CREATE TABLE alert_notification_alerts (
    notification_id TEXT NOT NULL,
    alert_id TEXT NOT NULL,
    PRIMARY KEY (notification_id, alert_id)
);
CREATE INDEX alert_notification_alerts_alert ON alert_notification_alerts (alert_id, notification_id);

-- One delivery per notification and channel.
CREATE TABLE alert_deliveries (
    notification_id TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    -- zenith.v1.DeliveryState number: 1 pending, 2 delivered, 3 failed.
    state INTEGER NOT NULL,
    next_attempt_at_ms INTEGER NOT NULL,
    -- Taken for an attempt until then; NULL when nobody holds it.
    lease_until_ms INTEGER,
    delivered_at_ms INTEGER,
    PRIMARY KEY (notification_id, channel_id)
);
-- Pending deliveries by due time: what the delivery loop claims.
CREATE INDEX alert_deliveries_due ON alert_deliveries (next_attempt_at_ms, notification_id, channel_id)
    WHERE state = 1;
-- A deleted channel's pending deliveries.
CREATE INDEX alert_deliveries_channel ON alert_deliveries (channel_id) WHERE state = 1;

-- The delivery log: one row per attempt, in id order.
CREATE TABLE alert_delivery_attempts (
    id INTEGER PRIMARY KEY,
    notification_id TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    -- HTTP status or SMTP reply code; 0 when none came.
    status_code INTEGER NOT NULL,
    -- Empty on success.
    error TEXT NOT NULL,
    took_ms INTEGER NOT NULL
);
CREATE INDEX alert_delivery_attempts_delivery ON alert_delivery_attempts (notification_id, channel_id, id);
