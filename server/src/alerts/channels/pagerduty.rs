//! PagerDuty Events API v2: one event per alert, keyed `zenith:<alert id>` so PagerDuty folds
//! repeats into one incident and a resolve closes it.
//!
//! FIRING triggers each alert, except one resolved since (a late firing delivery must not
//! reopen an incident a resolve already closed): that one is resolved. RESOLVED resolves each.
//! REPEAT sends nothing and counts as delivered: PagerDuty escalates an open incident by
//! itself. TEST triggers an `info` event keyed `zenith:test:<notification id>` and resolves it
//! at once.

use serde_json::{Value, json};
use zenith_proto::v1::{AlertState, NotificationKind, PagerDutyChannel};

use super::{Message, SendOutcome, TEST_TEXT, post_json, rfc3339, severity_name, truncate};
use crate::alerts::store::StoredAlert;

const DEFAULT_EVENTS_URL: &str = "https://events.pagerduty.com/v2/enqueue";

pub(super) async fn send(
    http: &reqwest::Client,
    channel: &PagerDutyChannel,
    message: &Message,
) -> SendOutcome {
    let url = if channel.events_url.is_empty() {
        DEFAULT_EVENTS_URL
    } else {
        channel.events_url.as_str()
    };
    let mut outcome = SendOutcome::delivered(0);
    for event in events(&channel.routing_key, message) {
        let body = serde_json::to_vec(&event).expect("serialize a pagerduty event");
        outcome = post_json(http, url, body, &[]).await;
        // A retry sends every event again; PagerDuty dedups them by key.
        if !outcome.is_delivered() {
            break;
        }
    }
    outcome
}

fn events(routing_key: &str, message: &Message) -> Vec<Value> {
    match message.kind {
        NotificationKind::Test => {
            let dedup_key = format!("zenith:test:{}", message.notification_id);
            vec![
                json!({
                    "routing_key": routing_key,
                    "event_action": "trigger",
                    "dedup_key": dedup_key,
                    "client": "zenith",
                    "payload": {
                        "summary": truncate(&format!("{}: {TEST_TEXT}", message.title), 1024),
                        "source": "zenith",
                        "severity": "info",
                        "custom_details": {"notification_id": message.notification_id},
                    },
                }),
                resolve(routing_key, dedup_key),
            ]
        }
        NotificationKind::Repeat | NotificationKind::Unspecified => Vec::new(),
        NotificationKind::Firing | NotificationKind::Resolved => message
            .alerts
            .iter()
            .map(|alert| {
                let dedup_key = format!("zenith:{}", alert.id);
                if message.kind == NotificationKind::Resolved || alert.state == AlertState::Resolved
                {
                    resolve(routing_key, dedup_key)
                } else {
                    trigger(routing_key, dedup_key, alert, message)
                }
            })
            .collect(),
    }
}

fn resolve(routing_key: &str, dedup_key: String) -> Value {
    json!({
        "routing_key": routing_key,
        "event_action": "resolve",
        "dedup_key": dedup_key,
    })
}

fn trigger(routing_key: &str, dedup_key: String, alert: &StoredAlert, message: &Message) -> Value {
    let summary = if alert.summary.is_empty() {
        &message.title
    } else {
        &alert.summary
    };
    let mut payload = json!({
        "summary": truncate(summary, 1024),
        "source": "zenith",
        "severity": severity_name(alert.severity),
        "component": alert.subject,
        "group": alert.rule_id,
        "custom_details": {
            "labels": alert.labels,
            "value": alert.value,
            "alert_id": alert.id,
            "notification_id": message.notification_id,
            "rule_description": message.rule_description,
        },
    });
    if let Some(fired_at_ms) = alert.fired_at_ms {
        payload["timestamp"] = Value::String(rfc3339(fired_at_ms));
    }
    json!({
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": dedup_key,
        "client": "zenith",
        "payload": payload,
    })
}
