//! Samples, their trend after warm-up, and the verdict.

use std::path::Path;

use serde::Serialize;

use crate::load::Totals;

/// RSS or key count may grow by less than this share of their post-warm-up level per 10 minutes.
pub const MAX_GROWTH_PERCENT_PER_10_MIN: f64 = 10.0;
/// The backlog may grow by at most this many jobs per 10 minutes.
pub const MAX_BACKLOG_GROWTH_PER_10_MIN: f64 = 500.0;
/// At most this share of all calls may fail.
pub const MAX_ERROR_PERCENT: f64 = 0.1;
/// Fewer samples after warm-up than this cannot show a trend.
const MIN_TREND_SAMPLES: usize = 3;

/// One reading of the server and Redis.
#[derive(Clone, Serialize)]
pub struct Sample {
    /// Seconds since the load started.
    pub at_s: f64,
    pub server_rss_mib: f64,
    pub redis_keys: u64,
    pub redis_used_memory_mib: f64,
    pub jobs_done: u64,
    /// Pending jobs of the queues that should drain: when this grows, the server is not keeping
    /// up, and Redis grows with it for that reason rather than a leak.
    pub backlog: u64,
}

/// How one figure moved after warm-up.
#[derive(Serialize)]
pub struct Trend {
    pub first: f64,
    pub last: f64,
    pub max: f64,
    pub mean: f64,
    /// Least-squares slope, in the figure's unit per 10 minutes.
    pub slope_per_10_min: f64,
    /// The slope as a percentage of the mean.
    pub slope_percent_per_10_min: f64,
}

impl Trend {
    fn of(samples: &[Sample], value: impl Fn(&Sample) -> f64) -> Option<Self> {
        if samples.len() < MIN_TREND_SAMPLES {
            return None;
        }
        let points: Vec<(f64, f64)> = samples.iter().map(|s| (s.at_s, value(s))).collect();
        let n = points.len() as f64;
        let mean_t = points.iter().map(|p| p.0).sum::<f64>() / n;
        let mean = points.iter().map(|p| p.1).sum::<f64>() / n;
        let covariance: f64 = points.iter().map(|p| (p.0 - mean_t) * (p.1 - mean)).sum();
        let variance: f64 = points.iter().map(|p| (p.0 - mean_t).powi(2)).sum();
        let slope_per_s = if variance > 0.0 {
            covariance / variance
        } else {
            0.0
        };
        let slope_per_10_min = slope_per_s * 600.0;
        Some(Self {
            first: points[0].1,
            last: points[points.len() - 1].1,
            max: points.iter().map(|p| p.1).fold(f64::MIN, f64::max),
            mean,
            slope_per_10_min,
            slope_percent_per_10_min: if mean > 0.0 {
                slope_per_10_min / mean * 100.0
            } else {
                0.0
            },
        })
    }

    fn stable(&self) -> bool {
        self.slope_percent_per_10_min < MAX_GROWTH_PERCENT_PER_10_MIN
    }
}

#[derive(Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Stable,
    Unstable,
    /// Too few samples after warm-up to judge a trend (a smoke run).
    Inconclusive,
}

#[derive(Serialize)]
pub struct Report {
    pub machine: String,
    pub minutes: f64,
    pub sample_seconds: f64,
    /// Samples before this many seconds are left out of the trends.
    pub warmup_s: f64,
    pub server_settings: Vec<String>,
    /// Trends over the samples after warm-up; absent when there were too few.
    pub server_rss_mib: Option<Trend>,
    pub redis_keys: Option<Trend>,
    pub redis_used_memory_mib: Option<Trend>,
    pub backlog: Option<Trend>,
    /// Jobs acknowledged per second over the whole run.
    pub jobs_done_per_s: f64,
    pub totals: Totals,
    pub verdict: Verdict,
    /// Why the verdict is not `stable`.
    pub reasons: Vec<String>,
    pub samples: Vec<Sample>,
}

impl Report {
    pub fn new(
        minutes: f64,
        sample_seconds: f64,
        warmup_s: f64,
        server_settings: Vec<String>,
        samples: Vec<Sample>,
        totals: Totals,
    ) -> Self {
        let duration_s = minutes * 60.0;
        let steady: Vec<Sample> = samples
            .iter()
            .filter(|s| s.at_s >= warmup_s)
            .cloned()
            .collect();
        let server_rss_mib = Trend::of(&steady, |s| s.server_rss_mib);
        let redis_keys = Trend::of(&steady, |s| s.redis_keys as f64);
        let redis_used_memory_mib = Trend::of(&steady, |s| s.redis_used_memory_mib);
        let backlog = Trend::of(&steady, |s| s.backlog as f64);

        let mut reasons = Vec::new();
        let mut too_short = false;
        for (name, trend) in [("server rss", &server_rss_mib), ("redis keys", &redis_keys)] {
            match trend {
                None => too_short = true,
                Some(trend) if !trend.stable() => reasons.push(format!(
                    "{name} grew {:.1}% per 10 min (limit {MAX_GROWTH_PERCENT_PER_10_MIN}%)",
                    trend.slope_percent_per_10_min
                )),
                Some(_) => {}
            }
        }
        if let Some(trend) = &backlog
            && trend.slope_per_10_min > MAX_BACKLOG_GROWTH_PER_10_MIN
        {
            reasons.push(format!(
                "the backlog grew {:.0} jobs per 10 min (limit {MAX_BACKLOG_GROWTH_PER_10_MIN}): \
                 the server did not keep up with the load",
                trend.slope_per_10_min
            ));
        }
        let error_percent = if totals.calls > 0 {
            totals.errors as f64 / totals.calls as f64 * 100.0
        } else {
            0.0
        };
        if error_percent > MAX_ERROR_PERCENT {
            reasons.push(format!(
                "{} of {} calls failed ({error_percent:.2}%, limit {MAX_ERROR_PERCENT}%)",
                totals.errors, totals.calls
            ));
        }
        if totals.acked == 0 {
            reasons.push("no job was done".to_owned());
        }
        let verdict = if !reasons.is_empty() {
            Verdict::Unstable
        } else if too_short {
            reasons.push(format!(
                "fewer than {MIN_TREND_SAMPLES} samples after warm-up: no trend to judge"
            ));
            Verdict::Inconclusive
        } else {
            Verdict::Stable
        };
        Self {
            machine: machine(),
            minutes,
            sample_seconds,
            warmup_s,
            server_settings,
            server_rss_mib,
            redis_keys,
            redis_used_memory_mib,
            backlog,
            jobs_done_per_s: totals.acked as f64 / duration_s.max(1.0),
            totals,
            verdict,
            reasons,
            samples,
        }
    }

    pub fn write_json(&self, path: &Path) -> anyhow::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, serde_json::to_vec_pretty(self)?)?;
        Ok(())
    }

    /// The human summary.
    pub fn summary(&self) -> String {
        let mut out = format!(
            "soak: {:.1} min on {}\nafter a warm-up of {:.0} s:\n",
            self.minutes, self.machine, self.warmup_s
        );
        for (name, unit, trend) in [
            ("server rss", "MiB", &self.server_rss_mib),
            ("redis keys", "", &self.redis_keys),
            ("redis used_memory", "MiB", &self.redis_used_memory_mib),
            ("backlog", "", &self.backlog),
        ] {
            match trend {
                Some(t) => out.push_str(&format!(
                    "  {name:<18} first {:.1}{unit}  last {:.1}{unit}  max {:.1}{unit}  \
                     slope {:+.2}{unit}/10min ({:+.1}%)\n",
                    t.first, t.last, t.max, t.slope_per_10_min, t.slope_percent_per_10_min
                )),
                None => out.push_str(&format!("  {name:<18} too few samples\n")),
            }
        }
        let t = &self.totals;
        out.push_str(&format!(
            "jobs: {} enqueued ({} duplicates), {} done ({:.0}/s), {} failed, {} cron jobs done\n\
             bulk: {} operations over {} dead jobs; {} beats; {} log lines; {} webhook requests\n\
             calls: {}, errors: {}\nverdict: {}\n",
            t.enqueued,
            t.duplicates,
            t.acked,
            self.jobs_done_per_s,
            t.failed,
            t.cron_jobs_done,
            t.bulk_operations,
            t.dead_jobs_bulk_handled,
            t.beats,
            t.log_lines,
            t.webhook_requests,
            t.calls,
            t.errors,
            match self.verdict {
                Verdict::Stable => "stable",
                Verdict::Unstable => "NOT stable",
                Verdict::Inconclusive => "inconclusive (run longer)",
            }
        ));
        for reason in &self.reasons {
            out.push_str(&format!("  - {reason}\n"));
        }
        out
    }
}

/// CPU, cores, memory and OS, for the README's "machine" line.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = field(&cpuinfo, "model name", ':').unwrap_or_else(|| "unknown cpu".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory = field(&meminfo, "MemTotal", ':')
        .and_then(|value| value.trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or("unknown memory".to_owned(), |kib| {
            format!("{:.1} GiB RAM", kib / 1024.0 / 1024.0)
        });
    format!("{cpu}, {cores} cores, {memory}")
}

fn field(text: &str, key: &str, separator: char) -> Option<String> {
    text.lines().find_map(|line| {
        let (name, value) = line.split_once(separator)?;
        (name.trim() == key).then(|| value.trim().to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totals(acked: u64, calls: u64, errors: u64) -> Totals {
        Totals {
            calls,
            errors,
            enqueued: acked,
            duplicates: 0,
            acked,
            failed: 0,
            cron_jobs_done: 0,
            bulk_operations: 0,
            dead_jobs_bulk_handled: 0,
            beats: 0,
            log_lines: 0,
            webhook_requests: 0,
        }
    }

    /// One sample every 10 s for `minutes`, RSS and keys from the given functions of time.
    fn samples(minutes: f64, rss: impl Fn(f64) -> f64, keys: impl Fn(f64) -> f64) -> Vec<Sample> {
        (1..=(minutes * 6.0) as usize)
            .map(|n| {
                let at_s = n as f64 * 10.0;
                Sample {
                    at_s,
                    server_rss_mib: rss(at_s),
                    redis_keys: keys(at_s) as u64,
                    redis_used_memory_mib: 10.0,
                    jobs_done: n as u64 * 100,
                    backlog: 0,
                }
            })
            .collect()
    }

    fn judge(minutes: f64, samples: Vec<Sample>, totals: Totals) -> Report {
        Report::new(minutes, 10.0, 360.0, Vec::new(), samples, totals)
    }

    #[test]
    fn flat_figures_with_a_sawtooth_are_stable() {
        let run = samples(30.0, |_| 70.0, |t| 3000.0 + (t % 120.0) * 5.0);
        let report = judge(30.0, run, totals(10_000, 5_000, 0));
        assert!(report.verdict == Verdict::Stable, "{:?}", report.reasons);
        let keys = report.redis_keys.unwrap();
        assert!(keys.slope_percent_per_10_min.abs() < 1.0);
        assert_eq!(report.server_rss_mib.unwrap().max, 70.0);
    }

    #[test]
    fn steady_growth_of_rss_or_keys_is_unstable() {
        // 1 MiB a minute on 70 MiB: about 14% per 10 minutes.
        let run = samples(30.0, |t| 70.0 + t / 60.0, |_| 3000.0);
        let report = judge(30.0, run, totals(10_000, 5_000, 0));
        assert!(report.verdict == Verdict::Unstable);
        assert!(report.reasons[0].starts_with("server rss grew"));
        let slope = report.server_rss_mib.unwrap().slope_per_10_min;
        assert!((slope - 10.0).abs() < 0.01, "slope {slope}");

        let run = samples(30.0, |_| 70.0, |t| 3000.0 + t);
        let report = judge(30.0, run, totals(10_000, 5_000, 0));
        assert!(report.verdict == Verdict::Unstable);
        assert!(report.reasons[0].starts_with("redis keys grew"));
    }

    #[test]
    fn errors_past_the_limit_are_unstable_and_a_short_run_judges_nothing() {
        let run = samples(30.0, |_| 70.0, |_| 3000.0);
        let report = judge(30.0, run, totals(10_000, 1_000, 2));
        assert!(report.verdict == Verdict::Unstable);
        assert!(report.reasons[0].contains("2 of 1000 calls failed"));

        // Every sample falls inside the warm-up.
        let run = samples(1.0, |t| 60.0 + t, |t| t * 100.0);
        let report = judge(1.0, run, totals(100, 100, 0));
        assert!(report.verdict == Verdict::Inconclusive);
    }
}
