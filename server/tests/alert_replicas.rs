//! Alerting across replicas, against real `zenith serve` processes on one Redis and one
//! PostgreSQL and a real HTTP receiver: one delivery per alert transition however many replicas
//! evaluate, and still a delivery when the replica sending it is killed mid-request.

use std::path::Path;
use std::time::Duration;

use tonic::transport::Channel;
use zenith_proto::v1::alert_service_client::AlertServiceClient;
use zenith_proto::v1::channel_spec::Kind;
use zenith_proto::v1::queue_service_client::QueueServiceClient;
use zenith_proto::v1::rule_spec::Condition;
use zenith_proto::v1::*;
use zenith_testkit::receivers::{HttpReceiver, ReceivedRequest};
use zenith_testkit::{PostgresServer, RedisServer, ZenithServer};

const ZENITH: &str = env!("CARGO_BIN_EXE_zenith");

async fn connect(url: String) -> Channel {
    Channel::from_shared(url).unwrap().connect().await.unwrap()
}

/// Three replicas evaluating every second over one database.
fn replicas(redis: &RedisServer, database: &str) -> Vec<ZenithServer> {
    let args = [
        "--database-url",
        database,
        "--alert-evaluation-interval",
        "1s",
    ];
    (0..3)
        .map(|_| ZenithServer::start_with(Path::new(ZENITH), &redis.url(), &args).unwrap())
        .collect()
}

/// A webhook channel to the receiver and a rule that fires as soon as `queue` has a pending job.
async fn wire(alerts: &mut AlertServiceClient<Channel>, receiver: &HttpReceiver, queue: &str) {
    alerts
        .create_channel(CreateChannelRequest {
            spec: Some(ChannelSpec {
                id: "hook".into(),
                kind: Some(Kind::Webhook(WebhookChannel {
                    url: receiver.url("/hook"),
                    signing_secret: "replica-secret".into(),
                })),
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    alerts
        .create_rule(CreateRuleRequest {
            spec: Some(RuleSpec {
                id: "replicated-backlog".into(),
                queue: queue.into(),
                condition: Some(Condition::Backlog(BacklogCondition { above: 0 })),
                channels: vec!["hook".into()],
                ..Default::default()
            }),
        })
        .await
        .unwrap();
}

async fn enqueue(queues: &mut QueueServiceClient<Channel>, queue: &str) -> String {
    queues
        .enqueue(EnqueueRequest {
            job: Some(JobSpec {
                queue: queue.into(),
                r#type: "mail".into(),
                payload: b"{}".to_vec(),
                content_type: "application/json".into(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .job
        .unwrap()
        .id
}

/// The requests about the test's rule, of one notification kind (`firing`, `resolved`).
fn of_kind(requests: &[ReceivedRequest], kind: &str) -> Vec<ReceivedRequest> {
    requests
        .iter()
        .filter(|request| {
            let body = request.json();
            body["rule"]["id"] == "replicated-backlog" && body["kind"] == kind
        })
        .cloned()
        .collect()
}

async fn wait_for_kind(receiver: &HttpReceiver, kind: &str) -> Vec<ReceivedRequest> {
    for _ in 0..600 {
        let found = of_kind(&receiver.requests(), kind);
        if !found.is_empty() {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {kind} request within 60 s: {:#?}", receiver.requests());
}

async fn notifications(alerts: &mut AlertServiceClient<Channel>) -> Vec<Notification> {
    alerts
        .list_notifications(ListNotificationsRequest {
            rule_id: "replicated-backlog".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .notifications
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_deliver_each_transition_once() {
    let redis = RedisServer::start().unwrap();
    let postgres = PostgresServer::start().unwrap();
    let database = postgres.create_database("alert_replicas").unwrap();
    let receiver = HttpReceiver::start().await.unwrap();
    let servers = replicas(&redis, &database);
    let mut alerts = AlertServiceClient::new(connect(servers[0].url()).await);
    let mut queues = QueueServiceClient::new(connect(servers[1].url()).await);
    wire(&mut alerts, &receiver, "replicated").await;

    let job = enqueue(&mut queues, "replicated").await;
    let firing = wait_for_kind(&receiver, "firing").await;
    // Several more rounds on every replica: none may notify again.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(of_kind(&receiver.requests(), "firing").len(), 1);

    queues
        .delete_job(DeleteJobRequest {
            id: job,
            queue: "replicated".into(),
        })
        .await
        .unwrap();
    let resolved = wait_for_kind(&receiver, "resolved").await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let requests = receiver.requests();
    assert_eq!(of_kind(&requests, "firing").len(), 1);
    assert_eq!(of_kind(&requests, "resolved").len(), 1);
    assert_ne!(
        firing[0].header("idempotency-key"),
        resolved[0].header("idempotency-key"),
        "each transition is its own notification"
    );

    let listed = notifications(&mut alerts).await;
    let kinds: Vec<_> = listed.iter().map(|n| n.kind()).collect();
    assert_eq!(
        kinds,
        [NotificationKind::Resolved, NotificationKind::Firing],
        "newest first: {listed:#?}"
    );
    for notification in &listed {
        assert_eq!(notification.deliveries.len(), 1, "{notification:#?}");
        assert_eq!(
            notification.deliveries[0].state(),
            DeliveryState::Delivered,
            "{notification:#?}"
        );
        assert_eq!(notification.deliveries[0].attempts.len(), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_survives_its_sender_being_killed_mid_request() {
    let redis = RedisServer::start().unwrap();
    let postgres = PostgresServer::start().unwrap();
    let database = postgres.create_database("alert_faults").unwrap();
    let receiver = HttpReceiver::start().await.unwrap();
    // Slow enough to kill the sender while it waits, quick enough for the client's timeout.
    receiver.set_delay(Duration::from_secs(4));
    let mut servers = replicas(&redis, &database);
    let mut alerts = AlertServiceClient::new(connect(servers[2].url()).await);
    let mut queues = QueueServiceClient::new(connect(servers[2].url()).await);
    wire(&mut alerts, &receiver, "replicated").await;

    enqueue(&mut queues, "replicated").await;
    let first = wait_for_kind(&receiver, "firing").await;
    // Whichever replica is sending, two of three die now, without a graceful shutdown.
    for server in &mut servers[..2] {
        let pid = server.pid().unwrap() as i32;
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    receiver.set_delay(Duration::ZERO);

    // The survivor either finishes its own send or, once the dead sender's lease ends, sends
    // again with the same idempotency key.
    let mut delivered = None;
    for _ in 0..900 {
        let listed = notifications(&mut alerts).await;
        if let Some(notification) = listed.iter().find(|n| {
            n.kind() == NotificationKind::Firing
                && n.deliveries
                    .iter()
                    .any(|d| d.state() == DeliveryState::Delivered)
        }) {
            delivered = Some(notification.clone());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let delivered =
        delivered.unwrap_or_else(|| panic!("never delivered: {:#?}", receiver.requests()));
    let requests = of_kind(&receiver.requests(), "firing");
    assert!(!requests.is_empty());
    for request in &requests {
        assert_eq!(
            request.header("idempotency-key"),
            first[0].header("idempotency-key"),
            "a retry of the same notification keeps its key"
        );
        assert_eq!(
            request.header("idempotency-key"),
            Some(delivered.id.as_str())
        );
    }
    assert_eq!(
        notifications(&mut alerts)
            .await
            .iter()
            .filter(|n| n.kind() == NotificationKind::Firing)
            .count(),
        1,
        "one notification for one transition"
    );
}
