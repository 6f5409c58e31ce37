//! Prometheus metrics at `/metrics`: what the server itself measures (RPCs, background loop
//! passes; kept here, process-wide) and what each cluster's Redis holds (read at scrape time by
//! the `collector`). Labels stay low-cardinality: never a job, worker or node id.

mod collector;
mod exposition;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use tracing::Instrument;

pub use collector::{Cluster, Collector, serve};
pub use exposition::{Buckets, CONTENT_TYPE, Exposition, Histogram, LATENCY_BUCKETS};

/// The `method` label of calls to paths outside the contract.
const UNKNOWN_METHOD: &str = "unknown";

/// What this process measured since it started.
#[derive(Default)]
struct ServerMetrics {
    rpc_calls: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    rpc_durations: Mutex<BTreeMap<&'static str, Histogram>>,
    loop_passes: Mutex<BTreeMap<&'static str, Histogram>>,
}

static SERVER: LazyLock<ServerMetrics> = LazyLock::new(ServerMetrics::default);

/// The `method` label of a gRPC path: the path itself for the contract's RPCs, so callers
/// cannot grow the label set with made-up paths.
pub fn rpc_method(path: &str) -> &'static str {
    zenith_proto::rpc_path(path).unwrap_or(UNKNOWN_METHOD)
}

/// Counts one finished call with its gRPC status code name (`OK`, `NOT_FOUND`, …).
pub fn record_rpc(method: &'static str, code: &'static str, elapsed: Duration) {
    *lock(&SERVER.rpc_calls).entry((method, code)).or_default() += 1;
    observe(&SERVER.rpc_durations, method, elapsed);
}

/// Runs one pass of a background loop inside a `background` span with its `loop` name, and
/// records how long the pass took.
pub async fn loop_pass<F: Future>(name: &'static str, pass: F) -> F::Output {
    let started = Instant::now();
    let output = pass
        .instrument(tracing::info_span!("background", r#loop = name))
        .await;
    observe(&SERVER.loop_passes, name, started.elapsed());
    output
}

fn observe(
    histograms: &Mutex<BTreeMap<&'static str, Histogram>>,
    label: &'static str,
    elapsed: Duration,
) {
    lock(histograms)
        .entry(label)
        .or_insert_with(|| Histogram::new(LATENCY_BUCKETS))
        .observe(elapsed);
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The process-wide families.
fn write_server(out: &mut Exposition) {
    out.family(
        "zenith_build_info",
        "gauge",
        "The running zenith version; always 1.",
    );
    out.sample(
        "zenith_build_info",
        &[("version", env!("CARGO_PKG_VERSION"))],
        1.0,
    );

    out.family(
        "zenith_rpc_requests_total",
        "counter",
        "gRPC calls finished, by method (full gRPC path, or unknown) and status code.",
    );
    for (&(method, code), &calls) in lock(&SERVER.rpc_calls).iter() {
        out.sample(
            "zenith_rpc_requests_total",
            &[("method", method), ("code", code)],
            calls as f64,
        );
    }
    write_histograms(
        out,
        "zenith_rpc_duration_seconds",
        "gRPC call duration by method; streams count when they end.",
        "method",
        &SERVER.rpc_durations,
    );
    write_histograms(
        out,
        "zenith_background_loop_duration_seconds",
        "Duration of one pass of a background loop.",
        "loop",
        &SERVER.loop_passes,
    );
}

fn write_histograms(
    out: &mut Exposition,
    name: &str,
    help: &str,
    label: &str,
    histograms: &Mutex<BTreeMap<&'static str, Histogram>>,
) {
    out.family(name, "histogram", help);
    let snapshots: Vec<(&'static str, Buckets)> = lock(histograms)
        .iter()
        .map(|(&value, histogram)| (value, histogram.snapshot()))
        .collect();
    for (value, buckets) in snapshots {
        out.histogram(name, &[(label, value)], &buckets);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_contract_paths_name_a_method() {
        assert_eq!(
            rpc_method("/zenith.v1.QueueService/Enqueue"),
            "/zenith.v1.QueueService/Enqueue"
        );
        assert_eq!(rpc_method("/zenith.v1.QueueService/Nope"), UNKNOWN_METHOD);
        assert_eq!(rpc_method("/grpc.health.v1.Health/Check"), UNKNOWN_METHOD);
    }
}
