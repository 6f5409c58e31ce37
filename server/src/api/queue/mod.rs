//! `zenith.v1.QueueService`: enqueue and inspect here; operator actions on jobs in `actions`,
//! bulk operations in `bulk`, metrics and the live watch in `metrics`.

mod actions;
mod bulk;
mod metrics;

use std::ops::Bound;

use tonic::{Request, Response, Status};
use zenith_proto::v1::queue_service_server::QueueService;
use zenith_proto::v1::*;

use super::actor::actor;
use super::validate;
use super::{Limits, page_token};
use crate::archive::SharedArchive;
use crate::filter::Filter;
use crate::logs::SharedLogStore;
use crate::pulse::{ExternalReport, SharedPulse};
use crate::queue::{
    Enqueued, JobCursor, NewJob, QueueError, SharedEngine, apply_spec, state_name,
    timestamp_from_ms,
};
use crate::telemetry::TraceHeaders;

pub const MAX_BATCH: usize = 1000;

pub struct QueueApi {
    engine: SharedEngine,
    archive: SharedArchive,
    pulse: SharedPulse,
    log_store: SharedLogStore,
    limits: Limits,
}

impl QueueApi {
    pub fn new(
        engine: SharedEngine,
        archive: SharedArchive,
        pulse: SharedPulse,
        log_store: SharedLogStore,
        limits: Limits,
    ) -> Self {
        Self {
            engine,
            archive,
            pulse,
            log_store,
            limits,
        }
    }

    /// Validates a caller's spec; a traced call hands its context on in the job's headers.
    fn new_job(
        &self,
        field: &str,
        spec: JobSpec,
        trace: Option<&TraceHeaders>,
    ) -> Result<NewJob, QueueError> {
        let mut job = validate::new_job(field, spec, &self.limits)?;
        if let Some(trace) = trace {
            trace.apply(&mut job.headers);
        }
        Ok(job)
    }

    fn queue_name(field: &str, name: &str) -> Result<(), QueueError> {
        validate::name(field, name)
    }
}

/// The job a fresh enqueue wrote, built without reading it back.
fn written_job(job: NewJob, outcome: &Enqueued) -> Job {
    let mut written = Job {
        queue: job.queue.clone(),
        created_at: outcome.created_at_ms.map(timestamp_from_ms),
        scheduled_at: outcome.scheduled_at_ms.map(timestamp_from_ms),
        ..Job::default()
    };
    apply_spec(&mut written, job.spec());
    written.set_state(outcome.state);
    written
}

/// Where a ListQueues page starts.
enum QueueCursor {
    /// Zenith's queues after this name (empty: from the first).
    Zenith(String),
    /// External queues after this (driver, connection, name), or from the first.
    External(Option<(String, String, String)>),
}

/// An external queue as its newest report shows it; `failed` counts as dead.
fn external_queue(report: &ExternalReport) -> Queue {
    let queue = &report.queue;
    Queue {
        name: queue.name.clone(),
        paused: queue.paused,
        counts: Some(QueueCounts {
            pending: queue.pending,
            scheduled: queue.scheduled,
            active: queue.active,
            dead: queue.failed,
            completed: queue.completed,
            ..Default::default()
        }),
        oldest_pending_age: queue.oldest_pending_age,
        source: QueueSource::External.into(),
        external: Some(ExternalQueueOrigin {
            driver: queue.driver.clone(),
            connection: queue.connection.clone(),
            reported_by: report.node_id.clone(),
            reported_at: Some(timestamp_from_ms(report.reported_at_ms)),
        }),
    }
}

fn page_size(requested: i32, default: usize, max: usize) -> Result<usize, QueueError> {
    match requested {
        n if n < 0 => Err(QueueError::invalid("page_size", "must not be negative")),
        0 => Ok(default),
        n => Ok((n as usize).min(max)),
    }
}

#[tonic::async_trait]
impl QueueService for QueueApi {
    async fn enqueue(
        &self,
        request: Request<EnqueueRequest>,
    ) -> Result<Response<EnqueueResponse>, Status> {
        let actor = actor(&request)?;
        let trace = request.extensions().get::<TraceHeaders>().cloned();
        let spec = request
            .into_inner()
            .job
            .ok_or_else(|| QueueError::invalid("job", "required"))?;
        let job = self.new_job("job", spec, trace.as_ref())?;
        let outcome = self
            .engine
            .enqueue(vec![job.clone()], &actor)
            .await?
            .pop()
            .expect("one outcome per job");
        let response = if outcome.duplicate {
            let existing = self
                .engine
                .get_job(&outcome.id, Some(&outcome.queue))
                .await?;
            EnqueueResponse {
                job: Some(existing),
                duplicate: true,
            }
        } else {
            EnqueueResponse {
                job: Some(written_job(job, &outcome)),
                duplicate: false,
            }
        };
        Ok(Response::new(response))
    }

    async fn batch_enqueue(
        &self,
        request: Request<BatchEnqueueRequest>,
    ) -> Result<Response<BatchEnqueueResponse>, Status> {
        let actor = actor(&request)?;
        let trace = request.extensions().get::<TraceHeaders>().cloned();
        let specs = request.into_inner().jobs;
        if specs.is_empty() {
            return Err(QueueError::invalid("jobs", "at least one job is required").into());
        }
        if specs.len() > MAX_BATCH {
            return Err(QueueError::invalid(
                "jobs",
                format!("{} jobs exceeds the limit of {MAX_BATCH}", specs.len()),
            )
            .into());
        }
        let jobs = specs
            .into_iter()
            .enumerate()
            .map(|(i, spec)| self.new_job(&format!("jobs[{i}]"), spec, trace.as_ref()))
            .collect::<Result<Vec<_>, QueueError>>()?;
        let outcomes = self.engine.enqueue(jobs, &actor).await?;
        let jobs = outcomes
            .into_iter()
            .map(|outcome| EnqueuedJob {
                id: outcome.id,
                queue: outcome.queue,
                state: outcome.state as i32,
                duplicate: outcome.duplicate,
            })
            .collect();
        Ok(Response::new(BatchEnqueueResponse { jobs }))
    }

    async fn get_job(
        &self,
        request: Request<GetJobRequest>,
    ) -> Result<Response<GetJobResponse>, Status> {
        let request = request.into_inner();
        validate::name("id", &request.id)?;
        let queue = if request.queue.is_empty() {
            None
        } else {
            Self::queue_name("queue", &request.queue)?;
            Some(request.queue.as_str())
        };
        // Redis answers for live jobs; the archive for jobs Redis has forgotten.
        let (job, source) = match self.engine.get_job(&request.id, queue).await {
            Ok(job) => (job, JobSource::Live),
            Err(QueueError::JobNotFound(_)) => match self.archive.get_job(&request.id).await? {
                Some(archived) if queue.is_none_or(|q| q == archived.job.queue) => {
                    (archived.job, JobSource::Archive)
                }
                _ => return Err(QueueError::JobNotFound(request.id).into()),
            },
            Err(error) => return Err(error.into()),
        };
        let (logs, logs_truncated) = if request.include_logs {
            crate::api::logs::job_lines(&self.log_store, &request.id).await?
        } else {
            (Vec::new(), false)
        };
        Ok(Response::new(GetJobResponse {
            job: Some(job),
            source: source.into(),
            logs,
            logs_truncated,
        }))
    }

    async fn list_queues(
        &self,
        request: Request<ListQueuesRequest>,
    ) -> Result<Response<ListQueuesResponse>, Status> {
        // A key limited to some queues sees only those (pages may come out shorter).
        let caller = crate::auth::principal(&request).cloned();
        let request = request.into_inner();
        let limit = page_size(request.page_size, 100, 1000)?;
        let (zenith, external) = match QueueSource::try_from(request.source) {
            Ok(QueueSource::Unspecified) => (true, true),
            Ok(QueueSource::Zenith) => (true, false),
            Ok(QueueSource::External) => (false, true),
            Err(_) => {
                return Err(QueueError::invalid("source", "one of zenith, external").into());
            }
        };
        // The token says which part the next page continues in: Zenith's queues after a
        // name, or the external ones after a (driver, connection, name).
        let cursor = if request.page_token.is_empty() {
            QueueCursor::Zenith(String::new())
        } else {
            let parts = page_token::decode(&request.page_token, 4)?;
            match parts[0].as_str() {
                "zenith" if zenith => QueueCursor::Zenith(parts[1].clone()),
                "external-first" if external => QueueCursor::External(None),
                "external" if external => QueueCursor::External(Some((
                    parts[1].clone(),
                    parts[2].clone(),
                    parts[3].clone(),
                ))),
                _ => {
                    return Err(QueueError::invalid(
                        "page_token",
                        "not a token from a previous response",
                    )
                    .into());
                }
            }
        };
        let mut queues = Vec::new();
        let after_external = match cursor {
            QueueCursor::Zenith(after) if zenith => {
                let (found, more) = self.engine.list_queues(&after, limit).await?;
                queues = found;
                if more {
                    let last = &queues.last().expect("more means some").name;
                    let next_page_token = page_token::encode(&["zenith", last, "", ""]);
                    if let Some(caller) = &caller {
                        queues.retain(|queue| caller.allows_queue(&queue.name));
                    }
                    return Ok(Response::new(ListQueuesResponse {
                        next_page_token,
                        queues,
                    }));
                }
                None
            }
            QueueCursor::Zenith(_) => None,
            QueueCursor::External(after) => after,
        };
        let mut next_page_token = String::new();
        if external {
            let reports = self.pulse.external_queues();
            let start = match &after_external {
                Some(key) => Bound::Excluded(key.clone()),
                None => Bound::Unbounded,
            };
            let mut remaining = reports.range((start, Bound::Unbounded)).peekable();
            let mut last_external = None;
            while queues.len() < limit {
                let Some((key, report)) = remaining.next() else {
                    break;
                };
                queues.push(external_queue(report));
                last_external = Some(key);
            }
            if remaining.peek().is_some() {
                next_page_token = match last_external {
                    Some((driver, connection, name)) => {
                        page_token::encode(&["external", driver, connection, name])
                    }
                    None => page_token::encode(&["external-first", "", "", ""]),
                };
            }
        }
        if let Some(caller) = &caller {
            queues.retain(|queue| caller.allows_queue(&queue.name));
        }
        Ok(Response::new(ListQueuesResponse {
            queues,
            next_page_token,
        }))
    }

    async fn get_queue(
        &self,
        request: Request<GetQueueRequest>,
    ) -> Result<Response<GetQueueResponse>, Status> {
        let name = request.into_inner().name;
        Self::queue_name("name", &name)?;
        let queue = self.engine.get_queue(&name).await?;
        Ok(Response::new(GetQueueResponse { queue: Some(queue) }))
    }

    async fn list_jobs(
        &self,
        request: Request<ListJobsRequest>,
    ) -> Result<Response<ListJobsResponse>, Status> {
        let request = request.into_inner();
        Self::queue_name("queue", &request.queue)?;
        let state = match JobState::try_from(request.state) {
            Ok(JobState::Unspecified | JobState::Deleted) | Err(_) => {
                return Err(QueueError::invalid(
                    "state",
                    "one of pending, scheduled, active, retry, dead, completed, cancelled is \
                     required",
                )
                .into());
            }
            Ok(state) => state_name(state),
        };
        let filter = Filter::parse(&request.filter)
            .map_err(|error| QueueError::invalid("filter", error.to_string()))?;
        let limit = page_size(request.page_size, 50, 500)?;
        let newest_first = request.order() == ListOrder::NewestFirst;
        let cursor = if request.page_token.is_empty() {
            None
        } else {
            let mut parts = page_token::decode(&request.page_token, 2)?;
            let score = parts.pop().expect("two parts");
            let id = parts.pop().expect("two parts");
            if score.parse::<f64>().is_err() {
                return Err(QueueError::invalid(
                    "page_token",
                    "not a token from a previous response",
                )
                .into());
            }
            Some(JobCursor { id, score })
        };
        let (jobs, next) = self
            .engine
            .list_jobs(
                &request.queue,
                state,
                limit,
                newest_first,
                cursor.as_ref(),
                &filter,
            )
            .await?;
        let next_page_token = next
            .map(|cursor| page_token::encode(&[&cursor.id, &cursor.score]))
            .unwrap_or_default();
        Ok(Response::new(ListJobsResponse {
            jobs,
            next_page_token,
        }))
    }

    async fn pause_queue(
        &self,
        request: Request<PauseQueueRequest>,
    ) -> Result<Response<PauseQueueResponse>, Status> {
        let name = request.into_inner().name;
        Self::queue_name("name", &name)?;
        let queue = self.engine.set_paused(&name, true).await?;
        Ok(Response::new(PauseQueueResponse { queue: Some(queue) }))
    }

    async fn resume_queue(
        &self,
        request: Request<ResumeQueueRequest>,
    ) -> Result<Response<ResumeQueueResponse>, Status> {
        let name = request.into_inner().name;
        Self::queue_name("name", &name)?;
        let queue = self.engine.set_paused(&name, false).await?;
        Ok(Response::new(ResumeQueueResponse { queue: Some(queue) }))
    }

    async fn retry_job(
        &self,
        request: Request<RetryJobRequest>,
    ) -> Result<Response<RetryJobResponse>, Status> {
        let actor = actor(&request)?;
        Ok(Response::new(
            self.retry_job_rpc(request.into_inner(), &actor).await?,
        ))
    }

    async fn promote_job(
        &self,
        request: Request<PromoteJobRequest>,
    ) -> Result<Response<PromoteJobResponse>, Status> {
        let actor = actor(&request)?;
        Ok(Response::new(
            self.promote_job_rpc(request.into_inner(), &actor).await?,
        ))
    }

    async fn delete_job(
        &self,
        request: Request<DeleteJobRequest>,
    ) -> Result<Response<DeleteJobResponse>, Status> {
        let actor = actor(&request)?;
        Ok(Response::new(
            self.delete_job_rpc(request.into_inner(), &actor).await?,
        ))
    }

    async fn cancel_job(
        &self,
        request: Request<CancelJobRequest>,
    ) -> Result<Response<CancelJobResponse>, Status> {
        let actor = actor(&request)?;
        Ok(Response::new(
            self.cancel_job_rpc(request.into_inner(), &actor).await?,
        ))
    }

    async fn batch_retry_jobs(
        &self,
        request: Request<BatchRetryJobsRequest>,
    ) -> Result<Response<BatchRetryJobsResponse>, Status> {
        let actor = actor(&request)?;
        Ok(Response::new(
            self.batch_retry_jobs_rpc(request.into_inner(), &actor)
                .await?,
        ))
    }

    async fn batch_promote_jobs(
        &self,
        request: Request<BatchPromoteJobsRequest>,
    ) -> Result<Response<BatchPromoteJobsResponse>, Status> {
        let actor = actor(&request)?;
        Ok(Response::new(
            self.batch_promote_jobs_rpc(request.into_inner(), &actor)
                .await?,
        ))
    }

    async fn batch_delete_jobs(
        &self,
        request: Request<BatchDeleteJobsRequest>,
    ) -> Result<Response<BatchDeleteJobsResponse>, Status> {
        let actor = actor(&request)?;
        Ok(Response::new(
            self.batch_delete_jobs_rpc(request.into_inner(), &actor)
                .await?,
        ))
    }

    async fn batch_cancel_jobs(
        &self,
        request: Request<BatchCancelJobsRequest>,
    ) -> Result<Response<BatchCancelJobsResponse>, Status> {
        let actor = actor(&request)?;
        Ok(Response::new(
            self.batch_cancel_jobs_rpc(request.into_inner(), &actor)
                .await?,
        ))
    }

    async fn count_jobs(
        &self,
        request: Request<CountJobsRequest>,
    ) -> Result<Response<CountJobsResponse>, Status> {
        Ok(Response::new(
            self.count_jobs_rpc(request.into_inner()).await?,
        ))
    }

    async fn start_bulk_operation(
        &self,
        request: Request<StartBulkOperationRequest>,
    ) -> Result<Response<StartBulkOperationResponse>, Status> {
        let actor = actor(&request)?;
        Ok(Response::new(
            self.start_bulk_operation_rpc(request.into_inner(), &actor)
                .await?,
        ))
    }

    async fn get_bulk_operation(
        &self,
        request: Request<GetBulkOperationRequest>,
    ) -> Result<Response<GetBulkOperationResponse>, Status> {
        Ok(Response::new(
            self.get_bulk_operation_rpc(request.into_inner()).await?,
        ))
    }

    async fn list_bulk_operations(
        &self,
        request: Request<ListBulkOperationsRequest>,
    ) -> Result<Response<ListBulkOperationsResponse>, Status> {
        Ok(Response::new(
            self.list_bulk_operations_rpc(request.into_inner()).await?,
        ))
    }

    async fn cancel_bulk_operation(
        &self,
        request: Request<CancelBulkOperationRequest>,
    ) -> Result<Response<CancelBulkOperationResponse>, Status> {
        Ok(Response::new(
            self.cancel_bulk_operation_rpc(request.into_inner()).await?,
        ))
    }

    async fn retry_all_dead(
        &self,
        request: Request<RetryAllDeadRequest>,
    ) -> Result<Response<RetryAllDeadResponse>, Status> {
        let actor = actor(&request)?;
        Ok(Response::new(
            self.retry_all_dead_rpc(request.into_inner(), &actor)
                .await?,
        ))
    }

    async fn delete_all_dead(
        &self,
        request: Request<DeleteAllDeadRequest>,
    ) -> Result<Response<DeleteAllDeadResponse>, Status> {
        let actor = actor(&request)?;
        Ok(Response::new(
            self.delete_all_dead_rpc(request.into_inner(), &actor)
                .await?,
        ))
    }

    async fn purge_queue(
        &self,
        request: Request<PurgeQueueRequest>,
    ) -> Result<Response<PurgeQueueResponse>, Status> {
        let actor = actor(&request)?;
        Ok(Response::new(
            self.purge_queue_rpc(request.into_inner(), &actor).await?,
        ))
    }

    async fn get_queue_metrics(
        &self,
        request: Request<GetQueueMetricsRequest>,
    ) -> Result<Response<GetQueueMetricsResponse>, Status> {
        Ok(Response::new(
            self.get_queue_metrics_rpc(request.into_inner()).await?,
        ))
    }

    type WatchQueuesStream = metrics::WatchQueuesStream;

    async fn watch_queues(
        &self,
        request: Request<WatchQueuesRequest>,
    ) -> Result<Response<Self::WatchQueuesStream>, Status> {
        Ok(Response::new(self.watch_queues_rpc(request.into_inner())?))
    }
}
