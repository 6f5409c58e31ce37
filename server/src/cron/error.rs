//! Everything cron can refuse or fail at, mapped once to `tonic::Status`.

use std::collections::HashMap;

use tonic::Code;
use tonic_types::{ErrorDetails, StatusExt};

use crate::archive::ArchiveError;
use crate::queue::QueueError;

#[derive(Debug, thiserror::Error)]
pub enum CronError {
    #[error("{field}: {message}")]
    InvalidArgument { field: String, message: String },
    #[error("schedule {0} not found")]
    NotFound(String),
    #[error("schedule {0} already exists")]
    AlreadyExists(String),
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error(transparent)]
    Archive(#[from] ArchiveError),
}

pub type Result<T, E = CronError> = std::result::Result<T, E>;

impl CronError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidArgument {
            field: field.into(),
            message: message.into(),
        }
    }
}

const DOMAIN: &str = "zenith.dev";

impl From<CronError> for tonic::Status {
    fn from(error: CronError) -> Self {
        let message = error.to_string();
        let (code, reason, metadata): (Code, &str, HashMap<String, String>) = match error {
            CronError::Queue(error) => return error.into(),
            CronError::Archive(error) => return error.into(),
            CronError::InvalidArgument { field, .. } => (
                Code::InvalidArgument,
                "INVALID_ARGUMENT",
                HashMap::from([("field".into(), field)]),
            ),
            CronError::NotFound(id) => (
                Code::NotFound,
                "SCHEDULE_NOT_FOUND",
                HashMap::from([("schedule_id".into(), id)]),
            ),
            CronError::AlreadyExists(id) => (
                Code::AlreadyExists,
                "SCHEDULE_EXISTS",
                HashMap::from([("schedule_id".into(), id)]),
            ),
        };
        tonic::Status::with_error_details(
            code,
            message,
            ErrorDetails::with_error_info(reason, DOMAIN, metadata),
        )
    }
}
