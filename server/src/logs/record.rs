//! What a line may hold: checks on lines written over gRPC (refused, naming the field), and the
//! same limits applied to lines read from the stream, whoever wrote them (cut, never refused).

use std::collections::HashMap;

use zenith_proto::v1::{LogLevel, LogRecord};

use super::{LogError, Result};
use crate::api::validate;

/// Lines per WriteLogs request.
pub const MAX_RECORDS: usize = 1_000;
/// The longest message kept, in bytes, marker included.
pub const MAX_MESSAGE: usize = 64 * 1024;
pub const MAX_FIELDS: usize = 64;
/// The longest field key or value, in bytes.
pub const MAX_FIELD_BYTES: usize = 4 * 1024;
/// The longest service, node id, queue, job id or target, in bytes.
pub const MAX_ID_BYTES: usize = 256;

/// Checks a line written over gRPC, filling in its level; errors name `records[i].<field>`.
pub fn check(i: usize, record: &mut LogRecord) -> Result<()> {
    let field = |name: &str| format!("records[{i}].{name}");
    match LogLevel::try_from(record.level) {
        Ok(LogLevel::Unspecified) => record.set_level(LogLevel::Info),
        Ok(_) => {}
        Err(_) => {
            return Err(LogError::invalid(
                field("level"),
                format!("{} is not a log level", record.level),
            ));
        }
    }
    for (name, value) in [
        ("service", &record.service),
        ("node_id", &record.node_id),
        ("target", &record.target),
    ] {
        validate::label(&field(name), value, MAX_ID_BYTES, false)?;
    }
    for (name, value) in [("queue", &record.queue), ("job_id", &record.job_id)] {
        if !value.is_empty() {
            validate::name(&field(name), value)?;
        }
    }
    if record.fields.len() > MAX_FIELDS {
        return Err(LogError::invalid(
            field("fields"),
            format!("more than {MAX_FIELDS} entries"),
        ));
    }
    for (key, value) in &record.fields {
        if key.is_empty() || key.len() > MAX_FIELD_BYTES || value.len() > MAX_FIELD_BYTES {
            return Err(LogError::invalid(
                field("fields"),
                format!(
                    "keys must be 1 to {MAX_FIELD_BYTES} bytes and values at most {MAX_FIELD_BYTES}"
                ),
            ));
        }
    }
    if let Some(time) = &record.time
        && !(0..1_000_000_000).contains(&time.nanos)
    {
        return Err(LogError::invalid(field("time"), "nanos out of range"));
    }
    // The stream decides these.
    record.id.clear();
    record.received_at = None;
    Ok(())
}

/// Cuts a message over `MAX_MESSAGE` at a character boundary and marks how much went; true
/// when it was cut.
pub fn truncate_message(message: &mut String) -> bool {
    if message.len() <= MAX_MESSAGE {
        return false;
    }
    // The marker for the whole length is at least as long as the one written.
    let longest_marker = marker(message.len()).len();
    let mut keep = MAX_MESSAGE - longest_marker;
    while !message.is_char_boundary(keep) {
        keep -= 1;
    }
    let cut = message.len() - keep;
    message.truncate(keep);
    message.push_str(&marker(cut));
    true
}

fn marker(cut: usize) -> String {
    format!("… [truncated {cut} bytes]")
}

/// The line a stream entry holds, with the limits applied and `id`, `received_at` and `time`
/// filled in. An entry that is not a readable line becomes one: its raw text as a warn message
/// marked `malformed=true`, so nothing written is lost. The flag is true in that case.
pub fn from_entry(id: &str, fields: &[(String, String)]) -> (LogRecord, bool) {
    let raw = fields
        .iter()
        .find(|(name, _)| name == "record")
        .map(|(_, value)| value.as_str());
    let parsed = raw.and_then(|json| parse_json(json).ok());
    let malformed = parsed.is_none();
    let mut record = parsed.unwrap_or_else(|| {
        let message = match raw {
            Some(json) => json.to_owned(),
            None => fields
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>()
                .join(" "),
        };
        let mut record = LogRecord {
            message,
            fields: HashMap::from([("malformed".to_owned(), "true".to_owned())]),
            ..LogRecord::default()
        };
        record.set_level(LogLevel::Warn);
        record
    });
    limit(&mut record);
    record.id = id.to_owned();
    let received_ms = id
        .split_once('-')
        .map_or(id, |(ms, _)| ms)
        .parse::<i64>()
        .unwrap_or_default();
    record.received_at = Some(crate::queue::timestamp_from_ms(received_ms));
    if record.time.is_none() {
        record.time = record.received_at;
    }
    (record, malformed)
}

/// Fields this version does not know are ignored (PULSE.md, "How fields evolve").
fn parse_json(json: &str) -> std::result::Result<LogRecord, String> {
    zenith_proto::from_json(json.as_bytes())
}

/// PostgreSQL text cannot hold NUL, and one such line would stop the archive for every line.
fn without_nul(value: &mut String) {
    if value.contains('\0') {
        *value = value.replace('\0', "\u{fffd}");
    }
}

/// The gRPC checks as cuts, for lines whoever wrote them.
fn limit(record: &mut LogRecord) {
    without_nul(&mut record.message);
    without_nul(&mut record.service);
    without_nul(&mut record.node_id);
    without_nul(&mut record.queue);
    without_nul(&mut record.job_id);
    without_nul(&mut record.target);
    if record
        .fields
        .iter()
        .any(|(key, value)| key.contains('\0') || value.contains('\0'))
    {
        record.fields = record
            .fields
            .drain()
            .map(|(mut key, mut value)| {
                without_nul(&mut key);
                without_nul(&mut value);
                (key, value)
            })
            .collect();
    }
    truncate_message(&mut record.message);
    if LogLevel::try_from(record.level).is_err() || record.level == 0 {
        record.set_level(LogLevel::Info);
    }
    for value in [
        &mut record.service,
        &mut record.node_id,
        &mut record.queue,
        &mut record.job_id,
        &mut record.target,
    ] {
        *value = validate::truncate(std::mem::take(value), MAX_ID_BYTES);
    }
    if record.fields.len() > MAX_FIELDS
        || record
            .fields
            .iter()
            .any(|(k, v)| k.len() > MAX_FIELD_BYTES || v.len() > MAX_FIELD_BYTES)
    {
        let mut fields: Vec<(String, String)> = record.fields.drain().collect();
        fields.sort();
        record.fields = fields
            .into_iter()
            .take(MAX_FIELDS)
            .map(|(key, value)| {
                (
                    validate::truncate(key, MAX_FIELD_BYTES),
                    validate::truncate(value, MAX_FIELD_BYTES),
                )
            })
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_messages_are_cut_at_a_char_boundary_with_a_marker() {
        let mut message = "é".repeat(60 * 1024);
        let original = message.len();
        assert!(truncate_message(&mut message));
        assert!(message.len() <= MAX_MESSAGE);
        let kept = message.find('…').unwrap();
        assert!(message.ends_with(&format!("… [truncated {} bytes]", original - kept)));
        let mut short = "ok".to_owned();
        assert!(!truncate_message(&mut short));
        assert_eq!(short, "ok");
    }

    #[test]
    fn unknown_fields_are_ignored_and_nul_is_replaced() {
        let fields = vec![(
            "record".to_owned(),
            r#"{"message":"a\u0000b","jobId":"j1","fields":{"k\u0000":"v"},"addedLater":7}"#
                .to_owned(),
        )];
        let (record, malformed) = from_entry("1700000000123-0", &fields);
        assert!(!malformed);
        assert_eq!(record.message, "a\u{fffd}b");
        assert_eq!(record.job_id, "j1");
        assert_eq!(
            record.fields.get("k\u{fffd}").map(String::as_str),
            Some("v")
        );
    }

    #[test]
    fn entries_become_lines_and_malformed_ones_are_kept() {
        let fields = vec![(
            "record".to_owned(),
            r#"{"message":"hi","level":"LOG_LEVEL_ERROR","jobId":"j1"}"#.to_owned(),
        )];
        let (record, malformed) = from_entry("1700000000123-0", &fields);
        assert!(!malformed);
        assert_eq!(record.message, "hi");
        assert_eq!(record.level(), LogLevel::Error);
        assert_eq!(record.job_id, "j1");
        assert_eq!(record.id, "1700000000123-0");
        assert_eq!(record.time, record.received_at);

        let bad = vec![("record".to_owned(), "{not json".to_owned())];
        let (record, malformed) = from_entry("1-0", &bad);
        assert!(malformed);
        assert_eq!(record.message, "{not json");
        assert_eq!(record.level(), LogLevel::Warn);
        assert_eq!(record.fields["malformed"], "true");
    }
}
