//! Cron schedules (CRON.md): definitions and run history in SQL (`store`), the next-fire index
//! in Redis, and a ticker on every replica that makes exactly one job per (schedule, fire time).

pub mod cadence;
mod error;
pub mod store;

pub use cadence::{Cadence, CadenceError};
pub use error::{CronError, Result};
pub use store::{RunCursor, ScheduleStore, SharedScheduleStore, StoredRun, StoredSchedule};
