//! Checking and normalizing what callers send: rule, channel and silence definitions, and
//! keeping channel secrets write-only.

use std::time::Duration;

use lettre::message::Mailbox;
use zenith_proto::v1::channel_spec::Kind;
use zenith_proto::v1::rule_spec::Condition;
use zenith_proto::v1::{
    ChannelSpec, DeadGrowthCondition, FailureRateCondition, NodeResource, RuleSpec,
    ScheduleFailingCondition, Severity, SilenceSpec, SmtpSecurity,
};

use super::{AlertError, Result};
use crate::api::validate;
use crate::queue::{proto_duration, timestamp_from_ms, timestamp_to_ms};

const MAX_ID_BYTES: usize = 100;
const MAX_DESCRIPTION_BYTES: usize = 1000;
const MAX_LABELS: usize = 32;
const MAX_LABEL_KEY_BYTES: usize = 100;
const MAX_LABEL_VALUE_BYTES: usize = 500;
const MAX_RULE_CHANNELS: usize = 20;
const MAX_PENDING_FOR: Duration = Duration::from_secs(24 * 3600);
pub const DEFAULT_REPEAT_INTERVAL: Duration = Duration::from_secs(4 * 3600);
const MIN_REPEAT_INTERVAL: Duration = Duration::from_secs(1);
const MAX_REPEAT_INTERVAL: Duration = Duration::from_secs(7 * 24 * 3600);
const DEFAULT_WINDOW: Duration = Duration::from_secs(300);
const MIN_WINDOW: Duration = Duration::from_secs(60);
const MAX_WINDOW: Duration = Duration::from_secs(24 * 3600);
const MAX_AGE_THRESHOLD: Duration = Duration::from_secs(30 * 24 * 3600);
const DEFAULT_MIN_VOLUME: i64 = 10;
const MAX_HEALTHY_NODES: i32 = 10_000;
const MAX_CONSECUTIVE_FAILURES: i32 = 100;
const MAX_SECRET_BYTES: usize = 2000;
const MAX_RECIPIENTS: usize = 50;
pub const DEFAULT_PAGERDUTY_EVENTS_URL: &str = "https://events.pagerduty.com/v2/enqueue";
const MIN_SILENCE: Duration = Duration::from_secs(60);
const MAX_SILENCE: Duration = Duration::from_secs(90 * 24 * 3600);
const MAX_AUTHOR_BYTES: usize = 128;

fn invalid(error: crate::queue::QueueError) -> AlertError {
    AlertError::from(error)
}

/// The id rules of rules and channels.
pub fn check_id(field: &str, id: &str) -> Result<()> {
    validate::name(field, id).map_err(invalid)?;
    if id.len() > MAX_ID_BYTES {
        return Err(AlertError::invalid(
            field,
            format!("longer than {MAX_ID_BYTES} characters"),
        ));
    }
    Ok(())
}

/// Alert, silence and notification ids are UUIDs.
pub fn check_uuid(field: &str, id: &str) -> Result<()> {
    if id.is_empty() {
        return Err(AlertError::invalid(field, "required"));
    }
    uuid::Uuid::parse_str(id)
        .map(|_| ())
        .map_err(|_| AlertError::invalid(field, "not an id from this server (a UUID)"))
}

/// What a rule's scope may name, by condition kind.
#[derive(Clone, Copy, PartialEq)]
enum ScopeKind {
    Queue,
    Service,
    Schedule,
    None,
}

fn scope_kind(condition: &Condition) -> ScopeKind {
    match condition {
        Condition::Backlog(_)
        | Condition::OldestPending(_)
        | Condition::FailureRate(_)
        | Condition::DeadGrowth(_) => ScopeKind::Queue,
        Condition::HealthyNodes(_) | Condition::NodeLost(_) | Condition::NodeResource(_) => {
            ScopeKind::Service
        }
        Condition::ScheduleMissed(_) | Condition::ScheduleFailing(_) => ScopeKind::Schedule,
        Condition::ArchiveLag(_) => ScopeKind::None,
    }
}

/// The condition's name as in the proto: what messages and the CLI call a rule kind.
pub fn condition_name(condition: &Condition) -> &'static str {
    match condition {
        Condition::Backlog(_) => "backlog",
        Condition::OldestPending(_) => "oldest_pending",
        Condition::FailureRate(_) => "failure_rate",
        Condition::DeadGrowth(_) => "dead_growth",
        Condition::HealthyNodes(_) => "healthy_nodes",
        Condition::NodeLost(_) => "node_lost",
        Condition::NodeResource(_) => "node_resource",
        Condition::ScheduleMissed(_) => "schedule_missed",
        Condition::ScheduleFailing(_) => "schedule_failing",
        Condition::ArchiveLag(_) => "archive_lag",
    }
}

fn percent(field: &str, value: f64) -> Result<()> {
    if !(value > 0.0 && value <= 100.0) {
        return Err(AlertError::invalid(
            field,
            "must be above 0 and at most 100",
        ));
    }
    Ok(())
}

fn required_age(
    field: &str,
    value: Option<&prost_types::Duration>,
) -> Result<prost_types::Duration> {
    match validate::duration(field, value).map_err(invalid)? {
        Some(age) if !age.is_zero() && age <= MAX_AGE_THRESHOLD => Ok(proto_duration(age)),
        Some(age) if !age.is_zero() => Err(AlertError::invalid(field, "at most 30 days")),
        _ => Err(AlertError::invalid(field, "required")),
    }
}

fn window(field: &str, value: Option<&prost_types::Duration>) -> Result<prost_types::Duration> {
    validate::bounded_duration(field, value, DEFAULT_WINDOW, MIN_WINDOW, MAX_WINDOW)
        .map(proto_duration)
        .map_err(invalid)
}

/// Checks a condition and fills in its defaults.
fn check_condition(condition: Option<Condition>) -> Result<Condition> {
    let Some(condition) = condition else {
        return Err(AlertError::invalid(
            "spec.condition",
            "required: one of backlog, oldest_pending, failure_rate, dead_growth, \
             healthy_nodes, node_lost, node_resource, schedule_missed, schedule_failing, \
             archive_lag",
        ));
    };
    Ok(match condition {
        Condition::Backlog(backlog) => {
            if backlog.above < 0 {
                return Err(AlertError::invalid(
                    "spec.backlog.above",
                    "must not be negative",
                ));
            }
            Condition::Backlog(backlog)
        }
        Condition::OldestPending(mut oldest) => {
            oldest.above = Some(required_age(
                "spec.oldest_pending.above",
                oldest.above.as_ref(),
            )?);
            Condition::OldestPending(oldest)
        }
        Condition::FailureRate(rate) => {
            percent("spec.failure_rate.above_percent", rate.above_percent)?;
            if rate.min_volume < 0 {
                return Err(AlertError::invalid(
                    "spec.failure_rate.min_volume",
                    "must not be negative",
                ));
            }
            Condition::FailureRate(FailureRateCondition {
                above_percent: rate.above_percent,
                window: Some(window("spec.failure_rate.window", rate.window.as_ref())?),
                min_volume: if rate.min_volume == 0 {
                    DEFAULT_MIN_VOLUME
                } else {
                    rate.min_volume
                },
            })
        }
        Condition::DeadGrowth(growth) => {
            if growth.above < 0 {
                return Err(AlertError::invalid(
                    "spec.dead_growth.above",
                    "must not be negative",
                ));
            }
            Condition::DeadGrowth(DeadGrowthCondition {
                above: growth.above,
                window: Some(window("spec.dead_growth.window", growth.window.as_ref())?),
            })
        }
        Condition::HealthyNodes(healthy) => {
            if !(1..=MAX_HEALTHY_NODES).contains(&healthy.below) {
                return Err(AlertError::invalid(
                    "spec.healthy_nodes.below",
                    format!("must be from 1 to {MAX_HEALTHY_NODES}"),
                ));
            }
            Condition::HealthyNodes(healthy)
        }
        Condition::NodeLost(lost) => Condition::NodeLost(lost),
        Condition::NodeResource(resource) => {
            if NodeResource::try_from(resource.resource)
                .unwrap_or_default()
                .eq(&NodeResource::Unspecified)
            {
                return Err(AlertError::invalid(
                    "spec.node_resource.resource",
                    "required: CPU, MEMORY or DISK",
                ));
            }
            percent("spec.node_resource.above_percent", resource.above_percent)?;
            Condition::NodeResource(resource)
        }
        Condition::ScheduleMissed(missed) => Condition::ScheduleMissed(missed),
        Condition::ScheduleFailing(failing) => {
            let consecutive = match failing.consecutive {
                0 => 1,
                n if (1..=MAX_CONSECUTIVE_FAILURES).contains(&n) => n,
                _ => {
                    return Err(AlertError::invalid(
                        "spec.schedule_failing.consecutive",
                        format!("must be from 1 to {MAX_CONSECUTIVE_FAILURES}"),
                    ));
                }
            };
            Condition::ScheduleFailing(ScheduleFailingCondition { consecutive })
        }
        Condition::ArchiveLag(mut lag) => {
            lag.above = Some(required_age("spec.archive_lag.above", lag.above.as_ref())?);
            Condition::ArchiveLag(lag)
        }
    })
}

/// Checks a rule definition and fills in its defaults (severity, repeat interval, condition
/// defaults), so that what is stored says what will happen.
pub fn check_rule(spec: Option<RuleSpec>) -> Result<RuleSpec> {
    let Some(mut spec) = spec else {
        return Err(AlertError::invalid("spec", "required"));
    };
    check_id("spec.id", &spec.id)?;
    validate::label(
        "spec.description",
        &spec.description,
        MAX_DESCRIPTION_BYTES,
        false,
    )
    .map_err(invalid)?;
    spec.severity = match Severity::try_from(spec.severity) {
        Ok(Severity::Unspecified) => Severity::Warning.into(),
        Ok(severity) => severity.into(),
        Err(_) => {
            return Err(AlertError::invalid(
                "spec.severity",
                "unknown severity; use INFO, WARNING or CRITICAL",
            ));
        }
    };
    if spec.labels.len() > MAX_LABELS {
        return Err(AlertError::invalid(
            "spec.labels",
            format!("more than {MAX_LABELS} labels"),
        ));
    }
    for (key, value) in &spec.labels {
        let field = format!("spec.labels[{key:?}]");
        if key.is_empty()
            || key.len() > MAX_LABEL_KEY_BYTES
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        {
            return Err(AlertError::invalid(
                field,
                "keys are 1-100 of A-Z a-z 0-9 _ . -",
            ));
        }
        validate::label(&field, value, MAX_LABEL_VALUE_BYTES, false).map_err(invalid)?;
    }
    let condition = check_condition(spec.condition.take())?;
    let scope = [
        ("spec.queue", &spec.queue, ScopeKind::Queue),
        ("spec.service", &spec.service, ScopeKind::Service),
        ("spec.schedule", &spec.schedule, ScopeKind::Schedule),
    ];
    let set: Vec<_> = scope
        .iter()
        .filter(|(_, value, _)| !value.is_empty())
        .collect();
    if set.len() > 1 {
        return Err(AlertError::invalid(
            set[1].0,
            "at most one of queue, service and schedule",
        ));
    }
    if let Some((field, value, kind)) = set.first() {
        validate::name(field, value).map_err(invalid)?;
        if *kind != scope_kind(&condition) {
            return Err(AlertError::invalid(
                *field,
                format!(
                    "a {} rule cannot be scoped this way; {}",
                    condition_name(&condition),
                    match scope_kind(&condition) {
                        ScopeKind::Queue => "scope it with queue",
                        ScopeKind::Service => "scope it with service",
                        ScopeKind::Schedule => "scope it with schedule",
                        ScopeKind::None => "it applies to the archive as a whole",
                    }
                ),
            ));
        }
    }
    spec.condition = Some(condition);
    let pending_for = validate::duration("spec.pending_for", spec.pending_for.as_ref())
        .map_err(invalid)?
        .unwrap_or_default();
    if pending_for > MAX_PENDING_FOR {
        return Err(AlertError::invalid("spec.pending_for", "at most 1 day"));
    }
    spec.pending_for = Some(proto_duration(pending_for));
    spec.repeat_interval = Some(proto_duration(
        validate::bounded_duration(
            "spec.repeat_interval",
            spec.repeat_interval.as_ref(),
            DEFAULT_REPEAT_INTERVAL,
            MIN_REPEAT_INTERVAL,
            MAX_REPEAT_INTERVAL,
        )
        .map_err(invalid)?,
    ));
    if spec.channels.len() > MAX_RULE_CHANNELS {
        return Err(AlertError::invalid(
            "spec.channels",
            format!("more than {MAX_RULE_CHANNELS} channels"),
        ));
    }
    for (index, channel) in spec.channels.iter().enumerate() {
        let field = format!("spec.channels[{index}]");
        check_id(&field, channel)?;
        if spec.channels[..index].contains(channel) {
            return Err(AlertError::invalid(
                field,
                format!("{channel} is listed twice"),
            ));
        }
    }
    Ok(spec)
}

/// The secret fields of a channel kind, by name, with their values.
fn secrets(kind: &Kind) -> Vec<(&'static str, &String)> {
    match kind {
        Kind::Slack(slack) => vec![("webhook_url", &slack.webhook_url)],
        Kind::Discord(discord) => vec![("webhook_url", &discord.webhook_url)],
        Kind::Webhook(webhook) => vec![
            ("url", &webhook.url),
            ("signing_secret", &webhook.signing_secret),
        ],
        Kind::Pagerduty(pagerduty) => vec![("routing_key", &pagerduty.routing_key)],
        Kind::Email(email) => vec![("password", &email.password)],
    }
}

fn secrets_mut(kind: &mut Kind) -> Vec<(&'static str, &mut String)> {
    match kind {
        Kind::Slack(slack) => vec![("webhook_url", &mut slack.webhook_url)],
        Kind::Discord(discord) => vec![("webhook_url", &mut discord.webhook_url)],
        Kind::Webhook(webhook) => vec![
            ("url", &mut webhook.url),
            ("signing_secret", &mut webhook.signing_secret),
        ],
        Kind::Pagerduty(pagerduty) => vec![("routing_key", &mut pagerduty.routing_key)],
        Kind::Email(email) => vec![("password", &mut email.password)],
    }
}

pub fn kind_name(kind: &Kind) -> &'static str {
    match kind {
        Kind::Slack(_) => "slack",
        Kind::Discord(_) => "discord",
        Kind::Webhook(_) => "webhook",
        Kind::Pagerduty(_) => "pagerduty",
        Kind::Email(_) => "email",
    }
}

/// The field saying where a channel's secrets go, when an update changes it.
fn destination_change(stored: &Kind, updated: &Kind) -> Option<&'static str> {
    match (stored, updated) {
        (Kind::Webhook(stored), Kind::Webhook(updated))
            if !updated.url.is_empty() && updated.url != stored.url =>
        {
            Some("url")
        }
        (Kind::Pagerduty(stored), Kind::Pagerduty(updated)) => {
            let url = |url: &str| {
                if url.is_empty() {
                    DEFAULT_PAGERDUTY_EVENTS_URL.to_owned()
                } else {
                    url.to_owned()
                }
            };
            (url(&stored.events_url) != url(&updated.events_url)).then_some("events_url")
        }
        (Kind::Email(stored), Kind::Email(updated)) => {
            if stored.smtp_host != updated.smtp_host {
                Some("smtp_host")
            } else if updated.smtp_port != 0 && stored.smtp_port != updated.smtp_port {
                Some("smtp_port")
            } else if updated.security != 0 && stored.security != updated.security {
                Some("security")
            } else if stored.username != updated.username {
                Some("username")
            } else {
                None
            }
        }
        _ => None,
    }
}

/// The channel as callers may see it: every secret emptied, and the names of those set.
pub fn redact(spec: &ChannelSpec) -> (ChannelSpec, Vec<String>) {
    let mut spec = spec.clone();
    let mut set = Vec::new();
    if let Some(kind) = spec.kind.as_mut() {
        for (name, value) in secrets_mut(kind) {
            if !value.is_empty() {
                set.push(name.to_owned());
            }
            value.clear();
        }
    }
    (spec, set)
}

/// An http(s) URL. The message never repeats the value: URLs here are secrets.
fn check_url(field: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(AlertError::invalid(field, "required"));
    }
    if value.len() > MAX_SECRET_BYTES {
        return Err(AlertError::invalid(
            field,
            format!("longer than {MAX_SECRET_BYTES} bytes"),
        ));
    }
    match reqwest::Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(()),
        _ => Err(AlertError::invalid(field, "not an http or https URL")),
    }
}

fn check_mailbox(field: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(AlertError::invalid(field, "required"));
    }
    value
        .parse::<Mailbox>()
        .map(|_| ())
        .map_err(|error| AlertError::invalid(field, format!("not an e-mail address: {error}")))
}

/// Checks a channel definition. `stored` is the channel being replaced, if any: a secret left
/// empty keeps its stored value when the kind stays the same.
pub fn check_channel(
    spec: Option<ChannelSpec>,
    stored: Option<&ChannelSpec>,
) -> Result<ChannelSpec> {
    let Some(mut spec) = spec else {
        return Err(AlertError::invalid("spec", "required"));
    };
    check_id("spec.id", &spec.id)?;
    validate::label(
        "spec.description",
        &spec.description,
        MAX_DESCRIPTION_BYTES,
        false,
    )
    .map_err(invalid)?;
    if Severity::try_from(spec.min_severity).is_err() {
        return Err(AlertError::invalid(
            "spec.min_severity",
            "unknown severity; use INFO, WARNING or CRITICAL",
        ));
    }
    let Some(kind) = spec.kind.as_mut() else {
        return Err(AlertError::invalid(
            "spec.kind",
            "required: one of slack, discord, webhook, pagerduty, email",
        ));
    };
    let prefix = format!("spec.{}", kind_name(kind));
    if let Some(stored_kind) = stored.and_then(|stored| stored.kind.as_ref())
        && kind_name(stored_kind) == kind_name(kind)
    {
        let moved = destination_change(stored_kind, kind);
        let kept = secrets(stored_kind);
        for (name, value) in secrets_mut(kind) {
            if value.is_empty()
                && let Some((_, old)) = kept.iter().find(|(old_name, _)| *old_name == name)
                && !old.is_empty()
            {
                // A kept secret must not follow the channel somewhere else: whoever may
                // update channels could otherwise have it sent to a host of their choosing.
                if let Some(moved) = moved {
                    return Err(AlertError::invalid(
                        format!("{prefix}.{name}"),
                        format!("give it again: {moved} changed"),
                    ));
                }
                value.clone_from(old);
            }
        }
    }
    for (name, value) in secrets(kind) {
        if value.len() > MAX_SECRET_BYTES {
            return Err(AlertError::invalid(
                format!("{prefix}.{name}"),
                format!("longer than {MAX_SECRET_BYTES} bytes"),
            ));
        }
    }
    match kind {
        Kind::Slack(slack) => check_url(&format!("{prefix}.webhook_url"), &slack.webhook_url)?,
        Kind::Discord(discord) => {
            check_url(&format!("{prefix}.webhook_url"), &discord.webhook_url)?
        }
        Kind::Webhook(webhook) => check_url(&format!("{prefix}.url"), &webhook.url)?,
        Kind::Pagerduty(pagerduty) => {
            if pagerduty.routing_key.is_empty() {
                return Err(AlertError::invalid(
                    format!("{prefix}.routing_key"),
                    "required",
                ));
            }
            if pagerduty.routing_key.chars().any(char::is_control) {
                return Err(AlertError::invalid(
                    format!("{prefix}.routing_key"),
                    "control characters not allowed",
                ));
            }
            if pagerduty.events_url.is_empty() {
                pagerduty.events_url = DEFAULT_PAGERDUTY_EVENTS_URL.to_owned();
            }
            check_url(&format!("{prefix}.events_url"), &pagerduty.events_url)?;
        }
        Kind::Email(email) => {
            validate::label(&format!("{prefix}.smtp_host"), &email.smtp_host, 255, true)
                .map_err(invalid)?;
            if email.smtp_host.contains(char::is_whitespace) {
                return Err(AlertError::invalid(
                    format!("{prefix}.smtp_host"),
                    "not a host name",
                ));
            }
            let security = SmtpSecurity::try_from(email.security).map_err(|_| {
                AlertError::invalid(
                    format!("{prefix}.security"),
                    "unknown security; use NONE, STARTTLS or TLS",
                )
            })?;
            let security = match security {
                SmtpSecurity::Unspecified => SmtpSecurity::Starttls,
                security => security,
            };
            email.security = security.into();
            if email.smtp_port == 0 {
                email.smtp_port = match security {
                    SmtpSecurity::Tls => 465,
                    SmtpSecurity::None => 25,
                    _ => 587,
                };
            } else if email.smtp_port > u32::from(u16::MAX) {
                return Err(AlertError::invalid(
                    format!("{prefix}.smtp_port"),
                    "must be from 1 to 65535",
                ));
            }
            validate::label(&format!("{prefix}.username"), &email.username, 255, false)
                .map_err(invalid)?;
            if !email.password.is_empty() && email.username.is_empty() {
                return Err(AlertError::invalid(
                    format!("{prefix}.username"),
                    "required with a password",
                ));
            }
            check_mailbox(&format!("{prefix}.from"), &email.from)?;
            if email.to.is_empty() || email.to.len() > MAX_RECIPIENTS {
                return Err(AlertError::invalid(
                    format!("{prefix}.to"),
                    format!("1-{MAX_RECIPIENTS} addresses"),
                ));
            }
            for (index, to) in email.to.iter().enumerate() {
                check_mailbox(&format!("{prefix}.to[{index}]"), to)?;
            }
        }
    }
    Ok(spec)
}

/// A checked silence: its matchers, comment and author, and when it starts and ends.
pub struct CheckedSilence {
    pub spec: SilenceSpec,
    pub starts_at_ms: i64,
    pub ends_at_ms: i64,
}

/// Checks a silence; `author` stands in for an empty `spec.author`.
pub fn check_silence(
    spec: Option<SilenceSpec>,
    now_ms: i64,
    author: &str,
) -> Result<CheckedSilence> {
    let Some(mut spec) = spec else {
        return Err(AlertError::invalid("spec", "required"));
    };
    if spec.rule_id.is_empty() && spec.queue.is_empty() && spec.service.is_empty() {
        return Err(AlertError::invalid(
            "spec",
            "at least one matcher required: rule_id, queue or service",
        ));
    }
    if !spec.rule_id.is_empty() {
        check_id("spec.rule_id", &spec.rule_id)?;
    }
    for (field, value) in [("spec.queue", &spec.queue), ("spec.service", &spec.service)] {
        if !value.is_empty() {
            validate::name(field, value).map_err(invalid)?;
        }
    }
    validate::label("spec.comment", &spec.comment, MAX_DESCRIPTION_BYTES, true).map_err(invalid)?;
    if spec.author.is_empty() {
        author.clone_into(&mut spec.author);
    }
    validate::label("spec.author", &spec.author, MAX_AUTHOR_BYTES, true).map_err(invalid)?;
    let starts_at_ms = spec.starts_at.as_ref().map_or(now_ms, timestamp_to_ms);
    let ends_at_ms = match (spec.ends_at.as_ref(), spec.duration.as_ref()) {
        (Some(_), Some(_)) => {
            return Err(AlertError::invalid(
                "spec.duration",
                "give ends_at or duration, not both",
            ));
        }
        (Some(ends_at), None) => timestamp_to_ms(ends_at),
        (None, Some(_)) => {
            let duration = validate::duration("spec.duration", spec.duration.as_ref())
                .map_err(invalid)?
                .unwrap_or_default();
            starts_at_ms.saturating_add(duration.as_millis() as i64)
        }
        (None, None) => {
            return Err(AlertError::invalid(
                "spec.ends_at",
                "required: ends_at or duration",
            ));
        }
    };
    let length = ends_at_ms - starts_at_ms;
    if length < MIN_SILENCE.as_millis() as i64 || length > MAX_SILENCE.as_millis() as i64 {
        return Err(AlertError::invalid(
            if spec.duration.is_some() {
                "spec.duration"
            } else {
                "spec.ends_at"
            },
            "a silence lasts from 1 minute to 90 days",
        ));
    }
    if ends_at_ms <= now_ms {
        return Err(AlertError::invalid("spec.ends_at", "already in the past"));
    }
    spec.starts_at = Some(timestamp_from_ms(starts_at_ms));
    spec.ends_at = Some(timestamp_from_ms(ends_at_ms));
    spec.duration = None;
    Ok(CheckedSilence {
        spec,
        starts_at_ms,
        ends_at_ms,
    })
}

/// Whether a silence holds back an alert: every non-empty matcher equals the alert's.
pub fn silence_matches(silence: &SilenceSpec, rule_id: &str, queue: &str, service: &str) -> bool {
    (silence.rule_id.is_empty() || silence.rule_id == rule_id)
        && (silence.queue.is_empty() || silence.queue == queue)
        && (silence.service.is_empty() || silence.service == service)
}

#[cfg(test)]
mod tests {
    use zenith_proto::v1::{PagerDutyChannel, WebhookChannel};

    use super::*;

    fn pagerduty(routing_key: &str, events_url: &str) -> ChannelSpec {
        ChannelSpec {
            id: "oncall".into(),
            kind: Some(Kind::Pagerduty(PagerDutyChannel {
                routing_key: routing_key.into(),
                events_url: events_url.into(),
            })),
            ..ChannelSpec::default()
        }
    }

    #[test]
    fn an_empty_secret_is_kept_only_while_it_goes_to_the_same_place() {
        let stored = check_channel(Some(pagerduty("k3y", "")), None).unwrap();
        let kept = check_channel(Some(pagerduty("", "")), Some(&stored)).unwrap();
        assert_eq!(kept, stored);
        let error = check_channel(
            Some(pagerduty("", "https://elsewhere.example/enqueue")),
            Some(&stored),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "spec.pagerduty.routing_key: give it again: events_url changed"
        );
        let moved = check_channel(
            Some(pagerduty("new-k3y", "https://elsewhere.example/enqueue")),
            Some(&stored),
        )
        .unwrap();
        assert!(matches!(moved.kind, Some(Kind::Pagerduty(p)) if p.routing_key == "new-k3y"));

        let webhook = |url: &str, signing_secret: &str| ChannelSpec {
            id: "hook".into(),
            kind: Some(Kind::Webhook(WebhookChannel {
                url: url.into(),
                signing_secret: signing_secret.into(),
            })),
            ..ChannelSpec::default()
        };
        let stored = check_channel(Some(webhook("https://a.example/h", "s1")), None).unwrap();
        let error =
            check_channel(Some(webhook("https://b.example/h", "")), Some(&stored)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "spec.webhook.signing_secret: give it again: url changed"
        );
    }

    #[test]
    fn redacting_names_the_secrets_and_empties_them() {
        let (spec, set) = redact(&pagerduty("k3y", "https://events.example/enqueue"));
        assert_eq!(set, ["routing_key"]);
        assert!(
            matches!(spec.kind, Some(Kind::Pagerduty(p)) if p.routing_key.is_empty()
            && p.events_url == "https://events.example/enqueue")
        );
    }
}
