//! What can go wrong in the archive, mapped once to gRPC status codes.

use std::collections::HashMap;

use tonic::Code;
use tonic_types::{ErrorDetails, StatusExt};

use crate::queue::QueueError;

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("{field}: {message}")]
    InvalidArgument { field: String, message: String },
    #[error("job {0} not found")]
    JobNotFound(String),
    /// SQL cannot be reached; callers may retry.
    #[error("database unavailable: {0}")]
    Unavailable(sqlx::Error),
    #[error("database: {0}")]
    Database(sqlx::Error),
    #[error("corrupt archive row for job {id}: {message}")]
    Corrupt { id: String, message: String },
    #[error(transparent)]
    Queue(#[from] QueueError),
}

pub type Result<T, E = ArchiveError> = std::result::Result<T, E>;

impl ArchiveError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidArgument {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<sqlx::Error> for ArchiveError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Tls(_) => Self::Unavailable(error),
            // SQLite's busy and locked (extended codes keep the primary code in the low byte),
            // and PostgreSQL's shutdown and connection failures pass once the database is back.
            sqlx::Error::Database(db)
                if db.code().is_some_and(|code| {
                    matches!(code.parse::<i32>(), Ok(n) if matches!(n & 0xff, 5 | 6))
                        || matches!(code.as_ref(), "57P01" | "57P02" | "57P03")
                        || code.starts_with("08")
                }) =>
            {
                Self::Unavailable(error)
            }
            _ => Self::Database(error),
        }
    }
}

const DOMAIN: &str = "zenith.dev";

impl From<ArchiveError> for tonic::Status {
    fn from(error: ArchiveError) -> Self {
        let error = match error {
            ArchiveError::Queue(queue) => return queue.into(),
            other => other,
        };
        let message = error.to_string();
        let (code, reason, metadata): (Code, &str, HashMap<String, String>) = match &error {
            ArchiveError::Queue(_) => unreachable!("mapped above"),
            ArchiveError::InvalidArgument { field, .. } => (
                Code::InvalidArgument,
                "INVALID_ARGUMENT",
                HashMap::from([("field".into(), field.clone())]),
            ),
            ArchiveError::JobNotFound(id) => (
                Code::NotFound,
                "JOB_NOT_FOUND",
                HashMap::from([("job_id".into(), id.clone())]),
            ),
            ArchiveError::Unavailable(_) => {
                (Code::Unavailable, "DATABASE_UNAVAILABLE", HashMap::new())
            }
            ArchiveError::Database(_) | ArchiveError::Corrupt { .. } => {
                tracing::error!(%error, "archive failure");
                (Code::Internal, "INTERNAL", HashMap::new())
            }
        };
        tonic::Status::with_error_details(
            code,
            message,
            ErrorDetails::with_error_info(reason, DOMAIN, metadata),
        )
    }
}
