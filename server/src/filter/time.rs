//! RFC 3339 timestamps for filter values, without a date library: parsed to UTC seconds and
//! nanoseconds, printed back in UTC with `Z`.

use std::fmt;

/// A point in time in UTC, as seconds and nanoseconds since the Unix epoch (like
/// `google.protobuf.Timestamp`). Orders chronologically.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant {
    pub seconds: i64,
    /// 0..1_000_000_000
    pub nanos: u32,
}

/// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, the range of `google.protobuf.Timestamp`.
const MIN_SECONDS: i64 = -62_135_596_800;
const MAX_SECONDS: i64 = 253_402_300_799;

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count from 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl Instant {
    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; the error says what is wrong.
    pub fn parse_rfc3339(text: &str) -> Result<Self, String> {
        const SHAPE: &str = "timestamps are RFC 3339, like \"2026-11-01T00:00:00Z\"";
        let b = text.as_bytes();
        let digits = |from: usize, len: usize| -> Option<u32> {
            let part = b.get(from..from + len)?;
            part.iter().try_fold(0u32, |n, &c| {
                c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
            })
        };
        let at = |i: usize, expected: &[u8]| b.get(i).is_some_and(|c| expected.contains(c));
        let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = (
            digits(0, 4),
            digits(5, 2),
            digits(8, 2),
            digits(11, 2),
            digits(14, 2),
            digits(17, 2),
        ) else {
            return Err(SHAPE.into());
        };
        if !(at(4, b"-") && at(7, b"-") && at(10, b"Tt") && at(13, b":") && at(16, b":")) {
            return Err(SHAPE.into());
        }
        let year = i64::from(year);
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return Err(format!("{text:?} is not a date in the calendar"));
        }
        if hour > 23 || minute > 59 || second > 59 {
            return Err(format!("{text:?} is not a time of day"));
        }
        let mut i = 19;
        let mut nanos = 0u32;
        if at(i, b".") {
            i += 1;
            let start = i;
            while at(i, b"0123456789") {
                if i - start < 9 {
                    nanos = nanos * 10 + u32::from(b[i] - b'0');
                }
                i += 1;
            }
            if i == start || i - start > 9 {
                return Err("a fraction of a second has 1 to 9 digits".into());
            }
            nanos *= 10u32.pow(9 - (i - start) as u32);
        }
        let offset = if at(i, b"Zz") && i + 1 == b.len() {
            0
        } else if at(i, b"+-") && i + 6 == b.len() && at(i + 3, b":") {
            let (Some(h), Some(m)) = (digits(i + 1, 2), digits(i + 4, 2)) else {
                return Err(SHAPE.into());
            };
            if h > 23 || m > 59 {
                return Err(format!("{text:?} has an impossible UTC offset"));
            }
            let minutes = i64::from(h * 60 + m);
            if b[i] == b'-' { -minutes } else { minutes }
        } else {
            return Err(format!("{SHAPE}, ending in Z or an offset like +02:00"));
        };
        let seconds = days_from_civil(year, month, day) * 86_400
            + i64::from(hour * 3600 + minute * 60 + second)
            - offset * 60;
        // An offset can carry year 0000 or 9999 outside the years a timestamp has (those of
        // `google.protobuf.Timestamp`), where it would print as text that does not parse.
        if !(MIN_SECONDS..=MAX_SECONDS).contains(&seconds) {
            return Err(format!(
                "{text:?} is outside 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z"
            ));
        }
        Ok(Self { seconds, nanos })
    }
}

/// RFC 3339 in UTC: whole seconds when the fraction is zero, else the fraction without
/// trailing zeros.
impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, month, day) = civil_from_days(self.seconds.div_euclid(86_400));
        let secs = self.seconds.rem_euclid(86_400);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )?;
        if self.nanos != 0 {
            let fraction = format!("{:09}", self.nanos);
            write!(f, ".{}", fraction.trim_end_matches('0'))?;
        }
        f.write_str("Z")
    }
}

#[cfg(test)]
mod tests {
    use super::Instant;

    #[test]
    fn parses_and_prints_in_utc() {
        let cases = [
            (
                "2026-11-01T00:00:00Z",
                "2026-11-01T00:00:00Z",
                1_793_491_200,
            ),
            ("1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z", 0),
            (
                "2024-02-29T23:59:59.5+01:00",
                "2024-02-29T22:59:59.5Z",
                1_709_247_599,
            ),
            (
                "2000-03-01t00:00:00.000000001-00:30",
                "2000-03-01T00:30:00.000000001Z",
                951_870_600,
            ),
            (
                "0001-01-01T00:00:00Z",
                "0001-01-01T00:00:00Z",
                -62_135_596_800,
            ),
        ];
        for (text, printed, seconds) in cases {
            let instant = Instant::parse_rfc3339(text).unwrap();
            assert_eq!(instant.seconds, seconds, "{text}");
            assert_eq!(instant.to_string(), printed);
            assert_eq!(Instant::parse_rfc3339(printed), Ok(instant));
        }
    }

    #[test]
    fn refuses_what_is_not_rfc_3339() {
        for text in [
            "",
            "2026-11-01",
            "2026-11-01 00:00:00Z",
            "2026-11-01T00:00:00",
            "2026-11-01T00:00:00+0100",
            "2026-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-11-01T24:00:00Z",
            "2026-11-01T00:00:00.Z",
            "2026-11-01T00:00:00.1234567890Z",
            "2026-11-01T00:00:00Zjunk",
            "0000-01-01T00:00:00+00:01",
            "0000-12-31T23:59:59Z",
            "9999-12-31T23:59:59-00:01",
        ] {
            assert!(Instant::parse_rfc3339(text).is_err(), "{text}");
        }
    }
}
