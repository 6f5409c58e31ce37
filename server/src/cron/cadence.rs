//! When a schedule fires: a cron expression read in an IANA time zone, or a fixed interval.
//! The grammar and the daylight-saving rules are in `proto/zenith/v1/CRON.md`.

use std::collections::BTreeSet;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, LocalResult, NaiveDateTime, Offset, SecondsFormat, TimeZone};
use chrono_tz::{GapInfo, Tz};

/// What is wrong with an expression, interval or time zone. `field` is the request field's
/// own name (`cron`, `interval`, `time_zone`); callers prefix their path.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct CadenceError {
    pub field: &'static str,
    pub message: String,
}

impl CadenceError {
    fn cron(message: impl Into<String>) -> Self {
        Self {
            field: "cron",
            message: message.into(),
        }
    }

    fn interval(message: &str) -> Self {
        Self {
            field: "interval",
            message: message.into(),
        }
    }
}

/// A parsed cadence, ready to compute fire times.
#[derive(Clone, Debug)]
pub struct Cadence {
    zone: Tz,
    rule: Rule,
}

#[derive(Clone, Debug)]
enum Rule {
    Cron(CronRule),
    /// Whole seconds, at least 1.
    Interval(i64),
}

/// Wall-clock candidates come from the cron crate with `Utc` standing in for the wall clock
/// (it has no gaps or overlaps); the zone is applied afterwards.
#[derive(Clone, Debug)]
struct CronRule {
    /// One schedule, or two whose candidates merge when both day fields are restricted
    /// (crontab ORs them; the cron crate ANDs them).
    schedules: Vec<cron::Schedule>,
    /// The hour field allows every hour: the schedule follows real time through DST changes
    /// instead of firing once per wall-clock time.
    every_hour: bool,
}

const LONGEST_INTERVAL_SECS: u64 = 366 * 24 * 3600;
/// Offsets in force within this distance of an instant are the ones its neighbours use.
const TRANSITION_MARGIN_SECS: i64 = 3 * 3600;

impl Cadence {
    /// Exactly one of `cron` (non-empty) and `interval` (`Some`), read in `time_zone` (empty
    /// means UTC).
    pub fn parse(
        cron: &str,
        interval: Option<Duration>,
        time_zone: &str,
    ) -> Result<Self, CadenceError> {
        let has_cron = !cron.trim().is_empty();
        let rule = match (has_cron, interval) {
            (true, Some(_)) => return Err(CadenceError::cron("set cron or interval, not both")),
            (false, None) => return Err(CadenceError::cron("required (or set interval)")),
            (true, None) => Rule::Cron(parse_cron(cron)?),
            (false, Some(interval)) => Rule::Interval(parse_interval(interval)?),
        };
        Ok(Self {
            zone: parse_zone(time_zone)?,
            rule,
        })
    }

    /// The first fire time strictly after `after_ms` (ms since the Unix epoch), or `None` when
    /// it never fires again.
    pub fn next_after(&self, after_ms: i64) -> Option<i64> {
        let after_secs = after_ms.div_euclid(1000);
        let next_secs = match &self.rule {
            Rule::Interval(step) => after_secs
                .div_euclid(*step)
                .checked_add(1)?
                .checked_mul(*step)?,
            Rule::Cron(rule) => rule.next_after(self.zone, after_secs)?,
        };
        next_secs.checked_mul(1000)
    }

    /// The instant as RFC 3339 wall-clock time in the zone, with its offset (seconds
    /// precision). An instant chrono cannot represent comes back as its millisecond number.
    pub fn local_time(&self, at_ms: i64) -> String {
        match self.zone.timestamp_millis_opt(at_ms) {
            LocalResult::Single(at) => at.to_rfc3339_opts(SecondsFormat::Secs, false),
            _ => at_ms.to_string(),
        }
    }

    /// The zone's canonical IANA name (`UTC` when none was given).
    pub fn time_zone(&self) -> &str {
        self.zone.name()
    }

    /// The interval, for an interval cadence.
    pub fn interval(&self) -> Option<Duration> {
        match self.rule {
            Rule::Interval(secs) => Some(Duration::from_secs(secs.unsigned_abs())),
            Rule::Cron(_) => None,
        }
    }
}

fn parse_zone(time_zone: &str) -> Result<Tz, CadenceError> {
    if time_zone.is_empty() {
        return Ok(Tz::UTC);
    }
    time_zone.parse::<Tz>().map_err(|_| CadenceError {
        field: "time_zone",
        message: format!("unknown time zone {time_zone:?}"),
    })
}

fn parse_interval(interval: Duration) -> Result<i64, CadenceError> {
    if interval < Duration::from_secs(1) {
        return Err(CadenceError::interval("must be at least 1s"));
    }
    if interval.subsec_nanos() != 0 {
        return Err(CadenceError::interval("must be whole seconds"));
    }
    if interval.as_secs() > LONGEST_INTERVAL_SECS {
        return Err(CadenceError::interval("must be at most 366 days"));
    }
    Ok(interval.as_secs() as i64)
}

/// The distinct offsets in force within a few hours of an instant, in seconds.
fn offsets_near(zone: Tz, at_secs: i64) -> Option<Vec<i64>> {
    let mut offsets = [
        at_secs.checked_sub(TRANSITION_MARGIN_SECS)?,
        at_secs,
        at_secs.checked_add(TRANSITION_MARGIN_SECS)?,
    ]
    .into_iter()
    .map(|at| offset_at(zone, at))
    .collect::<Option<Vec<_>>>()?;
    offsets.sort_unstable();
    offsets.dedup();
    Some(offsets)
}

/// Offset from UTC, in seconds, at an instant.
fn offset_at(zone: Tz, at_secs: i64) -> Option<i64> {
    let at = DateTime::from_timestamp(at_secs, 0)?;
    Some(i64::from(
        zone.offset_from_utc_datetime(&at.naive_utc())
            .fix()
            .local_minus_utc(),
    ))
}

impl CronRule {
    /// Every fire instant is a candidate's wall-clock time minus an offset in force near
    /// `after` or near the answer (the zone changes offset at most once within a few hours),
    /// so searching once per such offset finds the smallest.
    fn next_after(&self, zone: Tz, after_secs: i64) -> Option<i64> {
        let mut offsets = offsets_near(zone, after_secs)?;
        loop {
            let next = self.next_with_offsets(zone, after_secs, &offsets)?;
            let near_next = offsets_near(zone, next)?;
            if near_next.iter().all(|offset| offsets.contains(offset)) {
                return Some(next);
            }
            offsets.extend(near_next);
            offsets.sort_unstable();
            offsets.dedup();
        }
    }

    /// For each offset, walk the wall-clock candidates from `after` read at that offset. A
    /// walk ends at its first instant at its own offset (later ones are larger) or once its
    /// candidates read at its offset pass the best instant so far. The walks go in lockstep so
    /// that the one that finds the answer first bounds the others.
    fn next_with_offsets(&self, zone: Tz, after_secs: i64, offsets: &[i64]) -> Option<i64> {
        let mut walks: Vec<_> = offsets
            .iter()
            .filter_map(|&offset| {
                let start = after_secs.checked_add(offset)?;
                Some((offset, self.wall_candidates(start)))
            })
            .collect();
        let mut best: Option<i64> = None;
        while !walks.is_empty() {
            walks.retain_mut(|(offset, candidates)| {
                let Some(wall) = candidates.next() else {
                    return false;
                };
                let at_offset = wall.and_utc().timestamp() - *offset;
                if best.is_some_and(|best| at_offset >= best) {
                    return false;
                }
                let mut found_own = false;
                for instant in self.instants(zone, &wall) {
                    if instant > after_secs {
                        best = Some(best.map_or(instant, |best| best.min(instant)));
                        found_own |= instant == at_offset;
                    }
                }
                !found_own
            });
        }
        best
    }

    /// The instants a wall-clock time fires at: once if it exists once; in an overlap both
    /// passes for an every-hour schedule, else the first; in a gap nothing for an every-hour
    /// schedule (those times do not exist), else the first instant after the gap.
    fn instants(&self, zone: Tz, wall: &NaiveDateTime) -> Vec<i64> {
        match zone.from_local_datetime(wall) {
            LocalResult::Single(at) => vec![at.timestamp()],
            LocalResult::Ambiguous(first, second) if self.every_hour => {
                vec![first.timestamp(), second.timestamp()]
            }
            LocalResult::Ambiguous(first, _) => vec![first.timestamp()],
            LocalResult::None if self.every_hour => Vec::new(),
            LocalResult::None => GapInfo::new(wall, &zone)
                .and_then(|gap| gap.end)
                .map(|end| vec![end.timestamp()])
                .unwrap_or_default(),
        }
    }

    /// Wall-clock times matching the expression strictly after `after_wall_secs` (wall-clock
    /// seconds read as if UTC), in order, each once.
    fn wall_candidates(&self, after_wall_secs: i64) -> impl Iterator<Item = NaiveDateTime> + '_ {
        let start = DateTime::from_timestamp(after_wall_secs, 0);
        let mut sources: Vec<_> = self
            .schedules
            .iter()
            .map(|schedule| {
                start
                    .into_iter()
                    .flat_map(move |start| schedule.after(&start))
                    .peekable()
            })
            .collect();
        std::iter::from_fn(move || {
            let next = sources
                .iter_mut()
                .filter_map(|source| source.peek().copied())
                .min()?;
            for source in &mut sources {
                if source.peek() == Some(&next) {
                    source.next();
                }
            }
            Some(next.naive_utc())
        })
    }
}

/// One field of an expression: its name and the values it may take.
struct FieldKind {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
    /// Whether `?` is allowed (the day fields).
    question_mark: bool,
}

const SECOND: FieldKind = FieldKind {
    name: "second",
    min: 0,
    max: 59,
    names: &[],
    question_mark: false,
};
const MINUTE: FieldKind = FieldKind {
    name: "minute",
    ..SECOND
};
const HOUR: FieldKind = FieldKind {
    name: "hour",
    min: 0,
    max: 23,
    names: &[],
    question_mark: false,
};
const DAY_OF_MONTH: FieldKind = FieldKind {
    name: "day-of-month",
    min: 1,
    max: 31,
    names: &[],
    question_mark: true,
};
const MONTH: FieldKind = FieldKind {
    name: "month",
    min: 1,
    max: 12,
    names: &[
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ],
    question_mark: false,
};
/// 0-7 with 0 and 7 both Sunday; names count from SUN = 0.
const DAY_OF_WEEK: FieldKind = FieldKind {
    name: "day-of-week",
    min: 0,
    max: 7,
    names: &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
    question_mark: true,
};
/// The cron crate numbers Sunday 1, so days of week go to it by name.
const WEEKDAY_NAMES: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const MACROS: [(&str, &str); 7] = [
    ("@yearly", "0 0 1 1 *"),
    ("@annually", "0 0 1 1 *"),
    ("@monthly", "0 0 1 * *"),
    ("@weekly", "0 0 * * 0"),
    ("@daily", "0 0 * * *"),
    ("@midnight", "0 0 * * *"),
    ("@hourly", "0 * * * *"),
];

/// Days in each month, February with its leap day.
const LONGEST_MONTHS: [u32; 12] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/// A field's text and the 1-based column where it starts in the original expression.
struct Token<'a> {
    text: &'a str,
    column: usize,
}

struct FieldError<'a> {
    number: usize,
    kind: &'a FieldKind,
}

impl FieldError<'_> {
    fn at(&self, column: usize, message: impl std::fmt::Display) -> CadenceError {
        CadenceError::cron(format!(
            "field {} ({}) at column {column}: {message}",
            self.number, self.kind.name
        ))
    }
}

fn parse_cron(expression: &str) -> Result<CronRule, CadenceError> {
    let trimmed = expression.trim();
    let fields = if trimmed.starts_with('@') {
        let expanded = MACROS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(trimmed))
            .map(|(_, expanded)| *expanded)
            .ok_or_else(|| CadenceError::cron(format!("unknown macro {trimmed:?}")))?;
        parse_fields(expanded)?
    } else {
        parse_fields(expression)?
    };
    build_rule(fields)
}

/// The allowed values of each field, seconds first.
struct FieldSets {
    seconds: BTreeSet<u32>,
    minutes: BTreeSet<u32>,
    hours: BTreeSet<u32>,
    days_of_month: BTreeSet<u32>,
    months: BTreeSet<u32>,
    /// 0 = Sunday (7 is folded into 0).
    days_of_week: BTreeSet<u32>,
}

fn tokens(expression: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let mut start: Option<(usize, usize)> = None;
    for (column, (offset, ch)) in expression.char_indices().enumerate() {
        match (ch.is_whitespace(), start) {
            (false, None) => start = Some((offset, column + 1)),
            (true, Some((begin, first_column))) => {
                tokens.push(Token {
                    text: &expression[begin..offset],
                    column: first_column,
                });
                start = None;
            }
            _ => {}
        }
    }
    if let Some((begin, column)) = start {
        tokens.push(Token {
            text: &expression[begin..],
            column,
        });
    }
    tokens
}

fn parse_fields(expression: &str) -> Result<FieldSets, CadenceError> {
    let tokens = tokens(expression);
    let kinds: &[&FieldKind] = match tokens.len() {
        5 => &[&MINUTE, &HOUR, &DAY_OF_MONTH, &MONTH, &DAY_OF_WEEK],
        6 => &[&SECOND, &MINUTE, &HOUR, &DAY_OF_MONTH, &MONTH, &DAY_OF_WEEK],
        7 => {
            return Err(CadenceError::cron(
                "expected 5 or 6 fields, got 7 (years are not supported)",
            ));
        }
        count => {
            return Err(CadenceError::cron(format!(
                "expected 5 or 6 fields, got {count}"
            )));
        }
    };
    let mut sets = Vec::with_capacity(6);
    if tokens.len() == 5 {
        sets.push(BTreeSet::from([0]));
    }
    for (index, (token, kind)) in tokens.iter().zip(kinds).enumerate() {
        let errors = FieldError {
            number: index + 1,
            kind,
        };
        sets.push(parse_field(token, &errors)?);
    }
    let mut sets = sets.into_iter();
    let mut next = || sets.next().unwrap_or_default();
    let mut fields = FieldSets {
        seconds: next(),
        minutes: next(),
        hours: next(),
        days_of_month: next(),
        months: next(),
        days_of_week: next(),
    };
    if fields.days_of_week.remove(&7) {
        fields.days_of_week.insert(0);
    }
    Ok(fields)
}

/// A comma list of `*`, `?`, `n`, `a-b`, each optionally with `/step`.
fn parse_field(token: &Token<'_>, errors: &FieldError<'_>) -> Result<BTreeSet<u32>, CadenceError> {
    let kind = errors.kind;
    let mut values = BTreeSet::new();
    let mut column = token.column;
    for element in token.text.split(',') {
        if element.is_empty() {
            return Err(errors.at(column, "empty list element"));
        }
        let (base, step) = match element.split_once('/') {
            Some((base, step)) => {
                let step_column = column + base.chars().count() + 1;
                let step = parse_number(step, step_column, errors)?;
                if step == 0 {
                    return Err(errors.at(step_column, "step must be at least 1"));
                }
                (base, Some(step))
            }
            None => (element, None),
        };
        let (first, last) = match base {
            "*" => (kind.min, kind.max),
            "?" if kind.question_mark => (kind.min, kind.max),
            "?" => {
                return Err(errors.at(column, "? is only allowed in day-of-month and day-of-week"));
            }
            _ => match base.split_once('-') {
                Some((start, end)) => {
                    let end_column = column + start.chars().count() + 1;
                    let first = parse_value(start, column, errors)?;
                    let last = parse_value(end, end_column, errors)?;
                    if first > last {
                        return Err(errors.at(
                            column,
                            format!("range {base} starts after it ends (ranges do not wrap)"),
                        ));
                    }
                    (first, last)
                }
                // `a/n` runs from a to the field's maximum.
                None if step.is_some() => (parse_value(base, column, errors)?, kind.max),
                None => {
                    let value = parse_value(base, column, errors)?;
                    (value, value)
                }
            },
        };
        values.extend((first..=last).step_by(step.unwrap_or(1) as usize));
        column += element.chars().count() + 1;
    }
    Ok(values)
}

fn parse_value(text: &str, column: usize, errors: &FieldError<'_>) -> Result<u32, CadenceError> {
    let kind = errors.kind;
    if let Some(index) = kind
        .names
        .iter()
        .position(|name| name.eq_ignore_ascii_case(text))
    {
        // Month names count from 1 (JAN), day names from 0 (SUN): each field's minimum.
        return Ok(index as u32 + kind.min);
    }
    let value = parse_number(text, column, errors)?;
    if !(kind.min..=kind.max).contains(&value) {
        return Err(errors.at(
            column,
            format!("{value} is out of range {}-{}", kind.min, kind.max),
        ));
    }
    Ok(value)
}

fn parse_number(text: &str, column: usize, errors: &FieldError<'_>) -> Result<u32, CadenceError> {
    if !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit()) {
        // Too many digits for u32 is out of every field's range.
        return Ok(text.parse().unwrap_or(u32::MAX));
    }
    let upper = text.to_ascii_uppercase();
    let digits_then = |suffix: &str| {
        upper
            .strip_suffix(suffix)
            .is_some_and(|prefix| prefix.bytes().all(|byte| byte.is_ascii_digit()))
    };
    let message = if text.is_empty() {
        "missing value".to_owned()
    } else if let Some(at) = text.find('#') {
        return Err(errors.at(
            column + text[..at].chars().count(),
            "# (nth weekday of the month) is not supported",
        ));
    } else if upper != "W" && (digits_then("W") || upper == "LW") {
        "W (nearest weekday) is not supported".to_owned()
    } else if digits_then("L") {
        "L (last) is not supported".to_owned()
    } else if errors.kind.names.is_empty() {
        format!("{text:?} is not a number")
    } else {
        format!("unknown name {text:?}")
    };
    Err(errors.at(column, message))
}

fn build_rule(fields: FieldSets) -> Result<CronRule, CadenceError> {
    let day_of_month_restricted = fields.days_of_month.len() < 31;
    let day_of_week_restricted = fields.days_of_week.len() < 7;
    if day_of_month_restricted && !day_of_week_restricted && never_fires(&fields) {
        return Err(CadenceError::cron("never fires (no date matches)"));
    }
    let list = |values: &BTreeSet<u32>| {
        values
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    let days_of_month = if day_of_month_restricted {
        list(&fields.days_of_month)
    } else {
        "*".to_owned()
    };
    let days_of_week = if day_of_week_restricted {
        fields
            .days_of_week
            .iter()
            .map(|day| WEEKDAY_NAMES[*day as usize])
            .collect::<Vec<_>>()
            .join(",")
    } else {
        "*".to_owned()
    };
    let time_and_month = |days_of_month: &str, days_of_week: &str| {
        format!(
            "{} {} {} {days_of_month} {} {days_of_week}",
            list(&fields.seconds),
            list(&fields.minutes),
            list(&fields.hours),
            list(&fields.months),
        )
    };
    // crontab: when both day fields are restricted, a day matching either one fires.
    let expressions = if day_of_month_restricted && day_of_week_restricted {
        vec![
            time_and_month(&days_of_month, "*"),
            time_and_month("*", &days_of_week),
        ]
    } else {
        vec![time_and_month(&days_of_month, &days_of_week)]
    };
    let schedules = expressions
        .iter()
        .map(|expression| {
            cron::Schedule::from_str(expression)
                .map_err(|error| CadenceError::cron(format!("unsupported expression: {error}")))
        })
        .collect::<Result<_, _>>()?;
    Ok(CronRule {
        schedules,
        every_hour: fields.hours.len() == 24,
    })
}

/// No allowed day of the month exists in any allowed month (February counts its leap day).
fn never_fires(fields: &FieldSets) -> bool {
    !fields.months.iter().any(|month| {
        fields
            .days_of_month
            .iter()
            .any(|day| *day <= LONGEST_MONTHS[*month as usize - 1])
    })
}

#[cfg(test)]
mod tests {
    use chrono::{Datelike, NaiveDate, Timelike};
    use proptest::prelude::*;

    use super::*;

    fn cron(expression: &str, zone: &str) -> Cadence {
        Cadence::parse(expression, None, zone).expect("valid expression")
    }

    fn ms(rfc3339: &str) -> i64 {
        DateTime::parse_from_rfc3339(rfc3339)
            .expect("rfc 3339 time")
            .timestamp_millis()
    }

    /// The next `count` fire times after `after`, as local RFC 3339 times.
    fn fires(cadence: &Cadence, after: &str, count: usize) -> Vec<String> {
        let mut at = ms(after);
        (0..count)
            .map(|_| {
                at = cadence.next_after(at).expect("fires again");
                cadence.local_time(at)
            })
            .collect()
    }

    fn cron_error(expression: &str) -> String {
        let error = Cadence::parse(expression, None, "").expect_err("invalid expression");
        assert_eq!(error.field, "cron", "{error}");
        error.message
    }

    #[test]
    fn berlin_spring_gap() {
        let zone = "Europe/Berlin";
        assert_eq!(
            fires(&cron("30 2 * * *", zone), "2026-03-27T12:00:00+01:00", 4),
            [
                "2026-03-28T02:30:00+01:00",
                "2026-03-29T03:00:00+02:00",
                "2026-03-30T02:30:00+02:00",
                "2026-03-31T02:30:00+02:00",
            ]
        );
        assert_eq!(
            fires(&cron("*/15 * * * *", zone), "2026-03-29T01:30:00+01:00", 3),
            [
                "2026-03-29T01:45:00+01:00",
                "2026-03-29T03:00:00+02:00",
                "2026-03-29T03:15:00+02:00",
            ]
        );
        assert_eq!(
            fires(&cron("0 * * * *", zone), "2026-03-29T00:30:00+01:00", 3),
            [
                "2026-03-29T01:00:00+01:00",
                "2026-03-29T03:00:00+02:00",
                "2026-03-29T04:00:00+02:00",
            ]
        );
    }

    #[test]
    fn berlin_fall_overlap() {
        let zone = "Europe/Berlin";
        assert_eq!(
            fires(&cron("30 2 * * *", zone), "2026-10-23T12:00:00+02:00", 3),
            [
                "2026-10-24T02:30:00+02:00",
                "2026-10-25T02:30:00+02:00",
                "2026-10-26T02:30:00+01:00",
            ]
        );
        assert_eq!(
            fires(&cron("*/15 * * * *", zone), "2026-10-25T01:45:00+02:00", 9),
            [
                "2026-10-25T02:00:00+02:00",
                "2026-10-25T02:15:00+02:00",
                "2026-10-25T02:30:00+02:00",
                "2026-10-25T02:45:00+02:00",
                "2026-10-25T02:00:00+01:00",
                "2026-10-25T02:15:00+01:00",
                "2026-10-25T02:30:00+01:00",
                "2026-10-25T02:45:00+01:00",
                "2026-10-25T03:00:00+01:00",
            ]
        );
        assert_eq!(
            fires(&cron("0 * * * *", zone), "2026-10-25T00:30:00+02:00", 4),
            [
                "2026-10-25T01:00:00+02:00",
                "2026-10-25T02:00:00+02:00",
                "2026-10-25T02:00:00+01:00",
                "2026-10-25T03:00:00+01:00",
            ]
        );
    }

    #[test]
    fn new_york_spring_gap() {
        let zone = "America/New_York";
        assert_eq!(
            fires(&cron("30 2 * * *", zone), "2026-03-06T12:00:00-05:00", 3),
            [
                "2026-03-07T02:30:00-05:00",
                "2026-03-08T03:00:00-04:00",
                "2026-03-09T02:30:00-04:00",
            ]
        );
        assert_eq!(
            fires(&cron("*/15 * * * *", zone), "2026-03-08T01:30:00-05:00", 3),
            [
                "2026-03-08T01:45:00-05:00",
                "2026-03-08T03:00:00-04:00",
                "2026-03-08T03:15:00-04:00",
            ]
        );
        assert_eq!(
            fires(&cron("0 * * * *", zone), "2026-03-08T00:30:00-05:00", 3),
            [
                "2026-03-08T01:00:00-05:00",
                "2026-03-08T03:00:00-04:00",
                "2026-03-08T04:00:00-04:00",
            ]
        );
    }

    #[test]
    fn new_york_fall_overlap() {
        let zone = "America/New_York";
        assert_eq!(
            fires(&cron("30 1 * * *", zone), "2026-10-30T12:00:00-04:00", 3),
            [
                "2026-10-31T01:30:00-04:00",
                "2026-11-01T01:30:00-04:00",
                "2026-11-02T01:30:00-05:00",
            ]
        );
        assert_eq!(
            fires(&cron("*/15 * * * *", zone), "2026-11-01T00:45:00-04:00", 9),
            [
                "2026-11-01T01:00:00-04:00",
                "2026-11-01T01:15:00-04:00",
                "2026-11-01T01:30:00-04:00",
                "2026-11-01T01:45:00-04:00",
                "2026-11-01T01:00:00-05:00",
                "2026-11-01T01:15:00-05:00",
                "2026-11-01T01:30:00-05:00",
                "2026-11-01T01:45:00-05:00",
                "2026-11-01T02:00:00-05:00",
            ]
        );
        assert_eq!(
            fires(&cron("0 * * * *", zone), "2026-10-31T23:30:00-04:00", 4),
            [
                "2026-11-01T00:00:00-04:00",
                "2026-11-01T01:00:00-04:00",
                "2026-11-01T01:00:00-05:00",
                "2026-11-01T02:00:00-05:00",
            ]
        );
    }

    #[test]
    fn gap_times_that_land_on_one_instant_fire_once() {
        let zone = "Europe/Berlin";
        assert_eq!(
            fires(&cron("* 2 * * *", zone), "2026-03-29T00:00:00+01:00", 3),
            [
                "2026-03-29T03:00:00+02:00",
                "2026-03-30T02:00:00+02:00",
                "2026-03-30T02:01:00+02:00",
            ]
        );
        // The only matching day is a gap day, months away.
        assert_eq!(
            fires(&cron("30 2 29 3 *", zone), "2025-12-01T00:00:00+01:00", 2),
            ["2026-03-29T03:00:00+02:00", "2027-03-29T02:30:00+02:00"]
        );
        let every_second = cron("* * * * * *", zone);
        let mut at = ms("2026-03-29T01:30:00+01:00");
        let end = ms("2026-03-29T03:30:00+02:00");
        while at < end {
            let next = every_second.next_after(at).expect("fires again");
            assert_eq!(next - at, 1000, "after {}", every_second.local_time(at));
            at = next;
        }
    }

    #[test]
    fn a_day_field_allowing_every_value_is_unrestricted() {
        assert_eq!(
            fires(&cron("0 0 13 * 0-7", ""), "2026-04-01T00:00:00Z", 2),
            ["2026-04-13T00:00:00+00:00", "2026-05-13T00:00:00+00:00"]
        );
        assert_eq!(
            fires(&cron("0 0 1-31 * FRI", ""), "2026-04-01T00:00:00Z", 2),
            ["2026-04-03T00:00:00+00:00", "2026-04-10T00:00:00+00:00"]
        );
    }

    #[test]
    fn overlap_order_differs_from_wall_clock_order() {
        let every_quarter = cron("*/15 * * * *", "Europe/Berlin");
        let after = ms("2026-10-25T02:45:00+02:00");
        assert_eq!(
            every_quarter.next_after(after),
            Some(ms("2026-10-25T02:00:00+01:00"))
        );
        // Mid-second and mid-overlap starting points.
        assert_eq!(
            every_quarter.next_after(ms("2026-10-25T02:10:00+01:00") - 1),
            Some(ms("2026-10-25T02:15:00+01:00"))
        );
        assert_eq!(
            every_quarter.next_after(ms("2026-10-25T02:15:00+02:00") + 500),
            Some(ms("2026-10-25T02:30:00+02:00"))
        );
    }

    #[test]
    fn daily_in_the_dst_hour_fires_once_every_day_of_the_year() {
        for (expression, zone) in [
            ("30 2 * * *", "Europe/Berlin"),
            ("30 2 * * *", "America/New_York"),
            ("30 1 * * *", "America/New_York"),
        ] {
            let cadence = cron(expression, zone);
            let tz: Tz = zone.parse().expect("zone");
            let mut at = ms("2025-12-31T12:00:00Z");
            let mut day = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
            while day.year() == 2026 {
                at = cadence.next_after(at).expect("fires again");
                let local = tz.timestamp_millis_opt(at).single().expect("instant");
                assert_eq!(local.date_naive(), day, "{expression} in {zone}");
                let time = (local.hour(), local.minute());
                assert!(
                    time == (expression[3..4].parse().expect("hour"), 30) || time == (3, 0),
                    "{expression} in {zone} at {local}"
                );
                day = day.succ_opt().expect("next day");
            }
        }
    }

    #[test]
    fn every_hour_schedules_follow_real_time_through_a_year() {
        for zone in ["Europe/Berlin", "America/New_York"] {
            let cadence = cron("*/15 * * * *", zone);
            let start = ms("2026-01-01T00:00:00Z");
            let end = ms("2027-01-01T00:00:00Z");
            let mut at = start;
            let mut count = 0;
            while at < end {
                let next = cadence.next_after(at).expect("fires again");
                assert!(next > at);
                if at > start {
                    assert_eq!(
                        next - at,
                        900_000,
                        "{zone} after {}",
                        cadence.local_time(at)
                    );
                }
                at = next;
                count += 1;
            }
            assert_eq!(count, 365 * 96, "{zone}");
        }
    }

    #[test]
    fn every_second_through_a_fall_overlap() {
        let cadence = cron("* * * * * *", "America/New_York");
        let mut at = ms("2026-11-01T00:30:00-04:00");
        let end = ms("2026-11-01T02:30:00-05:00");
        while at < end {
            let next = cadence.next_after(at).expect("fires again");
            assert_eq!(next - at, 1000, "after {}", cadence.local_time(at));
            at = next;
        }
    }

    #[test]
    fn five_and_six_fields() {
        assert_eq!(
            fires(&cron("5 * * * *", ""), "2026-01-01T00:00:00Z", 2),
            ["2026-01-01T00:05:00+00:00", "2026-01-01T01:05:00+00:00"]
        );
        assert_eq!(
            fires(&cron("30 * * * * *", ""), "2026-01-01T00:00:00Z", 2),
            ["2026-01-01T00:00:30+00:00", "2026-01-01T00:01:30+00:00"]
        );
        assert_eq!(
            fires(&cron("* * * * * *", ""), "2026-01-01T00:00:00.500Z", 2),
            ["2026-01-01T00:00:01+00:00", "2026-01-01T00:00:02+00:00"]
        );
    }

    #[test]
    fn sunday_is_0_and_7_and_1_is_monday() {
        // 2026-01-01 is a Thursday.
        let sunday = ["2026-01-04T00:00:00+00:00", "2026-01-11T00:00:00+00:00"];
        for expression in [
            "0 0 * * 0",
            "0 0 * * 7",
            "0 0 * * SUN",
            "0 0 * * sun",
            "@weekly",
        ] {
            assert_eq!(
                fires(&cron(expression, ""), "2026-01-01T00:00:00Z", 2),
                sunday,
                "{expression}"
            );
        }
        assert_eq!(
            fires(&cron("0 0 * * 1", ""), "2026-01-01T00:00:00Z", 1),
            ["2026-01-05T00:00:00+00:00"]
        );
        assert_eq!(
            fires(&cron("0 0 * * 5-7", ""), "2026-01-01T00:00:00Z", 4),
            [
                "2026-01-02T00:00:00+00:00",
                "2026-01-03T00:00:00+00:00",
                "2026-01-04T00:00:00+00:00",
                "2026-01-09T00:00:00+00:00",
            ]
        );
    }

    #[test]
    fn either_day_field_matching_fires_when_both_are_restricted() {
        // April 2026: Fridays 3, 10, 17, 24; the 13th is a Monday; May 1st a Friday.
        assert_eq!(
            fires(&cron("0 0 13 * FRI", ""), "2026-04-01T00:00:00Z", 6),
            [
                "2026-04-03T00:00:00+00:00",
                "2026-04-10T00:00:00+00:00",
                "2026-04-13T00:00:00+00:00",
                "2026-04-17T00:00:00+00:00",
                "2026-04-24T00:00:00+00:00",
                "2026-05-01T00:00:00+00:00",
            ]
        );
        // February 2026: the 13th is a Friday and fires once.
        assert_eq!(
            fires(&cron("0 0 13 * FRI", ""), "2026-02-10T00:00:00Z", 2),
            ["2026-02-13T00:00:00+00:00", "2026-02-20T00:00:00+00:00"]
        );
        // One restricted day field alone restricts.
        assert_eq!(
            fires(&cron("0 0 13 * ?", ""), "2026-04-01T00:00:00Z", 1),
            ["2026-04-13T00:00:00+00:00"]
        );
        assert_eq!(
            fires(&cron("0 0 ? * FRI", ""), "2026-04-01T00:00:00Z", 1),
            ["2026-04-03T00:00:00+00:00"]
        );
    }

    #[test]
    fn names_steps_and_lists() {
        assert_eq!(
            fires(
                &cron("0 12 * jan-Mar MON-fri", ""),
                "2026-03-30T00:00:00Z",
                3
            ),
            [
                "2026-03-30T12:00:00+00:00",
                "2026-03-31T12:00:00+00:00",
                "2027-01-01T12:00:00+00:00",
            ]
        );
        assert_eq!(
            fires(&cron("10-40/15 * * * *", ""), "2026-01-01T00:00:00Z", 4),
            [
                "2026-01-01T00:10:00+00:00",
                "2026-01-01T00:25:00+00:00",
                "2026-01-01T00:40:00+00:00",
                "2026-01-01T01:10:00+00:00",
            ]
        );
        assert_eq!(
            fires(&cron("50/5 */12 * * *", ""), "2026-01-01T00:00:00Z", 3),
            [
                "2026-01-01T00:50:00+00:00",
                "2026-01-01T00:55:00+00:00",
                "2026-01-01T12:50:00+00:00",
            ]
        );
        assert_eq!(
            fires(&cron("0 0 1,15 FEB,8 *", ""), "2026-01-01T00:00:00Z", 3),
            [
                "2026-02-01T00:00:00+00:00",
                "2026-02-15T00:00:00+00:00",
                "2026-08-01T00:00:00+00:00",
            ]
        );
        assert_eq!(
            fires(&cron("0 0 29 2 *", ""), "2026-01-01T00:00:00Z", 1),
            ["2028-02-29T00:00:00+00:00"]
        );
    }

    #[test]
    fn macros() {
        let after = "2026-05-13T10:20:00Z";
        for (expression, first) in [
            ("@yearly", "2027-01-01T00:00:00+00:00"),
            ("@annually", "2027-01-01T00:00:00+00:00"),
            ("@monthly", "2026-06-01T00:00:00+00:00"),
            ("@weekly", "2026-05-17T00:00:00+00:00"),
            ("@daily", "2026-05-14T00:00:00+00:00"),
            ("@midnight", "2026-05-14T00:00:00+00:00"),
            ("@hourly", "2026-05-13T11:00:00+00:00"),
            (" @DAILY ", "2026-05-14T00:00:00+00:00"),
        ] {
            assert_eq!(
                fires(&cron(expression, ""), after, 1),
                [first],
                "{expression}"
            );
        }
    }

    #[test]
    fn refused_expressions_name_field_and_column() {
        for (expression, message) in [
            ("* * *", "expected 5 or 6 fields, got 3"),
            (
                "* * * * * * *",
                "expected 5 or 6 fields, got 7 (years are not supported)",
            ),
            (
                "30 25 * * *",
                "field 2 (hour) at column 4: 25 is out of range 0-23",
            ),
            (
                "30 12 * * MOM",
                "field 5 (day-of-week) at column 11: unknown name \"MOM\"",
            ),
            (
                "0 0 * * FRI-MON",
                "field 5 (day-of-week) at column 9: range FRI-MON starts after it ends (ranges do not wrap)",
            ),
            (
                "0 0 * * 5-1",
                "field 5 (day-of-week) at column 9: range 5-1 starts after it ends (ranges do not wrap)",
            ),
            (
                "0 0 10-5 * *",
                "field 3 (day-of-month) at column 5: range 10-5 starts after it ends (ranges do not wrap)",
            ),
            (
                "*/0 * * * *",
                "field 1 (minute) at column 3: step must be at least 1",
            ),
            (
                "0 1-5/0 * * *",
                "field 2 (hour) at column 7: step must be at least 1",
            ),
            (
                "0 0 L * *",
                "field 3 (day-of-month) at column 5: L (last) is not supported",
            ),
            (
                "0 0 * * 5L",
                "field 5 (day-of-week) at column 9: L (last) is not supported",
            ),
            (
                "0 0 15W * *",
                "field 3 (day-of-month) at column 5: W (nearest weekday) is not supported",
            ),
            (
                "0 0 LW * *",
                "field 3 (day-of-month) at column 5: W (nearest weekday) is not supported",
            ),
            (
                "0 0 W * *",
                "field 3 (day-of-month) at column 5: \"W\" is not a number",
            ),
            (
                "0 0 * NOW *",
                "field 4 (month) at column 7: unknown name \"NOW\"",
            ),
            (
                "0 0 * * 5#3",
                "field 5 (day-of-week) at column 10: # (nth weekday of the month) is not supported",
            ),
            (
                "0 0 * * 8",
                "field 5 (day-of-week) at column 9: 8 is out of range 0-7",
            ),
            (
                "0 0 0 * *",
                "field 3 (day-of-month) at column 5: 0 is out of range 1-31",
            ),
            (
                "0 0 * 13 *",
                "field 4 (month) at column 7: 13 is out of range 1-12",
            ),
            (
                "0 0 * 1-13 *",
                "field 4 (month) at column 9: 13 is out of range 1-12",
            ),
            (
                "0 0 * FOO *",
                "field 4 (month) at column 7: unknown name \"FOO\"",
            ),
            (
                "0 x * * *",
                "field 2 (hour) at column 3: \"x\" is not a number",
            ),
            (
                "0 99999999999 * * *",
                "field 2 (hour) at column 3: 4294967295 is out of range 0-23",
            ),
            (
                "1,,2 * * * *",
                "field 1 (minute) at column 3: empty list element",
            ),
            ("1- * * * *", "field 1 (minute) at column 3: missing value"),
            (
                "60 * * * * *",
                "field 1 (second) at column 1: 60 is out of range 0-59",
            ),
            (
                "? * * * *",
                "field 1 (minute) at column 1: ? is only allowed in day-of-month and day-of-week",
            ),
            ("@reboot", "unknown macro \"@reboot\""),
            ("0 0 30 2 *", "never fires (no date matches)"),
            ("0 0 31 4,6 *", "never fires (no date matches)"),
        ] {
            assert_eq!(cron_error(expression), message, "{expression}");
        }
    }

    #[test]
    fn refused_combinations_intervals_and_zones() {
        let error = |cron: &str, interval: Option<Duration>, zone: &str| {
            Cadence::parse(cron, interval, zone).expect_err("refused")
        };
        let refused = |field: &'static str, message: &str| CadenceError {
            field,
            message: message.into(),
        };
        assert_eq!(
            error("0 0 * * *", Some(Duration::from_secs(60)), ""),
            refused("cron", "set cron or interval, not both")
        );
        assert_eq!(
            error("", None, ""),
            refused("cron", "required (or set interval)")
        );
        assert_eq!(
            error("  ", None, ""),
            refused("cron", "required (or set interval)")
        );
        assert_eq!(
            error("0 0 * * *", None, "Europe/Berln"),
            refused("time_zone", "unknown time zone \"Europe/Berln\"")
        );
        assert_eq!(
            error("", Some(Duration::ZERO), ""),
            refused("interval", "must be at least 1s")
        );
        assert_eq!(
            error("", Some(Duration::from_millis(999)), ""),
            refused("interval", "must be at least 1s")
        );
        assert_eq!(
            error("", Some(Duration::from_millis(1500)), ""),
            refused("interval", "must be whole seconds")
        );
        assert_eq!(
            error("", Some(Duration::from_secs(367 * 86_400)), ""),
            refused("interval", "must be at most 366 days")
        );
    }

    #[test]
    fn intervals_are_aligned_to_the_epoch_in_any_zone() {
        let cadence =
            Cadence::parse("", Some(Duration::from_secs(90)), "Asia/Kolkata").expect("valid");
        assert_eq!(cadence.interval(), Some(Duration::from_secs(90)));
        assert_eq!(cadence.time_zone(), "Asia/Kolkata");
        assert_eq!(cadence.next_after(0), Some(90_000));
        assert_eq!(cadence.next_after(100_000), Some(180_000));
        assert_eq!(cadence.next_after(179_999), Some(180_000));
        assert_eq!(cadence.next_after(180_000), Some(270_000));
        assert_eq!(cadence.next_after(-1), Some(0));
        assert_eq!(cadence.local_time(180_000), "1970-01-01T05:33:00+05:30");
        let longest = Cadence::parse("", Some(Duration::from_secs(366 * 86_400)), "")
            .expect("366 days is allowed");
        assert_eq!(
            longest.next_after(ms("2026-01-01T00:00:00Z")),
            Some(ms("2026-02-12T00:00:00Z"))
        );
    }

    #[test]
    fn zone_names_and_local_time() {
        let utc = cron("0 0 * * *", "");
        assert_eq!(utc.time_zone(), "UTC");
        assert_eq!(utc.interval(), None);
        assert_eq!(
            utc.local_time(ms("2026-10-25T01:30:00.750Z")),
            "2026-10-25T01:30:00+00:00"
        );
        let berlin = cron("0 0 * * *", "Europe/Berlin");
        assert_eq!(berlin.time_zone(), "Europe/Berlin");
        assert_eq!(
            berlin.local_time(ms("2026-10-25T01:30:00Z")),
            "2026-10-25T02:30:00+01:00"
        );
        assert_eq!(
            berlin.local_time(ms("2026-10-25T00:30:00Z")),
            "2026-10-25T02:30:00+02:00"
        );
    }

    #[test]
    fn matches_a_minute_by_minute_scan_in_utc() {
        type Matcher = fn(&DateTime<chrono::Utc>) -> bool;
        let cases: [(&str, Matcher); 5] = [
            ("*/7 3-5 * * *", |t| {
                t.minute() % 7 == 0 && (3..=5).contains(&t.hour())
            }),
            ("0 0 13 * FRI", |t| {
                t.minute() == 0
                    && t.hour() == 0
                    && (t.day() == 13 || t.weekday() == chrono::Weekday::Fri)
            }),
            ("15 10 * * 1-5", |t| {
                t.minute() == 15 && t.hour() == 10 && t.weekday().number_from_monday() <= 5
            }),
            ("0 */6 1,15 * *", |t| {
                t.minute() == 0 && t.hour() % 6 == 0 && [1, 15].contains(&t.day())
            }),
            ("59 23 * * *", |t| t.minute() == 59 && t.hour() == 23),
        ];
        let start = ms("2026-02-10T00:00:00Z") / 1000;
        for (expression, matches) in cases {
            let cadence = cron(expression, "");
            let mut expected = Vec::new();
            for minute in 0..(40 * 24 * 60) {
                let at = DateTime::from_timestamp(start + minute * 60, 0).expect("instant");
                if matches(&at) {
                    expected.push(at.timestamp_millis());
                }
            }
            let mut actual = Vec::new();
            let mut at = start * 1000 - 1;
            let end = (start + 40 * 24 * 3600) * 1000;
            loop {
                at = cadence.next_after(at).expect("fires again");
                if at >= end {
                    break;
                }
                actual.push(at);
            }
            assert_eq!(actual, expected, "{expression}");
        }
    }

    fn field(values: &'static [&'static str]) -> impl Strategy<Value = String> {
        prop::sample::select(values).prop_map(str::to_owned)
    }

    proptest! {
        #[test]
        fn next_after_is_after_and_monotone(
            minute in field(&["*", "*/7", "0", "15,45", "10-20", "30/10"]),
            hour in field(&["*", "2", "1-3", "*/5", "0,12", "23"]),
            day_of_month in field(&["*", "?", "1", "13", "28-31", "*/10"]),
            month in field(&["*", "2", "MAR-OCT", "11,12", "*/4"]),
            day_of_week in field(&["*", "?", "0", "7", "FRI", "1-5", "SAT,SUN"]),
            seconds in field(&["", "0 ", "*/20 ", "59 "]),
            zone in field(&["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]),
            at in ms("2020-01-01T00:00:00Z")..ms("2030-01-01T00:00:00Z"),
            step in 0i64..(3 * 3_600_000),
        ) {
            let expression = format!("{seconds}{minute} {hour} {day_of_month} {month} {day_of_week}");
            let parsed = Cadence::parse(&expression, None, &zone);
            prop_assume!(parsed.is_ok());
            let cadence = parsed.expect("checked");
            let next = cadence.next_after(at).expect("fires again");
            prop_assert!(next > at, "{expression} in {zone}");
            prop_assert_eq!(next % 1000, 0);
            let later = at + step;
            let next_later = cadence.next_after(later).expect("fires again");
            prop_assert!(next_later >= next, "{} in {}", expression, zone);
            if later < next {
                prop_assert_eq!(next_later, next, "{} in {}", expression, zone);
            }
            prop_assert!(cadence.next_after(next).expect("fires again") > next);
        }
    }
}
