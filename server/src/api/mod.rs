//! One module per gRPC service: validate → authorize (the policy layer) → call the engine → map
//! errors (once, in `queue::error`).

mod actor;
pub mod admin;
mod alerts;
mod archive;
mod cron;
pub(crate) mod logs;
// Public, as is `validate`, so that the fuzz targets in fuzz/ can run them on any request.
pub mod page_token;
mod pulse;
mod queue;
pub mod validate;
mod worker;

pub use admin::{AdminApi, ServerInfo};
pub use alerts::AlertApi;
pub use archive::ArchiveApi;
pub use cron::CronApi;
pub use logs::LogApi;
pub use pulse::PulseApi;
pub use queue::QueueApi;
pub use worker::WorkerApi;

/// Request limits that come from configuration.
#[derive(Clone, Debug)]
pub struct Limits {
    pub max_payload_bytes: usize,
}
