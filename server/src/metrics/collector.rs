//! The scrape: each cluster's queues, workers and archive read from its Redis, plus the
//! process-wide families, rendered at most once a second however many scrapers ask.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::response::IntoResponse;
use zenith_proto::v1::QueueCounts;

use super::exposition::{Buckets, CONTENT_TYPE, Exposition};
use crate::archive::archiver;
use crate::pulse::SharedPulse;
use crate::queue::{Counters, SharedEngine, Summary};

/// A scrape younger than this is served again as it is.
const CACHE_FOR: Duration = Duration::from_secs(1);
/// Queues read per page, and the most one scrape reads per cluster: bounds a scrape's work.
const QUEUES_PER_PAGE: usize = 500;
const MAX_QUEUES: usize = 5_000;
/// Upper bounds of the job duration histograms, as powers of two ms: 1 ms to about 4.7 h.
const DURATION_BOUND_DIGITS: [usize; 13] = [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24];
const STATES: [&str; 7] = [
    "pending",
    "scheduled",
    "active",
    "retry",
    "dead",
    "completed",
    "cancelled",
];

/// A per-queue counter family: name, help, and its value among a queue's totals.
type CounterFamily = (&'static str, &'static str, fn(&Counters) -> i64);
/// A per-queue histogram family: name, help, and its summary among a queue's totals.
type DurationFamily = (&'static str, &'static str, fn(&Counters) -> &Summary);

/// One cluster to scrape: its name (the `cluster` label) and what reads its state.
pub struct Cluster {
    pub name: String,
    pub engine: SharedEngine,
    pub pulse: SharedPulse,
}

pub struct Collector {
    clusters: Vec<Cluster>,
    last: tokio::sync::Mutex<Option<(Instant, Arc<String>)>>,
}

/// What one cluster's Redis answered, or None when it could not be read.
struct ClusterState {
    queues: Vec<QueueState>,
    workers: BTreeMap<String, usize>,
    archive_lag: Duration,
}

struct QueueState {
    name: String,
    counts: QueueCounts,
    oldest_pending_age: Duration,
    totals: Counters,
}

impl Collector {
    pub fn new(clusters: Vec<Cluster>) -> Arc<Self> {
        Arc::new(Self {
            clusters,
            last: tokio::sync::Mutex::new(None),
        })
    }

    /// The exposition text; concurrent scrapes wait for one read and share it.
    pub async fn scrape(&self) -> Arc<String> {
        let mut last = self.last.lock().await;
        if let Some((at, text)) = last.as_ref()
            && at.elapsed() < CACHE_FOR
        {
            return text.clone();
        }
        let text = Arc::new(self.render().await);
        *last = Some((Instant::now(), text.clone()));
        text
    }

    async fn render(&self) -> String {
        let mut states = Vec::with_capacity(self.clusters.len());
        for cluster in &self.clusters {
            let state = match read_cluster(cluster).await {
                Ok(state) => Some(state),
                Err(error) => {
                    tracing::warn!(cluster = cluster.name, %error, "metrics: cluster not readable");
                    None
                }
            };
            states.push((cluster, state));
        }
        let mut out = Exposition::default();
        super::write_server(&mut out);
        write_clusters(&mut out, &states);
        out.finish()
    }
}

/// `GET /metrics`. Like `/healthz` it needs no API key: it shows queue and service names and
/// counts, never payloads or ids.
pub async fn serve(State(collector): State<Arc<Collector>>) -> impl IntoResponse {
    let text = collector.scrape().await;
    (
        [(http::header::CONTENT_TYPE, CONTENT_TYPE)],
        text.as_str().to_owned(),
    )
}

async fn read_cluster(cluster: &Cluster) -> crate::queue::Result<ClusterState> {
    let engine = &cluster.engine;
    let mut listed = Vec::new();
    loop {
        let after = listed
            .last()
            .map(|queue: &zenith_proto::v1::Queue| queue.name.clone())
            .unwrap_or_default();
        let (page, more) = engine.list_queues(&after, QUEUES_PER_PAGE).await?;
        listed.extend(page);
        if !more || listed.len() >= MAX_QUEUES {
            break;
        }
    }
    let names: Vec<String> = listed.iter().map(|queue| queue.name.clone()).collect();
    let totals = engine.queue_totals(&names).await?;
    let queues = listed
        .into_iter()
        .zip(totals)
        .map(|(queue, totals)| QueueState {
            name: queue.name,
            counts: queue.counts.unwrap_or_default(),
            oldest_pending_age: queue
                .oldest_pending_age
                .and_then(|age| Duration::try_from(age).ok())
                .unwrap_or_default(),
            totals,
        })
        .collect();
    let backlog = engine.event_backlog().await?;
    Ok(ClusterState {
        queues,
        workers: cluster.pulse.live_workers(),
        archive_lag: archiver::lag(&backlog, crate::auth::middleware::now_ms()).unwrap_or_default(),
    })
}

fn write_clusters(out: &mut Exposition, clusters: &[(&Cluster, Option<ClusterState>)]) {
    out.family(
        "zenith_cluster_up",
        "gauge",
        "1 when the cluster's Redis answered this scrape, else 0 (its other series are left out).",
    );
    for (cluster, state) in clusters {
        let up = if state.is_some() { 1.0 } else { 0.0 };
        out.sample("zenith_cluster_up", &[("cluster", &cluster.name)], up);
    }
    out.family(
        "zenith_redis_roundtrip_seconds",
        "histogram",
        "Round-trip time of the queue scripts' Redis calls.",
    );
    for (cluster, _) in clusters {
        out.histogram(
            "zenith_redis_roundtrip_seconds",
            &[("cluster", &cluster.name)],
            &cluster.engine.redis_roundtrip(),
        );
    }
    let read: Vec<(&str, &ClusterState)> = clusters
        .iter()
        .filter_map(|(cluster, state)| Some((cluster.name.as_str(), state.as_ref()?)))
        .collect();

    out.family("zenith_jobs", "gauge", "Jobs in Redis by queue and state.");
    for &(cluster, state) in &read {
        for queue in &state.queues {
            for (name, count) in STATES.iter().zip(state_counts(&queue.counts)) {
                let labels = [
                    ("cluster", cluster),
                    ("queue", &queue.name),
                    ("state", name),
                ];
                out.sample("zenith_jobs", &labels, count as f64);
            }
        }
    }
    let counters: [CounterFamily; 4] = [
        ("zenith_jobs_enqueued_total", "Jobs enqueued.", |c| {
            c.enqueued
        }),
        (
            "zenith_jobs_completed_total",
            "Jobs acknowledged as done.",
            |c| c.completed,
        ),
        (
            "zenith_jobs_failed_total",
            "Attempts that failed or whose lease ran out.",
            |c| c.failed,
        ),
        (
            "zenith_jobs_retried_total",
            "Jobs an operator retried.",
            |c| c.retried,
        ),
    ];
    for (name, help, value) in counters {
        out.family(name, "counter", help);
        for &(cluster, state) in &read {
            for queue in &state.queues {
                let labels = [("cluster", cluster), ("queue", queue.name.as_str())];
                out.sample(name, &labels, value(&queue.totals) as f64);
            }
        }
    }
    let histograms: [DurationFamily; 2] = [
        (
            "zenith_job_duration_seconds",
            "Run time of finished attempts, from reserve to ack or failure.",
            |c| &c.run,
        ),
        (
            "zenith_job_wait_seconds",
            "Time jobs waited from ready to reserved.",
            |c| &c.wait,
        ),
    ];
    for (name, help, summary) in histograms {
        out.family(name, "histogram", help);
        for &(cluster, state) in &read {
            for queue in &state.queues {
                let labels = [("cluster", cluster), ("queue", queue.name.as_str())];
                out.histogram(name, &labels, &duration_buckets(summary(&queue.totals)));
            }
        }
    }
    out.family(
        "zenith_queue_latency_seconds",
        "gauge",
        "Age of the oldest pending job (0 when none is pending).",
    );
    for &(cluster, state) in &read {
        for queue in &state.queues {
            let labels = [("cluster", cluster), ("queue", queue.name.as_str())];
            let age = queue.oldest_pending_age.as_secs_f64();
            out.sample("zenith_queue_latency_seconds", &labels, age);
        }
    }
    out.family(
        "zenith_workers",
        "gauge",
        "Worker nodes not lost (beating within three intervals), by service.",
    );
    for &(cluster, state) in &read {
        for (service, &nodes) in &state.workers {
            let labels = [("cluster", cluster), ("service", service.as_str())];
            out.sample("zenith_workers", &labels, nodes as f64);
        }
    }
    out.family(
        "zenith_archive_lag_seconds",
        "gauge",
        "Age of the oldest lifecycle event not yet archived to SQL (0 when caught up).",
    );
    for &(cluster, state) in &read {
        let lag = state.archive_lag.as_secs_f64();
        out.sample("zenith_archive_lag_seconds", &[("cluster", cluster)], lag);
    }
}

fn state_counts(counts: &QueueCounts) -> [i64; 7] {
    [
        counts.pending,
        counts.scheduled,
        counts.active,
        counts.retry,
        counts.dead,
        counts.completed,
        counts.cancelled,
    ]
}

/// A duration summary's power-of-two ms buckets as a cumulative histogram in seconds.
fn duration_buckets(summary: &Summary) -> Buckets {
    let cumulative = DURATION_BOUND_DIGITS
        .iter()
        .map(|&digits| {
            let bound_seconds = (1_u64 << digits) as f64 / 1000.0;
            let below = summary.below_power_of_two_ms(digits).max(0) as u64;
            (bound_seconds, below)
        })
        .collect();
    Buckets {
        cumulative,
        count: summary.count.max(0) as u64,
        sum_seconds: summary.sum_ms as f64 / 1000.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duration_buckets_hold_every_bucket_below_their_bound() {
        let mut summary = Summary {
            count: 3,
            sum_ms: 1 + 3 + 5000,
            ..Summary::default()
        };
        // 1 ms has one binary digit, 3 ms two, 5000 ms thirteen.
        summary.buckets[1] = 1;
        summary.buckets[2] = 1;
        summary.buckets[13] = 1;
        let buckets = duration_buckets(&summary);
        let at = |seconds: f64| {
            buckets
                .cumulative
                .iter()
                .find(|(bound, _)| *bound == seconds)
                .map(|(_, count)| *count)
        };
        assert_eq!(at(0.001), Some(0));
        assert_eq!(at(0.004), Some(2));
        assert_eq!(at(4.096), Some(2));
        assert_eq!(at(16.384), Some(3));
        assert_eq!(buckets.count, 3);
    }
}
