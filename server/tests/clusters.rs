//! Several clusters in one `zenith serve`: two real Redis servers, each call routed by its
//! `x-zenith-cluster` metadata.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{error_reason, readyz, spec};
use tonic::transport::Channel;
use tonic::{Code, Request};
use zenith_proto::v1::admin_service_client::AdminServiceClient;
use zenith_proto::v1::queue_service_client::QueueServiceClient;
use zenith_proto::v1::*;
use zenith_testkit::{RedisServer, ZenithServer};

const ZENITH: &str = env!("CARGO_BIN_EXE_zenith");

fn to<T>(cluster: Option<&str>, message: T) -> Request<T> {
    let mut request = Request::new(message);
    if let Some(name) = cluster {
        request
            .metadata_mut()
            .insert("x-zenith-cluster", name.parse().unwrap());
    }
    request
}

async fn enqueue(
    queues: &mut QueueServiceClient<Channel>,
    cluster: Option<&str>,
    queue: &str,
) -> Result<Job, tonic::Status> {
    let response = queues
        .enqueue(to(
            cluster,
            EnqueueRequest {
                job: Some(spec(queue, "send")),
            },
        ))
        .await?;
    Ok(response.into_inner().job.unwrap())
}

async fn queue_names(
    queues: &mut QueueServiceClient<Channel>,
    cluster: Option<&str>,
) -> Vec<String> {
    let mut names: Vec<String> = queues
        .list_queues(to(cluster, ListQueuesRequest::default()))
        .await
        .expect("list queues")
        .into_inner()
        .queues
        .into_iter()
        .map(|queue| queue.name)
        .collect();
    names.sort();
    names
}

/// Every key of the Redis server (a test may look; the server never does).
async fn redis_keys(redis: &RedisServer) -> Vec<String> {
    let mut connection = redis.connection().await.unwrap();
    redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut connection)
        .await
        .unwrap()
}

async fn list_clusters(admin: &mut AdminServiceClient<Channel>) -> Vec<Cluster> {
    admin
        .list_clusters(ListClustersRequest {})
        .await
        .expect("list clusters")
        .into_inner()
        .clusters
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_cluster_keeps_its_own_jobs() {
    let dev_redis = RedisServer::start().expect("start dev redis");
    let mut prod_redis = RedisServer::start().expect("start prod redis");
    // The first entry is bare: it takes --redis-url (the dev Redis) from the harness.
    let clusters = format!("dev,prod={}", prod_redis.url());
    let server = ZenithServer::start_with(
        Path::new(ZENITH),
        &dev_redis.url(),
        &["--clusters", &clusters],
    )
    .expect("start zenith");
    let channel = Channel::from_shared(server.url())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut queues = QueueServiceClient::new(channel.clone());
    let mut admin = AdminServiceClient::new(channel);

    let dev_job = enqueue(&mut queues, Some("dev"), "dev-emails")
        .await
        .unwrap();
    let prod_job = enqueue(&mut queues, Some("prod"), "prod-emails")
        .await
        .unwrap();
    // No metadata, or empty metadata: the default (first) cluster.
    enqueue(&mut queues, None, "plain").await.unwrap();
    enqueue(&mut queues, Some(""), "empty").await.unwrap();

    assert_eq!(
        queue_names(&mut queues, Some("dev")).await,
        ["dev-emails", "empty", "plain"]
    );
    assert_eq!(
        queue_names(&mut queues, None).await,
        ["dev-emails", "empty", "plain"]
    );
    assert_eq!(
        queue_names(&mut queues, Some("prod")).await,
        ["prod-emails"]
    );
    let prod_jobs = queues
        .list_jobs(to(
            Some("prod"),
            ListJobsRequest {
                queue: "prod-emails".into(),
                state: JobState::Pending as i32,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .jobs;
    assert_eq!(
        prod_jobs.iter().map(|job| &job.id).collect::<Vec<_>>(),
        [&prod_job.id]
    );
    let across = queues
        .get_job(to(
            Some("dev"),
            GetJobRequest {
                id: prod_job.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .expect_err("a prod job is not in dev");
    assert_eq!(across.code(), Code::NotFound, "{across:?}");

    let dev_keys = redis_keys(&dev_redis).await;
    let prod_keys = redis_keys(&prod_redis).await;
    assert!(
        dev_keys.iter().any(|key| key.contains("{dev-emails}")),
        "{dev_keys:?}"
    );
    assert!(
        !dev_keys.iter().any(|key| key.contains("prod-emails")),
        "{dev_keys:?}"
    );
    assert!(
        prod_keys.iter().any(|key| key.contains("{prod-emails}")),
        "{prod_keys:?}"
    );
    assert!(
        !prod_keys
            .iter()
            .any(|key| key.contains("dev-emails") || key.contains("plain")),
        "{prod_keys:?}"
    );
    assert!(
        prod_keys.iter().all(|key| !key.contains(&dev_job.id)),
        "{prod_keys:?}"
    );

    // An unknown cluster is refused before anything runs.
    let unknown = enqueue(&mut queues, Some("staging"), "staging-emails")
        .await
        .expect_err("unknown cluster");
    assert_eq!(unknown.code(), Code::NotFound, "{unknown:?}");
    assert_eq!(error_reason(&unknown), "CLUSTER_NOT_FOUND");
    assert!(unknown.message().contains("\"staging\""), "{unknown:?}");
    assert!(unknown.message().contains("dev, prod"), "{unknown:?}");
    assert_eq!(
        queue_names(&mut queues, Some("dev")).await,
        ["dev-emails", "empty", "plain"]
    );
    assert_eq!(
        queue_names(&mut queues, Some("prod")).await,
        ["prod-emails"]
    );

    // The CLI reaches the cluster --cluster names.
    let cli = |args: &[&str]| {
        let output = Command::new(ZENITH)
            .args(["--server", &server.url()])
            .args(args)
            .env("ZENITH_LOG", "warn")
            .env_remove("ZENITH_CLUSTER")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "zenith {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let prod_queues: serde_json::Value =
        serde_json::from_str(&cli(&["--cluster", "prod", "queues", "--json"])).unwrap();
    let names: Vec<&str> = prod_queues["queues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|queue| queue["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["prod-emails"]);
    let table = cli(&["clusters"]);
    assert!(table.contains("prod") && table.contains("dev"), "{table}");
    let listed: serde_json::Value = serde_json::from_str(&cli(&["clusters", "--json"])).unwrap();
    assert_eq!(listed["clusters"][1]["name"], "prod", "{listed}");

    let clusters = list_clusters(&mut admin).await;
    let summary: Vec<(&str, bool, bool)> = clusters
        .iter()
        .map(|cluster| (cluster.name.as_str(), cluster.default, cluster.reachable))
        .collect();
    assert_eq!(summary, [("dev", true, true), ("prod", false, true)]);
    assert_eq!(clusters[1].redis_address, prod_redis.url());
    assert_eq!(clusters[1].database, "sqlite");
    let ready = readyz(server.port()).await;
    assert!(ready.starts_with("HTTP/1.1 200"), "{ready}");
    assert!(ready.contains("\"prod\""), "{ready}");

    prod_redis.stop();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let clusters = list_clusters(&mut admin).await;
        if !clusters[1].reachable {
            assert!(clusters[0].reachable, "{clusters:?}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "prod still reachable: {clusters:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let not_ready = readyz(server.port()).await;
    assert!(not_ready.starts_with("HTTP/1.1 503"), "{not_ready}");
    // The default cluster keeps working while another is down.
    enqueue(&mut queues, None, "plain").await.unwrap();
}

#[test]
fn bad_cluster_configuration_stops_serve_naming_the_entry() {
    let redis = RedisServer::start().expect("start redis");
    let other = redis.url();
    let cases = [
        (format!("dev,dev={other}"), "\"dev\""),
        (format!("dev,dev={other}"), "duplicate"),
        (format!("dev,Prod={other}"), "\"Prod\""),
        (format!("dev,={other}"), "clusters[1]"),
        ("dev,prod=http://x:1".to_owned(), "\"prod\""),
        ("dev,prod=http://x:1".to_owned(), "redis_url"),
        ("dev,prod".to_owned(), "NAME=REDIS_URL"),
    ];
    for (clusters, expected) in cases {
        let (code, stderr) = ZenithServer::run_expecting_exit(
            Path::new(ZENITH),
            &redis.url(),
            &["--clusters", &clusters],
            Duration::from_secs(30),
        )
        .unwrap();
        assert_ne!(code, Some(0), "{clusters}");
        assert!(stderr.contains(expected), "{clusters}: {stderr}");
    }
    let (code, stderr) = ZenithServer::run_expecting_exit(
        Path::new(ZENITH),
        &redis.url(),
        &[
            "--clusters",
            &format!("dev,prod={other}"),
            "--cluster-database-urls",
            "staging=sqlite://staging.db",
        ],
        Duration::from_secs(30),
    )
    .unwrap();
    assert_ne!(code, Some(0));
    assert!(stderr.contains("\"staging\""), "{stderr}");
}
