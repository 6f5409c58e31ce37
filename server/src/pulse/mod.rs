//! The pulse (PULSE.md): beats from every node, over gRPC and straight into Redis, folded into
//! one view of the nodes, their health by the server's clock, the jobs they run (X-ray) and the
//! queues they see in other systems.

mod error;

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

pub use error::{PulseError, Result};

use crate::queue::SharedEngine;

#[derive(Clone, Debug)]
pub struct PulseConfig {
    /// How long a lost node stays listed before it is forgotten.
    pub lost_node_retention: Duration,
}

pub struct Pulse {
    engine: SharedEngine,
    config: PulseConfig,
}

pub type SharedPulse = Arc<Pulse>;

impl Pulse {
    pub fn new(engine: SharedEngine, config: PulseConfig) -> SharedPulse {
        Arc::new(Self { engine, config })
    }

    /// Reads Redis-native beats into the view and forgets nodes lost for too long.
    pub async fn run(self: SharedPulse, stop: CancellationToken) {
        let _ = (&self.engine, &self.config);
        stop.cancelled().await;
    }
}
