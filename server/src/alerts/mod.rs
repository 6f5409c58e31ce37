//! Alerting (ALERTS.md): rules evaluated over live state by one replica at a time
//! (`evaluate`), alerts moving pending → firing → resolved, silences, and notifications
//! delivered through channels with retries (`deliver`, `channels`). Everything durable lives in
//! SQL (`store`); every change that must happen once across replicas is a compare-and-set there.

pub mod channels;
mod defaults;
pub mod deliver;
mod error;
pub mod evaluate;
pub mod rules;
pub mod spec;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

pub use error::{AlertError, Result};
pub use store::{AlertStore, SharedAlertStore};

use zenith_proto::v1::{
    Alert, AlertState, Channel, ChannelSpec, Delivery, DeliveryAttempt, Notification, Rule,
    RuleSpec, Silence, SilenceSpec, SilenceState,
};

use crate::archive::SharedArchive;
use crate::cron::SharedScheduleStore;
use crate::pulse::SharedPulse;
use crate::queue::{SharedEngine, proto_duration, timestamp_from_ms};
use store::{
    Acknowledged, AlertFilter, StoredAlert, StoredChannel, StoredDelivery, StoredNotification,
    StoredRule, StoredSilence,
};

#[derive(Clone, Debug)]
pub struct AlertConfig {
    /// How often the rules are evaluated.
    pub evaluation_interval: Duration,
    /// How long resolved alerts and notifications stay in SQL.
    pub history_retention: Duration,
}

/// What rules read: live state in Redis, node health, schedules and the archive.
#[derive(Clone)]
pub struct Sources {
    pub engine: SharedEngine,
    pub pulse: SharedPulse,
    pub schedules: SharedScheduleStore,
    pub archive: SharedArchive,
}

pub struct Alerts {
    store: SharedAlertStore,
    sources: Sources,
    http: reqwest::Client,
    config: AlertConfig,
}

pub type SharedAlerts = Arc<Alerts>;

impl Alerts {
    pub fn new(store: SharedAlertStore, sources: Sources, config: AlertConfig) -> SharedAlerts {
        Arc::new(Self {
            store,
            sources,
            http: channels::http_client(),
            config,
        })
    }

    /// Redis's clock: the evaluator's and every replica's, so times stored by one replica and
    /// compared by another agree.
    async fn now_ms(&self) -> Result<i64> {
        Ok(self.sources.engine.redis_time_ms().await?)
    }

    /// Installs the default rules on a fresh database.
    pub async fn seed_default_rules(&self) -> Result<()> {
        let added = self
            .store
            .seed_default_rules(&defaults::rules(self.now_ms().await?))
            .await?;
        if added > 0 {
            tracing::info!(rules = added, "installed the default alert rules");
        }
        Ok(())
    }

    /// Evaluates rules and delivers notifications until `stop`.
    pub async fn run(self: Arc<Self>, stop: CancellationToken) {
        tokio::join!(
            evaluate::run(
                self.store.clone(),
                self.sources.clone(),
                self.config.clone(),
                stop.clone(),
            ),
            deliver::run(
                self.store.clone(),
                self.http.clone(),
                self.sources.engine.clone(),
                stop,
            ),
        );
    }
}

/// A page of results and the id to continue after (empty: no more).
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: String,
}

fn page<T>(mut items: Vec<T>, limit: usize, key: impl Fn(&T) -> String) -> Page<T> {
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(&key).unwrap_or_default()
    } else {
        String::new()
    };
    Page { items, next }
}

/// Rule, channel and silence management and alert reads: what `api::alerts` calls.
impl Alerts {
    async fn rule_view(&self, rule: StoredRule) -> Result<Rule> {
        let counts = self.store.open_alert_counts().await?;
        Ok(rule_to_proto(rule, &counts))
    }

    pub async fn create_rule(&self, spec: Option<RuleSpec>) -> Result<Rule> {
        let spec = spec::check_rule(spec)?;
        self.check_rule_channels(&spec).await?;
        let now = self.now_ms().await?;
        let rule = StoredRule {
            spec,
            origin: zenith_proto::v1::RuleOrigin::User,
            created_at_ms: now,
            updated_at_ms: now,
        };
        if !self.store.insert_rule(&rule).await? {
            return Err(AlertError::AlreadyExists {
                what: "rule",
                id: rule.spec.id,
            });
        }
        tracing::info!(rule = %rule.spec.id, "alert rule created");
        self.rule_view(rule).await
    }

    pub async fn update_rule(&self, spec: Option<RuleSpec>) -> Result<Rule> {
        let spec = spec::check_rule(spec)?;
        self.check_rule_channels(&spec).await?;
        let rule = self
            .store
            .replace_rule(&spec, self.now_ms().await?)
            .await?
            .ok_or_else(|| AlertError::not_found("rule", &spec.id))?;
        tracing::info!(rule = %rule.spec.id, "alert rule updated");
        self.rule_view(rule).await
    }

    /// A rule may only name channels that exist.
    async fn check_rule_channels(&self, spec: &RuleSpec) -> Result<()> {
        for (index, channel) in spec.channels.iter().enumerate() {
            if self.store.get_channel(channel).await?.is_none() {
                return Err(AlertError::invalid(
                    format!("spec.channels[{index}]"),
                    format!("channel {channel} not found"),
                ));
            }
        }
        Ok(())
    }

    pub async fn delete_rule(&self, id: &str) -> Result<()> {
        spec::check_id("id", id)?;
        if !self.store.delete_rule(id, self.now_ms().await?).await? {
            return Err(AlertError::not_found("rule", id));
        }
        tracing::info!(rule = %id, "alert rule deleted");
        Ok(())
    }

    pub async fn get_rule(&self, id: &str) -> Result<Rule> {
        spec::check_id("id", id)?;
        let rule = self
            .store
            .get_rule(id)
            .await?
            .ok_or_else(|| AlertError::not_found("rule", id))?;
        self.rule_view(rule).await
    }

    pub async fn list_rules(&self, after_id: &str, limit: usize) -> Result<Page<Rule>> {
        let rules = self.store.list_rules(after_id, limit + 1).await?;
        let counts = self.store.open_alert_counts().await?;
        let page = page(rules, limit, |rule| rule.spec.id.clone());
        Ok(Page {
            items: page
                .items
                .into_iter()
                .map(|rule| rule_to_proto(rule, &counts))
                .collect(),
            next: page.next,
        })
    }

    pub async fn create_channel(&self, spec: Option<ChannelSpec>) -> Result<Channel> {
        let spec = spec::check_channel(spec, None)?;
        let now = self.now_ms().await?;
        let channel = StoredChannel {
            spec,
            created_at_ms: now,
            updated_at_ms: now,
        };
        if !self.store.insert_channel(&channel).await? {
            return Err(AlertError::AlreadyExists {
                what: "channel",
                id: channel.spec.id,
            });
        }
        tracing::info!(channel = %channel.spec.id, "alert channel created");
        Ok(channel_to_proto(channel))
    }

    pub async fn update_channel(&self, spec: Option<ChannelSpec>) -> Result<Channel> {
        let id = spec
            .as_ref()
            .map(|spec| spec.id.clone())
            .unwrap_or_default();
        spec::check_id("spec.id", &id)?;
        let stored = self
            .store
            .get_channel(&id)
            .await?
            .ok_or_else(|| AlertError::not_found("channel", &id))?;
        let spec = spec::check_channel(spec, Some(&stored.spec))?;
        let channel = self
            .store
            .replace_channel(&spec, self.now_ms().await?)
            .await?
            .ok_or_else(|| AlertError::not_found("channel", &id))?;
        tracing::info!(channel = %id, "alert channel updated");
        Ok(channel_to_proto(channel))
    }

    /// Refused while a rule names the channel: the rule would notify nobody, and could not be
    /// updated without first dropping the name.
    pub async fn delete_channel(&self, id: &str) -> Result<()> {
        spec::check_id("id", id)?;
        let mut users = Vec::new();
        let mut after = String::new();
        loop {
            let rules = self.store.list_rules(&after, RULES_PAGE).await?;
            users.extend(
                rules
                    .iter()
                    .filter(|rule| rule.spec.channels.iter().any(|channel| channel == id))
                    .map(|rule| rule.spec.id.clone()),
            );
            match rules.last() {
                Some(last) if rules.len() == RULES_PAGE => after.clone_from(&last.spec.id),
                _ => break,
            }
        }
        if !users.is_empty() {
            return Err(AlertError::FailedPrecondition(format!(
                "channel {id} is used by rules {}; take it out of them first",
                users.join(", ")
            )));
        }
        if !self.store.delete_channel(id, self.now_ms().await?).await? {
            return Err(AlertError::not_found("channel", id));
        }
        tracing::info!(channel = %id, "alert channel deleted");
        Ok(())
    }

    async fn stored_channel(&self, id: &str) -> Result<StoredChannel> {
        spec::check_id("id", id)?;
        self.store
            .get_channel(id)
            .await?
            .ok_or_else(|| AlertError::not_found("channel", id))
    }

    pub async fn get_channel(&self, id: &str) -> Result<Channel> {
        Ok(channel_to_proto(self.stored_channel(id).await?))
    }

    pub async fn list_channels(&self, after_id: &str, limit: usize) -> Result<Page<Channel>> {
        let channels = self.store.list_channels(after_id, limit + 1).await?;
        let page = page(channels, limit, |channel| channel.spec.id.clone());
        Ok(Page {
            items: page.items.into_iter().map(channel_to_proto).collect(),
            next: page.next,
        })
    }

    pub async fn test_channel(&self, id: &str) -> Result<Delivery> {
        let channel = self.stored_channel(id).await?;
        let now = self.now_ms().await?;
        let delivery = deliver::test_channel(&self.store, &self.http, &channel, now).await?;
        Ok(delivery_to_proto(delivery))
    }

    async fn alert_views(&self, alerts: Vec<StoredAlert>) -> Result<Vec<Alert>> {
        let silences = self.store.active_silences(self.now_ms().await?).await?;
        Ok(alerts
            .into_iter()
            .map(|alert| alert_to_proto(alert, &silences))
            .collect())
    }

    pub async fn list_alerts(
        &self,
        filter: &AlertFilter,
        before_id: &str,
        limit: usize,
    ) -> Result<Page<Alert>> {
        let alerts = self.store.list_alerts(filter, before_id, limit + 1).await?;
        let page = page(alerts, limit, |alert| alert.id.clone());
        Ok(Page {
            items: self.alert_views(page.items).await?,
            next: page.next,
        })
    }

    /// One alert and its notifications, newest first.
    pub async fn get_alert(&self, id: &str) -> Result<(Alert, Vec<Notification>)> {
        spec::check_uuid("id", id)?;
        let alert = self
            .store
            .get_alert(id)
            .await?
            .ok_or_else(|| AlertError::not_found("alert", id))?;
        let notifications = self
            .store
            .list_notifications("", id, "", MAX_ALERT_NOTIFICATIONS)
            .await?;
        let alert = self.alert_views(vec![alert]).await?.remove(0);
        Ok((
            alert,
            notifications
                .into_iter()
                .map(notification_to_proto)
                .collect(),
        ))
    }

    pub async fn acknowledge(&self, id: &str, by: &str, comment: &str) -> Result<Alert> {
        spec::check_uuid("id", id)?;
        crate::api::validate::label("comment", comment, 1000, false)?;
        let alert = match self
            .store
            .acknowledge(id, by, comment, self.now_ms().await?)
            .await?
        {
            Acknowledged::NotFound => return Err(AlertError::not_found("alert", id)),
            Acknowledged::Resolved(_) => {
                return Err(AlertError::FailedPrecondition(format!(
                    "alert {id} is resolved; only open alerts can be acknowledged"
                )));
            }
            Acknowledged::Done(alert) => alert,
        };
        tracing::info!(alert = %id, rule = %alert.rule_id, by, "alert acknowledged");
        Ok(self.alert_views(vec![alert]).await?.remove(0))
    }

    pub async fn list_notifications(
        &self,
        rule_id: &str,
        alert_id: &str,
        before_id: &str,
        limit: usize,
    ) -> Result<Page<Notification>> {
        if !rule_id.is_empty() {
            spec::check_id("rule_id", rule_id)?;
        }
        if !alert_id.is_empty() {
            spec::check_uuid("alert_id", alert_id)?;
        }
        let notifications = self
            .store
            .list_notifications(rule_id, alert_id, before_id, limit + 1)
            .await?;
        let page = page(notifications, limit, |notification| notification.id.clone());
        Ok(Page {
            items: page.items.into_iter().map(notification_to_proto).collect(),
            next: page.next,
        })
    }

    pub async fn create_silence(&self, spec: Option<SilenceSpec>, actor: &str) -> Result<Silence> {
        let now = self.now_ms().await?;
        let checked = spec::check_silence(spec, now, actor)?;
        // Every alert read and every evaluation matches against all of them.
        let current = self
            .store
            .list_silences(false, now, "", MAX_SILENCES)
            .await?;
        if current.len() >= MAX_SILENCES {
            return Err(AlertError::FailedPrecondition(format!(
                "{MAX_SILENCES} silences are active or pending already; expire some first"
            )));
        }
        let silence = StoredSilence {
            id: uuid::Uuid::now_v7().to_string(),
            spec: checked.spec,
            starts_at_ms: checked.starts_at_ms,
            ends_at_ms: checked.ends_at_ms,
            created_at_ms: now,
        };
        self.store.insert_silence(&silence).await?;
        tracing::info!(silence = %silence.id, author = %silence.spec.author, "silence created");
        Ok(silence_to_proto(silence, now))
    }

    pub async fn list_silences(
        &self,
        include_expired: bool,
        before_id: &str,
        limit: usize,
    ) -> Result<Page<Silence>> {
        let now = self.now_ms().await?;
        let silences = self
            .store
            .list_silences(include_expired, now, before_id, limit + 1)
            .await?;
        let page = page(silences, limit, |silence| silence.id.clone());
        Ok(Page {
            items: page
                .items
                .into_iter()
                .map(|silence| silence_to_proto(silence, now))
                .collect(),
            next: page.next,
        })
    }

    pub async fn expire_silence(&self, id: &str) -> Result<Silence> {
        spec::check_uuid("id", id)?;
        let now = self.now_ms().await?;
        let silence = self
            .store
            .expire_silence(id, now)
            .await?
            .ok_or_else(|| AlertError::not_found("silence", id))?;
        tracing::info!(silence = %id, "silence expired");
        Ok(silence_to_proto(silence, now))
    }
}

/// Silences active or pending at once.
const MAX_SILENCES: usize = 1000;

/// Rules read per page when looking for those naming a channel.
const RULES_PAGE: usize = 500;

/// Notifications GetAlert shows: an alert reminded every second for a day has many.
const MAX_ALERT_NOTIFICATIONS: usize = 100;

fn rule_to_proto(rule: StoredRule, counts: &std::collections::HashMap<String, (i32, i32)>) -> Rule {
    let (pending, firing) = counts.get(&rule.spec.id).copied().unwrap_or_default();
    Rule {
        origin: rule.origin.into(),
        created_at: Some(timestamp_from_ms(rule.created_at_ms)),
        updated_at: Some(timestamp_from_ms(rule.updated_at_ms)),
        pending_alerts: pending,
        firing_alerts: firing,
        spec: Some(rule.spec),
    }
}

fn channel_to_proto(channel: StoredChannel) -> Channel {
    let (spec, secrets_set) = spec::redact(&channel.spec);
    Channel {
        spec: Some(spec),
        secrets_set,
        created_at: Some(timestamp_from_ms(channel.created_at_ms)),
        updated_at: Some(timestamp_from_ms(channel.updated_at_ms)),
    }
}

fn alert_to_proto(alert: StoredAlert, silences: &[StoredSilence]) -> Alert {
    let silenced = alert.state != AlertState::Resolved
        && silences.iter().any(|silence| {
            spec::silence_matches(
                &silence.spec,
                &alert.rule_id,
                alert.queue(),
                alert.service(),
            )
        });
    Alert {
        silenced,
        id: alert.id,
        rule_id: alert.rule_id,
        state: alert.state.into(),
        severity: alert.severity.into(),
        subject: alert.subject,
        labels: alert.labels.into_iter().collect(),
        summary: alert.summary,
        value: alert.value,
        pending_since: Some(timestamp_from_ms(alert.pending_since_ms)),
        fired_at: alert.fired_at_ms.map(timestamp_from_ms),
        resolved_at: alert.resolved_at_ms.map(timestamp_from_ms),
        acknowledged_at: alert.acknowledged_at_ms.map(timestamp_from_ms),
        acknowledged_by: alert.acknowledged_by,
        acknowledge_comment: alert.acknowledge_comment,
        last_notified_at: alert.last_notified_at_ms.map(timestamp_from_ms),
    }
}

fn delivery_to_proto(delivery: StoredDelivery) -> Delivery {
    Delivery {
        idempotency_key: delivery.notification_id,
        channel_id: delivery.channel_id,
        state: delivery.state.into(),
        next_attempt_at: (delivery.state == zenith_proto::v1::DeliveryState::Pending)
            .then(|| timestamp_from_ms(delivery.next_attempt_at_ms)),
        delivered_at: delivery.delivered_at_ms.map(timestamp_from_ms),
        attempts: delivery
            .attempts
            .into_iter()
            .map(|attempt| DeliveryAttempt {
                at: Some(timestamp_from_ms(attempt.at_ms)),
                status_code: attempt.status_code,
                error: attempt.error,
                took: Some(proto_duration(Duration::from_millis(
                    attempt.took_ms.max(0) as u64,
                ))),
            })
            .collect(),
    }
}

fn notification_to_proto(notification: StoredNotification) -> Notification {
    Notification {
        id: notification.id,
        rule_id: notification.rule_id,
        kind: notification.kind.into(),
        severity: notification.severity.into(),
        alert_ids: notification.alert_ids,
        title: notification.title,
        created_at: Some(timestamp_from_ms(notification.created_at_ms)),
        deliveries: notification
            .deliveries
            .into_iter()
            .map(delivery_to_proto)
            .collect(),
    }
}

fn silence_to_proto(silence: StoredSilence, now_ms: i64) -> Silence {
    let state = if now_ms >= silence.ends_at_ms {
        SilenceState::Expired
    } else if now_ms < silence.starts_at_ms {
        SilenceState::Pending
    } else {
        SilenceState::Active
    };
    let mut spec = silence.spec;
    spec.starts_at = Some(timestamp_from_ms(silence.starts_at_ms));
    spec.ends_at = Some(timestamp_from_ms(silence.ends_at_ms));
    spec.duration = None;
    Silence {
        id: silence.id,
        spec: Some(spec),
        state: state.into(),
        created_at: Some(timestamp_from_ms(silence.created_at_ms)),
    }
}
