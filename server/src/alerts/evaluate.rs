//! The evaluation loop: every interval one replica (holding a short Redis lock) observes each
//! enabled rule, moves its alerts through pending → firing → resolved, and makes the
//! notifications (firing, resolved, reminders), grouped per rule, held back by silences.
//!
//! The lock only saves work: every transition and notification is a compare-and-set in the
//! store, so two evaluators overlapping (a lapsed lock) still change and notify each alert once.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::LazyLock;
use std::time::Duration;

use redis::Script;
use tokio_util::sync::CancellationToken;
use zenith_proto::v1::rule_spec::Condition;
use zenith_proto::v1::{AlertState, NotificationKind, RuleSpec, Severity};

use super::rules::{self, Memory, Observation};
use super::spec::silence_matches;
use super::store::{
    NewNotification, NotifyClaim, SharedAlertStore, StoredAlert, StoredChannel, StoredRule,
    StoredSilence,
};
use super::{AlertConfig, Result, Sources};
use crate::queue::{QueueError, SharedEngine};

const PAGE: usize = 500;
const DEFAULT_REPEAT_INTERVAL: Duration = Duration::from_secs(4 * 3600);
/// Resolved alerts older than this whose resolve was never handled are left alone.
const RESOLVE_LOOKBACK_MS: i64 = 24 * 3600 * 1000;
const PRUNE_EVERY_MS: i64 = 10 * 60 * 1000;
const PRUNE_BATCH: usize = 1000;
/// Batches one prune pass deletes at most, so a huge backlog cannot hold the loop.
const PRUNE_PASSES: usize = 20;

/// Takes the lock when free, or renews it for its holder; 1 when `ARGV[1]` holds it after.
static HOLD: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0",
    )
});

static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0",
    )
});

/// The evaluator lock of one replica.
struct Lock {
    engine: SharedEngine,
    key: String,
    token: String,
    ttl_ms: u64,
}

impl Lock {
    fn new(engine: SharedEngine, interval: Duration) -> Self {
        let key = format!("{}:alerts:evaluator", engine.prefix());
        Self {
            engine,
            key,
            token: format!("{:016x}", rand::random::<u64>()),
            ttl_ms: (interval * 3).as_millis().max(1000) as u64,
        }
    }

    async fn hold(&self) -> std::result::Result<bool, QueueError> {
        let held: i64 = HOLD
            .key(&self.key)
            .arg(&self.token)
            .arg(self.ttl_ms)
            .invoke_async(&mut self.engine.background_connection())
            .await?;
        Ok(held == 1)
    }

    async fn release(&self) {
        let released = RELEASE
            .key(&self.key)
            .arg(&self.token)
            .invoke_async::<i64>(&mut self.engine.background_connection())
            .await;
        if let Err(error) = released {
            tracing::warn!(%error, "alert evaluator lock not released");
        }
    }
}

pub async fn run(
    store: SharedAlertStore,
    sources: Sources,
    config: AlertConfig,
    stop: CancellationToken,
) {
    let lock = Lock::new(sources.engine.clone(), config.evaluation_interval);
    let mut evaluator = Evaluator {
        store,
        sources,
        config,
        memory: Memory::default(),
        pruned_at_ms: None,
        holding_since_ms: None,
    };
    // Not at once: the pulse view of a replica that just started is still loading.
    let period = evaluator.config.evaluation_interval;
    let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut holding = false;
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = interval.tick() => {}
        }
        match lock.hold().await {
            Ok(true) => {
                if !holding {
                    tracing::info!("evaluating alert rules on this replica");
                    evaluator.holding_since_ms = None;
                }
                holding = true;
                if let Err(error) =
                    crate::metrics::loop_pass("alert_evaluation", evaluator.round()).await
                {
                    tracing::warn!(%error, "alert evaluation failed");
                }
            }
            Ok(false) => {
                // Another replica evaluates; what this one remembered goes stale.
                if holding {
                    evaluator.memory = Memory::default();
                }
                holding = false;
            }
            Err(error) => {
                // Whether another replica evaluates meanwhile is unknown: start afresh.
                tracing::warn!(%error, "alert evaluator lock unavailable");
                evaluator.memory = Memory::default();
                holding = false;
            }
        }
    }
    if holding {
        lock.release().await;
    }
}

struct Evaluator {
    store: SharedAlertStore,
    sources: Sources,
    config: AlertConfig,
    memory: Memory,
    pruned_at_ms: Option<i64>,
    /// When this replica's current hold of the lock began (Redis time).
    holding_since_ms: Option<i64>,
}

/// How long after taking over evaluation an alert of `rule` is not resolved: what a new
/// evaluator sees first may be incomplete (no dead-job baseline yet, a pulse view that lost
/// track of a node), and a false resolve would be followed by a second firing.
fn settle_ms(rule: &RuleSpec, interval_ms: i64) -> i64 {
    match rule.condition.as_ref() {
        Some(Condition::DeadGrowth(growth)) => duration_ms(growth.window.as_ref()).unwrap_or(0),
        Some(Condition::HealthyNodes(_) | Condition::NodeLost(_) | Condition::NodeResource(_)) => {
            2 * interval_ms
        }
        _ => 0,
    }
}

impl Evaluator {
    async fn round(&mut self) -> Result<()> {
        let now = self.sources.engine.redis_time_ms().await?;
        let holding_since = *self.holding_since_ms.get_or_insert(now);
        let interval_ms = self.config.evaluation_interval.as_millis() as i64;
        let rules = self.rules().await?;
        let mut open: HashMap<String, Vec<StoredAlert>> = HashMap::new();
        for alert in self.store.open_alerts("").await? {
            open.entry(alert.rule_id.clone()).or_default().push(alert);
        }
        for rule in &rules {
            let alerts = open.remove(&rule.spec.id).unwrap_or_default();
            if rule.spec.disabled {
                self.resolve_quietly(&alerts, now).await?;
                continue;
            }
            match rules::observe(&rule.spec, &self.sources, &mut self.memory, now).await {
                Ok(observations) => {
                    let settled = now - holding_since >= settle_ms(&rule.spec, interval_ms);
                    self.apply(&rule.spec, alerts, observations, now, settled)
                        .await?
                }
                Err(error) => {
                    tracing::warn!(rule = %rule.spec.id, %error, "alert rule not evaluated");
                }
            }
        }
        // Whatever is left belongs to rules that are gone.
        for alerts in open.values() {
            self.resolve_quietly(alerts, now).await?;
        }
        self.memory.forget_stale(now);
        self.notify(&rules, now).await?;
        if self
            .pruned_at_ms
            .is_none_or(|pruned| now - pruned >= PRUNE_EVERY_MS)
        {
            self.pruned_at_ms = Some(now);
            self.prune(now).await?;
        }
        Ok(())
    }

    async fn rules(&self) -> Result<Vec<StoredRule>> {
        let mut all: Vec<StoredRule> = Vec::new();
        loop {
            let after = all.last().map_or("", |rule| rule.spec.id.as_str());
            let page = self.store.list_rules(after, PAGE).await?;
            let done = page.len() < PAGE;
            all.extend(page);
            if done {
                return Ok(all);
            }
        }
    }

    async fn channels(&self) -> Result<Vec<StoredChannel>> {
        let mut all: Vec<StoredChannel> = Vec::new();
        loop {
            let after = all.last().map_or("", |channel| channel.spec.id.as_str());
            let page = self.store.list_channels(after, PAGE).await?;
            let done = page.len() < PAGE;
            all.extend(page);
            if done {
                return Ok(all);
            }
        }
    }

    /// Resolves open alerts of a disabled or deleted rule, with no notification.
    async fn resolve_quietly(&self, alerts: &[StoredAlert], now: i64) -> Result<()> {
        for alert in alerts {
            self.resolve(alert, now, true).await?;
        }
        Ok(())
    }

    async fn resolve(&self, alert: &StoredAlert, now: i64, handled: bool) -> Result<()> {
        let moved = self
            .store
            .transition_alert(&alert.id, alert.state, AlertState::Resolved, now, handled)
            .await?;
        if moved {
            tracing::info!(rule = %alert.rule_id, subject = %alert.subject, alert = %alert.id, state = "resolved", "alert resolved");
        }
        Ok(())
    }

    async fn fire(&self, alert: &StoredAlert, now: i64) -> Result<()> {
        let moved = self
            .store
            .transition_alert(
                &alert.id,
                AlertState::Pending,
                AlertState::Firing,
                now,
                false,
            )
            .await?;
        if moved {
            tracing::info!(rule = %alert.rule_id, subject = %alert.subject, alert = %alert.id, state = "firing", "alert firing");
        }
        Ok(())
    }

    /// Moves one rule's alerts to what its observations say.
    async fn apply(
        &self,
        rule: &RuleSpec,
        alerts: Vec<StoredAlert>,
        observations: Vec<Observation>,
        now: i64,
        settled: bool,
    ) -> Result<()> {
        let pending_for_ms = duration_ms(rule.pending_for.as_ref()).unwrap_or(0);
        let mut breaching: BTreeMap<String, Observation> = observations
            .into_iter()
            .filter(|observation| observation.breaching)
            .map(|observation| (observation.subject.clone(), observation))
            .collect();
        for alert in alerts {
            let Some(observation) = breaching.remove(&alert.subject) else {
                if !settled {
                    continue;
                }
                // A pending alert never notified: its resolve is handled by not notifying.
                let handled = alert.state == AlertState::Pending;
                self.resolve(&alert, now, handled).await?;
                continue;
            };
            let observed = observed(rule, alert, &observation);
            self.store.observe_alert(&observed).await?;
            if observed.state == AlertState::Pending
                && now - observed.pending_since_ms >= pending_for_ms
            {
                self.fire(&observed, now).await?;
            }
        }
        for observation in breaching.into_values() {
            let alert = new_alert(rule, &observation, now);
            if !self.store.insert_alert(&alert).await? {
                continue;
            }
            tracing::info!(rule = %alert.rule_id, subject = %alert.subject, alert = %alert.id, state = "pending", "alert pending");
            if pending_for_ms == 0 {
                self.fire(&alert, now).await?;
            }
        }
        Ok(())
    }

    /// Makes each rule's firing, resolved and reminder notifications.
    async fn notify(&self, rules: &[StoredRule], now: i64) -> Result<()> {
        let silences = self.store.active_silences(now).await?;
        let channels = self.channels().await?;
        let mut firing: HashMap<String, Vec<StoredAlert>> = HashMap::new();
        for alert in self.store.open_alerts("").await? {
            if alert.state == AlertState::Firing {
                firing.entry(alert.rule_id.clone()).or_default().push(alert);
            }
        }
        let mut resolved: HashMap<String, Vec<StoredAlert>> = HashMap::new();
        for alert in self
            .store
            .unhandled_resolved(now - RESOLVE_LOOKBACK_MS)
            .await?
        {
            resolved
                .entry(alert.rule_id.clone())
                .or_default()
                .push(alert);
        }
        for rule in rules.iter().filter(|rule| !rule.spec.disabled) {
            let spec = &rule.spec;
            let firing = firing.remove(&spec.id).unwrap_or_default();
            let resolved = resolved.remove(&spec.id).unwrap_or_default();
            let plan = plan(spec, &firing, &resolved, &silences, now);
            if !plan.quietly_handled.is_empty() {
                self.store
                    .mark_resolve_handled(&plan.quietly_handled)
                    .await?;
            }
            let channel_ids = channels_for(spec, &channels);
            for (kind, ids, claim) in [
                (NotificationKind::Firing, plan.firing, NotifyClaim::Firing),
                (
                    NotificationKind::Resolved,
                    plan.resolved,
                    NotifyClaim::Resolved,
                ),
                (
                    NotificationKind::Repeat,
                    plan.repeat,
                    NotifyClaim::Repeat {
                        due_before_ms: plan.repeat_due_before_ms,
                    },
                ),
            ] {
                self.notify_one(spec, kind, ids, claim, &channel_ids, now)
                    .await?;
            }
        }
        Ok(())
    }

    async fn notify_one(
        &self,
        rule: &RuleSpec,
        kind: NotificationKind,
        alerts: Vec<(String, String)>,
        claim: NotifyClaim,
        channel_ids: &[String],
        now: i64,
    ) -> Result<()> {
        if alerts.is_empty() {
            return Ok(());
        }
        let subjects: Vec<&str> = alerts.iter().map(|(_, subject)| subject.as_str()).collect();
        let notification = NewNotification {
            id: uuid::Uuid::now_v7().to_string(),
            rule_id: rule.id.clone(),
            kind,
            severity: severity(rule),
            title: title(kind, &rule.id, &subjects),
            created_at_ms: now,
            channel_ids: channel_ids.to_vec(),
        };
        let ids: Vec<String> = alerts.into_iter().map(|(id, _)| id).collect();
        let claimed = self
            .store
            .create_notification(&notification, &ids, claim)
            .await?;
        if !claimed.is_empty() {
            tracing::info!(
                rule = %rule.id,
                notification = %notification.id,
                kind = kind.as_str_name(),
                alerts = claimed.len(),
                channels = channel_ids.len(),
                "alert notification made"
            );
        }
        Ok(())
    }

    /// Deletes history older than the retention, a batch at a time.
    async fn prune(&self, now: i64) -> Result<()> {
        let cutoff = now - self.config.history_retention.as_millis() as i64;
        for _ in 0..PRUNE_PASSES {
            let (alerts, notifications) = self.store.prune_history(cutoff, PRUNE_BATCH).await?;
            if alerts > 0 || notifications > 0 {
                tracing::info!(alerts, notifications, "alert history pruned");
            }
            if alerts < PRUNE_BATCH as u64 && notifications < PRUNE_BATCH as u64 {
                break;
            }
        }
        Ok(())
    }
}

fn duration_ms(duration: Option<&prost_types::Duration>) -> Option<i64> {
    duration
        .map(|d| d.seconds.max(0) * 1000 + i64::from(d.nanos.max(0)) / 1_000_000)
        .filter(|&ms| ms > 0)
}

/// The rule's severity; unspecified reads as WARNING.
fn severity(rule: &RuleSpec) -> Severity {
    match Severity::try_from(rule.severity) {
        Ok(Severity::Unspecified) | Err(_) => Severity::Warning,
        Ok(severity) => severity,
    }
}

/// An open alert updated with its latest observation.
fn observed(rule: &RuleSpec, mut alert: StoredAlert, observation: &Observation) -> StoredAlert {
    alert.value = observation.value;
    alert.summary = observation.summary.clone();
    alert.labels = alert_labels(rule, observation);
    alert.severity = severity(rule);
    alert
}

/// The rule's labels, then the subject's (which win: they say what the alert is about).
fn alert_labels(rule: &RuleSpec, observation: &Observation) -> BTreeMap<String, String> {
    let mut labels: BTreeMap<String, String> = rule
        .labels
        .iter()
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    labels.extend(observation.labels.clone());
    labels
}

fn new_alert(rule: &RuleSpec, observation: &Observation, now: i64) -> StoredAlert {
    StoredAlert {
        id: uuid::Uuid::now_v7().to_string(),
        rule_id: rule.id.clone(),
        subject: observation.subject.clone(),
        state: AlertState::Pending,
        severity: severity(rule),
        labels: alert_labels(rule, observation),
        summary: observation.summary.clone(),
        value: observation.value,
        pending_since_ms: now,
        fired_at_ms: None,
        resolved_at_ms: None,
        acknowledged_at_ms: None,
        acknowledged_by: String::new(),
        acknowledge_comment: String::new(),
        fire_notified_at_ms: None,
        last_notified_at_ms: None,
        resolve_handled: false,
        updated_at_ms: now,
    }
}

/// An active silence holds the alert back.
pub fn silenced(alert: &StoredAlert, silences: &[StoredSilence]) -> bool {
    silences.iter().any(|silence| {
        silence_matches(
            &silence.spec,
            &alert.rule_id,
            alert.queue(),
            alert.service(),
        )
    })
}

/// What one rule's notifications are about: (alert id, subject) per kind, in id order.
#[derive(Debug, Default, PartialEq)]
struct Plan {
    firing: Vec<(String, String)>,
    resolved: Vec<(String, String)>,
    repeat: Vec<(String, String)>,
    repeat_due_before_ms: i64,
    /// Resolved alerts whose resolve goes unsaid: never notified as firing.
    quietly_handled: Vec<String>,
}

fn plan(
    rule: &RuleSpec,
    firing: &[StoredAlert],
    resolved: &[StoredAlert],
    silences: &[StoredSilence],
    now: i64,
) -> Plan {
    let repeat_ms = duration_ms(rule.repeat_interval.as_ref())
        .unwrap_or(DEFAULT_REPEAT_INTERVAL.as_millis() as i64);
    let mut plan = Plan {
        repeat_due_before_ms: now - repeat_ms,
        ..Plan::default()
    };
    let entry = |alert: &StoredAlert| (alert.id.clone(), alert.subject.clone());
    for alert in firing {
        if silenced(alert, silences) {
            continue;
        }
        match alert.fire_notified_at_ms {
            None => plan.firing.push(entry(alert)),
            Some(_)
                if alert.acknowledged_at_ms.is_none()
                    && alert
                        .last_notified_at_ms
                        .is_some_and(|last| last <= plan.repeat_due_before_ms) =>
            {
                plan.repeat.push(entry(alert))
            }
            Some(_) => {}
        }
    }
    // A resolve closes what its firing opened (a PagerDuty incident): silences do not hold it.
    for alert in resolved {
        if alert.fire_notified_at_ms.is_none() {
            plan.quietly_handled.push(alert.id.clone());
        } else {
            plan.resolved.push(entry(alert));
        }
    }
    for list in [&mut plan.firing, &mut plan.resolved, &mut plan.repeat] {
        list.sort();
    }
    plan.quietly_handled.sort();
    plan
}

/// `[FIRING] backlog: queue:emails`, or `[FIRING] backlog: 3 alerts` for several.
fn title(kind: NotificationKind, rule_id: &str, subjects: &[&str]) -> String {
    let tag = match kind {
        NotificationKind::Resolved => "RESOLVED",
        NotificationKind::Repeat => "REMINDER",
        NotificationKind::Test => "TEST",
        _ => "FIRING",
    };
    match subjects {
        [one] => format!("[{tag}] {rule_id}: {one}"),
        many => format!("[{tag}] {rule_id}: {} alerts", many.len()),
    }
}

/// The rule's channels (every channel when it names none) that exist, are enabled and take
/// its severity.
fn channels_for(rule: &RuleSpec, channels: &[StoredChannel]) -> Vec<String> {
    let named: HashSet<&str> = rule.channels.iter().map(String::as_str).collect();
    let severity = severity(rule);
    channels
        .iter()
        .map(|channel| &channel.spec)
        .filter(|spec| named.is_empty() || named.contains(spec.id.as_str()))
        .filter(|spec| !spec.disabled)
        .filter(|spec| match Severity::try_from(spec.min_severity) {
            Ok(Severity::Unspecified) | Err(_) => true,
            Ok(min) => min <= severity,
        })
        .map(|spec| spec.id.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use zenith_proto::v1::{ChannelSpec, SilenceSpec};

    use super::*;

    fn alert(id: &str, queue: &str, state: AlertState) -> StoredAlert {
        let observation = Observation {
            subject: format!("queue:{queue}"),
            labels: BTreeMap::from([("queue".to_owned(), queue.to_owned())]),
            value: 1.0,
            summary: String::new(),
            breaching: true,
        };
        let rule = RuleSpec {
            id: "backlog".into(),
            ..RuleSpec::default()
        };
        StoredAlert {
            id: id.into(),
            state,
            ..new_alert(&rule, &observation, 1000)
        }
    }

    fn silence(rule_id: &str, queue: &str, service: &str) -> StoredSilence {
        StoredSilence {
            id: "s".into(),
            spec: SilenceSpec {
                rule_id: rule_id.into(),
                queue: queue.into(),
                service: service.into(),
                ..SilenceSpec::default()
            },
            starts_at_ms: 0,
            ends_at_ms: i64::MAX,
            created_at_ms: 0,
        }
    }

    #[test]
    fn a_silence_matches_when_every_matcher_it_has_matches() {
        let emails = alert("a", "emails", AlertState::Firing);
        assert!(silenced(&emails, &[silence("", "emails", "")]));
        assert!(silenced(&emails, &[silence("backlog", "emails", "")]));
        assert!(silenced(&emails, &[silence("backlog", "", "")]));
        assert!(!silenced(&emails, &[silence("backlog", "other", "")]));
        assert!(!silenced(&emails, &[silence("failures", "emails", "")]));
        assert!(!silenced(&emails, &[silence("", "emails", "billing")]));
        assert!(!silenced(&emails, &[]));
    }

    #[test]
    fn titles_name_one_subject_or_count_many() {
        assert_eq!(
            title(NotificationKind::Firing, "backlog", &["queue:emails"]),
            "[FIRING] backlog: queue:emails"
        );
        assert_eq!(
            title(NotificationKind::Resolved, "backlog", &["a", "b", "c"]),
            "[RESOLVED] backlog: 3 alerts"
        );
        assert_eq!(
            title(NotificationKind::Repeat, "disk", &["node:n1"]),
            "[REMINDER] disk: node:n1"
        );
    }

    #[test]
    fn the_plan_groups_and_holds_back_what_it_should() {
        let rule = RuleSpec {
            id: "backlog".into(),
            repeat_interval: Some(crate::queue::proto_duration(Duration::from_secs(2))),
            ..RuleSpec::default()
        };
        let now = 100_000;
        let new = |id: &str, queue: &str| alert(id, queue, AlertState::Firing);
        let notified = |id: &str, queue: &str, last: i64| StoredAlert {
            fire_notified_at_ms: Some(last),
            last_notified_at_ms: Some(last),
            ..new(id, queue)
        };
        let firing = vec![
            new("1", "a"),
            new("2", "b"),
            new("3", "silenced"),
            notified("4", "c", now - 5_000),
            notified("5", "d", now - 1_000),
            StoredAlert {
                acknowledged_at_ms: Some(now - 3_000),
                ..notified("6", "e", now - 5_000)
            },
        ];
        let resolved = vec![
            StoredAlert {
                fire_notified_at_ms: Some(now - 9_000),
                ..alert("7", "f", AlertState::Resolved)
            },
            alert("8", "never-notified", AlertState::Resolved),
            StoredAlert {
                fire_notified_at_ms: Some(now - 9_000),
                ..alert("9", "silenced", AlertState::Resolved)
            },
        ];
        let silences = [silence("", "silenced", "")];
        let plan = plan(&rule, &firing, &resolved, &silences, now);
        let pair = |id: &str, queue: &str| (id.to_owned(), format!("queue:{queue}"));
        assert_eq!(plan.firing, vec![pair("1", "a"), pair("2", "b")]);
        assert_eq!(plan.repeat, vec![pair("4", "c")]);
        assert_eq!(plan.repeat_due_before_ms, now - 2_000);
        // A notified firing gets its resolve, silenced or not.
        assert_eq!(plan.resolved, vec![pair("7", "f"), pair("9", "silenced")]);
        assert_eq!(plan.quietly_handled, vec!["8".to_owned()]);
    }

    #[test]
    fn channels_follow_the_rule_and_their_minimum_severity() {
        let channel = |id: &str, disabled: bool, min: Severity| StoredChannel {
            spec: ChannelSpec {
                id: id.into(),
                disabled,
                min_severity: min.into(),
                ..ChannelSpec::default()
            },
            created_at_ms: 0,
            updated_at_ms: 0,
        };
        let channels = [
            channel("all", false, Severity::Unspecified),
            channel("critical-only", false, Severity::Critical),
            channel("off", true, Severity::Unspecified),
            channel("warnings", false, Severity::Warning),
        ];
        let warning = RuleSpec::default();
        assert_eq!(channels_for(&warning, &channels), ["all", "warnings"]);
        let critical = RuleSpec {
            severity: Severity::Critical.into(),
            channels: vec!["critical-only".into(), "off".into(), "gone".into()],
            ..RuleSpec::default()
        };
        assert_eq!(channels_for(&critical, &channels), ["critical-only"]);
    }

    #[test]
    fn labels_of_the_subject_win_over_the_rule() {
        let rule = RuleSpec {
            labels: [("team", "ops"), ("queue", "wrong")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            ..RuleSpec::default()
        };
        let labels = alert_labels(
            &rule,
            &Observation {
                subject: "queue:emails".into(),
                labels: BTreeMap::from([("queue".to_owned(), "emails".to_owned())]),
                value: 0.0,
                summary: String::new(),
                breaching: true,
            },
        );
        assert_eq!(labels.get("team").map(String::as_str), Some("ops"));
        assert_eq!(labels.get("queue").map(String::as_str), Some("emails"));
    }
}
