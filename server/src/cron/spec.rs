//! Checks a caller's schedule definition and fills in its defaults, so that two definitions
//! meaning the same thing compare equal (UpsertSchedule changes nothing then).

use std::time::Duration;

use zenith_proto::v1::{JobSpec, MisfirePolicy, OverlapPolicy, ScheduleSpec};

use super::{Cadence, CronError, Result};
use crate::api::Limits;
use crate::api::validate;
use crate::queue::{NewJob, QueueError, proto_duration};

pub const DEFAULT_MISFIRE_GRACE: Duration = Duration::from_secs(60);
/// More than a replica killed mid-tick can delay a fire (its lock's 2 s plus a tick), so such
/// a delay is never taken for a misfire.
const MIN_MISFIRE_GRACE: Duration = Duration::from_secs(5);
const MAX_MISFIRE_GRACE: Duration = Duration::from_secs(24 * 3600);
pub const DEFAULT_CATCH_UP_WINDOW: Duration = Duration::from_secs(3600);
const MAX_CATCH_UP_WINDOW: Duration = Duration::from_secs(7 * 24 * 3600);
const MAX_JITTER: Duration = Duration::from_secs(3600);
/// Leaves room in a job id (at most 128 bytes) for `cron:<id>:<fire ms>` and manual suffixes.
const MAX_ID_BYTES: usize = 100;
const MAX_DESCRIPTION_BYTES: usize = 1000;
/// An enqueue takes 64 headers; every fire adds `zenith-schedule` and `zenith-fire-time`.
const MAX_TEMPLATE_HEADERS: usize = 62;

/// A checked definition, with its defaults filled in, and its cadence.
pub struct CheckedSpec {
    pub spec: ScheduleSpec,
    pub cadence: Cadence,
}

/// The schedule id rules, shared by every request that names one.
pub fn check_id(field: &str, id: &str) -> Result<()> {
    validate::name(field, id)?;
    if id.len() > MAX_ID_BYTES {
        return Err(CronError::invalid(
            field,
            format!("longer than {MAX_ID_BYTES} characters"),
        ));
    }
    Ok(())
}

/// Reads `cron`/`interval`/`time_zone` as request fields under `prefix` ("spec.", "").
pub fn cadence(
    prefix: &str,
    cron: &str,
    interval: Option<&prost_types::Duration>,
    time_zone: &str,
) -> Result<Cadence> {
    let interval = validate::duration(&format!("{prefix}interval"), interval)?
        .filter(|interval| !interval.is_zero());
    Cadence::parse(cron, interval, time_zone)
        .map_err(|error| CronError::invalid(format!("{prefix}{}", error.field), error.message))
}

/// The cadence of a stored (already checked) definition.
pub fn cadence_of(spec: &ScheduleSpec) -> Result<Cadence> {
    cadence("spec.", &spec.cron, spec.interval.as_ref(), &spec.time_zone)
}

pub fn check(spec: Option<ScheduleSpec>, limits: &Limits) -> Result<CheckedSpec> {
    let mut spec = spec.ok_or_else(|| CronError::invalid("spec", "required"))?;
    check_id("spec.id", &spec.id)?;
    let cadence = cadence("spec.", &spec.cron, spec.interval.as_ref(), &spec.time_zone)?;
    spec.time_zone = cadence.time_zone().to_owned();
    spec.interval = cadence.interval().map(proto_duration);
    let job = spec
        .job
        .take()
        .ok_or_else(|| CronError::invalid("spec.job", "required"))?;
    spec.job = Some(check_job(job, limits)?);

    spec.overlap = match OverlapPolicy::try_from(spec.overlap) {
        Ok(OverlapPolicy::Unspecified) => OverlapPolicy::Allow,
        Ok(policy) => policy,
        Err(_) => return Err(CronError::invalid("spec.overlap", "unknown policy")),
    } as i32;
    spec.misfire = match MisfirePolicy::try_from(spec.misfire) {
        Ok(MisfirePolicy::Unspecified) => MisfirePolicy::FireOnce,
        Ok(policy) => policy,
        Err(_) => return Err(CronError::invalid("spec.misfire", "unknown policy")),
    } as i32;
    let grace = validate::bounded_duration(
        "spec.misfire_grace",
        spec.misfire_grace.as_ref(),
        DEFAULT_MISFIRE_GRACE,
        MIN_MISFIRE_GRACE,
        MAX_MISFIRE_GRACE,
    )?;
    spec.misfire_grace = Some(proto_duration(grace));
    let window = validate::bounded_duration(
        "spec.catch_up_window",
        spec.catch_up_window.as_ref(),
        DEFAULT_CATCH_UP_WINDOW,
        Duration::from_secs(1),
        MAX_CATCH_UP_WINDOW,
    )?;
    if spec.misfire == MisfirePolicy::CatchUp as i32 && window <= grace {
        return Err(CronError::invalid(
            "spec.catch_up_window",
            "must be longer than misfire_grace: nothing older than the grace is made up before it",
        ));
    }
    spec.catch_up_window = Some(proto_duration(window));
    let jitter = validate::duration("spec.jitter", spec.jitter.as_ref())?.unwrap_or_default();
    if jitter > MAX_JITTER {
        return Err(CronError::invalid("spec.jitter", "must be at most 1h"));
    }
    if !jitter.is_zero() && jitter >= shortest_gap(&cadence) {
        return Err(CronError::invalid(
            "spec.jitter",
            "must be less than the time between fire times",
        ));
    }
    spec.jitter = (!jitter.is_zero()).then(|| proto_duration(jitter));
    validate::label(
        "spec.description",
        &spec.description,
        MAX_DESCRIPTION_BYTES,
        false,
    )?;
    Ok(CheckedSpec { spec, cadence })
}

/// The interval, or for an expression the shortest time between its next few fire times: a
/// jitter as long would let one fire's job run after the next one's.
fn shortest_gap(cadence: &Cadence) -> Duration {
    if let Some(interval) = cadence.interval() {
        return interval;
    }
    let mut shortest = i64::MAX;
    let mut previous = cadence.next_after(chrono::Utc::now().timestamp_millis());
    for _ in 0..16 {
        let Some(at) = previous else { break };
        let Some(next) = cadence.next_after(at) else {
            break;
        };
        shortest = shortest.min(next - at);
        previous = Some(next);
    }
    Duration::from_millis(shortest.max(0) as u64)
}

/// The job template: what an enqueue accepts, less what the schedule sets itself.
fn check_job(job: JobSpec, limits: &Limits) -> Result<JobSpec> {
    for (field, set) in [
        ("spec.job.id", !job.id.is_empty()),
        ("spec.job.run_at", job.run_at.is_some()),
        ("spec.job.delay", job.delay.is_some()),
        ("spec.job.unique_key", !job.unique_key.is_empty()),
    ] {
        if set {
            return Err(CronError::invalid(
                field,
                "must be empty: the schedule sets it",
            ));
        }
    }
    if job.headers.len() > MAX_TEMPLATE_HEADERS {
        return Err(CronError::invalid(
            "spec.job.headers",
            format!("more than {MAX_TEMPLATE_HEADERS} headers: each job gets two more"),
        ));
    }
    check_payload(&job.content_type, &job.payload)?;
    validate::new_job("spec.job", job.clone(), limits)?;
    Ok(job)
}

/// A payload must be readable as its content type says: JSON types must parse, text types must
/// be UTF-8.
fn check_payload(content_type: &str, payload: &[u8]) -> Result<()> {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if media == "application/json" || media.ends_with("+json") {
        if let Err(error) = serde_json::from_slice::<serde_json::Value>(payload) {
            return Err(CronError::invalid(
                "spec.job.payload",
                format!("not valid JSON for content type {media}: {error}"),
            ));
        }
    } else if media.starts_with("text/") && std::str::from_utf8(payload).is_err() {
        return Err(CronError::invalid(
            "spec.job.payload",
            format!("not valid UTF-8 for content type {media}"),
        ));
    }
    Ok(())
}

/// The job one fire enqueues: the template with the schedule's id and time.
pub fn job_for_fire(
    spec: &ScheduleSpec,
    job_id: String,
    fire_ms: i64,
    run_at_ms: i64,
    limits: &Limits,
) -> Result<NewJob> {
    let mut job = spec.job.clone().unwrap_or_default();
    job.id = job_id;
    job.headers
        .insert("zenith-schedule".to_owned(), spec.id.clone());
    job.headers.insert(
        "zenith-fire-time".to_owned(),
        crate::cron::rfc3339_utc(fire_ms),
    );
    job.run_at = Some(crate::queue::timestamp_from_ms(run_at_ms));
    // A template that stopped passing (a lower payload limit) is the definition's fault, not
    // a failure to retry: the ticker lets the fire time pass.
    validate::new_job("spec.job", job, limits).map_err(|error| match error {
        QueueError::InvalidArgument { field, message }
        | QueueError::TooLarge { field, message } => CronError::invalid(field, message),
        other => other.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_payloads_must_parse_and_text_must_be_utf8() {
        assert!(check_payload("application/json", br#"{"a":1}"#).is_ok());
        assert!(check_payload("application/json; charset=utf-8", b"[1,2]").is_ok());
        let error = check_payload("application/json", b"{oops").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("spec.job.payload: not valid JSON")
        );
        assert!(check_payload("application/vnd.api+json", b"nope").is_err());
        assert!(check_payload("text/plain", &[0xff, 0xfe]).is_err());
        assert!(check_payload("application/octet-stream", &[0xff]).is_ok());
        assert!(check_payload("", b"anything").is_ok());
    }
}
