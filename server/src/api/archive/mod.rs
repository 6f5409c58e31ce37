//! `zenith.v1.ArchiveService`: search and job history in `search`, retention and archive
//! settings in `retention`, the archive's lag here.

mod retention;
mod search;

use tonic::{Request, Response, Status};
use zenith_proto::v1::archive_service_server::ArchiveService;
use zenith_proto::v1::*;

use crate::archive::{SharedArchive, SharedSettings};
use crate::logs::SharedLogStore;
use crate::queue::SharedEngine;

pub struct ArchiveApi {
    engine: SharedEngine,
    archive: SharedArchive,
    settings: SharedSettings,
    log_store: SharedLogStore,
}

impl ArchiveApi {
    pub fn new(
        engine: SharedEngine,
        archive: SharedArchive,
        settings: SharedSettings,
        log_store: SharedLogStore,
    ) -> Self {
        Self {
            engine,
            archive,
            settings,
            log_store,
        }
    }
}

#[tonic::async_trait]
impl ArchiveService for ArchiveApi {
    async fn search_jobs(
        &self,
        request: Request<SearchJobsRequest>,
    ) -> Result<Response<SearchJobsResponse>, Status> {
        Ok(Response::new(
            self.search_jobs_rpc(request.into_inner()).await?,
        ))
    }

    async fn get_job_history(
        &self,
        request: Request<GetJobHistoryRequest>,
    ) -> Result<Response<GetJobHistoryResponse>, Status> {
        Ok(Response::new(
            self.get_job_history_rpc(request.into_inner()).await?,
        ))
    }

    async fn prune_archive(
        &self,
        request: Request<PruneArchiveRequest>,
    ) -> Result<Response<PruneArchiveResponse>, Status> {
        Ok(Response::new(
            self.prune_archive_rpc(request.into_inner()).await?,
        ))
    }

    async fn get_archive_settings(
        &self,
        request: Request<GetArchiveSettingsRequest>,
    ) -> Result<Response<GetArchiveSettingsResponse>, Status> {
        Ok(Response::new(
            self.get_archive_settings_rpc(request.into_inner()).await?,
        ))
    }

    async fn list_archive_settings(
        &self,
        request: Request<ListArchiveSettingsRequest>,
    ) -> Result<Response<ListArchiveSettingsResponse>, Status> {
        Ok(Response::new(
            self.list_archive_settings_rpc(request.into_inner()).await?,
        ))
    }

    async fn update_archive_settings(
        &self,
        request: Request<UpdateArchiveSettingsRequest>,
    ) -> Result<Response<UpdateArchiveSettingsResponse>, Status> {
        Ok(Response::new(
            self.update_archive_settings_rpc(request.into_inner())
                .await?,
        ))
    }

    async fn get_archive_status(
        &self,
        request: Request<GetArchiveStatusRequest>,
    ) -> Result<Response<GetArchiveStatusResponse>, Status> {
        let _ = request;
        let status = crate::archive::archiver::status(&self.engine, &self.archive).await?;
        Ok(Response::new(status))
    }
}
