//! Peers side by side: BullMQ (from npm, run by Node) doing the same work as Zenith on the same
//! Redis, through `peers/bullmq.mjs`, one phase per Node process.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use serde::Deserialize;
use tokio::process::Command;

use crate::drive::Rate;

/// A BullMQ worker's concurrency, as the issue names it.
pub const WORKER_CONCURRENCY: usize = 100;
/// Bounds one phase, so a stuck Node process fails the run instead of hanging it.
const PHASE_LIMIT: Duration = Duration::from_secs(600);

/// The installed Node program and what every phase shares.
pub struct BullMq {
    dir: PathBuf,
    redis_url: String,
    payload: String,
}

/// What `bullmq.mjs` prints.
#[derive(Deserialize)]
struct Outcome {
    jobs: u64,
    seconds: f64,
}

impl BullMq {
    /// Installs the pinned BullMQ with `npm ci` unless `node_modules` is already up to date with
    /// `package-lock.json`.
    pub async fn install(redis_url: &str, payload: &[u8]) -> anyhow::Result<Self> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("peers");
        let node = Command::new("node")
            .arg("--version")
            .output()
            .await
            .context("run node (--peers needs Node.js 20 or later and npm)")?;
        ensure!(node.status.success(), "node --version failed");
        eprintln!("  node {}", String::from_utf8_lossy(&node.stdout).trim());
        if installed_is_stale(&dir)? {
            let status = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&dir)
                .stdout(Stdio::null())
                .status()
                .await
                .context("run npm ci")?;
            ensure!(
                status.success(),
                "npm ci in {} failed ({status})",
                dir.display()
            );
        }
        Ok(Self {
            dir,
            redis_url: redis_url.to_owned(),
            payload: String::from_utf8(payload.to_vec()).context("payload is not utf-8")?,
        })
    }

    /// `Queue.add` of `jobs` jobs from `callers` concurrent callers, after a warm-up.
    pub async fn add(&self, jobs: u64, callers: usize, warmup: Duration) -> anyhow::Result<Rate> {
        self.run(
            "add",
            jobs,
            &[
                ("--callers", callers.to_string()),
                ("--warmup-ms", warmup.as_millis().to_string()),
            ],
        )
        .await
    }

    /// `Queue.addBulk` of `jobs` jobs in batches of `batch` from `callers` concurrent callers,
    /// after a warm-up.
    pub async fn add_bulk(
        &self,
        jobs: u64,
        callers: usize,
        batch: usize,
        warmup: Duration,
    ) -> anyhow::Result<Rate> {
        self.run(
            "add-bulk",
            jobs,
            &[
                ("--callers", callers.to_string()),
                ("--batch", batch.to_string()),
                ("--warmup-ms", warmup.as_millis().to_string()),
            ],
        )
        .await
    }

    /// One `Worker` at `WORKER_CONCURRENCY` with a no-op processor draining `jobs` pre-added
    /// jobs, from its start to its last completed job.
    pub async fn worker(&self, jobs: u64) -> anyhow::Result<Rate> {
        self.run(
            "worker",
            jobs,
            &[("--concurrency", WORKER_CONCURRENCY.to_string())],
        )
        .await
    }

    async fn run(
        &self,
        phase: &str,
        jobs: u64,
        options: &[(&str, String)],
    ) -> anyhow::Result<Rate> {
        let mut command = Command::new("node");
        command
            .arg("bullmq.mjs")
            .arg(phase)
            .args(["--redis", &self.redis_url])
            .args(["--jobs", &jobs.to_string()])
            .args(["--payload", &self.payload])
            .current_dir(&self.dir)
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        for (flag, value) in options {
            command.arg(flag).arg(value);
        }
        let output = tokio::time::timeout(PHASE_LIMIT, command.output())
            .await
            .with_context(|| format!("bullmq {phase} ran longer than {PHASE_LIMIT:?}"))?
            .with_context(|| format!("run node bullmq.mjs {phase}"))?;
        if !output.status.success() {
            bail!("bullmq {phase} failed ({})", output.status);
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        let line = stdout
            .lines()
            .rev()
            .find(|line| !line.trim().is_empty())
            .with_context(|| format!("bullmq {phase} printed nothing"))?;
        let outcome: Outcome = serde_json::from_str(line)
            .with_context(|| format!("bullmq {phase} printed {line:?}, not its outcome"))?;
        ensure!(
            outcome.jobs == jobs,
            "bullmq {phase} handled {} of {jobs} jobs",
            outcome.jobs
        );
        ensure!(outcome.seconds > 0.0, "bullmq {phase} took no time");
        Ok(Rate {
            items: outcome.jobs,
            elapsed: Duration::from_secs_f64(outcome.seconds),
        })
    }
}

/// npm records what it installed in `node_modules/.package-lock.json`; older than the
/// committed lock file (or missing) means the lock changed since.
fn installed_is_stale(dir: &Path) -> anyhow::Result<bool> {
    let lock = dir.join("package-lock.json");
    let locked = std::fs::metadata(&lock)
        .and_then(|metadata| metadata.modified())
        .with_context(|| format!("read {}", lock.display()))?;
    let installed = std::fs::metadata(dir.join("node_modules").join(".package-lock.json"))
        .and_then(|metadata| metadata.modified());
    Ok(match installed {
        Ok(installed) => installed < locked,
        Err(_) => true,
    })
}
