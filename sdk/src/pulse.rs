//! [`PulseAgent`]: reports this process's beats (identity, CPU, memory, disk, running jobs) to
//! Zenith and carries out the instructions that come back. A [`crate::Worker`] runs one by
//! itself; any other process can run one to be monitored.
//!
//! ```no_run
//! # async fn example() -> zenith_sdk::Result<()> {
//! let client = zenith_sdk::Client::connect_lazy("http://127.0.0.1:7700")?;
//! let agent = zenith_sdk::PulseAgent::builder(client).service("billing-api").start();
//! // … the process does its work; the agent beats every 5 s …
//! agent.shutdown().await;
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use rand::Rng;
use rand::distr::Alphanumeric;
use sysinfo::{Disks, Pid, ProcessRefreshKind, ProcessesToUpdate, System};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;
use zenith_proto::v1::{
    BeatPayload, BeatResponse, CurrentJob, ExternalQueue, NodeIdentity, NodeInstructionKind,
    ProcessStats, SystemStats,
};

use crate::Client;
use crate::time::to_proto_duration;
use crate::worker::display_chain;

/// How often a node beats unless told otherwise.
pub const DEFAULT_PULSE_INTERVAL: Duration = Duration::from_secs(5);

/// The protocol's bounds on a beat's interval and on its lists.
const MIN_INTERVAL: Duration = Duration::from_secs(1);
const MAX_INTERVAL: Duration = Duration::from_secs(300);
const MAX_LISTED: usize = 1_000;
const MAX_ID_BYTES: usize = 200;
/// The longest a beat may take before it counts as failed, so a black-holed server never
/// stalls the loop; shorter intervals bound it further.
const MAX_BEAT_TIMEOUT: Duration = Duration::from_secs(10);

/// The identity this process beats with: node id `<hostname>:<pid>:<random>`, `service`
/// (or the executable's name when empty), language `rust`, the compiler's version as runtime,
/// this SDK's version, pid, hostname and `<os>-<arch>`. Log lines shipped by
/// [`crate::LogShipper`] carry the same service and node id.
pub fn detect_identity(service: &str) -> NodeIdentity {
    let hostname = System::host_name().unwrap_or_else(|| "unknown".to_owned());
    let pid = std::process::id();
    let random: String = rand::rng()
        .sample_iter(Alphanumeric)
        .take(8)
        .map(char::from)
        .collect();
    let node_id = format!("{}:{pid}:{random}", id_safe(&hostname));
    let service = if service.is_empty() {
        executable_name()
    } else {
        truncate(service, MAX_ID_BYTES).to_owned()
    };
    NodeIdentity {
        node_id,
        service,
        language: "rust".to_owned(),
        runtime: env!("ZENITH_SDK_RUSTC_VERSION").to_owned(),
        sdk_version: format!("zenith-sdk-rust {}", env!("CARGO_PKG_VERSION")),
        version: String::new(),
        pid: i64::from(pid),
        hostname,
        platform: format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH),
        labels: HashMap::new(),
    }
}

/// A hostname as node ids allow it: letters, digits and `-_.:@/`, at most 150 bytes so the
/// pid and random part still fit in 200.
fn id_safe(hostname: &str) -> String {
    hostname
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.:@/".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(150)
        .collect()
}

fn executable_name() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|path| {
            path.file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
        })
        .filter(|name| !name.is_empty())
        .map_or_else(
            || "rust".to_owned(),
            |name| truncate(&name, MAX_ID_BYTES).to_owned(),
        )
}

fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Configures a [`PulseAgent`]; start with [`PulseAgent::builder`].
#[must_use = "an agent beats only once started"]
pub struct PulseAgentBuilder {
    client: Client,
    identity: Option<NodeIdentity>,
    service: String,
    interval: Duration,
    queues: Vec<String>,
}

impl PulseAgentBuilder {
    /// The logical service shown for this process. Default: the executable's name.
    pub fn service(mut self, service: impl Into<String>) -> Self {
        self.service = service.into();
        self
    }

    /// Beats with this identity instead of a detected one, e.g. the one a
    /// [`crate::LogShipper`] tags lines with. Its service wins over [`Self::service`].
    pub fn identity(mut self, identity: NodeIdentity) -> Self {
        self.identity = Some(identity);
        self
    }

    /// How often to beat, from 1 s to 5 min. Default 5 s.
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// The Zenith queues this process takes work from, for display.
    pub fn queues<I: IntoIterator<Item = S>, S: Into<String>>(mut self, queues: I) -> Self {
        self.queues = queues.into_iter().map(Into::into).collect();
        self
    }

    /// Starts beating in a background task; needs a Tokio runtime.
    pub fn start(self) -> PulseAgent {
        let identity = self
            .identity
            .unwrap_or_else(|| detect_identity(&self.service));
        let shared = Arc::new(AgentShared::new(identity, self.interval, self.queues));
        let task = tokio::spawn(beat_loop(self.client, shared.clone()));
        PulseAgent {
            shared,
            task: Arc::new(Mutex::new(Some(task))),
        }
    }
}

/// What the agent and the handles it gives out share.
struct AgentShared {
    identity: NodeIdentity,
    interval: Duration,
    started: Instant,
    queues: Mutex<Vec<String>>,
    external_queues: Mutex<Vec<ExternalQueue>>,
    /// Running jobs by job id.
    jobs: Mutex<HashMap<String, RunningJob>>,
    /// The process is shutting down and takes no new work.
    draining: AtomicBool,
    /// An operator asked the node to take no new work: set by QUIET, cleared by RESUME or by
    /// any answered beat without QUIET (the server repeats QUIET while the request stands).
    quiet_requested: watch::Sender<bool>,
    beat_now: Notify,
    stop: CancellationToken,
}

impl AgentShared {
    fn new(identity: NodeIdentity, interval: Duration, queues: Vec<String>) -> Self {
        let (quiet_requested, _) = watch::channel(false);
        Self {
            identity,
            interval: interval.clamp(MIN_INTERVAL, MAX_INTERVAL),
            started: Instant::now(),
            queues: Mutex::new(queues),
            external_queues: Mutex::new(Vec::new()),
            jobs: Mutex::new(HashMap::new()),
            draining: AtomicBool::new(false),
            quiet_requested,
            beat_now: Notify::new(),
            stop: CancellationToken::new(),
        }
    }
}

struct RunningJob {
    queue: String,
    lease_token: String,
    started_at: SystemTime,
    cancel: CancellationToken,
    cancel_reason: Arc<OnceLock<String>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poison| poison.into_inner())
}

/// Beats for this process in the background until shut down or dropped (every clone).
/// Failing beats are retried on the next interval and never stop the process.
#[derive(Clone)]
pub struct PulseAgent {
    shared: Arc<AgentShared>,
    task: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl std::fmt::Debug for PulseAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PulseAgent")
            .field("node_id", &self.shared.identity.node_id)
            .field("service", &self.shared.identity.service)
            .finish_non_exhaustive()
    }
}

impl PulseAgent {
    pub fn builder(client: Client) -> PulseAgentBuilder {
        PulseAgentBuilder {
            client,
            identity: None,
            service: String::new(),
            interval: DEFAULT_PULSE_INTERVAL,
            queues: Vec::new(),
        }
    }

    /// Who this process beats as.
    pub fn identity(&self) -> &NodeIdentity {
        &self.shared.identity
    }

    pub fn node_id(&self) -> &str {
        &self.shared.identity.node_id
    }

    pub fn interval(&self) -> Duration {
        self.shared.interval
    }

    /// Replaces the Zenith queues shown for this process.
    pub fn set_queues(&self, queues: Vec<String>) {
        *lock(&self.shared.queues) = queues;
    }

    /// Replaces the snapshots of queues in other systems (Laravel, BullMQ, SQS, …) that the
    /// next beats report; at most 1,000 are sent.
    pub fn set_external_queues(&self, queues: Vec<ExternalQueue>) {
        *lock(&self.shared.external_queues) = queues;
    }

    /// Lists a job as running on this node until the returned handle is dropped. With its
    /// lease token, each beat extends the job's lease. The handle's
    /// [`TrackedJob::cancelled`] completes when an operator cancels the job.
    pub fn track_job(
        &self,
        queue: impl Into<String>,
        job_id: impl Into<String>,
        lease_token: impl Into<String>,
    ) -> TrackedJob {
        let job_id = job_id.into();
        let cancel = CancellationToken::new();
        let cancel_reason = Arc::new(OnceLock::new());
        lock(&self.shared.jobs).insert(
            job_id.clone(),
            RunningJob {
                queue: queue.into(),
                lease_token: lease_token.into(),
                started_at: SystemTime::now(),
                cancel: cancel.clone(),
                cancel_reason: cancel_reason.clone(),
            },
        );
        TrackedJob {
            shared: self.shared.clone(),
            job_id,
            cancel,
            cancel_reason,
        }
    }

    /// True while an operator asks this node to take no new work.
    pub fn is_quiet_requested(&self) -> bool {
        *self.shared.quiet_requested.borrow()
    }

    /// Changes whenever an operator asks the node to take no new work (true) or withdraws it.
    pub fn quiet_requested(&self) -> watch::Receiver<bool> {
        self.shared.quiet_requested.subscribe()
    }

    /// Marks the node as taking no new work because it shuts down, and beats at once so
    /// operators see it.
    pub fn set_draining(&self) {
        self.shared.draining.store(true, Ordering::Relaxed);
        self.shared.beat_now.notify_one();
    }

    /// Stops beating and waits for the background task to end.
    pub async fn shutdown(&self) {
        self.shared.stop.cancel();
        let task = lock(&self.task).take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

impl Drop for PulseAgent {
    fn drop(&mut self) {
        // The task holds one reference; the last handle gone stops it.
        if Arc::strong_count(&self.task) == 1 {
            self.shared.stop.cancel();
        }
    }
}

/// A job listed in this node's beats; dropping it unlists the job.
pub struct TrackedJob {
    shared: Arc<AgentShared>,
    job_id: String,
    cancel: CancellationToken,
    cancel_reason: Arc<OnceLock<String>>,
}

impl TrackedJob {
    /// Completes with the operator's reason (possibly empty) once a beat's answer says the job
    /// was cancelled.
    pub async fn cancelled(&self) -> String {
        self.cancel.cancelled().await;
        self.cancel_reason.get().cloned().unwrap_or_default()
    }
}

impl Drop for TrackedJob {
    fn drop(&mut self) {
        // The job may have been tracked again since (a newer attempt); that entry stays.
        let mut jobs = lock(&self.shared.jobs);
        if jobs
            .get(&self.job_id)
            .is_some_and(|job| Arc::ptr_eq(&job.cancel_reason, &self.cancel_reason))
        {
            jobs.remove(&self.job_id);
        }
    }
}

async fn beat_loop(client: Client, shared: Arc<AgentShared>) {
    let collector = Arc::new(Mutex::new(Collector::new()));
    let timeout = shared.interval.min(MAX_BEAT_TIMEOUT);
    // Ticks keep the declared period even when a beat is slow; a late tick does not bunch up.
    let mut ticker = tokio::time::interval(shared.interval);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shared.stop.cancelled() => return,
            () = shared.beat_now.notified() => ticker.reset(),
            _ = ticker.tick() => {}
        }
        let stats = {
            let collector = collector.clone();
            tokio::task::spawn_blocking(move || lock(&collector).collect()).await
        };
        let (process, system) = stats.unwrap_or_default();
        let beat = payload(&shared, process, system);
        // A beat is never cut short by shutdown: the agent stops between beats.
        match tokio::time::timeout(timeout, client.beat(beat)).await {
            Ok(Ok(response)) => apply(&shared, response),
            Ok(Err(error)) => {
                tracing::debug!(error = %display_chain(&error), "beat failed; retrying next interval")
            }
            Err(_) => tracing::debug!(?timeout, "beat timed out; retrying next interval"),
        }
    }
}

fn payload(shared: &AgentShared, process: ProcessStats, system: SystemStats) -> BeatPayload {
    let jobs = lock(&shared.jobs)
        .iter()
        .take(MAX_LISTED)
        .map(|(job_id, job)| CurrentJob {
            queue: job.queue.clone(),
            job_id: job_id.clone(),
            lease_token: job.lease_token.clone(),
            started_at: Some(job.started_at.into()),
        })
        .collect();
    let mut external_queues = lock(&shared.external_queues).clone();
    external_queues.truncate(MAX_LISTED);
    BeatPayload {
        identity: Some(shared.identity.clone()),
        sent_at: Some(SystemTime::now().into()),
        interval: Some(to_proto_duration(shared.interval)),
        process: Some(process),
        system: Some(system),
        uptime: Some(to_proto_duration(shared.started.elapsed())),
        jobs,
        external_queues,
        queues: lock(&shared.queues).clone(),
        quiet: shared.draining.load(Ordering::Relaxed) || *shared.quiet_requested.borrow(),
    }
}

/// Carries out a beat's instructions; kinds this SDK does not know are ignored. An answer
/// without QUIET withdraws an earlier one, so a lost RESUME cannot leave the node quiet.
fn apply(shared: &AgentShared, response: BeatResponse) {
    let mut quiet = false;
    for instruction in response.instructions {
        match instruction.kind() {
            NodeInstructionKind::CancelJob => {
                if let Some(job) = lock(&shared.jobs).get(&instruction.job_id) {
                    tracing::info!(job_id = %instruction.job_id, reason = %instruction.reason, "job cancelled by an operator");
                    let _ = job.cancel_reason.set(instruction.reason.clone());
                    job.cancel.cancel();
                }
            }
            NodeInstructionKind::Quiet => quiet = true,
            // Implied by the missing QUIET below; named so the intent is plain.
            NodeInstructionKind::Resume => quiet = false,
            NodeInstructionKind::Unspecified => {}
        }
    }
    shared.quiet_requested.send_if_modified(|requested| {
        let changed = *requested != quiet;
        *requested = quiet;
        if changed && quiet {
            tracing::info!("quiet requested; taking no new work");
        } else if changed {
            tracing::info!("quiet withdrawn; taking work again");
        }
        changed
    });
}

/// Reads process and system figures; CPU percentages are over the time since the last read.
struct Collector {
    system: System,
    disks: Disks,
    pid: Pid,
    working_dir: Option<PathBuf>,
}

impl Collector {
    fn new() -> Self {
        Self {
            system: System::new(),
            disks: Disks::new(),
            pid: Pid::from_u32(std::process::id()),
            working_dir: std::env::current_dir().ok(),
        }
    }

    fn collect(&mut self) -> (ProcessStats, SystemStats) {
        self.system.refresh_processes_specifics(
            ProcessesToUpdate::Some(&[self.pid]),
            true,
            ProcessRefreshKind::nothing()
                .with_cpu()
                .with_memory()
                .with_tasks(),
        );
        self.system.refresh_cpu_usage();
        self.system.refresh_memory();
        self.disks.refresh(true);
        let process = self
            .system
            .process(self.pid)
            .map(|process| ProcessStats {
                cpu_percent: f64::from(process.cpu_usage()),
                memory_rss_bytes: process.memory(),
                threads: process
                    .tasks()
                    .map_or(0, |tasks| u32::try_from(tasks.len()).unwrap_or(u32::MAX)),
                open_files: process
                    .open_files()
                    .map_or(0, |open| u32::try_from(open).unwrap_or(u32::MAX)),
            })
            .unwrap_or_default();
        let (disk_total_bytes, disk_used_bytes) = self.working_disk();
        let system = SystemStats {
            cpu_percent: f64::from(self.system.global_cpu_usage()),
            cpu_cores: u32::try_from(self.system.cpus().len()).unwrap_or(u32::MAX),
            memory_total_bytes: self.system.total_memory(),
            memory_used_bytes: self.system.used_memory(),
            disk_total_bytes,
            disk_used_bytes,
            load_average_1m: System::load_average().one,
        };
        (process, system)
    }

    /// Total and used bytes of the disk mounted deepest above the working directory.
    fn working_disk(&mut self) -> (u64, u64) {
        if self.disks.list().is_empty() {
            self.disks.refresh(true);
        }
        let Some(dir) = &self.working_dir else {
            return (0, 0);
        };
        self.disks
            .list()
            .iter()
            .filter(|disk| dir.starts_with(disk.mount_point()))
            .max_by_key(|disk| disk.mount_point().as_os_str().len())
            .map_or((0, 0), |disk| {
                let total = disk.total_space();
                (total, total.saturating_sub(disk.available_space()))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_names_this_process() {
        let identity = detect_identity("billing");
        assert_eq!(identity.service, "billing");
        assert_eq!(identity.language, "rust");
        assert!(
            identity.runtime.starts_with("rustc "),
            "{}",
            identity.runtime
        );
        assert!(identity.sdk_version.starts_with("zenith-sdk-rust "));
        assert_eq!(identity.pid, i64::from(std::process::id()));
        let parts: Vec<&str> = identity.node_id.rsplitn(3, ':').collect();
        assert_eq!(parts[1], std::process::id().to_string());
        assert!(identity.node_id.len() <= MAX_ID_BYTES);
        assert!(
            identity
                .node_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.:@/".contains(c))
        );
        assert_ne!(detect_identity("billing").node_id, identity.node_id);
        assert!(!detect_identity("").service.is_empty());
    }

    #[test]
    fn hostnames_become_id_safe() {
        assert_eq!(id_safe("web 1.example"), "web-1.example");
        assert_eq!(id_safe(&"h".repeat(300)).len(), 150);
    }

    /// An agent whose beat loop never runs, to drive its state by hand.
    fn idle_agent() -> PulseAgent {
        let shared = AgentShared::new(detect_identity("test"), DEFAULT_PULSE_INTERVAL, Vec::new());
        PulseAgent {
            shared: Arc::new(shared),
            task: Arc::new(Mutex::new(None)),
        }
    }

    fn answer(kinds: &[NodeInstructionKind]) -> BeatResponse {
        BeatResponse {
            instructions: kinds
                .iter()
                .map(|kind| zenith_proto::v1::NodeInstruction {
                    kind: (*kind).into(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn an_answer_without_quiet_withdraws_quiet_even_when_resume_was_lost() {
        let agent = idle_agent();
        let mut changes = agent.quiet_requested();
        apply(&agent.shared, answer(&[NodeInstructionKind::Quiet]));
        assert!(agent.is_quiet_requested());
        assert!(changes.has_changed().unwrap());
        changes.mark_unchanged();
        apply(&agent.shared, answer(&[NodeInstructionKind::Quiet]));
        assert!(
            !changes.has_changed().unwrap(),
            "a repeated quiet is no change"
        );
        apply(&agent.shared, answer(&[]));
        assert!(!agent.is_quiet_requested());
        apply(&agent.shared, answer(&[NodeInstructionKind::Quiet]));
        apply(&agent.shared, answer(&[NodeInstructionKind::Resume]));
        assert!(!agent.is_quiet_requested());
    }

    #[test]
    fn a_draining_node_stays_quiet_when_the_operator_withdraws() {
        let agent = idle_agent();
        apply(&agent.shared, answer(&[NodeInstructionKind::Quiet]));
        agent.set_draining();
        apply(&agent.shared, answer(&[]));
        let beat = payload(
            &agent.shared,
            ProcessStats::default(),
            SystemStats::default(),
        );
        assert!(beat.quiet);
    }

    #[test]
    fn an_old_attempts_guard_does_not_untrack_a_newer_attempt() {
        let agent = idle_agent();
        let first = agent.track_job("emails", "j1", "lease-1");
        let second = agent.track_job("emails", "j1", "lease-2");
        drop(first);
        let listed = |agent: &PulseAgent| {
            payload(
                &agent.shared,
                ProcessStats::default(),
                SystemStats::default(),
            )
            .jobs
        };
        let jobs = listed(&agent);
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].lease_token, "lease-2");
        drop(second);
        assert!(listed(&agent).is_empty());
    }

    #[test]
    fn the_collector_reads_this_process() {
        let mut collector = Collector::new();
        let (process, system) = collector.collect();
        assert!(process.memory_rss_bytes > 0);
        assert!(process.threads >= 1);
        assert!(system.cpu_cores >= 1);
        assert!(system.memory_total_bytes >= system.memory_used_bytes);
        assert!(system.disk_total_bytes >= system.disk_used_bytes);
        assert!(system.disk_total_bytes > 0);
    }
}
