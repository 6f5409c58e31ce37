//! Operator actions on single jobs and on batches of up to 1,000 ids.

use zenith_proto::v1::*;

use super::QueueApi;
use crate::queue::QueueError;

impl QueueApi {
    pub(super) async fn retry_job_rpc(
        &self,
        request: RetryJobRequest,
    ) -> Result<RetryJobResponse, QueueError> {
        let _ = request;
        Err(QueueError::Unimplemented("RetryJob"))
    }

    pub(super) async fn promote_job_rpc(
        &self,
        request: PromoteJobRequest,
    ) -> Result<PromoteJobResponse, QueueError> {
        let _ = request;
        Err(QueueError::Unimplemented("PromoteJob"))
    }

    pub(super) async fn delete_job_rpc(
        &self,
        request: DeleteJobRequest,
    ) -> Result<DeleteJobResponse, QueueError> {
        let _ = request;
        Err(QueueError::Unimplemented("DeleteJob"))
    }

    pub(super) async fn cancel_job_rpc(
        &self,
        request: CancelJobRequest,
    ) -> Result<CancelJobResponse, QueueError> {
        let _ = request;
        Err(QueueError::Unimplemented("CancelJob"))
    }

    pub(super) async fn batch_retry_jobs_rpc(
        &self,
        request: BatchRetryJobsRequest,
    ) -> Result<BatchRetryJobsResponse, QueueError> {
        let _ = request;
        Err(QueueError::Unimplemented("BatchRetryJobs"))
    }

    pub(super) async fn batch_promote_jobs_rpc(
        &self,
        request: BatchPromoteJobsRequest,
    ) -> Result<BatchPromoteJobsResponse, QueueError> {
        let _ = request;
        Err(QueueError::Unimplemented("BatchPromoteJobs"))
    }

    pub(super) async fn batch_delete_jobs_rpc(
        &self,
        request: BatchDeleteJobsRequest,
    ) -> Result<BatchDeleteJobsResponse, QueueError> {
        let _ = request;
        Err(QueueError::Unimplemented("BatchDeleteJobs"))
    }

    pub(super) async fn batch_cancel_jobs_rpc(
        &self,
        request: BatchCancelJobsRequest,
    ) -> Result<BatchCancelJobsResponse, QueueError> {
        let _ = request;
        Err(QueueError::Unimplemented("BatchCancelJobs"))
    }
}
