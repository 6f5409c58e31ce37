//! [`Worker`]: reserves jobs, runs their handlers, and acks or fails them.

mod acker;
mod context;
mod job;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tonic::Code;
use tracing::Instrument;
use zenith_proto::v1::{NodeIdentity, ReserveRequest, ScheduleSpec};

pub use context::{JobContext, JobError};

use crate::error::{Error, Result};
use crate::pulse::{DEFAULT_PULSE_INTERVAL, detect_identity};
use crate::time::to_proto_duration;
use crate::{Client, PulseAgent};

type HandlerFuture = Pin<Box<dyn Future<Output = Result<(), JobError>> + Send>>;
type Handler = Arc<dyn Fn(JobContext) -> HandlerFuture + Send + Sync>;

/// What every job task of one worker shares.
pub(crate) struct Shared {
    client: Client,
    handlers: HashMap<String, Handler>,
    fallback: Option<Handler>,
    lease: Duration,
    cancel_grace: Duration,
}

/// Configures a [`Worker`]; start with [`Worker::builder`].
#[must_use = "a worker does nothing until built and run"]
pub struct WorkerBuilder {
    client: Client,
    queues: Vec<String>,
    concurrency: usize,
    lease: Duration,
    poll_wait: Duration,
    worker_id: String,
    max_jobs: Option<u64>,
    cancel_grace: Duration,
    ack_batch: usize,
    ack_linger: Duration,
    handlers: HashMap<String, Handler>,
    fallback: Option<Handler>,
    pulse: bool,
    service: String,
    pulse_identity: Option<NodeIdentity>,
    pulse_interval: Duration,
    schedules: Vec<ScheduleSpec>,
}

/// How a worker's pulse agent beats.
struct PulseSettings {
    identity: NodeIdentity,
    interval: Duration,
}

impl WorkerBuilder {
    /// Adds a queue to reserve from; earlier queues are served first.
    pub fn queue(mut self, queue: impl Into<String>) -> Self {
        self.queues.push(queue.into());
        self
    }

    /// Adds queues to reserve from, in priority order.
    pub fn queues<I: IntoIterator<Item = S>, S: Into<String>>(mut self, queues: I) -> Self {
        self.queues.extend(queues.into_iter().map(Into::into));
        self
    }

    /// How many jobs run at once. Default 10.
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency;
        self
    }

    /// Lease length asked for on reserve and on every extension, from 1 s to 1 h. A shorter
    /// lease redelivers jobs of a crashed worker sooner but costs more extensions. Default 30 s.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// How long one reserve call waits on the server when nothing is ready. Default 5 s.
    pub fn poll_wait(mut self, wait: Duration) -> Self {
        self.poll_wait = wait;
        self
    }

    /// The id the server shows for this worker. Default `rust-<pid>`.
    pub fn worker_id(mut self, worker_id: impl Into<String>) -> Self {
        self.worker_id = worker_id.into();
        self
    }

    /// Stops after reserving this many jobs, once they are finished.
    pub fn max_jobs(mut self, max_jobs: u64) -> Self {
        self.max_jobs = Some(max_jobs);
        self
    }

    /// How long a handler gets to return after its cancellation token fires (timeout, lost
    /// lease, or cancellation by an operator) before its future is dropped. Default 5 s.
    pub fn cancel_grace(mut self, grace: Duration) -> Self {
        self.cancel_grace = grace;
        self
    }

    /// Acks are sent together: up to `max` per call, waiting at most `linger` for more.
    /// Default 100 and 5 ms.
    pub fn ack_batching(mut self, max: usize, linger: Duration) -> Self {
        self.ack_batch = max;
        self.ack_linger = linger;
        self
    }

    /// The service this worker's beats report. Default: the executable's name.
    pub fn service(mut self, service: impl Into<String>) -> Self {
        self.service = service.into();
        self
    }

    /// Beats with this identity, e.g. the one a [`crate::LogShipper`] tags lines with.
    pub fn pulse_identity(mut self, identity: NodeIdentity) -> Self {
        self.pulse_identity = Some(identity);
        self
    }

    /// How often the worker's pulse agent beats, from 1 s to 5 min. Default 5 s.
    pub fn pulse_interval(mut self, interval: Duration) -> Self {
        self.pulse_interval = interval;
        self
    }

    /// Runs without a pulse agent: the worker is not listed among the nodes, its jobs' leases
    /// are kept alive by `ExtendLease` alone, and operators cannot quiet it.
    pub fn without_pulse(mut self) -> Self {
        self.pulse = false;
        self
    }

    /// Declares a cron schedule (built with [`crate::ScheduleSpecBuilder`]); repeatable. The
    /// worker upserts each one when it starts, before reserving: a changed definition replaces
    /// the stored one, the same one changes nothing, and a paused schedule stays paused. A
    /// definition the server refuses makes [`Worker::run`] return that error; while the server
    /// is unavailable the worker retries.
    pub fn schedule(mut self, spec: ScheduleSpec) -> Self {
        self.schedules.push(spec);
        self
    }

    /// Runs `handler` for jobs of `job_type`.
    ///
    /// ```no_run
    /// # fn example(builder: zenith_sdk::WorkerBuilder) -> zenith_sdk::WorkerBuilder {
    /// builder.handle("send_welcome", |job: zenith_sdk::JobContext| async move {
    ///     let user: serde_json::Value = job.json()?;
    ///     println!("welcome {user}");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn handle<F, Fut>(mut self, job_type: impl Into<String>, handler: F) -> Self
    where
        F: Fn(JobContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), JobError>> + Send + 'static,
    {
        self.handlers.insert(job_type.into(), box_handler(handler));
        self
    }

    /// Runs `handler` for jobs of any type without a handler of its own. Without a fallback,
    /// such jobs fail as not retryable.
    pub fn fallback<F, Fut>(mut self, handler: F) -> Self
    where
        F: Fn(JobContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), JobError>> + Send + 'static,
    {
        self.fallback = Some(box_handler(handler));
        self
    }

    /// Checks the configuration.
    pub fn build(self) -> Result<Worker> {
        let invalid = |reason: &str| Err(Error::InvalidArgument(reason.to_owned()));
        if self.queues.is_empty() {
            return invalid("worker needs at least one queue");
        }
        if self.concurrency == 0 {
            return invalid("worker concurrency must be at least 1");
        }
        if self.lease < Duration::from_secs(1) || self.lease > Duration::from_secs(3600) {
            return invalid("lease must be from 1s to 1h");
        }
        if self.handlers.is_empty() && self.fallback.is_none() {
            return invalid("worker needs a handler or a fallback");
        }
        let pulse = self.pulse.then(|| PulseSettings {
            identity: self
                .pulse_identity
                .unwrap_or_else(|| detect_identity(&self.service)),
            interval: self.pulse_interval,
        });
        Ok(Worker {
            shared: Arc::new(Shared {
                client: self.client,
                handlers: self.handlers,
                fallback: self.fallback,
                lease: self.lease,
                cancel_grace: self.cancel_grace,
            }),
            queues: self.queues,
            concurrency: self.concurrency,
            poll_wait: self.poll_wait,
            worker_id: self.worker_id,
            max_jobs: self.max_jobs,
            ack_batch: self.ack_batch.max(1),
            ack_linger: self.ack_linger,
            pulse,
            schedules: self.schedules,
        })
    }
}

fn box_handler<F, Fut>(handler: F) -> Handler
where
    F: Fn(JobContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), JobError>> + Send + 'static,
{
    Arc::new(move |context| Box::pin(handler(context)))
}

/// Reserves jobs from its queues, runs each with its handler, and acks or fails it.
///
/// ```no_run
/// # async fn example() -> zenith_sdk::Result<()> {
/// let client = zenith_sdk::Client::connect_lazy("http://127.0.0.1:7700")?;
/// let worker = zenith_sdk::Worker::builder(client)
///     .queue("emails")
///     .concurrency(20)
///     .handle("send_welcome", |job| async move {
///         println!("sending {}", job.id());
///         Ok(())
///     })
///     .build()?;
/// worker.run_until(async { tokio::signal::ctrl_c().await.ok(); }).await
/// # }
/// ```
pub struct Worker {
    shared: Arc<Shared>,
    queues: Vec<String>,
    concurrency: usize,
    poll_wait: Duration,
    worker_id: String,
    max_jobs: Option<u64>,
    ack_batch: usize,
    ack_linger: Duration,
    pulse: Option<PulseSettings>,
    schedules: Vec<ScheduleSpec>,
}

impl Worker {
    pub fn builder(client: Client) -> WorkerBuilder {
        WorkerBuilder {
            client,
            queues: Vec::new(),
            concurrency: 10,
            lease: Duration::from_secs(30),
            poll_wait: Duration::from_secs(5),
            worker_id: format!("rust-{}", std::process::id()),
            max_jobs: None,
            cancel_grace: Duration::from_secs(5),
            ack_batch: 100,
            ack_linger: Duration::from_millis(5),
            handlers: HashMap::new(),
            fallback: None,
            pulse: true,
            service: String::new(),
            pulse_identity: None,
            pulse_interval: DEFAULT_PULSE_INTERVAL,
            schedules: Vec::new(),
        }
    }

    /// The node id this worker beats as; `None` without a pulse agent.
    pub fn node_id(&self) -> Option<&str> {
        self.pulse
            .as_ref()
            .map(|pulse| pulse.identity.node_id.as_str())
    }

    /// Runs until the server refuses the worker's requests for good (bad queue name, no
    /// permission) or `max_jobs` are done.
    pub async fn run(self) -> Result<()> {
        self.run_until(std::future::pending::<()>()).await
    }

    /// Runs until `shutdown` completes, then stops reserving, lets running jobs finish, flushes
    /// their acks and returns.
    pub async fn run_until<F: Future>(self, shutdown: F) -> Result<()> {
        let stop = CancellationToken::new();
        let watch = async {
            shutdown.await;
            tracing::info!("shutting down; finishing running jobs");
            stop.cancel();
            std::future::pending::<()>().await;
        };
        tokio::select! {
            () = watch => unreachable!("the shutdown watcher never completes"),
            result = self.serve(stop.clone()) => result,
        }
    }

    /// Upserts every declared schedule, retrying transient failures until `stop`; returns
    /// whether the worker should go on (false: stopped meanwhile).
    async fn declare_schedules(&self, stop: &CancellationToken) -> Result<bool> {
        let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(10));
        for spec in &self.schedules {
            loop {
                match self.shared.client.upsert_schedule(spec.clone()).await {
                    Ok(upserted) => {
                        backoff.reset();
                        if upserted.created {
                            tracing::info!(schedule_id = %spec.id, "schedule created");
                        } else if upserted.changed {
                            tracing::info!(schedule_id = %spec.id, "schedule changed");
                        } else {
                            tracing::debug!(schedule_id = %spec.id, "schedule unchanged");
                        }
                        break;
                    }
                    Err(error) if error.is_transient() => {
                        let delay = backoff.next_delay();
                        tracing::warn!(schedule_id = %spec.id, error = %display_chain(&error), retry_in = ?delay, "schedule upsert failed; retrying");
                        tokio::select! {
                            () = stop.cancelled() => return Ok(false),
                            () = tokio::time::sleep(delay) => {}
                        }
                    }
                    Err(error) => {
                        tracing::error!(schedule_id = %spec.id, error = %display_chain(&error), "schedule refused; worker stopping");
                        return Err(error);
                    }
                }
            }
        }
        Ok(true)
    }

    async fn serve(self, stop: CancellationToken) -> Result<()> {
        if !self.declare_schedules(&stop).await? {
            tracing::info!("worker stopped");
            return Ok(());
        }
        let slots = Arc::new(Semaphore::new(self.concurrency));
        let (acks, ack_task) =
            acker::spawn(self.shared.client.clone(), self.ack_batch, self.ack_linger);
        let mut running = JoinSet::new();
        let mut remaining = self.max_jobs;
        let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(10));
        let pulse = self.pulse.as_ref().map(|settings| {
            PulseAgent::builder(self.shared.client.clone())
                .identity(settings.identity.clone())
                .interval(settings.interval)
                .queues(self.queues.clone())
                .start()
        });
        let mut quiet = pulse.as_ref().map(PulseAgent::quiet_requested);
        tracing::info!(queues = ?self.queues, concurrency = self.concurrency, worker_id = %self.worker_id, node_id = self.node_id().unwrap_or(""), "worker started");

        let result = loop {
            while running.try_join_next().is_some() {}
            if stop.is_cancelled() || remaining == Some(0) {
                break Ok(());
            }
            if let Some(quiet) = quiet.as_mut()
                && *quiet.borrow_and_update()
            {
                tokio::select! {
                    () = stop.cancelled() => break Ok(()),
                    () = until_resumed(quiet) => continue,
                }
            }
            let mut held = tokio::select! {
                () = stop.cancelled() => break Ok(()),
                permit = slots.clone().acquire_owned() => permit.expect("slots are never closed"),
            };
            take_free_slots(&slots, &mut held);
            let mut wanted = held.num_permits();
            if let Some(remaining) = remaining {
                wanted = wanted.min(usize::try_from(remaining).unwrap_or(usize::MAX));
            }
            let request = ReserveRequest {
                queues: self.queues.clone(),
                max_jobs: i32::try_from(wanted.min(1_000)).unwrap_or(1_000),
                wait: Some(to_proto_duration(self.poll_wait)),
                lease: Some(to_proto_duration(self.shared.lease)),
                worker_id: self.worker_id.clone(),
            };
            // A reserve in flight is never dropped on shutdown: the jobs it reserved would sit
            // leased to nobody until the lease ran out.
            match self.shared.client.reserve(request).await {
                Ok(response) => {
                    backoff.reset();
                    for reserved in response.jobs {
                        let Some(slot) = held.split(1) else {
                            tracing::error!("server returned more jobs than asked for");
                            break;
                        };
                        if let Some(remaining) = remaining.as_mut() {
                            *remaining = remaining.saturating_sub(1);
                        }
                        // The log layer tags lines logged inside this span with the job; an
                        // OTel pipeline exports it as a child of the job's `traceparent`.
                        let span = reserved
                            .job
                            .as_ref()
                            .map_or_else(tracing::Span::none, |job| {
                                let span = tracing::info_span!(
                                    "job",
                                    otel.name = %format!("process {}", job.queue),
                                    otel.kind = "consumer",
                                    zenith.job_id = %job.id,
                                    zenith.queue = %job.queue,
                                    job_type = %job.r#type,
                                    attempt = job.attempts,
                                );
                                #[cfg(feature = "otel")]
                                crate::otel::continue_job_trace(&span, &job.headers);
                                span
                            });
                        let task = job::run(
                            self.shared.clone(),
                            reserved,
                            acks.clone(),
                            slot,
                            pulse.clone(),
                        );
                        running.spawn(task.instrument(span));
                    }
                }
                Err(error) if is_fatal(&error) => {
                    tracing::error!(error = %display_chain(&error), "reserve refused; worker stopping");
                    break Err(error);
                }
                Err(error) => {
                    drop(held);
                    let delay = backoff.next_delay();
                    tracing::warn!(error = %display_chain(&error), retry_in = ?delay, "reserve failed; retrying");
                    tokio::select! {
                        () = stop.cancelled() => {}
                        () = tokio::time::sleep(delay) => {}
                    }
                }
            }
        };

        if let Some(pulse) = &pulse {
            pulse.set_draining();
        }
        while running.join_next().await.is_some() {}
        drop(acks);
        if let Err(error) = ack_task.await {
            tracing::error!(%error, "ack batcher crashed");
        }
        if let Some(pulse) = pulse {
            pulse.shutdown().await;
        }
        tracing::info!("worker stopped");
        result
    }
}

/// Waits until an operator's quiet request is withdrawn (or the agent is gone).
async fn until_resumed(quiet: &mut tokio::sync::watch::Receiver<bool>) {
    while *quiet.borrow_and_update() {
        if quiet.changed().await.is_err() {
            return;
        }
    }
}

/// Adds every free slot to `held` without waiting.
fn take_free_slots(slots: &Arc<Semaphore>, held: &mut OwnedSemaphorePermit) {
    let free = slots.available_permits();
    if free == 0 {
        return;
    }
    if let Ok(more) = slots
        .clone()
        .try_acquire_many_owned(u32::try_from(free).unwrap_or(u32::MAX))
    {
        held.merge(more);
    }
}

/// Errors that retrying cannot fix: the worker's own request is wrong or not allowed.
fn is_fatal(error: &Error) -> bool {
    matches!(
        error.code(),
        Some(
            Code::InvalidArgument
                | Code::PermissionDenied
                | Code::Unauthenticated
                | Code::Unimplemented
        )
    ) || matches!(error, Error::InvalidUrl { .. })
}

/// An error with its whole `source()` chain, `outer: inner: root`.
/// An error with its whole `source()` chain, `outer: inner: root`; a gRPC status's own cause
/// (the transport error) is part of it, and parts repeated further down are left out.
pub(crate) fn display_chain(error: &Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut push = |cause: &(dyn std::error::Error + 'static)| {
        let mut source = Some(cause);
        while let Some(cause) = source {
            let text = cause.to_string();
            if !parts.contains(&text) {
                parts.push(text);
            }
            source = cause.source();
        }
    };
    push(error);
    if let Some(cause) = error.status().and_then(std::error::Error::source) {
        push(cause);
    }
    parts.join(": ")
}

/// Exponential backoff with full jitter on the upper half.
pub(crate) struct Backoff {
    base: Duration,
    max: Duration,
    attempt: u32,
}

impl Backoff {
    pub(crate) fn new(base: Duration, max: Duration) -> Self {
        Self {
            base,
            max,
            attempt: 0,
        }
    }

    pub(crate) fn next_delay(&mut self) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1 << self.attempt.min(16))
            .min(self.max);
        self.attempt += 1;
        let half = ceiling / 2;
        half + half.mul_f64(rand::rng().random::<f64>())
    }

    pub(crate) fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_its_max() {
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        let first = backoff.next_delay();
        assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
        for _ in 0..10 {
            assert!(backoff.next_delay() <= Duration::from_secs(1));
        }
        let late = backoff.next_delay();
        assert!(late >= Duration::from_millis(500));
        backoff.reset();
        assert!(backoff.next_delay() <= Duration::from_millis(100));
    }

    #[tokio::test]
    async fn build_rejects_a_worker_without_queues() {
        let client = Client::connect_lazy("http://127.0.0.1:1").expect("valid url");
        let error = Worker::builder(client)
            .fallback(|_| async { Ok(()) })
            .build()
            .err()
            .expect("no queues is refused");
        assert!(error.to_string().contains("at least one queue"));
    }

    #[tokio::test]
    async fn schedules_are_retried_while_the_server_is_unreachable_until_stopped() {
        let client = Client::connect_lazy("http://127.0.0.1:1").expect("valid url");
        let spec = crate::ScheduleSpecBuilder::every("tick", Duration::from_secs(30))
            .queue("ops")
            .job_type("ping")
            .build();
        let worker = Worker::builder(client)
            .queue("ops")
            .schedule(spec)
            .fallback(|_| async { Ok(()) })
            .build()
            .expect("valid worker");
        let stopped = worker
            .run_until(tokio::time::sleep(Duration::from_millis(700)))
            .await;
        assert!(stopped.is_ok(), "{stopped:?}");
    }
}
