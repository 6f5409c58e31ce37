//! `zenith work`: turns any program into a worker. Each job runs COMMAND with the payload on
//! stdin; exit 0 acks, anything else fails the attempt with the tail of stderr. A job that
//! times out, loses its lease or is cancelled has its command's process group killed.

use std::collections::{HashSet, VecDeque};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::Args;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::process::{Child, Command};
use tokio::signal::unix::{SignalKind, signal};
use zenith_sdk::{Client, JobContext, JobError, Worker};

use super::{ACTOR_HEADER, ClientArgs, actor, parse_duration};

/// How much of a failed command's stderr becomes the job's error.
const STDERR_TAIL_BYTES: usize = 4 * 1024;

#[derive(Args)]
pub struct WorkArgs {
    /// Queues to take jobs from, first one first.
    #[arg(required = true, value_name = "QUEUE")]
    queues: Vec<String>,
    /// Jobs run at once.
    #[arg(long, default_value_t = 10)]
    concurrency: usize,
    /// Exit after this many jobs are finished.
    #[arg(long)]
    max_jobs: Option<u64>,
    /// Lease per job, kept alive while COMMAND runs; a crashed worker's jobs come back after it.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    lease: Duration,
    /// Program and arguments to run for each job, after `--`.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    command: Vec<String>,
}

/// Process groups of the commands running now, killed if the worker is forced to exit.
type RunningGroups = Arc<Mutex<HashSet<i32>>>;

pub async fn run(args: &ClientArgs, work: WorkArgs) -> anyhow::Result<()> {
    let client = Client::connect_lazy(args.server.clone())?.header(ACTOR_HEADER, &actor())?;
    let command = Arc::new(work.command);
    let running: RunningGroups = Arc::default();
    let handler_command = command.clone();
    let handler_running = running.clone();
    let mut worker = Worker::builder(client)
        .queues(work.queues)
        .concurrency(work.concurrency)
        .lease(work.lease)
        .worker_id(format!("zenith-work-{}", std::process::id()))
        .fallback(move |job| run_command(handler_command.clone(), handler_running.clone(), job));
    if let Some(max_jobs) = work.max_jobs {
        worker = worker.max_jobs(max_jobs);
    }
    let worker = worker.build()?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    worker
        .run_until(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
            // A second signal means now: kill what runs and leave.
            tokio::spawn(async move {
                tokio::select! {
                    _ = interrupt.recv() => {}
                    _ = terminate.recv() => {}
                }
                tracing::warn!("second signal; killing running commands");
                for group in running.lock().unwrap_or_else(|p| p.into_inner()).iter() {
                    kill_group(*group);
                }
                std::process::exit(130);
            });
        })
        .await?;
    Ok(())
}

async fn run_command(
    command: Arc<Vec<String>>,
    running: RunningGroups,
    job: JobContext,
) -> Result<(), JobError> {
    let mut child = Command::new(&command[0])
        .args(&command[1..])
        .env("ZENITH_JOB_ID", job.id())
        .env("ZENITH_JOB_TYPE", job.job_type())
        .env("ZENITH_ATTEMPT", job.attempt().to_string())
        .env("ZENITH_QUEUE", job.queue())
        .stdin(Stdio::piped())
        .stdout(Stdio::inherit())
        .stderr(Stdio::piped())
        // Its own process group: a terminal's Ctrl-C reaches only the worker, which lets the
        // command finish, and a kill reaches everything the command started.
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|error| {
            JobError::new(error)
                .context(format!("start {:?}", command[0]))
                .with_stack_trace("")
        })?;
    let group = child.id().and_then(|pid| i32::try_from(pid).ok());
    if let Some(group) = group {
        running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(group);
    }
    let outcome = supervise(&mut child, group, &job).await;
    if let Some(group) = group {
        running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&group);
    }
    outcome
}

async fn supervise(
    child: &mut Child,
    group: Option<i32>,
    job: &JobContext,
) -> Result<(), JobError> {
    if let Some(mut stdin) = child.stdin.take() {
        let payload = job.payload().to_vec();
        // A command that exits without reading its input is fine: ignore the broken pipe.
        tokio::spawn(async move {
            let _ = stdin.write_all(&payload).await;
        });
    }
    let tail = Arc::new(Mutex::new(VecDeque::with_capacity(STDERR_TAIL_BYTES)));
    let stderr_task = child
        .stderr
        .take()
        .map(|stderr| tokio::spawn(relay_stderr(stderr, tail.clone())));

    let status = tokio::select! {
        status = child.wait() => status,
        () = job.cancelled() => {
            if let Some(group) = group {
                kill_group(group);
            }
            let _ = child.wait().await;
            let why = match job.cancel_reason() {
                Some(_) => "job cancelled by an operator",
                None => "job timed out or its lease was lost",
            };
            return Err(JobError::msg(format!("command killed: {why}")).with_stack_trace(""));
        }
    };
    let status = status.map_err(|error| {
        JobError::new(error)
            .context("wait for command")
            .with_stack_trace("")
    })?;
    // Background children may keep stderr open; don't wait on them for long.
    if let Some(task) = stderr_task {
        let _ = tokio::time::timeout(Duration::from_millis(500), task).await;
    }
    if status.success() {
        return Ok(());
    }
    let tail: Vec<u8> = tail
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .copied()
        .collect();
    let stderr = String::from_utf8_lossy(&tail).trim().to_owned();
    let message = if stderr.is_empty() {
        format!("command failed with {status}")
    } else {
        format!("command failed with {status}: {stderr}")
    };
    Err(JobError::msg(message).with_stack_trace(""))
}

/// Copies the command's stderr to ours and keeps its last bytes.
async fn relay_stderr(mut stderr: tokio::process::ChildStderr, tail: Arc<Mutex<VecDeque<u8>>>) {
    let mut buffer = [0u8; 8192];
    let mut ours = tokio::io::stderr();
    loop {
        match stderr.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => {
                let chunk = &buffer[..read];
                let _ = ours.write_all(chunk).await;
                let mut tail = tail.lock().unwrap_or_else(|p| p.into_inner());
                tail.extend(chunk);
                let excess = tail.len().saturating_sub(STDERR_TAIL_BYTES);
                tail.drain(..excess);
            }
        }
    }
}

fn kill_group(group: i32) {
    // SAFETY: kill(2) takes plain integers; a negative pid addresses the process group.
    unsafe {
        libc::kill(-group, libc::SIGKILL);
    }
}
