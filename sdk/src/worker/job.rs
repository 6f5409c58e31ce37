//! Runs one reserved job: dispatch to its handler, keep its lease alive, report the outcome.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::OwnedSemaphorePermit;
use tokio::time::sleep_until;
use tokio_util::sync::CancellationToken;
use tonic::Code;
use tracing::Instrument as _;
use zenith_proto::v1::{ExtendLeaseRequest, FailRequest, Job, JobAck, JobState, ReservedJob};

use crate::PulseAgent;
use crate::pulse::TrackedJob;
use crate::time::{from_proto_duration, from_proto_timestamp, to_proto_duration};
use crate::worker::acker::AckSender;
use crate::worker::{Backoff, JobContext, JobError, Shared, display_chain};

// The server's limits on Fail's fields.
const MAX_ERROR_BYTES: usize = 64 * 1024;
const MAX_STACK_TRACE_BYTES: usize = 256 * 1024;

enum Outcome {
    Completed(Option<Vec<u8>>),
    Failed(JobError),
    /// The lease is gone: the job is someone else's now, so nothing is reported.
    Abandoned,
}

/// Why the lease keeper gave up on the job.
enum LeaseEnd {
    TimedOut(Duration),
    Lost(String),
    /// An operator cancelled the job, for this reason.
    Cancelled(String),
}

pub(crate) async fn run(
    shared: Arc<Shared>,
    reserved: ReservedJob,
    acks: AckSender,
    _slot: OwnedSemaphorePermit,
    pulse: Option<PulseAgent>,
) {
    let received_at = Instant::now();
    let Some(job) = reserved.job else {
        tracing::error!("reserve response without a job; skipping it");
        return;
    };
    let lease_token = reserved.lease_token;
    let lease_deadline = reserved.lease_deadline.as_ref().map(from_proto_timestamp);

    let Some(handler) = shared
        .handlers
        .get(&job.r#type)
        .or(shared.fallback.as_ref())
        .cloned()
    else {
        let error = JobError::msg(format!("no handler for job type {:?}", job.r#type))
            .not_retryable()
            .with_stack_trace("");
        report_failure(&shared, &job, &lease_token, error).await;
        return;
    };

    let cancellation = CancellationToken::new();
    let cancel_reason = Arc::new(OnceLock::new());
    let result = Arc::new(Mutex::new(None));
    let context = JobContext::new(
        job.clone(),
        cancellation.clone(),
        cancel_reason.clone(),
        result.clone(),
    );
    // The handler's own task keeps the job's span, so its log lines carry the job.
    let mut handle = tokio::spawn(handler(context).instrument(tracing::Span::current()));
    // Listed in the node's beats, which also extend the lease and may carry a cancellation.
    let tracked = pulse.map(|pulse| pulse.track_job(&job.queue, &job.id, &lease_token));
    let keeper = keep_lease(
        &shared,
        &job,
        &lease_token,
        received_at,
        lease_deadline,
        tracked.as_ref(),
    );

    let outcome = tokio::select! {
        joined = &mut handle => match joined {
            Ok(Ok(())) => Outcome::Completed(result.lock().unwrap_or_else(|p| p.into_inner()).take()),
            Ok(Err(error)) => Outcome::Failed(error),
            Err(join_error) => Outcome::Failed(panic_error(join_error)),
        },
        end = keeper => {
            if let LeaseEnd::Cancelled(reason) = &end {
                let _ = cancel_reason.set(reason.clone());
            }
            cancellation.cancel();
            // Let the handler wind down (a subprocess gets killed, say) before moving on.
            if tokio::time::timeout(shared.cancel_grace, &mut handle).await.is_err() {
                tracing::warn!("handler ignored cancellation; abandoning it");
                handle.abort();
            }
            match end {
                LeaseEnd::TimedOut(timeout) => Outcome::Failed(
                    JobError::msg(format!("timed out after {}", humantime::format_duration(timeout)))
                        .with_stack_trace(""),
                ),
                LeaseEnd::Lost(reason) => {
                    tracing::warn!(reason, "lease lost; job abandoned");
                    Outcome::Abandoned
                }
                // Failing a job whose cancellation was requested ends it cancelled.
                LeaseEnd::Cancelled(reason) => {
                    let message = if reason.is_empty() {
                        "cancelled by an operator".to_owned()
                    } else {
                        format!("cancelled by an operator: {reason}")
                    };
                    Outcome::Failed(JobError::msg(message).with_stack_trace(""))
                }
            }
        }
    };

    match outcome {
        Outcome::Completed(result) => {
            acks.send(JobAck {
                queue: job.queue.clone(),
                job_id: job.id.clone(),
                lease_token,
                result: result.unwrap_or_default(),
            })
            .await;
        }
        Outcome::Failed(error) => report_failure(&shared, &job, &lease_token, error).await,
        Outcome::Abandoned => {}
    }
}

/// Extends the lease every lease/3 while the handler runs; returns when the job must stop,
/// which includes an operator's cancellation, seen in an extension's answer.
async fn keep_lease(
    shared: &Shared,
    job: &Job,
    lease_token: &str,
    received_at: Instant,
    lease_deadline: Option<SystemTime>,
    tracked: Option<&TrackedJob>,
) -> LeaseEnd {
    let lease = shared.lease;
    let interval = lease / 3;
    let timeout = job
        .timeout
        .as_ref()
        .map(from_proto_duration)
        .filter(|timeout| !timeout.is_zero());
    // The attempt started on the server before the reply reached us, so a deadline counted from
    // receipt is at or a little after the server's.
    let mut hard_deadline = timeout.map(|timeout| received_at + timeout);
    let mut lease_until = lease_deadline.map_or(received_at + lease, instant_of);
    let mut next_extend = received_at + interval;
    let mut capped = false;
    loop {
        tokio::select! {
            _ = sleep_until_opt(hard_deadline) => {
                return LeaseEnd::TimedOut(timeout.unwrap_or(lease));
            }
            reason = cancelled_by_beat(tracked) => return LeaseEnd::Cancelled(reason),
            _ = sleep_until(next_extend.into()), if !capped => {
                let asked_at = Instant::now();
                let request = ExtendLeaseRequest {
                    queue: job.queue.clone(),
                    job_id: job.id.clone(),
                    lease_token: lease_token.to_owned(),
                    extension: Some(to_proto_duration(lease)),
                };
                match shared.client.extend_lease(request).await {
                    Ok(response) if response.cancel_requested => {
                        return LeaseEnd::Cancelled(response.cancel_reason);
                    }
                    Ok(response) => {
                        lease_until = response.lease_deadline.as_ref().map_or(asked_at + lease, |deadline| instant_of(from_proto_timestamp(deadline)));
                        next_extend = asked_at + interval;
                        if response.capped {
                            // The timeout caps the lease: at its end the attempt is over.
                            capped = true;
                            hard_deadline = Some(hard_deadline.map_or(lease_until, |deadline| deadline.min(lease_until)));
                        }
                    }
                    Err(error) if matches!(error.code(), Some(Code::FailedPrecondition | Code::NotFound)) => {
                        return LeaseEnd::Lost(display_chain(&error));
                    }
                    Err(error) => {
                        if Instant::now() >= lease_until {
                            return LeaseEnd::Lost(format!("lease ran out while extending failed: {}", display_chain(&error)));
                        }
                        tracing::warn!(error = %display_chain(&error), "extend lease failed; retrying");
                        next_extend = Instant::now() + interval.min(Duration::from_secs(1));
                    }
                }
            }
        }
    }
}

/// Completes when a beat's answer cancels the job; never without a pulse agent.
async fn cancelled_by_beat(tracked: Option<&TrackedJob>) -> String {
    match tracked {
        Some(tracked) => tracked.cancelled().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => sleep_until(deadline.into()).await,
        None => std::future::pending().await,
    }
}

/// The local instant of a server time, assuming the clocks roughly agree.
fn instant_of(at: SystemTime) -> Instant {
    let now_system = SystemTime::now();
    let now = Instant::now();
    match at.duration_since(now_system) {
        Ok(ahead) => now + ahead,
        Err(behind) => now.checked_sub(behind.duration()).unwrap_or(now),
    }
}

fn panic_error(join_error: tokio::task::JoinError) -> JobError {
    if !join_error.is_panic() {
        return JobError::msg("handler was cancelled").with_stack_trace("");
    }
    let payload = join_error.into_panic();
    let message = payload
        .downcast_ref::<&str>()
        .map(|message| (*message).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_owned());
    // The backtrace of the panic itself went to stderr through the panic hook.
    JobError::msg(format!("handler panicked: {message}")).with_stack_trace("")
}

/// Reports a failed attempt, retrying while the server is unreachable.
async fn report_failure(shared: &Shared, job: &Job, lease_token: &str, error: JobError) {
    let request = FailRequest {
        queue: job.queue.clone(),
        job_id: job.id.clone(),
        lease_token: lease_token.to_owned(),
        error: truncate(error.message(), MAX_ERROR_BYTES).to_owned(),
        stack_trace: truncate(&error.stack_trace(), MAX_STACK_TRACE_BYTES).to_owned(),
        retryable: (!error.is_retryable()).then_some(false),
    };
    let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
    for _ in 0..10 {
        match shared.client.fail(request.clone()).await {
            Ok(response) => {
                let state = JobState::try_from(response.state).unwrap_or_default();
                let state = state
                    .as_str_name()
                    .trim_start_matches("JOB_STATE_")
                    .to_lowercase();
                tracing::info!(state, error = %error, "job failed");
                return;
            }
            Err(failure) if failure.code() == Some(Code::FailedPrecondition) => {
                tracing::warn!(error = %display_chain(&failure), "stale lease on fail; job was redelivered");
                return;
            }
            Err(failure) if failure.is_transient() => {
                let delay = backoff.next_delay();
                tracing::warn!(error = %display_chain(&failure), retry_in = ?delay, "fail call failed; retrying");
                tokio::time::sleep(delay).await;
            }
            Err(failure) => {
                tracing::error!(error = %display_chain(&failure), "fail refused");
                return;
            }
        }
    }
    tracing::error!("giving up reporting failure; the lease will expire");
}

/// At most `max` bytes of `text`, cut at a character boundary.
fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_respects_char_boundaries() {
        assert_eq!(truncate("héllo", 2), "h");
        assert_eq!(truncate("héllo", 3), "hé");
        assert_eq!(truncate("abc", 10), "abc");
    }
}
