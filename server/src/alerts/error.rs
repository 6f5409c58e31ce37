//! Everything alerting can refuse or fail at, mapped once to `tonic::Status`.

use std::collections::HashMap;

use tonic::Code;
use tonic_types::{ErrorDetails, StatusExt};

use crate::archive::ArchiveError;
use crate::queue::QueueError;

#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error("{field}: {message}")]
    InvalidArgument { field: String, message: String },
    /// `what` is `rule`, `channel`, `alert` or `silence`.
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    #[error("{what} {id} already exists")]
    AlreadyExists { what: &'static str, id: String },
    #[error("{0}")]
    FailedPrecondition(String),
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error(transparent)]
    Archive(#[from] ArchiveError),
}

pub type Result<T, E = AlertError> = std::result::Result<T, E>;

impl AlertError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidArgument {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn not_found(what: &'static str, id: impl Into<String>) -> Self {
        Self::NotFound {
            what,
            id: id.into(),
        }
    }
}

const DOMAIN: &str = "zenith.dev";

impl From<AlertError> for tonic::Status {
    fn from(error: AlertError) -> Self {
        let message = error.to_string();
        let (code, reason, metadata): (Code, String, HashMap<String, String>) = match error {
            AlertError::Queue(error) => return error.into(),
            AlertError::Archive(error) => return error.into(),
            AlertError::InvalidArgument { field, .. } => (
                Code::InvalidArgument,
                "INVALID_ARGUMENT".into(),
                HashMap::from([("field".into(), field)]),
            ),
            AlertError::NotFound { what, id } => (
                Code::NotFound,
                format!("{}_NOT_FOUND", what.to_uppercase()),
                HashMap::from([(format!("{what}_id"), id)]),
            ),
            AlertError::AlreadyExists { what, id } => (
                Code::AlreadyExists,
                format!("{}_EXISTS", what.to_uppercase()),
                HashMap::from([(format!("{what}_id"), id)]),
            ),
            AlertError::FailedPrecondition(_) => (
                Code::FailedPrecondition,
                "FAILED_PRECONDITION".into(),
                HashMap::new(),
            ),
        };
        tonic::Status::with_error_details(
            code,
            message,
            ErrorDetails::with_error_info(reason, DOMAIN, metadata),
        )
    }
}
