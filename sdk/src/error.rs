//! The one error type of the SDK.

use tonic::Code;
use tonic_types::StatusExt;

/// Anything that can go wrong talking to a Zenith server.
///
/// Server refusals keep their gRPC status, so callers can match on the code:
///
/// ```no_run
/// # async fn example(client: zenith_sdk::Client) {
/// match client.get_job("missing").await {
///     Err(error) if error.code() == Some(tonic::Code::NotFound) => println!("no such job"),
///     Err(error) => eprintln!("{error}"),
///     Ok(job) => println!("{}", job.id),
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server URL does not parse as an endpoint.
    #[error("invalid server url {url:?}")]
    InvalidUrl {
        url: String,
        #[source]
        source: tonic::transport::Error,
    },
    /// The server could not be reached while connecting eagerly.
    #[error("connect to {url}")]
    Connect {
        url: String,
        #[source]
        source: tonic::transport::Error,
    },
    /// The server answered with a non-OK status (or the call failed in transport).
    #[error("{}: {}", code_name(.0.code()), .0.message())]
    Status(Box<tonic::Status>),
    /// The payload could not be encoded or decoded as JSON.
    #[error("json payload")]
    Json(#[from] serde_json::Error),
    /// A request was refused before it was sent, e.g. a worker without queues.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The server answered without a field the contract promises.
    #[error("malformed response: missing {0}")]
    MissingField(&'static str),
}

impl From<tonic::Status> for Error {
    fn from(status: tonic::Status) -> Self {
        Self::Status(Box::new(status))
    }
}

impl Error {
    /// The gRPC status the server answered with, if this error is one.
    pub fn status(&self) -> Option<&tonic::Status> {
        match self {
            Self::Status(status) => Some(status),
            _ => None,
        }
    }

    /// The gRPC code of the error; `None` for errors that never reached the server.
    pub fn code(&self) -> Option<Code> {
        self.status().map(|status| status.code())
    }

    /// The `google.rpc.ErrorInfo` reason the server gave, e.g. `LEASE_STALE` or `TOO_LARGE`.
    pub fn reason(&self) -> Option<String> {
        self.status()?
            .get_details_error_info()
            .map(|info| info.reason)
    }

    /// True for errors worth retrying later: the server or its stores were unreachable or busy.
    /// A size limit (RESOURCE_EXHAUSTED, reason `TOO_LARGE`) answers the same every time.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Connect { .. } => true,
            Self::Status(status) => match status.code() {
                Code::ResourceExhausted => self.reason().as_deref() != Some("TOO_LARGE"),
                Code::Unavailable
                | Code::DeadlineExceeded
                | Code::Aborted
                | Code::Unknown
                | Code::Cancelled => true,
                _ => false,
            },
            _ => false,
        }
    }
}

/// Codes in the lowercase words `grpcurl` and the gRPC docs use, e.g. "failed precondition".
fn code_name(code: Code) -> String {
    let mut name = String::new();
    for (index, ch) in format!("{code:?}").chars().enumerate() {
        if ch.is_uppercase() && index > 0 {
            name.push(' ');
        }
        name.push(ch.to_ascii_lowercase());
    }
    name
}

/// Result with the SDK's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn status_errors_keep_code_and_message() {
        let error = Error::from(tonic::Status::failed_precondition("stale lease token"));
        assert_eq!(error.code(), Some(Code::FailedPrecondition));
        assert_eq!(error.to_string(), "failed precondition: stale lease token");
        assert!(!error.is_transient());
        assert!(Error::from(tonic::Status::unavailable("redis down")).is_transient());
    }

    #[test]
    fn a_size_limit_is_not_transient_but_a_rate_limit_is() {
        let refused = |reason: &str| {
            Error::from(tonic::Status::with_error_details(
                Code::ResourceExhausted,
                "refused",
                tonic_types::ErrorDetails::with_error_info(reason, "zenith.dev", HashMap::new()),
            ))
        };
        assert_eq!(refused("TOO_LARGE").reason().as_deref(), Some("TOO_LARGE"));
        assert!(!refused("TOO_LARGE").is_transient());
        assert!(refused("RATE_LIMITED").is_transient());
    }
}
