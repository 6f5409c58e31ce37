//! Zenith's side: the same work as the raw baselines, through the gRPC API.
//!
//! Every concurrent caller gets its own tonic Channel (its own HTTP/2 connection), as separate
//! producer and worker processes would; a shared channel would measure one connection's task.

use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use tonic::transport::{Channel, Endpoint};
use zenith_proto::v1::queue_service_client::QueueServiceClient;
use zenith_proto::v1::worker_service_client::WorkerServiceClient;
use zenith_proto::v1::{
    AckRequest, BatchEnqueueRequest, EnqueueRequest, JobAck, JobSpec, ListQueuesRequest,
    QueueSource, ReserveRequest,
};

use crate::Scale;
use crate::drive::{Latency, Rate, Step, drive, latency};

pub const BATCH_CALLERS: usize = 8;
pub const BATCH_SIZE: usize = 500;
pub const UNARY_CALLERS: usize = 64;
const RESERVERS: usize = 8;
const RESERVE_MAX_JOBS: i32 = 100;
const LISTED_QUEUES: usize = 1_000;
const JOBS_PER_LISTED_QUEUE: usize = 3;
/// Concurrent callers that fill queues before a measurement; setup, not measured.
const SETUP_CALLERS: usize = 8;

pub struct Zenith {
    url: String,
    payload: Vec<u8>,
}

impl Zenith {
    pub fn new(url: String, payload: Vec<u8>) -> Self {
        Self { url, payload }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub async fn channel(&self) -> anyhow::Result<Channel> {
        Endpoint::from_shared(self.url.clone())?
            .connect_timeout(Duration::from_secs(5))
            // Bounds every call, so a stuck server fails the run instead of hanging it.
            .timeout(Duration::from_secs(30))
            .connect()
            .await
            .with_context(|| format!("connect to {}", self.url))
    }

    pub async fn queue_client(&self) -> anyhow::Result<QueueServiceClient<Channel>> {
        Ok(QueueServiceClient::new(self.channel().await?))
    }

    pub fn spec(&self, queue: &str) -> JobSpec {
        JobSpec {
            queue: queue.to_owned(),
            r#type: "bench.order".to_owned(),
            payload: self.payload.clone(),
            content_type: "application/json".to_owned(),
            ..Default::default()
        }
    }

    /// Waits, bounded, until the server answers RPCs: the port may open before Redis and SQL
    /// are ready.
    pub async fn wait_ready(&self) -> anyhow::Result<()> {
        let started = Instant::now();
        let mut attempts = 0;
        loop {
            attempts += 1;
            let result = match self.queue_client().await {
                Ok(mut client) => client
                    .list_queues(ListQueuesRequest::default())
                    .await
                    .map(drop)
                    .map_err(anyhow::Error::from),
                Err(error) => Err(error),
            };
            match result {
                Ok(()) => return Ok(()),
                Err(error) if started.elapsed() > Duration::from_secs(30) || attempts >= 300 => {
                    return Err(error.context("server not ready"));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// Enqueues `count` jobs into `queue` in batches from a few concurrent callers; returns how
    /// many went in, which is fewer only when `limit` runs out first.
    async fn fill(&self, queue: &str, count: usize, limit: Duration) -> anyhow::Result<u64> {
        let batches = count.div_ceil(BATCH_SIZE);
        let mut workers = Vec::with_capacity(SETUP_CALLERS);
        for index in 0..SETUP_CALLERS {
            let share = batches / SETUP_CALLERS + usize::from(index < batches % SETUP_CALLERS);
            workers.push(BatchWorker {
                client: self.queue_client().await?,
                request: self.batch(queue),
                remaining: share,
            });
        }
        let (_, rate) = drive(workers, limit).await?;
        Ok(rate.items)
    }

    fn batch(&self, queue: &str) -> BatchEnqueueRequest {
        BatchEnqueueRequest {
            jobs: vec![self.spec(queue); BATCH_SIZE],
        }
    }

    /// Jobs through BatchEnqueue, 500 jobs a call from 8 concurrent callers, over the
    /// measured time.
    pub async fn enqueue_batch(&self, scale: &Scale) -> anyhow::Result<Rate> {
        let mut workers = Vec::with_capacity(BATCH_CALLERS);
        for _ in 0..BATCH_CALLERS {
            workers.push(BatchWorker {
                client: self.queue_client().await?,
                request: self.batch("bench-enqueue-batch"),
                remaining: usize::MAX,
            });
        }
        let (workers, _) = drive(workers, scale.warmup).await?;
        let (_, rate) = drive(workers, scale.measure).await?;
        Ok(rate)
    }

    /// Jobs through unary Enqueue from 64 concurrent callers, over the measured time.
    pub async fn enqueue_unary(&self, scale: &Scale) -> anyhow::Result<Rate> {
        let mut workers = Vec::with_capacity(UNARY_CALLERS);
        for _ in 0..UNARY_CALLERS {
            workers.push(UnaryWorker {
                client: self.queue_client().await?,
                request: EnqueueRequest {
                    job: Some(self.spec("bench-enqueue-unary")),
                },
            });
        }
        let (workers, _) = drive(workers, scale.warmup).await?;
        let (_, rate) = drive(workers, scale.measure).await?;
        Ok(rate)
    }

    /// Jobs through Reserve (100 at a time) then one Ack for the whole batch, from 8
    /// concurrent reservers on one queue. `enqueue_rate` sizes the backlog: reserve plus ack is
    /// two steps a job against enqueue's one, so what enqueue does over warm-up and measurement
    /// should outlast both; if not, the measurement ends early when the queue is empty, which
    /// still counts honestly.
    pub async fn reserve_ack(&self, scale: &Scale, enqueue_rate: f64) -> anyhow::Result<Rate> {
        const QUEUE: &str = "bench-reserve-ack";
        let window = (scale.warmup + scale.measure).as_secs_f64();
        let backlog = (enqueue_rate * window).clamp(5_000.0, 2_000_000.0) as usize;
        let filled = self.fill(QUEUE, backlog, scale.fill_limit).await?;
        eprintln!("  pre-enqueued {filled} jobs");

        let mut workers = Vec::with_capacity(RESERVERS);
        for index in 0..RESERVERS {
            workers.push(ReserveAckWorker {
                client: WorkerServiceClient::new(self.channel().await?),
                request: ReserveRequest {
                    queues: vec![QUEUE.to_owned()],
                    max_jobs: RESERVE_MAX_JOBS,
                    // No long-poll: an empty answer means the backlog is gone.
                    wait: None,
                    lease: None,
                    worker_id: format!("bench-{index}"),
                },
            });
        }
        let (workers, _) = drive(workers, scale.warmup).await?;
        let (_, rate) = drive(workers, scale.measure).await?;
        ensure!(
            rate.items > 0,
            "the backlog of {filled} jobs ran out during warm-up"
        );
        Ok(rate)
    }

    /// Enqueues `count` jobs into `queue` and completes every one of them (reserve, ack):
    /// setup for the archive's end-to-end measurement, bounded by `limit` per half.
    pub async fn enqueue_and_complete(
        &self,
        queue: &str,
        count: usize,
        limit: Duration,
    ) -> anyhow::Result<()> {
        let filled = self.fill(queue, count, limit).await?;
        ensure!(
            filled as usize >= count,
            "enqueued {filled} of {count} jobs in {limit:?}"
        );
        let mut workers = Vec::with_capacity(RESERVERS);
        for index in 0..RESERVERS {
            workers.push(ReserveAckWorker {
                client: WorkerServiceClient::new(self.channel().await?),
                request: ReserveRequest {
                    queues: vec![queue.to_owned()],
                    max_jobs: RESERVE_MAX_JOBS,
                    wait: None,
                    lease: None,
                    worker_id: format!("bench-archive-{index}"),
                },
            });
        }
        let (_, rate) = drive(workers, limit).await?;
        ensure!(
            rate.items as usize == filled as usize,
            "completed {} of {filled} jobs in {limit:?}",
            rate.items
        );
        Ok(())
    }

    /// Creates 1,000 queues holding a few jobs each; on an empty Redis, one page of 1,000 then
    /// covers exactly them.
    pub async fn create_listed_queues(&self) -> anyhow::Result<()> {
        let names: Vec<String> = (0..LISTED_QUEUES)
            .map(|index| format!("bench-list-{index:04}"))
            .collect();
        let mut tasks = Vec::with_capacity(SETUP_CALLERS);
        for chunk in names.chunks(LISTED_QUEUES.div_ceil(SETUP_CALLERS)) {
            let mut client = self.queue_client().await?;
            let requests: Vec<BatchEnqueueRequest> = chunk
                .iter()
                .map(|queue| BatchEnqueueRequest {
                    jobs: vec![self.spec(queue); JOBS_PER_LISTED_QUEUE],
                })
                .collect();
            tasks.push(tokio::spawn(async move {
                for request in requests {
                    client
                        .batch_enqueue(request)
                        .await
                        .context("batch enqueue")?;
                }
                anyhow::Ok(())
            }));
        }
        for task in tasks {
            task.await.context("setup task panicked")??;
        }
        Ok(())
    }

    /// Latency of ListQueues with page_size 1,000 over the 1,000 listed queues.
    pub async fn list_queues_latency(&self, scale: &Scale) -> anyhow::Result<Latency> {
        let mut client = self.queue_client().await?;
        latency(scale.latency_warmup, scale.latency_samples, async || {
            let response = client
                .list_queues(ListQueuesRequest {
                    page_size: LISTED_QUEUES as i32,
                    page_token: String::new(),
                    source: QueueSource::Zenith.into(),
                })
                .await
                .context("list queues")?
                .into_inner();
            ensure!(
                response.queues.len() == LISTED_QUEUES,
                "list queues returned {} queues, expected {LISTED_QUEUES}",
                response.queues.len()
            );
            Ok(())
        })
        .await
    }
}

struct BatchWorker {
    client: QueueServiceClient<Channel>,
    request: BatchEnqueueRequest,
    /// Calls left; the measured phases never run out, the backlog fill does.
    remaining: usize,
}

impl Step for BatchWorker {
    async fn step(&mut self) -> anyhow::Result<u64> {
        if self.remaining == 0 {
            return Ok(0);
        }
        self.remaining -= 1;
        let response = self
            .client
            .batch_enqueue(self.request.clone())
            .await
            .context("batch enqueue")?
            .into_inner();
        ensure!(
            response.jobs.len() == self.request.jobs.len(),
            "batch enqueue answered {} of {} jobs",
            response.jobs.len(),
            self.request.jobs.len()
        );
        Ok(response.jobs.len() as u64)
    }
}

struct UnaryWorker {
    client: QueueServiceClient<Channel>,
    request: EnqueueRequest,
}

impl Step for UnaryWorker {
    async fn step(&mut self) -> anyhow::Result<u64> {
        self.client
            .enqueue(self.request.clone())
            .await
            .context("enqueue")?;
        Ok(1)
    }
}

struct ReserveAckWorker {
    client: WorkerServiceClient<Channel>,
    request: ReserveRequest,
}

impl Step for ReserveAckWorker {
    async fn step(&mut self) -> anyhow::Result<u64> {
        let reserved = self
            .client
            .reserve(self.request.clone())
            .await
            .context("reserve")?
            .into_inner()
            .jobs;
        if reserved.is_empty() {
            return Ok(0);
        }
        let acks = reserved
            .into_iter()
            .map(|reserved| {
                let job = reserved
                    .job
                    .context("reserve answered a lease without its job")?;
                Ok(JobAck {
                    queue: job.queue,
                    job_id: job.id,
                    lease_token: reserved.lease_token,
                    result: Vec::new(),
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let count = acks.len();
        let acked = self
            .client
            .ack(AckRequest { acks })
            .await
            .context("ack")?
            .into_inner()
            .acked;
        ensure!(acked as usize == count, "ack acked {acked} of {count} jobs");
        Ok(count as u64)
    }
}
