//! Everything access control can refuse or fail at, mapped once to `tonic::Status`.

use std::collections::HashMap;
use std::time::Duration;

use tonic::Code;
use tonic_types::{ErrorDetails, StatusExt};

use crate::archive::ArchiveError;
use crate::queue::QueueError;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No key, or one the server does not accept.
    #[error("{0}")]
    Unauthenticated(String),
    /// A valid key whose role or queue scope does not allow the call.
    #[error("{0}")]
    PermissionDenied(String),
    #[error("key {key} is limited to {limit} calls per second")]
    RateLimited {
        key: String,
        limit: u32,
        retry_after: Duration,
    },
    #[error("api key {0} not found")]
    KeyNotFound(String),
    #[error("api key {0} already exists")]
    KeyExists(String),
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error(transparent)]
    Archive(#[from] ArchiveError),
}

pub type Result<T, E = AuthError> = std::result::Result<T, E>;

impl From<sqlx::Error> for AuthError {
    fn from(error: sqlx::Error) -> Self {
        Self::Archive(error.into())
    }
}

impl AuthError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Queue(QueueError::invalid(field, message))
    }
}

const DOMAIN: &str = "zenith.dev";

impl From<AuthError> for tonic::Status {
    fn from(error: AuthError) -> Self {
        let message = error.to_string();
        let (code, reason, metadata): (Code, &str, HashMap<String, String>) = match error {
            AuthError::Queue(error) => return error.into(),
            AuthError::Archive(error) => return error.into(),
            AuthError::Unauthenticated(_) => {
                (Code::Unauthenticated, "UNAUTHENTICATED", HashMap::new())
            }
            AuthError::PermissionDenied(_) => {
                (Code::PermissionDenied, "PERMISSION_DENIED", HashMap::new())
            }
            AuthError::RateLimited {
                key, retry_after, ..
            } => {
                let mut details = ErrorDetails::with_error_info(
                    "RATE_LIMITED",
                    DOMAIN,
                    HashMap::from([("key_id".to_owned(), key)]),
                );
                details.set_retry_info(Some(retry_after));
                return tonic::Status::with_error_details(
                    Code::ResourceExhausted,
                    message,
                    details,
                );
            }
            AuthError::KeyNotFound(id) => (
                Code::NotFound,
                "API_KEY_NOT_FOUND",
                HashMap::from([("key_id".into(), id)]),
            ),
            AuthError::KeyExists(id) => (
                Code::AlreadyExists,
                "API_KEY_EXISTS",
                HashMap::from([("key_id".into(), id)]),
            ),
        };
        tonic::Status::with_error_details(
            code,
            message,
            ErrorDetails::with_error_info(reason, DOMAIN, metadata),
        )
    }
}
