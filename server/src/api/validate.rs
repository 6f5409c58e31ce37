//! Checks on request fields, each naming the field it refuses.

use std::time::Duration;

use zenith_proto::v1::JobSpec;

use super::Limits;
use crate::queue::{NewJob, QueueError, timestamp_to_ms};

const DEFAULT_MAX_ATTEMPTS: u32 = 5;
const MAX_ATTEMPTS_LIMIT: i32 = 1000;
const DEFAULT_BACKOFF_BASE: Duration = Duration::from_secs(1);
const DEFAULT_BACKOFF_MAX: Duration = Duration::from_secs(3600);
const DEFAULT_UNIQUE_TTL: Duration = Duration::from_secs(24 * 3600);
const MAX_PRIORITY: i32 = 1000;

pub type Result<T> = std::result::Result<T, QueueError>;

/// Queue names and job ids: 1-128 of `[A-Za-z0-9_.:-]`, so they are safe inside Redis keys.
pub fn name(field: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(QueueError::invalid(field, "required"));
    }
    if value.len() > 128 {
        return Err(QueueError::invalid(field, "longer than 128 characters"));
    }
    if let Some(bad) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-')))
    {
        return Err(QueueError::invalid(
            field,
            format!("character {bad:?} not allowed; use A-Z a-z 0-9 _ . : -"),
        ));
    }
    Ok(())
}

/// Free text with a length limit and no control characters.
pub fn label(field: &str, value: &str, max: usize, required: bool) -> Result<()> {
    if value.is_empty() {
        return if required {
            Err(QueueError::invalid(field, "required"))
        } else {
            Ok(())
        };
    }
    if value.len() > max {
        return Err(QueueError::invalid(
            field,
            format!("longer than {max} bytes"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(QueueError::invalid(field, "control characters not allowed"));
    }
    Ok(())
}

pub fn duration(field: &str, value: Option<&prost_types::Duration>) -> Result<Option<Duration>> {
    let Some(value) = value else {
        return Ok(None);
    };
    if value.seconds < 0 || value.nanos < 0 {
        return Err(QueueError::invalid(field, "must not be negative"));
    }
    Ok(Some(Duration::new(
        value.seconds as u64,
        value.nanos as u32,
    )))
}

/// A duration within `min..=max`, with `default` for unset or zero.
pub fn bounded_duration(
    field: &str,
    value: Option<&prost_types::Duration>,
    default: Duration,
    min: Duration,
    max: Duration,
) -> Result<Duration> {
    let value = match duration(field, value)? {
        None => return Ok(default),
        Some(value) if value.is_zero() => return Ok(default),
        Some(value) => value,
    };
    if value < min || value > max {
        return Err(QueueError::invalid(
            field,
            format!(
                "must be between {} and {}",
                humantime::format_duration(min),
                humantime::format_duration(max)
            ),
        ));
    }
    Ok(value)
}

pub fn size(field: &str, len: usize, max: usize) -> Result<()> {
    if len > max {
        return Err(QueueError::TooLarge {
            field: field.to_owned(),
            message: format!("{len} bytes exceeds the limit of {max} bytes"),
        });
    }
    Ok(())
}

/// Cuts text to at most `max` bytes on a character boundary, marking the cut.
pub fn truncate(mut text: String, max: usize) -> String {
    const MARKER: &str = "…[truncated]";
    if text.len() <= max {
        return text;
    }
    let mut end = max.saturating_sub(MARKER.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text.push_str(MARKER);
    text
}

/// Turns a caller's spec into a job to write; `field` prefixes every error ("job", "jobs[3]").
pub fn new_job(field: &str, spec: JobSpec, limits: &Limits) -> Result<NewJob> {
    let f = |name: &str| format!("{field}.{name}");
    name(&f("queue"), &spec.queue)?;
    label(&f("type"), &spec.r#type, 128, true)?;
    let fresh_id = spec.id.is_empty();
    let id = if fresh_id {
        uuid::Uuid::now_v7().to_string()
    } else {
        name(&f("id"), &spec.id)?;
        spec.id
    };
    size(&f("payload"), spec.payload.len(), limits.max_payload_bytes)?;
    label(&f("content_type"), &spec.content_type, 128, false)?;
    if spec.headers.len() > 64 {
        return Err(QueueError::invalid(f("headers"), "more than 64 headers"));
    }
    for (key, value) in &spec.headers {
        label(&f("headers"), key, 128, true)?;
        size(&f(&format!("headers.{key}")), value.len(), 4096)?;
    }
    if !(-MAX_PRIORITY..=MAX_PRIORITY).contains(&spec.priority) {
        return Err(QueueError::invalid(
            f("priority"),
            format!("must be between -{MAX_PRIORITY} and {MAX_PRIORITY}"),
        ));
    }
    let delay = duration(&f("delay"), spec.delay.as_ref())?.unwrap_or_default();
    let run_at_ms = match &spec.run_at {
        Some(_) if !delay.is_zero() => {
            return Err(QueueError::invalid(
                f("run_at"),
                "set run_at or delay, not both",
            ));
        }
        Some(run_at) => timestamp_to_ms(run_at),
        None => 0,
    };
    if !(0..=MAX_ATTEMPTS_LIMIT).contains(&spec.max_attempts) {
        return Err(QueueError::invalid(
            f("max_attempts"),
            format!("must be between 1 and {MAX_ATTEMPTS_LIMIT} (0 for the default)"),
        ));
    }
    let backoff = spec.backoff.unwrap_or_default();
    let backoff_base = duration(&f("backoff.base"), backoff.base.as_ref())?
        .filter(|d| !d.is_zero())
        .unwrap_or(DEFAULT_BACKOFF_BASE);
    let backoff_max = duration(&f("backoff.max"), backoff.max.as_ref())?
        .filter(|d| !d.is_zero())
        .unwrap_or(DEFAULT_BACKOFF_MAX.max(backoff_base));
    if backoff_max < backoff_base {
        return Err(QueueError::invalid(
            f("backoff.max"),
            "must not be less than backoff.base",
        ));
    }
    let timeout = duration(&f("timeout"), spec.timeout.as_ref())?;
    if timeout.is_some_and(|t| t < Duration::from_millis(1)) {
        return Err(QueueError::invalid(f("timeout"), "must be at least 1 ms"));
    }
    label(&f("unique_key"), &spec.unique_key, 256, false)?;
    let unique_ttl = duration(&f("unique_ttl"), spec.unique_ttl.as_ref())?
        .filter(|d| !d.is_zero())
        .unwrap_or(DEFAULT_UNIQUE_TTL);
    if spec.tags.len() > 32 {
        return Err(QueueError::invalid(f("tags"), "more than 32 tags"));
    }
    for tag in &spec.tags {
        label(&f("tags"), tag, 128, true)?;
    }
    Ok(NewJob {
        id,
        fresh_id,
        queue: spec.queue,
        job_type: spec.r#type,
        payload: spec.payload,
        content_type: spec.content_type,
        headers: spec.headers,
        priority: spec.priority,
        run_at_ms,
        delay,
        max_attempts: if spec.max_attempts == 0 {
            DEFAULT_MAX_ATTEMPTS
        } else {
            spec.max_attempts as u32
        },
        backoff_base,
        backoff_max,
        timeout,
        unique_key: spec.unique_key,
        unique_ttl,
        tags: spec.tags,
    })
}
