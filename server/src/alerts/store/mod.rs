//! The one place alerting speaks SQL: a SQLite and a PostgreSQL implementation of `AlertStore`,
//! tested against both in `server/tests/storage.rs`.
//!
//! Tables (`migrations/*/0005_alerts.sql`): `alert_rules` and `alert_channels` (definitions as
//! encoded protos; a channel's spec holds its secrets), `alert_silences`, `alerts` (one row per
//! alert; at most one open row per rule and subject), `alert_notifications`,
//! `alert_deliveries` (one per notification and channel) and `alert_delivery_attempts` (the
//! delivery log). Every state change that must happen once across replicas is a
//! compare-and-set inside a transaction.

mod postgres;
mod sqlite;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use zenith_proto::v1::{
    AlertState, ChannelSpec, DeliveryState, NotificationKind, RuleOrigin, RuleSpec, Severity,
    SilenceSpec,
};

use prost::Message;

use crate::archive::{ArchiveError, Result};

#[derive(Clone, Debug, PartialEq)]
pub struct StoredRule {
    pub spec: RuleSpec,
    pub origin: RuleOrigin,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// A channel with its secrets: never hand this to a caller as is (`spec::redact`).
#[derive(Clone, Debug, PartialEq)]
pub struct StoredChannel {
    pub spec: ChannelSpec,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StoredSilence {
    /// A UUIDv7.
    pub id: String,
    /// Matchers, comment and author; `starts_at`, `ends_at` and `duration` are not stored here
    /// but in the two fields below.
    pub spec: SilenceSpec,
    pub starts_at_ms: i64,
    pub ends_at_ms: i64,
    pub created_at_ms: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StoredAlert {
    /// A UUIDv7: ordering by id is ordering by creation.
    pub id: String,
    pub rule_id: String,
    /// `queue:<name>`, `service:<name>`, `node:<id>`, `schedule:<id>` or `archive`.
    pub subject: String,
    pub state: AlertState,
    pub severity: Severity,
    /// Rule labels plus the subject's (`queue`, `service`, `node`, `schedule`).
    pub labels: BTreeMap<String, String>,
    pub summary: String,
    pub value: f64,
    pub pending_since_ms: i64,
    pub fired_at_ms: Option<i64>,
    pub resolved_at_ms: Option<i64>,
    pub acknowledged_at_ms: Option<i64>,
    pub acknowledged_by: String,
    pub acknowledge_comment: String,
    /// When its firing notification was made; `None` until then (never, if silenced
    /// throughout).
    pub fire_notified_at_ms: Option<i64>,
    /// When its latest firing or reminder notification was made.
    pub last_notified_at_ms: Option<i64>,
    /// Its resolve was notified, or deliberately not (silenced, rule gone).
    pub resolve_handled: bool,
    /// The last state change: creation, firing, resolving, acknowledging.
    pub updated_at_ms: i64,
}

impl StoredAlert {
    pub fn queue(&self) -> &str {
        self.labels.get("queue").map_or("", String::as_str)
    }

    pub fn service(&self) -> &str {
        self.labels.get("service").map_or("", String::as_str)
    }
}

/// Which alerts `list_alerts` returns; empty fields match everything.
#[derive(Clone, Debug, Default)]
pub struct AlertFilter {
    pub states: Vec<AlertState>,
    pub rule_id: String,
    pub queue: String,
    pub service: String,
    /// Only alerts with `updated_at_ms` at or after this.
    pub since_ms: Option<i64>,
}

/// What a notification claims from its alerts, checked and set per alert inside the
/// transaction that makes the notification.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NotifyClaim {
    /// State FIRING and `fire_notified_at_ms` unset: sets it and `last_notified_at_ms`.
    Firing,
    /// State FIRING, not acknowledged, `fire_notified_at_ms` set and `last_notified_at_ms` at
    /// or before `due_before_ms`: sets `last_notified_at_ms`.
    Repeat { due_before_ms: i64 },
    /// State RESOLVED, `fire_notified_at_ms` set and `resolve_handled` false: sets it.
    Resolved,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NewNotification {
    /// A UUIDv7; also every delivery's idempotency key.
    pub id: String,
    pub rule_id: String,
    pub kind: NotificationKind,
    pub severity: Severity,
    pub title: String,
    pub created_at_ms: i64,
    /// One delivery each, pending from `created_at_ms`.
    pub channel_ids: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StoredAttempt {
    pub at_ms: i64,
    /// HTTP status or SMTP reply code; 0 when none came.
    pub status_code: i32,
    /// Empty on success.
    pub error: String,
    pub took_ms: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StoredDelivery {
    pub notification_id: String,
    pub channel_id: String,
    pub state: DeliveryState,
    pub next_attempt_at_ms: i64,
    pub delivered_at_ms: Option<i64>,
    /// Oldest first.
    pub attempts: Vec<StoredAttempt>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StoredNotification {
    pub id: String,
    pub rule_id: String,
    pub kind: NotificationKind,
    pub severity: Severity,
    pub title: String,
    /// The alerts it claimed, in id order.
    pub alert_ids: Vec<String>,
    pub created_at_ms: i64,
    /// Ordered by channel id. Empty where a method says it leaves them out.
    pub deliveries: Vec<StoredDelivery>,
}

/// A delivery taken for one attempt: nobody else takes it until the lease ends.
#[derive(Clone, Debug, PartialEq)]
pub struct ClaimedDelivery {
    /// Without its deliveries.
    pub notification: StoredNotification,
    pub channel_id: String,
    /// Attempts made before this one.
    pub attempts_made: u32,
}

/// How an attempt ended, for `finish_attempt`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DeliveryOutcome {
    Delivered,
    Retry { next_attempt_at_ms: i64 },
    Failed,
}

/// How `acknowledge` went.
#[derive(Clone, Debug, PartialEq)]
pub enum Acknowledged {
    NotFound,
    /// The alert is resolved; nothing changed.
    Resolved(StoredAlert),
    /// Acknowledged now, or already before (then unchanged: the first acknowledgement stays).
    Done(StoredAlert),
}

#[async_trait::async_trait]
pub trait AlertStore: Send + Sync {
    /// Adds a rule; false when its id is taken (nothing changes then).
    async fn insert_rule(&self, rule: &StoredRule) -> Result<bool>;

    /// Replaces the definition of rule `spec.id`, keeping its origin and creation time.
    /// Returns the row after, or `None` when there is none.
    async fn replace_rule(&self, spec: &RuleSpec, updated_at_ms: i64)
    -> Result<Option<StoredRule>>;

    /// Removes a rule and resolves its open alerts at `now_ms` with `resolve_handled` set (no
    /// notification); false when there was none.
    async fn delete_rule(&self, id: &str, now_ms: i64) -> Result<bool>;

    async fn get_rule(&self, id: &str) -> Result<Option<StoredRule>>;

    /// Rules with ids after `after_id` (all when empty), ordered by id, at most `limit`.
    async fn list_rules(&self, after_id: &str, limit: usize) -> Result<Vec<StoredRule>>;

    /// Inserts `rules` (skipping ids taken) the first time it is called on a database, and does
    /// nothing ever after, so a deleted default rule stays deleted. Returns how many it added.
    async fn seed_default_rules(&self, rules: &[StoredRule]) -> Result<usize>;

    /// Per rule id with open alerts: (pending, firing) counts.
    async fn open_alert_counts(&self) -> Result<HashMap<String, (i32, i32)>>;

    /// Adds a channel; false when its id is taken.
    async fn insert_channel(&self, channel: &StoredChannel) -> Result<bool>;

    /// Replaces channel `spec.id`'s definition (secrets included: the caller merged them),
    /// keeping its creation time. `None` when there is none.
    async fn replace_channel(
        &self,
        spec: &ChannelSpec,
        updated_at_ms: i64,
    ) -> Result<Option<StoredChannel>>;

    /// Removes a channel; its pending deliveries fail with the error `channel deleted`. False
    /// when there was none.
    async fn delete_channel(&self, id: &str, now_ms: i64) -> Result<bool>;

    async fn get_channel(&self, id: &str) -> Result<Option<StoredChannel>>;

    /// Channels with ids after `after_id` (all when empty), ordered by id, at most `limit`.
    async fn list_channels(&self, after_id: &str, limit: usize) -> Result<Vec<StoredChannel>>;

    async fn insert_silence(&self, silence: &StoredSilence) -> Result<()>;

    async fn get_silence(&self, id: &str) -> Result<Option<StoredSilence>>;

    /// Silences with ids before `before_id` (all when empty), newest (highest id) first, at most
    /// `limit`; without those ended at or before `now_ms` unless `include_expired`.
    async fn list_silences(
        &self,
        include_expired: bool,
        now_ms: i64,
        before_id: &str,
        limit: usize,
    ) -> Result<Vec<StoredSilence>>;

    /// Silences with `starts_at_ms <= now_ms < ends_at_ms`.
    async fn active_silences(&self, now_ms: i64) -> Result<Vec<StoredSilence>>;

    /// Ends a silence at `now_ms` (a pending one starts and ends then); one already ended stays
    /// as it is. The row after, or `None` when there is none.
    async fn expire_silence(&self, id: &str, now_ms: i64) -> Result<Option<StoredSilence>>;

    /// Open (pending and firing) alerts of `rule_id`, or of every rule when empty.
    async fn open_alerts(&self, rule_id: &str) -> Result<Vec<StoredAlert>>;

    /// Inserts a new open alert; false when the rule already has an open alert for its subject
    /// (nothing changes then).
    async fn insert_alert(&self, alert: &StoredAlert) -> Result<bool>;

    /// Records the latest evaluation of an open alert: value, summary, labels and severity.
    /// Nothing happens when it is no longer open.
    async fn observe_alert(&self, alert: &StoredAlert) -> Result<()>;

    /// Moves an alert from `from` to `to` at `at_ms` only if it is in `from` now (the
    /// compare-and-set every replica meets on): to FIRING sets `fired_at_ms`, to RESOLVED sets
    /// `resolved_at_ms`, and `resolve_handled` to `resolve_handled`. Returns whether it moved.
    async fn transition_alert(
        &self,
        id: &str,
        from: AlertState,
        to: AlertState,
        at_ms: i64,
        resolve_handled: bool,
    ) -> Result<bool>;

    /// Resolved alerts whose resolve is not handled yet, resolved at or after `since_ms`.
    async fn unhandled_resolved(&self, since_ms: i64) -> Result<Vec<StoredAlert>>;

    /// Sets `resolve_handled` without a notification (its resolve was silenced).
    async fn mark_resolve_handled(&self, ids: &[String]) -> Result<()>;

    async fn get_alert(&self, id: &str) -> Result<Option<StoredAlert>>;

    async fn alerts_by_ids(&self, ids: &[String]) -> Result<Vec<StoredAlert>>;

    /// Alerts matching `filter` with ids before `before_id` (all when empty), newest first, at
    /// most `limit`.
    async fn list_alerts(
        &self,
        filter: &AlertFilter,
        before_id: &str,
        limit: usize,
    ) -> Result<Vec<StoredAlert>>;

    /// Acknowledges an open alert at `at_ms`.
    async fn acknowledge(
        &self,
        id: &str,
        by: &str,
        comment: &str,
        at_ms: i64,
    ) -> Result<Acknowledged>;

    /// In one transaction: applies `claim` to each of `alert_ids` as a compare-and-set, and if
    /// any matched, inserts the notification over the matched ones with a pending delivery per
    /// channel. Returns the matched ids (empty: nothing was written, another replica got there
    /// first).
    async fn create_notification(
        &self,
        notification: &NewNotification,
        alert_ids: &[String],
        claim: NotifyClaim,
    ) -> Result<Vec<String>>;

    /// Records a TestChannel send: a TEST notification with one delivery, already finished
    /// with its one attempt.
    async fn record_test(
        &self,
        notification: &NewNotification,
        attempt: &StoredAttempt,
        delivered: bool,
    ) -> Result<()>;

    /// Takes up to `limit` pending deliveries due at `now_ms` whose lease is over, oldest due
    /// first, each leased until `now_ms + lease_ms` by a compare-and-set.
    async fn claim_deliveries(
        &self,
        now_ms: i64,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<ClaimedDelivery>>;

    /// Appends the attempt to the delivery's log and applies the outcome, ending the lease.
    async fn finish_attempt(
        &self,
        notification_id: &str,
        channel_id: &str,
        attempt: &StoredAttempt,
        outcome: DeliveryOutcome,
    ) -> Result<()>;

    /// Notifications with ids before `before_id` (all when empty), newest first, of `rule_id`
    /// and containing `alert_id` when non-empty, at most `limit`, each with its deliveries and
    /// their attempts.
    async fn list_notifications(
        &self,
        rule_id: &str,
        alert_id: &str,
        before_id: &str,
        limit: usize,
    ) -> Result<Vec<StoredNotification>>;

    /// Deletes up to `limit` resolved alerts resolved before `cutoff_ms`, and notifications
    /// (with deliveries and attempts) made before it; returns how many rows of each.
    async fn prune_history(&self, cutoff_ms: i64, limit: usize) -> Result<(u64, u64)>;
}

const RULE_COLUMNS: &str = "id, spec, origin, created_at_ms, updated_at_ms";

const CHANNEL_COLUMNS: &str = "id, spec, created_at_ms, updated_at_ms";

const SILENCE_COLUMNS: &str = "id, spec, starts_at_ms, ends_at_ms, created_at_ms";

/// Read back by `alert_from_row`; inserts also write `queue` and `service`.
const ALERT_COLUMNS: &str = "id, rule_id, subject, state, severity, labels, summary, value, \
    pending_since_ms, fired_at_ms, resolved_at_ms, acknowledged_at_ms, acknowledged_by, \
    acknowledge_comment, fire_notified_at_ms, last_notified_at_ms, resolve_handled, updated_at_ms";

const NOTIFICATION_COLUMNS: &str = "id, rule_id, kind, severity, title, created_at_ms";

const DELIVERY_COLUMNS: &str =
    "notification_id, channel_id, state, next_attempt_at_ms, delivered_at_ms";

const ATTEMPT_COLUMNS: &str = "notification_id, channel_id, at_ms, status_code, error, took_ms";

/// The error for a stored definition this build cannot decode.
fn corrupt(what: &str, id: &str, error: impl std::fmt::Display) -> ArchiveError {
    ArchiveError::Corrupt {
        id: format!("{what} {id}"),
        message: error.to_string(),
    }
}

/// A row read back: the columns of `RULE_COLUMNS`.
fn rule_from_row<R>(row: &R) -> Result<StoredRule>
where
    R: sqlx::Row,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i32: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let id: String = row.try_get("id")?;
    let spec: Vec<u8> = row.try_get("spec")?;
    let spec = RuleSpec::decode(spec.as_slice()).map_err(|error| corrupt("rule", &id, error))?;
    // An origin this build does not know reads as unspecified, as proto3 reads unknown enums.
    let origin = RuleOrigin::try_from(row.try_get::<i32, _>("origin")?).unwrap_or_default();
    Ok(StoredRule {
        spec,
        origin,
        created_at_ms: row.try_get("created_at_ms")?,
        updated_at_ms: row.try_get("updated_at_ms")?,
    })
}

/// A row read back: the columns of `CHANNEL_COLUMNS`.
fn channel_from_row<R>(row: &R) -> Result<StoredChannel>
where
    R: sqlx::Row,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let id: String = row.try_get("id")?;
    let spec: Vec<u8> = row.try_get("spec")?;
    let spec =
        ChannelSpec::decode(spec.as_slice()).map_err(|error| corrupt("channel", &id, error))?;
    Ok(StoredChannel {
        spec,
        created_at_ms: row.try_get("created_at_ms")?,
        updated_at_ms: row.try_get("updated_at_ms")?,
    })
}

/// A row read back: the columns of `SILENCE_COLUMNS`.
fn silence_from_row<R>(row: &R) -> Result<StoredSilence>
where
    R: sqlx::Row,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let id: String = row.try_get("id")?;
    let spec: Vec<u8> = row.try_get("spec")?;
    let spec =
        SilenceSpec::decode(spec.as_slice()).map_err(|error| corrupt("silence", &id, error))?;
    Ok(StoredSilence {
        id,
        spec,
        starts_at_ms: row.try_get("starts_at_ms")?,
        ends_at_ms: row.try_get("ends_at_ms")?,
        created_at_ms: row.try_get("created_at_ms")?,
    })
}

/// The labels column: a JSON object of strings.
fn encode_labels(labels: &BTreeMap<String, String>) -> String {
    serde_json::to_string(labels).expect("a map of strings encodes")
}

/// A row read back: the columns of `ALERT_COLUMNS`.
fn alert_from_row<R>(row: &R) -> Result<StoredAlert>
where
    R: sqlx::Row,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i32: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> f64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let id: String = row.try_get("id")?;
    let labels: String = row.try_get("labels")?;
    let labels = serde_json::from_str(&labels).map_err(|error| corrupt("alert", &id, error))?;
    // Enum numbers this build does not know read as unspecified, as proto3 reads them.
    let state = AlertState::try_from(row.try_get::<i32, _>("state")?).unwrap_or_default();
    let severity = Severity::try_from(row.try_get::<i32, _>("severity")?).unwrap_or_default();
    Ok(StoredAlert {
        id,
        rule_id: row.try_get("rule_id")?,
        subject: row.try_get("subject")?,
        state,
        severity,
        labels,
        summary: row.try_get("summary")?,
        value: row.try_get("value")?,
        pending_since_ms: row.try_get("pending_since_ms")?,
        fired_at_ms: row.try_get("fired_at_ms")?,
        resolved_at_ms: row.try_get("resolved_at_ms")?,
        acknowledged_at_ms: row.try_get("acknowledged_at_ms")?,
        acknowledged_by: row.try_get("acknowledged_by")?,
        acknowledge_comment: row.try_get("acknowledge_comment")?,
        fire_notified_at_ms: row.try_get("fire_notified_at_ms")?,
        last_notified_at_ms: row.try_get("last_notified_at_ms")?,
        resolve_handled: row.try_get("resolve_handled")?,
        updated_at_ms: row.try_get("updated_at_ms")?,
    })
}

/// A row read back: the columns of `NOTIFICATION_COLUMNS`; without alert ids and deliveries.
fn notification_from_row<R>(row: &R) -> Result<StoredNotification>
where
    R: sqlx::Row,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i32: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let kind = NotificationKind::try_from(row.try_get::<i32, _>("kind")?).unwrap_or_default();
    let severity = Severity::try_from(row.try_get::<i32, _>("severity")?).unwrap_or_default();
    Ok(StoredNotification {
        id: row.try_get("id")?,
        rule_id: row.try_get("rule_id")?,
        kind,
        severity,
        title: row.try_get("title")?,
        alert_ids: Vec::new(),
        created_at_ms: row.try_get("created_at_ms")?,
        deliveries: Vec::new(),
    })
}

/// A row read back: the columns of `DELIVERY_COLUMNS`; without attempts.
fn delivery_from_row<R>(row: &R) -> Result<StoredDelivery>
where
    R: sqlx::Row,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i32: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let state = DeliveryState::try_from(row.try_get::<i32, _>("state")?).unwrap_or_default();
    Ok(StoredDelivery {
        notification_id: row.try_get("notification_id")?,
        channel_id: row.try_get("channel_id")?,
        state,
        next_attempt_at_ms: row.try_get("next_attempt_at_ms")?,
        delivered_at_ms: row.try_get("delivered_at_ms")?,
        attempts: Vec::new(),
    })
}

/// A row read back: the columns of `ATTEMPT_COLUMNS`, with the delivery it belongs to.
fn attempt_from_row<R>(row: &R) -> Result<((String, String), StoredAttempt)>
where
    R: sqlx::Row,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i32: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let delivery = (row.try_get("notification_id")?, row.try_get("channel_id")?);
    let attempt = StoredAttempt {
        at_ms: row.try_get("at_ms")?,
        status_code: row.try_get("status_code")?,
        error: row.try_get("error")?,
        took_ms: row.try_get("took_ms")?,
    };
    Ok((delivery, attempt))
}

/// Fills in notifications' alert ids (links as (notification id, alert id), in alert id order)
/// and deliveries (in channel id order, with attempts oldest first).
fn assemble_notifications(
    notifications: &mut [StoredNotification],
    links: Vec<(String, String)>,
    deliveries: Vec<StoredDelivery>,
    attempts: Vec<((String, String), StoredAttempt)>,
) {
    let mut attempts_by_delivery: HashMap<(String, String), Vec<StoredAttempt>> = HashMap::new();
    for (delivery, attempt) in attempts {
        attempts_by_delivery
            .entry(delivery)
            .or_default()
            .push(attempt);
    }
    let mut alert_ids: HashMap<String, Vec<String>> = HashMap::new();
    for (notification_id, alert_id) in links {
        alert_ids.entry(notification_id).or_default().push(alert_id);
    }
    let mut deliveries_by_notification: HashMap<String, Vec<StoredDelivery>> = HashMap::new();
    for mut delivery in deliveries {
        let key = (
            delivery.notification_id.clone(),
            delivery.channel_id.clone(),
        );
        delivery.attempts = attempts_by_delivery.remove(&key).unwrap_or_default();
        deliveries_by_notification
            .entry(delivery.notification_id.clone())
            .or_default()
            .push(delivery);
    }
    for notification in notifications {
        notification.alert_ids = alert_ids.remove(&notification.id).unwrap_or_default();
        notification.deliveries = deliveries_by_notification
            .remove(&notification.id)
            .unwrap_or_default();
    }
}

/// The per-alert compare-and-set of a claim made at `now_ms`, and what to bind after the alert
/// id (`$1`). Returns the alert id when it matched.
fn claim_sql(claim: NotifyClaim, now_ms: i64) -> (&'static str, Vec<i64>) {
    match claim {
        NotifyClaim::Firing => (
            "UPDATE alerts SET fire_notified_at_ms = $2, last_notified_at_ms = $2 \
             WHERE id = $1 AND state = 2 AND fire_notified_at_ms IS NULL RETURNING id",
            vec![now_ms],
        ),
        NotifyClaim::Repeat { due_before_ms } => (
            "UPDATE alerts SET last_notified_at_ms = $2 WHERE id = $1 AND state = 2 \
             AND acknowledged_at_ms IS NULL AND fire_notified_at_ms IS NOT NULL \
             AND last_notified_at_ms <= $3 RETURNING id",
            vec![now_ms, due_before_ms],
        ),
        NotifyClaim::Resolved => (
            "UPDATE alerts SET resolve_handled = TRUE WHERE id = $1 AND state = 3 \
             AND fire_notified_at_ms IS NOT NULL AND NOT resolve_handled RETURNING id",
            Vec::new(),
        ),
    }
}

/// Claimed deliveries (notification id, channel id, due time, attempts made) with their
/// notifications, oldest due first. One whose notification is gone (pruned meanwhile) is left
/// out.
fn claimed_deliveries(
    mut claimed: Vec<(String, String, i64, i64)>,
    notifications: Vec<StoredNotification>,
) -> Vec<ClaimedDelivery> {
    claimed.sort_by(|a, b| (a.2, &a.0, &a.1).cmp(&(b.2, &b.0, &b.1)));
    let notifications: HashMap<String, StoredNotification> = notifications
        .into_iter()
        .map(|notification| (notification.id.clone(), notification))
        .collect();
    claimed
        .into_iter()
        .filter_map(|(notification_id, channel_id, _, attempts_made)| {
            Some(ClaimedDelivery {
                notification: notifications.get(&notification_id)?.clone(),
                channel_id,
                attempts_made: u32::try_from(attempts_made).unwrap_or(u32::MAX),
            })
        })
        .collect()
}

/// What an attempt's outcome writes: the delivery's state, next attempt time (`None`: keep)
/// and delivery time.
fn finish_columns(
    attempt: &StoredAttempt,
    outcome: DeliveryOutcome,
) -> (DeliveryState, Option<i64>, Option<i64>) {
    match outcome {
        DeliveryOutcome::Delivered => (DeliveryState::Delivered, None, Some(attempt.at_ms)),
        DeliveryOutcome::Retry { next_attempt_at_ms } => {
            (DeliveryState::Pending, Some(next_attempt_at_ms), None)
        }
        DeliveryOutcome::Failed => (DeliveryState::Failed, None, None),
    }
}

pub type SharedAlertStore = Arc<dyn AlertStore>;

/// The alert store over the server's database.
pub fn open(database: &crate::db::Database) -> SharedAlertStore {
    match database {
        crate::db::Database::Sqlite(pool) => Arc::new(sqlite::SqliteAlerts::new(pool.clone())),
        crate::db::Database::Postgres(pool) => {
            Arc::new(postgres::PostgresAlerts::new(pool.clone()))
        }
    }
}
