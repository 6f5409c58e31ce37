//! Sending one notification through one channel: Slack (Block Kit), Discord, a signed generic
//! webhook, PagerDuty Events API v2 and e-mail over SMTP. One attempt per call; `deliver`
//! decides about retries from the outcome.

mod discord;
mod email;
mod pagerduty;
mod slack;
mod webhook;

use std::time::Duration;

use zenith_proto::v1::channel_spec::Kind;
use zenith_proto::v1::{AlertState, ChannelSpec, NotificationKind, Severity};

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

impl SendOutcome {
    fn delivered(status_code: i32) -> Self {
        Self {
            status_code,
            error: None,
            retryable: false,
        }
    }

    fn failed(status_code: i32, error: impl Into<String>, retryable: bool) -> Self {
        Self {
            status_code,
            error: Some(error.into()),
            retryable,
        }
    }

    pub fn is_delivered(&self) -> bool {
        self.error.is_none()
    }
}

/// The HTTP client every channel shares: bounded connect and request times, and no redirects
/// (a signed body must not be replayed to another host).
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("build the http client")
}

/// Sends `message` once through `channel` (its stored spec, secrets included).
pub async fn send(http: &reqwest::Client, channel: &ChannelSpec, message: &Message) -> SendOutcome {
    let outcome = match &channel.kind {
        Some(Kind::Slack(slack)) => slack::send(http, slack, message).await,
        Some(Kind::Discord(discord)) => discord::send(http, discord, message).await,
        Some(Kind::Webhook(webhook)) => webhook::send(http, webhook, message).await,
        Some(Kind::Pagerduty(pagerduty)) => pagerduty::send(http, pagerduty, message).await,
        Some(Kind::Email(email)) => email::send(email, message).await,
        None => SendOutcome::failed(0, "channel has no kind", false),
    };
    scrub(outcome, &secrets(channel))
}

/// The channel kind's name, for logs.
pub fn kind_name(channel: &ChannelSpec) -> &'static str {
    match &channel.kind {
        Some(Kind::Slack(_)) => "slack",
        Some(Kind::Discord(_)) => "discord",
        Some(Kind::Webhook(_)) => "webhook",
        Some(Kind::Pagerduty(_)) => "pagerduty",
        Some(Kind::Email(_)) => "email",
        None => "none",
    }
}

/// Path segments at least this long in a secret URL are taken for tokens.
const MIN_TOKEN_SEGMENT: usize = 8;

/// The secret values of a channel, which no error text may carry: whole, and for secret URLs
/// also the parts a receiver may echo alone (`Cannot POST /hooks/<token>`), longest first.
fn secrets(channel: &ChannelSpec) -> Vec<String> {
    let (urls, others) = match &channel.kind {
        Some(Kind::Slack(slack)) => (vec![slack.webhook_url.as_str()], vec![]),
        Some(Kind::Discord(discord)) => (vec![discord.webhook_url.as_str()], vec![]),
        Some(Kind::Webhook(webhook)) => (
            vec![webhook.url.as_str()],
            vec![webhook.signing_secret.as_str()],
        ),
        Some(Kind::Pagerduty(pagerduty)) => (vec![], vec![pagerduty.routing_key.as_str()]),
        Some(Kind::Email(email)) => (vec![], vec![email.password.as_str()]),
        None => (vec![], vec![]),
    };
    let mut secrets: Vec<String> = urls
        .iter()
        .chain(&others)
        .map(|s| (*s).to_owned())
        .collect();
    for url in urls.iter().filter_map(|url| reqwest::Url::parse(url).ok()) {
        if url.path().len() > 1 {
            secrets.push(url.path().to_owned());
        }
        secrets.extend(url.query().map(str::to_owned));
        secrets.extend(url.password().map(str::to_owned));
        secrets.extend(
            url.path_segments()
                .into_iter()
                .flatten()
                .filter(|segment| segment.len() >= MIN_TOKEN_SEGMENT)
                .map(str::to_owned),
        );
    }
    secrets.retain(|secret| !secret.is_empty());
    secrets.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
    secrets.dedup();
    secrets
}

/// Replaces any secret an error text picked up (a server echoing a URL, a library quoting its
/// input) before it reaches the delivery log.
fn scrub(mut outcome: SendOutcome, secrets: &[String]) -> SendOutcome {
    if let Some(error) = outcome.error.as_mut() {
        for secret in secrets {
            if error.contains(secret) {
                *error = error.replace(secret, "[redacted]");
            }
        }
    }
    outcome
}

/// POSTs a JSON body and maps the answer: 2xx delivered; 408, 429 and 5xx retryable; any other
/// status refused.
async fn post_json(
    http: &reqwest::Client,
    url: &str,
    body: Vec<u8>,
    headers: &[(&str, String)],
) -> SendOutcome {
    let mut request = http
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let mut response = match request.send().await {
        Ok(response) => response,
        Err(error) => return request_failed(error),
    };
    let status = response.status();
    if status.is_success() {
        return SendOutcome::delivered(i32::from(status.as_u16()));
    }
    // A little of the answer says why (Slack answers `invalid_payload`, `no_service`...).
    let mut start = Vec::new();
    while start.len() < 300 {
        match response.chunk().await {
            Ok(Some(chunk)) => start.extend_from_slice(&chunk),
            _ => break,
        }
    }
    let text = truncate(String::from_utf8_lossy(&start).trim(), 300);
    let error = if text.is_empty() {
        format!("http {}", status.as_u16())
    } else {
        format!("http {}: {text}", status.as_u16())
    };
    let retryable = status.is_server_error()
        || status == reqwest::StatusCode::REQUEST_TIMEOUT
        || status == reqwest::StatusCode::TOO_MANY_REQUESTS;
    SendOutcome::failed(i32::from(status.as_u16()), error, retryable)
}

/// A request that got no answer: timeouts and connection errors are worth retrying, a request
/// that cannot be built (a bad URL) is not.
fn request_failed(error: reqwest::Error) -> SendOutcome {
    let error = error.without_url();
    let cause = root_cause(&error);
    if error.is_timeout() {
        SendOutcome::failed(0, "timed out", true)
    } else if error.is_connect() {
        SendOutcome::failed(0, format!("connection failed: {cause}"), true)
    } else if error.is_builder() {
        SendOutcome::failed(0, format!("invalid request: {cause}"), false)
    } else {
        SendOutcome::failed(0, format!("request failed: {cause}"), true)
    }
}

fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

/// At most `max` characters of `text`, with an ellipsis when cut.
fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Info => "info",
        Severity::Critical => "critical",
        Severity::Warning | Severity::Unspecified => "warning",
    }
}

fn kind_label(kind: NotificationKind) -> &'static str {
    match kind {
        NotificationKind::Firing => "firing",
        NotificationKind::Resolved => "resolved",
        NotificationKind::Repeat => "repeat",
        NotificationKind::Test => "test",
        NotificationKind::Unspecified => "unspecified",
    }
}

fn state_name(state: AlertState) -> &'static str {
    match state {
        AlertState::Pending => "pending",
        AlertState::Firing => "firing",
        AlertState::Resolved => "resolved",
        AlertState::Unspecified => "unspecified",
    }
}

/// When the alert entered its current state.
fn since_ms(alert: &StoredAlert) -> i64 {
    match alert.state {
        AlertState::Resolved => alert.resolved_at_ms,
        AlertState::Firing => alert.fired_at_ms,
        AlertState::Pending | AlertState::Unspecified => None,
    }
    .unwrap_or(alert.pending_since_ms)
}

/// RFC 3339 in UTC with milliseconds, e.g. `2026-11-23T08:05:31.123Z`.
fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// How many alerts the chat channels list before `and N more`.
const LISTED_ALERTS: usize = 20;

/// The line a test message carries instead of alerts.
const TEST_TEXT: &str = "a test message from zenith: this channel works";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receiver_echoing_part_of_a_secret_url_is_scrubbed_too() {
        let channel = ChannelSpec {
            kind: Some(Kind::Webhook(zenith_proto::v1::WebhookChannel {
                url: "https://hooks.example/h/9f8e7d6c5b4a?token=abc123".into(),
                signing_secret: String::new(),
            })),
            ..ChannelSpec::default()
        };
        let outcome = SendOutcome::failed(404, "http 404: Cannot POST /h/9f8e7d6c5b4a", false);
        let scrubbed = scrub(outcome, &secrets(&channel));
        assert_eq!(
            scrubbed.error.as_deref(),
            Some("http 404: Cannot POST [redacted]")
        );
        let outcome = SendOutcome::failed(400, "bad token=abc123 for 9f8e7d6c5b4a", false);
        let scrubbed = scrub(outcome, &secrets(&channel));
        assert_eq!(
            scrubbed.error.as_deref(),
            Some("bad [redacted] for [redacted]")
        );
    }

    #[test]
    fn scrub_replaces_every_secret() {
        let outcome = SendOutcome::failed(
            500,
            "http 500: bad hook https://hooks.example/s3cret and key k3y",
            true,
        );
        let scrubbed = scrub(
            outcome,
            &["https://hooks.example/s3cret".to_owned(), "k3y".to_owned()],
        );
        assert_eq!(
            scrubbed.error.as_deref(),
            Some("http 500: bad hook [redacted] and key [redacted]")
        );
    }

    #[test]
    fn truncate_counts_characters() {
        assert_eq!(truncate("héllo", 5), "héllo");
        assert_eq!(truncate("héllo world", 5), "héll…");
    }
}
