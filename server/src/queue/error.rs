//! What can go wrong in the queue engine, mapped once to gRPC status codes.

use std::collections::HashMap;

use redis::{ErrorKind, ServerErrorKind};
use tonic::Code;
use tonic_types::{ErrorDetails, StatusExt};

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("{field}: {message}")]
    InvalidArgument { field: String, message: String },
    #[error("{field}: {message}")]
    TooLarge { field: String, message: String },
    #[error("job {0} not found")]
    JobNotFound(String),
    #[error("queue {0} not found")]
    QueueNotFound(String),
    #[error("stale lease for job {}: it was reserved again or is no longer active", .0.join(", "))]
    StaleLease(Vec<String>),
    #[error("redis unavailable: {0}")]
    Unavailable(redis::RedisError),
    #[error("redis: {0}")]
    Redis(redis::RedisError),
    #[error("corrupt job {id}: {message}")]
    Corrupt { id: String, message: String },
    #[error("cannot {action} job {id}: it is {state}")]
    WrongState {
        id: String,
        action: &'static str,
        state: &'static str,
    },
    #[error("bulk operation {0} not found")]
    BulkOperationNotFound(String),
}

pub type Result<T, E = QueueError> = std::result::Result<T, E>;

impl QueueError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidArgument {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<redis::RedisError> for QueueError {
    fn from(error: redis::RedisError) -> Self {
        if error.is_io_error()
            || error.is_connection_dropped()
            || error.is_connection_refusal()
            || error.is_timeout()
            || error.is_unrecoverable_error()
            || matches!(
                error.kind(),
                ErrorKind::Server(
                    ServerErrorKind::BusyLoading
                        | ServerErrorKind::TryAgain
                        | ServerErrorKind::ClusterDown
                        | ServerErrorKind::MasterDown
                        | ServerErrorKind::ReadOnly
                        | ServerErrorKind::Moved
                        | ServerErrorKind::Ask
                )
            )
        {
            Self::Unavailable(error)
        } else {
            Self::Redis(error)
        }
    }
}

const DOMAIN: &str = "zenith.dev";

impl From<QueueError> for tonic::Status {
    fn from(error: QueueError) -> Self {
        let message = error.to_string();
        let (code, reason, metadata): (Code, &str, HashMap<String, String>) = match &error {
            QueueError::InvalidArgument { field, .. } => (
                Code::InvalidArgument,
                "INVALID_ARGUMENT",
                HashMap::from([("field".into(), field.clone())]),
            ),
            QueueError::TooLarge { field, .. } => (
                Code::ResourceExhausted,
                "TOO_LARGE",
                HashMap::from([("field".into(), field.clone())]),
            ),
            QueueError::JobNotFound(id) => (
                Code::NotFound,
                "JOB_NOT_FOUND",
                HashMap::from([("job_id".into(), id.clone())]),
            ),
            QueueError::QueueNotFound(name) => (
                Code::NotFound,
                "QUEUE_NOT_FOUND",
                HashMap::from([("queue".into(), name.clone())]),
            ),
            QueueError::StaleLease(ids) => (
                Code::FailedPrecondition,
                "LEASE_STALE",
                HashMap::from([("job_ids".into(), ids.join(","))]),
            ),
            QueueError::WrongState { id, state, .. } => (
                Code::FailedPrecondition,
                "JOB_WRONG_STATE",
                HashMap::from([
                    ("job_id".into(), id.clone()),
                    ("state".into(), (*state).to_owned()),
                ]),
            ),
            QueueError::BulkOperationNotFound(id) => (
                Code::NotFound,
                "BULK_OPERATION_NOT_FOUND",
                HashMap::from([("operation_id".into(), id.clone())]),
            ),
            QueueError::Unavailable(_) => (Code::Unavailable, "REDIS_UNAVAILABLE", HashMap::new()),
            QueueError::Redis(_) | QueueError::Corrupt { .. } => {
                tracing::error!(%error, "queue engine failure");
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
