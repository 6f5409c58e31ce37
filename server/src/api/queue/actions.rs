//! Operator actions on single jobs and on batches of up to 1,000 ids.

use zenith_proto::v1::*;

use super::{MAX_BATCH, QueueApi, validate};
use crate::queue::{ActOutcome, ActResult, Action, QueueError, state_name};

/// The longest cancellation reason, in bytes.
const MAX_REASON_BYTES: usize = 1024;

/// One job's result, with the queue it was found in.
type Acted = (Option<String>, ActResult);

impl QueueApi {
    pub(super) async fn retry_job_rpc(
        &self,
        request: RetryJobRequest,
        actor: &str,
    ) -> Result<RetryJobResponse, QueueError> {
        let (job, _) = self
            .act_on_one(Action::Retry, request.id, &request.queue, "", actor)
            .await?;
        Ok(RetryJobResponse { job: Some(job) })
    }

    pub(super) async fn promote_job_rpc(
        &self,
        request: PromoteJobRequest,
        actor: &str,
    ) -> Result<PromoteJobResponse, QueueError> {
        let (job, _) = self
            .act_on_one(Action::Promote, request.id, &request.queue, "", actor)
            .await?;
        Ok(PromoteJobResponse { job: Some(job) })
    }

    pub(super) async fn delete_job_rpc(
        &self,
        request: DeleteJobRequest,
        actor: &str,
    ) -> Result<DeleteJobResponse, QueueError> {
        check_one(&request.id, &request.queue, "")?;
        let (queue, result) = self
            .act_on(Action::Delete, vec![request.id], &request.queue, "", actor)
            .await?
            .remove(0);
        single_outcome(Action::Delete, queue, &result)?;
        Ok(DeleteJobResponse {})
    }

    pub(super) async fn cancel_job_rpc(
        &self,
        request: CancelJobRequest,
        actor: &str,
    ) -> Result<CancelJobResponse, QueueError> {
        let (job, outcome) = self
            .act_on_one(
                Action::Cancel,
                request.id,
                &request.queue,
                &request.reason,
                actor,
            )
            .await?;
        Ok(CancelJobResponse {
            job: Some(job),
            requested: outcome == ActOutcome::Requested,
        })
    }

    pub(super) async fn batch_retry_jobs_rpc(
        &self,
        request: BatchRetryJobsRequest,
        actor: &str,
    ) -> Result<BatchRetryJobsResponse, QueueError> {
        let results = self
            .act_on_batch(Action::Retry, request.ids, &request.queue, "", actor)
            .await?;
        Ok(BatchRetryJobsResponse { results })
    }

    pub(super) async fn batch_promote_jobs_rpc(
        &self,
        request: BatchPromoteJobsRequest,
        actor: &str,
    ) -> Result<BatchPromoteJobsResponse, QueueError> {
        let results = self
            .act_on_batch(Action::Promote, request.ids, &request.queue, "", actor)
            .await?;
        Ok(BatchPromoteJobsResponse { results })
    }

    pub(super) async fn batch_delete_jobs_rpc(
        &self,
        request: BatchDeleteJobsRequest,
        actor: &str,
    ) -> Result<BatchDeleteJobsResponse, QueueError> {
        let results = self
            .act_on_batch(Action::Delete, request.ids, &request.queue, "", actor)
            .await?;
        Ok(BatchDeleteJobsResponse { results })
    }

    pub(super) async fn batch_cancel_jobs_rpc(
        &self,
        request: BatchCancelJobsRequest,
        actor: &str,
    ) -> Result<BatchCancelJobsResponse, QueueError> {
        let results = self
            .act_on_batch(
                Action::Cancel,
                request.ids,
                &request.queue,
                &request.reason,
                actor,
            )
            .await?;
        Ok(BatchCancelJobsResponse { results })
    }

    /// Acts on one job; returns it as it is now, and what the action did.
    async fn act_on_one(
        &self,
        action: Action,
        id: String,
        queue: &str,
        reason: &str,
        actor: &str,
    ) -> Result<(Job, ActOutcome), QueueError> {
        check_one(&id, queue, reason)?;
        let (found_in, result) = self
            .act_on(action, vec![id], queue, reason, actor)
            .await?
            .remove(0);
        let queue = single_outcome(action, found_in, &result)?;
        let job = self.engine.get_job(&result.id, Some(&queue)).await?;
        Ok((job, result.outcome))
    }

    async fn act_on_batch(
        &self,
        action: Action,
        ids: Vec<String>,
        queue: &str,
        reason: &str,
        actor: &str,
    ) -> Result<Vec<JobActionResult>, QueueError> {
        if ids.is_empty() {
            return Err(QueueError::invalid(
                "ids",
                "at least one job id is required",
            ));
        }
        if ids.len() > MAX_BATCH {
            return Err(QueueError::invalid(
                "ids",
                format!("{} ids exceeds the limit of {MAX_BATCH}", ids.len()),
            ));
        }
        for (i, id) in ids.iter().enumerate() {
            validate::name(&format!("ids[{i}]"), id)?;
        }
        check_queue_and_reason(queue, reason)?;
        let acted = self.act_on(action, ids, queue, reason, actor).await?;
        Ok(acted
            .into_iter()
            .map(|(queue, result)| action_result(action, queue, result))
            .collect())
    }

    /// Acts in the queue given, or else in each job's own queue found by id.
    async fn act_on(
        &self,
        action: Action,
        ids: Vec<String>,
        queue: &str,
        reason: &str,
        actor: &str,
    ) -> Result<Vec<Acted>, QueueError> {
        if queue.is_empty() {
            return self.engine.act_by_id(action, &ids, reason, actor).await;
        }
        let results = self
            .engine
            .act(queue, action, &ids, None, reason, actor)
            .await?;
        Ok(results
            .into_iter()
            .map(|result| (Some(queue.to_owned()), result))
            .collect())
    }
}

fn check_one(id: &str, queue: &str, reason: &str) -> Result<(), QueueError> {
    validate::name("id", id)?;
    check_queue_and_reason(queue, reason)
}

fn check_queue_and_reason(queue: &str, reason: &str) -> Result<(), QueueError> {
    if !queue.is_empty() {
        validate::name("queue", queue)?;
    }
    validate::label("reason", reason, MAX_REASON_BYTES, false)
}

/// The error a single-job RPC answers for a job the action did not reach, or the job's queue.
fn single_outcome(
    action: Action,
    queue: Option<String>,
    result: &ActResult,
) -> Result<String, QueueError> {
    match (result.outcome, queue) {
        (ActOutcome::Done | ActOutcome::Requested, Some(queue)) => Ok(queue),
        (ActOutcome::WrongState, _) => Err(wrong_state(action, result)),
        _ => Err(QueueError::JobNotFound(result.id.clone())),
    }
}

fn wrong_state(action: Action, result: &ActResult) -> QueueError {
    QueueError::WrongState {
        id: result.id.clone(),
        action: action.name(),
        state: state_name(result.state),
    }
}

fn action_result(action: Action, queue: Option<String>, result: ActResult) -> JobActionResult {
    let (outcome, message) = match result.outcome {
        ActOutcome::Done => (JobActionOutcome::Done, String::new()),
        ActOutcome::Requested => (JobActionOutcome::Requested, String::new()),
        ActOutcome::NotFound => (
            JobActionOutcome::NotFound,
            QueueError::JobNotFound(result.id.clone()).to_string(),
        ),
        ActOutcome::WrongState => (
            JobActionOutcome::WrongState,
            wrong_state(action, &result).to_string(),
        ),
    };
    let mut out = JobActionResult {
        id: result.id,
        queue: queue.unwrap_or_default(),
        message,
        ..JobActionResult::default()
    };
    out.set_outcome(outcome);
    out.set_state(result.state);
    out
}
