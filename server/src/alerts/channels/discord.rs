//! Discord webhooks: the title as `content` and one embed listing the alerts, colored by what
//! happened (red, orange or blue firing by severity, green resolved).

use serde_json::{Value, json};
use zenith_proto::v1::{DiscordChannel, NotificationKind, Severity};

use super::{
    LISTED_ALERTS, Message, SendOutcome, TEST_TEXT, post_json, rfc3339, severity_name, since_ms,
    state_name, truncate,
};

const COLOR_CRITICAL: u32 = 0xD93025;
const COLOR_WARNING: u32 = 0xF29900;
const COLOR_INFO: u32 = 0x1A73E8;
const COLOR_RESOLVED: u32 = 0x188038;

pub(super) async fn send(
    http: &reqwest::Client,
    channel: &DiscordChannel,
    message: &Message,
) -> SendOutcome {
    let body = serde_json::to_vec(&body(message)).expect("serialize a discord message");
    post_json(http, &channel.webhook_url, body, &[]).await
}

/// Discord reads these as markdown; alert text is data.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '*' | '_' | '~' | '`' | '|' | '>' | '#' | '[' | ']'
        ) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

fn color(message: &Message) -> u32 {
    match (message.kind, message.severity) {
        (NotificationKind::Resolved, _) => COLOR_RESOLVED,
        (_, Severity::Critical) => COLOR_CRITICAL,
        (_, Severity::Info) => COLOR_INFO,
        _ => COLOR_WARNING,
    }
}

fn body(message: &Message) -> Value {
    let mut lines = Vec::new();
    if message.alerts.is_empty() {
        lines.push(TEST_TEXT.to_owned());
    }
    for alert in message.alerts.iter().take(LISTED_ALERTS) {
        lines.push(format!(
            "**{}** {}\n`{}` since {}",
            state_name(alert.state),
            escape(&alert.summary),
            alert.subject.replace('`', "'"),
            rfc3339(since_ms(alert)),
        ));
    }
    if message.alerts.len() > LISTED_ALERTS {
        lines.push(format!("and {} more", message.alerts.len() - LISTED_ALERTS));
    }
    let mut footer = Vec::new();
    if !message.rule_id.is_empty() {
        footer.push(format!("rule {}", message.rule_id));
    }
    footer.push(format!("severity {}", severity_name(message.severity)));
    footer.push(format!("notification {}", message.notification_id));
    let mut embed = json!({
        "title": truncate(&message.title, 256),
        "description": truncate(&lines.join("\n"), 4096),
        "color": color(message),
        "footer": {"text": truncate(&footer.join(" · "), 2048)},
        "timestamp": rfc3339(message.created_at_ms),
    });
    if !message.rule_description.is_empty() {
        embed["fields"] = json!([{
            "name": "rule",
            "value": truncate(&escape(&message.rule_description), 1024),
        }]);
    }
    json!({
        "content": truncate(&escape(&message.title), 2000),
        "embeds": [embed],
        // Alert text must never ping @everyone or a role.
        "allowed_mentions": {"parse": []},
    })
}
