//! Conversions between std time types and the protobuf well-known types.

use std::time::{Duration, SystemTime};

/// A protobuf duration; saturates at the largest representable value.
pub(crate) fn to_proto_duration(duration: Duration) -> prost_types::Duration {
    prost_types::Duration {
        seconds: i64::try_from(duration.as_secs()).unwrap_or(i64::MAX),
        nanos: i32::try_from(duration.subsec_nanos()).unwrap_or(0),
    }
}

/// A std duration; negative or malformed durations become zero.
pub fn from_proto_duration(duration: &prost_types::Duration) -> Duration {
    Duration::try_from(*duration).unwrap_or_default()
}

/// A std time; malformed timestamps become the Unix epoch.
pub fn from_proto_timestamp(timestamp: &prost_types::Timestamp) -> SystemTime {
    SystemTime::try_from(*timestamp).unwrap_or(SystemTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_round_trip() {
        let duration = Duration::from_millis(1_500);
        assert_eq!(from_proto_duration(&to_proto_duration(duration)), duration);
        let negative = prost_types::Duration {
            seconds: -1,
            nanos: 0,
        };
        assert_eq!(from_proto_duration(&negative), Duration::ZERO);
    }
}
