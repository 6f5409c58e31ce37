//! When a schedule fires: a cron expression read in an IANA time zone, or a fixed interval.
//! The grammar and the daylight-saving rules are in `proto/zenith/v1/CRON.md`.

use std::time::Duration;

/// What is wrong with an expression, interval or time zone. `field` is the request field's
/// own name (`cron`, `interval`, `time_zone`); callers prefix their path.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct CadenceError {
    pub field: &'static str,
    pub message: String,
}

/// A parsed cadence, ready to compute fire times.
#[derive(Clone, Debug)]
pub struct Cadence {}

impl Cadence {
    /// Exactly one of `cron` (non-empty) and `interval` (`Some`), read in `time_zone` (empty
    /// means UTC).
    pub fn parse(
        cron: &str,
        interval: Option<Duration>,
        time_zone: &str,
    ) -> Result<Self, CadenceError> {
        let _ = (cron, interval, time_zone);
        todo!("cadence parse")
    }

    /// The first fire time strictly after `after_ms` (ms since the Unix epoch), or `None` when
    /// it never fires again.
    pub fn next_after(&self, after_ms: i64) -> Option<i64> {
        let _ = after_ms;
        todo!("cadence next_after")
    }

    /// The instant as RFC 3339 wall-clock time in the zone, with its offset.
    pub fn local_time(&self, at_ms: i64) -> String {
        let _ = at_ms;
        todo!("cadence local_time")
    }

    /// The zone's canonical IANA name (`UTC` when none was given).
    pub fn time_zone(&self) -> &str {
        todo!("cadence time_zone")
    }

    /// The interval, for an interval cadence.
    pub fn interval(&self) -> Option<Duration> {
        todo!("cadence interval")
    }
}
