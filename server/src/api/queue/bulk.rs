//! Bulk operations: count what a filter matches, then act on all of it server-side.

use zenith_proto::v1::*;

use super::QueueApi;
use crate::queue::QueueError;

impl QueueApi {
    pub(super) async fn count_jobs_rpc(
        &self,
        request: CountJobsRequest,
    ) -> Result<CountJobsResponse, QueueError> {
        let _ = request;
        Err(QueueError::Unimplemented("CountJobs"))
    }

    pub(super) async fn start_bulk_operation_rpc(
        &self,
        request: StartBulkOperationRequest,
    ) -> Result<StartBulkOperationResponse, QueueError> {
        let _ = request;
        Err(QueueError::Unimplemented("StartBulkOperation"))
    }

    pub(super) async fn get_bulk_operation_rpc(
        &self,
        request: GetBulkOperationRequest,
    ) -> Result<GetBulkOperationResponse, QueueError> {
        let _ = request;
        Err(QueueError::Unimplemented("GetBulkOperation"))
    }

    pub(super) async fn list_bulk_operations_rpc(
        &self,
        request: ListBulkOperationsRequest,
    ) -> Result<ListBulkOperationsResponse, QueueError> {
        let _ = request;
        Err(QueueError::Unimplemented("ListBulkOperations"))
    }

    pub(super) async fn cancel_bulk_operation_rpc(
        &self,
        request: CancelBulkOperationRequest,
    ) -> Result<CancelBulkOperationResponse, QueueError> {
        let _ = request;
        Err(QueueError::Unimplemented("CancelBulkOperation"))
    }

    pub(super) async fn retry_all_dead_rpc(
        &self,
        request: RetryAllDeadRequest,
    ) -> Result<RetryAllDeadResponse, QueueError> {
        let _ = request;
        Err(QueueError::Unimplemented("RetryAllDead"))
    }

    pub(super) async fn delete_all_dead_rpc(
        &self,
        request: DeleteAllDeadRequest,
    ) -> Result<DeleteAllDeadResponse, QueueError> {
        let _ = request;
        Err(QueueError::Unimplemented("DeleteAllDead"))
    }

    pub(super) async fn purge_queue_rpc(
        &self,
        request: PurgeQueueRequest,
    ) -> Result<PurgeQueueResponse, QueueError> {
        let _ = request;
        Err(QueueError::Unimplemented("PurgeQueue"))
    }
}
