//! Bulk operations: count what a filter matches, then act on all of it server-side.

use zenith_proto::v1::*;

use super::{QueueApi, page_size};
use crate::api::{page_token, validate};
use crate::filter::Filter;
use crate::queue::{Action, BulkRequest, QueueError, action_accepts, state_name};

/// Every state a purge walks when none is named: all but active, whose workers hold leases.
/// Scheduled and retry go before pending, which their jobs move into as they fall due.
const PURGED_STATES: [JobState; 6] = [
    JobState::Scheduled,
    JobState::Retry,
    JobState::Pending,
    JobState::Dead,
    JobState::Completed,
    JobState::Cancelled,
];

fn filter(text: &str) -> Result<Filter, QueueError> {
    Filter::parse(text).map_err(|error| QueueError::invalid("filter", error.to_string()))
}

fn required_state(value: i32) -> Result<JobState, QueueError> {
    match JobState::try_from(value) {
        Ok(JobState::Unspecified | JobState::Deleted) | Err(_) => Err(QueueError::invalid(
            "state",
            "one of pending, scheduled, active, retry, dead, completed, cancelled is required",
        )),
        Ok(state) => Ok(state),
    }
}

fn action(value: i32) -> Result<Action, QueueError> {
    match BulkAction::try_from(value) {
        Ok(BulkAction::Retry) => Ok(Action::Retry),
        Ok(BulkAction::Promote) => Ok(Action::Promote),
        Ok(BulkAction::Delete) => Ok(Action::Delete),
        Ok(BulkAction::Cancel) => Ok(Action::Cancel),
        Ok(BulkAction::Unspecified) | Err(_) => Err(QueueError::invalid(
            "action",
            "one of retry, promote, delete, cancel is required",
        )),
    }
}

fn operation_id(id: &str) -> Result<(), QueueError> {
    validate::name("id", id)
}

impl QueueApi {
    pub(super) async fn count_jobs_rpc(
        &self,
        request: CountJobsRequest,
    ) -> Result<CountJobsResponse, QueueError> {
        validate::name("queue", &request.queue)?;
        let state = required_state(request.state)?;
        let filter = filter(&request.filter)?;
        let count = self
            .engine
            .count_jobs(&request.queue, state, &filter)
            .await?;
        Ok(CountJobsResponse { count })
    }

    pub(super) async fn start_bulk_operation_rpc(
        &self,
        request: StartBulkOperationRequest,
        actor: &str,
    ) -> Result<StartBulkOperationResponse, QueueError> {
        validate::name("queue", &request.queue)?;
        let state = required_state(request.state)?;
        let filter = filter(&request.filter)?;
        let action = action(request.action)?;
        if state == JobState::Active {
            // Leases re-score active jobs as they run, so no walk in lease order is reliable.
            return Err(QueueError::invalid(
                "state",
                "active jobs move as their leases are extended; cancel them by id",
            ));
        }
        if !action_accepts(action, state) {
            return Err(QueueError::invalid(
                "state",
                format!(
                    "{} does not apply to {} jobs",
                    action.name(),
                    state_name(state)
                ),
            ));
        }
        validate::size("reason", request.reason.len(), 1024)?;
        validate::label("request_id", &request.request_id, 128, false)?;
        let operation = self
            .engine
            .start_bulk(BulkRequest {
                queue: request.queue,
                states: vec![state],
                filter,
                action,
                reason: request.reason,
                request_id: request.request_id,
                actor: actor.to_owned(),
            })
            .await?;
        Ok(StartBulkOperationResponse {
            operation: Some(operation),
        })
    }

    pub(super) async fn get_bulk_operation_rpc(
        &self,
        request: GetBulkOperationRequest,
    ) -> Result<GetBulkOperationResponse, QueueError> {
        operation_id(&request.id)?;
        let operation = self.engine.get_bulk(&request.id).await?;
        Ok(GetBulkOperationResponse {
            operation: Some(operation),
        })
    }

    pub(super) async fn list_bulk_operations_rpc(
        &self,
        request: ListBulkOperationsRequest,
    ) -> Result<ListBulkOperationsResponse, QueueError> {
        let queue = if request.queue.is_empty() {
            None
        } else {
            validate::name("queue", &request.queue)?;
            Some(request.queue.as_str())
        };
        let limit = page_size(request.page_size, 50, 500)?;
        let after = if request.page_token.is_empty() {
            String::new()
        } else {
            page_token::decode(&request.page_token, 1)?.remove(0)
        };
        let (operations, more) = self.engine.list_bulk(queue, &after, limit).await?;
        let next_page_token = match operations.last() {
            Some(last) if more => page_token::encode(&[&last.id]),
            _ => String::new(),
        };
        Ok(ListBulkOperationsResponse {
            operations,
            next_page_token,
        })
    }

    pub(super) async fn cancel_bulk_operation_rpc(
        &self,
        request: CancelBulkOperationRequest,
    ) -> Result<CancelBulkOperationResponse, QueueError> {
        operation_id(&request.id)?;
        let operation = self.engine.cancel_bulk(&request.id).await?;
        Ok(CancelBulkOperationResponse {
            operation: Some(operation),
        })
    }

    async fn whole_states(
        &self,
        queue: String,
        states: Vec<JobState>,
        action: Action,
        actor: &str,
    ) -> Result<BulkOperation, QueueError> {
        validate::name("queue", &queue)?;
        self.engine
            .start_bulk(BulkRequest {
                queue,
                states,
                filter: Filter::default(),
                action,
                reason: String::new(),
                request_id: String::new(),
                actor: actor.to_owned(),
            })
            .await
    }

    pub(super) async fn retry_all_dead_rpc(
        &self,
        request: RetryAllDeadRequest,
        actor: &str,
    ) -> Result<RetryAllDeadResponse, QueueError> {
        let operation = self
            .whole_states(request.queue, vec![JobState::Dead], Action::Retry, actor)
            .await?;
        Ok(RetryAllDeadResponse {
            operation: Some(operation),
        })
    }

    pub(super) async fn delete_all_dead_rpc(
        &self,
        request: DeleteAllDeadRequest,
        actor: &str,
    ) -> Result<DeleteAllDeadResponse, QueueError> {
        let operation = self
            .whole_states(request.queue, vec![JobState::Dead], Action::Delete, actor)
            .await?;
        Ok(DeleteAllDeadResponse {
            operation: Some(operation),
        })
    }

    pub(super) async fn purge_queue_rpc(
        &self,
        request: PurgeQueueRequest,
        actor: &str,
    ) -> Result<PurgeQueueResponse, QueueError> {
        let states = match JobState::try_from(request.state) {
            Ok(JobState::Unspecified) => PURGED_STATES.to_vec(),
            Ok(JobState::Active) => {
                return Err(QueueError::invalid(
                    "state",
                    "active jobs are held by workers; cancel them instead",
                ));
            }
            Ok(state) => vec![state],
            Err(_) => return Err(QueueError::invalid("state", "unknown state")),
        };
        let operation = self
            .whole_states(request.queue, states, Action::Delete, actor)
            .await?;
        Ok(PurgeQueueResponse {
            operation: Some(operation),
        })
    }
}
