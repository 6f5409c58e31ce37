//! What a handler receives ([`JobContext`]) and returns on failure ([`JobError`]).

use std::backtrace::Backtrace;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

use tokio_util::sync::CancellationToken;
use zenith_proto::v1::Job;

/// The job a handler runs, with what it needs to cooperate with the worker.
#[derive(Debug)]
pub struct JobContext {
    job: Job,
    cancellation: CancellationToken,
    cancel_reason: Arc<OnceLock<String>>,
    result: Arc<Mutex<Option<Vec<u8>>>>,
}

impl JobContext {
    pub(crate) fn new(
        job: Job,
        cancellation: CancellationToken,
        cancel_reason: Arc<OnceLock<String>>,
        result: Arc<Mutex<Option<Vec<u8>>>>,
    ) -> Self {
        Self {
            job,
            cancellation,
            cancel_reason,
            result,
        }
    }

    /// The job as the server handed it out.
    pub fn job(&self) -> &Job {
        &self.job
    }

    pub fn id(&self) -> &str {
        &self.job.id
    }

    pub fn queue(&self) -> &str {
        &self.job.queue
    }

    pub fn job_type(&self) -> &str {
        &self.job.r#type
    }

    pub fn payload(&self) -> &[u8] {
        &self.job.payload
    }

    /// Which attempt this is, counting from 1.
    pub fn attempt(&self) -> u32 {
        u32::try_from(self.job.attempts).unwrap_or(0)
    }

    /// Decodes the payload as JSON. A payload that does not decode fails the job as not
    /// retryable, since another attempt would not decode it either.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, JobError> {
        serde_json::from_slice(&self.job.payload).map_err(|error| {
            JobError::new(error)
                .context("decode json payload")
                .not_retryable()
        })
    }

    /// Fires when the handler should stop: an operator cancelled the job (see
    /// [`Self::cancel_reason`]), the job's timeout passed, or the lease was lost (the job may
    /// already run elsewhere). Whatever the handler returns afterwards is not acked; the
    /// handler gets the worker's cancel grace to return, and is then dropped.
    pub fn cancellation_token(&self) -> &CancellationToken {
        &self.cancellation
    }

    /// Completes when [`Self::cancellation_token`] fires.
    pub async fn cancelled(&self) {
        self.cancellation.cancelled().await;
    }

    /// True once [`Self::cancellation_token`] has fired.
    pub fn is_cancelled(&self) -> bool {
        self.cancellation.is_cancelled()
    }

    /// When an operator cancelled the job (`CancelJob`): the reason they gave, possibly empty.
    /// The worker saw it on its next lease extension, fired the cancellation token, and reports
    /// the job failed so that it ends cancelled.
    pub fn cancel_reason(&self) -> Option<&str> {
        self.cancel_reason.get().map(String::as_str)
    }

    /// Keeps `result` with the job when it is acked.
    pub fn set_result(&self, result: impl Into<Vec<u8>>) {
        *self
            .result
            .lock()
            .unwrap_or_else(|poison| poison.into_inner()) = Some(result.into());
    }
}

/// Why a handler failed. Converts from any error with `?`; the error's `source()` chain
/// becomes the message (`outer: inner: root`) and a backtrace is captured as the stack trace.
///
/// ```
/// use zenith_sdk::JobError;
/// fn check(amount: i64) -> Result<(), JobError> {
///     if amount < 0 {
///         // A retry would fail the same way: send the job straight to dead.
///         return Err(JobError::msg("negative amount").not_retryable());
///     }
///     Ok(())
/// }
/// ```
pub struct JobError {
    message: String,
    stack_trace: StackTrace,
    retryable: bool,
}

enum StackTrace {
    Captured(Backtrace),
    Text(String),
}

impl JobError {
    /// Wraps an error, capturing a backtrace here.
    pub fn new(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        let error = error.into();
        Self {
            message: error_chain(error.as_ref()),
            stack_trace: StackTrace::Captured(Backtrace::force_capture()),
            retryable: true,
        }
    }

    /// An error with just a message, capturing a backtrace here.
    pub fn msg(message: impl fmt::Display) -> Self {
        Self {
            message: message.to_string(),
            stack_trace: StackTrace::Captured(Backtrace::force_capture()),
            retryable: true,
        }
    }

    /// Prefixes the message: `context: message`.
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }

    /// Sends the job straight to dead instead of retrying it.
    pub fn not_retryable(mut self) -> Self {
        self.retryable = false;
        self
    }

    /// Replaces the captured backtrace, e.g. with another language's stack trace or with
    /// nothing when a backtrace of this process would only mislead.
    pub fn with_stack_trace(mut self, stack_trace: impl Into<String>) -> Self {
        self.stack_trace = StackTrace::Text(stack_trace.into());
        self
    }

    pub fn is_retryable(&self) -> bool {
        self.retryable
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// The stack trace as it is reported to the server.
    pub fn stack_trace(&self) -> String {
        match &self.stack_trace {
            StackTrace::Captured(backtrace) => backtrace.to_string(),
            StackTrace::Text(text) => text.clone(),
        }
    }
}

impl<E> From<E> for JobError
where
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    fn from(error: E) -> Self {
        Self::new(error)
    }
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JobError")
            .field("message", &self.message)
            .field("retryable", &self.retryable)
            .finish_non_exhaustive()
    }
}

/// `outer: inner: root`, skipping a source whose text its parent already ends with (a common
/// habit of error types that print their source themselves).
pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut chain = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !chain.ends_with(&text) {
            chain.push_str(": ");
            chain.push_str(&text);
        }
        source = cause.source();
    }
    chain
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("send welcome email")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn message_is_the_source_chain() {
        let error = JobError::from(Outer(std::io::Error::other("smtp refused")));
        assert_eq!(error.message(), "send welcome email: smtp refused");
        assert!(error.is_retryable());
        assert!(!error.stack_trace().is_empty());
    }

    #[test]
    fn strings_convert_and_can_be_marked_permanent() {
        let error = JobError::from("bad input").not_retryable();
        assert_eq!(error.to_string(), "bad input");
        assert!(!error.is_retryable());
        let error = JobError::msg("x").with_stack_trace("");
        assert_eq!(error.stack_trace(), "");
    }
}
