//! Checking a beat against PULSE.md, whichever transport carried it.

use std::time::Duration;

use zenith_proto::v1::BeatPayload;

use super::{PulseError, Result};
use crate::api::validate;

pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
const MIN_INTERVAL: Duration = Duration::from_secs(1);
const MAX_INTERVAL: Duration = Duration::from_secs(300);
const MAX_NODE_ID: usize = 200;
const MAX_SERVICE: usize = 200;
const MAX_LABELS: usize = 32;
pub const MAX_JOBS: usize = 1000;
const MAX_EXTERNAL_QUEUES: usize = 1000;
const MAX_QUEUES: usize = 100;
/// Names, labels and other shown strings.
const MAX_TEXT: usize = 200;
const MAX_DRIVER: usize = 64;
const MAX_LEASE_TOKEN: usize = 128;
/// A beat is copied into Redis twice and into every replica's view: one node must not be able
/// to make that large.
pub const MAX_BEAT_BYTES: usize = 1024 * 1024;

/// Checks a beat and returns its interval (unset or zero means the default).
pub fn validate(beat: &BeatPayload) -> Result<Duration> {
    let identity = beat
        .identity
        .as_ref()
        .ok_or_else(|| PulseError::invalid("beat.identity", "required"))?;
    let node_id = &identity.node_id;
    if node_id.is_empty() {
        return Err(PulseError::invalid("beat.identity.node_id", "required"));
    }
    if node_id.len() > MAX_NODE_ID {
        return Err(PulseError::invalid(
            "beat.identity.node_id",
            format!("at most {MAX_NODE_ID} bytes"),
        ));
    }
    if !node_id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_.:@/".contains(&b))
    {
        return Err(PulseError::invalid(
            "beat.identity.node_id",
            "only letters, digits and -_.:@/",
        ));
    }
    if identity.service.is_empty() {
        return Err(PulseError::invalid("beat.identity.service", "required"));
    }
    if identity.service.len() > MAX_SERVICE {
        return Err(PulseError::invalid(
            "beat.identity.service",
            format!("at most {MAX_SERVICE} bytes"),
        ));
    }
    if identity.labels.len() > MAX_LABELS {
        return Err(PulseError::invalid(
            "beat.identity.labels",
            format!("at most {MAX_LABELS}"),
        ));
    }
    if beat.jobs.len() > MAX_JOBS {
        return Err(PulseError::invalid(
            "beat.jobs",
            format!("at most {MAX_JOBS}"),
        ));
    }
    if beat.external_queues.len() > MAX_EXTERNAL_QUEUES {
        return Err(PulseError::invalid(
            "beat.external_queues",
            format!("at most {MAX_EXTERNAL_QUEUES}"),
        ));
    }
    if beat.queues.len() > MAX_QUEUES {
        return Err(PulseError::invalid(
            "beat.queues",
            format!("at most {MAX_QUEUES}"),
        ));
    }
    shown_text(beat)?;
    interval(beat)
}

/// Everything a beat carries for display: bounded, without control characters (they would
/// corrupt tables and page tokens).
fn shown_text(beat: &BeatPayload) -> Result<()> {
    let identity = beat.identity.as_ref().expect("checked by validate");
    for (field, value) in [
        ("beat.identity.language", &identity.language),
        ("beat.identity.runtime", &identity.runtime),
        ("beat.identity.sdk_version", &identity.sdk_version),
        ("beat.identity.version", &identity.version),
        ("beat.identity.hostname", &identity.hostname),
        ("beat.identity.platform", &identity.platform),
    ] {
        label(field, value, MAX_TEXT, false)?;
    }
    for (key, value) in &identity.labels {
        label("beat.identity.labels", key, MAX_TEXT, true)?;
        label("beat.identity.labels", value, MAX_TEXT, false)?;
    }
    for (i, queue) in beat.queues.iter().enumerate() {
        label(&format!("beat.queues[{i}]"), queue, MAX_TEXT, true)?;
    }
    for (i, job) in beat.jobs.iter().enumerate() {
        label(&format!("beat.jobs[{i}].queue"), &job.queue, MAX_TEXT, true)?;
        label(
            &format!("beat.jobs[{i}].job_id"),
            &job.job_id,
            MAX_TEXT,
            true,
        )?;
        label(
            &format!("beat.jobs[{i}].lease_token"),
            &job.lease_token,
            MAX_LEASE_TOKEN,
            false,
        )?;
    }
    for (i, queue) in beat.external_queues.iter().enumerate() {
        let field = |name: &str| format!("beat.external_queues[{i}].{name}");
        label(&field("name"), &queue.name, MAX_TEXT, true)?;
        label(&field("driver"), &queue.driver, MAX_DRIVER, true)?;
        label(&field("connection"), &queue.connection, MAX_TEXT, false)?;
    }
    Ok(())
}

fn label(field: &str, value: &str, max: usize, required: bool) -> Result<()> {
    Ok(validate::label(field, value, max, required)?)
}

fn interval(beat: &BeatPayload) -> Result<Duration> {
    let Some(interval) = beat.interval else {
        return Ok(DEFAULT_INTERVAL);
    };
    let invalid = || PulseError::invalid("beat.interval", "from 1s to 5m, or unset for 5s");
    if interval.seconds == 0 && interval.nanos == 0 {
        return Ok(DEFAULT_INTERVAL);
    }
    if interval.seconds < 0 || interval.nanos < 0 {
        return Err(invalid());
    }
    let interval = Duration::new(interval.seconds as u64, interval.nanos as u32);
    if !(MIN_INTERVAL..=MAX_INTERVAL).contains(&interval) {
        return Err(invalid());
    }
    Ok(interval)
}

/// Parses a Redis-native beat (proto3 JSON, unknown fields ignored) and checks it.
pub fn parse(json: &[u8]) -> Result<(BeatPayload, Duration)> {
    if json.len() > MAX_BEAT_BYTES {
        return Err(PulseError::invalid(
            "beat",
            format!("larger than {MAX_BEAT_BYTES} bytes"),
        ));
    }
    let beat: BeatPayload = zenith_proto::from_json(json)
        .map_err(|error| PulseError::invalid("beat", format!("not a BeatPayload: {error}")))?;
    let interval = validate(&beat)?;
    Ok((beat, interval))
}

/// Three intervals: the beat's TTL, after which the node is lost.
pub fn ttl(interval: Duration) -> Duration {
    interval * 3
}

#[cfg(test)]
mod tests {
    use zenith_proto::v1::NodeIdentity;

    use super::*;

    fn beat(node_id: &str, service: &str) -> BeatPayload {
        BeatPayload {
            identity: Some(NodeIdentity {
                node_id: node_id.into(),
                service: service.into(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn field(result: Result<Duration>) -> String {
        match result {
            Err(PulseError::InvalidArgument { field, .. }) => field,
            other => panic!("expected invalid argument, got {other:?}"),
        }
    }

    #[test]
    fn identity_is_required_and_bounded() {
        assert_eq!(field(validate(&BeatPayload::default())), "beat.identity");
        assert_eq!(field(validate(&beat("", "s"))), "beat.identity.node_id");
        assert_eq!(field(validate(&beat("a b", "s"))), "beat.identity.node_id");
        assert_eq!(
            field(validate(&beat(&"n".repeat(201), "s"))),
            "beat.identity.node_id"
        );
        assert_eq!(field(validate(&beat("n", ""))), "beat.identity.service");
        assert_eq!(
            validate(&beat("host:1:x@a/b-c_d.e", "s")).unwrap(),
            DEFAULT_INTERVAL
        );
    }

    #[test]
    fn interval_is_bounded() {
        let mut payload = beat("n", "s");
        payload.interval = Some(prost_types::Duration {
            seconds: 0,
            nanos: 0,
        });
        assert_eq!(validate(&payload).unwrap(), DEFAULT_INTERVAL);
        payload.interval = Some(prost_types::Duration {
            seconds: 1,
            nanos: 0,
        });
        assert_eq!(validate(&payload).unwrap(), Duration::from_secs(1));
        payload.interval = Some(prost_types::Duration {
            seconds: 0,
            nanos: 500_000_000,
        });
        assert_eq!(field(validate(&payload)), "beat.interval");
        payload.interval = Some(prost_types::Duration {
            seconds: 301,
            nanos: 0,
        });
        assert_eq!(field(validate(&payload)), "beat.interval");
    }

    #[test]
    fn json_ignores_unknown_fields_and_refuses_garbage() {
        let (payload, _) =
            parse(br#"{"identity":{"nodeId":"n","service":"s"},"future":1}"#).unwrap();
        assert_eq!(payload.identity.unwrap().node_id, "n");
        assert!(parse(b"not json").is_err());
        assert!(parse(br#"{"sentAt":"x"}"#).is_err());
    }
}
