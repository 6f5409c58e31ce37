//! `zenith alerts list|get|ack|rules|channels|test|silence|notifications`: alerting.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use anyhow::{Context, bail};
use chrono::DateTime;
use clap::{ArgGroup, Args, Subcommand};
use zenith_proto::to_json;
use zenith_proto::v1::alert_service_client::AlertServiceClient;
use zenith_proto::v1::channel_spec::Kind;
use zenith_proto::v1::rule_spec::Condition;
use zenith_proto::v1::{
    AcknowledgeAlertRequest, Alert, AlertState, ArchiveLagCondition, BacklogCondition, Channel,
    ChannelSpec, CreateChannelRequest, CreateRuleRequest, CreateSilenceRequest,
    DeadGrowthCondition, DeleteChannelRequest, DeleteRuleRequest, Delivery, DeliveryAttempt,
    DeliveryState, DiscordChannel, EmailChannel, ExpireSilenceRequest, FailureRateCondition,
    GetAlertRequest, GetAlertResponse, GetChannelRequest, GetRuleRequest, HealthyNodesCondition,
    ListAlertsRequest, ListAlertsResponse, ListChannelsRequest, ListChannelsResponse,
    ListNotificationsRequest, ListNotificationsResponse, ListRulesRequest, ListRulesResponse,
    ListSilencesRequest, ListSilencesResponse, NodeLostCondition, NodeResource,
    NodeResourceCondition, Notification, NotificationKind, OldestPendingCondition,
    PagerDutyChannel, Rule, RuleOrigin, RuleSpec, ScheduleFailingCondition,
    ScheduleMissedCondition, Severity, Silence, SilenceSpec, SilenceState, SlackChannel,
    SmtpSecurity, TestChannelRequest, UpdateChannelRequest, UpdateRuleRequest, WebhookChannel,
};
use zenith_sdk::{Transport, from_proto_duration};
use zenith_server::alerts::spec::{condition_name, kind_name};
use zenith_server::queue::proto_duration;

use super::ops::print_json;
use super::output::{Table, full_timestamp, one_line, printable, relative_timestamp};
use super::{ClientArgs, parse_duration, transport};

/// Rules, channels and silences per list page: the server's most.
const PAGE_SIZE: usize = 1_000;

#[derive(Subcommand)]
pub enum AlertsCommand {
    /// Lists alerts, newest first: open ones (pending and firing) unless --state says otherwise.
    List(ListArgs),
    /// Shows one alert with its notifications and how each was delivered.
    Get {
        /// Alert id.
        id: String,
    },
    /// Stops the reminders of a firing alert; its resolve is still notified.
    Ack {
        /// Alert id.
        id: String,
        /// Why, shown to operators (at most 1000 bytes).
        #[arg(long, default_value = "")]
        comment: String,
    },
    /// Lists, shows, adds, changes, enables, disables or removes rules; lists them without a
    /// subcommand.
    Rules {
        #[command(subcommand)]
        command: Option<RulesCommand>,
    },
    /// Lists, shows, adds, changes or removes notification channels; lists them without a
    /// subcommand.
    Channels {
        #[command(subcommand)]
        command: Option<ChannelsCommand>,
    },
    /// Sends a test message through a channel now and prints how it went; exits 1 when it
    /// failed.
    Test {
        /// Channel id.
        id: String,
    },
    /// Creates a silence that holds back notifications of the alerts it matches; `silence
    /// list` and `silence expire` manage them.
    Silence(Box<SilenceArgs>),
    /// Lists notifications, newest first, with how each channel took them.
    Notifications {
        /// Only notifications of this rule.
        #[arg(long)]
        rule: Option<String>,
        /// Only notifications about this alert.
        #[arg(long)]
        alert: Option<String>,
        /// At most this many notifications.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
}

/// Which alerts `alerts list` asks for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum StateFilter {
    Open,
    Pending,
    Firing,
    Resolved,
    All,
}

impl StateFilter {
    fn states(self) -> Vec<AlertState> {
        match self {
            Self::Open => vec![AlertState::Pending, AlertState::Firing],
            Self::Pending => vec![AlertState::Pending],
            Self::Firing => vec![AlertState::Firing],
            Self::Resolved => vec![AlertState::Resolved],
            Self::All => vec![
                AlertState::Pending,
                AlertState::Firing,
                AlertState::Resolved,
            ],
        }
    }
}

fn parse_state_filter(text: &str) -> Result<StateFilter, String> {
    match text.to_ascii_lowercase().as_str() {
        "open" => Ok(StateFilter::Open),
        "pending" => Ok(StateFilter::Pending),
        "firing" => Ok(StateFilter::Firing),
        "resolved" => Ok(StateFilter::Resolved),
        "all" => Ok(StateFilter::All),
        _ => Err(format!(
            "unknown alert state {text:?}; expected pending, firing, resolved, open or all"
        )),
    }
}

#[derive(Args)]
pub struct ListArgs {
    /// pending, firing, resolved, open (pending and firing) or all.
    #[arg(long, default_value = "open", value_parser = parse_state_filter)]
    state: StateFilter,
    /// Only alerts of this rule.
    #[arg(long)]
    rule: Option<String>,
    /// Only alerts about this queue.
    #[arg(long)]
    queue: Option<String>,
    /// Only alerts about this service.
    #[arg(long)]
    service: Option<String>,
    /// At most this many alerts.
    #[arg(long, default_value_t = 50)]
    limit: usize,
}

#[derive(Subcommand)]
pub enum RulesCommand {
    /// Lists rules with their condition, scope, severity and open alerts.
    List,
    /// Shows one rule.
    Get {
        /// Rule id.
        id: String,
    },
    /// Adds a rule: one condition flag, and options.
    Add(Box<RuleAddArgs>),
    /// Changes a rule: only what is given; a condition flag replaces the condition.
    Update(Box<RuleUpdateArgs>),
    /// Removes a rule; its open alerts resolve without a notification.
    Rm {
        /// Rule id.
        id: String,
    },
    /// Evaluates a disabled rule again.
    Enable {
        /// Rule id.
        id: String,
    },
    /// Stops evaluating a rule; its open alerts resolve without a notification.
    Disable {
        /// Rule id.
        id: String,
    },
}

/// The condition flags; `add` takes exactly one, `update` at most one.
#[derive(Args, Default)]
pub struct ConditionArgs {
    /// More than N pending jobs in a queue.
    #[arg(long, value_name = "N")]
    backlog_above: Option<i64>,
    /// The oldest pending job of a queue waited longer than this, e.g. 10m.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    oldest_pending_above: Option<Duration>,
    /// More than PERCENT of the jobs a queue finished within --window failed.
    #[arg(long, value_name = "PERCENT")]
    failure_rate_above: Option<f64>,
    /// A queue's dead jobs grew by more than N within --window (0: any new dead job).
    #[arg(long, value_name = "N")]
    dead_growth_above: Option<i64>,
    /// A service has fewer than N healthy nodes.
    #[arg(long, value_name = "N")]
    healthy_nodes_below: Option<i32>,
    /// A node stopped beating without saying goodbye.
    #[arg(long)]
    node_lost: bool,
    /// A node's CPU use is above PERCENT.
    #[arg(long, value_name = "PERCENT")]
    cpu_above: Option<f64>,
    /// A node's memory use is above PERCENT.
    #[arg(long, value_name = "PERCENT")]
    memory_above: Option<f64>,
    /// A node's fullest disk is more than PERCENT used.
    #[arg(long, value_name = "PERCENT")]
    disk_above: Option<f64>,
    /// A schedule missed a fire time.
    #[arg(long)]
    schedule_missed: bool,
    /// A schedule's latest N runs failed [default: 1].
    #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = "1")]
    schedule_failing: Option<i32>,
    /// Events wait longer than this to reach the archive, e.g. 5m.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    archive_lag_above: Option<Duration>,
    /// With --failure-rate-above or --dead-growth-above: how far back to look, 1m to 1d
    /// [default: 5m].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    window: Option<Duration>,
    /// With --failure-rate-above: the fewest finished jobs in the window that count
    /// [default: 10].
    #[arg(long, value_name = "N")]
    min_volume: Option<i64>,
}

/// Every condition flag, for the clap group that allows one.
const CONDITION_FLAGS: [&str; 12] = [
    "backlog_above",
    "oldest_pending_above",
    "failure_rate_above",
    "dead_growth_above",
    "healthy_nodes_below",
    "node_lost",
    "cpu_above",
    "memory_above",
    "disk_above",
    "schedule_missed",
    "schedule_failing",
    "archive_lag_above",
];

/// Options of a rule, shared by `add` and `update`.
#[derive(Args, Default)]
#[command(group(ArgGroup::new("scope").args(["queue", "service", "schedule"])))]
pub struct RuleOptions {
    /// Watch only this queue (queue conditions).
    #[arg(long)]
    queue: Option<String>,
    /// Watch only this service (node and service conditions).
    #[arg(long)]
    service: Option<String>,
    /// Watch only this schedule (schedule conditions).
    #[arg(long, value_name = "ID")]
    schedule: Option<String>,
    /// How long the condition must hold before the alert fires, e.g. 5m [default: 0s].
    #[arg(long = "for", value_name = "DURATION", value_parser = parse_duration)]
    pending_for: Option<Duration>,
    /// Reminder interval while firing and unacknowledged [default: 4h].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    repeat: Option<Duration>,
    /// info, warning or critical [default: warning].
    #[arg(long, value_parser = parse_severity)]
    severity: Option<Severity>,
    /// Label copied onto every alert, as KEY=VALUE; repeatable. On update, adds or replaces
    /// that label.
    #[arg(long = "label", value_name = "KEY=VALUE", value_parser = parse_label)]
    labels: Vec<(String, String)>,
    /// Channel to notify; repeatable [default: every channel]. On update, replaces the list.
    #[arg(long = "channel", value_name = "ID")]
    channels: Vec<String>,
    /// Free text for operators.
    #[arg(long)]
    description: Option<String>,
}

#[derive(Args)]
#[command(group(ArgGroup::new("condition").required(true).args(CONDITION_FLAGS)))]
pub struct RuleAddArgs {
    /// Rule id: 1-100 of A-Z a-z 0-9 _ . : -
    id: String,
    #[command(flatten)]
    condition: ConditionArgs,
    #[command(flatten)]
    options: RuleOptions,
    /// Create it disabled.
    #[arg(long)]
    disabled: bool,
}

#[derive(Args)]
#[command(group(ArgGroup::new("condition").args(CONDITION_FLAGS)))]
pub struct RuleUpdateArgs {
    /// Rule id.
    id: String,
    #[command(flatten)]
    condition: ConditionArgs,
    #[command(flatten)]
    options: RuleOptions,
    /// Watch every queue, service or schedule instead of one.
    #[arg(long, conflicts_with = "scope")]
    all_scopes: bool,
    /// Notify every channel instead of those listed.
    #[arg(long, conflicts_with = "channels")]
    all_channels: bool,
}

#[derive(Subcommand)]
pub enum ChannelsCommand {
    /// Lists channels with their kind and which secrets are set.
    List,
    /// Shows one channel; secrets are never shown, only whether they are set.
    Get {
        /// Channel id.
        id: String,
    },
    /// Adds a channel: one kind flag, and options. A secret given as `-` is read from stdin.
    Add(Box<ChannelAddArgs>),
    /// Changes a channel: only what is given; secrets not given keep their stored values.
    Update(Box<ChannelUpdateArgs>),
    /// Removes a channel.
    Rm {
        /// Channel id.
        id: String,
    },
}

/// Kind flags and their settings; a secret given as `-` is read from stdin.
#[derive(Args, Default)]
pub struct ChannelFlags {
    /// Slack incoming-webhook URL (secret).
    #[arg(long, value_name = "URL|-")]
    slack_webhook_url: Option<String>,
    /// Discord webhook URL (secret).
    #[arg(long, value_name = "URL|-")]
    discord_webhook_url: Option<String>,
    /// URL to POST a JSON body to (secret).
    #[arg(long, value_name = "URL|-")]
    webhook_url: Option<String>,
    /// Webhook: key for the X-Zenith-Signature HMAC (secret).
    #[arg(long, value_name = "SECRET|-")]
    signing_secret: Option<String>,
    /// PagerDuty Events API v2 routing key (secret).
    #[arg(long, value_name = "KEY|-")]
    pagerduty_routing_key: Option<String>,
    /// PagerDuty: events endpoint, for the EU region or a proxy.
    #[arg(long, value_name = "URL")]
    pagerduty_events_url: Option<String>,
    /// E-mail: SMTP server host.
    #[arg(long, value_name = "HOST")]
    smtp_host: Option<String>,
    /// E-mail: SMTP port [default: 587, 465 with tls, 25 with none].
    #[arg(long, value_name = "PORT")]
    smtp_port: Option<u16>,
    /// E-mail: none, starttls or tls [default: starttls].
    #[arg(long, value_name = "none|starttls|tls", value_parser = parse_smtp_security)]
    smtp_security: Option<SmtpSecurity>,
    /// E-mail: SMTP user name.
    #[arg(long, value_name = "USER")]
    smtp_username: Option<String>,
    /// E-mail: SMTP password (secret).
    #[arg(long, value_name = "PASSWORD|-")]
    smtp_password: Option<String>,
    /// E-mail: sender, `Zenith <alerts@example.com>` or a bare address.
    #[arg(long, value_name = "ADDR")]
    from: Option<String>,
    /// E-mail: recipients; on update, replaces the list.
    #[arg(long, value_name = "ADDR", num_args = 1..)]
    to: Vec<String>,
    /// Only notifications of rules at least this severe: info, warning, critical or all
    /// [default: all].
    #[arg(long, value_name = "SEVERITY", value_parser = parse_min_severity)]
    min_severity: Option<Severity>,
    /// Free text for operators.
    #[arg(long)]
    description: Option<String>,
}

/// Every kind flag, for the clap group that allows one.
const KIND_FLAGS: [&str; 5] = [
    "slack_webhook_url",
    "discord_webhook_url",
    "webhook_url",
    "pagerduty_routing_key",
    "smtp_host",
];

#[derive(Args)]
#[command(group(ArgGroup::new("kind").required(true).args(KIND_FLAGS)))]
pub struct ChannelAddArgs {
    /// Channel id: 1-100 of A-Z a-z 0-9 _ . : -
    id: String,
    #[command(flatten)]
    flags: ChannelFlags,
    /// Create it disabled: it gets no notifications, `alerts test` still sends.
    #[arg(long)]
    disabled: bool,
}

#[derive(Args)]
#[command(group(ArgGroup::new("kind").args(KIND_FLAGS)))]
pub struct ChannelUpdateArgs {
    /// Channel id.
    id: String,
    #[command(flatten)]
    flags: ChannelFlags,
    /// Send it no notifications.
    #[arg(long, conflicts_with = "enabled")]
    disabled: bool,
    /// Send it notifications again.
    #[arg(long)]
    enabled: bool,
}

#[derive(Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    group(ArgGroup::new("matcher").required(true).multiple(true).args(["rule", "queue", "service"])),
    group(ArgGroup::new("end").required(true).args(["duration", "until"])),
)]
pub struct SilenceArgs {
    #[command(subcommand)]
    command: Option<SilenceCommand>,
    /// Silence alerts of this rule.
    #[arg(long)]
    rule: Option<String>,
    /// Silence alerts about this queue.
    #[arg(long)]
    queue: Option<String>,
    /// Silence alerts about this service.
    #[arg(long)]
    service: Option<String>,
    /// How long, from its start: 1m to 90d, e.g. 2h.
    #[arg(long = "for", value_name = "DURATION", value_parser = parse_duration)]
    duration: Option<Duration>,
    /// Until this instant (RFC 3339, e.g. 2026-11-23T18:00:00Z).
    #[arg(long, value_name = "RFC3339", value_parser = parse_rfc3339)]
    until: Option<SystemTime>,
    /// From this instant (RFC 3339) [default: now].
    #[arg(long, value_name = "RFC3339", value_parser = parse_rfc3339)]
    starts: Option<SystemTime>,
    /// Why; required.
    #[arg(long, required = true)]
    comment: Option<String>,
}

#[derive(Subcommand)]
pub enum SilenceCommand {
    /// Lists active and upcoming silences, newest first.
    List {
        /// Expired ones too.
        #[arg(long)]
        all: bool,
    },
    /// Ends a silence now.
    Expire {
        /// Silence id.
        id: String,
    },
}

type AlertClient = AlertServiceClient<Transport>;

async fn client(args: &ClientArgs) -> anyhow::Result<AlertClient> {
    Ok(AlertServiceClient::new(transport(args).await?))
}

/// The response's message, or the server's refusal as `code: message`.
fn answer<T>(result: Result<tonic::Response<T>, tonic::Status>) -> anyhow::Result<T> {
    Ok(result.map_err(zenith_sdk::Error::from)?.into_inner())
}

pub async fn command(args: &ClientArgs, command: AlertsCommand) -> anyhow::Result<()> {
    match command {
        AlertsCommand::List(list) => list_alerts(args, list).await,
        AlertsCommand::Get { id } => get_alert(args, id).await,
        AlertsCommand::Ack { id, comment } => {
            let response = answer(
                client(args)
                    .await?
                    .acknowledge_alert(AcknowledgeAlertRequest { id, comment })
                    .await,
            )?;
            if args.json {
                return print_json(to_json(&response), None);
            }
            let alert = response.alert.unwrap_or_default();
            println!("alert {} acknowledged", alert.id);
            Ok(())
        }
        AlertsCommand::Rules { command } => {
            rules(args, command.unwrap_or(RulesCommand::List)).await
        }
        AlertsCommand::Channels { command } => {
            channels(args, command.unwrap_or(ChannelsCommand::List)).await
        }
        AlertsCommand::Test { id } => test_channel(args, id).await,
        AlertsCommand::Silence(silence) => match silence.command {
            Some(SilenceCommand::List { all }) => list_silences(args, all).await,
            Some(SilenceCommand::Expire { id }) => {
                let response = answer(
                    client(args)
                        .await?
                        .expire_silence(ExpireSilenceRequest { id })
                        .await,
                )?;
                if args.json {
                    return print_json(to_json(&response), None);
                }
                let silence = response.silence.unwrap_or_default();
                println!("silence {} expired", silence.id);
                Ok(())
            }
            None => create_silence(args, *silence).await,
        },
        AlertsCommand::Notifications { rule, alert, limit } => {
            notifications(
                args,
                rule.unwrap_or_default(),
                alert.unwrap_or_default(),
                limit,
            )
            .await
        }
    }
}

async fn list_alerts(args: &ClientArgs, list: ListArgs) -> anyhow::Result<()> {
    let mut client = client(args).await?;
    let mut request = ListAlertsRequest {
        states: list.state.states().into_iter().map(i32::from).collect(),
        rule_id: list.rule.unwrap_or_default(),
        queue: list.queue.unwrap_or_default(),
        service: list.service.unwrap_or_default(),
        ..ListAlertsRequest::default()
    };
    let mut alerts = Vec::new();
    while alerts.len() < list.limit {
        request.page_size = (list.limit - alerts.len()).min(PAGE_SIZE) as i32;
        let page = answer(client.list_alerts(request.clone()).await)?;
        alerts.extend(page.alerts);
        if page.next_page_token.is_empty() {
            break;
        }
        request.page_token = page.next_page_token;
    }
    if args.json {
        let response = ListAlertsResponse {
            alerts,
            next_page_token: String::new(),
        };
        return print_json(to_json(&response), Some("alerts"));
    }
    if alerts.is_empty() {
        println!("no alerts");
        return Ok(());
    }
    print!("{}", alert_table(&alerts, SystemTime::now()));
    Ok(())
}

fn alert_table(alerts: &[Alert], now: SystemTime) -> String {
    let mut table = Table::new(&[
        "ID", "STATE", "SEVERITY", "RULE", "SUBJECT", "SINCE", "SUMMARY",
    ]);
    for alert in alerts {
        table.row(vec![
            alert.id.clone(),
            alert_state_marked(alert),
            severity_name(alert.severity()).to_owned(),
            alert.rule_id.clone(),
            one_line(&alert.subject, 60),
            relative_timestamp(alert_since(alert), now),
            one_line(&alert.summary, 100),
        ]);
    }
    table.render()
}

/// `firing`, `firing,acked`, `pending,silenced`.
fn alert_state_marked(alert: &Alert) -> String {
    let mut state = alert_state_name(alert.state()).to_owned();
    if alert.acknowledged_at.is_some() {
        state.push_str(",acked");
    }
    if alert.silenced {
        state.push_str(",silenced");
    }
    state
}

/// When the alert entered its current state.
fn alert_since(alert: &Alert) -> Option<&prost_types::Timestamp> {
    match alert.state() {
        AlertState::Firing => alert.fired_at.as_ref(),
        AlertState::Resolved => alert.resolved_at.as_ref(),
        AlertState::Pending | AlertState::Unspecified => alert.pending_since.as_ref(),
    }
}

async fn get_alert(args: &ClientArgs, id: String) -> anyhow::Result<()> {
    let response = answer(client(args).await?.get_alert(GetAlertRequest { id }).await)?;
    if args.json {
        return print_json(to_json(&response), Some("notifications"));
    }
    print!("{}", describe_alert(&response, SystemTime::now()));
    Ok(())
}

fn describe_alert(response: &GetAlertResponse, now: SystemTime) -> String {
    let alert = response.alert.clone().unwrap_or_default();
    let mut record = Record::default();
    record.field("id", alert.id.clone());
    record.field("rule", alert.rule_id.clone());
    record.field("state", alert_state_name(alert.state()).to_owned());
    record.field("severity", severity_name(alert.severity()).to_owned());
    record.field("subject", printable(&alert.subject));
    record.field("summary", printable(&alert.summary));
    record.field("value", alert.value.to_string());
    record.field("labels", labels_text(&alert.labels));
    record.field(
        "pending since",
        full_timestamp(alert.pending_since.as_ref(), now),
    );
    record.field("fired", full_timestamp(alert.fired_at.as_ref(), now));
    record.field("resolved", full_timestamp(alert.resolved_at.as_ref(), now));
    if alert.acknowledged_at.is_some() {
        let mut acked = full_timestamp(alert.acknowledged_at.as_ref(), now);
        if !alert.acknowledged_by.is_empty() {
            acked.push_str(&format!(" by {}", printable(&alert.acknowledged_by)));
        }
        record.field("acknowledged", acked);
        record.field("ack comment", printable(&alert.acknowledge_comment));
    }
    if alert.silenced {
        record.field("silenced", "yes".to_owned());
    }
    record.field(
        "last notified",
        full_timestamp(alert.last_notified_at.as_ref(), now),
    );
    let mut out = record.render();
    if response.notifications.is_empty() {
        out.push_str("\nno notifications\n");
    } else {
        out.push_str("\nnotifications, newest first:\n");
        for notification in &response.notifications {
            out.push_str(&describe_notification(notification, now));
        }
    }
    out
}

/// A notification's header line, then one line per delivery and per attempt.
fn describe_notification(notification: &Notification, now: SystemTime) -> String {
    let mut out = format!(
        "  {} {} {} ({})\n",
        full_timestamp(notification.created_at.as_ref(), now),
        notification_kind_name(notification.kind()),
        one_line(&notification.title, 120),
        notification.id,
    );
    if notification.deliveries.is_empty() {
        out.push_str("    no deliveries\n");
    }
    for delivery in &notification.deliveries {
        out.push_str(&format!(
            "    channel {}: {}\n",
            delivery.channel_id,
            delivery_summary(delivery, now)
        ));
        for attempt in &delivery.attempts {
            out.push_str(&format!("      {}\n", attempt_text(attempt, now)));
        }
    }
    out
}

/// `delivered`, `pending, 2 attempts, next in 30s`, `failed, 3 attempts`.
fn delivery_summary(delivery: &Delivery, now: SystemTime) -> String {
    let mut text = delivery_state_name(delivery.state()).to_owned();
    let attempts = delivery.attempts.len();
    if attempts != 1 || delivery.state() != DeliveryState::Delivered {
        text.push_str(&format!(
            ", {attempts} attempt{}",
            if attempts == 1 { "" } else { "s" }
        ));
    }
    if delivery.state() == DeliveryState::Pending
        && let Some(next) = &delivery.next_attempt_at
    {
        text.push_str(&format!(", next {}", relative_timestamp(Some(next), now)));
    }
    text
}

/// `2026-11-23T08:00:00Z (5m ago) status 500 took 120ms: upstream down`.
fn attempt_text(attempt: &DeliveryAttempt, now: SystemTime) -> String {
    let mut text = full_timestamp(attempt.at.as_ref(), now);
    if attempt.status_code == 0 {
        text.push_str(" no response");
    } else {
        text.push_str(&format!(" status {}", attempt.status_code));
    }
    if let Some(took) = &attempt.took {
        text.push_str(&format!(" took {}", short(took)));
    }
    if !attempt.error.is_empty() {
        text.push_str(&format!(": {}", one_line(&attempt.error, 300)));
    }
    text
}

async fn rules(args: &ClientArgs, command: RulesCommand) -> anyhow::Result<()> {
    match command {
        RulesCommand::List => list_rules(args).await,
        RulesCommand::Get { id } => {
            let rule = answer(client(args).await?.get_rule(GetRuleRequest { id }).await)?
                .rule
                .unwrap_or_default();
            if args.json {
                return print_json(to_json(&rule), None);
            }
            print!("{}", describe_rule(&rule, SystemTime::now()));
            Ok(())
        }
        RulesCommand::Add(add) => {
            let RuleAddArgs {
                id,
                condition,
                options,
                disabled,
            } = *add;
            let mut spec = RuleSpec {
                id,
                disabled,
                ..RuleSpec::default()
            };
            spec.condition = condition_from(&condition, None)?;
            apply_rule_options(&mut spec, options);
            let response = answer(
                client(args)
                    .await?
                    .create_rule(CreateRuleRequest { spec: Some(spec) })
                    .await,
            )?;
            print_rule(args, response.rule.unwrap_or_default(), "created")
        }
        RulesCommand::Update(update) => {
            let RuleUpdateArgs {
                id,
                condition,
                options,
                all_scopes,
                all_channels,
            } = *update;
            let rule = change_rule(args, id, |spec| {
                if let Some(new) = condition_from(&condition, spec.condition.as_ref())? {
                    spec.condition = Some(new);
                }
                if all_scopes {
                    spec.queue.clear();
                    spec.service.clear();
                    spec.schedule.clear();
                }
                if all_channels {
                    spec.channels.clear();
                }
                apply_rule_options(spec, options);
                Ok(())
            })
            .await?;
            let done = if rule.spec.as_ref().is_some_and(|spec| spec.disabled) {
                "updated; disabled"
            } else {
                "updated"
            };
            print_rule(args, rule, done)
        }
        RulesCommand::Rm { id } => {
            answer(
                client(args)
                    .await?
                    .delete_rule(DeleteRuleRequest { id: id.clone() })
                    .await,
            )?;
            if args.json {
                return print_json(serde_json::json!({}), None);
            }
            println!("rule {id} deleted");
            Ok(())
        }
        RulesCommand::Enable { id } => {
            let rule = change_rule(args, id, |spec| {
                spec.disabled = false;
                Ok(())
            })
            .await?;
            print_rule(args, rule, "enabled")
        }
        RulesCommand::Disable { id } => {
            let rule = change_rule(args, id, |spec| {
                spec.disabled = true;
                Ok(())
            })
            .await?;
            print_rule(args, rule, "disabled")
        }
    }
}

/// Fetches a rule, changes its definition and stores it with UpdateRule.
async fn change_rule(
    args: &ClientArgs,
    id: String,
    change: impl FnOnce(&mut RuleSpec) -> anyhow::Result<()>,
) -> anyhow::Result<Rule> {
    let mut client = client(args).await?;
    let rule = answer(client.get_rule(GetRuleRequest { id: id.clone() }).await)?;
    let mut spec = rule
        .rule
        .and_then(|rule| rule.spec)
        .with_context(|| format!("rule {id} has no definition"))?;
    change(&mut spec)?;
    let response = answer(
        client
            .update_rule(UpdateRuleRequest { spec: Some(spec) })
            .await,
    )?;
    Ok(response.rule.unwrap_or_default())
}

fn print_rule(args: &ClientArgs, rule: Rule, done: &str) -> anyhow::Result<()> {
    if args.json {
        return print_json(to_json(&rule), None);
    }
    let spec = rule.spec.unwrap_or_default();
    println!("rule {} {done}", spec.id);
    Ok(())
}

/// The condition the flags describe. With `current`, a window or minimum volume alone changes
/// that condition; without any flag, `None` (nothing to change).
fn condition_from(
    flags: &ConditionArgs,
    current: Option<&Condition>,
) -> anyhow::Result<Option<Condition>> {
    let window = flags.window.map(proto_duration);
    let mut condition = if let Some(above) = flags.backlog_above {
        Condition::Backlog(BacklogCondition { above })
    } else if let Some(above) = flags.oldest_pending_above {
        Condition::OldestPending(OldestPendingCondition {
            above: Some(proto_duration(above)),
        })
    } else if let Some(above_percent) = flags.failure_rate_above {
        let kept = match current {
            Some(Condition::FailureRate(rate)) => *rate,
            _ => FailureRateCondition::default(),
        };
        Condition::FailureRate(FailureRateCondition {
            above_percent,
            ..kept
        })
    } else if let Some(above) = flags.dead_growth_above {
        let kept = match current {
            Some(Condition::DeadGrowth(growth)) => *growth,
            _ => DeadGrowthCondition::default(),
        };
        Condition::DeadGrowth(DeadGrowthCondition { above, ..kept })
    } else if let Some(below) = flags.healthy_nodes_below {
        Condition::HealthyNodes(HealthyNodesCondition { below })
    } else if flags.node_lost {
        Condition::NodeLost(NodeLostCondition {})
    } else if let Some((resource, above_percent)) = node_resource(flags) {
        Condition::NodeResource(NodeResourceCondition {
            resource: resource.into(),
            above_percent,
        })
    } else if flags.schedule_missed {
        Condition::ScheduleMissed(ScheduleMissedCondition {})
    } else if let Some(consecutive) = flags.schedule_failing {
        Condition::ScheduleFailing(ScheduleFailingCondition { consecutive })
    } else if let Some(above) = flags.archive_lag_above {
        Condition::ArchiveLag(ArchiveLagCondition {
            above: Some(proto_duration(above)),
        })
    } else if window.is_some() || flags.min_volume.is_some() {
        match current {
            Some(condition) => *condition,
            None => bail!(
                "--window and --min-volume go with --failure-rate-above or --dead-growth-above"
            ),
        }
    } else {
        return Ok(None);
    };
    match &mut condition {
        Condition::FailureRate(rate) => {
            if window.is_some() {
                rate.window = window;
            }
            if let Some(min_volume) = flags.min_volume {
                rate.min_volume = min_volume;
            }
        }
        Condition::DeadGrowth(growth) => {
            if flags.min_volume.is_some() {
                bail!("--min-volume goes with --failure-rate-above");
            }
            if window.is_some() {
                growth.window = window;
            }
        }
        other if window.is_some() || flags.min_volume.is_some() => bail!(
            "--window and --min-volume go with --failure-rate-above or --dead-growth-above, \
             not a {} rule",
            condition_name(other)
        ),
        _ => {}
    }
    Ok(Some(condition))
}

fn node_resource(flags: &ConditionArgs) -> Option<(NodeResource, f64)> {
    [
        (NodeResource::Cpu, flags.cpu_above),
        (NodeResource::Memory, flags.memory_above),
        (NodeResource::Disk, flags.disk_above),
    ]
    .into_iter()
    .find_map(|(resource, above)| above.map(|above| (resource, above)))
}

/// The options that were given, on top of what the definition holds.
fn apply_rule_options(spec: &mut RuleSpec, options: RuleOptions) {
    // The clap group lets at most one through; giving one replaces the scope.
    if options.queue.is_some() || options.service.is_some() || options.schedule.is_some() {
        spec.queue = options.queue.unwrap_or_default();
        spec.service = options.service.unwrap_or_default();
        spec.schedule = options.schedule.unwrap_or_default();
    }
    if let Some(pending_for) = options.pending_for {
        spec.pending_for = Some(proto_duration(pending_for));
    }
    if let Some(repeat) = options.repeat {
        spec.repeat_interval = Some(proto_duration(repeat));
    }
    if let Some(severity) = options.severity {
        spec.severity = severity.into();
    }
    spec.labels.extend(options.labels);
    if !options.channels.is_empty() {
        spec.channels = options.channels;
    }
    if let Some(description) = options.description {
        spec.description = description;
    }
}

async fn list_rules(args: &ClientArgs) -> anyhow::Result<()> {
    let mut client = client(args).await?;
    let mut request = ListRulesRequest {
        page_size: PAGE_SIZE as i32,
        page_token: String::new(),
    };
    let mut rules = Vec::new();
    loop {
        let page = answer(client.list_rules(request.clone()).await)?;
        rules.extend(page.rules);
        if page.next_page_token.is_empty() {
            break;
        }
        request.page_token = page.next_page_token;
    }
    if args.json {
        let response = ListRulesResponse {
            rules,
            next_page_token: String::new(),
        };
        return print_json(to_json(&response), Some("rules"));
    }
    if rules.is_empty() {
        println!("no rules");
        return Ok(());
    }
    print!("{}", rule_table(&rules));
    Ok(())
}

fn rule_table(rules: &[Rule]) -> String {
    let mut table = Table::new(&[
        "ID",
        "CONDITION",
        "SCOPE",
        "FOR",
        "SEVERITY",
        "CHANNELS",
        "FIRING>",
        "PENDING>",
        "ORIGIN",
        "ENABLED",
    ]);
    for rule in rules {
        let spec = rule.spec.clone().unwrap_or_default();
        table.row(vec![
            spec.id.clone(),
            condition_text(spec.condition.as_ref()),
            scope_text(&spec),
            duration_or_dash(spec.pending_for.as_ref()),
            severity_name(spec.severity()).to_owned(),
            channels_text(&spec.channels),
            rule.firing_alerts.to_string(),
            rule.pending_alerts.to_string(),
            origin_name(rule.origin()).to_owned(),
            yes_no(!spec.disabled).to_owned(),
        ]);
    }
    table.render()
}

fn describe_rule(rule: &Rule, now: SystemTime) -> String {
    let spec = rule.spec.clone().unwrap_or_default();
    let mut record = Record::default();
    record.field("id", spec.id.clone());
    record.field("description", printable(&spec.description));
    record.field("condition", condition_text(spec.condition.as_ref()));
    record.field("scope", scope_text(&spec));
    record.field("for", duration_or_dash(spec.pending_for.as_ref()));
    record.field(
        "repeat",
        spec.repeat_interval
            .as_ref()
            .map_or_else(|| "4h (default)".to_owned(), short),
    );
    record.field("severity", severity_name(spec.severity()).to_owned());
    record.field("labels", labels_text(&spec.labels));
    record.field("channels", channels_text(&spec.channels));
    record.field("enabled", yes_no(!spec.disabled).to_owned());
    record.field(
        "open alerts",
        format!(
            "{} firing, {} pending",
            rule.firing_alerts, rule.pending_alerts
        ),
    );
    record.field("origin", origin_name(rule.origin()).to_owned());
    record.field("created", full_timestamp(rule.created_at.as_ref(), now));
    record.field("updated", full_timestamp(rule.updated_at.as_ref(), now));
    record.render()
}

/// A condition in words: `backlog > 1000`, `failure rate > 20% in 5m (min 10 jobs)`.
fn condition_text(condition: Option<&Condition>) -> String {
    let Some(condition) = condition else {
        return "-".to_owned();
    };
    match condition {
        Condition::Backlog(backlog) => format!("backlog > {}", backlog.above),
        Condition::OldestPending(oldest) => {
            format!(
                "oldest pending > {}",
                duration_or_dash(oldest.above.as_ref())
            )
        }
        Condition::FailureRate(rate) => format!(
            "failure rate > {}% in {} (min {} jobs)",
            rate.above_percent,
            duration_or_dash(rate.window.as_ref()),
            rate.min_volume
        ),
        Condition::DeadGrowth(growth) => format!(
            "dead jobs grew > {} in {}",
            growth.above,
            duration_or_dash(growth.window.as_ref())
        ),
        Condition::HealthyNodes(healthy) => format!("healthy nodes < {}", healthy.below),
        Condition::NodeLost(_) => "node lost".to_owned(),
        Condition::NodeResource(resource) => format!(
            "{} > {}%",
            resource_name(resource.resource()),
            resource.above_percent
        ),
        Condition::ScheduleMissed(_) => "schedule missed a fire".to_owned(),
        Condition::ScheduleFailing(failing) if failing.consecutive <= 1 => {
            "schedule run failed".to_owned()
        }
        Condition::ScheduleFailing(failing) => {
            format!("schedule failed {} runs in a row", failing.consecutive)
        }
        Condition::ArchiveLag(lag) => {
            format!("archive lag > {}", duration_or_dash(lag.above.as_ref()))
        }
    }
}

/// `all queues`, `queue emails`, `archive`.
fn scope_text(spec: &RuleSpec) -> String {
    if !spec.queue.is_empty() {
        return format!("queue {}", spec.queue);
    }
    if !spec.service.is_empty() {
        return format!("service {}", spec.service);
    }
    if !spec.schedule.is_empty() {
        return format!("schedule {}", spec.schedule);
    }
    match spec.condition.as_ref() {
        Some(
            Condition::Backlog(_)
            | Condition::OldestPending(_)
            | Condition::FailureRate(_)
            | Condition::DeadGrowth(_),
        ) => "all queues",
        Some(Condition::HealthyNodes(_)) => "all services",
        Some(Condition::NodeLost(_) | Condition::NodeResource(_)) => "all nodes",
        Some(Condition::ScheduleMissed(_) | Condition::ScheduleFailing(_)) => "all schedules",
        Some(Condition::ArchiveLag(_)) => "archive",
        None => "-",
    }
    .to_owned()
}

fn channels_text(channels: &[String]) -> String {
    if channels.is_empty() {
        "all".to_owned()
    } else {
        channels.join(",")
    }
}

/// `env=prod, team=data`, sorted.
fn labels_text(labels: &HashMap<String, String>) -> String {
    let mut pairs: Vec<String> = labels
        .iter()
        .map(|(key, value)| format!("{key}={}", one_line(value, 100)))
        .collect();
    pairs.sort();
    pairs.join(", ")
}

async fn channels(args: &ClientArgs, command: ChannelsCommand) -> anyhow::Result<()> {
    match command {
        ChannelsCommand::List => list_channels(args).await,
        ChannelsCommand::Get { id } => {
            let channel = answer(
                client(args)
                    .await?
                    .get_channel(GetChannelRequest { id })
                    .await,
            )?
            .channel
            .unwrap_or_default();
            if args.json {
                return print_json(to_json(&channel), None);
            }
            print!("{}", describe_channel(&channel, SystemTime::now()));
            Ok(())
        }
        ChannelsCommand::Add(add) => {
            let mut spec = ChannelSpec {
                id: add.id,
                disabled: add.disabled,
                ..ChannelSpec::default()
            };
            // Bad input is refused before any connection is made.
            apply_channel_flags(&mut spec, add.flags, &mut std::io::stdin())?;
            let response = answer(
                client(args)
                    .await?
                    .create_channel(CreateChannelRequest { spec: Some(spec) })
                    .await,
            )?;
            print_channel(args, response.channel.unwrap_or_default(), "created")
        }
        ChannelsCommand::Update(update) => {
            let mut client = client(args).await?;
            let stored = answer(
                client
                    .get_channel(GetChannelRequest {
                        id: update.id.clone(),
                    })
                    .await,
            )?;
            let mut spec = stored
                .channel
                .and_then(|channel| channel.spec)
                .with_context(|| format!("channel {} has no definition", update.id))?;
            apply_channel_flags(&mut spec, update.flags, &mut std::io::stdin())?;
            if update.disabled {
                spec.disabled = true;
            }
            if update.enabled {
                spec.disabled = false;
            }
            let response = answer(
                client
                    .update_channel(UpdateChannelRequest { spec: Some(spec) })
                    .await,
            )?;
            print_channel(args, response.channel.unwrap_or_default(), "updated")
        }
        ChannelsCommand::Rm { id } => {
            answer(
                client(args)
                    .await?
                    .delete_channel(DeleteChannelRequest { id: id.clone() })
                    .await,
            )?;
            if args.json {
                return print_json(serde_json::json!({}), None);
            }
            println!("channel {id} deleted");
            Ok(())
        }
    }
}

fn print_channel(args: &ClientArgs, channel: Channel, done: &str) -> anyhow::Result<()> {
    if args.json {
        return print_json(to_json(&channel), None);
    }
    let id = channel.spec.map(|spec| spec.id).unwrap_or_default();
    println!(
        "channel {id} {done}; secrets set: {}",
        secrets_text(&channel.secrets_set)
    );
    Ok(())
}

/// Reads at most one secret from stdin, for flags given as `-`.
struct SecretInput<'a, R> {
    stdin: &'a mut R,
    used_by: Option<&'static str>,
}

impl<R: std::io::Read> SecretInput<'_, R> {
    /// The flag's value, or stdin's text (without its trailing newline) when it is `-`.
    fn value(&mut self, flag: &'static str, value: String) -> anyhow::Result<String> {
        if value != "-" {
            return Ok(value);
        }
        if let Some(first) = self.used_by {
            bail!("only one secret can be read from stdin; {first} already was, not {flag}");
        }
        self.used_by = Some(flag);
        let mut text = String::new();
        self.stdin
            .read_to_string(&mut text)
            .with_context(|| format!("read {flag} from stdin"))?;
        let text = text.trim_end_matches(['\n', '\r']).to_owned();
        if text.is_empty() {
            bail!("{flag}: nothing on stdin");
        }
        Ok(text)
    }
}

/// The kind a kind flag asks for; `None` when no kind flag was given.
fn kind_flag(flags: &ChannelFlags) -> Option<(&'static str, Kind)> {
    if flags.slack_webhook_url.is_some() {
        Some(("slack", Kind::Slack(SlackChannel::default())))
    } else if flags.discord_webhook_url.is_some() {
        Some(("discord", Kind::Discord(DiscordChannel::default())))
    } else if flags.webhook_url.is_some() {
        Some(("webhook", Kind::Webhook(WebhookChannel::default())))
    } else if flags.pagerduty_routing_key.is_some() {
        Some(("pagerduty", Kind::Pagerduty(PagerDutyChannel::default())))
    } else if flags.smtp_host.is_some() {
        Some(("email", Kind::Email(EmailChannel::default())))
    } else {
        None
    }
}

/// Refuses settings of one kind given for a channel of another.
fn check_settings_fit(flags: &ChannelFlags, kind: &str) -> anyhow::Result<()> {
    let settings = [
        (
            "--signing-secret",
            "webhook",
            flags.signing_secret.is_some(),
        ),
        (
            "--pagerduty-events-url",
            "pagerduty",
            flags.pagerduty_events_url.is_some(),
        ),
        ("--smtp-port", "email", flags.smtp_port.is_some()),
        ("--smtp-security", "email", flags.smtp_security.is_some()),
        ("--smtp-username", "email", flags.smtp_username.is_some()),
        ("--smtp-password", "email", flags.smtp_password.is_some()),
        ("--from", "email", flags.from.is_some()),
        ("--to", "email", !flags.to.is_empty()),
    ];
    for (flag, wanted, given) in settings {
        if given && kind != wanted {
            bail!("{flag} is for {wanted} channels, not {kind}");
        }
    }
    Ok(())
}

/// The flags that were given, on top of what the definition holds: a kind flag of another
/// kind replaces the kind (and its secrets); the other settings apply to the channel's kind.
fn apply_channel_flags(
    spec: &mut ChannelSpec,
    flags: ChannelFlags,
    stdin: &mut impl std::io::Read,
) -> anyhow::Result<()> {
    if let Some((name, fresh)) = kind_flag(&flags)
        && spec.kind.as_ref().map(kind_name) != Some(name)
    {
        spec.kind = Some(fresh);
    }
    let kind = spec.kind.as_ref().map_or("unknown", kind_name);
    check_settings_fit(&flags, kind)?;
    let mut input = SecretInput {
        stdin,
        used_by: None,
    };
    match spec.kind.as_mut() {
        Some(Kind::Slack(slack)) => {
            if let Some(url) = flags.slack_webhook_url {
                slack.webhook_url = input.value("--slack-webhook-url", url)?;
            }
        }
        Some(Kind::Discord(discord)) => {
            if let Some(url) = flags.discord_webhook_url {
                discord.webhook_url = input.value("--discord-webhook-url", url)?;
            }
        }
        Some(Kind::Webhook(webhook)) => {
            if let Some(url) = flags.webhook_url {
                webhook.url = input.value("--webhook-url", url)?;
            }
            if let Some(secret) = flags.signing_secret {
                webhook.signing_secret = input.value("--signing-secret", secret)?;
            }
        }
        Some(Kind::Pagerduty(pagerduty)) => {
            if let Some(key) = flags.pagerduty_routing_key {
                pagerduty.routing_key = input.value("--pagerduty-routing-key", key)?;
            }
            if let Some(url) = flags.pagerduty_events_url {
                pagerduty.events_url = url;
            }
        }
        Some(Kind::Email(email)) => {
            if let Some(host) = flags.smtp_host {
                email.smtp_host = host;
            }
            if let Some(port) = flags.smtp_port {
                email.smtp_port = port.into();
            }
            if let Some(security) = flags.smtp_security {
                email.security = security.into();
            }
            if let Some(username) = flags.smtp_username {
                email.username = username;
            }
            if let Some(password) = flags.smtp_password {
                email.password = input.value("--smtp-password", password)?;
            }
            if let Some(from) = flags.from {
                email.from = from;
            }
            if !flags.to.is_empty() {
                email.to = flags.to;
            }
        }
        None => {}
    }
    if let Some(severity) = flags.min_severity {
        spec.min_severity = severity.into();
    }
    if let Some(description) = flags.description {
        spec.description = description;
    }
    Ok(())
}

async fn list_channels(args: &ClientArgs) -> anyhow::Result<()> {
    let mut client = client(args).await?;
    let mut request = ListChannelsRequest {
        page_size: PAGE_SIZE as i32,
        page_token: String::new(),
    };
    let mut channels = Vec::new();
    loop {
        let page = answer(client.list_channels(request.clone()).await)?;
        channels.extend(page.channels);
        if page.next_page_token.is_empty() {
            break;
        }
        request.page_token = page.next_page_token;
    }
    if args.json {
        let response = ListChannelsResponse {
            channels,
            next_page_token: String::new(),
        };
        return print_json(to_json(&response), Some("channels"));
    }
    if channels.is_empty() {
        println!("no channels");
        return Ok(());
    }
    print!("{}", channel_table(&channels));
    Ok(())
}

fn channel_table(channels: &[Channel]) -> String {
    let mut table = Table::new(&[
        "ID",
        "KIND",
        "TARGET",
        "MIN SEVERITY",
        "ENABLED",
        "SECRETS SET",
    ]);
    for channel in channels {
        let spec = channel.spec.clone().unwrap_or_default();
        table.row(vec![
            spec.id.clone(),
            spec.kind.as_ref().map_or("-", kind_name).to_owned(),
            one_line(&channel_target(&spec), 60),
            min_severity_name(spec.min_severity()).to_owned(),
            yes_no(!spec.disabled).to_owned(),
            secrets_text(&channel.secrets_set),
        ]);
    }
    table.render()
}

/// Where a channel sends, as far as it is not secret: `smtp.example.com:587 -> ops@example.com`.
fn channel_target(spec: &ChannelSpec) -> String {
    match &spec.kind {
        Some(Kind::Pagerduty(pagerduty)) => pagerduty.events_url.clone(),
        Some(Kind::Email(email)) => format!(
            "{}:{} -> {}",
            email.smtp_host,
            email.smtp_port,
            email.to.join(", ")
        ),
        _ => "-".to_owned(),
    }
}

fn describe_channel(channel: &Channel, now: SystemTime) -> String {
    let spec = channel.spec.clone().unwrap_or_default();
    let mut record = Record::default();
    record.field("id", spec.id.clone());
    record.field("description", printable(&spec.description));
    record.field("kind", spec.kind.as_ref().map_or("-", kind_name).to_owned());
    match &spec.kind {
        Some(Kind::Pagerduty(pagerduty)) => {
            record.field("events url", pagerduty.events_url.clone());
        }
        Some(Kind::Email(email)) => {
            record.field("smtp host", email.smtp_host.clone());
            record.field("smtp port", email.smtp_port.to_string());
            record.field(
                "smtp security",
                smtp_security_name(email.security()).to_owned(),
            );
            record.field("smtp username", printable(&email.username));
            record.field("from", printable(&email.from));
            record.field("to", printable(&email.to.join(", ")));
        }
        _ => {}
    }
    record.field(
        "min severity",
        min_severity_name(spec.min_severity()).to_owned(),
    );
    record.field("enabled", yes_no(!spec.disabled).to_owned());
    record.field("secrets set", secrets_text(&channel.secrets_set));
    record.field("created", full_timestamp(channel.created_at.as_ref(), now));
    record.field("updated", full_timestamp(channel.updated_at.as_ref(), now));
    record.render()
}

fn secrets_text(secrets: &[String]) -> String {
    if secrets.is_empty() {
        "none".to_owned()
    } else {
        secrets.join(", ")
    }
}

async fn test_channel(args: &ClientArgs, id: String) -> anyhow::Result<()> {
    let response = answer(
        client(args)
            .await?
            .test_channel(TestChannelRequest { id: id.clone() })
            .await,
    )?;
    let delivery = response.delivery.clone().unwrap_or_default();
    if args.json {
        print_json(to_json(&response), None)?;
    }
    let attempt = delivery
        .attempts
        .last()
        .map(attempt_outcome)
        .unwrap_or_default();
    if delivery.state() != DeliveryState::Delivered {
        bail!("test message to channel {id} failed: {attempt}");
    }
    if !args.json {
        println!("test message to channel {id} delivered: {attempt}");
    }
    Ok(())
}

/// `status 200 in 85ms` or `no response in 2s: connection refused`.
fn attempt_outcome(attempt: &DeliveryAttempt) -> String {
    let mut text = if attempt.status_code == 0 {
        "no response".to_owned()
    } else {
        format!("status {}", attempt.status_code)
    };
    if let Some(took) = &attempt.took {
        text.push_str(&format!(" in {}", short(took)));
    }
    if !attempt.error.is_empty() {
        text.push_str(&format!(": {}", one_line(&attempt.error, 300)));
    }
    text
}

async fn create_silence(args: &ClientArgs, silence: SilenceArgs) -> anyhow::Result<()> {
    let spec = SilenceSpec {
        rule_id: silence.rule.unwrap_or_default(),
        queue: silence.queue.unwrap_or_default(),
        service: silence.service.unwrap_or_default(),
        starts_at: silence.starts.map(Into::into),
        ends_at: silence.until.map(Into::into),
        duration: silence.duration.map(proto_duration),
        comment: silence.comment.unwrap_or_default(),
        author: String::new(),
    };
    let response = answer(
        client(args)
            .await?
            .create_silence(CreateSilenceRequest { spec: Some(spec) })
            .await,
    )?;
    if args.json {
        return print_json(to_json(&response), None);
    }
    let silence = response.silence.unwrap_or_default();
    let ends = silence.spec.as_ref().and_then(|spec| spec.ends_at.as_ref());
    println!(
        "silence {} created; {} until {}",
        silence.id,
        silence_state_name(silence.state()),
        full_timestamp(ends, SystemTime::now())
    );
    Ok(())
}

async fn list_silences(args: &ClientArgs, include_expired: bool) -> anyhow::Result<()> {
    let mut client = client(args).await?;
    let mut request = ListSilencesRequest {
        include_expired,
        page_size: PAGE_SIZE as i32,
        page_token: String::new(),
    };
    let mut silences = Vec::new();
    loop {
        let page = answer(client.list_silences(request.clone()).await)?;
        silences.extend(page.silences);
        if page.next_page_token.is_empty() {
            break;
        }
        request.page_token = page.next_page_token;
    }
    if args.json {
        let response = ListSilencesResponse {
            silences,
            next_page_token: String::new(),
        };
        return print_json(to_json(&response), Some("silences"));
    }
    if silences.is_empty() {
        println!("no silences");
        return Ok(());
    }
    print!("{}", silence_table(&silences, SystemTime::now()));
    Ok(())
}

fn silence_table(silences: &[Silence], now: SystemTime) -> String {
    let mut table = Table::new(&[
        "ID", "STATE", "MATCHES", "STARTS", "ENDS", "AUTHOR", "COMMENT",
    ]);
    for silence in silences {
        let spec = silence.spec.clone().unwrap_or_default();
        table.row(vec![
            silence.id.clone(),
            silence_state_name(silence.state()).to_owned(),
            matchers_text(&spec),
            relative_timestamp(spec.starts_at.as_ref(), now),
            relative_timestamp(spec.ends_at.as_ref(), now),
            one_line(&spec.author, 60),
            one_line(&spec.comment, 80),
        ]);
    }
    table.render()
}

/// `rule=backlog queue=emails`.
fn matchers_text(spec: &SilenceSpec) -> String {
    [
        ("rule", &spec.rule_id),
        ("queue", &spec.queue),
        ("service", &spec.service),
    ]
    .into_iter()
    .filter(|(_, value)| !value.is_empty())
    .map(|(name, value)| format!("{name}={value}"))
    .collect::<Vec<_>>()
    .join(" ")
}

async fn notifications(
    args: &ClientArgs,
    rule_id: String,
    alert_id: String,
    limit: usize,
) -> anyhow::Result<()> {
    let mut client = client(args).await?;
    let mut request = ListNotificationsRequest {
        rule_id,
        alert_id,
        ..ListNotificationsRequest::default()
    };
    let mut notifications = Vec::new();
    while notifications.len() < limit {
        request.page_size = (limit - notifications.len()).min(PAGE_SIZE) as i32;
        let page = answer(client.list_notifications(request.clone()).await)?;
        notifications.extend(page.notifications);
        if page.next_page_token.is_empty() {
            break;
        }
        request.page_token = page.next_page_token;
    }
    if args.json {
        let response = ListNotificationsResponse {
            notifications,
            next_page_token: String::new(),
        };
        return print_json(to_json(&response), Some("notifications"));
    }
    if notifications.is_empty() {
        println!("no notifications");
        return Ok(());
    }
    print!("{}", notification_table(&notifications, SystemTime::now()));
    Ok(())
}

fn notification_table(notifications: &[Notification], now: SystemTime) -> String {
    let mut table = Table::new(&[
        "CREATED",
        "KIND",
        "RULE",
        "SEVERITY",
        "ALERTS>",
        "TITLE",
        "DELIVERIES",
    ]);
    for notification in notifications {
        let deliveries: Vec<String> = notification
            .deliveries
            .iter()
            .map(|delivery| {
                format!(
                    "{} {}",
                    delivery.channel_id,
                    delivery_state_name(delivery.state())
                )
            })
            .collect();
        table.row(vec![
            relative_timestamp(notification.created_at.as_ref(), now),
            notification_kind_name(notification.kind()).to_owned(),
            if notification.rule_id.is_empty() {
                "-".to_owned()
            } else {
                notification.rule_id.clone()
            },
            severity_name(notification.severity()).to_owned(),
            notification.alert_ids.len().to_string(),
            one_line(&notification.title, 80),
            if deliveries.is_empty() {
                "-".to_owned()
            } else {
                deliveries.join(", ")
            },
        ]);
    }
    table.render()
}

/// Name and value rows without a header, leaving out empty values.
#[derive(Default)]
struct Record {
    rows: Vec<(&'static str, String)>,
}

impl Record {
    fn field(&mut self, name: &'static str, value: String) {
        if !value.is_empty() && value != "-" {
            self.rows.push((name, value));
        }
    }

    fn render(self) -> String {
        let mut table = Table::new(&["FIELD", "VALUE"]);
        for (name, value) in self.rows {
            table.row(vec![name.to_owned(), value]);
        }
        let mut out = table.render();
        // A record reads better without the header row.
        if let Some(end) = out.find('\n') {
            out.drain(..=end);
        }
        out
    }
}

/// `30s`, `5m`, `1h30m`: humantime's words without the spaces.
fn short(duration: &prost_types::Duration) -> String {
    humantime::format_duration(from_proto_duration(duration))
        .to_string()
        .replace(' ', "")
}

/// A configured duration as written, or `-` when unset or zero.
fn duration_or_dash(duration: Option<&prost_types::Duration>) -> String {
    duration
        .filter(|duration| duration.seconds != 0 || duration.nanos != 0)
        .map_or_else(|| "-".to_owned(), short)
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Info => "info",
        Severity::Unspecified | Severity::Warning => "warning",
        Severity::Critical => "critical",
    }
}

/// A channel's floor: unset means every severity.
fn min_severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Unspecified => "all",
        severity => severity_name(severity),
    }
}

fn alert_state_name(state: AlertState) -> &'static str {
    match state {
        AlertState::Unspecified => "unknown",
        AlertState::Pending => "pending",
        AlertState::Firing => "firing",
        AlertState::Resolved => "resolved",
    }
}

fn notification_kind_name(kind: NotificationKind) -> &'static str {
    match kind {
        NotificationKind::Unspecified => "unknown",
        NotificationKind::Firing => "firing",
        NotificationKind::Resolved => "resolved",
        NotificationKind::Repeat => "repeat",
        NotificationKind::Test => "test",
    }
}

fn delivery_state_name(state: DeliveryState) -> &'static str {
    match state {
        DeliveryState::Unspecified => "unknown",
        DeliveryState::Pending => "pending",
        DeliveryState::Delivered => "delivered",
        DeliveryState::Failed => "failed",
    }
}

fn silence_state_name(state: SilenceState) -> &'static str {
    match state {
        SilenceState::Unspecified => "unknown",
        SilenceState::Pending => "pending",
        SilenceState::Active => "active",
        SilenceState::Expired => "expired",
    }
}

fn origin_name(origin: RuleOrigin) -> &'static str {
    match origin {
        RuleOrigin::Unspecified => "-",
        RuleOrigin::Default => "default",
        RuleOrigin::User => "user",
    }
}

fn resource_name(resource: NodeResource) -> &'static str {
    match resource {
        NodeResource::Unspecified => "resource",
        NodeResource::Cpu => "cpu",
        NodeResource::Memory => "memory",
        NodeResource::Disk => "disk",
    }
}

fn smtp_security_name(security: SmtpSecurity) -> &'static str {
    match security {
        SmtpSecurity::None => "none",
        SmtpSecurity::Unspecified | SmtpSecurity::Starttls => "starttls",
        SmtpSecurity::Tls => "tls",
    }
}

fn parse_severity(text: &str) -> Result<Severity, String> {
    match text.to_ascii_lowercase().as_str() {
        "info" => Ok(Severity::Info),
        "warning" => Ok(Severity::Warning),
        "critical" => Ok(Severity::Critical),
        _ => Err(format!(
            "unknown severity {text:?}; expected info, warning or critical"
        )),
    }
}

fn parse_min_severity(text: &str) -> Result<Severity, String> {
    if text.eq_ignore_ascii_case("all") {
        return Ok(Severity::Unspecified);
    }
    parse_severity(text)
        .map_err(|_| format!("unknown severity {text:?}; expected info, warning, critical or all"))
}

fn parse_smtp_security(text: &str) -> Result<SmtpSecurity, String> {
    match text.to_ascii_lowercase().as_str() {
        "none" => Ok(SmtpSecurity::None),
        "starttls" => Ok(SmtpSecurity::Starttls),
        "tls" => Ok(SmtpSecurity::Tls),
        _ => Err(format!(
            "unknown smtp security {text:?}; expected none, starttls or tls"
        )),
    }
}

fn parse_label(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .ok_or_else(|| format!("invalid label {text:?}; expected KEY=VALUE"))
}

fn parse_rfc3339(text: &str) -> Result<SystemTime, String> {
    DateTime::parse_from_rfc3339(text)
        .map(SystemTime::from)
        .map_err(|error| format!("invalid time {text:?} ({error}); use e.g. 2026-11-23T18:00:00Z"))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(subcommand)]
        command: AlertsCommand,
    }

    fn parse(args: &[&str]) -> Result<AlertsCommand, clap::Error> {
        Cli::try_parse_from(std::iter::once("alerts").chain(args.iter().copied()))
            .map(|cli| cli.command)
    }

    fn rule_add(args: &[&str]) -> RuleAddArgs {
        match parse(&[&["rules", "add"], args].concat()) {
            Ok(AlertsCommand::Rules {
                command: Some(RulesCommand::Add(add)),
            }) => *add,
            Ok(_) => panic!("not rules add"),
            Err(error) => panic!("{error}"),
        }
    }

    fn channel_flags(args: &[&str]) -> ChannelFlags {
        match parse(&[&["channels", "update", "c"], args].concat()) {
            Ok(AlertsCommand::Channels {
                command: Some(ChannelsCommand::Update(update)),
            }) => update.flags,
            Ok(_) => panic!("not channels update"),
            Err(error) => panic!("{error}"),
        }
    }

    fn secs(seconds: i64) -> Option<prost_types::Duration> {
        Some(prost_types::Duration { seconds, nanos: 0 })
    }

    fn timestamp(seconds: i64) -> Option<prost_types::Timestamp> {
        Some(prost_types::Timestamp { seconds, nanos: 0 })
    }

    #[test]
    fn a_rule_takes_exactly_one_condition_flag() {
        let error = parse(&["rules", "add", "r", "--queue", "q"])
            .err()
            .expect("refused");
        assert_eq!(
            error.kind(),
            clap::error::ErrorKind::MissingRequiredArgument
        );
        let error = parse(&["rules", "add", "r", "--node-lost", "--backlog-above", "5"])
            .err()
            .expect("refused");
        assert_eq!(error.kind(), clap::error::ErrorKind::ArgumentConflict);
        let error = parse(&["rules", "add", "r", "--node-lost", "--severity", "loud"])
            .err()
            .expect("refused");
        assert!(error.to_string().contains("unknown severity"), "{error}");
        let error = parse(&[
            "rules",
            "add",
            "r",
            "--node-lost",
            "--service",
            "a",
            "--queue",
            "b",
        ])
        .err()
        .expect("refused");
        assert_eq!(error.kind(), clap::error::ErrorKind::ArgumentConflict);
        let error = parse(&["rules", "update", "r", "--queue", "q", "--all-scopes"])
            .err()
            .expect("refused");
        assert_eq!(error.kind(), clap::error::ErrorKind::ArgumentConflict);
        assert!(parse(&["rules", "update", "r", "--for", "1m"]).is_ok());
    }

    #[test]
    fn condition_flags_make_their_condition() {
        let add = rule_add(&["r", "--schedule-failing"]);
        assert_eq!(
            condition_from(&add.condition, None).expect("condition"),
            Some(Condition::ScheduleFailing(ScheduleFailingCondition {
                consecutive: 1
            }))
        );
        let add = rule_add(&["r", "--memory-above", "85.5"]);
        assert_eq!(
            condition_from(&add.condition, None).expect("condition"),
            Some(Condition::NodeResource(NodeResourceCondition {
                resource: NodeResource::Memory.into(),
                above_percent: 85.5,
            }))
        );
        let add = rule_add(&[
            "r",
            "--failure-rate-above",
            "20",
            "--window",
            "10m",
            "--min-volume",
            "5",
        ]);
        assert_eq!(
            condition_from(&add.condition, None).expect("condition"),
            Some(Condition::FailureRate(FailureRateCondition {
                above_percent: 20.0,
                window: secs(600),
                min_volume: 5,
            }))
        );
        let add = rule_add(&["r", "--node-lost", "--window", "10m"]);
        let error = condition_from(&add.condition, None)
            .unwrap_err()
            .to_string();
        assert!(error.contains("not a node_lost rule"), "{error}");
        let add = rule_add(&["r", "--dead-growth-above", "0", "--min-volume", "3"]);
        let error = condition_from(&add.condition, None)
            .unwrap_err()
            .to_string();
        assert!(error.contains("--min-volume goes with"), "{error}");
    }

    #[test]
    fn an_update_changes_only_what_is_given() {
        let current = Condition::FailureRate(FailureRateCondition {
            above_percent: 20.0,
            window: secs(300),
            min_volume: 20,
        });
        let flags = ConditionArgs {
            window: Some(Duration::from_secs(900)),
            ..ConditionArgs::default()
        };
        assert_eq!(
            condition_from(&flags, Some(&current)).expect("condition"),
            Some(Condition::FailureRate(FailureRateCondition {
                above_percent: 20.0,
                window: secs(900),
                min_volume: 20,
            }))
        );
        let flags = ConditionArgs {
            failure_rate_above: Some(50.0),
            ..ConditionArgs::default()
        };
        assert_eq!(
            condition_from(&flags, Some(&current)).expect("condition"),
            Some(Condition::FailureRate(FailureRateCondition {
                above_percent: 50.0,
                window: secs(300),
                min_volume: 20,
            }))
        );
        assert_eq!(
            condition_from(&ConditionArgs::default(), Some(&current)).expect("nothing"),
            None
        );

        let mut spec = RuleSpec {
            queue: "emails".into(),
            labels: HashMap::from([("team".to_owned(), "mail".to_owned())]),
            channels: vec!["a".into()],
            ..RuleSpec::default()
        };
        apply_rule_options(
            &mut spec,
            RuleOptions {
                service: Some("api".into()),
                labels: vec![("env".into(), "prod".into())],
                ..RuleOptions::default()
            },
        );
        assert_eq!((spec.queue.as_str(), spec.service.as_str()), ("", "api"));
        assert_eq!(labels_text(&spec.labels), "env=prod, team=mail");
        assert_eq!(spec.channels, ["a"]);
    }

    #[test]
    fn a_secret_given_as_dash_is_read_from_stdin_once() {
        let mut spec = ChannelSpec::default();
        let flags = channel_flags(&["--webhook-url", "-", "--signing-secret", "s3"]);
        let mut stdin = std::io::Cursor::new("https://hooks.example.com/x\n");
        apply_channel_flags(&mut spec, flags, &mut stdin).expect("applied");
        assert_eq!(
            spec.kind,
            Some(Kind::Webhook(WebhookChannel {
                url: "https://hooks.example.com/x".into(),
                signing_secret: "s3".into(),
            }))
        );
        let flags = channel_flags(&["--webhook-url", "-", "--signing-secret", "-"]);
        let mut stdin = std::io::Cursor::new("both\n");
        let error = apply_channel_flags(&mut ChannelSpec::default(), flags, &mut stdin)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("only one secret can be read from stdin"),
            "{error}"
        );
        let flags = channel_flags(&["--slack-webhook-url", "-"]);
        let error = apply_channel_flags(
            &mut ChannelSpec::default(),
            flags,
            &mut std::io::Cursor::new(""),
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("nothing on stdin"), "{error}");
    }

    #[test]
    fn channel_settings_apply_to_the_channels_kind() {
        let mut spec = ChannelSpec {
            kind: Some(Kind::Email(EmailChannel {
                smtp_host: "smtp.example.com".into(),
                smtp_port: 587,
                from: "a@example.com".into(),
                to: vec!["x@example.com".into()],
                ..EmailChannel::default()
            })),
            ..ChannelSpec::default()
        };
        let flags = channel_flags(&[
            "--smtp-port",
            "2525",
            "--to",
            "y@example.com",
            "z@example.com",
        ]);
        apply_channel_flags(&mut spec, flags, &mut std::io::empty()).expect("applied");
        let Some(Kind::Email(email)) = &spec.kind else {
            panic!("{spec:?}")
        };
        assert_eq!(email.smtp_port, 2525);
        assert_eq!(email.smtp_host, "smtp.example.com");
        assert_eq!(email.to, ["y@example.com", "z@example.com"]);

        let flags = channel_flags(&["--signing-secret", "s"]);
        let error = apply_channel_flags(&mut spec, flags, &mut std::io::empty())
            .unwrap_err()
            .to_string();
        assert_eq!(error, "--signing-secret is for webhook channels, not email");

        let flags = channel_flags(&[
            "--pagerduty-routing-key",
            "key",
            "--min-severity",
            "critical",
        ]);
        apply_channel_flags(&mut spec, flags, &mut std::io::empty()).expect("applied");
        assert_eq!(
            spec.kind,
            Some(Kind::Pagerduty(PagerDutyChannel {
                routing_key: "key".into(),
                events_url: String::new(),
            }))
        );
        assert_eq!(spec.min_severity(), Severity::Critical);
        assert!(parse(&["channels", "add", "c", "--smtp-security", "ssl"]).is_err());
        let error = parse(&["channels", "add", "c", "--description", "d"])
            .err()
            .expect("refused");
        assert_eq!(
            error.kind(),
            clap::error::ErrorKind::MissingRequiredArgument
        );
    }

    #[test]
    fn a_silence_needs_a_matcher_an_end_and_a_comment() {
        let create = |args: &[&str]| parse(&[&["silence"], args].concat());
        assert!(create(&["--rule", "r", "--for", "1h", "--comment", "c"]).is_ok());
        assert!(create(&["--for", "1h", "--comment", "c"]).is_err());
        assert!(create(&["--rule", "r", "--comment", "c"]).is_err());
        assert!(create(&["--rule", "r", "--for", "1h"]).is_err());
        assert!(
            create(&[
                "--queue",
                "q",
                "--for",
                "1h",
                "--until",
                "2030-01-01T00:00:00Z",
                "--comment",
                "c"
            ])
            .is_err()
        );
        assert!(create(&["--rule", "r", "--until", "tomorrow", "--comment", "c"]).is_err());
        assert!(matches!(
            create(&["list", "--all"]),
            Ok(AlertsCommand::Silence(silence))
                if matches!(silence.command, Some(SilenceCommand::List { all: true }))
        ));
        assert!(matches!(
            parse(&["list", "--state", "resolved"]),
            Ok(AlertsCommand::List(list)) if list.state == StateFilter::Resolved
        ));
        assert!(parse(&["list", "--state", "done"]).is_err());
    }

    fn rows(text: &str) -> Vec<Vec<&str>> {
        text.lines()
            .map(|line| line.split_whitespace().collect())
            .collect()
    }

    #[test]
    fn rules_read_in_words() {
        let rule = |spec: RuleSpec, origin: RuleOrigin| Rule {
            spec: Some(spec),
            origin: origin.into(),
            firing_alerts: 2,
            pending_alerts: 1,
            ..Rule::default()
        };
        let rules = [
            rule(
                RuleSpec {
                    id: "slow".into(),
                    queue: "emails".into(),
                    pending_for: secs(120),
                    severity: Severity::Critical.into(),
                    channels: vec!["ops".into(), "pd".into()],
                    condition: Some(Condition::Backlog(BacklogCondition { above: 1000 })),
                    ..RuleSpec::default()
                },
                RuleOrigin::User,
            ),
            rule(
                RuleSpec {
                    id: "lost".into(),
                    disabled: true,
                    condition: Some(Condition::NodeLost(NodeLostCondition {})),
                    ..RuleSpec::default()
                },
                RuleOrigin::Default,
            ),
            rule(
                RuleSpec {
                    id: "lag".into(),
                    pending_for: secs(0),
                    condition: Some(Condition::ArchiveLag(ArchiveLagCondition {
                        above: secs(90),
                    })),
                    ..RuleSpec::default()
                },
                RuleOrigin::User,
            ),
        ];
        assert_eq!(
            rows(&rule_table(&rules)),
            [
                vec![
                    "ID",
                    "CONDITION",
                    "SCOPE",
                    "FOR",
                    "SEVERITY",
                    "CHANNELS",
                    "FIRING",
                    "PENDING",
                    "ORIGIN",
                    "ENABLED"
                ],
                vec![
                    "slow", "backlog", ">", "1000", "queue", "emails", "2m", "critical", "ops,pd",
                    "2", "1", "user", "yes"
                ],
                vec![
                    "lost", "node", "lost", "all", "nodes", "-", "warning", "all", "2", "1",
                    "default", "no"
                ],
                vec![
                    "lag", "archive", "lag", ">", "1m30s", "archive", "-", "warning", "all", "2",
                    "1", "user", "yes"
                ],
            ]
        );
        let text = describe_rule(&rules[0], SystemTime::now());
        assert!(
            rows(&text).contains(&vec!["repeat", "4h", "(default)"]),
            "{text}"
        );
        assert!(rows(&text).contains(&vec!["open", "alerts", "2", "firing,", "1", "pending"]));
        let growth = Condition::DeadGrowth(DeadGrowthCondition {
            above: 0,
            window: secs(300),
        });
        assert_eq!(condition_text(Some(&growth)), "dead jobs grew > 0 in 5m");
        let failing = Condition::ScheduleFailing(ScheduleFailingCondition { consecutive: 3 });
        assert_eq!(
            condition_text(Some(&failing)),
            "schedule failed 3 runs in a row"
        );
    }

    fn firing_alert() -> Alert {
        Alert {
            id: "01a20786-e552-77ed-84b8-cbdb2b991138".into(),
            rule_id: "backlog".into(),
            state: AlertState::Firing.into(),
            severity: Severity::Critical.into(),
            subject: "queue:emails".into(),
            summary: "queue emails has 1520 pending jobs (above 1000)".into(),
            value: 1520.0,
            pending_since: timestamp(1_000),
            fired_at: timestamp(1_060),
            acknowledged_at: timestamp(1_100),
            acknowledged_by: "cli:ada@laptop".into(),
            acknowledge_comment: "on it".into(),
            silenced: true,
            ..Alert::default()
        }
    }

    #[test]
    fn alerts_show_state_marks_and_when_they_entered_it() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_180);
        let pending = Alert {
            id: "01a20786-0000-7000-8000-000000000001".into(),
            rule_id: "failures".into(),
            state: AlertState::Pending.into(),
            severity: Severity::Warning.into(),
            subject: "queue:jobs".into(),
            summary: "30% failed".into(),
            pending_since: timestamp(1_170),
            ..Alert::default()
        };
        assert_eq!(
            rows(&alert_table(&[firing_alert(), pending], now)),
            [
                vec![
                    "ID", "STATE", "SEVERITY", "RULE", "SUBJECT", "SINCE", "SUMMARY"
                ],
                vec![
                    "01a20786-e552-77ed-84b8-cbdb2b991138",
                    "firing,acked,silenced",
                    "critical",
                    "backlog",
                    "queue:emails",
                    "2m00s",
                    "ago",
                    "queue",
                    "emails",
                    "has",
                    "1520",
                    "pending",
                    "jobs",
                    "(above",
                    "1000)"
                ],
                vec![
                    "01a20786-0000-7000-8000-000000000001",
                    "pending",
                    "warning",
                    "failures",
                    "queue:jobs",
                    "10s",
                    "ago",
                    "30%",
                    "failed"
                ],
            ]
        );
    }

    #[test]
    fn an_alert_record_lists_notifications_with_each_delivery_attempt() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_180);
        let attempt = |at: i64, status_code: i32, error: &str| DeliveryAttempt {
            at: timestamp(at),
            status_code,
            error: error.into(),
            took: Some(prost_types::Duration {
                seconds: 0,
                nanos: 120_000_000,
            }),
        };
        let response = GetAlertResponse {
            alert: Some(firing_alert()),
            notifications: vec![Notification {
                id: "01a20786-0000-7000-8000-0000000000aa".into(),
                rule_id: "backlog".into(),
                kind: NotificationKind::Firing.into(),
                severity: Severity::Critical.into(),
                alert_ids: vec![firing_alert().id],
                title: "[FIRING] backlog: queue emails".into(),
                created_at: timestamp(1_060),
                deliveries: vec![
                    Delivery {
                        channel_id: "ops-hook".into(),
                        state: DeliveryState::Delivered.into(),
                        attempts: vec![
                            attempt(1_061, 503, "service unavailable"),
                            attempt(1_063, 200, ""),
                        ],
                        ..Delivery::default()
                    },
                    Delivery {
                        channel_id: "pd".into(),
                        state: DeliveryState::Pending.into(),
                        next_attempt_at: timestamp(1_200),
                        attempts: vec![attempt(1_170, 0, "connection refused")],
                        ..Delivery::default()
                    },
                ],
            }],
        };
        let text = describe_alert(&response, now);
        let lines = rows(&text);
        for row in [
            vec!["state", "firing"],
            vec!["subject", "queue:emails"],
            vec!["value", "1520"],
            vec!["silenced", "yes"],
            vec!["ack", "comment", "on", "it"],
            vec!["channel", "ops-hook:", "delivered,", "2", "attempts"],
            vec![
                "channel", "pd:", "pending,", "1", "attempt,", "next", "in", "20s",
            ],
        ] {
            assert!(lines.contains(&row), "{row:?} missing in:\n{text}");
        }
        assert!(
            text.contains(" status 503 took 120ms: service unavailable\n"),
            "{text}"
        );
        assert!(
            text.contains(" no response took 120ms: connection refused\n"),
            "{text}"
        );
        assert!(text.contains("(1m20s ago) by cli:ada@laptop\n"), "{text}");
        assert!(
            text.contains(
                " firing [FIRING] backlog: queue emails (01a20786-0000-7000-8000-0000000000aa)\n"
            ),
            "{text}"
        );
        let table = notification_table(&response.notifications, now);
        assert_eq!(
            rows(&table)[1],
            [
                "2m00s",
                "ago",
                "firing",
                "backlog",
                "critical",
                "1",
                "[FIRING]",
                "backlog:",
                "queue",
                "emails",
                "ops-hook",
                "delivered,",
                "pd",
                "pending"
            ]
        );
        assert_eq!(
            attempt_outcome(&attempt(0, 0, "connection refused")),
            "no response in 120ms: connection refused"
        );
    }

    #[test]
    fn channels_show_which_secrets_are_set_and_silences_what_they_match() {
        let channel = Channel {
            spec: Some(ChannelSpec {
                id: "mail".into(),
                kind: Some(Kind::Email(EmailChannel {
                    smtp_host: "smtp.example.com".into(),
                    smtp_port: 587,
                    to: vec!["a@example.com".into(), "b@example.com".into()],
                    ..EmailChannel::default()
                })),
                min_severity: Severity::Warning.into(),
                ..ChannelSpec::default()
            }),
            secrets_set: vec!["password".into()],
            ..Channel::default()
        };
        let hook = Channel {
            spec: Some(ChannelSpec {
                id: "hook".into(),
                disabled: true,
                kind: Some(Kind::Webhook(WebhookChannel::default())),
                ..ChannelSpec::default()
            }),
            secrets_set: vec!["url".into(), "signing_secret".into()],
            ..Channel::default()
        };
        assert_eq!(
            rows(&channel_table(&[channel.clone(), hook.clone()]))[1..],
            [
                vec![
                    "mail",
                    "email",
                    "smtp.example.com:587",
                    "->",
                    "a@example.com,",
                    "b@example.com",
                    "warning",
                    "yes",
                    "password"
                ],
                vec![
                    "hook",
                    "webhook",
                    "-",
                    "all",
                    "no",
                    "url,",
                    "signing_secret"
                ],
            ]
        );
        let text = describe_channel(&hook, SystemTime::now());
        assert!(
            rows(&text).contains(&vec!["secrets", "set", "url,", "signing_secret"]),
            "{text}"
        );
        let silence = SilenceSpec {
            rule_id: "backlog".into(),
            service: "api".into(),
            ..SilenceSpec::default()
        };
        assert_eq!(matchers_text(&silence), "rule=backlog service=api");
    }
}
