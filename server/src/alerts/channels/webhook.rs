//! The generic webhook: a versioned JSON body POSTed to any URL, with the notification id as
//! `Idempotency-Key` and, with a signing secret, an HMAC-SHA256 signature over
//! `<timestamp>.<body>` so receivers can check origin and freshness.

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use zenith_proto::v1::WebhookChannel;

use super::{Message, SendOutcome, kind_label, post_json, rfc3339, severity_name, state_name};
use crate::alerts::store::StoredAlert;

/// The body's `version`: bumped on any incompatible change to its shape.
const BODY_VERSION: u32 = 1;

pub(super) async fn send(
    http: &reqwest::Client,
    channel: &WebhookChannel,
    message: &Message,
) -> SendOutcome {
    let body = serde_json::to_vec(&body(message)).expect("serialize a webhook body");
    let mut headers = vec![("Idempotency-Key", message.notification_id.clone())];
    if !channel.signing_secret.is_empty() {
        let timestamp = chrono::Utc::now().timestamp().to_string();
        let signature = sign(&channel.signing_secret, &timestamp, &body);
        headers.push(("X-Zenith-Timestamp", timestamp));
        headers.push(("X-Zenith-Signature", format!("sha256={signature}")));
    }
    post_json(http, &channel.url, body, &headers).await
}

/// Hex HMAC-SHA256 of `<timestamp>.<body>` under `secret`.
fn sign(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("hmac takes a key of any size");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

fn time(ms: Option<i64>) -> Value {
    ms.map_or(Value::Null, |ms| Value::String(rfc3339(ms)))
}

fn alert(alert: &StoredAlert) -> Value {
    json!({
        "id": alert.id,
        "rule_id": alert.rule_id,
        "subject": alert.subject,
        "state": state_name(alert.state),
        "severity": severity_name(alert.severity),
        "summary": alert.summary,
        "value": alert.value,
        "labels": alert.labels,
        "pending_since": rfc3339(alert.pending_since_ms),
        "fired_at": time(alert.fired_at_ms),
        "resolved_at": time(alert.resolved_at_ms),
        "acknowledged_at": time(alert.acknowledged_at_ms),
    })
}

fn body(message: &Message) -> Value {
    json!({
        "version": BODY_VERSION,
        "notification_id": message.notification_id,
        "kind": kind_label(message.kind),
        "rule": {
            "id": message.rule_id,
            "severity": severity_name(message.severity),
            "description": message.rule_description,
        },
        "title": message.title,
        "alerts": message.alerts.iter().map(alert).collect::<Vec<_>>(),
        "created_at": rfc3339(message.created_at_ms),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_matches_an_independent_hmac() {
        // Python: hmac.new(b"Jefe", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
        assert_eq!(
            sign("Jefe", "1700000000", br#"{"a":1}"#),
            "fa5f6481efc59da48b19c9dc10196c9953e5651f8304b3a318b6b87d70272e0a"
        );
    }
}
