//! The pulse against a real Redis and a real server: both transports, health, X-ray, quiet,
//! watch and metrics.

mod common;

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{Harness, duration, spec};
use tonic::Code;
use tonic::transport::Channel;
use zenith_proto::v1::pulse_service_client::PulseServiceClient;
use zenith_proto::v1::*;

fn vector(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/vectors/pulse")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn vector_beat(name: &str) -> BeatPayload {
    zenith_proto::from_json(&vector(&format!("{name}.json"))).expect("vector decodes")
}

async fn pulse_client(harness: &Harness) -> PulseServiceClient<Channel> {
    let channel = Channel::from_shared(harness.server.url())
        .unwrap()
        .connect()
        .await
        .expect("connect to zenith");
    PulseServiceClient::new(channel)
}

fn beat(node_id: &str, service: &str, interval: Duration) -> BeatPayload {
    BeatPayload {
        identity: Some(NodeIdentity {
            node_id: node_id.into(),
            service: service.into(),
            language: "rust".into(),
            ..Default::default()
        }),
        interval: Some(duration(interval)),
        process: Some(ProcessStats {
            cpu_percent: 50.0,
            memory_rss_bytes: 1000,
            ..Default::default()
        }),
        ..Default::default()
    }
}

async fn send(pulse: &mut PulseServiceClient<Channel>, beat: BeatPayload) -> BeatResponse {
    pulse
        .beat(BeatRequest { beat: Some(beat) })
        .await
        .expect("beat")
        .into_inner()
}

/// A Redis-native beat exactly as PULSE.md says: SET … EX plus ZADD in one pipeline.
async fn redis_beat(harness: &Harness, node_id: &str, json: &[u8], ttl_secs: u64) {
    let mut conn = harness.redis.connection().await.unwrap();
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    redis::pipe()
        .cmd("SET")
        .arg(format!("zenith:pulse:beat:{node_id}"))
        .arg(json)
        .arg("EX")
        .arg(ttl_secs)
        .ignore()
        .cmd("ZADD")
        .arg("zenith:pulse:nodes")
        .arg(now_ms)
        .arg(node_id)
        .ignore()
        .query_async::<()>(&mut conn)
        .await
        .unwrap();
}

async fn list(
    pulse: &mut PulseServiceClient<Channel>,
    request: ListNodesRequest,
) -> ListNodesResponse {
    pulse
        .list_nodes(request)
        .await
        .expect("list nodes")
        .into_inner()
}

async fn get_node(
    pulse: &mut PulseServiceClient<Channel>,
    id: &str,
) -> Result<Node, tonic::Status> {
    pulse
        .get_node(GetNodeRequest { node_id: id.into() })
        .await
        .map(|response| response.into_inner().node.expect("node"))
}

/// Polls until `done` holds for the node, within `within`.
async fn wait_for_node(
    pulse: &mut PulseServiceClient<Channel>,
    id: &str,
    within: Duration,
    done: impl Fn(&Result<Node, tonic::Status>) -> bool,
) -> Result<Node, tonic::Status> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let node = get_node(pulse, id).await;
        if done(&node) {
            return node;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "node {id} never reached the expected state; last: {node:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The view without what differs by transport or by time.
fn comparable(mut response: ListNodesResponse) -> ListNodesResponse {
    for group in &mut response.services {
        for node in &mut group.nodes {
            node.transport = 0;
            node.last_beat_at = None;
            node.first_seen_at = None;
            node.lost_at = None;
        }
    }
    response
}

const VECTORS: [&str; 3] = ["minimal", "full", "unknown-field"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_transports_give_the_same_view_of_the_vectors() {
    let grpc = Harness::start().await;
    let mut grpc_pulse = pulse_client(&grpc).await;
    for name in VECTORS {
        send(&mut grpc_pulse, vector_beat(name)).await;
    }
    // A gRPC beat is in the view of the replica that took it at once.
    let grpc_view = list(&mut grpc_pulse, ListNodesRequest::default()).await;
    assert_eq!(grpc_view.total_nodes, 3);

    let native = Harness::start().await;
    let mut native_pulse = pulse_client(&native).await;
    for name in VECTORS {
        let id = vector_beat(name).identity.unwrap().node_id;
        redis_beat(&native, &id, &vector(&format!("{name}.json")), 30).await;
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let native_view = loop {
        let view = list(&mut native_pulse, ListNodesRequest::default()).await;
        if view.total_nodes == 3 {
            break view;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "redis beats never seen: {view:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    for (view, transport) in [
        (&grpc_view, BeatTransport::Grpc),
        (&native_view, BeatTransport::Redis),
    ] {
        assert_eq!(view.services.len(), 1);
        assert_eq!(view.services[0].service, "vectors");
        assert_eq!(view.services[0].healthy, 3);
        for node in &view.services[0].nodes {
            assert_eq!(node.transport(), transport);
            assert!(node.last_beat_at.is_some() && node.first_seen_at.is_some());
        }
    }
    assert_eq!(comparable(grpc_view), comparable(native_view));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_nodes_groups_filters_and_pages() {
    let harness = Harness::start().await;
    let mut pulse = pulse_client(&harness).await;
    for (id, service) in [
        ("b-2", "billing"),
        ("a-1", "api"),
        ("b-1", "billing"),
        ("a-2", "api"),
    ] {
        let mut payload = beat(id, service, Duration::from_secs(5));
        if id == "a-2" {
            payload.identity.as_mut().unwrap().language = "go".into();
        }
        send(&mut pulse, payload).await;
    }
    let all = list(&mut pulse, ListNodesRequest::default()).await;
    let order: Vec<(String, Vec<String>)> = all
        .services
        .iter()
        .map(|group| {
            let ids = group
                .nodes
                .iter()
                .map(|node| {
                    node.beat
                        .as_ref()
                        .unwrap()
                        .identity
                        .as_ref()
                        .unwrap()
                        .node_id
                        .clone()
                })
                .collect();
            (group.service.clone(), ids)
        })
        .collect();
    assert_eq!(
        order,
        [
            (
                "api".to_string(),
                vec!["a-1".to_string(), "a-2".to_string()]
            ),
            (
                "billing".to_string(),
                vec!["b-1".to_string(), "b-2".to_string()]
            ),
        ]
    );
    assert_eq!(all.total_nodes, 4);
    assert!(all.next_page_token.is_empty());

    let billing = list(
        &mut pulse,
        ListNodesRequest {
            service: "billing".into(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(billing.total_nodes, 2);
    let go = list(
        &mut pulse,
        ListNodesRequest {
            language: "go".into(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(go.total_nodes, 1);
    let lost = list(
        &mut pulse,
        ListNodesRequest {
            health: vec![NodeHealth::Lost.into()],
            ..Default::default()
        },
    )
    .await;
    assert_eq!(lost.total_nodes, 0);

    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = list(
            &mut pulse,
            ListNodesRequest {
                page_size: 3,
                page_token: token.clone(),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(page.total_nodes, 4);
        for group in page.services {
            for node in group.nodes {
                seen.push(node.beat.unwrap().identity.unwrap().node_id);
            }
        }
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(seen, ["a-1", "a-2", "b-1", "b-2"]);

    let missing = get_node(&mut pulse, "nobody").await.unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    let bad_token = pulse
        .list_nodes(ListNodesRequest {
            page_token: "zz".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad_token.code(), Code::InvalidArgument);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_beats_are_refused_naming_the_field() {
    let harness = Harness::start().await;
    let mut pulse = pulse_client(&harness).await;
    let cases = [
        (
            zenith_proto::from_json(&vector("invalid-no-identity.json")).unwrap(),
            "beat.identity",
        ),
        (
            beat("", "svc", Duration::from_secs(5)),
            "beat.identity.node_id",
        ),
        (
            beat("has space", "svc", Duration::from_secs(5)),
            "beat.identity.node_id",
        ),
        (
            beat(&"n".repeat(201), "svc", Duration::from_secs(5)),
            "beat.identity.node_id",
        ),
        (
            beat("node", "", Duration::from_secs(5)),
            "beat.identity.service",
        ),
        (
            beat("node", "svc", Duration::from_millis(500)),
            "beat.interval",
        ),
        (
            beat("node", "svc", Duration::from_secs(301)),
            "beat.interval",
        ),
        (
            BeatPayload {
                // After year 9999: no proto3 JSON rendering exists for it.
                sent_at: Some(prost_types::Timestamp {
                    seconds: 900_000_000_000,
                    nanos: 0,
                }),
                ..beat("node", "svc", Duration::from_secs(5))
            },
            "beat",
        ),
        (
            BeatPayload {
                external_queues: vec![ExternalQueue {
                    name: "a\nb".into(),
                    driver: "laravel".into(),
                    ..Default::default()
                }],
                ..beat("node", "svc", Duration::from_secs(5))
            },
            "beat.external_queues[0].name",
        ),
    ];
    for (payload, field) in cases {
        let status = pulse
            .beat(BeatRequest {
                beat: Some(payload),
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{field}");
        assert!(
            status.message().contains(field),
            "{field}: {}",
            status.message()
        );
    }
    let mut too_many_labels = beat("node", "svc", Duration::from_secs(5));
    for i in 0..33 {
        too_many_labels
            .identity
            .as_mut()
            .unwrap()
            .labels
            .insert(format!("k{i}"), "v".into());
    }
    let status = pulse
        .beat(BeatRequest {
            beat: Some(too_many_labels),
        })
        .await
        .unwrap_err();
    assert!(status.message().contains("beat.identity.labels"));
    let missing = pulse.beat(BeatRequest { beat: None }).await.unwrap_err();
    assert_eq!(missing.code(), Code::InvalidArgument);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_redis_beat_does_not_hide_other_nodes() {
    let harness = Harness::start().await;
    let mut pulse = pulse_client(&harness).await;
    redis_beat(&harness, "broken", &vector("invalid-not-json.json"), 30).await;
    redis_beat(
        &harness,
        "anonymous",
        &vector("invalid-no-identity.json"),
        30,
    )
    .await;
    // A beat key of the wrong type fails only its own node's read.
    let mut conn = harness.redis.connection().await.unwrap();
    redis::pipe()
        .cmd("HSET")
        .arg("zenith:pulse:beat:hashed")
        .arg("identity")
        .arg("x")
        .ignore()
        .cmd("ZADD")
        .arg("zenith:pulse:nodes")
        .arg(1)
        .arg("hashed")
        .ignore()
        .query_async::<()>(&mut conn)
        .await
        .unwrap();
    redis_beat(&harness, "vector-minimal", &vector("minimal.json"), 30).await;
    let node = wait_for_node(
        &mut pulse,
        "vector-minimal",
        Duration::from_secs(5),
        Result::is_ok,
    )
    .await
    .unwrap();
    assert_eq!(node.transport(), BeatTransport::Redis);
    // New beats of the good node keep coming through.
    redis_beat(
        &harness,
        "vector-minimal",
        &vector("full.json").replace_node_id("vector-minimal"),
        30,
    )
    .await;
    wait_for_node(
        &mut pulse,
        "vector-minimal",
        Duration::from_secs(5),
        |node| {
            node.as_ref()
                .is_ok_and(|node| node.beat.as_ref().unwrap().process.is_some())
        },
    )
    .await
    .unwrap();
    for bad in ["broken", "anonymous", "hashed"] {
        assert_eq!(
            get_node(&mut pulse, bad).await.unwrap_err().code(),
            Code::NotFound
        );
    }
    assert_eq!(
        list(&mut pulse, ListNodesRequest::default())
            .await
            .total_nodes,
        1
    );
}

trait ReplaceNodeId {
    fn replace_node_id(&self, node_id: &str) -> Vec<u8>;
}

impl ReplaceNodeId for Vec<u8> {
    /// The same JSON beat under another node id.
    fn replace_node_id(&self, node_id: &str) -> Vec<u8> {
        let mut json: serde_json::Value = serde_json::from_slice(self).unwrap();
        json["identity"]["nodeId"] = node_id.into();
        serde_json::to_vec(&json).unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_goes_late_then_lost_and_a_lost_node_is_forgotten() {
    let harness = Harness::start_with(&["--lost-node-retention", "2s"]).await;
    let mut pulse = pulse_client(&harness).await;
    send(&mut pulse, beat("flaky", "svc", Duration::from_secs(1))).await;
    let node = get_node(&mut pulse, "flaky").await.unwrap();
    assert_eq!(node.health(), NodeHealth::Healthy);
    assert!(node.lost_at.is_none());

    let late = wait_for_node(&mut pulse, "flaky", Duration::from_secs(5), |node| {
        node.as_ref()
            .is_ok_and(|node| node.health() != NodeHealth::Healthy)
    })
    .await
    .unwrap();
    assert_eq!(late.health(), NodeHealth::Late);
    let lost = wait_for_node(&mut pulse, "flaky", Duration::from_secs(5), |node| {
        node.as_ref()
            .is_ok_and(|node| node.health() == NodeHealth::Lost)
    })
    .await
    .unwrap();
    assert!(lost.lost_at.is_some());
    // Lost nodes stay listed, with their identity, after their beat key expired.
    let mut conn = harness.redis.connection().await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    loop {
        let beat_key: bool = redis::cmd("EXISTS")
            .arg("zenith:pulse:beat:flaky")
            .query_async(&mut conn)
            .await
            .unwrap();
        if !beat_key {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "beat key never expired"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let listed = list(&mut pulse, ListNodesRequest::default()).await;
    assert_eq!(listed.services[0].lost, 1);
    let identity = listed.services[0].nodes[0]
        .beat
        .as_ref()
        .unwrap()
        .identity
        .as_ref()
        .unwrap();
    assert_eq!(identity.node_id, "flaky");

    // A lost node that beats again is healthy, and keeps its first-seen time.
    send(&mut pulse, beat("flaky", "svc", Duration::from_secs(1))).await;
    let back = get_node(&mut pulse, "flaky").await.unwrap();
    assert_eq!(back.health(), NodeHealth::Healthy);
    assert_eq!(back.first_seen_at, node.first_seen_at);

    // Silent for TTL + retention: forgotten, registry and keys too.
    let forgotten = wait_for_node(&mut pulse, "flaky", Duration::from_secs(10), Result::is_err)
        .await
        .unwrap_err();
    assert_eq!(forgotten.code(), Code::NotFound);
    let score: Option<f64> = redis::cmd("ZSCORE")
        .arg("zenith:pulse:nodes")
        .arg("flaky")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(score, None);
    let bookkeeping: bool = redis::cmd("EXISTS")
        .arg("zenith:pulse:node:flaky")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(!bookkeeping);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_server_remembers_nodes_and_when_it_saw_them() {
    let mut harness = Harness::start().await;
    let mut pulse = pulse_client(&harness).await;
    send(&mut pulse, beat("steady", "svc", Duration::from_secs(5))).await;
    let before = get_node(&mut pulse, "steady").await.unwrap();
    harness.server.stop();
    harness.server = zenith_testkit::ZenithServer::start_with(
        env!("CARGO_BIN_EXE_zenith").as_ref(),
        &harness.redis.url(),
        &[],
    )
    .expect("start zenith again");
    let mut pulse = pulse_client(&harness).await;
    let after = wait_for_node(&mut pulse, "steady", Duration::from_secs(5), Result::is_ok)
        .await
        .unwrap();
    assert_eq!(after.first_seen_at, before.first_seen_at);
    assert_eq!(after.last_beat_at, before.last_beat_at);
    assert_eq!(after.transport(), BeatTransport::Grpc);
    assert_eq!(after.beat, before.beat);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beats_extend_the_leases_of_their_jobs_until_the_node_stops() {
    let mut harness = Harness::start().await;
    let mut pulse = pulse_client(&harness).await;
    let id = harness
        .enqueue(spec("xray", "report"))
        .await
        .job
        .unwrap()
        .id;
    let reserved = harness
        .workers
        .reserve(ReserveRequest {
            queues: vec!["xray".into()],
            max_jobs: 1,
            lease: Some(duration(Duration::from_secs(2))),
            worker_id: "worker-7".into(),
            ..Default::default()
        })
        .await
        .expect("reserve")
        .into_inner()
        .jobs
        .remove(0);
    let mut payload = beat("runner", "svc", Duration::from_secs(1));
    payload.jobs = vec![CurrentJob {
        queue: "xray".into(),
        job_id: id.clone(),
        lease_token: reserved.lease_token.clone(),
        started_at: None,
    }];
    for _ in 0..6 {
        let response = send(&mut pulse, payload.clone()).await;
        assert_eq!(response.extended_leases.len(), 1);
        assert_eq!(response.extended_leases[0].job_id, id);
        assert!(response.server_time.is_some());
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let job = harness.job(&id).await;
    assert_eq!(job.state(), JobState::Active);
    assert_eq!(job.node_id, "runner");
    assert_eq!(job.worker_id, "worker-7");

    // A stale token is ignored: nothing extended.
    let mut stale = payload.clone();
    stale.jobs[0].lease_token = "not-the-lease".into();
    assert!(send(&mut pulse, stale).await.extended_leases.is_empty());

    // Silence: the lease (three intervals) runs out and the job goes back to retry.
    let job = harness.wait_for_state(&id, JobState::Retry).await;
    assert_eq!(job.attempts, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_job_comes_back_as_a_cancel_instruction() {
    let mut harness = Harness::start().await;
    let mut pulse = pulse_client(&harness).await;
    let id = harness
        .enqueue(spec("cancels", "report"))
        .await
        .job
        .unwrap()
        .id;
    let reserved = harness
        .reserve("cancels", 1, Duration::from_secs(30))
        .await
        .remove(0);
    let mut payload = beat("canceller", "svc", Duration::from_secs(5));
    payload.jobs = vec![CurrentJob {
        queue: "cancels".into(),
        job_id: id.clone(),
        lease_token: reserved.lease_token.clone(),
        started_at: None,
    }];
    assert!(
        send(&mut pulse, payload.clone())
            .await
            .instructions
            .is_empty()
    );
    harness
        .queues
        .cancel_job(CancelJobRequest {
            id: id.clone(),
            queue: "cancels".into(),
            reason: "operator said so".into(),
        })
        .await
        .expect("cancel job");
    let response = send(&mut pulse, payload).await;
    assert_eq!(response.instructions.len(), 1);
    let instruction = &response.instructions[0];
    assert_eq!(instruction.kind(), NodeInstructionKind::CancelJob);
    assert_eq!(instruction.queue, "cancels");
    assert_eq!(instruction.job_id, id);
    assert_eq!(instruction.reason, "operator said so");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiet_node_reaches_both_transports() {
    let harness = Harness::start().await;
    let mut pulse = pulse_client(&harness).await;
    send(&mut pulse, beat("grpc-node", "svc", Duration::from_secs(5))).await;
    let unknown = pulse
        .quiet_node(QuietNodeRequest {
            node_id: "nobody".into(),
            quiet: true,
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);

    let quieted = pulse
        .quiet_node(QuietNodeRequest {
            node_id: "grpc-node".into(),
            quiet: true,
        })
        .await
        .expect("quiet node")
        .into_inner()
        .node
        .unwrap();
    assert!(quieted.quiet_requested);
    let kinds = |response: BeatResponse| -> Vec<NodeInstructionKind> {
        response.instructions.iter().map(|i| i.kind()).collect()
    };
    let beat_quiet = beat("grpc-node", "svc", Duration::from_secs(5));
    assert_eq!(
        kinds(send(&mut pulse, beat_quiet.clone()).await),
        [NodeInstructionKind::Quiet]
    );
    assert_eq!(
        kinds(send(&mut pulse, beat_quiet.clone()).await),
        [NodeInstructionKind::Quiet]
    );
    pulse
        .quiet_node(QuietNodeRequest {
            node_id: "grpc-node".into(),
            quiet: false,
        })
        .await
        .expect("withdraw quiet");
    assert_eq!(
        kinds(send(&mut pulse, beat_quiet.clone()).await),
        [NodeInstructionKind::Resume]
    );
    assert!(kinds(send(&mut pulse, beat_quiet).await).is_empty());

    redis_beat(&harness, "vector-minimal", &vector("minimal.json"), 30).await;
    wait_for_node(
        &mut pulse,
        "vector-minimal",
        Duration::from_secs(5),
        Result::is_ok,
    )
    .await
    .unwrap();
    pulse
        .quiet_node(QuietNodeRequest {
            node_id: "vector-minimal".into(),
            quiet: true,
        })
        .await
        .expect("quiet redis node");
    let mut conn = harness.redis.connection().await.unwrap();
    let flag: Option<String> = redis::cmd("GET")
        .arg("zenith:pulse:quiet:vector-minimal")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(flag.as_deref(), Some("1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn external_queues_from_beats_appear_in_list_queues() {
    let mut harness = Harness::start().await;
    let mut pulse = pulse_client(&harness).await;
    harness.enqueue(spec("emails", "send")).await;
    let full = vector_beat("full");
    send(&mut pulse, full.clone()).await;
    let mut other = beat("other-node", "svc", Duration::from_secs(5));
    other.external_queues = vec![ExternalQueue {
        name: "jobs".into(),
        driver: "bullmq".into(),
        pending: 7,
        ..Default::default()
    }];
    send(&mut pulse, other).await;

    let all = harness
        .queues
        .list_queues(ListQueuesRequest::default())
        .await
        .unwrap()
        .into_inner();
    let listed: Vec<(QueueSource, String)> = all
        .queues
        .iter()
        .map(|queue| (queue.source(), queue.name.clone()))
        .collect();
    assert_eq!(
        listed,
        [
            (QueueSource::Zenith, "emails".to_string()),
            (QueueSource::External, "jobs".to_string()),
            (QueueSource::External, "default".to_string()),
        ]
    );
    let laravel = &all.queues[2];
    let origin = laravel.external.as_ref().unwrap();
    assert_eq!(
        (origin.driver.as_str(), origin.connection.as_str()),
        ("laravel", "redis")
    );
    assert_eq!(origin.reported_by, full.identity.unwrap().node_id);
    let counts = laravel.counts.unwrap();
    let expected = &full.external_queues[0];
    assert_eq!(counts.dead, expected.failed);
    assert_eq!(counts.pending, expected.pending);
    assert!(laravel.paused);

    // One queue per page walks across both parts.
    let mut names = Vec::new();
    let mut token = String::new();
    loop {
        let page = harness
            .queues
            .list_queues(ListQueuesRequest {
                page_size: 1,
                page_token: token.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        names.extend(page.queues.into_iter().map(|queue| queue.name));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(names, ["emails", "jobs", "default"]);

    let external_only = harness
        .queues
        .list_queues(ListQueuesRequest {
            source: QueueSource::External.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(external_only.queues.len(), 2);
    let zenith_only = harness
        .queues
        .list_queues(ListQueuesRequest {
            source: QueueSource::Zenith.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(zenith_only.queues.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_nodes_sends_a_snapshot_then_changes() {
    let harness = Harness::start().await;
    let mut pulse = pulse_client(&harness).await;
    send(&mut pulse, beat("first", "svc", Duration::from_secs(5))).await;
    let mut stream = pulse
        .watch_nodes(WatchNodesRequest::default())
        .await
        .expect("watch nodes")
        .into_inner();
    let snapshot = stream.message().await.unwrap().expect("snapshot");
    assert!(snapshot.snapshot);
    assert_eq!(snapshot.changes.len(), 1);
    assert_eq!(snapshot.changes[0].kind(), NodeChangeKind::Added);

    send(&mut pulse, beat("second", "svc", Duration::from_secs(5))).await;
    let added = stream.message().await.unwrap().expect("change");
    assert!(!added.snapshot);
    assert_eq!(added.changes[0].kind(), NodeChangeKind::Added);
    let node = added.changes[0].node.as_ref().unwrap();
    assert_eq!(
        node.beat
            .as_ref()
            .unwrap()
            .identity
            .as_ref()
            .unwrap()
            .node_id,
        "second"
    );

    send(&mut pulse, beat("first", "svc", Duration::from_secs(5))).await;
    let updated = stream.message().await.unwrap().expect("change");
    assert_eq!(updated.changes[0].kind(), NodeChangeKind::Updated);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_metrics_average_the_beats_of_a_minute() {
    let harness = Harness::start().await;
    let mut pulse = pulse_client(&harness).await;
    let mut payload = beat("measured", "svc", Duration::from_secs(5));
    for cpu in [10.0, 30.0] {
        payload.process.as_mut().unwrap().cpu_percent = cpu;
        send(&mut pulse, payload.clone()).await;
    }
    let points = pulse
        .get_node_metrics(GetNodeMetricsRequest {
            node_id: "measured".into(),
        })
        .await
        .expect("node metrics")
        .into_inner()
        .points;
    assert!(!points.is_empty() && points.len() <= 2, "{points:?}");
    let last = points.last().unwrap();
    assert!(last.minute.is_some());
    assert_eq!(last.process_memory_rss_bytes, 1000);
    // Two beats in one minute average to 20; across a minute boundary the last has 30.
    if points.len() == 1 {
        assert_eq!(last.process_cpu_percent, 20.0);
    } else {
        assert_eq!(last.process_cpu_percent, 30.0);
    }
    let missing = pulse
        .get_node_metrics(GetNodeMetricsRequest {
            node_id: "nobody".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_native_beats_extend_leases_too() {
    let mut harness = Harness::start().await;
    let id = harness
        .enqueue(spec("native", "report"))
        .await
        .job
        .unwrap()
        .id;
    let reserved = harness
        .reserve("native", 1, Duration::from_secs(2))
        .await
        .remove(0);
    let mut payload = beat("native-runner", "svc", Duration::from_secs(1));
    payload.jobs = vec![CurrentJob {
        queue: "native".into(),
        job_id: id.clone(),
        lease_token: reserved.lease_token.clone(),
        started_at: None,
    }];
    let json = zenith_proto::to_json(&payload).to_string();
    for _ in 0..5 {
        redis_beat(&harness, "native-runner", json.as_bytes(), 3).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let job = harness.job(&id).await;
    assert_eq!(job.state(), JobState::Active);
    assert_eq!(job.node_id, "native-runner");
    harness.wait_for_state(&id, JobState::Retry).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_share_one_view() {
    let harness = Harness::start().await;
    let replica = zenith_testkit::ZenithServer::start_with(
        env!("CARGO_BIN_EXE_zenith").as_ref(),
        &harness.redis.url(),
        &[],
    )
    .expect("start a second replica");
    let mut first = pulse_client(&harness).await;
    let mut second = PulseServiceClient::new(
        Channel::from_shared(replica.url())
            .unwrap()
            .connect()
            .await
            .expect("connect to the second replica"),
    );
    let sent = send(&mut first, beat("shared", "svc", Duration::from_secs(5))).await;
    let seen = wait_for_node(&mut second, "shared", Duration::from_secs(5), Result::is_ok)
        .await
        .unwrap();
    assert_eq!(seen.transport(), BeatTransport::Grpc);
    assert_eq!(seen.last_beat_at, sent.server_time);

    redis_beat(&harness, "vector-minimal", &vector("minimal.json"), 30).await;
    let on_first = wait_for_node(
        &mut first,
        "vector-minimal",
        Duration::from_secs(5),
        Result::is_ok,
    )
    .await
    .unwrap();
    let on_second = wait_for_node(
        &mut second,
        "vector-minimal",
        Duration::from_secs(5),
        Result::is_ok,
    )
    .await
    .unwrap();
    // Recorded once, by whichever replica saw it first: both show the same times.
    assert_eq!(on_first.last_beat_at, on_second.last_beat_at);
    assert_eq!(on_first.first_seen_at, on_second.first_seen_at);
    assert_eq!(on_second.transport(), BeatTransport::Redis);
}
