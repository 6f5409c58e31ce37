//! PruneArchive and the archive settings.

use zenith_proto::v1::*;

use super::ArchiveApi;
use crate::archive::Result;

impl ArchiveApi {
    pub(super) async fn prune_archive_rpc(
        &self,
        request: PruneArchiveRequest,
    ) -> Result<PruneArchiveResponse> {
        let _ = (request, &self.settings);
        todo!()
    }

    pub(super) async fn get_archive_settings_rpc(
        &self,
        request: GetArchiveSettingsRequest,
    ) -> Result<GetArchiveSettingsResponse> {
        let _ = request;
        todo!()
    }

    pub(super) async fn list_archive_settings_rpc(
        &self,
        request: ListArchiveSettingsRequest,
    ) -> Result<ListArchiveSettingsResponse> {
        let _ = request;
        todo!()
    }

    pub(super) async fn update_archive_settings_rpc(
        &self,
        request: UpdateArchiveSettingsRequest,
    ) -> Result<UpdateArchiveSettingsResponse> {
        let _ = request;
        todo!()
    }
}
