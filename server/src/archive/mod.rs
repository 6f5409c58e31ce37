//! History that outlives Redis: finished jobs and the events of every job's life flow from the
//! queues' event streams into SQL (`archiver`), where they are searched (`search`), kept for a
//! retention period (`retention`, `settings`) and joined by hourly metric roll-ups (`rollup`).
//! `store` is the one place that speaks SQL, with a SQLite and a PostgreSQL implementation.

pub mod archiver;
mod error;
pub mod retention;
pub mod rollup;
pub mod search;
pub mod settings;
pub mod store;
pub mod text;

pub use error::{ArchiveError, Result};
pub use settings::SharedSettings;
pub use store::{ArchiveStore, SharedArchive};
