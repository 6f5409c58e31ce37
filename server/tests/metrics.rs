//! Queue metrics, the live watch and `zenith top` through a real Redis and a real server.

mod common;

use std::time::{Duration, Instant};

use common::{Harness, duration, error_reason, spec};
use tonic::Code;
use zenith_proto::v1::*;

const ZENITH: &str = env!("CARGO_BIN_EXE_zenith");

async fn metrics(
    h: &mut Harness,
    queue: &str,
    range: Duration,
    step: Option<Duration>,
) -> Result<GetQueueMetricsResponse, tonic::Status> {
    h.queues
        .get_queue_metrics(GetQueueMetricsRequest {
            queue: queue.into(),
            range: Some(duration(range)),
            step: step.map(duration),
        })
        .await
        .map(tonic::Response::into_inner)
}

/// Every point summed, so a minute turning over mid-test changes nothing.
fn total(points: &[MetricPoint]) -> (i64, i64, i64, i64, i64, i64) {
    points.iter().fold((0, 0, 0, 0, 0, 0), |t, p| {
        (
            t.0 + p.enqueued,
            t.1 + p.completed,
            t.2 + p.failed,
            t.3 + p.retried,
            t.4 + p.wait.unwrap_or_default().count,
            t.5 + p.run.unwrap_or_default().count,
        )
    })
}

fn millis(d: Option<prost_types::Duration>) -> i64 {
    let d = d.unwrap_or_default();
    d.seconds * 1000 + i64::from(d.nanos) / 1_000_000
}

/// Enqueues `n` jobs, reserves them all, then acks `acked`, fails one for good and one for
/// a retry far off (so counts hold still); the rest stay active.
async fn activity(h: &mut Harness, queue: &str, n: usize, acked: usize) {
    let hour = duration(Duration::from_secs(3600));
    for _ in 0..n {
        let mut job = spec(queue, "send");
        job.backoff = Some(Backoff {
            base: Some(hour),
            max: Some(hour),
        });
        h.enqueue(job).await;
    }
    let reserved = h.reserve(queue, n as i32, Duration::from_secs(60)).await;
    assert_eq!(reserved.len(), n);
    tokio::time::sleep(Duration::from_millis(40)).await;
    for job in &reserved[..acked] {
        h.ack(job).await.expect("ack");
    }
    h.fail(&reserved[acked], "boom", false).await.expect("fail");
    h.fail(&reserved[acked + 1], "flaky", true)
        .await
        .expect("fail");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counters_and_summaries_show_what_happened() {
    let mut h = Harness::start().await;
    activity(&mut h, "emails", 6, 3).await;
    activity(&mut h, "reports", 4, 1).await;

    let emails = metrics(&mut h, "emails", Duration::from_secs(900), None)
        .await
        .unwrap();
    assert_eq!(emails.step, Some(duration(Duration::from_secs(60))));
    assert_eq!(emails.points.len(), 15);
    assert_eq!(total(&emails.points), (6, 3, 2, 0, 6, 5));
    let busy: Vec<&MetricPoint> = emails.points.iter().filter(|p| p.enqueued > 0).collect();
    assert!(busy.len() <= 2, "activity spans at most two minutes");
    let last = emails.points.last().unwrap();
    let run = last.run.unwrap_or_default();
    if last.completed == 3 {
        assert!(millis(run.max) >= 40, "{run:?}");
        assert!(millis(run.mean) >= 40, "{run:?}");
        assert!(millis(run.p50) <= millis(run.p95), "{run:?}");
        assert!(millis(run.p95) <= millis(run.max), "{run:?}");
    }
    for pair in emails.points.windows(2) {
        let (a, b) = (pair[0].start.unwrap(), pair[1].start.unwrap());
        assert_eq!(b.seconds - a.seconds, 60, "oldest first, one per step");
    }
    let idle = &emails.points[0];
    assert_eq!((idle.enqueued, idle.completed, idle.failed), (0, 0, 0));
    assert_eq!(idle.wait.unwrap_or_default().count, 0);

    let all = metrics(&mut h, "", Duration::from_secs(3600), None)
        .await
        .unwrap();
    assert_eq!(all.points.len(), 60);
    assert_eq!(total(&all.points), (10, 4, 4, 0, 10, 8));

    let wide = metrics(
        &mut h,
        "emails",
        Duration::from_secs(48 * 3600),
        Some(Duration::from_secs(3600)),
    )
    .await
    .unwrap();
    assert_eq!(wide.points.len(), 48);
    assert_eq!(total(&wide.points).0, 6);
    let default_step = metrics(&mut h, "emails", Duration::from_secs(48 * 3600), None)
        .await
        .unwrap();
    assert_eq!(default_step.points.len(), 120);
    assert_eq!(
        default_step.step,
        Some(duration(Duration::from_secs(24 * 60)))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_leases_count_as_failed() {
    let mut h = Harness::start().await;
    h.enqueue(spec("emails", "send")).await;
    let reserved = h
        .reserve("emails", 1, Duration::from_secs(1))
        .await
        .remove(0);
    let id = reserved.job.unwrap().id;
    h.wait_for_state(&id, JobState::Retry).await;
    let series = metrics(&mut h, "emails", Duration::from_secs(900), None)
        .await
        .unwrap();
    let (_, completed, failed, _, _, runs) = total(&series.points);
    assert_eq!((completed, failed, runs), (0, 1, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_minutes_roll_up_into_the_all_queues_series() {
    let mut h = Harness::start().await;
    h.enqueue(spec("emails", "send")).await;
    let mut redis = h.redis.connection().await.unwrap();
    let (seconds, _): (i64, i64) = redis::cmd("TIME").query_async(&mut redis).await.unwrap();
    let minute = seconds / 60 - 10;
    // A minute older than the live window, as if written ten minutes ago, and a roll-up
    // marker just before it, so only the maintenance loop's roll-up can make it count.
    let _: () = redis::pipe()
        .hset_multiple(
            format!("zenith:{{emails}}:metrics:{minute}"),
            &[
                ("enqueued", 7),
                ("run_n", 2),
                ("run_sum", 300),
                ("run_max", 200),
            ],
        )
        .set("zenith:metrics:rolled", minute - 1)
        .query_async(&mut redis)
        .await
        .unwrap();
    let started = Instant::now();
    loop {
        let rolled: i64 = redis::cmd("GET")
            .arg("zenith:metrics:rolled")
            .query_async(&mut redis)
            .await
            .unwrap();
        if rolled >= minute {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "never rolled up"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let all = metrics(&mut h, "", Duration::from_secs(900), None)
        .await
        .unwrap();
    let point = all
        .points
        .iter()
        .find(|p| p.start.unwrap().seconds == minute * 60)
        .expect("the rolled-up minute is in range");
    assert_eq!(point.enqueued, 7);
    let run = point.run.unwrap();
    assert_eq!(
        (run.count, millis(run.mean), millis(run.max)),
        (2, 150, 200)
    );
    assert_eq!(total(&all.points).0, 8, "and the live minute on top");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_metric_requests_name_the_field() {
    let mut h = Harness::start().await;
    h.enqueue(spec("emails", "send")).await;
    let hour = Duration::from_secs(3600);
    let cases = [
        ("emails", Duration::from_secs(60), None, "range"),
        ("emails", Duration::from_secs(91 * 24 * 3600), None, "range"),
        ("emails", hour, Some(Duration::from_secs(90)), "step"),
        ("emails", hour, Some(Duration::from_secs(7200)), "step"),
        ("bad queue", hour, None, "queue"),
    ];
    for (queue, range, step, field) in cases {
        let status = metrics(&mut h, queue, range, step).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{field}: {status:?}");
        assert!(status.message().starts_with(field), "{status:?}");
    }
    let status = metrics(&mut h, "nowhere", hour, None).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(error_reason(&status), "QUEUE_NOT_FOUND");
    let status = h
        .queues
        .watch_queues(WatchQueuesRequest {
            queues: vec!["emails".into(), "bad queue".into()],
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().starts_with("queues[1]"), "{status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_pushes_counts_and_rates_every_second() {
    let mut h = Harness::start().await;
    activity(&mut h, "emails", 6, 3).await;
    h.enqueue(spec("reports", "build")).await;
    let emails = h.queue("emails").await;
    let reports = h.queue("reports").await;

    let mut stream = h
        .queues
        .watch_queues(WatchQueuesRequest::default())
        .await
        .unwrap()
        .into_inner();
    let first = stream.message().await.unwrap().expect("a first message");
    let started = Instant::now();
    let second = stream.message().await.unwrap().expect("a second message");
    let gap = started.elapsed();
    assert!(
        gap >= Duration::from_millis(700) && gap < Duration::from_secs(3),
        "{gap:?}"
    );
    for message in [&first, &second] {
        let names: Vec<&str> = message
            .queues
            .iter()
            .map(|s| s.queue.as_ref().unwrap().name.as_str())
            .collect();
        assert_eq!(names, ["emails", "reports"]);
        let snapshot = &message.queues[0];
        let queue = snapshot.queue.as_ref().unwrap();
        assert_eq!(queue.counts, emails.counts);
        assert_eq!(
            message.queues[1].queue.as_ref().unwrap().counts,
            reports.counts
        );
        let rates = snapshot.rates.unwrap();
        assert!(
            rates.enqueued > 0.0 && rates.completed > 0.0 && rates.failed > 0.0,
            "{rates:?}"
        );
        let totals = message.totals.unwrap();
        let (e, r) = (emails.counts.unwrap(), reports.counts.unwrap());
        assert_eq!(totals.pending, e.pending + r.pending);
        assert_eq!(totals.active, e.active + r.active);
        assert_eq!(totals.completed, e.completed + r.completed);
        let total_rates = message.total_rates.unwrap();
        assert!(total_rates.enqueued > rates.enqueued, "{total_rates:?}");
    }

    let mut named = h
        .queues
        .watch_queues(WatchQueuesRequest {
            queues: vec!["reports".into(), "not-yet".into()],
        })
        .await
        .unwrap()
        .into_inner();
    let message = named.message().await.unwrap().unwrap();
    let names: Vec<&str> = message
        .queues
        .iter()
        .map(|s| s.queue.as_ref().unwrap().name.as_str())
        .collect();
    assert_eq!(names, ["reports", "not-yet"]);
    assert_eq!(message.totals.unwrap().pending, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watch_ends_when_the_server_stops() {
    let mut h = Harness::start().await;
    h.enqueue(spec("emails", "send")).await;
    let mut stream = h
        .queues
        .watch_queues(WatchQueuesRequest::default())
        .await
        .unwrap()
        .into_inner();
    stream.message().await.unwrap().expect("a first message");
    let started = Instant::now();
    let mut server = h.server;
    let stopping = tokio::task::spawn_blocking(move || server.stop());
    let end = tokio::time::timeout(Duration::from_secs(8), async {
        loop {
            match stream.message().await {
                Ok(Some(_)) => continue,
                other => return other.map(|_| ()),
            }
        }
    })
    .await
    .expect("the stream ends");
    assert!(end.is_ok(), "a clean end, not an error: {end:?}");
    assert_eq!(stopping.await.unwrap(), Some(0));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the watch must not hold shutdown open: {:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn top_once_prints_one_frame() {
    let mut h = Harness::start().await;
    activity(&mut h, "emails", 5, 2).await;
    let run = |args: &[&str]| {
        std::process::Command::new(ZENITH)
            .args(["--server", &h.server.url(), "top", "--once"])
            .args(args)
            .env("ZENITH_LOG", "warn")
            .output()
            .expect("run zenith top")
    };
    let output = run(&[]);
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(!stdout.contains('\x1b'), "no escapes when not a terminal");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("zenith top"), "{stdout}");
    assert!(lines[2].starts_with("QUEUE"), "{stdout}");
    assert!(lines[2].contains("ENQUEUED/S"), "{stdout}");
    let row: Vec<&str> = lines[3].split_whitespace().collect();
    // emails running pending active scheduled retry dead completed enq/s done/s fail/s
    assert_eq!(
        &row[..8],
        ["emails", "running", "0", "1", "0", "1", "1", "2"]
    );
    assert!(row[8].parse::<f64>().unwrap() > 0.0, "{stdout}");
    assert!(lines[4].starts_with("total"), "{stdout}");

    let output = run(&["--json", "emails"]);
    assert!(output.status.success(), "{output:?}");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["queues"][0]["queue"]["name"], "emails");
    assert_eq!(json["totals"]["completed"], "2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queues_metrics_prints_the_series() {
    let mut h = Harness::start().await;
    activity(&mut h, "emails", 5, 2).await;
    let run = |args: &[&str]| {
        std::process::Command::new(ZENITH)
            .args(["--server", &h.server.url(), "queues", "metrics"])
            .args(args)
            .env("ZENITH_LOG", "warn")
            .output()
            .expect("run zenith queues metrics")
    };
    let output = run(&["emails", "--range", "15m"]);
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 16, "{stdout}");
    assert!(lines[0].starts_with("START"), "{stdout}");
    let enqueued: i64 = lines[1..]
        .iter()
        .map(|line| {
            line.split_whitespace()
                .nth(1)
                .unwrap()
                .parse::<i64>()
                .unwrap()
        })
        .sum();
    assert_eq!(enqueued, 5);

    let output = run(&["--json", "--range", "2h", "--step", "10m"]);
    assert!(output.status.success(), "{output:?}");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["points"].as_array().unwrap().len(), 12);
    assert_eq!(json["step"], "600s");

    let output = run(&["emails", "--step", "90s"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("step: must be a whole number of minutes"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watch_streams_to_browsers_over_grpc_web() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mut h = Harness::start().await;
    h.enqueue(spec("emails", "send")).await;
    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", h.server.port()))
        .await
        .unwrap();
    // An empty WatchQueuesRequest framed for grpc-web: flag 0, length 0.
    let mut request = b"POST /zenith.v1.QueueService/WatchQueues HTTP/1.1\r\nhost: 127.0.0.1\r\n\
         content-type: application/grpc-web+proto\r\nx-grpc-web: 1\r\n\
         content-length: 5\r\n\r\n"
        .to_vec();
    request.extend_from_slice(&[0, 0, 0, 0, 0]);
    tcp.write_all(&request).await.unwrap();
    let mut received = Vec::new();
    let messages = |bytes: &[u8]| bytes.windows(6).filter(|w| w == b"emails").count();
    let started = Instant::now();
    while messages(&received) < 2 {
        let left = Duration::from_secs(5).saturating_sub(started.elapsed());
        let mut buffer = [0; 4096];
        let n = tokio::time::timeout(left, tcp.read(&mut buffer))
            .await
            .expect("two messages within 5 s")
            .unwrap();
        assert!(n > 0, "the stream closed early");
        received.extend_from_slice(&buffer[..n]);
    }
    let text = String::from_utf8_lossy(&received).to_lowercase();
    assert!(text.starts_with("http/1.1 200"), "{text}");
    assert!(text.contains("application/grpc-web"), "{text}");
}
