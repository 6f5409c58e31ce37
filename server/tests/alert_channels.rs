//! Alert channels against real receivers: each kind's payload as it arrives over a socket, and
//! how every kind of failure is classified for retries.

use std::collections::BTreeMap;
use std::time::Duration;

use hmac::{KeyInit, Mac};
use zenith_proto::v1::channel_spec::Kind;
use zenith_proto::v1::*;
use zenith_server::alerts::channels::{self, Message, SendOutcome};
use zenith_server::alerts::store::StoredAlert;
use zenith_testkit::{HttpReceiver, SmtpSink};

const WAIT: Duration = Duration::from_secs(10);
const SENTINEL: &str = "sentinel-7f3a9c";

fn alert(n: usize, state: AlertState) -> StoredAlert {
    let queue = format!("queue-{n}");
    StoredAlert {
        id: format!("0190000{n:02}-0000-7000-8000-000000000000"),
        rule_id: "backlog".into(),
        subject: format!("queue:{queue}"),
        state,
        severity: Severity::Critical,
        labels: BTreeMap::from([
            ("queue".into(), queue.clone()),
            ("team".into(), "ops".into()),
        ]),
        summary: format!("queue {queue} has {} pending jobs (above 100)", 150 + n),
        value: (150 + n) as f64,
        pending_since_ms: 1_700_000_000_000,
        fired_at_ms: Some(1_700_000_060_000),
        resolved_at_ms: (state == AlertState::Resolved).then_some(1_700_000_120_000),
        acknowledged_at_ms: None,
        acknowledged_by: String::new(),
        acknowledge_comment: String::new(),
        fire_notified_at_ms: Some(1_700_000_060_000),
        last_notified_at_ms: Some(1_700_000_060_000),
        resolve_handled: false,
        updated_at_ms: 1_700_000_060_000,
    }
}

fn message(kind: NotificationKind, alerts: Vec<StoredAlert>) -> Message {
    let label = match kind {
        NotificationKind::Resolved => "RESOLVED",
        NotificationKind::Repeat => "REPEAT",
        _ => "FIRING",
    };
    Message {
        notification_id: "01900000-aaaa-7000-8000-000000000001".into(),
        kind,
        rule_id: "backlog".into(),
        rule_description: "too many pending jobs".into(),
        severity: Severity::Critical,
        title: format!("[{label}] backlog: {} queues", alerts.len()),
        alerts,
        created_at_ms: 1_700_000_060_000,
    }
}

fn test_message() -> Message {
    Message {
        notification_id: "01900000-bbbb-7000-8000-000000000002".into(),
        kind: NotificationKind::Test,
        rule_id: String::new(),
        rule_description: String::new(),
        severity: Severity::Info,
        title: "[TEST] zenith channel ops".into(),
        alerts: Vec::new(),
        created_at_ms: 1_700_000_060_000,
    }
}

fn channel(kind: Kind) -> ChannelSpec {
    ChannelSpec {
        id: "ops".into(),
        kind: Some(kind),
        ..Default::default()
    }
}

fn webhook(url: String, signing_secret: &str) -> ChannelSpec {
    channel(Kind::Webhook(WebhookChannel {
        url,
        signing_secret: signing_secret.into(),
    }))
}

fn http() -> reqwest::Client {
    channels::http_client()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_gets_block_kit_with_a_text_fallback() {
    let receiver = HttpReceiver::start().await.unwrap();
    let slack = channel(Kind::Slack(SlackChannel {
        webhook_url: receiver.url("/services/T0/B0/xyz"),
    }));
    let alerts = (1..=2).map(|n| alert(n, AlertState::Firing)).collect();
    let outcome = channels::send(&http(), &slack, &message(NotificationKind::Firing, alerts)).await;
    assert_eq!(
        outcome,
        SendOutcome {
            status_code: 200,
            error: None,
            retryable: false
        }
    );

    let request = &receiver.wait_for_requests(1, WAIT).await[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/services/T0/B0/xyz");
    assert_eq!(request.header("content-type"), Some("application/json"));
    let body = request.json();
    let text = body["text"].as_str().unwrap();
    assert!(text.starts_with("[FIRING] backlog: 2 queues"), "{text}");
    assert!(
        text.contains("queue queue-2 has 152 pending jobs"),
        "{text}"
    );
    let blocks = body["blocks"].as_array().unwrap();
    assert_eq!(blocks.len(), 4, "{blocks:#?}");
    assert_eq!(blocks[0]["type"], "header");
    assert_eq!(blocks[0]["text"]["type"], "plain_text");
    assert_eq!(blocks[0]["text"]["text"], "[FIRING] backlog: 2 queues");
    for (block, n) in blocks[1..3].iter().zip(1..) {
        assert_eq!(block["type"], "section");
        let section = block["text"]["text"].as_str().unwrap();
        assert!(
            section.contains(&format!("queue queue-{n} has {} pending jobs", 150 + n)),
            "{section}"
        );
        assert!(section.contains(&format!("`queue:queue-{n}`")), "{section}");
        assert!(
            section.contains("firing since 2023-11-14T22:14:20.000Z"),
            "{section}"
        );
    }
    assert_eq!(blocks[3]["type"], "context");
    let context = blocks[3]["elements"][0]["text"].as_str().unwrap();
    assert!(context.contains("rule `backlog`"), "{context}");
    assert!(context.contains("severity critical"), "{context}");
    assert!(
        context.contains("notification `01900000-aaaa-7000-8000-000000000001`"),
        "{context}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_lists_twenty_alerts_then_says_how_many_more_and_escapes_markup() {
    let receiver = HttpReceiver::start().await.unwrap();
    let slack = channel(Kind::Slack(SlackChannel {
        webhook_url: receiver.url("/hook"),
    }));
    let mut alerts: Vec<StoredAlert> = (1..=25).map(|n| alert(n, AlertState::Firing)).collect();
    alerts[0].summary = "<!channel> & friends".into();
    let outcome = channels::send(&http(), &slack, &message(NotificationKind::Firing, alerts)).await;
    assert!(outcome.is_delivered(), "{outcome:?}");

    let body = receiver.wait_for_requests(1, WAIT).await[0].json();
    let blocks = body["blocks"].as_array().unwrap();
    // Header, 20 alerts, "and 5 more", context.
    assert_eq!(blocks.len(), 23);
    assert_eq!(blocks[21]["text"]["text"], "and 5 more");
    let first = blocks[1]["text"]["text"].as_str().unwrap();
    assert!(first.contains("&lt;!channel&gt; &amp; friends"), "{first}");
    assert!(!body["text"].as_str().unwrap().contains("<!channel>"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discord_gets_an_embed_red_when_firing_green_when_resolved() {
    let receiver = HttpReceiver::start().await.unwrap();
    let discord = channel(Kind::Discord(DiscordChannel {
        webhook_url: receiver.url("/api/webhooks/1/abc"),
    }));
    let firing = message(
        NotificationKind::Firing,
        vec![alert(1, AlertState::Firing), alert(2, AlertState::Firing)],
    );
    let resolved = message(
        NotificationKind::Resolved,
        vec![alert(1, AlertState::Resolved)],
    );
    assert!(
        channels::send(&http(), &discord, &firing)
            .await
            .is_delivered()
    );
    assert!(
        channels::send(&http(), &discord, &resolved)
            .await
            .is_delivered()
    );

    let requests = receiver.wait_for_requests(2, WAIT).await;
    let body = requests[0].json();
    assert_eq!(body["content"], "\\[FIRING\\] backlog: 2 queues");
    assert_eq!(body["allowed_mentions"]["parse"], serde_json::json!([]));
    let embed = &body["embeds"][0];
    assert_eq!(embed["title"], "[FIRING] backlog: 2 queues");
    assert_eq!(embed["color"], 0xD93025);
    let description = embed["description"].as_str().unwrap();
    assert!(description.contains("**firing** queue queue-1 has 151 pending jobs"));
    assert!(description.contains("`queue:queue-2` since 2023-11-14T22:14:20.000Z"));
    let footer = embed["footer"]["text"].as_str().unwrap();
    assert!(footer.contains("rule backlog"), "{footer}");
    assert!(
        footer.contains("01900000-aaaa-7000-8000-000000000001"),
        "{footer}"
    );
    assert_eq!(embed["timestamp"], "2023-11-14T22:14:20.000Z");

    let embed = &requests[1].json()["embeds"][0];
    assert_eq!(embed["color"], 0x188038);
    assert!(
        embed["description"]
            .as_str()
            .unwrap()
            .contains("**resolved** queue queue-1")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_posts_the_documented_body_signed_with_an_idempotency_key() {
    let receiver = HttpReceiver::start().await.unwrap();
    let hook = webhook(receiver.url("/zenith"), "shh-signing-key");
    let mut resolved = alert(2, AlertState::Resolved);
    resolved.acknowledged_at_ms = Some(1_700_000_090_000);
    let sent = message(
        NotificationKind::Resolved,
        vec![alert(1, AlertState::Resolved), resolved],
    );
    let outcome = channels::send(&http(), &hook, &sent).await;
    assert!(outcome.is_delivered(), "{outcome:?}");

    let request = &receiver.wait_for_requests(1, WAIT).await[0];
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        request.header("idempotency-key"),
        Some("01900000-aaaa-7000-8000-000000000001")
    );
    let timestamp = request.header("x-zenith-timestamp").unwrap();
    let now = chrono::Utc::now().timestamp();
    assert!(
        (now - timestamp.parse::<i64>().unwrap()).abs() < 60,
        "{timestamp}"
    );
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"shh-signing-key").unwrap();
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(&request.body);
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(
        request.header("x-zenith-signature"),
        Some(expected.as_str())
    );

    let body = request.json();
    assert_eq!(body["version"], "1");
    assert_eq!(
        body["notification_id"],
        "01900000-aaaa-7000-8000-000000000001"
    );
    assert_eq!(body["kind"], "resolved");
    assert_eq!(
        body["rule"],
        serde_json::json!({"id": "backlog", "severity": "critical", "description": "too many pending jobs"})
    );
    assert_eq!(body["title"], "[RESOLVED] backlog: 2 queues");
    assert_eq!(body["created_at"], "2023-11-14T22:14:20.000Z");
    let alerts = body["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 2);
    assert_eq!(
        alerts[1],
        serde_json::json!({
            "id": "019000002-0000-7000-8000-000000000000",
            "rule_id": "backlog",
            "subject": "queue:queue-2",
            "state": "resolved",
            "severity": "critical",
            "summary": "queue queue-2 has 152 pending jobs (above 100)",
            "value": 152.0,
            "labels": {"queue": "queue-2", "team": "ops"},
            "pending_since": "2023-11-14T22:13:20.000Z",
            "fired_at": "2023-11-14T22:14:20.000Z",
            "resolved_at": "2023-11-14T22:15:20.000Z",
            "acknowledged_at": "2023-11-14T22:14:50.000Z",
        })
    );
    assert_eq!(alerts[0]["acknowledged_at"], serde_json::Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_without_a_signing_secret_is_not_signed() {
    let receiver = HttpReceiver::start().await.unwrap();
    let hook = webhook(receiver.url("/plain"), "");
    assert!(
        channels::send(&http(), &hook, &test_message())
            .await
            .is_delivered()
    );
    let request = &receiver.wait_for_requests(1, WAIT).await[0];
    assert_eq!(request.header("x-zenith-signature"), None);
    assert_eq!(request.header("x-zenith-timestamp"), None);
    assert_eq!(
        request.header("idempotency-key"),
        Some("01900000-bbbb-7000-8000-000000000002")
    );
    let body = request.json();
    assert_eq!(body["kind"], "test");
    assert_eq!(body["alerts"], serde_json::json!([]));
}

fn pagerduty(url: String) -> ChannelSpec {
    channel(Kind::Pagerduty(PagerDutyChannel {
        routing_key: "R0UT1NGKEY".into(),
        events_url: url,
    }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pagerduty_triggers_and_resolves_each_alert_by_its_dedup_key() {
    let receiver = HttpReceiver::start().await.unwrap();
    receiver.respond_with(vec![202, 202, 202, 202]);
    let pd = pagerduty(receiver.url("/v2/enqueue"));
    // The second alert resolved before its firing delivery went out: it is not reopened.
    let firing = message(
        NotificationKind::Firing,
        vec![alert(1, AlertState::Firing), alert(2, AlertState::Resolved)],
    );
    let outcome = channels::send(&http(), &pd, &firing).await;
    assert_eq!(outcome.status_code, 202);
    assert!(outcome.is_delivered());
    let resolved = message(
        NotificationKind::Resolved,
        vec![alert(1, AlertState::Resolved)],
    );
    assert!(channels::send(&http(), &pd, &resolved).await.is_delivered());

    let events: Vec<serde_json::Value> = receiver
        .wait_for_requests(3, WAIT)
        .await
        .iter()
        .map(|request| {
            assert_eq!(request.path, "/v2/enqueue");
            request.json()
        })
        .collect();
    assert_eq!(events.len(), 3);
    let trigger = &events[0];
    assert_eq!(trigger["routing_key"], "R0UT1NGKEY");
    assert_eq!(trigger["event_action"], "trigger");
    assert_eq!(
        trigger["dedup_key"],
        "zenith:019000001-0000-7000-8000-000000000000"
    );
    let payload = &trigger["payload"];
    assert_eq!(
        payload["summary"],
        "queue queue-1 has 151 pending jobs (above 100)"
    );
    assert_eq!(payload["source"], "zenith");
    assert_eq!(payload["severity"], "critical");
    assert_eq!(payload["component"], "queue:queue-1");
    assert_eq!(payload["group"], "backlog");
    assert_eq!(payload["custom_details"]["labels"]["team"], "ops");
    assert_eq!(
        events[1],
        serde_json::json!({
            "routing_key": "R0UT1NGKEY",
            "event_action": "resolve",
            "dedup_key": "zenith:019000002-0000-7000-8000-000000000000",
        })
    );
    assert_eq!(events[2]["event_action"], "resolve");
    assert_eq!(
        events[2]["dedup_key"],
        "zenith:019000001-0000-7000-8000-000000000000"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pagerduty_sends_nothing_for_a_reminder_and_a_trigger_and_resolve_for_a_test() {
    let receiver = HttpReceiver::start().await.unwrap();
    let pd = pagerduty(receiver.url("/v2/enqueue"));
    let repeat = message(NotificationKind::Repeat, vec![alert(1, AlertState::Firing)]);
    let outcome = channels::send(&http(), &pd, &repeat).await;
    assert_eq!(
        outcome,
        SendOutcome {
            status_code: 0,
            error: None,
            retryable: false
        }
    );
    assert!(
        channels::send(&http(), &pd, &test_message())
            .await
            .is_delivered()
    );

    let requests = receiver.wait_for_requests(2, WAIT).await;
    assert_eq!(requests.len(), 2, "the reminder sent nothing");
    let (trigger, resolve) = (requests[0].json(), requests[1].json());
    let key = "zenith:test:01900000-bbbb-7000-8000-000000000002";
    assert_eq!(trigger["event_action"], "trigger");
    assert_eq!(trigger["dedup_key"], key);
    assert_eq!(trigger["payload"]["severity"], "info");
    assert_eq!(resolve["event_action"], "resolve");
    assert_eq!(resolve["dedup_key"], key);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pagerduty_stops_at_the_first_refused_event() {
    let receiver = HttpReceiver::start().await.unwrap();
    receiver.respond_with(vec![202, 400]);
    let pd = pagerduty(receiver.url("/v2/enqueue"));
    let firing = message(
        NotificationKind::Firing,
        (1..=3).map(|n| alert(n, AlertState::Firing)).collect(),
    );
    let outcome = channels::send(&http(), &pd, &firing).await;
    assert_eq!(outcome.status_code, 400);
    assert!(!outcome.retryable);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(receiver.requests().len(), 2);
}

fn email(sink: &SmtpSink, password: &str) -> ChannelSpec {
    channel(Kind::Email(EmailChannel {
        smtp_host: sink.host(),
        smtp_port: u32::from(sink.port()),
        security: SmtpSecurity::None as i32,
        username: "zenith".into(),
        password: password.into(),
        from: "Zenith <alerts@example.com>".into(),
        to: vec!["oncall@example.com".into(), "lead@example.com".into()],
    }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_reaches_every_recipient_with_the_title_as_subject() {
    let sink = SmtpSink::start().await.unwrap();
    let sent = message(
        NotificationKind::Firing,
        vec![alert(1, AlertState::Firing), alert(2, AlertState::Firing)],
    );
    let outcome = channels::send(&http(), &email(&sink, "hunter2"), &sent).await;
    assert_eq!(
        outcome,
        SendOutcome {
            status_code: 250,
            error: None,
            retryable: false
        }
    );

    let mail = &sink.wait_for_messages(1, WAIT).await[0];
    assert_eq!(mail.from, "alerts@example.com");
    assert_eq!(mail.recipients, ["oncall@example.com", "lead@example.com"]);
    assert!(mail.auth.is_some(), "the credentials were used");
    assert_eq!(
        mail.header("subject").as_deref(),
        Some("[FIRING] backlog: 2 queues")
    );
    assert_eq!(
        mail.header("message-id").as_deref(),
        Some("<01900000-aaaa-7000-8000-000000000001@zenith>")
    );
    let to = mail.header("to").unwrap();
    assert!(
        to.contains("oncall@example.com") && to.contains("lead@example.com"),
        "{to}"
    );
    let body = mail.body();
    assert!(
        body.contains("- [firing] queue queue-1 has 151 pending jobs (above 100)"),
        "{body}"
    );
    assert!(
        body.contains("queue:queue-2 since 2023-11-14T22:14:20.000Z"),
        "{body}"
    );
    assert!(body.contains("rule: backlog"), "{body}");
    assert!(
        body.contains("notification: 01900000-aaaa-7000-8000-000000000001"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_retries_a_4xx_reply_and_a_refused_connection_but_not_a_5xx() {
    let sink = SmtpSink::start().await.unwrap();
    let spec = email(&sink, SENTINEL);
    sink.reject_with(vec![451, 550]);
    let transient = channels::send(&http(), &spec, &test_message()).await;
    assert_eq!(transient.status_code, 451);
    assert!(transient.retryable, "{transient:?}");
    let permanent = channels::send(&http(), &spec, &test_message()).await;
    assert_eq!(permanent.status_code, 550);
    assert!(!permanent.retryable, "{permanent:?}");
    assert!(
        channels::send(&http(), &spec, &test_message())
            .await
            .is_delivered()
    );

    let port = sink.port();
    drop(sink);
    let Some(Kind::Email(mut refused)) = spec.kind.clone() else {
        unreachable!()
    };
    refused.smtp_port = u32::from(port);
    let refused = channels::send(&http(), &channel(Kind::Email(refused)), &test_message()).await;
    assert_eq!(refused.status_code, 0);
    assert!(refused.retryable, "{refused:?}");
    for outcome in [transient, permanent, refused] {
        assert!(!outcome.error.unwrap().contains(SENTINEL));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_failures_are_retried_on_5xx_429_timeouts_and_refusals_but_not_other_4xx() {
    let receiver = HttpReceiver::start().await.unwrap();
    let hook = webhook(receiver.url(&format!("/{SENTINEL}")), SENTINEL);
    receiver.respond_with(vec![500, 404, 429, 408, 503]);
    let mut outcomes = Vec::new();
    for _ in 0..5 {
        outcomes.push(channels::send(&http(), &hook, &test_message()).await);
    }
    let classified: Vec<(i32, bool)> = outcomes
        .iter()
        .map(|outcome| (outcome.status_code, outcome.retryable))
        .collect();
    assert_eq!(
        classified,
        [
            (500, true),
            (404, false),
            (429, true),
            (408, true),
            (503, true)
        ]
    );
    assert_eq!(outcomes[0].error.as_deref(), Some("http 500: status 500"));

    // Slower than the client's timeout: no status, worth retrying.
    receiver.set_delay(Duration::from_secs(3));
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let timed_out = channels::send(&impatient, &hook, &test_message()).await;
    assert_eq!(
        timed_out,
        SendOutcome {
            status_code: 0,
            error: Some("timed out".into()),
            retryable: true
        }
    );
    outcomes.push(timed_out);

    // Nobody listening.
    let closed = webhook(
        format!(
            "http://127.0.0.1:{}/{SENTINEL}",
            zenith_testkit::free_port()
        ),
        SENTINEL,
    );
    let refused = channels::send(&http(), &closed, &test_message()).await;
    assert_eq!(refused.status_code, 0);
    assert!(refused.retryable, "{refused:?}");
    assert!(
        refused
            .error
            .as_deref()
            .unwrap()
            .starts_with("connection failed"),
        "{refused:?}"
    );
    outcomes.push(refused);

    // A URL that cannot be a request is refused for good.
    let invalid = channels::send(
        &http(),
        &webhook(format!("not a url {SENTINEL}"), ""),
        &test_message(),
    )
    .await;
    assert!(!invalid.retryable, "{invalid:?}");
    outcomes.push(invalid);

    for outcome in outcomes {
        let error = outcome.error.unwrap();
        assert!(!error.contains(SENTINEL), "{error}");
    }
}

// End to end: a real `zenith serve` delivering through its loop, driven over gRPC.

/// A `zenith serve` whose stdout and stderr go to a file the test reads, logging at debug so
/// that every line a secret could slip into is written.
struct LoggedServer {
    child: Option<std::process::Child>,
    port: u16,
    database_url: String,
    log: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl LoggedServer {
    fn start(redis_url: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = zenith_testkit::free_port();
        let database_url = format!("sqlite://{}", dir.path().join("zenith.db").display());
        let log = dir.path().join("zenith.log");
        let file = std::fs::File::create(&log).unwrap();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_zenith"))
            .arg("serve")
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--redis-url", redis_url])
            .args(["--database-url", &database_url])
            .current_dir(dir.path())
            .env("RUST_LOG", "debug")
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .unwrap();
        let server = Self {
            child: Some(child),
            port,
            database_url,
            log,
            _dir: dir,
        };
        let started = std::time::Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "zenith did not listen: {}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, so the log is complete, then waits for the exit.
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let started = std::time::Instant::now();
            while started.elapsed() < Duration::from_secs(10) {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for LoggedServer {
    fn drop(&mut self) {
        self.stop();
    }
}

type Alerts = zenith_proto::v1::alert_service_client::AlertServiceClient<tonic::transport::Channel>;

async fn alerts_client(server: &LoggedServer) -> Alerts {
    let channel = tonic::transport::Channel::from_shared(server.url())
        .unwrap()
        .connect()
        .await
        .unwrap();
    Alerts::new(channel)
}

async fn create_channel(alerts: &mut Alerts, spec: ChannelSpec) -> CreateChannelResponse {
    alerts
        .create_channel(CreateChannelRequest { spec: Some(spec) })
        .await
        .unwrap()
        .into_inner()
}

/// A firing alert and its FIRING notification to `channel_ids`, made through the server's own
/// store over its database: the delivery loop takes it from there, with or without an evaluator.
async fn notify(server: &LoggedServer, rule_id: &str, channel_ids: &[&str]) -> String {
    use zenith_server::alerts::store::{self, NewNotification, NotifyClaim};
    let database = zenith_server::db::Database::connect(&server.database_url)
        .await
        .unwrap();
    let store = store::open(&database);
    // The test's Redis runs on this machine: its clock is this one.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let mut firing = alert(1, AlertState::Firing);
    firing.id = uuid::Uuid::now_v7().to_string();
    firing.rule_id = rule_id.into();
    firing.fire_notified_at_ms = None;
    firing.last_notified_at_ms = None;
    assert!(store.insert_alert(&firing).await.unwrap());
    let notification = NewNotification {
        id: uuid::Uuid::now_v7().to_string(),
        rule_id: rule_id.into(),
        kind: NotificationKind::Firing,
        severity: Severity::Critical,
        title: format!("[FIRING] {rule_id}: 1 queue"),
        created_at_ms: now,
        channel_ids: channel_ids.iter().map(|id| (*id).to_owned()).collect(),
    };
    let claimed = store
        .create_notification(&notification, &[firing.id.clone()], NotifyClaim::Firing)
        .await
        .unwrap();
    assert_eq!(claimed, [firing.id]);
    database.close().await;
    notification.id
}

async fn list_notifications(alerts: &mut Alerts, rule_id: &str) -> Vec<Notification> {
    alerts
        .list_notifications(ListNotificationsRequest {
            rule_id: rule_id.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .notifications
}

/// Polls until every delivery of the rule's only notification has left PENDING.
async fn settled(alerts: &mut Alerts, rule_id: &str) -> Notification {
    let started = std::time::Instant::now();
    loop {
        let listed = list_notifications(alerts, rule_id).await;
        if let [notification] = listed.as_slice()
            && !notification.deliveries.is_empty()
            && notification
                .deliveries
                .iter()
                .all(|delivery| delivery.state() != DeliveryState::Pending)
        {
            return notification.clone();
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "deliveries never settled: {listed:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_a_failing_webhook_is_retried_with_backoff_then_delivered_once_under_one_key() {
    let redis = zenith_testkit::RedisServer::start().unwrap();
    let server = LoggedServer::start(&redis.url());
    let mut alerts = alerts_client(&server).await;
    let receiver = HttpReceiver::start().await.unwrap();
    receiver.respond_with(vec![500, 500, 500]);
    create_channel(&mut alerts, webhook(receiver.url("/retried"), "")).await;

    let id = notify(&server, "e2e-retried", &["ops"]).await;
    let notification = settled(&mut alerts, "e2e-retried").await;
    let requests = receiver.requests();
    assert_eq!(
        requests.iter().map(|r| r.status).collect::<Vec<_>>(),
        [500, 500, 500, 200]
    );
    for request in &requests {
        assert_eq!(request.header("idempotency-key"), Some(id.as_str()));
        assert_eq!(request.json()["notification_id"], id.as_str());
    }
    // Each retry waits at least its backoff after the failure before it: 1 s, 2 s, 4 s.
    for (pair, backoff) in requests.windows(2).zip([1, 2, 4]) {
        let gap = pair[1].received_at - pair[0].received_at;
        assert!(gap >= Duration::from_secs(backoff), "{gap:?} < {backoff}s");
    }

    let delivery = &notification.deliveries[0];
    assert_eq!(delivery.state(), DeliveryState::Delivered, "{delivery:#?}");
    assert_eq!(delivery.channel_id, "ops");
    assert_eq!(delivery.idempotency_key, id);
    assert!(delivery.delivered_at.is_some());
    let attempts: Vec<(i32, bool)> = delivery
        .attempts
        .iter()
        .map(|attempt| (attempt.status_code, attempt.error.is_empty()))
        .collect();
    assert_eq!(
        attempts,
        [(500, false), (500, false), (500, false), (200, true)]
    );
    assert_eq!(delivery.attempts[0].error, "http 500: status 500");

    // Delivered means done: no further request.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(receiver.requests().len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_a_4xx_is_not_retried_and_a_deleted_channel_fails_its_delivery() {
    let redis = zenith_testkit::RedisServer::start().unwrap();
    let server = LoggedServer::start(&redis.url());
    let mut alerts = alerts_client(&server).await;
    let receiver = HttpReceiver::start().await.unwrap();
    receiver.respond_with(vec![400]);
    create_channel(&mut alerts, webhook(receiver.url("/refused"), "")).await;

    notify(&server, "e2e-refused", &["ops"]).await;
    let notification = settled(&mut alerts, "e2e-refused").await;
    let delivery = &notification.deliveries[0];
    assert_eq!(delivery.state(), DeliveryState::Failed, "{delivery:#?}");
    assert_eq!(delivery.attempts.len(), 1);
    assert_eq!(delivery.attempts[0].status_code, 400);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(receiver.requests().len(), 1, "a 4xx is not retried");

    // A delivery to a channel that no longer exists fails without a request.
    notify(&server, "e2e-gone", &["gone"]).await;
    let notification = settled(&mut alerts, "e2e-gone").await;
    let delivery = &notification.deliveries[0];
    assert_eq!(delivery.state(), DeliveryState::Failed, "{delivery:#?}");
    assert_eq!(delivery.attempts[0].error, "channel deleted");
    assert_eq!(receiver.requests().len(), 1);
}

/// One channel of each kind, every one pointed at the test's receivers, with `secret` in every
/// secret field.
fn every_kind(http: &HttpReceiver, smtp: &SmtpSink, secret: &str) -> Vec<ChannelSpec> {
    let named = |id: &str, kind: Kind| ChannelSpec {
        id: id.into(),
        kind: Some(kind),
        ..Default::default()
    };
    vec![
        named(
            "slack",
            Kind::Slack(SlackChannel {
                webhook_url: http.url(&format!("/slack/{secret}")),
            }),
        ),
        named(
            "discord",
            Kind::Discord(DiscordChannel {
                webhook_url: http.url(&format!("/discord/{secret}")),
            }),
        ),
        named(
            "webhook",
            Kind::Webhook(WebhookChannel {
                url: http.url(&format!("/webhook/{secret}")),
                signing_secret: secret.into(),
            }),
        ),
        named(
            "pagerduty",
            Kind::Pagerduty(PagerDutyChannel {
                routing_key: secret.into(),
                events_url: http.url("/pagerduty"),
            }),
        ),
        named(
            "email",
            Kind::Email(EmailChannel {
                smtp_host: smtp.host(),
                smtp_port: u32::from(smtp.port()),
                security: SmtpSecurity::None as i32,
                username: "zenith".into(),
                password: secret.into(),
                from: "alerts@example.com".into(),
                to: vec!["oncall@example.com".into()],
            }),
        ),
    ]
}

async fn test_channel(alerts: &mut Alerts, id: &str) -> Delivery {
    alerts
        .test_channel(TestChannelRequest { id: id.into() })
        .await
        .unwrap()
        .into_inner()
        .delivery
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_test_channel_sends_through_every_kind_once() {
    let redis = zenith_testkit::RedisServer::start().unwrap();
    let server = LoggedServer::start(&redis.url());
    let mut alerts = alerts_client(&server).await;
    let http = HttpReceiver::start().await.unwrap();
    let smtp = SmtpSink::start().await.unwrap();
    for mut spec in every_kind(&http, &smtp, "not-secret-here") {
        // TestChannel sends through a disabled channel too.
        spec.disabled = spec.id == "discord";
        create_channel(&mut alerts, spec).await;
    }

    for (id, status) in [
        ("slack", 200),
        ("discord", 200),
        ("webhook", 200),
        ("pagerduty", 200),
        ("email", 250),
    ] {
        let delivery = test_channel(&mut alerts, id).await;
        assert_eq!(delivery.channel_id, id);
        assert_eq!(delivery.state(), DeliveryState::Delivered, "{delivery:#?}");
        assert_eq!(delivery.attempts.len(), 1);
        assert_eq!(delivery.attempts[0].status_code, status, "{id}");
        assert!(!delivery.idempotency_key.is_empty());
    }
    let requests = http.wait_for_requests(5, WAIT).await;
    let paths: Vec<&str> = requests
        .iter()
        .map(|r| r.path.split('/').nth(1).unwrap())
        .collect();
    assert_eq!(
        paths,
        ["slack", "discord", "webhook", "pagerduty", "pagerduty"]
    );
    assert_eq!(
        requests[0].json()["blocks"][0]["text"]["text"],
        "[TEST] zenith channel slack"
    );
    assert_eq!(requests[2].json()["kind"], "test");
    assert_eq!(requests[3].json()["event_action"], "trigger");
    assert_eq!(requests[4].json()["event_action"], "resolve");
    let mail = &smtp.wait_for_messages(1, WAIT).await[0];
    assert_eq!(
        mail.header("subject").as_deref(),
        Some("[TEST] zenith channel email")
    );

    // A test that fails is reported as such, with the status, and not retried.
    http.respond_with(vec![503]);
    let failed = test_channel(&mut alerts, "webhook").await;
    assert_eq!(failed.state(), DeliveryState::Failed);
    assert_eq!(failed.attempts[0].status_code, 503);
    assert_eq!(failed.attempts[0].error, "http 503: status 503");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(http.requests().len(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e2e_a_sentinel_secret_never_leaves_the_server() {
    let redis = zenith_testkit::RedisServer::start().unwrap();
    let mut server = LoggedServer::start(&redis.url());
    let mut alerts = alerts_client(&server).await;
    let http = HttpReceiver::start().await.unwrap();
    let smtp = SmtpSink::start().await.unwrap();
    let mut responses: Vec<String> = Vec::new();

    let specs = every_kind(&http, &smtp, SENTINEL);
    let ids: Vec<String> = specs.iter().map(|spec| spec.id.clone()).collect();
    for spec in &specs {
        responses.push(format!(
            "{:?}",
            create_channel(&mut alerts, spec.clone()).await
        ));
    }
    // Nobody listens at this one: its failures quote no URL.
    let closed = format!(
        "http://127.0.0.1:{}/closed/{SENTINEL}",
        zenith_testkit::free_port()
    );
    responses.push(format!(
        "{:?}",
        create_channel(
            &mut alerts,
            ChannelSpec {
                id: "closed".into(),
                kind: Some(Kind::Webhook(WebhookChannel {
                    url: closed,
                    signing_secret: SENTINEL.into(),
                })),
                ..Default::default()
            },
        )
        .await
    ));
    // Updates: one keeping the stored secrets (empty fields), one setting new ones.
    for spec in &specs {
        let mut kept = spec.clone();
        kept.description = "kept secrets".into();
        match kept.kind.as_mut().unwrap() {
            Kind::Slack(slack) => slack.webhook_url.clear(),
            Kind::Discord(discord) => discord.webhook_url.clear(),
            Kind::Webhook(webhook) => {
                webhook.url.clear();
                webhook.signing_secret.clear();
            }
            Kind::Pagerduty(pagerduty) => pagerduty.routing_key.clear(),
            Kind::Email(email) => email.password.clear(),
        }
        for update in [kept, spec.clone()] {
            let response = alerts
                .update_channel(UpdateChannelRequest { spec: Some(update) })
                .await
                .unwrap();
            responses.push(format!("{:?}", response.into_inner()));
        }
    }
    for id in ids.iter().chain([&"closed".to_owned()]) {
        let got = alerts
            .get_channel(GetChannelRequest { id: id.clone() })
            .await
            .unwrap()
            .into_inner();
        assert!(
            !got.channel.as_ref().unwrap().secrets_set.is_empty(),
            "{got:?}"
        );
        responses.push(format!("{got:?}"));
    }
    responses.push(format!(
        "{:?}",
        alerts
            .list_channels(ListChannelsRequest::default())
            .await
            .unwrap()
            .into_inner()
    ));

    // Test sends that succeed, then ones that fail.
    for id in &ids {
        responses.push(format!("{:?}", test_channel(&mut alerts, id).await));
    }
    http.respond_with(vec![500; 5]);
    smtp.reject_with(vec![550]);
    for id in ids.iter().chain([&"closed".to_owned()]) {
        let delivery = test_channel(&mut alerts, id).await;
        assert_eq!(delivery.state(), DeliveryState::Failed, "{delivery:?}");
        responses.push(format!("{delivery:?}"));
    }

    // Loop deliveries to every channel: one round fails (retryable), the next succeeds.
    http.respond_with(vec![500; 4]);
    smtp.reject_with(vec![451]);
    let mut all: Vec<&str> = ids.iter().map(String::as_str).collect();
    all.push("closed");
    notify(&server, "e2e-sentinel", &all).await;
    let started = std::time::Instant::now();
    loop {
        let listed = list_notifications(&mut alerts, "e2e-sentinel").await;
        let delivered = listed[0]
            .deliveries
            .iter()
            .filter(|delivery| delivery.state() == DeliveryState::Delivered)
            .count();
        if delivered == ids.len() {
            responses.push(format!("{listed:?}"));
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not delivered: {listed:#?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    responses.push(format!(
        "{:?}",
        alerts
            .list_notifications(ListNotificationsRequest::default())
            .await
            .unwrap()
            .into_inner()
    ));

    for response in &responses {
        assert!(
            !response.contains(SENTINEL),
            "a response carries the secret: {response}"
        );
    }
    // The receivers did get the secrets: they were used, only never shown.
    assert!(http.requests().iter().any(|r| r.path.contains(SENTINEL)));

    server.stop();
    let log = server.log();
    assert!(
        log.contains("alert channel tested") && log.contains("alert notification not delivered"),
        "the log has the lines the secrets could have slipped into: {log}"
    );
    for line in log.lines() {
        assert!(
            !line.contains(SENTINEL),
            "a log line carries the secret: {line}"
        );
    }
}
