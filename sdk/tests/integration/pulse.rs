//! The pulse agent against a real server: the shared test vectors, a worker's beats listing
//! its running job, and an operator's quiet request stopping it from reserving.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use prost::Message as _;
use zenith_sdk::proto::{BeatPayload, Node};
use zenith_sdk::{Client, JobState, Worker};

use super::common::{self, wait_for_state};

const WAIT: Duration = Duration::from_secs(30);

fn vectors() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/pulse")
}

#[test]
fn every_pulse_vector_decodes_from_json_and_binary_to_equal_messages() -> anyhow::Result<()> {
    let mut checked = 0;
    for entry in std::fs::read_dir(vectors())? {
        let path = entry?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if path.extension().is_none_or(|extension| extension != "json") {
            continue;
        }
        let json = std::fs::read(&path)?;
        if name.starts_with("invalid-") {
            // Either not a BeatPayload at all, or one without the required identity.
            let refused = zenith_proto::from_json::<BeatPayload>(&json)
                .map_or(true, |beat| beat.identity.is_none());
            assert!(refused, "{name} must be refused");
            continue;
        }
        let from_json: BeatPayload =
            zenith_proto::from_json(&json).map_err(|error| anyhow::anyhow!("{name}: {error}"))?;
        let binary = std::fs::read(path.with_extension("binpb"))?;
        let from_binary = BeatPayload::decode(binary.as_slice())?;
        assert_eq!(from_json, from_binary, "{name}");
        assert_eq!(
            BeatPayload::decode(from_json.encode_to_vec().as_slice())?,
            from_binary,
            "{name} re-encoded"
        );
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} vectors found");
    Ok(())
}

/// Polls the node until `check` holds; fails with its last form otherwise.
async fn wait_for_node(
    client: &Client,
    node_id: &str,
    what: &str,
    check: impl Fn(&Node) -> bool,
) -> anyhow::Result<Node> {
    let started = Instant::now();
    loop {
        match client.get_node(node_id).await {
            Ok(node) if check(&node) => return Ok(node),
            Ok(node) if started.elapsed() > WAIT => {
                anyhow::bail!("node {node_id} never {what}: {node:?}")
            }
            Err(error) if started.elapsed() > WAIT => {
                anyhow::bail!("node {node_id} never {what}: {error}")
            }
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_beats_its_jobs_and_an_operators_quiet_stops_it_reserving() -> anyhow::Result<()> {
    let harness = common::start().await?;
    let client = &harness.client;
    let (release_tx, release_rx) = tokio::sync::watch::channel(false);
    let worker = Worker::builder(client.clone())
        .queue("reports")
        .concurrency(2)
        .poll_wait(Duration::from_millis(300))
        .service("report-worker")
        .pulse_interval(Duration::from_secs(1))
        .handle("slow", move |_job| {
            let mut release = release_rx.clone();
            async move {
                release.wait_for(|released| *released).await?;
                Ok(())
            }
        })
        .handle("fast", |_job| async { Ok(()) })
        .build()?;
    let node_id = worker.node_id().expect("pulse is on by default").to_owned();
    let stop = tokio_util::sync::CancellationToken::new();
    let stopped = stop.clone();
    let running = tokio::spawn(worker.run_until(async move { stopped.cancelled().await }));

    let slow = client.enqueue("reports", "slow").send().await?.job.id;
    let node = wait_for_node(client, &node_id, "listed the slow job", |node| {
        node.beat
            .as_ref()
            .is_some_and(|beat| beat.jobs.iter().any(|job| job.job_id == slow))
    })
    .await?;
    let beat = node.beat.expect("beat");
    let identity = beat.identity.expect("identity");
    assert_eq!(identity.service, "report-worker");
    assert_eq!(identity.language, "rust");
    assert_eq!(beat.queues, ["reports"]);
    assert!(
        beat.process
            .is_some_and(|process| process.memory_rss_bytes > 0)
    );
    release_tx.send(true)?;
    wait_for_state(client, &slow, JobState::Completed, WAIT).await?;

    client.quiet_node(&node_id, true).await?;
    wait_for_node(client, &node_id, "reported quiet", |node| {
        node.beat.as_ref().is_some_and(|beat| beat.quiet)
    })
    .await?;
    // A reserve already waiting when the instruction arrived ends within its poll wait.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let fast = client.enqueue("reports", "fast").send().await?.job.id;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(client.get_job(&fast).await?.state(), JobState::Pending);

    client.quiet_node(&node_id, false).await?;
    wait_for_state(client, &fast, JobState::Completed, WAIT).await?;
    wait_for_node(client, &node_id, "took work again", |node| {
        node.beat.as_ref().is_some_and(|beat| !beat.quiet)
    })
    .await?;

    stop.cancel();
    running.await??;
    Ok(())
}
