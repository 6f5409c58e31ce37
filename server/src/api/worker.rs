//! `zenith.v1.WorkerService`.

use std::time::Duration;

use tonic::{Request, Response, Status};
use zenith_proto::v1::worker_service_server::WorkerService;
use zenith_proto::v1::*;

use super::validate;
use super::{Limits, queue::MAX_BATCH};
use crate::queue::{AckItem, FailItem, QueueError, ReserveParams, SharedEngine, timestamp_from_ms};

const DEFAULT_LEASE: Duration = Duration::from_secs(30);
const MIN_LEASE: Duration = Duration::from_secs(1);
const MAX_LEASE: Duration = Duration::from_secs(3600);
const MAX_WAIT: Duration = Duration::from_secs(60);
const MAX_QUEUES: usize = 100;
const MAX_ERROR_BYTES: usize = 64 * 1024;
const MAX_STACK_BYTES: usize = 256 * 1024;

pub struct WorkerApi {
    engine: SharedEngine,
    limits: Limits,
}

impl WorkerApi {
    pub fn new(engine: SharedEngine, limits: Limits) -> Self {
        Self { engine, limits }
    }
}

fn lease_ref(field: &str, queue: &str, job_id: &str, token: &str) -> Result<(), QueueError> {
    validate::name(&format!("{field}queue"), queue)?;
    validate::name(&format!("{field}job_id"), job_id)?;
    validate::label(&format!("{field}lease_token"), token, 128, true)
}

/// A lease length from a request: 30 s when unset, else between 1 s and 1 h.
fn lease_length(
    field: &str,
    value: Option<&prost_types::Duration>,
) -> Result<Duration, QueueError> {
    validate::bounded_duration(field, value, DEFAULT_LEASE, MIN_LEASE, MAX_LEASE)
}

#[tonic::async_trait]
impl WorkerService for WorkerApi {
    async fn reserve(
        &self,
        request: Request<ReserveRequest>,
    ) -> Result<Response<ReserveResponse>, Status> {
        let request = request.into_inner();
        if request.queues.is_empty() {
            return Err(QueueError::invalid("queues", "at least one queue is required").into());
        }
        if request.queues.len() > MAX_QUEUES {
            return Err(
                QueueError::invalid("queues", format!("more than {MAX_QUEUES} queues")).into(),
            );
        }
        for (i, queue) in request.queues.iter().enumerate() {
            validate::name(&format!("queues[{i}]"), queue)?;
        }
        let max_jobs = match request.max_jobs {
            0 => 1,
            n if n < 0 || n as usize > MAX_BATCH => {
                return Err(QueueError::invalid(
                    "max_jobs",
                    format!("must be between 1 and {MAX_BATCH}"),
                )
                .into());
            }
            n => n as usize,
        };
        let wait = validate::duration("wait", request.wait.as_ref())?.unwrap_or_default();
        if wait > MAX_WAIT {
            return Err(QueueError::invalid("wait", "must be at most 60s").into());
        }
        let lease = lease_length("lease", request.lease.as_ref())?;
        validate::label("worker_id", &request.worker_id, 256, false)?;
        let reserved = self
            .engine
            .reserve(ReserveParams {
                queues: &request.queues,
                max_jobs,
                lease,
                wait,
                worker_id: &request.worker_id,
            })
            .await?;
        let jobs = reserved
            .into_iter()
            .map(|reserved| ReservedJob {
                lease_deadline: reserved.job.lease_deadline,
                job: Some(reserved.job),
                lease_token: reserved.lease_token,
            })
            .collect();
        Ok(Response::new(ReserveResponse { jobs }))
    }

    async fn ack(&self, request: Request<AckRequest>) -> Result<Response<AckResponse>, Status> {
        let acks = request.into_inner().acks;
        if acks.is_empty() {
            return Err(QueueError::invalid("acks", "at least one ack is required").into());
        }
        if acks.len() > MAX_BATCH {
            return Err(QueueError::invalid("acks", format!("more than {MAX_BATCH} acks")).into());
        }
        let mut items = Vec::with_capacity(acks.len());
        for (i, ack) in acks.into_iter().enumerate() {
            let field = format!("acks[{i}].");
            lease_ref(&field, &ack.queue, &ack.job_id, &ack.lease_token)?;
            validate::size(
                &format!("{field}result"),
                ack.result.len(),
                self.limits.max_payload_bytes,
            )?;
            items.push(AckItem {
                queue: ack.queue,
                job_id: ack.job_id,
                lease_token: ack.lease_token,
                result: ack.result,
            });
        }
        let acked = self.engine.ack(items).await?;
        Ok(Response::new(AckResponse {
            acked: acked as i32,
        }))
    }

    async fn fail(&self, request: Request<FailRequest>) -> Result<Response<FailResponse>, Status> {
        let request = request.into_inner();
        lease_ref("", &request.queue, &request.job_id, &request.lease_token)?;
        let outcome = self
            .engine
            .fail(FailItem {
                retryable: request.retryable.unwrap_or(true),
                queue: request.queue,
                job_id: request.job_id,
                lease_token: request.lease_token,
                error: validate::truncate(request.error, MAX_ERROR_BYTES),
                stack_trace: validate::truncate(request.stack_trace, MAX_STACK_BYTES),
            })
            .await?;
        let mut response = FailResponse::default();
        response.set_state(outcome.state);
        if outcome.state == JobState::Retry {
            response.retry_at = Some(timestamp_from_ms(outcome.at_ms));
        }
        Ok(Response::new(response))
    }

    async fn extend_lease(
        &self,
        request: Request<ExtendLeaseRequest>,
    ) -> Result<Response<ExtendLeaseResponse>, Status> {
        let request = request.into_inner();
        lease_ref("", &request.queue, &request.job_id, &request.lease_token)?;
        let extension = lease_length("extension", request.extension.as_ref())?;
        let extended = self
            .engine
            .extend_lease(
                &request.queue,
                &request.job_id,
                &request.lease_token,
                extension,
            )
            .await?;
        Ok(Response::new(ExtendLeaseResponse {
            lease_deadline: Some(timestamp_from_ms(extended.deadline_ms)),
            capped: extended.capped,
            cancel_requested: extended.cancel_requested,
            cancel_reason: extended.cancel_reason,
        }))
    }
}
