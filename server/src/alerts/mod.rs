//! Alerting (ALERTS.md): rules evaluated over live state by one replica at a time
//! (`evaluate`), alerts moving pending → firing → resolved, silences, and notifications
//! delivered through channels with retries (`deliver`, `channels`). Everything durable lives in
//! SQL (`store`); every change that must happen once across replicas is a compare-and-set there.

pub mod channels;
mod defaults;
pub mod deliver;
mod error;
pub mod evaluate;
pub mod rules;
pub mod spec;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

pub use error::{AlertError, Result};
pub use store::{AlertStore, SharedAlertStore};

use crate::archive::SharedArchive;
use crate::cron::SharedScheduleStore;
use crate::pulse::SharedPulse;
use crate::queue::SharedEngine;

#[derive(Clone, Debug)]
pub struct AlertConfig {
    /// How often the rules are evaluated.
    pub evaluation_interval: Duration,
    /// How long resolved alerts and notifications stay in SQL.
    pub history_retention: Duration,
}

/// What rules read: live state in Redis, node health, schedules and the archive.
#[derive(Clone)]
pub struct Sources {
    pub engine: SharedEngine,
    pub pulse: SharedPulse,
    pub schedules: SharedScheduleStore,
    pub archive: SharedArchive,
}

pub struct Alerts {
    store: SharedAlertStore,
    sources: Sources,
    http: reqwest::Client,
    config: AlertConfig,
}

pub type SharedAlerts = Arc<Alerts>;

impl Alerts {
    pub fn new(store: SharedAlertStore, sources: Sources, config: AlertConfig) -> SharedAlerts {
        Arc::new(Self {
            store,
            sources,
            http: channels::http_client(),
            config,
        })
    }

    /// Installs the default rules on a fresh database.
    pub async fn seed_default_rules(&self) -> Result<()> {
        let added = self
            .store
            .seed_default_rules(&defaults::rules(crate::queue::unix_ms()))
            .await?;
        if added > 0 {
            tracing::info!(rules = added, "installed the default alert rules");
        }
        Ok(())
    }

    /// Evaluates rules and delivers notifications until `stop`.
    pub async fn run(self: Arc<Self>, stop: CancellationToken) {
        tokio::join!(
            evaluate::run(
                self.store.clone(),
                self.sources.clone(),
                self.config.clone(),
                stop.clone(),
            ),
            deliver::run(self.store.clone(), self.http.clone(), stop),
        );
    }
}
