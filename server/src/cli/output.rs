//! Human output: aligned tables, short durations, relative times.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use zenith_sdk::{from_proto_duration, from_proto_timestamp};

/// Columns separated by two spaces; numbers line up on the right.
pub struct Table {
    headers: Vec<&'static str>,
    right_aligned: Vec<bool>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A header ending in `>` marks a right-aligned column; the `>` is not shown.
    pub fn new(headers: &[&'static str]) -> Self {
        Self {
            headers: headers.iter().map(|h| h.trim_end_matches('>')).collect(),
            right_aligned: headers.iter().map(|h| h.ends_with('>')).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.headers.len());
        self.rows.push(cells);
    }

    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let headers: Vec<String> = self.headers.iter().map(|h| (*h).to_owned()).collect();
        let mut out = String::new();
        for row in std::iter::once(&headers).chain(&self.rows) {
            let mut line = String::new();
            for (index, cell) in row.iter().enumerate() {
                let pad = widths[index] - cell.chars().count();
                if index > 0 {
                    line.push_str("  ");
                }
                if self.right_aligned[index] {
                    line.extend(std::iter::repeat_n(' ', pad));
                    line.push_str(cell);
                } else {
                    line.push_str(cell);
                    if index + 1 < row.len() {
                        line.extend(std::iter::repeat_n(' ', pad));
                    }
                }
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
        out
    }
}

/// `850ms`, `12s`, `4m05s`, `3h20m`, `2d4h`.
pub fn short_duration(duration: Duration) -> String {
    let secs = duration.as_secs();
    match secs {
        0 => format!("{}ms", duration.as_millis()),
        1..60 => format!("{secs}s"),
        60..3_600 => format!("{}m{:02}s", secs / 60, secs % 60),
        3_600..86_400 => format!("{}h{:02}m", secs / 3_600, secs % 3_600 / 60),
        _ => format!("{}d{}h", secs / 86_400, secs % 86_400 / 3_600),
    }
}

/// `12s ago` or `in 4m05s`, relative to `now`.
pub fn relative_time(at: SystemTime, now: SystemTime) -> String {
    match now.duration_since(at) {
        Ok(ago) => format!("{} ago", short_duration(ago)),
        Err(ahead) => format!("in {}", short_duration(ahead.duration())),
    }
}

/// A relative time for a protobuf timestamp, or `-` when it is unset.
pub fn relative_timestamp(at: Option<&prost_types::Timestamp>, now: SystemTime) -> String {
    at.map_or_else(
        || "-".to_owned(),
        |at| relative_time(from_proto_timestamp(at), now),
    )
}

/// `2026-11-22T18:21:51Z (12s ago)`, or `-` when unset.
pub fn full_timestamp(at: Option<&prost_types::Timestamp>, now: SystemTime) -> String {
    at.map_or_else(
        || "-".to_owned(),
        |at| {
            let at = from_proto_timestamp(at);
            format!("{} ({})", rfc3339_seconds(at), relative_time(at, now))
        },
    )
}

/// `2026-11-22T18:21:51Z`; times outside what RFC 3339 formatting takes (before 1970, after
/// 9999) are clamped to its ends instead of panicking.
pub fn rfc3339_seconds(at: SystemTime) -> String {
    humantime::format_rfc3339_seconds(formattable(at)).to_string()
}

/// `2026-11-22T18:21:51.123Z` for a protobuf timestamp, clamped like [`rfc3339_seconds`].
pub fn rfc3339_millis(at: &prost_types::Timestamp) -> String {
    humantime::format_rfc3339_millis(formattable(from_proto_timestamp(at))).to_string()
}

/// `humantime` panics before the Unix epoch and fails after 9999-12-31T23:59:59.
fn formattable(at: SystemTime) -> SystemTime {
    let latest = SystemTime::UNIX_EPOCH + Duration::new(253_402_300_799, 999_999_999);
    at.clamp(SystemTime::UNIX_EPOCH, latest)
}

/// A short duration for a protobuf duration, or `-` when it is unset.
pub fn proto_duration(duration: Option<&prost_types::Duration>) -> String {
    duration.map_or_else(
        || "-".to_owned(),
        |duration| short_duration(from_proto_duration(duration)),
    )
}

/// The first line of `text`, at most `max` characters, with control characters replaced so a
/// job's data cannot break the table or the terminal.
pub fn one_line(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or("");
    let mut out: String = line
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .take(max)
        .collect();
    if line.chars().count() > max || text.lines().nth(1).is_some() {
        out.push('…');
    }
    out
}

/// `text` with control characters other than newline and tab escaped, for multi-line fields.
pub fn printable(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_columns() {
        let mut table = Table::new(&["NAME", "COUNT>", "NOTE"]);
        table.row(vec!["emails".into(), "5".into(), "x".into()]);
        table.row(vec!["a".into(), "1200".into(), "".into()]);
        assert_eq!(
            table.render(),
            "NAME    COUNT  NOTE\nemails      5  x\na        1200\n"
        );
    }

    #[test]
    fn durations_are_short() {
        assert_eq!(short_duration(Duration::from_millis(850)), "850ms");
        assert_eq!(short_duration(Duration::from_secs(12)), "12s");
        assert_eq!(short_duration(Duration::from_secs(245)), "4m05s");
        assert_eq!(short_duration(Duration::from_secs(12_000)), "3h20m");
        assert_eq!(short_duration(Duration::from_secs(187_200)), "2d4h");
        let now = SystemTime::now();
        assert_eq!(relative_time(now - Duration::from_secs(5), now), "5s ago");
        assert_eq!(relative_time(now + Duration::from_secs(30), now), "in 30s");
    }

    #[test]
    fn one_line_cuts_and_cleans() {
        assert_eq!(one_line("boom\nat main", 20), "boom…");
        assert_eq!(one_line("a\tb", 20), "a?b");
        assert_eq!(one_line("abcdef", 3), "abc…");
    }
}
