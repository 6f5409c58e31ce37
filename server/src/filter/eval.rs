//! Evaluation against one job. Nothing is allocated for the common cases (ASCII text, numbers,
//! timestamps); a JSON payload is parsed only when a payload path is reached, and then once.

use std::cell::OnceCell;
use std::cmp::Ordering;

use serde_json::Value as Json;
use zenith_proto::v1::Job;

use crate::archive::text;

use super::{Comparison, Expr, Field, Instant, Op, PathStep, Value};

pub(super) fn matches(expr: &Expr, job: &Job) -> bool {
    Eval {
        job,
        json: OnceCell::new(),
        words: OnceCell::new(),
    }
    .expr(expr)
}

struct Eval<'a> {
    job: &'a Job,
    /// The payload as JSON, or `None` when it is not JSON; parsed on first use.
    json: OnceCell<Option<Json>>,
    /// The job's words, as the search index holds them; made on first use.
    words: OnceCell<Vec<String>>,
}

impl Eval<'_> {
    fn expr(&self, expr: &Expr) -> bool {
        match expr {
            Expr::And(operands) => operands.iter().all(|e| self.expr(e)),
            Expr::Or(operands) => operands.iter().any(|e| self.expr(e)),
            Expr::Not(operand) => !self.expr(operand),
            Expr::Compare(comparison) => self.compare(comparison),
        }
    }

    fn compare(&self, c: &Comparison) -> bool {
        let job = self.job;
        match (&c.field, &c.value) {
            (Field::PayloadPath(path), value) => self
                .json
                .get_or_init(|| serde_json::from_slice(&job.payload).ok())
                .as_ref()
                .and_then(|json| select(json, path))
                .is_some_and(|found| json_compare(found, c.op, value)),
            (Field::Payload, Value::String(needle)) => contains_ci_bytes(&job.payload, needle),
            (Field::Text, Value::String(phrase)) => text::contains_phrase(
                self.words
                    .get_or_init(|| text::words(&text::search_text(job))),
                &text::words(phrase),
            ),
            (Field::Tags, Value::String(tag)) => job.tags.iter().any(|t| t == tag),
            (Field::State, Value::State(state)) => (job.state == *state as i32) == (c.op == Op::Eq),
            (Field::Header(name), Value::String(value)) => job
                .headers
                .get(name)
                .is_some_and(|text| compare_text(text, c.op, value)),
            (field, Value::Int(value)) => {
                int_field(job, field).is_some_and(|n| ordered(i64::from(n).cmp(value), c.op))
            }
            (field, Value::Time(value)) => {
                time_field(job, field).is_some_and(|t| ordered(t.cmp(value), c.op))
            }
            (field, Value::String(value)) => {
                text_field(job, field).is_some_and(|text| compare_text(text, c.op, value))
            }
            _ => false,
        }
    }
}

fn text_field<'j>(job: &'j Job, field: &Field) -> Option<&'j str> {
    Some(match field {
        Field::Id => &job.id,
        Field::Queue => &job.queue,
        Field::Type => &job.r#type,
        Field::Error => &job.last_error,
        Field::StackTrace => &job.last_stack_trace,
        Field::ContentType => &job.content_type,
        Field::UniqueKey => &job.unique_key,
        Field::CancelReason => &job.cancel_reason,
        _ => return None,
    })
}

fn int_field(job: &Job, field: &Field) -> Option<i32> {
    match field {
        Field::Priority => Some(job.priority),
        Field::Attempts => Some(job.attempts),
        Field::MaxAttempts => Some(job.max_attempts),
        _ => None,
    }
}

/// An unset timestamp is `None`, which no comparison matches.
fn time_field(job: &Job, field: &Field) -> Option<Instant> {
    let ts = match field {
        Field::CreatedAt => job.created_at.as_ref(),
        Field::ScheduledAt => job.scheduled_at.as_ref(),
        Field::StartedAt => job.started_at.as_ref(),
        Field::FinishedAt => job.finished_at.as_ref(),
        _ => None,
    }?;
    Some(Instant {
        seconds: ts.seconds,
        nanos: ts.nanos.clamp(0, 999_999_999) as u32,
    })
}

/// Whether `ordering` (of the job's value against the filter's) satisfies the operator.
fn ordered(ordering: Ordering, op: Op) -> bool {
    match op {
        Op::Eq => ordering == Ordering::Equal,
        Op::Ne => ordering != Ordering::Equal,
        Op::Lt => ordering == Ordering::Less,
        Op::Le => ordering != Ordering::Greater,
        Op::Gt => ordering == Ordering::Greater,
        Op::Ge => ordering != Ordering::Less,
        Op::Has => false,
    }
}

/// `=` and the orderings compare exactly, byte by byte; `:` is a case-insensitive substring.
fn compare_text(text: &str, op: Op, value: &str) -> bool {
    match op {
        Op::Has => contains_ci(text, value),
        _ => ordered(text.cmp(value), op),
    }
}

/// Case-insensitive substring test, by Unicode lowercase; pure ASCII takes a path that
/// allocates nothing.
pub(super) fn contains_ci(haystack: &str, needle: &str) -> bool {
    if haystack.is_ascii() && needle.is_ascii() {
        ascii_contains(haystack.as_bytes(), needle.as_bytes())
    } else {
        haystack.to_lowercase().contains(&needle.to_lowercase())
    }
}

fn contains_ci_bytes(haystack: &[u8], needle: &str) -> bool {
    if haystack.is_ascii() && needle.is_ascii() {
        ascii_contains(haystack, needle.as_bytes())
    } else {
        contains_ci(&String::from_utf8_lossy(haystack), needle)
    }
}

fn ascii_contains(haystack: &[u8], needle: &[u8]) -> bool {
    let Some(&first) = needle.first() else {
        return true;
    };
    let first = first.to_ascii_lowercase();
    haystack.len() >= needle.len()
        && (0..=haystack.len() - needle.len()).any(|i| {
            haystack[i].to_ascii_lowercase() == first
                && haystack[i..i + needle.len()].eq_ignore_ascii_case(needle)
        })
}

fn select<'j>(mut json: &'j Json, path: &[PathStep]) -> Option<&'j Json> {
    for step in path {
        json = match (step, json) {
            (PathStep::Key(key), Json::Object(map)) => map.get(key)?,
            (PathStep::Index(index), Json::Array(items)) => items.get(*index as usize)?,
            _ => return None,
        };
    }
    Some(json)
}

/// The value found at a payload path against the filter's. Values of different kinds never
/// match, except that `!= null` matches every value that is not null.
fn json_compare(found: &Json, op: Op, value: &Value) -> bool {
    match op {
        Op::Has => match found {
            Json::Array(items) => items
                .iter()
                .any(|item| json_order(item, value) == Some(Ordering::Equal)),
            Json::Object(map) => matches!(value, Value::String(key) if map.contains_key(key)),
            Json::String(text) => {
                matches!(value, Value::String(needle) if contains_ci(text, needle))
            }
            other => json_order(other, value) == Some(Ordering::Equal),
        },
        Op::Ne if *value == Value::Null => !found.is_null(),
        _ => json_order(found, value).is_some_and(|ordering| ordered(ordering, op)),
    }
}

fn json_order(found: &Json, value: &Value) -> Option<Ordering> {
    match (found, value) {
        (Json::String(text), Value::String(value)) => Some(text.as_str().cmp(value)),
        (Json::Number(n), Value::Int(value)) => match (n.as_i64(), n.as_u64()) {
            (Some(n), _) => Some(n.cmp(value)),
            (None, Some(_)) => Some(Ordering::Greater),
            (None, None) => n.as_f64()?.partial_cmp(&(*value as f64)),
        },
        (Json::Number(n), Value::Float(value)) => n.as_f64()?.partial_cmp(value),
        (Json::Bool(b), Value::Bool(value)) => Some(b.cmp(value)),
        (Json::Null, Value::Null) => Some(Ordering::Equal),
        _ => None,
    }
}
