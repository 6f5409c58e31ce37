//! `zenith.v1.ArchiveService`: search, job history, retention and archive settings.

use tonic::{Request, Response, Status};
use zenith_proto::v1::archive_service_server::ArchiveService;
use zenith_proto::v1::*;

use crate::archive::{SharedArchive, SharedSettings};
use crate::queue::SharedEngine;

pub struct ArchiveApi {
    engine: SharedEngine,
    archive: SharedArchive,
    settings: SharedSettings,
}

impl ArchiveApi {
    pub fn new(engine: SharedEngine, archive: SharedArchive, settings: SharedSettings) -> Self {
        Self {
            engine,
            archive,
            settings,
        }
    }
}

#[tonic::async_trait]
impl ArchiveService for ArchiveApi {
    async fn search_jobs(
        &self,
        request: Request<SearchJobsRequest>,
    ) -> Result<Response<SearchJobsResponse>, Status> {
        let response =
            crate::archive::search::search(&self.engine, &self.archive, request.into_inner())
                .await?;
        Ok(Response::new(response))
    }

    async fn get_job_history(
        &self,
        request: Request<GetJobHistoryRequest>,
    ) -> Result<Response<GetJobHistoryResponse>, Status> {
        let _ = (request, &self.settings);
        todo!()
    }

    async fn prune_archive(
        &self,
        request: Request<PruneArchiveRequest>,
    ) -> Result<Response<PruneArchiveResponse>, Status> {
        let _ = request;
        todo!()
    }

    async fn get_archive_settings(
        &self,
        request: Request<GetArchiveSettingsRequest>,
    ) -> Result<Response<GetArchiveSettingsResponse>, Status> {
        let _ = request;
        todo!()
    }

    async fn list_archive_settings(
        &self,
        request: Request<ListArchiveSettingsRequest>,
    ) -> Result<Response<ListArchiveSettingsResponse>, Status> {
        let _ = request;
        todo!()
    }

    async fn update_archive_settings(
        &self,
        request: Request<UpdateArchiveSettingsRequest>,
    ) -> Result<Response<UpdateArchiveSettingsResponse>, Status> {
        let _ = request;
        todo!()
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
