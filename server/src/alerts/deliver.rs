//! The delivery loop on every replica: claims due deliveries from SQL under a lease, sends
//! each through its channel, logs the attempt and retries with exponential backoff on 5xx and
//! timeouts (never on other 4xx).

use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio_util::sync::CancellationToken;
use zenith_proto::v1::{DeliveryState, NotificationKind, Severity};

use super::channels::{self, Message, SendOutcome};
use super::store::{
    ClaimedDelivery, DeliveryOutcome, NewNotification, SharedAlertStore, StoredAttempt,
    StoredChannel, StoredDelivery,
};
use crate::queue::SharedEngine;

/// How often due deliveries are looked for.
const POLL_EVERY: Duration = Duration::from_millis(500);
/// How long a claimed delivery is ours: well beyond `SEND_TIMEOUT`, so no other replica sends
/// it while we still are.
const LEASE: Duration = Duration::from_secs(60);
/// Bounds one attempt however many requests it makes (PagerDuty sends one per alert).
const SEND_TIMEOUT: Duration = Duration::from_secs(30);
/// Also how many are claimed at once: every claimed delivery starts sending at once, so its
/// lease never runs out while it waits its turn.
const CONCURRENT_SENDS: usize = 16;
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// A notification still undelivered this long after it was made has failed for good.
const GIVE_UP_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Redis's clock, read once per batch: every replica judges leases and due times by the same
/// clock as the evaluator that wrote them.
#[derive(Clone, Copy)]
struct Clock {
    read_ms: i64,
    read_at: Instant,
}

impl Clock {
    fn now_ms(&self) -> i64 {
        self.read_ms + self.read_at.elapsed().as_millis() as i64
    }
}

pub async fn run(
    store: SharedAlertStore,
    http: reqwest::Client,
    engine: SharedEngine,
    stop: CancellationToken,
) {
    let mut interval = tokio::time::interval(POLL_EVERY);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = interval.tick() => {}
        }
        // On stop, sends in flight are dropped: their leases run out and another replica (or
        // this one, restarted) delivers them; at least once, never lost.
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = crate::metrics::loop_pass("alert_delivery", deliver_due(&store, &http, &engine)) => {}
        }
    }
}

/// Claims and sends due deliveries until none are left.
async fn deliver_due(store: &SharedAlertStore, http: &reqwest::Client, engine: &SharedEngine) {
    loop {
        let clock = match engine.redis_time_ms().await {
            Ok(read_ms) => Clock {
                read_ms,
                read_at: Instant::now(),
            },
            Err(error) => {
                tracing::warn!(%error, "reading the clock for alert deliveries failed");
                return;
            }
        };
        let claimed = match store
            .claim_deliveries(clock.now_ms(), LEASE.as_millis() as i64, CONCURRENT_SENDS)
            .await
        {
            Ok(claimed) => claimed,
            Err(error) => {
                tracing::warn!(%error, "claiming alert deliveries failed");
                return;
            }
        };
        let full_batch = claimed.len() == CONCURRENT_SENDS;
        futures::stream::iter(claimed)
            .for_each_concurrent(CONCURRENT_SENDS, |delivery| {
                deliver(store, http, clock, delivery)
            })
            .await;
        if !full_batch {
            return;
        }
    }
}

/// The wait before the retry that follows `attempts_made` earlier attempts and this failed one:
/// 1 s, 2 s, 4 s… up to 5 min.
fn backoff(attempts_made: u32) -> Duration {
    FIRST_BACKOFF
        .saturating_mul(2u32.saturating_pow(attempts_made.min(16)))
        .min(MAX_BACKOFF)
}

/// One attempt at one claimed delivery. Store errors leave it leased: it is retried once the
/// lease ends.
async fn deliver(
    store: &SharedAlertStore,
    http: &reqwest::Client,
    clock: Clock,
    delivery: ClaimedDelivery,
) {
    let notification = &delivery.notification;
    let channel_id = delivery.channel_id.as_str();
    let at_ms = clock.now_ms();
    let started = Instant::now();
    let (outcome, kind) = match prepare(store, &delivery).await {
        Ok(Prepared::Send(channel, message)) => {
            let outcome = send(http, &channel, &message).await;
            (outcome, channels::kind_name(&channel.spec))
        }
        Ok(Prepared::Refuse { error, kind }) => (
            SendOutcome {
                status_code: 0,
                error: Some(error.to_owned()),
                retryable: false,
            },
            kind,
        ),
        Err(error) => {
            tracing::warn!(
                %error,
                notification = %notification.id,
                channel = channel_id,
                "loading an alert delivery failed"
            );
            return;
        }
    };
    let attempt = StoredAttempt {
        at_ms,
        status_code: outcome.status_code,
        error: outcome.error.clone().unwrap_or_default(),
        took_ms: started.elapsed().as_millis() as i64,
    };
    let result = if outcome.is_delivered() {
        tracing::debug!(
            notification = %notification.id,
            channel = channel_id,
            kind,
            status = outcome.status_code,
            "alert notification delivered"
        );
        DeliveryOutcome::Delivered
    } else {
        let next_attempt_at_ms =
            clock.now_ms() + backoff(delivery.attempts_made).as_millis() as i64;
        let give_up_at_ms = notification.created_at_ms + GIVE_UP_AFTER.as_millis() as i64;
        let retry = outcome.retryable && next_attempt_at_ms <= give_up_at_ms;
        tracing::warn!(
            notification = %notification.id,
            channel = channel_id,
            kind,
            status = outcome.status_code,
            attempt = delivery.attempts_made + 1,
            retry,
            "alert notification not delivered"
        );
        if retry {
            DeliveryOutcome::Retry { next_attempt_at_ms }
        } else {
            DeliveryOutcome::Failed
        }
    };
    if let Err(error) = store
        .finish_attempt(&notification.id, channel_id, &attempt, result)
        .await
    {
        tracing::warn!(
            %error,
            notification = %notification.id,
            channel = channel_id,
            "recording an alert delivery attempt failed"
        );
    }
}

enum Prepared {
    Send(Box<StoredChannel>, Box<Message>),
    /// Not sent, for good: the error to record.
    Refuse {
        error: &'static str,
        kind: &'static str,
    },
}

async fn prepare(store: &SharedAlertStore, delivery: &ClaimedDelivery) -> super::Result<Prepared> {
    let Some(channel) = store.get_channel(&delivery.channel_id).await? else {
        return Ok(Prepared::Refuse {
            error: "channel deleted",
            kind: "unknown",
        });
    };
    if channel.spec.disabled {
        return Ok(Prepared::Refuse {
            error: "channel disabled",
            kind: channels::kind_name(&channel.spec),
        });
    }
    let notification = &delivery.notification;
    let alerts = store.alerts_by_ids(&notification.alert_ids).await?;
    let rule_description = store
        .get_rule(&notification.rule_id)
        .await?
        .map(|rule| rule.spec.description)
        .unwrap_or_default();
    let message = Message {
        notification_id: notification.id.clone(),
        kind: notification.kind,
        rule_id: notification.rule_id.clone(),
        rule_description,
        severity: notification.severity,
        title: notification.title.clone(),
        alerts,
        created_at_ms: notification.created_at_ms,
    };
    Ok(Prepared::Send(Box::new(channel), Box::new(message)))
}

/// One send, bounded by `SEND_TIMEOUT` whatever the channel does.
async fn send(http: &reqwest::Client, channel: &StoredChannel, message: &Message) -> SendOutcome {
    match tokio::time::timeout(SEND_TIMEOUT, channels::send(http, &channel.spec, message)).await {
        Ok(outcome) => outcome,
        Err(_) => SendOutcome {
            status_code: 0,
            error: Some("timed out".to_owned()),
            retryable: true,
        },
    }
}

/// TestChannel: sends a test message through `channel` now, once, and records it as a TEST
/// notification with that one attempt.
pub async fn test_channel(
    store: &SharedAlertStore,
    http: &reqwest::Client,
    channel: &StoredChannel,
    created_at_ms: i64,
) -> super::Result<StoredDelivery> {
    let notification = NewNotification {
        id: uuid::Uuid::now_v7().to_string(),
        rule_id: String::new(),
        kind: NotificationKind::Test,
        severity: Severity::Info,
        title: format!("[TEST] zenith channel {}", channel.spec.id),
        created_at_ms,
        channel_ids: vec![channel.spec.id.clone()],
    };
    let message = Message {
        notification_id: notification.id.clone(),
        kind: notification.kind,
        rule_id: String::new(),
        rule_description: String::new(),
        severity: notification.severity,
        title: notification.title.clone(),
        alerts: Vec::new(),
        created_at_ms,
    };
    let started = Instant::now();
    let outcome = send(http, channel, &message).await;
    let attempt = StoredAttempt {
        at_ms: created_at_ms,
        status_code: outcome.status_code,
        error: outcome.error.clone().unwrap_or_default(),
        took_ms: started.elapsed().as_millis() as i64,
    };
    let delivered = outcome.is_delivered();
    tracing::info!(
        notification = %notification.id,
        channel = %channel.spec.id,
        kind = channels::kind_name(&channel.spec),
        status = outcome.status_code,
        delivered,
        "alert channel tested"
    );
    store
        .record_test(&notification, &attempt, delivered)
        .await?;
    let finished_at_ms = created_at_ms + attempt.took_ms;
    Ok(StoredDelivery {
        notification_id: notification.id,
        channel_id: channel.spec.id.clone(),
        state: if delivered {
            DeliveryState::Delivered
        } else {
            DeliveryState::Failed
        },
        next_attempt_at_ms: created_at_ms,
        delivered_at_ms: delivered.then_some(finished_at_ms),
        attempts: vec![attempt],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_one_second_up_to_five_minutes() {
        let waits: Vec<u64> = (0..12).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
        assert_eq!(backoff(u32::MAX), MAX_BACKOFF);
    }
}
