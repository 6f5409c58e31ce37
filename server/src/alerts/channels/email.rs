//! E-mail over SMTP with lettre: one plain-text message to every recipient per notification,
//! over a connection made for that send (notifications are rare; a pool would hold idle
//! connections that relays drop anyway).

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use zenith_proto::v1::{EmailChannel, SmtpSecurity};

use super::{
    Message, SendOutcome, TEST_TEXT, rfc3339, severity_name, since_ms, state_name, truncate,
};

/// How many alerts one message lists before `and N more`.
const LISTED_ALERTS: usize = 100;

pub(super) async fn send(channel: &EmailChannel, message: &Message) -> SendOutcome {
    let email = match build(channel, message) {
        Ok(email) => email,
        Err(error) => return SendOutcome::failed(0, error, false),
    };
    let transport = match transport(channel) {
        Ok(transport) => transport,
        Err(error) => return smtp_failed(error),
    };
    match transport.send(email).await {
        Ok(response) => SendOutcome::delivered(i32::from(u16::from(response.code()))),
        Err(error) => smtp_failed(error),
    }
}

fn transport(
    channel: &EmailChannel,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, lettre::transport::smtp::Error> {
    let host = channel.smtp_host.as_str();
    let (builder, default_port) = match SmtpSecurity::try_from(channel.security) {
        Ok(SmtpSecurity::None) => (
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
            25,
        ),
        Ok(SmtpSecurity::Tls) => (AsyncSmtpTransport::<Tokio1Executor>::relay(host)?, 465),
        Ok(SmtpSecurity::Starttls | SmtpSecurity::Unspecified) | Err(_) => (
            AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)?,
            587,
        ),
    };
    let port = u16::try_from(channel.smtp_port)
        .ok()
        .filter(|port| *port != 0)
        .unwrap_or(default_port);
    let mut builder = builder.port(port).timeout(Some(Duration::from_secs(10)));
    if !channel.username.is_empty() {
        builder = builder.credentials(Credentials::new(
            channel.username.clone(),
            channel.password.clone(),
        ));
    }
    Ok(builder.build())
}

/// SMTP 4xx replies, timeouts and connection errors are worth retrying; 5xx replies, TLS
/// failures and client errors are not. lettre's texts carry the server's reply, never the
/// credentials.
fn smtp_failed(error: lettre::transport::smtp::Error) -> SendOutcome {
    let status_code = error.status().map_or(0, |code| i32::from(u16::from(code)));
    let retryable = error.is_transient()
        || error.is_timeout()
        || !(error.is_permanent() || error.is_client() || error.is_tls());
    SendOutcome::failed(
        status_code,
        format!("smtp: {}", truncate(&error.to_string(), 300)),
        retryable,
    )
}

fn build(channel: &EmailChannel, message: &Message) -> Result<lettre::Message, String> {
    let from: Mailbox = channel
        .from
        .parse()
        .map_err(|_| "invalid from address".to_owned())?;
    let mut builder = lettre::Message::builder()
        .from(from)
        .subject(message.title.clone())
        .message_id(Some(format!("<{}@zenith>", message.notification_id)));
    for to in &channel.to {
        let to: Mailbox = to.parse().map_err(|_| "invalid to address".to_owned())?;
        builder = builder.to(to);
    }
    builder
        .body(text(message))
        .map_err(|error| format!("cannot build the message: {error}"))
}

fn text(message: &Message) -> String {
    let mut text = format!("{}\n\n", message.title);
    if message.alerts.is_empty() {
        text.push_str(TEST_TEXT);
        text.push_str("\n\n");
    }
    for alert in message.alerts.iter().take(LISTED_ALERTS) {
        text.push_str(&format!(
            "- [{}] {}\n  {} since {}, value {}\n",
            state_name(alert.state),
            alert.summary,
            alert.subject,
            rfc3339(since_ms(alert)),
            alert.value,
        ));
    }
    if message.alerts.len() > LISTED_ALERTS {
        text.push_str(&format!(
            "and {} more\n",
            message.alerts.len() - LISTED_ALERTS
        ));
    }
    if !message.alerts.is_empty() {
        text.push('\n');
    }
    if !message.rule_id.is_empty() {
        text.push_str(&format!("rule: {}\n", message.rule_id));
    }
    if !message.rule_description.is_empty() {
        text.push_str(&format!("{}\n", message.rule_description));
    }
    text.push_str(&format!(
        "severity: {}\nnotification: {}\n",
        severity_name(message.severity),
        message.notification_id
    ));
    text
}
