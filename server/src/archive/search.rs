//! SearchJobs: the query (free text and filter terms) becomes a SQL plan that the text index
//! narrows; candidates are joined with live state from Redis and checked against the whole
//! query; pages are cut by the archive's recording order.

use prost_types::Timestamp;
use zenith_proto::v1::{Job, JobSource, JobState, SearchHit};

use super::Result;
use super::store::{SearchPlan, SharedArchive};
use super::text;
use crate::filter::{Comparison, Expr, Field, Filter, Instant, Op, Value};
use crate::queue::SharedEngine;

/// Candidates one call looks at, at most, before it returns what it has with a page token.
pub const SCAN_BUDGET: usize = 5_000;
/// Largest chunk of candidates read from SQL at once.
const MAX_CHUNK: usize = 1_000;

/// A validated SearchJobs request.
#[derive(Clone, Debug)]
pub struct Search {
    pub query: Filter,
    /// Empty: every queue.
    pub queues: Vec<String>,
    /// Empty: every state.
    pub states: Vec<JobState>,
    /// Empty: every type.
    pub types: Vec<String>,
    pub created_after: Option<Timestamp>,
    pub created_before: Option<Timestamp>,
    pub page_size: usize,
    /// Continue with jobs recorded before this position (from the previous page).
    pub before_seq: Option<i64>,
}

/// One page of hits.
#[derive(Clone, Debug, Default)]
pub struct Page {
    pub hits: Vec<SearchHit>,
    /// Where the next page starts, when more jobs may match.
    pub next_before_seq: Option<i64>,
    pub examined: usize,
}

pub async fn search(engine: &SharedEngine, store: &SharedArchive, search: &Search) -> Result<Page> {
    let Some(base) = plan(search) else {
        return Ok(Page::default());
    };
    let mut page = Page::default();
    let mut cursor = search.before_seq;
    // Start with just enough for a page that the index narrows well; grow when the check
    // turns candidates away.
    let mut chunk = search.page_size + 1;
    loop {
        let limit = chunk.min(SCAN_BUDGET - page.examined);
        let rows = store
            .search(&SearchPlan {
                before_seq: cursor,
                limit,
                ..base.clone()
            })
            .await?;
        let exhausted = rows.len() < limit;
        let ids: Vec<String> = rows.iter().map(|row| row.job.id.clone()).collect();
        let live = engine.jobs_by_id(&ids).await?;
        let count = rows.len();
        for (index, (row, live)) in rows.into_iter().zip(live).enumerate() {
            page.examined += 1;
            cursor = Some(row.seq);
            let (job, source) = match live {
                Some(job) => (job, JobSource::Live),
                None => (row.job, JobSource::Archive),
            };
            if !(search.query.matches(&job) && request_filters_match(search, &job)) {
                continue;
            }
            page.hits.push(SearchHit {
                job: Some(job),
                source: source as i32,
            });
            if page.hits.len() == search.page_size {
                let last_candidate = exhausted && index + 1 == count;
                page.next_before_seq = cursor.filter(|_| !last_candidate);
                return Ok(page);
            }
        }
        if exhausted {
            return Ok(page);
        }
        if page.examined >= SCAN_BUDGET {
            page.next_before_seq = cursor;
            return Ok(page);
        }
        chunk = (chunk * 2).min(MAX_CHUNK);
    }
}

/// The request's own filters (queues, states, types, created range) on the joined job, whose
/// live state may differ from what the archive recorded.
fn request_filters_match(search: &Search, job: &Job) -> bool {
    let created = job.created_at.as_ref().map(|t| (t.seconds, t.nanos));
    (search.queues.is_empty() || search.queues.contains(&job.queue))
        && (search.types.is_empty() || search.types.contains(&job.r#type))
        && (search.states.is_empty() || search.states.iter().any(|s| *s as i32 == job.state))
        && search
            .created_after
            .as_ref()
            .is_none_or(|after| created.is_some_and(|c| c >= (after.seconds, after.nanos)))
        && search
            .created_before
            .as_ref()
            .is_none_or(|before| created.is_some_and(|c| c < (before.seconds, before.nanos)))
}

/// What SQL can narrow by: the request's filters and the terms of the query's top-level AND.
/// Every job the query matches passes the plan (it may let more through, which the check then
/// drops). None when no job can match, such as `queue = "a" AND queue = "b"`.
pub fn plan(search: &Search) -> Option<SearchPlan> {
    let mut queues = Restriction::from_list(&search.queues);
    let mut types = Restriction::from_list(&search.types);
    let mut states = Restriction::from_list(&search.states);
    let mut after = search.created_after.as_ref().map(floor_ms_of_timestamp);
    // Whole milliseconds: one past the last millisecond that can hold a match.
    let mut before = search
        .created_before
        .as_ref()
        .map(|t| floor_ms_of_timestamp(t) + 1);
    let mut phrases: Vec<Vec<String>> = Vec::new();
    for term in conjuncts(search.query.expr()) {
        let Expr::Compare(Comparison { field, op, value }) = term else {
            continue;
        };
        match (field, op, value) {
            (Field::Text, Op::Has, Value::String(phrase)) => phrases.push(text::words(phrase)),
            // The index holds these fields' words, and a JSON payload's strings unescaped.
            (Field::Id | Field::Error | Field::PayloadPath(_), Op::Eq, Value::String(exact)) => {
                phrases.push(text::words(exact));
            }
            (Field::Queue, Op::Eq, Value::String(queue)) => queues.narrow(queue.clone()),
            (Field::Type, Op::Eq, Value::String(job_type)) => types.narrow(job_type.clone()),
            (Field::State, Op::Eq, Value::State(state)) => states.narrow(*state),
            (Field::CreatedAt, op, Value::Time(instant)) => {
                let ms = floor_ms(instant);
                if matches!(op, Op::Eq | Op::Ge | Op::Gt) {
                    after = Some(after.map_or(ms, |after| after.max(ms)));
                }
                if matches!(op, Op::Eq | Op::Le | Op::Lt) {
                    before = Some(before.map_or(ms + 1, |before| before.min(ms + 1)));
                }
            }
            _ => {}
        }
    }
    phrases.retain(|phrase| !phrase.is_empty());
    if after
        .zip(before)
        .is_some_and(|(after, before)| after >= before)
    {
        return None;
    }
    Some(SearchPlan {
        phrases,
        queues: queues.into_list()?,
        types: types.into_list()?,
        states: states.into_list()?,
        created_after_ms: after,
        created_before_ms: before,
        before_seq: None,
        limit: 0,
    })
}

/// The operands of a top-level AND (nested ANDs flattened), or the expression alone.
fn conjuncts(expr: Option<&Expr>) -> Vec<&Expr> {
    fn walk<'e>(expr: &'e Expr, out: &mut Vec<&'e Expr>) {
        match expr {
            Expr::And(operands) => operands.iter().for_each(|operand| walk(operand, out)),
            other => out.push(other),
        }
    }
    let mut out = Vec::new();
    if let Some(expr) = expr {
        walk(expr, &mut out);
    }
    out
}

/// The values a column may take: any, or one of a set that each equality term narrows.
enum Restriction<T> {
    Any,
    OneOf(Vec<T>),
}

impl<T: Clone + PartialEq> Restriction<T> {
    fn from_list(list: &[T]) -> Self {
        if list.is_empty() {
            Self::Any
        } else {
            Self::OneOf(list.to_vec())
        }
    }

    fn narrow(&mut self, value: T) {
        match self {
            Self::Any => *self = Self::OneOf(vec![value]),
            Self::OneOf(values) => values.retain(|v| *v == value),
        }
    }

    /// The plan's list (empty: any); None when nothing is left.
    fn into_list(self) -> Option<Vec<T>> {
        match self {
            Self::Any => Some(Vec::new()),
            Self::OneOf(values) if values.is_empty() => None,
            Self::OneOf(values) => Some(values),
        }
    }
}

fn floor_ms(instant: &Instant) -> i64 {
    instant.seconds.saturating_mul(1000) + i64::from(instant.nanos / 1_000_000)
}

fn floor_ms_of_timestamp(timestamp: &Timestamp) -> i64 {
    timestamp.seconds.saturating_mul(1000)
        + i64::from(timestamp.nanos.clamp(0, 999_999_999) / 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search(query: &str) -> Search {
        Search {
            query: Filter::parse_search(query).unwrap(),
            queues: Vec::new(),
            states: Vec::new(),
            types: Vec::new(),
            created_after: None,
            created_before: None,
            page_size: 50,
            before_seq: None,
        }
    }

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn the_top_level_and_narrows_the_plan() {
        let cases: Vec<(&str, SearchPlan)> = vec![
            ("", SearchPlan::default()),
            (
                "smtp \"Connection Refused\"",
                SearchPlan {
                    phrases: vec![words(&["smtp"]), words(&["connection", "refused"])],
                    ..SearchPlan::default()
                },
            ),
            (
                "payload.email = \"user@example.com\" AND state = \"dead\"",
                SearchPlan {
                    phrases: vec![words(&["user", "example", "com"])],
                    states: vec![JobState::Dead],
                    ..SearchPlan::default()
                },
            ),
            (
                "type = \"send-email\" AND queue = \"emails\" AND id = \"job-1\"",
                SearchPlan {
                    phrases: vec![words(&["job", "1"])],
                    queues: vec!["emails".into()],
                    types: vec!["send-email".into()],
                    ..SearchPlan::default()
                },
            ),
            // OR, NOT and substring terms cannot narrow: the check does all the work.
            ("type = \"a\" OR error : \"smtp\"", SearchPlan::default()),
            ("NOT timeout", SearchPlan::default()),
            ("error : \"smtp\"", SearchPlan::default()),
            (
                "payload.note = \"line\\nbreak\"",
                SearchPlan {
                    phrases: vec![words(&["line", "break"])],
                    ..SearchPlan::default()
                },
            ),
            (
                "created_at >= \"2026-11-01T00:00:00.0005Z\" AND created_at < \"2026-11-02T00:00:00Z\"",
                SearchPlan {
                    created_after_ms: Some(1_793_491_200_000),
                    created_before_ms: Some(1_793_577_600_001),
                    ..SearchPlan::default()
                },
            ),
        ];
        for (query, expected) in cases {
            assert_eq!(plan(&search(query)), Some(expected), "{query}");
        }
    }

    #[test]
    fn contradictions_plan_nothing() {
        assert_eq!(plan(&search("queue = \"a\" AND queue = \"b\"")), None);
        let mut request = search("queue = \"a\"");
        request.queues = vec!["b".into(), "c".into()];
        assert_eq!(plan(&request), None);
        request.queues.push("a".into());
        assert_eq!(plan(&request).unwrap().queues, vec!["a".to_owned()]);
        assert_eq!(
            plan(&search(
                "created_at > \"2026-11-02T00:00:00Z\" AND created_at < \"2026-11-01T00:00:00Z\""
            )),
            None
        );
    }
}
