//! The pulse against a real Redis and a real server: both transports, health, X-ray, quiet,
//! watch and metrics.

mod common;

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{Harness, duration};
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
    for bad in ["broken", "anonymous"] {
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
