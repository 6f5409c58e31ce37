//! Alert evaluation end to end, through gRPC against a real `zenith serve` (evaluating every
//! second) on a real Redis: each rule kind fires (pending first when it must hold) and
//! resolves; reminders, acknowledgement, silences and grouping shape the notifications.

mod common;

use std::time::Duration;

use common::{Harness, duration, spec};
use tonic::transport::Channel;
use zenith_proto::v1::alert_service_client::AlertServiceClient;
use zenith_proto::v1::cron_service_client::CronServiceClient;
use zenith_proto::v1::pulse_service_client::PulseServiceClient;
use zenith_proto::v1::rule_spec::Condition;
use zenith_proto::v1::*;
use zenith_testkit::HttpReceiver;

/// How long a condition may take to show: a few evaluation rounds, with room for a slow machine.
const PATIENCE: Duration = Duration::from_secs(60);

struct Env {
    h: Harness,
    alerts: AlertServiceClient<Channel>,
    pulse: PulseServiceClient<Channel>,
    cron: CronServiceClient<Channel>,
}

impl Env {
    async fn start() -> Self {
        let h = Harness::start_with(&["--alert-evaluation-interval", "1s"]).await;
        let channel = Channel::from_shared(h.server.url())
            .unwrap()
            .connect()
            .await
            .unwrap();
        Self {
            h,
            alerts: AlertServiceClient::new(channel.clone()),
            pulse: PulseServiceClient::new(channel.clone()),
            cron: CronServiceClient::new(channel),
        }
    }

    async fn channel(&mut self, id: &str, receiver: &HttpReceiver, min_severity: Severity) {
        self.alerts
            .create_channel(CreateChannelRequest {
                spec: Some(ChannelSpec {
                    id: id.into(),
                    min_severity: min_severity.into(),
                    kind: Some(channel_spec::Kind::Webhook(WebhookChannel {
                        url: receiver.url(&format!("/{id}")),
                        signing_secret: String::new(),
                    })),
                    ..Default::default()
                }),
            })
            .await
            .expect("create channel");
    }

    async fn rule(&mut self, spec: RuleSpec) {
        self.alerts
            .create_rule(CreateRuleRequest { spec: Some(spec) })
            .await
            .expect("create rule");
    }

    async fn alerts(&mut self, rule_id: &str, states: &[AlertState]) -> Vec<Alert> {
        self.alerts
            .list_alerts(ListAlertsRequest {
                rule_id: rule_id.into(),
                states: states.iter().map(|&state| state as i32).collect(),
                ..Default::default()
            })
            .await
            .expect("list alerts")
            .into_inner()
            .alerts
    }

    /// Polls the rule's alerts in `states` until `done` holds for them.
    async fn wait_alerts(
        &mut self,
        rule_id: &str,
        states: &[AlertState],
        done: impl Fn(&[Alert]) -> bool,
    ) -> Vec<Alert> {
        let started = std::time::Instant::now();
        loop {
            let alerts = self.alerts(rule_id, states).await;
            if done(&alerts) {
                return alerts;
            }
            if started.elapsed() > PATIENCE {
                let all = self.alerts(rule_id, &all_states()).await;
                panic!("alerts of {rule_id} never as expected in {states:?}: {all:#?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits for one alert of the rule in `state` and returns it.
    async fn wait_state(&mut self, rule_id: &str, state: AlertState) -> Alert {
        self.wait_alerts(rule_id, &[state], |alerts| !alerts.is_empty())
            .await
            .remove(0)
    }

    async fn notifications(&mut self, rule_id: &str) -> Vec<Notification> {
        self.alerts
            .list_notifications(ListNotificationsRequest {
                rule_id: rule_id.into(),
                ..Default::default()
            })
            .await
            .expect("list notifications")
            .into_inner()
            .notifications
    }

    /// The rule's notifications of `kind`, oldest first.
    async fn of_kind(&mut self, rule_id: &str, kind: NotificationKind) -> Vec<Notification> {
        let mut found: Vec<Notification> = self
            .notifications(rule_id)
            .await
            .into_iter()
            .filter(|n| n.kind() == kind)
            .collect();
        found.reverse();
        found
    }

    async fn wait_kind(
        &mut self,
        rule_id: &str,
        kind: NotificationKind,
        n: usize,
    ) -> Vec<Notification> {
        let started = std::time::Instant::now();
        loop {
            let found = self.of_kind(rule_id, kind).await;
            if found.len() >= n {
                return found;
            }
            if started.elapsed() > PATIENCE {
                let all = self.notifications(rule_id).await;
                panic!("{n} {kind:?} notifications of {rule_id} never came: {all:#?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn enqueue(&mut self, queue: &str) -> String {
        self.h.enqueue(spec(queue, "mail")).await.job.unwrap().id
    }

    async fn delete_job(&mut self, queue: &str, id: &str) {
        self.h
            .queues
            .delete_job(DeleteJobRequest {
                id: id.into(),
                queue: queue.into(),
            })
            .await
            .expect("delete job");
    }

    /// A job that dies at once: reserved and failed without a retry.
    async fn kill_one(&mut self, queue: &str) {
        self.enqueue(queue).await;
        let reserved = self.h.reserve(queue, 1, Duration::from_secs(30)).await;
        self.h
            .fail(&reserved[0], "boom", false)
            .await
            .expect("fail job");
    }

    async fn complete_one(&mut self, queue: &str) {
        self.enqueue(queue).await;
        let reserved = self.h.reserve(queue, 1, Duration::from_secs(30)).await;
        self.h.ack(&reserved[0]).await.expect("ack job");
    }

    async fn beat(&mut self, node: &str, service: &str, disk_used_percent: u64) {
        self.pulse
            .beat(BeatRequest {
                beat: Some(BeatPayload {
                    identity: Some(NodeIdentity {
                        node_id: node.into(),
                        service: service.into(),
                        ..Default::default()
                    }),
                    interval: Some(duration(Duration::from_secs(1))),
                    system: Some(SystemStats {
                        disk_total_bytes: 100 * 1024,
                        disk_used_bytes: disk_used_percent * 1024,
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
            })
            .await
            .expect("beat");
    }
}

/// The body of the first webhook request of `kind`.
async fn wait_for_webhook(receiver: &HttpReceiver, kind: &str) -> serde_json::Value {
    let started = std::time::Instant::now();
    loop {
        let found = receiver
            .requests()
            .iter()
            .map(|request| request.json())
            .find(|body| body["kind"] == kind);
        if let Some(body) = found {
            return body;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "no {kind} webhook: {:#?}",
            receiver.requests()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn all_states() -> [AlertState; 3] {
    [
        AlertState::Pending,
        AlertState::Firing,
        AlertState::Resolved,
    ]
}

fn secs(n: u64) -> Option<prost_types::Duration> {
    Some(duration(Duration::from_secs(n)))
}

fn ms(ts: &Option<prost_types::Timestamp>) -> i64 {
    let ts = ts.as_ref().expect("timestamp");
    ts.seconds * 1000 + i64::from(ts.nanos) / 1_000_000
}

fn backlog_rule(id: &str, queue: &str, above: i64) -> RuleSpec {
    RuleSpec {
        id: id.into(),
        queue: queue.into(),
        condition: Some(Condition::Backlog(BacklogCondition { above })),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backlog_pends_fires_repeats_until_acknowledged_and_resolves() {
    let mut env = Env::start().await;
    let receiver = HttpReceiver::start().await.unwrap();
    env.channel("hook", &receiver, Severity::Unspecified).await;
    // Too severe a minimum for a warning rule: it gets nothing.
    env.channel("pager-hook", &receiver, Severity::Critical)
        .await;
    env.rule(RuleSpec {
        pending_for: secs(2),
        repeat_interval: secs(2),
        labels: [("team".to_owned(), "mail".to_owned())].into(),
        ..backlog_rule("mail-backlog", "emails", 1)
    })
    .await;
    let first = env.enqueue("emails").await;
    let second = env.enqueue("emails").await;

    let pending = env.wait_state("mail-backlog", AlertState::Pending).await;
    assert_eq!(pending.subject, "queue:emails");
    assert_eq!(
        pending.labels.get("queue").map(String::as_str),
        Some("emails")
    );
    assert_eq!(pending.labels.get("team").map(String::as_str), Some("mail"));
    assert_eq!(pending.value, 2.0);
    assert_eq!(pending.summary, "queue emails has 2 pending jobs (above 1)");
    assert!(
        env.of_kind("mail-backlog", NotificationKind::Firing)
            .await
            .is_empty()
    );

    let firing = env.wait_state("mail-backlog", AlertState::Firing).await;
    assert_eq!(firing.id, pending.id);
    assert!(
        ms(&firing.fired_at) - ms(&firing.pending_since) >= 2000,
        "fired only once held for pending_for: {firing:#?}"
    );
    let notified = env
        .wait_kind("mail-backlog", NotificationKind::Firing, 1)
        .await;
    assert_eq!(notified[0].alert_ids, [firing.id.as_str()]);
    assert_eq!(notified[0].title, "[FIRING] mail-backlog: queue:emails");
    assert_eq!(notified[0].severity(), Severity::Warning);
    let channels: Vec<_> = notified[0]
        .deliveries
        .iter()
        .map(|d| d.channel_id.as_str())
        .collect();
    assert_eq!(channels, ["hook"]);
    let sent = wait_for_webhook(&receiver, "firing").await;
    assert_eq!(sent["alerts"][0]["id"], firing.id.as_str());
    assert_eq!(sent["title"], "[FIRING] mail-backlog: queue:emails");

    // Reminders every 2 s while unacknowledged.
    let reminders = env
        .wait_kind("mail-backlog", NotificationKind::Repeat, 2)
        .await;
    assert_eq!(reminders[0].title, "[REMINDER] mail-backlog: queue:emails");
    env.alerts
        .acknowledge_alert(AcknowledgeAlertRequest {
            id: firing.id.clone(),
            comment: "looking".into(),
        })
        .await
        .expect("acknowledge");
    // One may have been made while the acknowledgement was on its way.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after_ack = env
        .of_kind("mail-backlog", NotificationKind::Repeat)
        .await
        .len();
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(
        env.of_kind("mail-backlog", NotificationKind::Repeat)
            .await
            .len(),
        after_ack,
        "no reminder after the acknowledgement"
    );
    assert_eq!(
        env.of_kind("mail-backlog", NotificationKind::Firing)
            .await
            .len(),
        1,
        "one firing notification for one transition"
    );

    env.delete_job("emails", &first).await;
    let resolved = env.wait_state("mail-backlog", AlertState::Resolved).await;
    assert_eq!(resolved.id, firing.id);
    let notified = env
        .wait_kind("mail-backlog", NotificationKind::Resolved, 1)
        .await;
    assert_eq!(notified[0].alert_ids, [firing.id.as_str()]);
    assert_eq!(notified[0].title, "[RESOLVED] mail-backlog: queue:emails");
    let sent = wait_for_webhook(&receiver, "resolved").await;
    assert_eq!(sent["alerts"][0]["id"], firing.id.as_str());
    assert_eq!(sent["alerts"][0]["state"], "resolved");
    let repeats = receiver
        .requests()
        .iter()
        .filter(|request| request.json()["kind"] == "repeat")
        .count();
    assert!(repeats >= 2, "reminders reach the channel too");
    assert!(
        receiver
            .requests()
            .iter()
            .all(|request| request.path == "/hook"),
        "nothing below the minimum severity"
    );
    let got = env
        .alerts
        .get_alert(GetAlertRequest {
            id: firing.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let kinds: Vec<_> = got.notifications.iter().map(|n| n.kind()).collect();
    assert_eq!(
        kinds.first(),
        Some(&NotificationKind::Resolved),
        "{kinds:?}"
    );
    assert_eq!(kinds.last(), Some(&NotificationKind::Firing), "{kinds:?}");
    assert!(
        env.alerts("mail-backlog", &[]).await.is_empty(),
        "no open alert"
    );
    env.delete_job("emails", &second).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silence_holds_the_firing_notification_until_it_expires() {
    let mut env = Env::start().await;
    env.rule(backlog_rule("any-backlog", "", 0)).await;
    let silence = env
        .alerts
        .create_silence(CreateSilenceRequest {
            spec: Some(SilenceSpec {
                queue: "quiet".into(),
                duration: secs(3600),
                comment: "maintenance".into(),
                ..Default::default()
            }),
        })
        .await
        .expect("create silence")
        .into_inner()
        .silence
        .unwrap();
    env.enqueue("quiet").await;

    let firing = env.wait_state("any-backlog", AlertState::Firing).await;
    assert!(firing.silenced, "{firing:#?}");
    // Several rounds: still no notification.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(env.notifications("any-backlog").await.is_empty());
    let firing = env.alerts("any-backlog", &[AlertState::Firing]).await;
    assert_eq!(firing.len(), 1, "still listed as firing");

    env.alerts
        .expire_silence(ExpireSilenceRequest { id: silence.id })
        .await
        .expect("expire silence");
    let notified = env
        .wait_kind("any-backlog", NotificationKind::Firing, 1)
        .await;
    assert_eq!(notified[0].alert_ids, [firing[0].id.as_str()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_most_1000_silences_are_active_or_pending_at_once() {
    let mut env = Env::start().await;
    let silence = |queue: String| CreateSilenceRequest {
        spec: Some(SilenceSpec {
            queue,
            duration: secs(3600),
            comment: "maintenance".into(),
            ..Default::default()
        }),
    };
    let mut first = None;
    for n in 0..1000 {
        let created = env
            .alerts
            .create_silence(silence(format!("q{n}")))
            .await
            .expect("create silence")
            .into_inner()
            .silence
            .unwrap();
        first.get_or_insert(created.id);
    }
    let refused = env
        .alerts
        .create_silence(silence("one-too-many".into()))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::FailedPrecondition);
    assert_eq!(
        refused.message(),
        "1000 silences are active or pending already; expire some first"
    );
    env.alerts
        .expire_silence(ExpireSilenceRequest { id: first.unwrap() })
        .await
        .expect("expire silence");
    env.alerts
        .create_silence(silence("one-too-many".into()))
        .await
        .expect("room again after an expiry");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_rule_over_three_queues_makes_one_grouped_notification() {
    let mut env = Env::start().await;
    for queue in ["a", "b", "c"] {
        env.enqueue(queue).await;
    }
    // The rule comes after the jobs, so its first round sees all three breaching.
    env.rule(backlog_rule("grouped", "", 0)).await;
    let notified = env.wait_kind("grouped", NotificationKind::Firing, 1).await;
    assert_eq!(notified[0].alert_ids.len(), 3, "{notified:#?}");
    assert_eq!(notified[0].title, "[FIRING] grouped: 3 alerts");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        env.of_kind("grouped", NotificationKind::Firing).await.len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oldest_pending_fires_and_resolves() {
    let mut env = Env::start().await;
    env.rule(RuleSpec {
        id: "waiting".into(),
        queue: "slow".into(),
        condition: Some(Condition::OldestPending(OldestPendingCondition {
            above: secs(1),
        })),
        ..Default::default()
    })
    .await;
    let job = env.enqueue("slow").await;
    let firing = env.wait_state("waiting", AlertState::Firing).await;
    assert!(firing.value > 1.0, "{firing:#?}");
    assert!(
        firing
            .summary
            .starts_with("queue slow: the oldest pending job has waited")
    );
    env.wait_kind("waiting", NotificationKind::Firing, 1).await;
    env.delete_job("slow", &job).await;
    env.wait_state("waiting", AlertState::Resolved).await;
    env.wait_kind("waiting", NotificationKind::Resolved, 1)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failure_rate_fires_past_its_volume_and_resolves_as_jobs_succeed() {
    let mut env = Env::start().await;
    env.rule(RuleSpec {
        id: "failing".into(),
        queue: "flaky".into(),
        pending_for: secs(1),
        condition: Some(Condition::FailureRate(FailureRateCondition {
            above_percent: 50.0,
            window: secs(300),
            min_volume: 3,
        })),
        ..Default::default()
    })
    .await;
    env.kill_one("flaky").await;
    env.kill_one("flaky").await;
    // Two failures are below the volume.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(env.alerts("failing", &all_states()).await.is_empty());

    env.kill_one("flaky").await;
    let pending = env.wait_state("failing", AlertState::Pending).await;
    assert_eq!(pending.value, 100.0);
    env.wait_state("failing", AlertState::Firing).await;
    env.wait_kind("failing", NotificationKind::Firing, 1).await;

    for _ in 0..4 {
        env.complete_one("flaky").await;
    }
    let resolved = env.wait_state("failing", AlertState::Resolved).await;
    assert_eq!(resolved.id, pending.id);
    env.wait_kind("failing", NotificationKind::Resolved, 1)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_growth_fires_on_new_dead_jobs_and_resolves_after_its_window() {
    let mut env = Env::start().await;
    env.enqueue("graveyard").await;
    env.rule(RuleSpec {
        id: "dying".into(),
        queue: "graveyard".into(),
        condition: Some(Condition::DeadGrowth(DeadGrowthCondition {
            above: 0,
            window: secs(60),
        })),
        ..Default::default()
    })
    .await;
    // The evaluator's first look at the queue is its baseline.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let reserved = env.h.reserve("graveyard", 1, Duration::from_secs(30)).await;
    env.h.fail(&reserved[0], "boom", false).await.unwrap();
    let firing = env.wait_state("dying", AlertState::Firing).await;
    assert_eq!(firing.value, 1.0);
    env.wait_kind("dying", NotificationKind::Firing, 1).await;
    // No more deaths: the growth leaves the one-minute window (read in whole minutes).
    let started = std::time::Instant::now();
    loop {
        if !env
            .alerts("dying", &[AlertState::Resolved])
            .await
            .is_empty()
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "never resolved"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    env.wait_kind("dying", NotificationKind::Resolved, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_rules_fire_and_resolve() {
    let mut env = Env::start().await;
    env.rule(RuleSpec {
        id: "billing-capacity".into(),
        service: "billing".into(),
        severity: Severity::Critical.into(),
        condition: Some(Condition::HealthyNodes(HealthyNodesCondition { below: 2 })),
        ..Default::default()
    })
    .await;
    env.rule(RuleSpec {
        id: "billing-lost".into(),
        service: "billing".into(),
        condition: Some(Condition::NodeLost(NodeLostCondition {})),
        ..Default::default()
    })
    .await;
    env.rule(RuleSpec {
        id: "billing-disk".into(),
        service: "billing".into(),
        pending_for: secs(1),
        condition: Some(Condition::NodeResource(NodeResourceCondition {
            resource: NodeResource::Disk.into(),
            above_percent: 90.0,
        })),
        ..Default::default()
    })
    .await;

    // No node at all: the service has none healthy.
    let short = env.wait_state("billing-capacity", AlertState::Firing).await;
    assert_eq!(short.subject, "service:billing");
    assert_eq!(short.severity(), Severity::Critical);
    assert_eq!(short.value, 0.0);

    // Two nodes beating, one with a nearly full disk. An evaluator that just took over holds
    // node alerts for two intervals, so the nodes beat on while the alert resolves.
    let started = std::time::Instant::now();
    while env
        .alerts("billing-capacity", &[AlertState::Resolved])
        .await
        .is_empty()
    {
        assert!(
            started.elapsed() < PATIENCE,
            "billing-capacity never resolved"
        );
        env.beat("b1", "billing", 95).await;
        env.beat("b2", "billing", 40).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    env.wait_kind("billing-capacity", NotificationKind::Resolved, 1)
        .await;
    let open = [AlertState::Pending, AlertState::Firing];
    let pending = env
        .wait_alerts("billing-disk", &open, |a| !a.is_empty())
        .await
        .remove(0);
    assert_eq!(pending.subject, "node:b1");
    assert_eq!(
        pending.labels.get("service").map(String::as_str),
        Some("billing")
    );
    assert_eq!(pending.summary, "node b1 disk is 95% used (above 90%)");

    // b2 stops beating (lost after three 1 s intervals); b1 keeps beating with a freed disk.
    let mut lost = None;
    let started = std::time::Instant::now();
    while lost.is_none() {
        assert!(started.elapsed() < PATIENCE, "b2 never reported lost");
        env.beat("b1", "billing", 50).await;
        lost = env
            .alerts("billing-lost", &[AlertState::Firing])
            .await
            .into_iter()
            .next();
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let lost = lost.unwrap();
    assert_eq!(lost.subject, "node:b2");
    assert!(
        lost.summary
            .starts_with("node b2 of service billing is lost"),
        "{lost:#?}"
    );
    env.wait_kind("billing-lost", NotificationKind::Firing, 1)
        .await;
    // The disk alert resolved quietly or after firing, either way it is no longer open.
    env.wait_alerts(
        "billing-disk",
        &[AlertState::Pending, AlertState::Firing],
        |a| a.is_empty(),
    )
    .await;
    // Only one healthy node left.
    env.wait_state("billing-capacity", AlertState::Firing).await;

    // b2 is back.
    env.beat("b2", "billing", 40).await;
    env.wait_alerts("billing-lost", &[AlertState::Resolved], |a| !a.is_empty())
        .await;
    env.wait_kind("billing-lost", NotificationKind::Resolved, 1)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schedule_rules_fire_on_failing_runs_and_skipped_fires() {
    let mut env = Env::start().await;
    let schedule = |id: &str, queue: &str, interval: Option<prost_types::Duration>| ScheduleSpec {
        id: id.into(),
        cron: if interval.is_some() {
            String::new()
        } else {
            "0 0 1 1 *".into()
        },
        interval,
        job: Some(JobSpec {
            queue: queue.into(),
            r#type: "report".into(),
            ..Default::default()
        }),
        overlap: OverlapPolicy::Skip.into(),
        misfire_grace: secs(5),
        ..Default::default()
    };
    // Fires once a year: only manual runs here.
    env.cron
        .create_schedule(CreateScheduleRequest {
            spec: Some(schedule("yearly", "reports", None)),
            paused: false,
        })
        .await
        .expect("create schedule");
    env.rule(RuleSpec {
        id: "reports-failing".into(),
        schedule: "yearly".into(),
        condition: Some(Condition::ScheduleFailing(ScheduleFailingCondition {
            consecutive: 1,
        })),
        ..Default::default()
    })
    .await;
    env.cron
        .trigger_schedule(TriggerScheduleRequest {
            id: "yearly".into(),
            ..Default::default()
        })
        .await
        .expect("trigger");
    let reserved = env.h.reserve("reports", 1, Duration::from_secs(30)).await;
    env.h.fail(&reserved[0], "no data", false).await.unwrap();
    let firing = env.wait_state("reports-failing", AlertState::Firing).await;
    assert_eq!(firing.subject, "schedule:yearly");
    assert_eq!(
        firing.labels.get("schedule").map(String::as_str),
        Some("yearly")
    );
    env.wait_kind("reports-failing", NotificationKind::Firing, 1)
        .await;
    env.cron
        .trigger_schedule(TriggerScheduleRequest {
            id: "yearly".into(),
            request_id: "second".into(),
        })
        .await
        .expect("trigger again");
    let reserved = env.h.reserve("reports", 1, Duration::from_secs(30)).await;
    env.h.ack(&reserved[0]).await.unwrap();
    env.wait_state("reports-failing", AlertState::Resolved)
        .await;
    env.wait_kind("reports-failing", NotificationKind::Resolved, 1)
        .await;

    // Every 2 s, skipping while its first job waits: the fires after it make no job.
    env.rule(RuleSpec {
        id: "ticks-missed".into(),
        schedule: "ticks".into(),
        condition: Some(Condition::ScheduleMissed(ScheduleMissedCondition {})),
        ..Default::default()
    })
    .await;
    env.cron
        .create_schedule(CreateScheduleRequest {
            spec: Some(schedule("ticks", "ticks", secs(2))),
            paused: false,
        })
        .await
        .expect("create schedule");
    let firing = env.wait_state("ticks-missed", AlertState::Firing).await;
    assert!(firing.summary.contains("(skipped)"), "{firing:#?}");
    env.wait_kind("ticks-missed", NotificationKind::Firing, 1)
        .await;
    // Paused, it misses nothing.
    env.cron
        .pause_schedule(PauseScheduleRequest {
            id: "ticks".into(),
            reason: "test".into(),
        })
        .await
        .expect("pause");
    env.wait_state("ticks-missed", AlertState::Resolved).await;
    env.wait_kind("ticks-missed", NotificationKind::Resolved, 1)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_or_deleted_rule_resolves_its_alerts_without_a_notification() {
    let mut env = Env::start().await;
    env.enqueue("held").await;
    env.rule(backlog_rule("to-disable", "held", 0)).await;
    env.rule(backlog_rule("to-delete", "held", 0)).await;
    env.wait_kind("to-disable", NotificationKind::Firing, 1)
        .await;
    env.wait_kind("to-delete", NotificationKind::Firing, 1)
        .await;

    env.alerts
        .update_rule(UpdateRuleRequest {
            spec: Some(RuleSpec {
                disabled: true,
                ..backlog_rule("to-disable", "held", 0)
            }),
        })
        .await
        .expect("disable");
    env.alerts
        .delete_rule(DeleteRuleRequest {
            id: "to-delete".into(),
        })
        .await
        .expect("delete");
    env.wait_state("to-disable", AlertState::Resolved).await;
    env.wait_state("to-delete", AlertState::Resolved).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        env.of_kind("to-disable", NotificationKind::Resolved)
            .await
            .is_empty()
    );
    assert!(
        env.of_kind("to-delete", NotificationKind::Resolved)
            .await
            .is_empty()
    );
}

/// The archiver of a running server drains events within a second, so the lag is observed
/// in-process: a real Redis and SQLite with no archiver running, and a real enqueue whose
/// event waits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archive_lag_is_observed_from_the_oldest_waiting_event() {
    use std::sync::Arc;

    use zenith_server::alerts::Sources;
    use zenith_server::alerts::rules::{Memory, observe};
    use zenith_server::pulse::{Pulse, PulseConfig};
    use zenith_server::queue::{Engine, EngineConfig, NewJob};

    let redis = zenith_testkit::RedisServer::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let database = zenith_server::db::Database::connect(&format!(
        "sqlite://{}",
        dir.path().join("zenith.db").display()
    ))
    .await
    .unwrap();
    let engine = Arc::new(
        Engine::connect(&redis.url(), EngineConfig::default())
            .await
            .unwrap(),
    );
    let sources = Sources {
        pulse: Pulse::new(
            engine.clone(),
            PulseConfig {
                lost_node_retention: Duration::from_secs(60),
            },
        ),
        schedules: zenith_server::cron::store::open(&database),
        archive: zenith_server::archive::store::open(&database),
        engine: engine.clone(),
    };
    let rule = RuleSpec {
        id: "archive-behind".into(),
        condition: Some(Condition::ArchiveLag(ArchiveLagCondition {
            above: secs(1),
        })),
        ..Default::default()
    };
    let mut memory = Memory::default();

    let now = engine.redis_time_ms().await.unwrap();
    let calm = observe(&rule, &sources, &mut memory, now).await.unwrap();
    assert_eq!(calm.len(), 1);
    assert_eq!(calm[0].subject, "archive");
    assert!(!calm[0].breaching, "{calm:?}");

    let job = NewJob {
        id: "lagging-1".into(),
        fresh_id: false,
        queue: "unarchived".into(),
        job_type: "mail".into(),
        payload: b"{}".to_vec(),
        content_type: "application/json".into(),
        headers: Default::default(),
        priority: 0,
        run_at_ms: 0,
        delay: Duration::ZERO,
        max_attempts: 1,
        backoff_base: Duration::from_secs(1),
        backoff_max: Duration::from_secs(1),
        timeout: None,
        unique_key: String::new(),
        unique_ttl: Duration::ZERO,
        tags: Vec::new(),
    };
    engine.enqueue(vec![job], "test").await.unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let now = engine.redis_time_ms().await.unwrap();
    let behind = observe(&rule, &sources, &mut memory, now).await.unwrap();
    assert!(behind[0].breaching, "{behind:?}");
    assert!(behind[0].value >= 1.5, "{behind:?}");
    assert!(
        behind[0]
            .summary
            .strip_prefix("the archive is ")
            .is_some_and(|rest| rest.ends_with(" behind (above 1s)")),
        "{behind:?}"
    );
}
