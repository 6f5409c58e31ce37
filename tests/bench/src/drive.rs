//! Runs concurrent workers for a bounded time and measures throughput and latency.

use std::time::{Duration, Instant};

use anyhow::Context;

/// Upper bound on steps per worker, so a loop ends even if the clock misbehaves.
const MAX_STEPS: u64 = 10_000_000;

/// One concurrent caller: each step is one round trip that handles some items.
pub trait Step: Send + 'static {
    /// Does one round trip and says how many items it handled; 0 means nothing is left to do.
    fn step(&mut self) -> impl Future<Output = anyhow::Result<u64>> + Send;
}

/// Items handled over a stretch of wall-clock time.
pub struct Rate {
    pub items: u64,
    pub elapsed: Duration,
}

impl Rate {
    pub fn per_second(&self) -> f64 {
        self.items as f64 / self.elapsed.as_secs_f64()
    }
}

/// Runs every worker concurrently until `duration` has passed or it runs out of work, and hands
/// the workers back so the same connections serve the warm-up and the measurement.
pub async fn drive<S: Step>(workers: Vec<S>, duration: Duration) -> anyhow::Result<(Vec<S>, Rate)> {
    let started = Instant::now();
    let tasks: Vec<_> = workers
        .into_iter()
        .map(|mut worker| {
            tokio::spawn(async move {
                let mut items = 0;
                let mut steps = 0;
                while steps < MAX_STEPS && started.elapsed() < duration {
                    let handled = worker.step().await?;
                    if handled == 0 {
                        break;
                    }
                    items += handled;
                    steps += 1;
                }
                anyhow::Ok((worker, items))
            })
        })
        .collect();
    let mut workers = Vec::with_capacity(tasks.len());
    let mut items = 0;
    for task in tasks {
        let (worker, handled) = task.await.context("worker task panicked")??;
        workers.push(worker);
        items += handled;
    }
    // The clock stops when the last worker's last round trip is back, so every counted item
    // lies inside the measured time.
    Ok((
        workers,
        Rate {
            items,
            elapsed: started.elapsed(),
        },
    ))
}

/// Latency percentiles in milliseconds.
pub struct Latency {
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
}

/// Calls `call` `warmup` times unmeasured, then `samples` times one after another, and returns
/// the median, 95th and 99th percentile latency (nearest rank).
pub async fn latency(
    warmup: usize,
    samples: usize,
    mut call: impl AsyncFnMut() -> anyhow::Result<()>,
) -> anyhow::Result<Latency> {
    for _ in 0..warmup {
        call().await?;
    }
    let mut latencies = Vec::with_capacity(samples);
    for _ in 0..samples {
        let started = Instant::now();
        call().await?;
        latencies.push(started.elapsed());
    }
    latencies.sort_unstable();
    let percentile = |percent: usize| {
        let rank = (samples * percent).div_ceil(100).max(1);
        latencies
            .get(rank - 1)
            .map(|latency| latency.as_secs_f64() * 1000.0)
            .context("no latency samples")
    };
    Ok(Latency {
        p50_ms: percentile(50)?,
        p95_ms: percentile(95)?,
        p99_ms: percentile(99)?,
    })
}
