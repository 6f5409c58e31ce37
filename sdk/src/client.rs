//! [`Client`]: enqueue jobs and inspect queues over gRPC.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use futures::StreamExt as _;
use futures::stream::BoxStream;
use tonic::Status;
use tonic::metadata::{AsciiMetadataKey, AsciiMetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};
use zenith_proto::v1::cron_service_client::CronServiceClient;
use zenith_proto::v1::log_service_client::LogServiceClient;
use zenith_proto::v1::pulse_service_client::PulseServiceClient;
use zenith_proto::v1::queue_service_client::QueueServiceClient;
use zenith_proto::v1::worker_service_client::WorkerServiceClient;
use zenith_proto::v1::{
    AckRequest, AckResponse, Backoff, BatchCancelJobsRequest, BatchDeleteJobsRequest,
    BatchEnqueueRequest, BatchPromoteJobsRequest, BatchRetryJobsRequest, CancelJobRequest,
    DeleteJobRequest, EnqueueRequest, EnqueuedJob, ExtendLeaseRequest, ExtendLeaseResponse,
    FailRequest, FailResponse, GetJobRequest, GetQueueRequest, Job, JobAck, JobActionResult,
    JobSpec, JobState, ListJobsRequest, ListOrder, ListQueuesRequest, PauseQueueRequest,
    PromoteJobRequest, Queue, QueueSource, ReserveRequest, ReserveResponse, ResumeQueueRequest,
    RetryJobRequest,
};
use zenith_proto::v1::{
    BeatPayload, BeatRequest, BeatResponse, GetNodeMetricsRequest, GetNodeRequest,
    ListNodesRequest, ListNodesResponse, LogRecord, Node, NodeMetricPoint, QuietNodeRequest,
    SearchLogsRequest, SearchLogsResponse, TailLogsRequest, TailLogsResponse, WriteLogsRequest,
    WriteLogsResponse,
};

use crate::error::{Error, Result};
use crate::time::to_proto_duration;

/// Where a Zenith server listens unless told otherwise.
pub const DEFAULT_SERVER_URL: &str = "http://127.0.0.1:7700";

/// The environment variable naming the server, as the CLI and examples read it.
pub const SERVER_URL_ENV: &str = "ZENITH_SERVER";

/// The environment variable holding the API key, as the CLI and [`Client::connect_default`]
/// read it.
pub const API_KEY_ENV: &str = "ZENITH_API_KEY";

/// Metadata sent with every request of a [`Client`], such as `x-zenith-actor` (who acts, which
/// the server records with what the request does).
#[derive(Clone, Debug, Default)]
pub struct RequestMetadata {
    entries: Vec<(AsciiMetadataKey, AsciiMetadataValue)>,
}

impl RequestMetadata {
    /// Adds (or replaces) one ASCII header.
    pub fn insert(&mut self, key: &str, value: &str) -> Result<()> {
        let key = AsciiMetadataKey::from_str(key)
            .map_err(|_| Error::InvalidArgument(format!("invalid metadata key {key:?}")))?;
        let value = AsciiMetadataValue::from_str(value).map_err(|_| {
            Error::InvalidArgument(format!("invalid metadata value {value:?} for {key}"))
        })?;
        self.entries.retain(|(existing, _)| *existing != key);
        self.entries.push((key, value));
        Ok(())
    }
}

impl Interceptor for RequestMetadata {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, Status> {
        for (key, value) in &self.entries {
            request.metadata_mut().insert(key.clone(), value.clone());
        }
        #[cfg(feature = "otel")]
        crate::otel::inject_current(request.metadata_mut());
        Ok(request)
    }
}

/// The channel every call goes through, adding the client's metadata.
pub type Transport = InterceptedService<Channel, RequestMetadata>;

/// A connection to a Zenith server. Cheap to clone: clones share one HTTP/2 channel.
#[derive(Clone, Debug)]
pub struct Client {
    channel: Channel,
    metadata: RequestMetadata,
    pub(crate) queues: QueueServiceClient<Transport>,
    pub(crate) workers: WorkerServiceClient<Transport>,
    pulse: PulseServiceClient<Transport>,
    logs: LogServiceClient<Transport>,
    pub(crate) cron: CronServiceClient<Transport>,
}

/// Batches of followed log lines from [`Client::tail_logs`]; ends when the server ends the
/// stream (it shuts down) or with the error that broke it.
pub type LogTail = BoxStream<'static, Result<TailLogsResponse>>;

impl Client {
    /// Connects to `url` (e.g. `http://127.0.0.1:7700`) and fails at once when nothing answers.
    pub async fn connect(url: impl Into<String>) -> Result<Self> {
        let url = url.into();
        let endpoint = endpoint(&url)?;
        let channel = endpoint
            .connect()
            .await
            .map_err(|source| Error::Connect { url, source })?;
        Ok(Self::from_channel(channel))
    }

    /// Creates a client whose channel connects on first use and reconnects after failures;
    /// right for long-running workers that may start before the server does.
    pub fn connect_lazy(url: impl Into<String>) -> Result<Self> {
        let url = url.into();
        Ok(Self::from_channel(endpoint(&url)?.connect_lazy()))
    }

    /// Connects to `$ZENITH_SERVER`, or to [`DEFAULT_SERVER_URL`] when it is unset, sending
    /// `$ZENITH_API_KEY` when it is set.
    pub async fn connect_default() -> Result<Self> {
        let client = Self::connect(default_server_url()).await?;
        match std::env::var(API_KEY_ENV) {
            Ok(key) if !key.is_empty() => client.api_key(&key),
            _ => Ok(client),
        }
    }

    /// Wraps a channel configured by the caller (TLS, interceptors' channel, etc.).
    pub fn from_channel(channel: Channel) -> Self {
        Self::with_metadata(channel, RequestMetadata::default())
    }

    fn with_metadata(channel: Channel, metadata: RequestMetadata) -> Self {
        let transport = || InterceptedService::new(channel.clone(), metadata.clone());
        Self {
            queues: QueueServiceClient::new(transport()),
            workers: WorkerServiceClient::new(transport()),
            pulse: PulseServiceClient::new(transport()),
            logs: LogServiceClient::new(transport()),
            cron: CronServiceClient::new(transport()),
            channel,
            metadata,
        }
    }

    /// Sends the header `key: value` with every request from now on, e.g.
    /// `x-zenith-actor: cli:ada@laptop`.
    pub fn header(self, key: &str, value: &str) -> Result<Self> {
        let mut metadata = self.metadata;
        metadata.insert(key, value)?;
        Ok(Self::with_metadata(self.channel, metadata))
    }

    /// Sends the API key (`zk_…`) as `authorization: Bearer <key>` with every request.
    pub fn api_key(self, key: &str) -> Result<Self> {
        self.header("authorization", &format!("Bearer {key}"))
    }

    /// Sends every request to the server's cluster (environment) `name`, as
    /// `x-zenith-cluster: <name>`; without it, calls reach the server's default cluster.
    pub fn cluster(self, name: &str) -> Result<Self> {
        self.header("x-zenith-cluster", name)
    }

    /// The channel and metadata this client sends with, for calling services the client has no
    /// methods for (e.g. `ArchiveServiceClient::with_interceptor`).
    pub fn transport(&self) -> (Channel, RequestMetadata) {
        (self.channel.clone(), self.metadata.clone())
    }

    /// Starts building a job of `job_type` for `queue`; finish with [`Enqueue::send`].
    pub fn enqueue(&self, queue: impl Into<String>, job_type: impl Into<String>) -> Enqueue {
        Enqueue {
            client: self.clone(),
            spec: JobSpec {
                queue: queue.into(),
                r#type: job_type.into(),
                ..JobSpec::default()
            },
        }
    }

    /// Enqueues a fully built spec.
    pub async fn enqueue_spec(&self, spec: JobSpec) -> Result<Enqueued> {
        let response = self
            .queues
            .clone()
            .enqueue(EnqueueRequest { job: Some(spec) })
            .await?
            .into_inner();
        Ok(Enqueued {
            job: response.job.ok_or(Error::MissingField("job"))?,
            duplicate: response.duplicate,
        })
    }

    /// Enqueues up to 1,000 jobs at once, all or nothing; the answer lists them in order.
    pub async fn batch_enqueue(&self, specs: Vec<JobSpec>) -> Result<Vec<EnqueuedJob>> {
        let response = self
            .queues
            .clone()
            .batch_enqueue(BatchEnqueueRequest { jobs: specs })
            .await?
            .into_inner();
        Ok(response.jobs)
    }

    /// One job by id.
    pub async fn get_job(&self, id: impl Into<String>) -> Result<Job> {
        self.get_job_in(id, String::new()).await
    }

    /// One job by id when its queue is known, which saves the server a lookup.
    pub async fn get_job_in(&self, id: impl Into<String>, queue: impl Into<String>) -> Result<Job> {
        let request = GetJobRequest {
            id: id.into(),
            queue: queue.into(),
            include_logs: false,
        };
        let response = self.queues.clone().get_job(request).await?.into_inner();
        response.job.ok_or(Error::MissingField("job"))
    }

    /// Every queue with its counts, following pages to the end.
    pub async fn list_queues(&self) -> Result<Vec<Queue>> {
        let mut queues = Vec::new();
        let mut page_token = String::new();
        loop {
            let request = ListQueuesRequest {
                page_size: 1_000,
                page_token,
                source: QueueSource::Unspecified.into(),
            };
            let page = self.queues.clone().list_queues(request).await?.into_inner();
            queues.extend(page.queues);
            if page.next_page_token.is_empty() {
                return Ok(queues);
            }
            page_token = page.next_page_token;
        }
    }

    /// One queue with its counts.
    pub async fn get_queue(&self, name: impl Into<String>) -> Result<Queue> {
        let request = GetQueueRequest { name: name.into() };
        let response = self.queues.clone().get_queue(request).await?.into_inner();
        response.queue.ok_or(Error::MissingField("queue"))
    }

    /// Starts a listing of the jobs of `queue` in `state`; see [`ListJobs`].
    pub fn list_jobs(&self, queue: impl Into<String>, state: JobState) -> ListJobs {
        ListJobs {
            client: self.clone(),
            request: ListJobsRequest {
                queue: queue.into(),
                state: state.into(),
                ..ListJobsRequest::default()
            },
        }
    }

    /// Stops workers from reserving jobs of the queue; returns the queue as it is now.
    pub async fn pause_queue(&self, name: impl Into<String>) -> Result<Queue> {
        let request = PauseQueueRequest { name: name.into() };
        let response = self.queues.clone().pause_queue(request).await?.into_inner();
        response.queue.ok_or(Error::MissingField("queue"))
    }

    /// Lets workers reserve jobs of the queue again; returns the queue as it is now.
    pub async fn resume_queue(&self, name: impl Into<String>) -> Result<Queue> {
        let request = ResumeQueueRequest { name: name.into() };
        let response = self
            .queues
            .clone()
            .resume_queue(request)
            .await?
            .into_inner();
        response.queue.ok_or(Error::MissingField("queue"))
    }

    /// Makes a dead, retry or scheduled job pending now, with its attempts counted afresh;
    /// returns the job as it is now. A job in another state is refused with
    /// `FAILED_PRECONDITION`.
    pub async fn retry_job(&self, id: impl Into<String>) -> Result<Job> {
        let request = RetryJobRequest {
            id: id.into(),
            queue: String::new(),
        };
        let response = self.queues.clone().retry_job(request).await?.into_inner();
        response.job.ok_or(Error::MissingField("job"))
    }

    /// Makes a scheduled or retry job pending now; its attempts count on.
    pub async fn promote_job(&self, id: impl Into<String>) -> Result<Job> {
        let request = PromoteJobRequest {
            id: id.into(),
            queue: String::new(),
        };
        let response = self.queues.clone().promote_job(request).await?.into_inner();
        response.job.ok_or(Error::MissingField("job"))
    }

    /// Removes a job that is not active.
    pub async fn delete_job(&self, id: impl Into<String>) -> Result<()> {
        let request = DeleteJobRequest {
            id: id.into(),
            queue: String::new(),
        };
        self.queues.clone().delete_job(request).await?;
        Ok(())
    }

    /// Cancels a pending, scheduled or retry job at once. An active job's worker is asked to
    /// stop: the job returned then has `cancel_requested` set, and ends cancelled once the
    /// worker gives it up or its lease runs out.
    pub async fn cancel_job(
        &self,
        id: impl Into<String>,
        reason: impl Into<String>,
    ) -> Result<Job> {
        let request = CancelJobRequest {
            id: id.into(),
            queue: String::new(),
            reason: reason.into(),
        };
        let response = self.queues.clone().cancel_job(request).await?.into_inner();
        response.job.ok_or(Error::MissingField("job"))
    }

    /// [`Self::retry_job`] for up to 1,000 jobs, with a result per id in order. `queue` may be
    /// empty; naming the queue all the jobs are in saves the server a lookup.
    pub async fn batch_retry_jobs(
        &self,
        ids: Vec<String>,
        queue: impl Into<String>,
    ) -> Result<Vec<JobActionResult>> {
        let request = BatchRetryJobsRequest {
            ids,
            queue: queue.into(),
        };
        let response = self.queues.clone().batch_retry_jobs(request).await?;
        Ok(response.into_inner().results)
    }

    /// [`Self::promote_job`] for up to 1,000 jobs, with a result per id in order.
    pub async fn batch_promote_jobs(
        &self,
        ids: Vec<String>,
        queue: impl Into<String>,
    ) -> Result<Vec<JobActionResult>> {
        let request = BatchPromoteJobsRequest {
            ids,
            queue: queue.into(),
        };
        let response = self.queues.clone().batch_promote_jobs(request).await?;
        Ok(response.into_inner().results)
    }

    /// [`Self::delete_job`] for up to 1,000 jobs, with a result per id in order.
    pub async fn batch_delete_jobs(
        &self,
        ids: Vec<String>,
        queue: impl Into<String>,
    ) -> Result<Vec<JobActionResult>> {
        let request = BatchDeleteJobsRequest {
            ids,
            queue: queue.into(),
        };
        let response = self.queues.clone().batch_delete_jobs(request).await?;
        Ok(response.into_inner().results)
    }

    /// [`Self::cancel_job`] for up to 1,000 jobs, with a result per id in order.
    pub async fn batch_cancel_jobs(
        &self,
        ids: Vec<String>,
        queue: impl Into<String>,
        reason: impl Into<String>,
    ) -> Result<Vec<JobActionResult>> {
        let request = BatchCancelJobsRequest {
            ids,
            queue: queue.into(),
            reason: reason.into(),
        };
        let response = self.queues.clone().batch_cancel_jobs(request).await?;
        Ok(response.into_inner().results)
    }

    /// Reserves jobs under a lease. Low level: [`crate::Worker`] does this for you.
    pub async fn reserve(&self, request: ReserveRequest) -> Result<ReserveResponse> {
        // The call long-polls for `wait`; give it that long plus slack before giving up.
        let wait = request
            .wait
            .as_ref()
            .map(crate::time::from_proto_duration)
            .unwrap_or_default();
        let mut request = tonic::Request::new(request);
        request.set_timeout(wait + Duration::from_secs(30));
        Ok(self.workers.clone().reserve(request).await?.into_inner())
    }

    /// Acknowledges finished jobs. Low level: [`crate::Worker`] batches acks for you.
    pub async fn ack(&self, acks: Vec<JobAck>) -> Result<AckResponse> {
        let request = AckRequest { acks };
        Ok(self.workers.clone().ack(request).await?.into_inner())
    }

    /// Reports a failed attempt. Low level: [`crate::Worker`] does this for you.
    pub async fn fail(&self, request: FailRequest) -> Result<FailResponse> {
        Ok(self.workers.clone().fail(request).await?.into_inner())
    }

    /// Pushes a lease's deadline out. Low level: [`crate::Worker`] does this for you.
    pub async fn extend_lease(&self, request: ExtendLeaseRequest) -> Result<ExtendLeaseResponse> {
        Ok(self
            .workers
            .clone()
            .extend_lease(request)
            .await?
            .into_inner())
    }

    /// Reports one beat of a node; the answer carries instructions for it. Low level:
    /// [`crate::PulseAgent`] beats for you.
    pub async fn beat(&self, beat: BeatPayload) -> Result<BeatResponse> {
        let request = BeatRequest { beat: Some(beat) };
        Ok(self.pulse.clone().beat(request).await?.into_inner())
    }

    /// One page of nodes grouped by service, filtered as the request says.
    pub async fn list_nodes(&self, request: ListNodesRequest) -> Result<ListNodesResponse> {
        Ok(self.pulse.clone().list_nodes(request).await?.into_inner())
    }

    /// One node with its last beat and health.
    pub async fn get_node(&self, node_id: impl Into<String>) -> Result<Node> {
        let request = GetNodeRequest {
            node_id: node_id.into(),
        };
        let response = self.pulse.clone().get_node(request).await?.into_inner();
        response.node.ok_or(Error::MissingField("node"))
    }

    /// Asks a node to stop taking work (`quiet = true`), or lets it take work again.
    pub async fn quiet_node(&self, node_id: impl Into<String>, quiet: bool) -> Result<Node> {
        let request = QuietNodeRequest {
            node_id: node_id.into(),
            quiet,
        };
        let response = self.pulse.clone().quiet_node(request).await?.into_inner();
        response.node.ok_or(Error::MissingField("node"))
    }

    /// A node's per-minute CPU, memory and disk over the last 24 hours, oldest first.
    pub async fn get_node_metrics(
        &self,
        node_id: impl Into<String>,
    ) -> Result<Vec<NodeMetricPoint>> {
        let request = GetNodeMetricsRequest {
            node_id: node_id.into(),
        };
        let response = self.pulse.clone().get_node_metrics(request).await?;
        Ok(response.into_inner().points)
    }

    /// Writes 1 to 1,000 log lines. Low level: [`crate::LogShipper`] batches lines for you.
    pub async fn write_logs(&self, records: Vec<LogRecord>) -> Result<WriteLogsResponse> {
        let request = WriteLogsRequest { records };
        Ok(self.logs.clone().write_logs(request).await?.into_inner())
    }

    /// Follows log lines as they arrive, after replaying the request's `replay` stretch.
    pub async fn tail_logs(&self, request: TailLogsRequest) -> Result<LogTail> {
        let stream = self.logs.clone().tail_logs(request).await?.into_inner();
        Ok(stream.map(|item| item.map_err(Error::from)).boxed())
    }

    /// One page of archived log lines, newest first unless the request says otherwise.
    pub async fn search_logs(&self, request: SearchLogsRequest) -> Result<SearchLogsResponse> {
        Ok(self.logs.clone().search_logs(request).await?.into_inner())
    }
}

/// `$ZENITH_SERVER`, or [`DEFAULT_SERVER_URL`] when it is unset or empty.
pub fn default_server_url() -> String {
    std::env::var(SERVER_URL_ENV)
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| DEFAULT_SERVER_URL.to_owned())
}

fn endpoint(url: &str) -> Result<Endpoint> {
    let endpoint = Endpoint::from_shared(url.to_owned()).map_err(|source| Error::InvalidUrl {
        url: url.to_owned(),
        source,
    })?;
    Ok(endpoint
        .connect_timeout(Duration::from_secs(5))
        .tcp_nodelay(true)
        .http2_keep_alive_interval(Duration::from_secs(30))
        .keep_alive_while_idle(true))
}

/// What [`Enqueue::send`] returns.
#[derive(Clone, Debug)]
pub struct Enqueued {
    /// The job as the server stored it (or the existing one, for a duplicate).
    pub job: Job,
    /// True when a job with the same id or unique key existed and nothing was added.
    pub duplicate: bool,
}

/// Builds one job for [`Client::enqueue`]. Only the queue and type are required.
///
/// ```no_run
/// # async fn example(client: zenith_sdk::Client) -> zenith_sdk::Result<()> {
/// use std::time::Duration;
/// let enqueued = client
///     .enqueue("emails", "send_welcome")
///     .json(&serde_json::json!({ "user_id": 42 }))?
///     .delay(Duration::from_secs(30))
///     .max_attempts(3)
///     .send()
///     .await?;
/// println!("{}", enqueued.job.id);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[must_use = "a job is enqueued only by `send`"]
pub struct Enqueue {
    client: Client,
    spec: JobSpec,
}

impl Enqueue {
    /// Sets the payload to `value` as JSON, with content type `application/json`.
    pub fn json<T: serde::Serialize + ?Sized>(mut self, value: &T) -> Result<Self> {
        self.spec.payload = serde_json::to_vec(value)?;
        self.spec.content_type = "application/json".to_owned();
        Ok(self)
    }

    /// Sets an opaque payload.
    pub fn payload(mut self, payload: impl Into<Vec<u8>>) -> Self {
        self.spec.payload = payload.into();
        self
    }

    /// Sets the payload's media type.
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.spec.content_type = content_type.into();
        self
    }

    /// Sets the job's id, which makes enqueueing it idempotent.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.spec.id = id.into();
        self
    }

    /// Runs the job no sooner than `delay` from now.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.spec.delay = Some(to_proto_duration(delay));
        self.spec.run_at = None;
        self
    }

    /// Runs the job no sooner than `at`.
    pub fn run_at(mut self, at: SystemTime) -> Self {
        self.spec.run_at = Some(at.into());
        self.spec.delay = None;
        self
    }

    /// Higher runs first, from -1000 to 1000.
    pub fn priority(mut self, priority: i32) -> Self {
        self.spec.priority = priority;
        self
    }

    /// Attempts before the job is dead; 0 means the server default.
    pub fn max_attempts(mut self, max_attempts: i32) -> Self {
        self.spec.max_attempts = max_attempts;
        self
    }

    /// Backoff between attempts: about `base * 2^(n-1)`, at most `max`.
    pub fn backoff(mut self, base: Duration, max: Duration) -> Self {
        self.spec.backoff = Some(Backoff {
            base: Some(to_proto_duration(base)),
            max: Some(to_proto_duration(max)),
        });
        self
    }

    /// The longest one attempt may run.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.spec.timeout = Some(to_proto_duration(timeout));
        self
    }

    /// Makes the job unique by `key` while it is unfinished.
    pub fn unique_key(mut self, key: impl Into<String>) -> Self {
        self.spec.unique_key = key.into();
        self
    }

    /// How long the unique key holds at most.
    pub fn unique_ttl(mut self, ttl: Duration) -> Self {
        self.spec.unique_ttl = Some(to_proto_duration(ttl));
        self
    }

    /// Adds a label for finding the job.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.spec.tags.push(tag.into());
        self
    }

    /// Adds a metadata header carried with the job.
    pub fn header(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.spec.headers.insert(key.into(), value.into());
        self
    }

    /// Replaces all headers.
    pub fn headers(mut self, headers: HashMap<String, String>) -> Self {
        self.spec.headers = headers;
        self
    }

    /// The spec built so far, e.g. to send many with [`Client::batch_enqueue`].
    pub fn into_spec(self) -> JobSpec {
        self.spec
    }

    /// Enqueues the job.
    pub async fn send(self) -> Result<Enqueued> {
        self.client.enqueue_spec(self.spec).await
    }
}

/// One page of a job listing.
#[derive(Clone, Debug, Default)]
pub struct JobPage {
    pub jobs: Vec<Job>,
    /// Pass to [`ListJobs::page_token`] for the next page; empty on the last page.
    pub next_page_token: String,
}

/// A listing of one queue's jobs in one state, from [`Client::list_jobs`].
#[derive(Clone, Debug)]
#[must_use = "jobs are listed only by `page` or `collect`"]
pub struct ListJobs {
    client: Client,
    request: ListJobsRequest,
}

impl ListJobs {
    /// Jobs per page; 0 means the server default (50), and the server caps it at 500.
    pub fn page_size(mut self, page_size: i32) -> Self {
        self.request.page_size = page_size;
        self
    }

    /// Continues a listing from a previous page's `next_page_token`.
    pub fn page_token(mut self, page_token: impl Into<String>) -> Self {
        self.request.page_token = page_token.into();
        self
    }

    /// Newest first instead of the state's own order.
    pub fn newest_first(mut self) -> Self {
        self.request.order = ListOrder::NewestFirst.into();
        self
    }

    /// Only jobs matching a filter expression, such as `error : "timeout" AND attempts >= 3`
    /// (grammar in `proto/zenith/v1/FILTER.md`). A filtered page may hold fewer jobs than the
    /// page size, even none, and still have a next page; [`ListJobs::collect`] follows them.
    pub fn filter(mut self, filter: impl Into<String>) -> Self {
        self.request.filter = filter.into();
        self
    }

    /// Fetches one page.
    pub async fn page(self) -> Result<JobPage> {
        let response = self
            .client
            .queues
            .clone()
            .list_jobs(self.request)
            .await?
            .into_inner();
        Ok(JobPage {
            jobs: response.jobs,
            next_page_token: response.next_page_token,
        })
    }

    /// Follows pages until `limit` jobs are collected or the listing ends. The returned page
    /// token continues after the last collected job when more may follow.
    pub async fn collect(mut self, limit: usize) -> Result<JobPage> {
        let mut collected = JobPage::default();
        loop {
            let wanted = limit - collected.jobs.len();
            if self.request.page_size == 0 || self.request.page_size as usize > wanted {
                self.request.page_size = i32::try_from(wanted.min(500)).unwrap_or(500);
            }
            let page = self.clone().page().await?;
            collected.jobs.extend(page.jobs);
            collected.next_page_token = page.next_page_token;
            if collected.next_page_token.is_empty() || collected.jobs.len() >= limit {
                collected.jobs.truncate(limit);
                return Ok(collected);
            }
            self.request.page_token = collected.next_page_token.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_metadata_goes_on_every_request() {
        let mut metadata = RequestMetadata::default();
        metadata.insert("x-zenith-actor", "cli:ada@laptop").unwrap();
        metadata.insert("x-zenith-actor", "cli:bob@laptop").unwrap();
        let request = metadata.call(tonic::Request::new(())).unwrap();
        let values: Vec<_> = request
            .metadata()
            .get_all("x-zenith-actor")
            .iter()
            .collect();
        assert_eq!(values, ["cli:bob@laptop"]);
        assert!(metadata.insert("bad key", "x").is_err());
        assert!(metadata.insert("x-ok", "line\nbreak").is_err());
    }
}
