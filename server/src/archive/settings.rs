//! Archive settings in force: defaults from the configuration, per-queue overrides from SQL,
//! cached here and reloaded now and then so every replica sees another's changes.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::Result;
use super::store::{SettingsOverride, SharedArchive};

/// How often the overrides are read again, so changes made through another replica apply.
const REFRESH_INTERVAL: Duration = Duration::from_secs(5);

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
    /// Overrides by queue name, as last read from SQL or written through here.
    overrides: RwLock<BTreeMap<String, SettingsOverride>>,
}

pub type SharedSettings = Arc<Settings>;

impl Settings {
    pub async fn load(store: SharedArchive, defaults: ArchiveDefaults) -> Result<SharedSettings> {
        let overrides = by_queue(store.settings_overrides().await?);
        Ok(Arc::new(Self {
            store,
            defaults,
            overrides: RwLock::new(overrides),
        }))
    }

    pub fn defaults(&self) -> ArchiveDefaults {
        self.defaults
    }

    pub fn for_queue(&self, queue: &str) -> QueueSettings {
        let overrides = self.overrides.read().expect("settings lock poisoned");
        self.merged(queue, overrides.get(queue))
    }

    /// Every override, by queue name.
    pub fn overrides(&self) -> Vec<SettingsOverride> {
        let overrides = self.overrides.read().expect("settings lock poisoned");
        overrides.values().cloned().collect()
    }

    /// Sets fields of a queue's override (creating it); unset fields keep their value.
    pub async fn update(
        &self,
        queue: &str,
        retention: Option<Duration>,
        index_on_enqueue: Option<bool>,
    ) -> Result<QueueSettings> {
        // Start from what SQL holds, not the cache, so a change made through another replica
        // within the last refresh is kept.
        let current = self
            .store
            .settings_overrides()
            .await?
            .into_iter()
            .find(|existing| existing.queue == queue);
        let mut updated = current.unwrap_or_else(|| SettingsOverride {
            queue: queue.to_owned(),
            ..SettingsOverride::default()
        });
        if retention.is_some() {
            updated.retention = retention;
        }
        if index_on_enqueue.is_some() {
            updated.index_on_enqueue = index_on_enqueue;
        }
        self.store.put_settings_override(&updated).await?;
        let settings = self.merged(queue, Some(&updated));
        self.overrides
            .write()
            .expect("settings lock poisoned")
            .insert(queue.to_owned(), updated);
        Ok(settings)
    }

    /// Drops a queue's override.
    pub async fn reset(&self, queue: &str) -> Result<QueueSettings> {
        self.store.delete_settings_override(queue).await?;
        self.overrides
            .write()
            .expect("settings lock poisoned")
            .remove(queue);
        Ok(self.merged(queue, None))
    }

    /// Reloads the overrides from SQL every few seconds until stopped.
    pub async fn run_refresh(self: Arc<Self>, stop: CancellationToken) {
        let mut ticker = tokio::time::interval(REFRESH_INTERVAL);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The first tick fires at once; `load` has just read the overrides.
        ticker.tick().await;
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = ticker.tick() => {}
            }
            match crate::metrics::loop_pass("settings_refresh", self.store.settings_overrides())
                .await
            {
                Ok(overrides) => {
                    *self.overrides.write().expect("settings lock poisoned") = by_queue(overrides);
                }
                Err(error) => tracing::warn!(%error, "archive settings refresh failed"),
            }
        }
    }

    fn merged(&self, queue: &str, found: Option<&SettingsOverride>) -> QueueSettings {
        QueueSettings {
            queue: queue.to_owned(),
            retention: found
                .and_then(|found| found.retention)
                .unwrap_or(self.defaults.retention),
            index_on_enqueue: found
                .and_then(|found| found.index_on_enqueue)
                .unwrap_or(self.defaults.index_on_enqueue),
            inherited: found.is_none(),
        }
    }
}

fn by_queue(overrides: Vec<SettingsOverride>) -> BTreeMap<String, SettingsOverride> {
    overrides
        .into_iter()
        .map(|found| (found.queue.clone(), found))
        .collect()
}
