//! Checks on request fields, each naming the field it refuses.

use std::time::Duration;

use crate::queue::QueueError;

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
