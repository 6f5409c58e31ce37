//! Any text as a filter and as a search query: parsing never panics, a refusal points inside the
//! text and says something, what parses prints canonically to text that parses back to the same
//! filter, and evaluating it never panics, on a job that has every field and on one that has few.
#![no_main]

use std::collections::HashMap;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use prost_types::Timestamp;
use zenith_proto::v1::{Job, JobState};
use zenith_server::filter::{Filter, MAX_LENGTH};

static JOBS: LazyLock<[Job; 2]> = LazyLock::new(|| {
    let at = |seconds| {
        Some(Timestamp {
            seconds,
            nanos: 250_000_000,
        })
    };
    let full = Job {
        id: "0192f0c4-7d3e-7000-8000-000000000001".into(),
        queue: "emails".into(),
        r#type: "SendEmail".into(),
        state: JobState::Dead as i32,
        last_error: "Timeout after 30s".into(),
        last_stack_trace: "at send (mail.rs:12)".into(),
        content_type: "application/json".into(),
        unique_key: "user-7".into(),
        cancel_reason: "Ünïcode reason".into(),
        priority: -3,
        attempts: 5,
        max_attempts: 5,
        created_at: at(1_793_491_200),
        scheduled_at: at(1_793_491_260),
        started_at: at(1_793_491_320),
        finished_at: at(1_793_491_380),
        tags: vec!["vip".into(), "x y".into()],
        headers: HashMap::from([
            ("x-request-id".into(), "r-1".into()),
            ("a.b".into(), "ö".into()),
        ]),
        payload: br#"{"customer":{"email":"a@b.c","id":7},"items":[{"sku":"X1","n":2.5},null,true],"":[[]],"big":1e300,"neg":-9223372036854775808}"#.to_vec(),
        ..Job::default()
    };
    let sparse = Job {
        state: JobState::Pending as i32,
        payload: vec![0xff, b'{', b'"'],
        ..Job::default()
    };
    [full, sparse]
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for parse in [Filter::parse, Filter::parse_search] {
        match parse(text) {
            Ok(filter) => {
                let printed = filter.to_string();
                assert_eq!(
                    parse(&printed),
                    Ok(filter.clone()),
                    "{text:?} printed as {printed:?}"
                );
                for job in JOBS.iter() {
                    filter.matches(job);
                }
            }
            Err(error) => {
                // The CLI puts a caret under the position, so it must fall between characters.
                if text.len() <= MAX_LENGTH {
                    assert!(
                        text.is_char_boundary(error.position),
                        "{text:?}: position {} is not a char boundary",
                        error.position
                    );
                }
                assert!(!error.message.is_empty(), "{text:?}: empty message");
            }
        }
    }
});
