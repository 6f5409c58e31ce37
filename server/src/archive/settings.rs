//! Archive settings in force: defaults from the configuration, per-queue overrides from SQL,
//! cached here and reloaded now and then so every replica sees another's changes.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::Result;
use super::store::{SettingsOverride, SharedArchive};

/// The defaults every queue follows unless it has an override.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ArchiveDefaults {
    pub retention: Duration,
    pub index_on_enqueue: bool,
}

/// What applies to one queue.
#[derive(Clone, Debug, PartialEq)]
pub struct QueueSettings {
    pub queue: String,
    pub retention: Duration,
    pub index_on_enqueue: bool,
    /// No override: the defaults apply.
    pub inherited: bool,
}

pub struct Settings {
    store: SharedArchive,
    defaults: ArchiveDefaults,
}

pub type SharedSettings = Arc<Settings>;

impl Settings {
    pub async fn load(store: SharedArchive, defaults: ArchiveDefaults) -> Result<SharedSettings> {
        Ok(Arc::new(Self { store, defaults }))
    }

    pub fn defaults(&self) -> ArchiveDefaults {
        self.defaults
    }

    pub fn for_queue(&self, queue: &str) -> QueueSettings {
        todo!("{queue}")
    }

    pub fn overrides(&self) -> Vec<SettingsOverride> {
        todo!()
    }

    /// Sets fields of a queue's override (creating it); unset fields keep their value.
    pub async fn update(
        &self,
        queue: &str,
        retention: Option<Duration>,
        index_on_enqueue: Option<bool>,
    ) -> Result<QueueSettings> {
        todo!(
            "{queue} {retention:?} {index_on_enqueue:?} {}",
            self.store.backend()
        )
    }

    /// Drops a queue's override.
    pub async fn reset(&self, queue: &str) -> Result<QueueSettings> {
        todo!("{queue}")
    }

    /// Reloads the overrides from SQL every few seconds until stopped.
    pub async fn run_refresh(self: Arc<Self>, stop: CancellationToken) {
        stop.cancelled().await
    }
}
