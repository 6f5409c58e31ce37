//! Sending one notification through one channel: Slack (Block Kit), Discord, a signed generic
//! webhook, PagerDuty Events API v2 and e-mail over SMTP. One attempt per call; `deliver`
//! decides about retries from the outcome.

use std::time::Duration;

use zenith_proto::v1::{ChannelSpec, NotificationKind, Severity};

use super::store::StoredAlert;

/// What a channel is asked to say.
#[derive(Clone, Debug)]
pub struct Message {
    /// The notification id: the idempotency key of every attempt.
    pub notification_id: String,
    pub kind: NotificationKind,
    pub rule_id: String,
    /// The rule's description, when it still exists.
    pub rule_description: String,
    pub severity: Severity,
    pub title: String,
    /// The alerts as they are now, in id order; empty for a test message.
    pub alerts: Vec<StoredAlert>,
    pub created_at_ms: i64,
}

/// How one attempt went.
#[derive(Clone, Debug, PartialEq)]
pub struct SendOutcome {
    /// HTTP status or SMTP reply code; 0 when none came.
    pub status_code: i32,
    /// `None` on success. Never contains a secret (URLs, keys, passwords).
    pub error: Option<String>,
    /// Worth trying again: a timeout, a connection error, 408, 429 or 5xx, an SMTP 4xx reply.
    pub retryable: bool,
}

/// The HTTP client every channel shares: bounded connect and request times.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .build()
        .expect("build the http client")
}

/// Sends `message` once through `channel` (its stored spec, secrets included).
pub async fn send(http: &reqwest::Client, channel: &ChannelSpec, message: &Message) -> SendOutcome {
    let _ = (http, channel, message);
    todo!()
}
