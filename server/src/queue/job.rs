//! Jobs as stored in their Redis hash, and back.

use std::collections::HashMap;
use std::time::Duration;

use prost::Message;
use prost_types::Timestamp;
use zenith_proto::v1::{Backoff, Job, JobSpec, JobState};

use super::error::{QueueError, Result};

/// A validated job, ready to be written.
#[derive(Clone, Debug)]
pub struct NewJob {
    pub id: String,
    /// The server made the id just now, so no job can have it yet.
    pub fresh_id: bool,
    pub queue: String,
    pub job_type: String,
    pub payload: Vec<u8>,
    pub content_type: String,
    pub headers: HashMap<String, String>,
    pub priority: i32,
    /// Absolute ready time in ms since the epoch; 0 with `delay` 0 means now.
    pub run_at_ms: i64,
    pub delay: Duration,
    pub max_attempts: u32,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    pub timeout: Option<Duration>,
    pub unique_key: String,
    pub unique_ttl: Duration,
    pub tags: Vec<String>,
}

pub fn proto_duration(duration: Duration) -> prost_types::Duration {
    prost_types::Duration {
        seconds: duration.as_secs() as i64,
        nanos: duration.subsec_nanos() as i32,
    }
}

impl NewJob {
    /// What never changes about the job, encoded once: the hash keeps it as one field, which
    /// costs Redis far less per job than a field per property.
    pub fn spec(&self) -> JobSpec {
        JobSpec {
            id: self.id.clone(),
            r#type: self.job_type.clone(),
            payload: self.payload.clone(),
            content_type: self.content_type.clone(),
            headers: self.headers.clone(),
            priority: self.priority,
            max_attempts: self.max_attempts as i32,
            backoff: Some(Backoff {
                base: Some(proto_duration(self.backoff_base)),
                max: Some(proto_duration(self.backoff_max)),
            }),
            timeout: self.timeout.map(proto_duration),
            unique_key: self.unique_key.clone(),
            tags: self.tags.clone(),
            ..JobSpec::default()
        }
    }

    /// The script arguments for this job, as `enqueue.lua` reads them. Besides the spec, the
    /// hash gets copies of what the scripts themselves need: `retry` ("max_attempts:base
    /// ms:max ms"), and, when set, `priority`, `timeout` (ms) and `unique_key`.
    pub fn push_args(&self, cmd: &mut redis::Cmd) {
        let defaults = self.fresh_id
            && self.unique_key.is_empty()
            && self.run_at_ms == 0
            && self.delay.is_zero()
            && self.priority == 0;
        let options = if defaults {
            String::new()
        } else {
            format!(
                "{} {} {} {} {}",
                u8::from(self.fresh_id),
                self.unique_ttl.as_millis().max(1),
                self.run_at_ms,
                self.delay.as_millis(),
                self.priority
            )
        };
        let retry = format!(
            "{}:{}:{}",
            self.max_attempts,
            self.backoff_base.as_millis(),
            self.backoff_max.as_millis()
        );
        let mut extra: Vec<(&str, String)> = Vec::new();
        if self.priority != 0 {
            extra.push(("priority", self.priority.to_string()));
        }
        if let Some(timeout) = self.timeout {
            extra.push(("timeout", timeout.as_millis().to_string()));
        }
        if !self.unique_key.is_empty() {
            extra.push(("unique_key", self.unique_key.clone()));
            // A dead job retried takes its key again, for as long as at enqueue.
            extra.push(("unique_ttl", self.unique_ttl.as_millis().max(1).to_string()));
        }
        cmd.arg(&self.id)
            .arg(options)
            .arg(&self.unique_key)
            .arg(retry)
            .arg(self.spec().encode_to_vec())
            .arg(extra.len());
        for (field, value) in extra {
            cmd.arg(field).arg(value);
        }
    }

    /// Where a job that was written (not a duplicate) landed, given Redis's time at the write:
    /// the same decision `enqueue.lua` makes.
    pub fn written_state(&self, now_ms: i64) -> (JobState, i64) {
        let run_at = if self.delay.is_zero() {
            self.run_at_ms
        } else {
            now_ms + self.delay.as_millis() as i64
        };
        if run_at > now_ms {
            (JobState::Scheduled, run_at)
        } else {
            (JobState::Pending, now_ms)
        }
    }
}

pub fn timestamp_from_ms(ms: i64) -> Timestamp {
    Timestamp {
        seconds: ms.div_euclid(1000),
        nanos: (ms.rem_euclid(1000) * 1_000_000) as i32,
    }
}

/// Saturates, so a caller's absurd timestamp cannot overflow.
pub fn timestamp_to_ms(ts: &Timestamp) -> i64 {
    ts.seconds
        .saturating_mul(1000)
        .saturating_add(i64::from(ts.nanos) / 1_000_000)
}

pub fn state_from_name(name: &str) -> JobState {
    match name {
        "pending" => JobState::Pending,
        "scheduled" => JobState::Scheduled,
        "active" => JobState::Active,
        "retry" => JobState::Retry,
        "dead" => JobState::Dead,
        "completed" => JobState::Completed,
        "cancelled" => JobState::Cancelled,
        "deleted" => JobState::Deleted,
        _ => JobState::Unspecified,
    }
}

/// A state as the scripts store it, and as the CLI prints it.
pub fn state_name(state: JobState) -> &'static str {
    match state {
        JobState::Unspecified => "unspecified",
        JobState::Pending => "pending",
        JobState::Scheduled => "scheduled",
        JobState::Active => "active",
        JobState::Retry => "retry",
        JobState::Dead => "dead",
        JobState::Completed => "completed",
        JobState::Cancelled => "cancelled",
        JobState::Deleted => "deleted",
    }
}

/// Copies a job's unchanging part onto it.
pub fn apply_spec(job: &mut Job, spec: JobSpec) {
    job.id = spec.id;
    job.r#type = spec.r#type;
    job.payload = spec.payload;
    job.content_type = spec.content_type;
    job.headers = spec.headers;
    job.priority = spec.priority;
    job.max_attempts = spec.max_attempts;
    job.backoff = spec.backoff;
    job.timeout = spec.timeout;
    job.unique_key = spec.unique_key;
    job.tags = spec.tags;
}

/// Builds a job from the field/value pairs of its hash.
pub fn job_from_fields(queue: &str, fields: Vec<(String, Vec<u8>)>) -> Result<Job> {
    let mut job = Job {
        queue: queue.to_owned(),
        ..Job::default()
    };
    for (field, value) in fields {
        let text = || String::from_utf8_lossy(&value).into_owned();
        let ms = || text().parse::<i64>().unwrap_or_default();
        match field.as_str() {
            "spec" => {
                let spec =
                    JobSpec::decode(value.as_slice()).map_err(|error| QueueError::Corrupt {
                        id: job.id.clone(),
                        message: format!("spec: {error}"),
                    })?;
                apply_spec(&mut job, spec);
            }
            "state" => job.set_state(state_from_name(&text())),
            "attempts" => job.attempts = ms() as i32,
            "error" => job.last_error = text(),
            "stack" => job.last_stack_trace = text(),
            "created_at" => job.created_at = Some(timestamp_from_ms(ms())),
            "scheduled_at" => job.scheduled_at = Some(timestamp_from_ms(ms())),
            "started_at" => job.started_at = Some(timestamp_from_ms(ms())),
            "finished_at" if !value.is_empty() => job.finished_at = Some(timestamp_from_ms(ms())),
            "result" => job.result = value,
            "lease_deadline" => job.lease_deadline = Some(timestamp_from_ms(ms())),
            "cancel_requested" => job.cancel_requested = value == b"1",
            "cancel_reason" => job.cancel_reason = text(),
            "worker" => job.worker_id = text(),
            "node" => job.node_id = text(),
            _ => {}
        }
    }
    // Lease fields outlive the lease in the hash; they mean something only while active. So does
    // a cancellation request, and its reason once the job ended other than cancelled (a worker
    // that finished anyway acked it).
    match job.state() {
        JobState::Active => {}
        JobState::Cancelled => {
            job.lease_deadline = None;
            job.cancel_requested = false;
        }
        _ => {
            job.lease_deadline = None;
            job.cancel_requested = false;
            job.cancel_reason.clear();
        }
    }
    Ok(job)
}
