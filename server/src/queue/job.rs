//! Jobs as stored in their Redis hash, and back.

use std::collections::HashMap;
use std::time::Duration;

use prost_types::Timestamp;
use zenith_proto::v1::{Backoff, Job, JobState};

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

fn millis(duration: Duration) -> String {
    duration.as_millis().to_string()
}

impl NewJob {
    /// The script arguments for this job, as `enqueue.lua` reads them.
    pub fn push_args(&self, cmd: &mut redis::Cmd) {
        let mut fields: Vec<(&str, Vec<u8>)> = vec![
            ("id", self.id.clone().into_bytes()),
            ("type", self.job_type.clone().into_bytes()),
            ("priority", self.priority.to_string().into_bytes()),
            ("max_attempts", self.max_attempts.to_string().into_bytes()),
            ("backoff_base", millis(self.backoff_base).into_bytes()),
            ("backoff_max", millis(self.backoff_max).into_bytes()),
        ];
        if !self.payload.is_empty() {
            fields.push(("payload", self.payload.clone()));
        }
        if !self.content_type.is_empty() {
            fields.push(("ct", self.content_type.clone().into_bytes()));
        }
        if !self.headers.is_empty() {
            let headers = serde_json::to_vec(&self.headers).expect("string map serializes");
            fields.push(("headers", headers));
        }
        if let Some(timeout) = self.timeout {
            fields.push(("timeout", millis(timeout).into_bytes()));
        }
        if !self.unique_key.is_empty() {
            fields.push(("unique_key", self.unique_key.clone().into_bytes()));
        }
        if !self.tags.is_empty() {
            let tags = serde_json::to_vec(&self.tags).expect("string list serializes");
            fields.push(("tags", tags));
        }
        cmd.arg(&self.id)
            .arg(if self.fresh_id { 1 } else { 0 })
            .arg(&self.unique_key)
            .arg(self.unique_ttl.as_millis().max(1) as u64)
            .arg(self.run_at_ms)
            .arg(self.delay.as_millis() as u64)
            .arg(self.priority)
            .arg(fields.len());
        for (field, value) in fields {
            cmd.arg(field).arg(value);
        }
    }
}

pub fn timestamp_from_ms(ms: i64) -> Timestamp {
    Timestamp {
        seconds: ms.div_euclid(1000),
        nanos: (ms.rem_euclid(1000) * 1_000_000) as i32,
    }
}

pub fn timestamp_to_ms(ts: &Timestamp) -> i64 {
    ts.seconds * 1000 + i64::from(ts.nanos) / 1_000_000
}

fn duration_from_ms(ms: i64) -> prost_types::Duration {
    prost_types::Duration {
        seconds: ms / 1000,
        nanos: ((ms % 1000) * 1_000_000) as i32,
    }
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
        _ => JobState::Unspecified,
    }
}

pub fn state_name(state: JobState) -> Option<&'static str> {
    Some(match state {
        JobState::Pending => "pending",
        JobState::Scheduled => "scheduled",
        JobState::Active => "active",
        JobState::Retry => "retry",
        JobState::Dead => "dead",
        JobState::Completed => "completed",
        JobState::Cancelled | JobState::Unspecified => return None,
    })
}

/// Builds a job from the field/value pairs of its hash.
pub fn job_from_fields(queue: &str, fields: Vec<(String, Vec<u8>)>) -> Result<Job> {
    let mut job = Job {
        queue: queue.to_owned(),
        ..Job::default()
    };
    let mut backoff = Backoff::default();
    for (field, value) in fields {
        let text = || String::from_utf8_lossy(&value).into_owned();
        let int = || text().parse::<i64>().unwrap_or_default();
        match field.as_str() {
            "id" => job.id = text(),
            "type" => job.r#type = text(),
            "payload" => job.payload = value.clone(),
            "ct" => job.content_type = text(),
            "headers" => {
                job.headers =
                    serde_json::from_slice(&value).map_err(|error| QueueError::Corrupt {
                        id: job.id.clone(),
                        message: format!("headers: {error}"),
                    })?
            }
            "tags" => {
                job.tags = serde_json::from_slice(&value).map_err(|error| QueueError::Corrupt {
                    id: job.id.clone(),
                    message: format!("tags: {error}"),
                })?
            }
            "priority" => job.priority = int() as i32,
            "max_attempts" => job.max_attempts = int() as i32,
            "backoff_base" => backoff.base = Some(duration_from_ms(int())),
            "backoff_max" => backoff.max = Some(duration_from_ms(int())),
            "timeout" => job.timeout = Some(duration_from_ms(int())),
            "unique_key" => job.unique_key = text(),
            "state" => job.set_state(state_from_name(&text())),
            "attempts" => job.attempts = int() as i32,
            "error" => job.last_error = text(),
            "stack" => job.last_stack_trace = text(),
            "created_at" => job.created_at = Some(timestamp_from_ms(int())),
            "scheduled_at" => job.scheduled_at = Some(timestamp_from_ms(int())),
            "started_at" => job.started_at = Some(timestamp_from_ms(int())),
            "finished_at" => job.finished_at = Some(timestamp_from_ms(int())),
            "result" => job.result = value.clone(),
            "lease_deadline" => job.lease_deadline = Some(timestamp_from_ms(int())),
            _ => {}
        }
    }
    job.backoff = Some(backoff);
    // Lease fields outlive the lease in the hash; they mean something only while active.
    if job.state() != JobState::Active {
        job.lease_deadline = None;
    }
    Ok(job)
}
