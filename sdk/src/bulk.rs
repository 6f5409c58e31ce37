//! Bulk operations on [`Client`]: preview with a count, then act on every job of a queue in a
//! state that matches a filter (see `proto/zenith/v1/FILTER.md`), server-side.

use zenith_proto::v1::{
    BulkAction, BulkOperation, CancelBulkOperationRequest, CountJobsRequest, DeleteAllDeadRequest,
    GetBulkOperationRequest, JobState, ListBulkOperationsRequest, ListBulkOperationsResponse,
    PurgeQueueRequest, RetryAllDeadRequest, StartBulkOperationRequest,
};

use crate::client::Client;
use crate::error::{Error, Result};

fn operation(operation: Option<BulkOperation>) -> Result<BulkOperation> {
    operation.ok_or(Error::MissingField("operation"))
}

impl Client {
    /// How many jobs of `queue` in `state` match `filter` (empty: all of them).
    pub async fn count_jobs(
        &self,
        queue: impl Into<String>,
        state: JobState,
        filter: impl Into<String>,
    ) -> Result<i64> {
        let request = CountJobsRequest {
            queue: queue.into(),
            state: state.into(),
            filter: filter.into(),
        };
        Ok(self
            .queues
            .clone()
            .count_jobs(request)
            .await?
            .into_inner()
            .count)
    }

    /// Starts `action` on every job of `queue` in `state` matching `filter`; returns at once
    /// with the operation, which [`Client::get_bulk_operation`] follows.
    pub async fn start_bulk_operation(
        &self,
        queue: impl Into<String>,
        state: JobState,
        filter: impl Into<String>,
        action: BulkAction,
    ) -> Result<BulkOperation> {
        self.start_bulk_operation_with(StartBulkOperationRequest {
            queue: queue.into(),
            state: state.into(),
            filter: filter.into(),
            action: action.into(),
            ..StartBulkOperationRequest::default()
        })
        .await
    }

    /// [`Client::start_bulk_operation`] with every option (cancel reason, request id).
    pub async fn start_bulk_operation_with(
        &self,
        request: StartBulkOperationRequest,
    ) -> Result<BulkOperation> {
        let response = self.queues.clone().start_bulk_operation(request).await?;
        operation(response.into_inner().operation)
    }

    pub async fn get_bulk_operation(&self, id: impl Into<String>) -> Result<BulkOperation> {
        let request = GetBulkOperationRequest { id: id.into() };
        operation(
            self.queues
                .clone()
                .get_bulk_operation(request)
                .await?
                .into_inner()
                .operation,
        )
    }

    /// One page of operations, newest first; `queue` empty lists every queue's.
    pub async fn list_bulk_operations(
        &self,
        request: ListBulkOperationsRequest,
    ) -> Result<ListBulkOperationsResponse> {
        Ok(self
            .queues
            .clone()
            .list_bulk_operations(request)
            .await?
            .into_inner())
    }

    /// Stops a running operation after its current chunk.
    pub async fn cancel_bulk_operation(&self, id: impl Into<String>) -> Result<BulkOperation> {
        let request = CancelBulkOperationRequest { id: id.into() };
        operation(
            self.queues
                .clone()
                .cancel_bulk_operation(request)
                .await?
                .into_inner()
                .operation,
        )
    }

    /// Retries every dead job of `queue`.
    pub async fn retry_all_dead(&self, queue: impl Into<String>) -> Result<BulkOperation> {
        let request = RetryAllDeadRequest {
            queue: queue.into(),
        };
        operation(
            self.queues
                .clone()
                .retry_all_dead(request)
                .await?
                .into_inner()
                .operation,
        )
    }

    /// Deletes every dead job of `queue`.
    pub async fn delete_all_dead(&self, queue: impl Into<String>) -> Result<BulkOperation> {
        let request = DeleteAllDeadRequest {
            queue: queue.into(),
        };
        operation(
            self.queues
                .clone()
                .delete_all_dead(request)
                .await?
                .into_inner()
                .operation,
        )
    }

    /// Deletes every job of `queue` in `state`, or in every state but active when `None`.
    pub async fn purge_queue(
        &self,
        queue: impl Into<String>,
        state: Option<JobState>,
    ) -> Result<BulkOperation> {
        let request = PurgeQueueRequest {
            queue: queue.into(),
            state: state.unwrap_or(JobState::Unspecified).into(),
        };
        operation(
            self.queues
                .clone()
                .purge_queue(request)
                .await?
                .into_inner()
                .operation,
        )
    }
}
