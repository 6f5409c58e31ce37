//! Everything the pulse can refuse or fail at, mapped once to `tonic::Status`.

use tonic::Status;

use crate::queue::QueueError;

#[derive(Debug, thiserror::Error)]
pub enum PulseError {
    #[error("invalid {field}: {reason}")]
    InvalidArgument { field: String, reason: String },
    #[error("node {0} not found")]
    NodeNotFound(String),
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error("unexpected reply from redis: {0}")]
    UnexpectedReply(&'static str),
}

pub type Result<T, E = PulseError> = std::result::Result<T, E>;

impl From<redis::RedisError> for PulseError {
    fn from(error: redis::RedisError) -> Self {
        Self::Queue(error.into())
    }
}

impl PulseError {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidArgument {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl From<PulseError> for Status {
    fn from(error: PulseError) -> Self {
        match error {
            PulseError::InvalidArgument { .. } => Status::invalid_argument(error.to_string()),
            PulseError::NodeNotFound(_) => Status::not_found(error.to_string()),
            PulseError::Queue(error) => error.into(),
            PulseError::UnexpectedReply(_) => Status::internal(error.to_string()),
        }
    }
}
