//! `/metrics` against a real server and Redis: every line parses as the Prometheus text format,
//! the documented families carry what the calls did, and the Grafana dashboard only asks for
//! families the server exports.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use common::{Harness, spec};
use tonic::Code;
use tonic::transport::Channel;
use zenith_proto::v1::pulse_service_client::PulseServiceClient;
use zenith_proto::v1::*;

const ENQUEUE: &str = "/zenith.v1.QueueService/Enqueue";

#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// One scrape, parsed strictly: every line is a HELP, a TYPE or a sample of a declared family.
struct Scrape {
    types: HashMap<String, String>,
    samples: Vec<Sample>,
}

impl Scrape {
    fn parse(text: &str) -> Self {
        let mut types = HashMap::new();
        let mut helped = BTreeSet::new();
        let mut samples = Vec::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# HELP ") {
                let (name, help) = rest.split_once(' ').expect("HELP has a name and text");
                assert!(valid_name(name), "bad HELP name: {line}");
                assert!(!help.is_empty(), "empty HELP: {line}");
                assert!(helped.insert(name.to_owned()), "HELP twice: {line}");
            } else if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').expect("TYPE has a name and kind");
                assert!(valid_name(name), "bad TYPE name: {line}");
                assert!(
                    ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                    "bad TYPE: {line}"
                );
                assert!(
                    types.insert(name.to_owned(), kind.to_owned()).is_none(),
                    "TYPE twice: {line}"
                );
            } else {
                assert!(
                    !line.starts_with('#') && !line.is_empty(),
                    "stray line: {line:?}"
                );
                let sample = parse_sample(line);
                let family = family_of(&types, &sample.name)
                    .unwrap_or_else(|| panic!("sample of no declared family: {line}"));
                if types[family] == "histogram" && sample.name.ends_with("_bucket") {
                    assert!(
                        sample.labels.contains_key("le"),
                        "bucket without le: {line}"
                    );
                }
                samples.push(sample);
            }
        }
        Self { types, samples }
    }

    fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.samples
            .iter()
            .find(|sample| {
                sample.name == name
                    && labels
                        .iter()
                        .all(|(k, v)| sample.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|sample| sample.value)
    }

    fn label_names(&self, name: &str) -> BTreeSet<String> {
        self.samples
            .iter()
            .filter(|sample| sample.name == name)
            .flat_map(|sample| sample.labels.keys().cloned())
            .collect()
    }

    /// Samples that only ever grow: counters, and histograms' buckets, sums and counts.
    fn monotonic(&self) -> Vec<&Sample> {
        self.samples
            .iter()
            .filter(|sample| {
                matches!(
                    family_of(&self.types, &sample.name).map(|family| self.types[family].as_str()),
                    Some("counter" | "histogram")
                )
            })
            .collect()
    }
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn family_of<'a>(types: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    if let Some((family, _)) = types.get_key_value(name) {
        return Some(family);
    }
    ["_bucket", "_sum", "_count"].iter().find_map(|suffix| {
        let family = name.strip_suffix(suffix)?;
        let (family, kind) = types.get_key_value(family)?;
        (kind == "histogram" || kind == "summary").then_some(family.as_str())
    })
}

/// `name{label="value",…} value [timestamp]`, with the format's escapes in label values.
fn parse_sample(line: &str) -> Sample {
    let name_end = line
        .find(['{', ' '])
        .unwrap_or_else(|| panic!("sample without value: {line}"));
    let name = &line[..name_end];
    assert!(valid_name(name), "bad sample name: {line}");
    let mut labels = BTreeMap::new();
    let mut chars = line[name_end..].chars().peekable();
    if chars.peek() == Some(&'{') {
        chars.next();
        loop {
            let mut label = String::new();
            for c in chars.by_ref() {
                if c == '=' {
                    break;
                }
                label.push(c);
            }
            assert!(valid_name(&label), "bad label name {label:?}: {line}");
            assert_eq!(chars.next(), Some('"'), "label value unquoted: {line}");
            let mut value = String::new();
            loop {
                match chars.next() {
                    Some('\\') => match chars.next() {
                        Some('n') => value.push('\n'),
                        Some(c @ ('\\' | '"')) => value.push(c),
                        other => panic!("bad escape {other:?}: {line}"),
                    },
                    Some('"') => break,
                    Some(c) => value.push(c),
                    None => panic!("label value never ends: {line}"),
                }
            }
            assert!(labels.insert(label, value).is_none(), "label twice: {line}");
            match chars.next() {
                Some(',') => {}
                Some('}') => break,
                other => panic!("bad label separator {other:?}: {line}"),
            }
        }
    }
    let rest: String = chars.collect();
    let mut fields = rest
        .strip_prefix(' ')
        .unwrap_or_else(|| panic!("no space before value: {line}"))
        .split(' ');
    let value = match fields.next().expect("value") {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        number => number
            .parse()
            .unwrap_or_else(|_| panic!("bad value {number:?}: {line}")),
    };
    if let Some(timestamp) = fields.next() {
        timestamp
            .parse::<i64>()
            .unwrap_or_else(|_| panic!("bad timestamp: {line}"));
    }
    assert!(fields.next().is_none(), "trailing text: {line}");
    Sample {
        name: name.to_owned(),
        labels,
        value,
    }
}

/// A UUID-shaped value: what job and node ids look like.
fn looks_like_an_id(value: &str) -> bool {
    value.len() == 36
        && value.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

async fn scrape(harness: &Harness) -> Scrape {
    let response = reqwest::get(format!("{}/metrics", harness.server.url()))
        .await
        .expect("get /metrics");
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "content type {content_type}"
    );
    Scrape::parse(&response.text().await.expect("metrics body"))
}

/// Scrapes until `done` holds (scrapes are cached for a second), or fails at the deadline.
async fn scrape_until(harness: &Harness, done: impl Fn(&Scrape) -> bool) -> Scrape {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let scrape = scrape(harness).await;
        if done(&scrape) {
            return scrape;
        }
        assert!(Instant::now() < deadline, "metrics never got there");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn pulse_client(harness: &Harness) -> PulseServiceClient<Channel> {
    let channel = Channel::from_shared(harness.server.url())
        .unwrap()
        .connect()
        .await
        .expect("connect to zenith");
    PulseServiceClient::new(channel)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_what_the_calls_did() {
    let mut h = Harness::start().await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(h.enqueue(spec("emails", "send")).await.job.unwrap().id);
    }
    let reserved = h.reserve("emails", 3, Duration::from_secs(30)).await;
    assert_eq!(reserved.len(), 3);
    h.ack(&reserved[0]).await.expect("ack");
    h.ack(&reserved[1]).await.expect("ack");
    let dead = h.fail(&reserved[2], "broken", false).await.expect("fail");
    assert_eq!(dead.state(), JobState::Dead);
    let refused = h
        .queues
        .enqueue(EnqueueRequest {
            job: Some(spec("", "send")),
        })
        .await
        .expect_err("a job without a queue is refused");
    assert_eq!(refused.code(), Code::InvalidArgument);
    let node_id = "0b8f7e0e-5a3c-4f7e-9d1c-2f6a1b3c4d5e";
    pulse_client(&h)
        .await
        .beat(BeatRequest {
            beat: Some(BeatPayload {
                identity: Some(NodeIdentity {
                    node_id: node_id.into(),
                    service: "mailer".into(),
                    language: "rust".into(),
                    ..Default::default()
                }),
                interval: Some(common::duration(Duration::from_secs(30))),
                ..Default::default()
            }),
        })
        .await
        .expect("beat");

    let cluster_queue = [("cluster", "default"), ("queue", "emails")];
    let first = scrape_until(&h, |s| {
        s.value("zenith_jobs_failed_total", &cluster_queue) == Some(1.0)
            && s.value("zenith_workers", &[("service", "mailer")])
                .is_some()
            && s.value(
                "zenith_background_loop_duration_seconds_count",
                &[("loop", "maintenance")],
            )
            .is_some()
    })
    .await;
    assert_eq!(
        first.value("zenith_jobs_enqueued_total", &cluster_queue),
        Some(3.0)
    );
    assert_eq!(
        first.value("zenith_jobs_completed_total", &cluster_queue),
        Some(2.0)
    );
    let state = |s: &Scrape, state: &str| {
        s.value(
            "zenith_jobs",
            &[
                ("cluster", "default"),
                ("queue", "emails"),
                ("state", state),
            ],
        )
    };
    assert_eq!(state(&first, "dead"), Some(1.0));
    assert_eq!(state(&first, "completed"), Some(2.0));
    assert_eq!(state(&first, "pending"), Some(0.0));
    assert_eq!(
        first.value("zenith_job_duration_seconds_count", &cluster_queue),
        Some(3.0),
        "two acks and one failure ran"
    );
    assert_eq!(
        first.value(
            "zenith_job_duration_seconds_bucket",
            &[("queue", "emails"), ("le", "+Inf")]
        ),
        Some(3.0)
    );
    assert_eq!(
        first.value("zenith_queue_latency_seconds", &cluster_queue),
        Some(0.0),
        "nothing is pending"
    );
    assert_eq!(
        first.value(
            "zenith_workers",
            &[("cluster", "default"), ("service", "mailer")]
        ),
        Some(1.0)
    );
    assert!(
        first
            .value("zenith_archive_lag_seconds", &[("cluster", "default")])
            .is_some()
    );
    assert_eq!(
        first.value("zenith_cluster_up", &[("cluster", "default")]),
        Some(1.0)
    );
    assert_eq!(
        first.value("zenith_build_info", &[]),
        Some(1.0),
        "build info is always 1"
    );
    assert!(
        first
            .value(
                "zenith_redis_roundtrip_seconds_count",
                &[("cluster", "default")]
            )
            .is_some_and(|calls| calls >= 6.0),
        "every script call is timed"
    );
    assert_eq!(
        first.value(
            "zenith_rpc_requests_total",
            &[("method", ENQUEUE), ("code", "OK")]
        ),
        Some(3.0)
    );
    assert_eq!(
        first.value(
            "zenith_rpc_requests_total",
            &[("method", ENQUEUE), ("code", "INVALID_ARGUMENT")]
        ),
        Some(1.0)
    );
    assert_eq!(
        first.value("zenith_rpc_duration_seconds_count", &[("method", ENQUEUE)]),
        Some(4.0)
    );

    let expected_labels = [
        ("zenith_jobs", &["cluster", "queue", "state"][..]),
        ("zenith_jobs_enqueued_total", &["cluster", "queue"]),
        ("zenith_jobs_completed_total", &["cluster", "queue"]),
        ("zenith_jobs_failed_total", &["cluster", "queue"]),
        (
            "zenith_job_duration_seconds_bucket",
            &["cluster", "le", "queue"],
        ),
        ("zenith_queue_latency_seconds", &["cluster", "queue"]),
        ("zenith_workers", &["cluster", "service"]),
        ("zenith_rpc_requests_total", &["code", "method"]),
        ("zenith_rpc_duration_seconds_bucket", &["le", "method"]),
        ("zenith_redis_roundtrip_seconds_bucket", &["cluster", "le"]),
        ("zenith_archive_lag_seconds", &["cluster"]),
        (
            "zenith_background_loop_duration_seconds_bucket",
            &["le", "loop"],
        ),
        ("zenith_build_info", &["version"]),
    ];
    for (name, labels) in expected_labels {
        let expected: BTreeSet<String> = labels.iter().map(|l| l.to_string()).collect();
        assert_eq!(first.label_names(name), expected, "labels of {name}");
    }
    for sample in &first.samples {
        for value in sample.labels.values() {
            assert!(
                !looks_like_an_id(value) && !ids.contains(value),
                "{} has an id label: {value}",
                sample.name
            );
        }
    }

    // More work, then every counter and histogram series is at least where it was.
    h.enqueue(spec("emails", "send")).await;
    let second = scrape_until(&h, |s| {
        s.value("zenith_jobs_enqueued_total", &cluster_queue) == Some(4.0)
    })
    .await;
    assert_eq!(state(&second, "pending"), Some(1.0));
    let monotonic = first.monotonic();
    assert!(monotonic.len() > 20, "counters and histograms were found");
    for before in monotonic {
        let labels: Vec<(&str, &str)> = before
            .labels
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let after = second
            .value(&before.name, &labels)
            .unwrap_or_else(|| panic!("{} {labels:?} vanished", before.name));
        assert!(
            after >= before.value,
            "{} {labels:?} went down from {} to {after}",
            before.name,
            before.value
        );
    }
}

/// Every `zenith_…` family a dashboard expression names, histogram suffixes dropped.
fn dashboard_families(value: &serde_json::Value, out: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(fields) => {
            for (key, field) in fields {
                match (key.as_str(), field) {
                    ("expr" | "query" | "definition", serde_json::Value::String(expr)) => {
                        for token in expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        {
                            if token.starts_with("zenith_") {
                                out.insert(token.to_owned());
                            }
                        }
                    }
                    _ => dashboard_families(field, out),
                }
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                dashboard_families(item, out);
            }
        }
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_only_uses_exported_metrics() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/grafana/zenith.json");
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("read the dashboard"))
            .expect("the dashboard is JSON");
    let mut used = BTreeSet::new();
    dashboard_families(&dashboard, &mut used);
    assert!(
        used.len() >= 10,
        "the dashboard names its metrics: {used:?}"
    );

    let h = Harness::start().await;
    let scrape = scrape(&h).await;
    for name in used {
        assert!(
            family_of(&scrape.types, &name).is_some(),
            "the dashboard uses {name}, which /metrics does not export"
        );
    }
    let inputs = dashboard["__inputs"].to_string();
    assert!(
        inputs.contains("DS_PROMETHEUS"),
        "datasource input: {inputs}"
    );
    let variables = dashboard["templating"]["list"].to_string();
    assert!(variables.contains("\"cluster\"") && variables.contains("\"queue\""));
}
