//! Everything logs can refuse or fail at, mapped once to `tonic::Status`.

use tonic::Status;

use crate::archive::ArchiveError;
use crate::queue::QueueError;

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("invalid {field}: {reason}")]
    InvalidArgument { field: String, reason: String },
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error(transparent)]
    Archive(#[from] ArchiveError),
}

pub type Result<T, E = LogError> = std::result::Result<T, E>;

impl LogError {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidArgument {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl From<LogError> for Status {
    fn from(error: LogError) -> Self {
        match error {
            LogError::InvalidArgument { .. } => Status::invalid_argument(error.to_string()),
            LogError::Queue(error) => error.into(),
            LogError::Archive(error) => error.into(),
        }
    }
}
