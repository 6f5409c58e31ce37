//! SearchJobs and GetJobHistory.

use zenith_proto::v1::*;

use super::ArchiveApi;
use crate::archive::Result;

impl ArchiveApi {
    pub(super) async fn search_jobs_rpc(
        &self,
        request: SearchJobsRequest,
    ) -> Result<SearchJobsResponse> {
        crate::archive::search::search(&self.engine, &self.archive, request).await
    }

    pub(super) async fn get_job_history_rpc(
        &self,
        request: GetJobHistoryRequest,
    ) -> Result<GetJobHistoryResponse> {
        let _ = request;
        todo!()
    }
}
