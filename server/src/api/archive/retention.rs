//! PruneArchive and the archive settings.

use std::time::Duration;

use zenith_proto::v1::*;

use super::ArchiveApi;
use crate::api::validate;
use crate::archive::settings::QueueSettings;
use crate::archive::store::SettingsOverride;
use crate::archive::{ArchiveError, Result, retention};
use crate::queue::proto_duration;

const MIN_RETENTION: Duration = Duration::from_secs(3600);
const MAX_RETENTION: Duration = Duration::from_secs(3650 * 24 * 3600);

impl ArchiveApi {
    pub(super) async fn prune_archive_rpc(
        &self,
        request: PruneArchiveRequest,
    ) -> Result<PruneArchiveResponse> {
        let queue = Some(request.queue.as_str()).filter(|queue| !queue.is_empty());
        if let Some(queue) = queue {
            validate::name("queue", queue)?;
        }
        let pruned = retention::prune_now(&self.archive, &self.settings, queue).await?;
        Ok(PruneArchiveResponse {
            jobs_deleted: pruned.jobs as i64,
            events_deleted: pruned.events as i64,
        })
    }

    pub(super) async fn get_archive_settings_rpc(
        &self,
        request: GetArchiveSettingsRequest,
    ) -> Result<GetArchiveSettingsResponse> {
        validate_queue(&request.queue)?;
        let settings = self.settings.for_queue(&request.queue);
        Ok(GetArchiveSettingsResponse {
            inherited: settings.inherited,
            settings: Some(to_proto(&settings)),
        })
    }

    pub(super) async fn list_archive_settings_rpc(
        &self,
        _request: ListArchiveSettingsRequest,
    ) -> Result<ListArchiveSettingsResponse> {
        let defaults = self.settings.defaults();
        Ok(ListArchiveSettingsResponse {
            defaults: Some(ArchiveSettings {
                queue: String::new(),
                retention: Some(proto_duration(defaults.retention)),
                index_on_enqueue: defaults.index_on_enqueue,
            }),
            overrides: self
                .settings
                .overrides()
                .iter()
                .map(|found: &SettingsOverride| to_proto(&self.settings.for_queue(&found.queue)))
                .collect(),
        })
    }

    pub(super) async fn update_archive_settings_rpc(
        &self,
        request: UpdateArchiveSettingsRequest,
    ) -> Result<UpdateArchiveSettingsResponse> {
        validate_queue(&request.queue)?;
        let retention = validate::duration("retention", request.retention.as_ref())?;
        if let Some(retention) = retention
            && !(MIN_RETENTION..=MAX_RETENTION).contains(&retention)
        {
            return Err(ArchiveError::invalid(
                "retention",
                "must be between 1h and 3650 days",
            ));
        }
        let settings = if request.reset {
            if retention.is_some() || request.index_on_enqueue.is_some() {
                return Err(ArchiveError::invalid(
                    "reset",
                    "must not be combined with retention or index_on_enqueue",
                ));
            }
            self.settings.reset(&request.queue).await?
        } else {
            if retention.is_none() && request.index_on_enqueue.is_none() {
                return Err(ArchiveError::invalid(
                    "retention",
                    "set retention, index_on_enqueue or reset",
                ));
            }
            self.settings
                .update(&request.queue, retention, request.index_on_enqueue)
                .await?
        };
        Ok(UpdateArchiveSettingsResponse {
            inherited: settings.inherited,
            settings: Some(to_proto(&settings)),
        })
    }
}

/// A queue name; the defaults have none, and come from the configuration instead.
fn validate_queue(queue: &str) -> Result<()> {
    if queue.is_empty() {
        return Err(ArchiveError::invalid(
            "queue",
            "required; the defaults come from --archive-retention and --index-on-enqueue",
        ));
    }
    validate::name("queue", queue)?;
    Ok(())
}

fn to_proto(settings: &QueueSettings) -> ArchiveSettings {
    ArchiveSettings {
        queue: settings.queue.clone(),
        retention: Some(proto_duration(settings.retention)),
        index_on_enqueue: settings.index_on_enqueue,
    }
}
