//! Access control through a real server: every RPC of the contract called by every kind of
//! caller, audit events, payload redaction, queue scopes, revocation, rate limits, open mode
//! and the `zenith keys` bootstrap.

use std::process::Command;
use std::str::FromStr;
use std::time::Duration;

use tonic::Code;
use tonic::transport::Channel;
use tonic_types::StatusExt;
use zenith_proto::DESCRIPTOR_POOL;
use zenith_proto::v1::admin_service_client::AdminServiceClient;
use zenith_proto::v1::queue_service_client::QueueServiceClient;
use zenith_proto::v1::*;
use zenith_server::auth::{Access, QueueScope, rule_for};
use zenith_testkit::{RedisServer, ZenithServer};

const ZENITH: &str = env!("CARGO_BIN_EXE_zenith");
const BOOTSTRAP: &str = "zk_bootstrap_0123456789abcdefghijklmnopqrstuvwxyzABCD";

struct Secured {
    channel: Channel,
    server: ZenithServer,
    _redis: RedisServer,
}

async fn start(args: &[&str]) -> Secured {
    let redis = RedisServer::start().expect("start redis");
    let server =
        ZenithServer::start_with(ZENITH.as_ref(), &redis.url(), args).expect("start zenith");
    let channel = Channel::from_shared(server.url())
        .unwrap()
        .connect()
        .await
        .unwrap();
    Secured {
        channel,
        server,
        _redis: redis,
    }
}

async fn start_secured() -> Secured {
    start(&["--bootstrap-admin-key", BOOTSTRAP]).await
}

fn with_key<T>(message: T, token: Option<&str>) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    if let Some(token) = token {
        request
            .metadata_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    request
}

fn admin(secured: &Secured) -> AdminServiceClient<Channel> {
    AdminServiceClient::new(secured.channel.clone())
}

fn queues(secured: &Secured) -> QueueServiceClient<Channel> {
    QueueServiceClient::new(secured.channel.clone())
}

async fn create_key(secured: &Secured, request: CreateApiKeyRequest) -> (ApiKey, String) {
    let response = admin(secured)
        .create_api_key(with_key(request, Some(BOOTSTRAP)))
        .await
        .expect("create key")
        .into_inner();
    (response.key.unwrap(), response.token)
}

fn key_request(name: &str, role: Role) -> CreateApiKeyRequest {
    CreateApiKeyRequest {
        name: name.into(),
        role: role as i32,
        payloads: true,
        ..Default::default()
    }
}

/// Calls any RPC with an empty request: the answer is thrown away, only the status counts.
async fn call(channel: &Channel, path: &str, token: Option<&str>) -> Result<(), tonic::Status> {
    let (service, method) = path
        .trim_start_matches('/')
        .split_once('/')
        .expect("full method path");
    let streaming = DESCRIPTOR_POOL
        .get_service_by_name(service)
        .and_then(|service| service.methods().find(|m| m.name() == method))
        .expect("method in the contract")
        .is_server_streaming();
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready().await.expect("channel ready");
    // A message with no fields: empty on the way out, and any answer decodes into it.
    let codec = tonic_prost::ProstCodec::<WhoAmIRequest, WhoAmIRequest>::default();
    let path = http::uri::PathAndQuery::from_str(path).unwrap();
    let request = with_key(WhoAmIRequest {}, token);
    if streaming {
        grpc.server_streaming(request, path, codec).await.map(drop)
    } else {
        grpc.unary(request, path, codec).await.map(drop)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    Unauthenticated,
    Denied,
    Admitted,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rpc_admits_exactly_the_roles_its_policy_names() {
    let secured = start_secured().await;
    let mut callers: Vec<(&str, Option<String>, Option<Role>, bool)> = Vec::new();
    for (name, role) in [
        ("viewer", Role::Viewer),
        ("operator", Role::Operator),
        ("admin", Role::Admin),
        ("worker", Role::Worker),
    ] {
        let (_, token) = create_key(&secured, key_request(name, role)).await;
        callers.push((name, Some(token), Some(role), false));
    }
    let (scoped, scoped_token) = create_key(
        &secured,
        CreateApiKeyRequest {
            queues: vec!["allowed".into()],
            ..key_request("scoped operator", Role::Operator)
        },
    )
    .await;
    assert_eq!(scoped.queues, ["allowed"]);
    callers.push((
        "scoped operator",
        Some(scoped_token),
        Some(Role::Operator),
        true,
    ));
    let (revoked, revoked_token) = create_key(&secured, key_request("gone", Role::Admin)).await;
    admin(&secured)
        .revoke_api_key(with_key(
            RevokeApiKeyRequest {
                id: revoked.id.clone(),
            },
            Some(BOOTSTRAP),
        ))
        .await
        .unwrap();
    callers.push(("revoked", Some(revoked_token), None, false));
    callers.push(("anonymous", None, None, false));
    callers.push((
        "garbage",
        Some("zk_nosuchkey_0123456789abcdefghijklmnopqrstuvwxyz".into()),
        None,
        false,
    ));
    callers.push(("malformed", Some("hunter2".into()), None, false));

    let mut mismatches = Vec::new();
    let paths = zenith_proto::rpc_paths();
    assert!(paths.len() > 80, "{}", paths.len());
    for path in &paths {
        let rule = rule_for(path).unwrap_or_else(|| panic!("{path} has no policy"));
        for (name, token, role, is_scoped) in &callers {
            let expected = match role {
                None => Expect::Unauthenticated,
                Some(role) if !rule.access.allows(*role) => Expect::Denied,
                // An empty request names no queue: a scoped key may not make it.
                Some(_)
                    if *is_scoped
                        && matches!(rule.scope, QueueScope::Global | QueueScope::Named) =>
                {
                    Expect::Denied
                }
                Some(_) => Expect::Admitted,
            };
            let got = match call(&secured.channel, path, token.as_deref()).await {
                Err(status) if status.code() == Code::Unauthenticated => Expect::Unauthenticated,
                Err(status) if status.code() == Code::PermissionDenied => Expect::Denied,
                _ => Expect::Admitted,
            };
            if got != expected {
                mismatches.push(format!(
                    "{path} as {name}: expected {expected:?}, got {got:?}"
                ));
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));

    // Spot checks that do not lean on the table.
    let viewer = callers[0].1.as_deref();
    let operator = callers[1].1.as_deref();
    let worker = callers[3].1.as_deref();
    for (path, token, code) in [
        (
            "/zenith.v1.QueueService/PurgeQueue",
            viewer,
            Code::PermissionDenied,
        ),
        (
            "/zenith.v1.QueueService/PurgeQueue",
            operator,
            Code::PermissionDenied,
        ),
        (
            "/zenith.v1.QueueService/DeleteJob",
            operator,
            Code::PermissionDenied,
        ),
        (
            "/zenith.v1.QueueService/ListQueues",
            worker,
            Code::PermissionDenied,
        ),
        (
            "/zenith.v1.AdminService/CreateApiKey",
            operator,
            Code::PermissionDenied,
        ),
        (
            "/zenith.v1.WorkerService/Reserve",
            viewer,
            Code::PermissionDenied,
        ),
    ] {
        let status = call(&secured.channel, path, token).await.unwrap_err();
        assert_eq!(status.code(), code, "{path}: {status:?}");
    }
    let status = call(
        &secured.channel,
        "/zenith.v1.QueueService/PurgeQueue",
        viewer,
    )
    .await
    .unwrap_err();
    assert!(
        status.message().contains("needs admin"),
        "{}",
        status.message()
    );

    // Every refusal above is in the audit log, with who and what; the log is written in
    // the background, so wait for the last refusal to arrive.
    let events = eventually(|| async {
        let events = audit_events(
            &secured,
            ListAuditEventsRequest {
                rpc: "/zenith.v1.QueueService/PurgeQueue".into(),
                failures_only: true,
                page_size: 1000,
                ..Default::default()
            },
        )
        .await;
        let viewer_denials = events
            .iter()
            .filter(|event| event.key_name == "viewer")
            .count();
        (viewer_denials >= 3).then_some(events)
    })
    .await;
    let viewer_denials: Vec<_> = events
        .iter()
        .filter(|event| event.key_name == "viewer")
        .collect();
    assert!(!viewer_denials.is_empty(), "{events:?}");
    assert!(
        viewer_denials
            .iter()
            .all(|event| event.code == "PERMISSION_DENIED" && event.principal.starts_with("key:"))
    );
    assert!(
        events
            .iter()
            .any(|event| event.principal.starts_with("anonymous@")
                && event.code == "UNAUTHENTICATED"),
        "{events:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutations_are_audited_with_their_target() {
    let secured = start_secured().await;
    let (operator, token) = create_key(&secured, key_request("ops", Role::Operator)).await;
    queues(&secured)
        .enqueue(with_key(
            EnqueueRequest {
                job: Some(JobSpec {
                    queue: "emails".into(),
                    r#type: "send".into(),
                    ..Default::default()
                }),
            },
            Some(&token),
        ))
        .await
        .unwrap();
    queues(&secured)
        .pause_queue(with_key(
            PauseQueueRequest {
                name: "emails".into(),
            },
            Some(&token),
        ))
        .await
        .unwrap();
    let denied = queues(&secured)
        .purge_queue(with_key(
            PurgeQueueRequest {
                queue: "emails".into(),
                ..Default::default()
            },
            Some(&token),
        ))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    // Reads are not audited.
    queues(&secured)
        .list_queues(with_key(ListQueuesRequest::default(), Some(&token)))
        .await
        .unwrap();

    let principal = format!("key:{}", operator.id);
    let events = eventually(|| async {
        let events = audit_events(
            &secured,
            ListAuditEventsRequest {
                principal: principal.clone(),
                ..Default::default()
            },
        )
        .await;
        (events.len() >= 2).then_some(events)
    })
    .await;
    assert_eq!(events.len(), 2, "{events:?}");
    // Newest first.
    assert_eq!(events[0].rpc, "/zenith.v1.QueueService/PurgeQueue");
    assert_eq!(events[0].code, "PERMISSION_DENIED");
    assert_eq!(events[1].rpc, "/zenith.v1.QueueService/PauseQueue");
    assert_eq!(events[1].code, "OK");
    assert_eq!(events[1].target, "emails");
    assert_eq!(events[1].key_name, "ops");
    assert_eq!(events[1].role, Role::Operator as i32);
    assert!(
        events[1].request.contains("emails"),
        "{}",
        events[1].request
    );
    assert_eq!(events[1].peer, "127.0.0.1");

    // The job history names the key too.
    let queue = queues(&secured)
        .get_queue(with_key(
            GetQueueRequest {
                name: "emails".into(),
            },
            Some(&token),
        ))
        .await
        .unwrap()
        .into_inner()
        .queue
        .unwrap();
    assert!(queue.paused);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_without_payload_access_see_jobs_without_payloads() {
    let secured = start_secured().await;
    let (_, blind) = create_key(
        &secured,
        CreateApiKeyRequest {
            payloads: false,
            ..key_request("blind", Role::Viewer)
        },
    )
    .await;
    let (_, sighted) = create_key(&secured, key_request("sighted", Role::Viewer)).await;
    let job = queues(&secured)
        .enqueue(with_key(
            EnqueueRequest {
                job: Some(JobSpec {
                    queue: "emails".into(),
                    r#type: "send".into(),
                    payload: br#"{"card":"4111 1111 1111 1111"}"#.to_vec(),
                    ..Default::default()
                }),
            },
            Some(BOOTSTRAP),
        ))
        .await
        .unwrap()
        .into_inner()
        .job
        .unwrap();
    let get = |token: String| {
        let mut client = queues(&secured);
        let id = job.id.clone();
        async move {
            client
                .get_job(with_key(
                    GetJobRequest {
                        id,
                        queue: "emails".into(),
                        ..Default::default()
                    },
                    Some(&token),
                ))
                .await
                .unwrap()
                .into_inner()
                .job
                .unwrap()
        }
    };
    let hidden = get(blind.clone()).await;
    assert!(
        hidden.payload.is_empty() && hidden.payload_redacted,
        "{hidden:?}"
    );
    assert_eq!(hidden.id, job.id);
    assert_eq!(hidden.r#type, "send");
    let shown = get(sighted).await;
    assert_eq!(shown.payload, job.payload);
    assert!(!shown.payload_redacted);

    let listed = queues(&secured)
        .list_jobs(with_key(
            ListJobsRequest {
                queue: "emails".into(),
                state: JobState::Pending as i32,
                ..Default::default()
            },
            Some(&blind),
        ))
        .await
        .unwrap()
        .into_inner()
        .jobs;
    assert_eq!(listed.len(), 1);
    assert!(listed[0].payload.is_empty() && listed[0].payload_redacted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scoped_keys_stay_within_their_queues() {
    let secured = start_secured().await;
    let (_, token) = create_key(
        &secured,
        CreateApiKeyRequest {
            queues: vec!["billing".into()],
            queue_prefix: "team-a-".into(),
            ..key_request("team a", Role::Operator)
        },
    )
    .await;
    for queue in ["billing", "team-a-mail", "other"] {
        queues(&secured)
            .enqueue(with_key(
                EnqueueRequest {
                    job: Some(JobSpec {
                        queue: queue.into(),
                        r#type: "t".into(),
                        ..Default::default()
                    }),
                },
                Some(BOOTSTRAP),
            ))
            .await
            .unwrap();
    }
    let pause = |name: &str| {
        let mut client = queues(&secured);
        let request = with_key(PauseQueueRequest { name: name.into() }, Some(&token));
        async move { client.pause_queue(request).await }
    };
    pause("billing").await.unwrap();
    pause("team-a-mail").await.unwrap();
    let refused = pause("other").await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert!(refused.message().contains("other"), "{}", refused.message());

    let names: Vec<String> = queues(&secured)
        .list_queues(with_key(ListQueuesRequest::default(), Some(&token)))
        .await
        .unwrap()
        .into_inner()
        .queues
        .into_iter()
        .map(|queue| queue.name)
        .collect();
    assert_eq!(names, ["billing", "team-a-mail"]);

    // A batch reaching outside the scope is refused whole.
    let batch = queues(&secured)
        .batch_enqueue(with_key(
            BatchEnqueueRequest {
                jobs: ["billing", "other"]
                    .into_iter()
                    .map(|queue| JobSpec {
                        queue: queue.into(),
                        r#type: "t".into(),
                        ..Default::default()
                    })
                    .collect(),
            },
            Some(&token),
        ))
        .await
        .unwrap_err();
    assert_eq!(batch.code(), Code::PermissionDenied);

    // The scope check reads the message, up to the message limit and no further.
    let oversized = queues(&secured)
        .enqueue(with_key(
            EnqueueRequest {
                job: Some(JobSpec {
                    queue: "billing".into(),
                    r#type: "t".into(),
                    payload: vec![b'x'; 6 << 20],
                    ..Default::default()
                }),
            },
            Some(&token),
        ))
        .await
        .unwrap_err();
    assert_eq!(oversized.code(), Code::ResourceExhausted, "{oversized:?}");
    assert!(
        oversized
            .message()
            .contains("exceeds the limit of 4194304 bytes"),
        "{oversized:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_and_expired_keys_are_refused_and_rates_are_limited() {
    let secured = start_secured().await;
    let (key, token) = create_key(&secured, key_request("soon gone", Role::Viewer)).await;
    let list = |token: String| {
        let mut client = queues(&secured);
        async move {
            client
                .list_queues(with_key(ListQueuesRequest::default(), Some(&token)))
                .await
        }
    };
    list(token.clone()).await.unwrap();
    admin(&secured)
        .revoke_api_key(with_key(
            RevokeApiKeyRequest { id: key.id.clone() },
            Some(BOOTSTRAP),
        ))
        .await
        .unwrap();
    let refused = list(token).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);
    assert!(
        refused.message().contains("revoked"),
        "{}",
        refused.message()
    );

    let (_, limited) = create_key(
        &secured,
        CreateApiKeyRequest {
            requests_per_second: 2,
            ..key_request("slow", Role::Viewer)
        },
    )
    .await;
    let mut limited_status = None;
    for _ in 0..10 {
        if let Err(status) = list(limited.clone()).await {
            limited_status = Some(status);
            break;
        }
    }
    let status = limited_status.expect("ten calls at once exceed 2 per second");
    assert_eq!(status.code(), Code::ResourceExhausted);
    let retry = status.get_details_retry_info().expect("retry info");
    assert!(
        retry
            .retry_delay
            .is_some_and(|delay| delay <= Duration::from_secs(1))
    );

    let invalid = admin(&secured)
        .create_api_key(with_key(
            CreateApiKeyRequest {
                name: "no role".into(),
                ..Default::default()
            },
            Some(BOOTSTRAP),
        ))
        .await
        .unwrap_err();
    assert_eq!(invalid.code(), Code::InvalidArgument);
    assert!(invalid.message().contains("role"), "{}", invalid.message());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_mode_ends_when_the_first_key_is_made_with_the_cli() {
    let secured = start(&[]).await;
    let who = admin(&secured)
        .who_am_i(WhoAmIRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(who.open && who.key.is_none(), "{who:?}");
    assert_eq!(who.role, Role::Admin as i32);

    let output = Command::new(ZENITH)
        .args(["keys", "create", "--role", "admin", "--name", "first"])
        .args(["--database-url", secured.server.database_url()])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    assert!(token.starts_with("zk_"), "{token}");

    // The server learns of the key on its next refresh, or at once when the key is used.
    let who = admin(&secured)
        .who_am_i(with_key(WhoAmIRequest {}, Some(&token)))
        .await
        .unwrap()
        .into_inner();
    assert!(!who.open);
    assert_eq!(who.key.unwrap().name, "first");
    let anonymous = admin(&secured)
        .who_am_i(WhoAmIRequest {})
        .await
        .unwrap_err();
    assert_eq!(anonymous.code(), Code::Unauthenticated);

    let listed = Command::new(ZENITH)
        .args([
            "keys",
            "list",
            "--database-url",
            secured.server.database_url(),
        ])
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.contains("first") && listed.contains("admin"),
        "{listed}"
    );
    assert!(
        !listed.contains(&token[token.len() - 20..]),
        "secrets are never listed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_server_off_loopback_refuses_to_start() {
    let redis = RedisServer::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // The check runs before anything listens, so nothing binds outside loopback.
    let output = Command::new(ZENITH)
        .args([
            "serve",
            "--listen",
            "0.0.0.0:1",
            "--redis-url",
            &redis.url(),
        ])
        .arg("--database-url")
        .arg(format!("sqlite://{}", dir.path().join("z.db").display()))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--insecure"), "{stderr}");
}

/// The audit log as the bootstrap admin sees it.
async fn audit_events(secured: &Secured, request: ListAuditEventsRequest) -> Vec<AuditEvent> {
    admin(secured)
        .list_audit_events(with_key(request, Some(BOOTSTRAP)))
        .await
        .unwrap()
        .into_inner()
        .events
}

async fn eventually<T, F, Fut>(mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..100 {
        if let Some(value) = probe().await {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("condition not met within 5 s")
}

#[test]
fn data_plane_calls_are_not_audited_but_control_plane_ones_are() {
    for (path, audited) in [
        ("/zenith.v1.WorkerService/Ack", false),
        ("/zenith.v1.QueueService/Enqueue", false),
        ("/zenith.v1.QueueService/RetryJob", true),
        ("/zenith.v1.AdminService/RevokeApiKey", true),
        ("/zenith.v1.AdminService/ListAuditEvents", false),
    ] {
        assert_eq!(rule_for(path).unwrap().access.audited(), audited, "{path}");
    }
    assert_eq!(
        rule_for("/zenith.v1.AdminService/WhoAmI").unwrap().access,
        Access::Anyone
    );
}
