//! Rust client and worker for [Zenith](https://github.com/zenith), a job-processing control
//! plane.
//!
//! - [`Client`] enqueues jobs and inspects queues and jobs.
//! - Bulk operations ([`Client::start_bulk_operation`], [`Client::retry_all_dead`], …) act
//!   on every job of a queue that matches a filter, server-side.
//! - [`Worker`] reserves jobs, runs a handler per job type, keeps leases alive, and acks or
//!   fails each job, with batched reserves and acks. When an operator cancels a running job,
//!   the handler's [`JobContext::cancelled`] completes (with [`JobContext::cancel_reason`]), the
//!   handler is dropped after the worker's cancel grace, and the job ends cancelled.
//! - [`PulseAgent`] reports the process's beats (identity, CPU, memory, disk, running jobs) and
//!   carries out operators' instructions (cancel a job, stop or resume taking work); a
//!   [`Worker`] runs one by itself.
//! - Cron schedules: [`Client::create_schedule`], [`Client::list_all_schedules`],
//!   [`Client::trigger_schedule`], … with definitions built by [`ScheduleSpecBuilder`]; a
//!   [`Worker`] declares the schedules given to [`WorkerBuilder::schedule`] when it starts.
//! - [`LogShipper`] and its `tracing` [`LogLayer`] ship log lines to Zenith in batches, tagged
//!   with the job inside handlers.
//! - With the `otel` feature (default), calls carry the current span's W3C context as
//!   `traceparent` metadata, and each handler runs in a `process <queue>` span whose parent is
//!   the job's `traceparent` header. The SDK installs no OpenTelemetry pipeline: the
//!   application adds a `tracing-opentelemetry` layer to its subscriber.
//!
//! ```no_run
//! # async fn example() -> zenith_sdk::Result<()> {
//! let client = zenith_sdk::Client::connect("http://127.0.0.1:7700").await?;
//! client
//!     .enqueue("emails", "send_welcome")
//!     .json(&serde_json::json!({ "user_id": 42 }))?
//!     .send()
//!     .await?;
//! # Ok(())
//! # }
//! ```

mod bulk;
mod client;
mod cron;
mod error;
mod logs;
#[cfg(feature = "otel")]
mod otel;
mod pulse;
mod time;
mod worker;

pub use client::{
    API_KEY_ENV, Client, DEFAULT_SERVER_URL, Enqueue, Enqueued, JobPage, ListJobs, LogTail,
    RequestMetadata, SERVER_URL_ENV, Transport, default_server_url,
};
pub use cron::{ScheduleSpecBuilder, TriggeredRun, UpsertedSchedule};
pub use error::{Error, Result};
pub use logs::{JOB_ID_FIELD, LogLayer, LogShipper, QUEUE_FIELD};
pub use pulse::{
    DEFAULT_PULSE_INTERVAL, PulseAgent, PulseAgentBuilder, TrackedJob, detect_identity,
};
pub use time::{from_proto_duration, from_proto_timestamp};
/// Cancellation tokens as handed to handlers in [`JobContext`].
pub use tokio_util::sync::CancellationToken;
pub use worker::{JobContext, JobError, Worker, WorkerBuilder};
/// The generated v1 contract, for the message types the SDK takes and returns.
pub use zenith_proto::v1 as proto;
pub use zenith_proto::v1::{
    BulkAction, BulkOperation, BulkOperationStatus, Job, JobSpec, JobState, MisfirePolicy,
    OverlapPolicy, Queue, Schedule, ScheduleRun, ScheduleSpec,
};
