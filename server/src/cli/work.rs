//! `zenith work`: turns any program into a worker. Each job runs COMMAND with the payload on
//! stdin; exit 0 acks, anything else fails the attempt with the tail of stderr. A job that
//! times out, loses its lease or is cancelled has its command's process group killed. The
//! command's stdout and stderr lines are shipped as the job's logs, and the worker beats as a
//! node of `--service`.

use std::collections::{HashSet, VecDeque};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::Args;
use tokio::io::{
    AsyncBufReadExt as _, AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _, BufReader,
};
use tokio::process::{Child, Command};
use tokio::signal::unix::{SignalKind, signal};
use zenith_sdk::proto::{LogLevel, LogRecord};
use zenith_sdk::{Client, JobContext, JobError, LogShipper, Worker, detect_identity};

use super::{ClientArgs, identified, parse_duration};

/// How much of a failed command's stderr becomes the job's error.
const STDERR_TAIL_BYTES: usize = 4 * 1024;
/// A longer output line is shipped in pieces of this size (the server's message limit), so
/// output without newlines never piles up in memory.
const MAX_LINE_BYTES: u64 = 64 * 1024;

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
    /// The service this worker's beats and log lines report.
    #[arg(long, default_value = "zenith-work")]
    service: String,
    /// How often the worker beats, from 1s to 5m.
    #[arg(long, default_value = "5s", value_parser = parse_pulse_interval)]
    pulse_interval: Duration,
    /// Program and arguments to run for each job, after `--`.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    command: Vec<String>,
}

fn parse_pulse_interval(text: &str) -> Result<Duration, String> {
    let interval = parse_duration(text)?;
    if interval < Duration::from_secs(1) || interval > Duration::from_secs(300) {
        return Err(format!(
            "pulse interval {text} is out of range; use 1s to 5m"
        ));
    }
    Ok(interval)
}

/// Process groups of the commands running now, killed if the worker is forced to exit.
type RunningGroups = Arc<Mutex<HashSet<i32>>>;

/// What every job's command shares: the program, the running groups, and the log shipper.
struct Runner {
    command: Vec<String>,
    running: RunningGroups,
    logs: LogShipper,
}

pub async fn run(args: &ClientArgs, work: WorkArgs) -> anyhow::Result<()> {
    let client = identified(Client::connect_lazy(args.server.clone())?, args)?;
    let identity = detect_identity(&work.service);
    let logs = LogShipper::start(client.clone(), &identity);
    let running: RunningGroups = Arc::default();
    let runner = Arc::new(Runner {
        command: work.command,
        running: running.clone(),
        logs: logs.clone(),
    });
    let mut worker = Worker::builder(client)
        .queues(work.queues)
        .concurrency(work.concurrency)
        .lease(work.lease)
        .worker_id(format!("zenith-work-{}", std::process::id()))
        .pulse_identity(identity)
        .pulse_interval(work.pulse_interval)
        .fallback(move |job| run_command(runner.clone(), job));
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
    logs.flush().await;
    Ok(())
}

async fn run_command(runner: Arc<Runner>, job: JobContext) -> Result<(), JobError> {
    let command = &runner.command;
    let running = &runner.running;
    let mut child = Command::new(&command[0])
        .args(&command[1..])
        .env("ZENITH_JOB_ID", job.id())
        .env("ZENITH_JOB_TYPE", job.job_type())
        .env("ZENITH_ATTEMPT", job.attempt().to_string())
        .env("ZENITH_QUEUE", job.queue())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
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
    let outcome = supervise(&mut child, group, &job, &runner.logs).await;
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
    logs: &LogShipper,
) -> Result<(), JobError> {
    if let Some(mut stdin) = child.stdin.take() {
        let payload = job.payload().to_vec();
        // A command that exits without reading its input is fine: ignore the broken pipe.
        tokio::spawn(async move {
            let _ = stdin.write_all(&payload).await;
        });
    }
    let tail = Arc::new(Mutex::new(VecDeque::with_capacity(STDERR_TAIL_BYTES)));
    let output = |stream: OutputStream| OutputRelay {
        stream,
        logs: logs.clone(),
        queue: job.queue().to_owned(),
        job_id: job.id().to_owned(),
        tail: matches!(stream, OutputStream::Stderr).then(|| tail.clone()),
    };
    let stdout_task = child.stdout.take().map(|stdout| {
        tokio::spawn(output(OutputStream::Stdout).relay(stdout, tokio::io::stdout()))
    });
    let stderr_task = child.stderr.take().map(|stderr| {
        tokio::spawn(output(OutputStream::Stderr).relay(stderr, tokio::io::stderr()))
    });

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
    // Background children may keep the pipes open; don't wait on them for long.
    for task in [stdout_task, stderr_task].into_iter().flatten() {
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

#[derive(Clone, Copy)]
enum OutputStream {
    Stdout,
    Stderr,
}

/// Copies one of the command's output streams to ours and ships each line as the job's log.
struct OutputRelay {
    stream: OutputStream,
    logs: LogShipper,
    queue: String,
    job_id: String,
    /// For stderr: its last bytes, for the failure message.
    tail: Option<Arc<Mutex<VecDeque<u8>>>>,
}

impl OutputRelay {
    async fn relay(self, output: impl AsyncRead + Unpin, mut ours: impl AsyncWrite + Unpin) {
        let mut output = BufReader::new(output);
        let mut line = Vec::new();
        loop {
            line.clear();
            match (&mut output)
                .take(MAX_LINE_BYTES)
                .read_until(b'\n', &mut line)
                .await
            {
                Ok(0) | Err(_) => return,
                Ok(_) => {
                    let _ = ours.write_all(&line).await;
                    let _ = ours.flush().await;
                    if let Some(tail) = &self.tail {
                        let mut tail = tail.lock().unwrap_or_else(|p| p.into_inner());
                        tail.extend(&line);
                        let excess = tail.len().saturating_sub(STDERR_TAIL_BYTES);
                        tail.drain(..excess);
                    }
                    self.ship(&line);
                }
            }
        }
    }

    fn ship(&self, line: &[u8]) {
        let text = String::from_utf8_lossy(line);
        let text = text.trim_end_matches(['\n', '\r']);
        let (target, level) = match self.stream {
            OutputStream::Stdout => ("stdout", LogLevel::Info),
            OutputStream::Stderr => ("stderr", LogLevel::Warn),
        };
        self.logs.send(LogRecord {
            level: level.into(),
            message: text.to_owned(),
            queue: self.queue.clone(),
            job_id: self.job_id.clone(),
            target: target.to_owned(),
            ..LogRecord::default()
        });
    }
}

fn kill_group(group: i32) {
    // SAFETY: kill(2) takes plain integers; a negative pid addresses the process group.
    unsafe {
        libc::kill(-group, libc::SIGKILL);
    }
}
