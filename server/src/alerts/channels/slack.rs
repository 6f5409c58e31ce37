//! Slack incoming webhooks: Block Kit blocks (a header, a section per alert, a context line)
//! with a plain `text` fallback for notifications and old clients.

use serde_json::{Value, json};
use zenith_proto::v1::SlackChannel;

use super::{
    LISTED_ALERTS, Message, SendOutcome, TEST_TEXT, post_json, rfc3339, severity_name, since_ms,
    state_name, truncate,
};

pub(super) async fn send(
    http: &reqwest::Client,
    channel: &SlackChannel,
    message: &Message,
) -> SendOutcome {
    let body = serde_json::to_vec(&body(message)).expect("serialize a slack message");
    post_json(http, &channel.webhook_url, body, &[]).await
}

/// Slack reads `&`, `<` and `>` as markup in mrkdwn text.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn mrkdwn(text: String) -> Value {
    // A section's text holds at most 3000 characters.
    json!({"type": "mrkdwn", "text": truncate(&text, 3000)})
}

fn body(message: &Message) -> Value {
    let mut blocks = vec![json!({
        "type": "header",
        "text": {"type": "plain_text", "text": truncate(&message.title, 150), "emoji": true},
    })];
    let mut text_lines = vec![escape(&message.title)];
    if message.alerts.is_empty() {
        blocks.push(json!({"type": "section", "text": mrkdwn(TEST_TEXT.to_owned())}));
        text_lines.push(TEST_TEXT.to_owned());
    }
    for alert in message.alerts.iter().take(LISTED_ALERTS) {
        blocks.push(json!({
            "type": "section",
            "text": mrkdwn(format!(
                "*{}*\n`{}` · {} since {}",
                escape(&alert.summary),
                escape(&alert.subject),
                state_name(alert.state),
                rfc3339(since_ms(alert)),
            )),
        }));
        text_lines.push(escape(&alert.summary));
    }
    if message.alerts.len() > LISTED_ALERTS {
        let more = format!("and {} more", message.alerts.len() - LISTED_ALERTS);
        blocks.push(json!({"type": "section", "text": mrkdwn(more.clone())}));
        text_lines.push(more);
    }
    let mut context = Vec::new();
    if !message.rule_id.is_empty() {
        context.push(format!("rule `{}`", escape(&message.rule_id)));
    }
    context.push(format!("severity {}", severity_name(message.severity)));
    context.push(format!("notification `{}`", message.notification_id));
    let mut elements = vec![mrkdwn(context.join(" · "))];
    if !message.rule_description.is_empty() {
        elements.push(mrkdwn(escape(&message.rule_description)));
    }
    blocks.push(json!({"type": "context", "elements": elements}));
    json!({
        "text": truncate(&text_lines.join("\n"), 3000),
        "blocks": blocks,
    })
}
