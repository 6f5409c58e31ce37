//! The filter language on its own: parsing (canonical print, exact errors), evaluation against
//! sample jobs, pathological input, and properties over random filters and jobs.

use std::collections::HashMap;
use std::time::{Duration, Instant as Clock};

use prost_types::Timestamp;
use zenith_proto::v1::{Job, JobState};
use zenith_server::filter::{
    Comparison, Expr, Field, Filter, FilterError, Instant, Op, PathStep, Value,
};

#[test]
fn valid_filters_print_canonically_and_read_back() {
    let cases = [
        ("", ""),
        ("   \t\n", ""),
        ("type = \"SendEmail\"", "type = \"SendEmail\""),
        ("type=\"SendEmail\"", "type = \"SendEmail\""),
        ("error : \"timeout\"", "error : \"timeout\""),
        ("error:\"timeout\"", "error : \"timeout\""),
        ("tags : \"vip\"", "tags : \"vip\""),
        ("tags = \"vip\"", "tags = \"vip\""),
        (
            "created_at > \"2026-11-01T00:00:00Z\"",
            "created_at > \"2026-11-01T00:00:00Z\"",
        ),
        (
            "created_at >= \"2026-11-01T02:00:00.250+02:00\"",
            "created_at >= \"2026-11-01T00:00:00.25Z\"",
        ),
        ("attempts >= 3", "attempts >= 3"),
        ("priority < -10", "priority < -10"),
        ("max_attempts != 007", "max_attempts != 7"),
        (
            "payload.customer.email = \"a@b.c\"",
            "payload.customer.email = \"a@b.c\"",
        ),
        (
            "payload.items[0].sku = \"X1\"",
            "payload.items[0].sku = \"X1\"",
        ),
        ("payload[2] = 1", "payload[2] = 1"),
        ("payload.\"a.b\".\"\" = 1", "payload.\"a.b\".\"\" = 1"),
        ("payload.\"plain\" = 1", "payload.plain = 1"),
        ("payload.0 = 1", "payload.0 = 1"),
        ("payload.total > 12.50", "payload.total > 12.5"),
        ("payload.total > 1E3", "payload.total > 1000.0"),
        ("payload.x <= -2.5e-7", "payload.x <= -2.5e-7"),
        ("payload.ok = true", "payload.ok = true"),
        ("payload.none != null", "payload.none != null"),
        ("payload : \"needle\"", "payload : \"needle\""),
        (
            "headers.x-request-id = \"r-1\"",
            "headers.x-request-id = \"r-1\"",
        ),
        ("headers.\"a.b\" : \"x\"", "headers.\"a.b\" : \"x\""),
        ("state = \"DEAD\"", "state = \"dead\""),
        ("state != \"cancelled\"", "state != \"cancelled\""),
        (
            "type = \"a\" AND attempts > 1 AND tags : \"b\"",
            "type = \"a\" AND attempts > 1 AND tags : \"b\"",
        ),
        (
            "type = \"a\" OR type = \"b\"",
            "type = \"a\" OR type = \"b\"",
        ),
        (
            "(type = \"a\" OR type = \"b\") AND attempts >= 3",
            "(type = \"a\" OR type = \"b\") AND attempts >= 3",
        ),
        (
            "((type = \"a\" AND id = \"b\")) AND id = \"c\"",
            "(type = \"a\" AND id = \"b\") AND id = \"c\"",
        ),
        ("(((type = \"a\")))", "type = \"a\""),
        ("NOT type = \"a\"", "NOT type = \"a\""),
        ("-type = \"a\"", "NOT type = \"a\""),
        ("NOT(type = \"a\")", "NOT type = \"a\""),
        ("NOT NOT -type = \"a\"", "NOT NOT NOT type = \"a\""),
        (
            "NOT (type = \"a\" OR type = \"b\")",
            "NOT (type = \"a\" OR type = \"b\")",
        ),
        (
            "error : \"say \\\"hi\\\"\\\\ \\n\\t\\r \\u00e9\\u0001\"",
            "error : \"say \\\"hi\\\"\\\\ \\n\\t\\r é\\u0001\"",
        ),
        (
            "type = \"caf\u{e9} \u{1F600}\"",
            "type = \"caf\u{e9} \u{1F600}\"",
        ),
    ];
    for (text, canonical) in cases {
        let filter = Filter::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        assert_eq!(filter.to_string(), canonical, "{text:?}");
        assert_eq!(
            Filter::parse(canonical),
            Ok(filter.clone()),
            "{canonical:?}"
        );
        assert_eq!(filter.is_empty(), canonical.is_empty());
    }
}

#[test]
fn parse_builds_the_expected_tree() {
    let filter =
        Filter::parse("NOT (attempts >= 3 OR payload.a[1] : \"x\") AND state = \"dead\"").unwrap();
    let compare = |field, op, value| Expr::Compare(Comparison { field, op, value });
    let expected = Expr::And(vec![
        Expr::Not(Box::new(Expr::Or(vec![
            compare(Field::Attempts, Op::Ge, Value::Int(3)),
            compare(
                Field::PayloadPath(vec![PathStep::Key("a".into()), PathStep::Index(1)]),
                Op::Has,
                Value::String("x".into()),
            ),
        ]))),
        compare(Field::State, Op::Eq, Value::State(JobState::Dead)),
    ]);
    assert_eq!(filter.expr(), Some(&expected));
    assert_eq!(filter, Filter::from(expected));
    assert!(filter.reads_payload());
    assert_eq!(Filter::parse(" ").unwrap().expr(), None);
    assert!(!Filter::parse("type = \"a\"").unwrap().reads_payload());
}

#[test]
fn invalid_filters_say_where_and_what() {
    let fields = "fields are id, queue, type, state, error, stack_trace, content_type, unique_key, \
        cancel_reason, priority, attempts, max_attempts, created_at, scheduled_at, started_at, \
        finished_at, tags, headers.<name>, payload, payload.<path>";
    let cases: Vec<(&str, usize, String)> = vec![
        (
            "type =",
            6,
            "expected a value after \"=\", found end of filter".into(),
        ),
        (
            "tpye = \"x\"",
            0,
            format!("unknown field \"tpye\"; {fields}"),
        ),
        (
            "attempts = \"three\"",
            11,
            "attempts is a number; \"three\" is not".into(),
        ),
        (
            "attempts = 2.5",
            11,
            "attempts is a whole number; 2.5 is not".into(),
        ),
        (
            "attempts : 3",
            9,
            "attempts is a number; compare it with =, !=, <, <=, > or >=, not :".into(),
        ),
        (
            "type = 3",
            7,
            "type is a string; 3 is not (quote it)".into(),
        ),
        (
            "type = SendEmail",
            7,
            "expected a value after \"=\", found SendEmail; strings are double-quoted, as in \
             \"SendEmail\""
                .into(),
        ),
        (
            "type == \"a\"",
            6,
            "expected a value after \"=\", found \"=\"; equality is a single =".into(),
        ),
        (
            "type \"a\"",
            5,
            "expected an operator (=, !=, <, <=, >, >= or :) after type, found a string".into(),
        ),
        (
            "type = \"a\" AND id = \"b\" OR id = \"c\"",
            24,
            "AND and OR cannot be mixed without parentheses; group them, as in (a AND b) OR c"
                .into(),
        ),
        (
            "type = \"a\" and id = \"b\"",
            11,
            "keywords are uppercase: write AND instead of and".into(),
        ),
        (
            "type = \"a\" id = \"b\"",
            11,
            "expected AND, OR or end of filter, found id".into(),
        ),
        (
            "(type = \"a\" id = \"b\")",
            12,
            "expected AND, OR or \")\", found id".into(),
        ),
        (
            "(type = \"a\"",
            11,
            "expected \")\" to close the \"(\" at position 0, found end of filter".into(),
        ),
        ("type = \"a\")", 10, "unmatched \")\"".into()),
        (
            "type = \"a\" AND",
            14,
            "expected a comparison such as type = \"SendEmail\" after AND, found end of filter"
                .into(),
        ),
        (
            "NOT",
            3,
            "expected a comparison such as type = \"SendEmail\" after NOT, found end of filter"
                .into(),
        ),
        (
            "()",
            1,
            "expected a comparison such as type = \"SendEmail\" after \"(\", found \")\"".into(),
        ),
        (
            "AND type = \"a\"",
            0,
            "expected a comparison such as type = \"SendEmail\", found AND".into(),
        ),
        (
            "type = \"abc",
            7,
            "unterminated string: no closing \"".into(),
        ),
        (
            "type = \"a\\qb\"",
            9,
            "unknown escape \"\\q\"; use \\\", \\\\, \\n, \\r, \\t or \\uXXXX".into(),
        ),
        (
            "type = \"\\ud800\"",
            8,
            "\\u takes 4 hex digits naming a character, as in \\u00e9".into(),
        ),
        ("payload.n = 1.", 12, "malformed number 1.".into()),
        ("payload.n = 12abc", 12, "malformed number 12abc".into()),
        ("payload.n = -", 12, "malformed number -".into()),
        (
            "payload.n = 99999999999999999999",
            12,
            "99999999999999999999 is out of range".into(),
        ),
        ("payload.n = 1e999", 12, "1e999 is out of range".into()),
        (
            "payload.n > true",
            12,
            "> compares numbers or strings; true is not".into(),
        ),
        (
            "payload. = 1",
            8,
            "expected a key after \".\", found \" \"".into(),
        ),
        (
            "payload.a[x] = 1",
            10,
            "expected an array index after \"[\", found x".into(),
        ),
        ("payload.a[1 = 1", 11, "expected \"]\", found \" \"".into()),
        (
            "payload = \"x\"",
            8,
            "payload takes only : (contains); compare values inside a JSON payload with \
             payload.<path>"
                .into(),
        ),
        (
            "headers = \"x\"",
            7,
            "headers takes one header name, as in headers.x-request-id (quote names with dots: \
             headers.\"a.b\")"
                .into(),
        ),
        (
            "headers.a.b = \"x\"",
            7,
            "headers takes one header name, as in headers.x-request-id (quote names with dots: \
             headers.\"a.b\")"
                .into(),
        ),
        (
            "type.name = \"x\"",
            4,
            "type has no parts to select; only headers and payload do".into(),
        ),
        (
            "state = \"done\"",
            8,
            "state is one of pending, scheduled, active, retry, dead, completed, cancelled, deleted; \
             \"done\" is not"
                .into(),
        ),
        ("state > \"dead\"", 6, "state takes = or !=".into()),
        (
            "tags != \"vip\"",
            5,
            "tags takes : or = (has the tag); for jobs without a tag write NOT tags : \"x\"".into(),
        ),
        ("tags : 1", 7, "tags are strings; 1 is not".into()),
        (
            "created_at > \"yesterday\"",
            13,
            "timestamps are RFC 3339, like \"2026-11-01T00:00:00Z\"".into(),
        ),
        (
            "created_at > \"2026-02-30T00:00:00Z\"",
            13,
            "\"2026-02-30T00:00:00Z\" is not a date in the calendar".into(),
        ),
        (
            "created_at > 5",
            13,
            "created_at is a timestamp, written as an RFC 3339 string like \
             \"2026-11-01T00:00:00Z\"; 5 is not"
                .into(),
        ),
        (
            "created_at : \"2026-11-01T00:00:00Z\"",
            11,
            "created_at is a timestamp; compare it with =, !=, <, <=, > or >=, not :".into(),
        ),
        (
            "é = \"x\"",
            0,
            "expected a comparison such as type = \"SendEmail\", found \"é\"".into(),
        ),
    ];
    for (text, position, message) in cases {
        let error = Filter::parse(text).expect_err(text);
        assert_eq!(
            error,
            FilterError {
                position,
                message: message.clone()
            },
            "{text:?}"
        );
        assert_eq!(
            error.to_string(),
            format!("at position {position}: {message}")
        );
    }
}

fn at(text: &str) -> Timestamp {
    let instant = Instant::parse_rfc3339(text).unwrap();
    Timestamp {
        seconds: instant.seconds,
        nanos: instant.nanos as i32,
    }
}

fn sample_job() -> Job {
    Job {
        id: "job-1".into(),
        queue: "emails".into(),
        r#type: "SendEmail".into(),
        payload: r#"{"customer":{"email":"a@b.c","age":42,"name":"Zoë"},
            "items":[{"sku":"X1","qty":2},{"sku":"Y2","qty":1}],
            "labels":["vip",3,null],"total":12.5,"big":18446744073709551615,
            "ok":true,"none":null}"#
            .into(),
        content_type: "application/json".into(),
        headers: HashMap::from([("x-request-id".into(), "r-1".into())]),
        priority: 5,
        max_attempts: 5,
        tags: vec!["vip".into(), "beta".into()],
        state: JobState::Dead as i32,
        attempts: 3,
        last_error: "Timeout after 30s".into(),
        created_at: Some(at("2026-11-02T10:00:00Z")),
        scheduled_at: Some(at("2026-11-02T10:00:00.5Z")),
        started_at: Some(at("2026-11-02T10:00:01Z")),
        ..Job::default()
    }
}

#[test]
fn filters_evaluate_against_jobs() {
    let job = sample_job();
    let cases = [
        ("", true),
        ("type = \"SendEmail\"", true),
        ("type = \"sendemail\"", false),
        ("type : \"sendemail\"", true),
        ("type != \"SendEmail\"", false),
        ("type < \"T\"", true),
        ("type >= \"Sz\"", false),
        ("error : \"timeout\"", true),
        ("error : \"TIMEOUT AFTER\"", true),
        ("error : \"refused\"", false),
        ("error : \"\"", true),
        ("stack_trace = \"\"", true),
        ("cancel_reason : \"x\"", false),
        ("tags : \"vip\"", true),
        ("tags = \"beta\"", true),
        ("tags : \"VIP\"", false),
        ("tags : \"vi\"", false),
        ("NOT tags : \"gold\"", true),
        ("created_at > \"2026-11-01T00:00:00Z\"", true),
        ("created_at > \"2026-11-02T11:00:00+01:00\"", false),
        ("created_at >= \"2026-11-02T11:00:00+01:00\"", true),
        ("scheduled_at > \"2026-11-02T10:00:00.499Z\"", true),
        ("scheduled_at = \"2026-11-02T10:00:00.5Z\"", true),
        ("finished_at < \"2100-01-01T00:00:00Z\"", false),
        ("finished_at != \"2100-01-01T00:00:00Z\"", false),
        ("NOT finished_at = \"2100-01-01T00:00:00Z\"", true),
        ("attempts >= 3", true),
        ("attempts > 3", false),
        ("attempts != 3", false),
        ("priority = 5 AND max_attempts <= 5", true),
        ("priority < -1", false),
        ("state = \"dead\"", true),
        ("state != \"dead\"", false),
        ("state = \"pending\"", false),
        ("headers.x-request-id = \"r-1\"", true),
        ("headers.x-request-id : \"R\"", true),
        ("headers.missing != \"x\"", false),
        ("headers.missing = \"\"", false),
        ("payload.customer.email = \"a@b.c\"", true),
        ("payload.customer.email = \"A@B.C\"", false),
        ("payload.customer.email : \"B.C\"", true),
        ("payload.customer.name : \"ZOË\"", true),
        ("payload.customer.age = 42", true),
        ("payload.customer.age = 42.0", true),
        ("payload.customer.age > 41.5", true),
        ("payload.customer.age < 42", false),
        ("payload.customer.age = \"42\"", false),
        ("payload.customer.age != \"42\"", false),
        ("payload.customer.age != 41", true),
        ("payload.customer : \"email\"", true),
        ("payload.customer : \"phone\"", false),
        ("payload.items[1].sku = \"Y2\"", true),
        ("payload.items[2].sku = \"Y2\"", false),
        ("payload.items[0].qty >= 2", true),
        ("payload.labels : \"vip\"", true),
        ("payload.labels : 3", true),
        ("payload.labels : null", true),
        ("payload.labels : \"vi\"", false),
        ("payload.labels[1] = 3", true),
        ("payload.total = 12.5", true),
        ("payload.total > 12", true),
        ("payload.big > 9223372036854775807", true),
        ("payload.big = 18446744073709551615.0", true),
        ("payload.ok = true", true),
        ("payload.ok != false", true),
        ("payload.ok = 1", false),
        ("payload.none = null", true),
        ("payload.none != null", false),
        ("payload.ok != null", true),
        ("payload.missing != null", false),
        ("payload.missing = null", false),
        ("payload.customer.email.x = 1", false),
        ("payload[0] = 1", false),
        ("payload : \"SKU\"", true),
        ("payload : \"nowhere\"", false),
        (
            "type = \"SendEmail\" AND (error : \"timeout\" OR attempts > 10)",
            true,
        ),
        ("type = \"Other\" OR (NOT state = \"pending\")", true),
        ("-(type = \"SendEmail\" AND tags : \"vip\")", false),
    ];
    for (text, expected) in cases {
        let filter = Filter::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        assert_eq!(filter.matches(&job), expected, "{text:?}");
    }
}

#[test]
fn payload_paths_need_a_json_payload() {
    let job = Job {
        payload: b"customer.email=a@b.c; not JSON".to_vec(),
        ..sample_job()
    };
    for (text, expected) in [
        ("payload.customer.email = \"a@b.c\"", false),
        ("payload.customer.email != \"a@b.c\"", false),
        ("NOT payload.customer.email = \"a@b.c\"", true),
        ("payload : \"A@B.C\"", true),
    ] {
        assert_eq!(
            Filter::parse(text).unwrap().matches(&job),
            expected,
            "{text}"
        );
    }
    let binary = Job {
        payload: vec![0xff, 0xfe, b'V', b'i', b'P'],
        ..sample_job()
    };
    assert!(Filter::parse("payload : \"vip\"").unwrap().matches(&binary));
}

/// Parses in well under a second even in a debug build; a backtracking or quadratic parser
/// would not.
fn parse_quickly(text: &str) -> Result<Filter, FilterError> {
    let started = Clock::now();
    let result = Filter::parse(text);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{} bytes took {:?}",
        text.len(),
        started.elapsed()
    );
    result
}

#[test]
fn pathological_filters_parse_in_linear_time() {
    let and_chain = vec!["attempts >= 3"; 700].join(" AND ");
    assert!(and_chain.len() > 10_000);
    let filter = parse_quickly(&and_chain).unwrap();
    assert_eq!(Filter::parse(&filter.to_string()), Ok(filter));

    let mixed = format!("{and_chain} OR attempts = 1");
    let error = parse_quickly(&mixed).unwrap_err();
    assert_eq!(error.position, and_chain.len() + 1);

    let nested = format!("{}type = \"a\"{}", "(".repeat(64), ")".repeat(64));
    parse_quickly(&nested).unwrap();
    let deep = format!("{}type = \"a\"{}", "(".repeat(5000), ")".repeat(5000));
    assert_eq!(
        parse_quickly(&deep),
        Err(FilterError {
            position: 64,
            message: "filters nest at most 64 levels of parentheses and NOT".into()
        })
    );
    let nots = format!("{}type = \"a\"", "NOT ".repeat(2500));
    assert_eq!(parse_quickly(&nots).unwrap_err().position, 256);
    let dashes = format!("{}type = \"a\"", "-".repeat(10_000));
    assert_eq!(parse_quickly(&dashes).unwrap_err().position, 64);

    let unterminated = format!("error : \"{}", "\\\"a".repeat(3500));
    assert_eq!(parse_quickly(&unterminated).unwrap_err().position, 8);
    let long_string = format!("error : \"{}\"", "x\\u00e9".repeat(1500));
    parse_quickly(&long_string).unwrap();
    let long_path = format!("payload{} = 1", ".a[0]".repeat(2500));
    assert!(parse_quickly(&long_path).unwrap().reads_payload());
    let alternating = "(attempts = 1 OR ".repeat(600);
    assert!(parse_quickly(&alternating).is_err());

    let too_long = format!("error : \"{}\"", "x".repeat(16 * 1024));
    assert_eq!(
        parse_quickly(&too_long),
        Err(FilterError {
            position: 16 * 1024,
            message: format!(
                "a filter is at most 16384 bytes; this one has {}",
                too_long.len()
            )
        })
    );
}

/// Random well-formed filters and jobs: the printed filter parses back to itself, and the
/// filter agrees with a plain reference evaluator.
mod properties {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value as Json;

    const TEXT_FIELDS: [Field; 8] = [
        Field::Id,
        Field::Queue,
        Field::Type,
        Field::Error,
        Field::StackTrace,
        Field::ContentType,
        Field::UniqueKey,
        Field::CancelReason,
    ];
    const STATES: [JobState; 7] = [
        JobState::Pending,
        JobState::Scheduled,
        JobState::Active,
        JobState::Retry,
        JobState::Dead,
        JobState::Completed,
        JobState::Cancelled,
    ];
    const WORDS: [&str; 8] = ["", "a", "A", "ab", "vip", "Timeout", "ö", "x y"];
    const KEYS: [&str; 4] = ["a", "b", "x y", "0"];

    fn word() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => prop::sample::select(&WORDS[..]).prop_map(String::from),
            1 => any::<String>(),
        ]
    }

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            6 => prop::sample::select(&KEYS[..]).prop_map(String::from),
            1 => any::<String>(),
        ]
    }

    fn ordering_op() -> impl Strategy<Value = Op> {
        prop::sample::select(vec![Op::Eq, Op::Ne, Op::Lt, Op::Le, Op::Gt, Op::Ge])
    }

    fn any_op() -> impl Strategy<Value = Op> {
        prop::sample::select(vec![
            Op::Eq,
            Op::Ne,
            Op::Lt,
            Op::Le,
            Op::Gt,
            Op::Ge,
            Op::Has,
        ])
    }

    fn instant() -> impl Strategy<Value = Instant> {
        prop_oneof![
            (0i64..4, prop::sample::select(vec![0u32, 500_000_000])).prop_map(|(s, nanos)| {
                Instant {
                    seconds: 1_793_491_200 + s,
                    nanos,
                }
            }),
            (-62_135_596_800i64..=253_402_300_799, 0u32..1_000_000_000)
                .prop_map(|(seconds, nanos)| Instant { seconds, nanos }),
        ]
    }

    fn number() -> impl Strategy<Value = Value> {
        prop_oneof![
            (-3i64..4).prop_map(Value::Int),
            any::<i64>().prop_map(Value::Int),
            prop::sample::select(vec![0.5, -1.5, 2.0, 1e21, 2.5e-7]).prop_map(Value::Float),
            any::<f64>()
                .prop_filter("finite", |x| x.is_finite())
                .prop_map(Value::Float),
        ]
    }

    fn path() -> impl Strategy<Value = Vec<PathStep>> {
        prop::collection::vec(
            prop_oneof![
                3 => key().prop_map(PathStep::Key),
                1 => (0u32..2).prop_map(PathStep::Index),
            ],
            1..3,
        )
    }

    fn comparison() -> impl Strategy<Value = Comparison> {
        let compare = |(field, op, value)| Comparison { field, op, value };
        prop_oneof![
            (
                prop::sample::select(&TEXT_FIELDS[..]),
                any_op(),
                word().prop_map(Value::String)
            )
                .prop_map(compare),
            (
                key().prop_map(Field::Header),
                any_op(),
                word().prop_map(Value::String)
            )
                .prop_map(compare),
            (
                prop::sample::select(vec![Field::Priority, Field::Attempts, Field::MaxAttempts]),
                ordering_op(),
                (-3i64..4).prop_map(Value::Int)
            )
                .prop_map(compare),
            (
                prop::sample::select(vec![
                    Field::CreatedAt,
                    Field::ScheduledAt,
                    Field::StartedAt,
                    Field::FinishedAt
                ]),
                ordering_op(),
                instant().prop_map(Value::Time)
            )
                .prop_map(compare),
            (
                Just(Field::State),
                prop::sample::select(vec![Op::Eq, Op::Ne]),
                prop::sample::select(&STATES[..]).prop_map(Value::State)
            )
                .prop_map(compare),
            (
                Just(Field::Tags),
                prop::sample::select(vec![Op::Eq, Op::Has]),
                word().prop_map(Value::String)
            )
                .prop_map(compare),
            (
                Just(Field::Payload),
                Just(Op::Has),
                word().prop_map(Value::String)
            )
                .prop_map(compare),
            (
                path().prop_map(Field::PayloadPath),
                any_op(),
                prop_oneof![
                    2 => prop::sample::select(&WORDS[..]).prop_map(|w| Value::String(w.into())),
                    2 => (-3i64..4).prop_map(Value::Int),
                    1 => word().prop_map(Value::String),
                    1 => number(),
                ]
            )
                .prop_map(compare),
            (
                path().prop_map(Field::PayloadPath),
                prop::sample::select(vec![Op::Eq, Op::Ne, Op::Has]),
                prop::sample::select(vec![Value::Bool(true), Value::Bool(false), Value::Null])
            )
                .prop_map(compare),
        ]
    }

    fn expr() -> impl Strategy<Value = Expr> {
        comparison()
            .prop_map(Expr::Compare)
            .prop_recursive(4, 32, 4, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::And),
                    prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::Or),
                    inner.prop_map(|e| Expr::Not(Box::new(e))),
                ]
            })
    }

    /// Filters with free-text terms among the comparisons.
    fn search_expr() -> impl Strategy<Value = Expr> {
        let text_term = word()
            .prop_filter("has a letter or digit", |w| {
                w.chars().any(char::is_alphanumeric)
            })
            .prop_map(|phrase| {
                Expr::Compare(Comparison {
                    field: Field::Text,
                    op: Op::Has,
                    value: Value::String(phrase),
                })
            });
        prop_oneof![text_term, comparison().prop_map(Expr::Compare)].prop_recursive(
            4,
            32,
            4,
            |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::And),
                    prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::Or),
                    inner.prop_map(|e| Expr::Not(Box::new(e))),
                ]
            },
        )
    }

    fn json(depth: u32) -> BoxedStrategy<Json> {
        let leaf = prop_oneof![
            Just(Json::Null),
            any::<bool>().prop_map(Json::Bool),
            (-3i64..4).prop_map(Json::from),
            prop::sample::select(vec![0.5, 2.0, -1.5]).prop_map(Json::from),
            prop::sample::select(&WORDS[..]).prop_map(Json::from),
        ];
        if depth == 0 {
            return leaf.boxed();
        }
        prop_oneof![
            2 => leaf,
            1 => prop::collection::vec(json(depth - 1), 0..4).prop_map(Json::Array),
            2 => prop::collection::btree_map(
                prop::sample::select(&KEYS[..]).prop_map(String::from),
                json(depth - 1),
                0..4
            )
            .prop_map(|map| Json::Object(map.into_iter().collect())),
        ]
        .boxed()
    }

    fn timestamp() -> impl Strategy<Value = Option<Timestamp>> {
        prop::option::of(instant().prop_map(|i| Timestamp {
            seconds: i.seconds,
            nanos: i.nanos as i32,
        }))
    }

    fn job() -> impl Strategy<Value = Job> {
        let text = || prop::sample::select(&WORDS[..]).prop_map(String::from);
        let payload = prop_oneof![
            3 => prop::collection::btree_map(
                prop::sample::select(&KEYS[..]).prop_map(String::from),
                json(1),
                1..5
            )
            .prop_map(|map| Json::Object(map.into_iter().collect()).to_string().into_bytes()),
            1 => json(2).prop_map(|j| j.to_string().into_bytes()),
            1 => prop::sample::select(&WORDS[..]).prop_map(|w| w.as_bytes().to_vec()),
            1 => prop::collection::vec(any::<u8>(), 0..8),
        ];
        (
            (
                text(),
                text(),
                text(),
                text(),
                text(),
                text(),
                text(),
                text(),
            ),
            (
                prop::collection::hash_map(
                    prop::sample::select(&KEYS[..]).prop_map(String::from),
                    text(),
                    0..3,
                ),
                prop::collection::vec(text(), 0..3),
                prop::sample::select(&STATES[..]),
                (-3i32..4, -3i32..4, -3i32..4),
            ),
            (timestamp(), timestamp(), timestamp(), timestamp()),
            payload,
        )
            .prop_map(
                |(
                    (id, queue, kind, error, trace, content_type, unique_key, reason),
                    (headers, tags, state, (priority, attempts, max_attempts)),
                    (created_at, scheduled_at, started_at, finished_at),
                    payload,
                )| Job {
                    id,
                    queue,
                    r#type: kind,
                    last_error: error,
                    last_stack_trace: trace,
                    content_type,
                    unique_key,
                    cancel_reason: reason,
                    headers,
                    tags,
                    state: state as i32,
                    priority,
                    attempts,
                    max_attempts,
                    created_at,
                    scheduled_at,
                    started_at,
                    finished_at,
                    payload,
                    ..Job::default()
                },
            )
    }

    /// The semantics of FILTER.md, written as plainly as possible.
    fn reference(expr: &Expr, job: &Job) -> bool {
        match expr {
            Expr::And(operands) => operands.iter().all(|e| reference(e, job)),
            Expr::Or(operands) => operands.iter().any(|e| reference(e, job)),
            Expr::Not(operand) => !reference(operand, job),
            Expr::Compare(c) => reference_compare(c, job),
        }
    }

    fn lower_contains(haystack: &str, needle: &str) -> bool {
        haystack.to_lowercase().contains(&needle.to_lowercase())
    }

    fn by_op<T: PartialOrd>(a: T, op: Op, b: T) -> bool {
        match op {
            Op::Eq => a == b,
            Op::Ne => a != b,
            Op::Lt => a < b,
            Op::Le => a <= b,
            Op::Gt => a > b,
            Op::Ge => a >= b,
            Op::Has => unreachable!("no : on ordered fields"),
        }
    }

    fn text_compare(text: &str, op: Op, value: &str) -> bool {
        if op == Op::Has {
            lower_contains(text, value)
        } else {
            by_op(text, op, value)
        }
    }

    fn reference_compare(c: &Comparison, job: &Job) -> bool {
        let text = |s: &str| match &c.value {
            Value::String(v) => text_compare(s, c.op, v),
            _ => unreachable!(),
        };
        let int = |n: i32| match &c.value {
            Value::Int(v) => by_op(i64::from(n), c.op, *v),
            _ => unreachable!(),
        };
        let time = |t: &Option<Timestamp>| match (t, &c.value) {
            (None, _) => false,
            (Some(t), Value::Time(v)) => {
                by_op((t.seconds, t.nanos as u32), c.op, (v.seconds, v.nanos))
            }
            _ => unreachable!(),
        };
        match &c.field {
            Field::Id => text(&job.id),
            Field::Queue => text(&job.queue),
            Field::Type => text(&job.r#type),
            Field::Error => text(&job.last_error),
            Field::StackTrace => text(&job.last_stack_trace),
            Field::ContentType => text(&job.content_type),
            Field::UniqueKey => text(&job.unique_key),
            Field::CancelReason => text(&job.cancel_reason),
            Field::Header(name) => job.headers.get(name).is_some_and(|h| text(h)),
            Field::Priority => int(job.priority),
            Field::Attempts => int(job.attempts),
            Field::MaxAttempts => int(job.max_attempts),
            Field::CreatedAt => time(&job.created_at),
            Field::ScheduledAt => time(&job.scheduled_at),
            Field::StartedAt => time(&job.started_at),
            Field::FinishedAt => time(&job.finished_at),
            Field::State => match &c.value {
                Value::State(s) => (job.state == *s as i32) == (c.op == Op::Eq),
                _ => unreachable!(),
            },
            Field::Tags => match &c.value {
                Value::String(v) => job.tags.contains(v),
                _ => unreachable!(),
            },
            Field::Payload => match &c.value {
                Value::String(v) => lower_contains(&String::from_utf8_lossy(&job.payload), v),
                _ => unreachable!(),
            },
            Field::Text => unreachable!("free text is tested against the search index"),
            Field::PayloadPath(path) => {
                let Ok(root) = serde_json::from_slice::<Json>(&job.payload) else {
                    return false;
                };
                let mut at = &root;
                for step in path {
                    let next = match step {
                        PathStep::Key(k) => at.as_object().and_then(|m| m.get(k)),
                        PathStep::Index(i) => at.as_array().and_then(|a| a.get(*i as usize)),
                    };
                    match next {
                        Some(next) => at = next,
                        None => return false,
                    }
                }
                json_reference(at, c.op, &c.value)
            }
        }
    }

    fn json_reference(found: &Json, op: Op, value: &Value) -> bool {
        let same = |item: &Json| json_equal(item, value);
        match (op, found, value) {
            (Op::Has, Json::Array(items), _) => items.iter().any(same),
            (Op::Has, Json::Object(map), Value::String(k)) => map.contains_key(k),
            (Op::Has, Json::Object(_), _) => false,
            (Op::Has, Json::String(s), Value::String(v)) => lower_contains(s, v),
            (Op::Has, Json::String(_), _) => false,
            (Op::Has, other, _) => same(other),
            (Op::Ne, other, Value::Null) => !other.is_null(),
            (_, Json::String(s), Value::String(v)) => by_op(s.as_str(), op, v.as_str()),
            (_, Json::Number(n), Value::Int(v)) => match n.as_i64() {
                Some(n) => by_op(n, op, *v),
                None => by_op(n.as_f64().unwrap(), op, *v as f64),
            },
            (_, Json::Number(n), Value::Float(v)) => by_op(n.as_f64().unwrap(), op, *v),
            (_, Json::Bool(b), Value::Bool(v)) => by_op(b, op, v),
            (_, Json::Null, Value::Null) => op == Op::Eq,
            _ => false,
        }
    }

    /// Array elements match `:` by equality, with numbers compared numerically.
    fn json_equal(found: &Json, value: &Value) -> bool {
        !found.is_array() && !found.is_object() && json_reference(found, Op::Eq, value)
    }

    /// Writes a filter any of the ways FILTER.md allows, not only canonically: optional and
    /// varied whitespace, `-` for NOT, redundant parentheses, quoted keys, escapes, padded
    /// numbers, other exponent forms, offsets and fraction digits in timestamps, state names in
    /// any case. Choices come from a xorshift seed so that a failure replays.
    struct Spelling(u64);

    impl Spelling {
        fn pick(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }

        fn coin(&mut self) -> bool {
            self.pick(2) == 0
        }

        /// Where whitespace may go.
        fn gap(&mut self) -> &'static str {
            ["", "", " ", "  ", "\t", "\n", " \r\n "][self.pick(7) as usize]
        }

        /// Where whitespace must go: around keywords.
        fn space(&mut self) -> &'static str {
            [" ", " ", "\t", "\n  ", "   "][self.pick(5) as usize]
        }

        fn parens(&mut self, inner: String) -> String {
            format!("({}{inner}{})", self.gap(), self.gap())
        }

        fn filter(&mut self, expr: &Expr) -> String {
            format!("{}{}{}", self.gap(), self.expr(expr), self.gap())
        }

        fn expr(&mut self, expr: &Expr) -> String {
            let text = match expr {
                Expr::And(operands) => self.join(operands, "AND"),
                Expr::Or(operands) => self.join(operands, "OR"),
                Expr::Not(operand) => {
                    let operand = self.operand(operand);
                    if self.coin() {
                        format!("-{}{operand}", self.gap())
                    } else {
                        format!("NOT{}{operand}", self.space())
                    }
                }
                Expr::Compare(c) => format!(
                    "{}{}{}{}{}",
                    self.field(&c.field),
                    self.gap(),
                    c.op.symbol(),
                    self.gap(),
                    self.value(&c.value)
                ),
            };
            if self.pick(4) == 0 {
                self.parens(text)
            } else {
                text
            }
        }

        /// An AND or OR inside another or under NOT needs parentheses.
        fn operand(&mut self, expr: &Expr) -> String {
            let text = self.expr(expr);
            match expr {
                Expr::And(_) | Expr::Or(_) => self.parens(text),
                _ => text,
            }
        }

        fn join(&mut self, operands: &[Expr], keyword: &str) -> String {
            let mut text = String::new();
            for (i, operand) in operands.iter().enumerate() {
                if i > 0 {
                    text += self.space();
                    text += keyword;
                    text += self.space();
                }
                text += &self.operand(operand);
            }
            text
        }

        fn field(&mut self, field: &Field) -> String {
            match field {
                Field::Header(name) => format!("headers.{}", self.key(name)),
                Field::PayloadPath(path) => {
                    let mut text = String::from("payload");
                    for step in path {
                        match step {
                            PathStep::Key(key) => text += &format!(".{}", self.key(key)),
                            PathStep::Index(i) => text += &format!("[{}{i}]", self.zeros()),
                        }
                    }
                    text
                }
                _ => field.to_string(),
            }
        }

        fn key(&mut self, key: &str) -> String {
            let bare = !key.is_empty()
                && key
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-');
            if bare && self.coin() {
                key.to_owned()
            } else {
                self.string(key)
            }
        }

        fn zeros(&mut self) -> String {
            "0".repeat(self.pick(3) as usize)
        }

        fn value(&mut self, value: &Value) -> String {
            match value {
                Value::String(text) => self.string(text),
                Value::Int(n) if *n < 0 => format!("-{}{}", self.zeros(), n.unsigned_abs()),
                Value::Int(n) => format!("{}{n}", self.zeros()),
                Value::Float(x) => match self.pick(3) {
                    0 => format!("{x:?}"),
                    1 => format!("{x:e}"),
                    _ => format!("{x:E}"),
                },
                Value::Bool(_) | Value::Null => value.to_string(),
                Value::Time(instant) => {
                    let text = self.time(*instant);
                    self.string(&text)
                }
                Value::State(_) => {
                    let name = value.to_string().replace('"', "");
                    let name: String = name
                        .chars()
                        .map(|c| {
                            if self.coin() {
                                c.to_ascii_uppercase()
                            } else {
                                c
                            }
                        })
                        .collect();
                    self.string(&name)
                }
            }
        }

        /// The instant printed at a UTC offset: its wall-clock time there, then the offset.
        fn time(&mut self, instant: Instant) -> String {
            let mut minutes = self.pick(2 * 1439 + 1) as i64 - 1439;
            let shifted = instant.seconds + minutes * 60;
            // Only years 1 to 9999 print in four digits.
            if !(-62_135_596_800..=253_402_300_799).contains(&shifted) {
                minutes = 0;
            }
            let wall = Instant {
                seconds: instant.seconds + minutes * 60,
                nanos: instant.nanos,
            }
            .to_string();
            let mut text = wall.trim_end_matches('Z').to_owned();
            // Trailing zeros in the fraction, up to nine digits.
            let digits = text
                .split_once('.')
                .map_or(0, |(_, fraction)| fraction.len());
            let padding = self.pick(10 - digits as u64) as usize;
            if digits == 0 && padding > 0 {
                text.push('.');
            }
            text += &"0".repeat(padding);
            if self.coin() {
                text = text.replace('T', "t");
            }
            let zone = match minutes {
                0 if self.coin() => ["Z", "z"][self.pick(2) as usize].to_owned(),
                _ => {
                    let sign = if minutes < 0 { '-' } else { '+' };
                    let minutes = minutes.abs();
                    format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
                }
            };
            text + &zone
        }

        /// A quoted string, each character as itself, a short escape or `\uXXXX`.
        fn string(&mut self, text: &str) -> String {
            let mut quoted = String::from('"');
            for c in text.chars() {
                let short = match c {
                    '"' => Some("\\\""),
                    '\\' => Some("\\\\"),
                    '\n' => Some("\\n"),
                    '\r' => Some("\\r"),
                    '\t' => Some("\\t"),
                    _ => None,
                };
                let must = matches!(c, '"' | '\\');
                if u32::from(c) <= 0xffff && self.pick(4) == 0 {
                    let hex = format!("{:04x}", u32::from(c));
                    quoted += "\\u";
                    quoted += &if self.coin() { hex.to_uppercase() } else { hex };
                } else if let Some(short) = short.filter(|_| must || self.coin()) {
                    quoted += short;
                } else {
                    quoted.push(c);
                }
            }
            quoted.push('"');
            quoted
        }
    }

    /// Comparisons with the values at the edges of what parses, to join into filters.
    fn edge_clause() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "priority >= -9223372036854775808",
            "attempts < 9223372036854775807",
            "max_attempts != 0",
            "payload[4294967295] = 1e308",
            "payload.big > -1.7976931348623157e308",
            "payload.neg <= -9223372036854775808",
            "payload.items[0].sku : \"x1\"",
            "payload.\"\".\"\" != null",
            "payload.customer : \"email\"",
            "payload : \"\"",
            "payload.n >= 5e-324",
            "payload.n = -0.0",
            "headers.\"a.b\" > \"\\u0000\"",
            "tags : \"\"",
            "state != \"DELETED\"",
            "created_at < \"9999-12-31T23:59:59.999999999Z\"",
            "finished_at >= \"0001-01-01T00:00:00Z\"",
            "created_at > \"0000-01-01T00:00:00+00:01\"",
            "created_at != \"9999-12-31T23:59:59-00:01\"",
            "scheduled_at = \"2024-02-29t23:59:59.5+23:59\"",
            "started_at != \"2000-03-01T00:00:00.000000001-23:59\"",
            "error : \"\u{10ffff}\"",
            "id <= \"\"",
        ])
    }

    /// Text that often parses: edge clauses, keywords and parentheses in any order.
    fn clause_soup() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                3 => edge_clause(),
                2 => prop::sample::select(vec![" AND ", " OR ", "NOT ", "-", "(", ")", " "]),
            ],
            1..12,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest! {
        #[test]
        fn every_spelling_the_grammar_allows_parses_to_the_same_filter(
            expr in expr(),
            seed in any::<u64>(),
        ) {
            let text = Spelling(seed | 1).filter(&expr);
            prop_assert_eq!(Filter::parse(&text), Ok(Filter::from(expr)), "{:?}", text);
        }

        #[test]
        fn any_parsed_filter_evaluates_on_any_job(
            text in prop_oneof![
                clause_soup(),
                (expr(), any::<u64>()).prop_map(|(expr, seed)| Spelling(seed | 1).filter(&expr)),
            ],
            jobs in prop::collection::vec(job(), 4),
        ) {
            for parse in [Filter::parse, Filter::parse_search] {
                if let Ok(filter) = parse(&text) {
                    prop_assert_eq!(parse(&filter.to_string()), Ok(filter.clone()), "{:?}", text);
                    for job in &jobs {
                        filter.matches(job);
                    }
                }
            }
        }
    }

    /// A refusal names a place between two characters of the text, and says something.
    fn refusal_points_inside(text: &str, error: &FilterError) -> Result<(), TestCaseError> {
        prop_assert!(
            text.is_char_boundary(error.position),
            "{:?}: {}",
            text,
            error
        );
        prop_assert!(!error.message.is_empty(), "{:?}: {}", text, error);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn printing_then_parsing_gives_the_same_filter(expr in expr()) {
            let filter = Filter::from(expr);
            let text = filter.to_string();
            prop_assert_eq!(Filter::parse(&text), Ok(filter), "{}", text);
        }

        #[test]
        fn search_queries_print_then_parse_the_same(
            expr in search_expr(),
        ) {
            let filter = Filter::from(expr);
            let text = filter.to_string();
            prop_assert_eq!(Filter::parse_search(&text), Ok(filter), "{}", text);
        }

        #[test]
        fn any_search_text_parses_or_fails_at_a_position_inside_it(
            text in prop_oneof![
                any::<String>(),
                prop::collection::vec(
                    prop::sample::select(vec![
                        "type", "payload", ".a", "timeout", "user@example.com", " ", "=", ":",
                        "\"x y\"", "%", "*", "_", "\\", "'", ";", "AND", "OR", "NOT", "NEAR",
                        "-", "(", ")", "\"", "é", "state", "\"dead\"", "50%",
                    ]),
                    0..24,
                )
                .prop_map(|parts| parts.concat()),
            ],
        ) {
            match Filter::parse_search(&text) {
                Ok(filter) => {
                    prop_assert_eq!(Filter::parse_search(&filter.to_string()), Ok(filter))
                }
                Err(error) => refusal_points_inside(&text, &error)?,
            }
        }

        #[test]
        fn any_text_parses_or_fails_at_a_position_inside_it(
            text in prop_oneof![
                any::<String>(),
                prop::collection::vec(
                    prop::sample::select(vec![
                        "type", "payload", ".a", "[0]", "headers", ".\"k\"", " ", "=", "!=", ":",
                        "<", ">=", "\"x\"", "\"\\u00e9\"", "3", "-2.5e3", "true", "null",
                        "AND", "OR", "NOT", "-", "(", ")", "\"", "\\", "é", "state", "\"dead\"",
                    ]),
                    0..24,
                )
                .prop_map(|parts| parts.concat()),
            ],
        ) {
            match Filter::parse(&text) {
                Ok(filter) => prop_assert_eq!(Filter::parse(&filter.to_string()), Ok(filter)),
                Err(error) => refusal_points_inside(&text, &error)?,
            }
        }

        #[test]
        fn evaluation_agrees_with_the_reference(
            expr in expr(),
            jobs in prop::collection::vec(job(), 8),
        ) {
            let filter = Filter::from(expr.clone());
            for job in &jobs {
                prop_assert_eq!(filter.matches(job), reference(&expr, job), "{} on {:?}", filter, job);
            }
        }

        #[test]
        fn each_comparison_agrees_with_the_reference(
            comparison in comparison(),
            jobs in prop::collection::vec(job(), 16),
        ) {
            let expr = Expr::Compare(comparison);
            let filter = Filter::from(expr.clone());
            for job in &jobs {
                prop_assert_eq!(filter.matches(job), reference(&expr, job), "{} on {:?}", filter, job);
            }
        }
    }
}

#[test]
fn search_queries_take_free_text_and_print_canonically() {
    let cases = [
        ("timeout", "\"timeout\""),
        ("\"user@example.com\"", "\"user@example.com\""),
        ("user@example.com", "\"user@example.com\""),
        ("1234", "\"1234\""),
        ("order-1234", "\"order-1234\""),
        ("smtp timeout", "\"smtp\" AND \"timeout\""),
        ("smtp AND timeout", "\"smtp\" AND \"timeout\""),
        ("smtp OR timeout", "\"smtp\" OR \"timeout\""),
        ("-smtp", "NOT \"smtp\""),
        ("NOT \"a b\"", "NOT \"a b\""),
        ("(a OR b) c", "(\"a\" OR \"b\") AND \"c\""),
        (
            "payload.email = \"user@example.com\" AND state = \"dead\"",
            "payload.email = \"user@example.com\" AND state = \"dead\"",
        ),
        (
            "type = \"send-email\" OR error:\"smtp\"",
            "type = \"send-email\" OR error : \"smtp\"",
        ),
        ("error smtp", "\"error\" AND \"smtp\""),
        (
            "\"AND\" \"NEAR\" \"*x*\"",
            "\"AND\" AND \"NEAR\" AND \"*x*\"",
        ),
        (
            "\"'; DROP TABLE archived_jobs; --\"",
            "\"'; DROP TABLE archived_jobs; --\"",
        ),
        ("50% off_sale", "\"50%\" AND \"off_sale\""),
        ("\"back\\\\slash\"", "\"back\\\\slash\""),
    ];
    for (text, canonical) in cases {
        let filter = Filter::parse_search(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        assert_eq!(filter.to_string(), canonical, "{text:?}");
        assert_eq!(Filter::parse_search(canonical), Ok(filter), "{canonical:?}");
    }
    let text_term = |phrase: &str| {
        Expr::Compare(Comparison {
            field: Field::Text,
            op: Op::Has,
            value: Value::String(phrase.into()),
        })
    };
    assert_eq!(
        Filter::parse_search("smtp \"connection refused\"").unwrap(),
        Filter::from(Expr::And(vec![
            text_term("smtp"),
            text_term("connection refused")
        ]))
    );
    assert!(Filter::parse_search("timeout").unwrap().reads_payload());
}

#[test]
fn free_text_is_refused_outside_search_and_wordless_text_everywhere() {
    let hint = |shown: &str| {
        format!(
            "free text such as {shown} is only for search (SearchJobs, zenith search); here \
             write a comparison such as error : \"timeout\""
        )
    };
    let cases: Vec<(&str, usize, String)> = vec![
        ("timeout", 0, hint("\"timeout\"")),
        ("\"timeout\"", 0, hint("\"timeout\"")),
        ("type = \"a\" AND 1234", 15, hint("\"1234\"")),
        (
            "type = \"a\" smtp",
            11,
            "expected AND, OR or end of filter, found smtp".into(),
        ),
    ];
    for (text, position, message) in cases {
        assert_eq!(
            Filter::parse(text),
            Err(FilterError { position, message }),
            "{text:?}"
        );
    }
    let cases: Vec<(&str, usize, String)> = vec![
        (
            "*",
            0,
            "\"*\" has no letters or digits to search for".into(),
        ),
        (
            "a \"%\"",
            2,
            "\"%\" has no letters or digits to search for".into(),
        ),
        (
            "'; DROP",
            0,
            "\"';\" has no letters or digits to search for".into(),
        ),
        (
            "tpye = \"x\"",
            0,
            "unknown field \"tpye\"; fields are id, queue, type, state, error, stack_trace, \
             content_type, unique_key, cancel_reason, priority, attempts, max_attempts, \
             created_at, scheduled_at, started_at, finished_at, tags, headers.<name>, \
             payload, payload.<path>"
                .into(),
        ),
        (
            "type =",
            6,
            "expected a value after \"=\", found end of filter".into(),
        ),
        ("\"open", 0, "unterminated string: no closing \"".into()),
        (
            "a b OR c",
            4,
            "AND and OR cannot be mixed without parentheses (terms side by side are joined \
             by AND); group them, as in (a AND b) OR c"
                .into(),
        ),
        (
            "a and b",
            2,
            "keywords are uppercase: write AND instead of and".into(),
        ),
    ];
    for (text, position, message) in cases {
        assert_eq!(
            Filter::parse_search(text),
            Err(FilterError { position, message }),
            "{text:?}"
        );
    }
}

/// The job's words, as search matches them: a phrase matches only as whole consecutive words.
#[test]
fn free_text_matches_whole_words_in_order() {
    let job = Job {
        id: "job-42".into(),
        r#type: "send-email".into(),
        payload: br#"{"email":"User@Example.com","note":"50% off_sale"}"#.to_vec(),
        last_error: "SMTP timeout after 30s".into(),
        ..Job::default()
    };
    let cases = [
        ("timeout", true),
        ("TIMEOUT", true),
        ("time", false),
        ("\"smtp timeout\"", true),
        ("\"timeout smtp\"", false),
        ("smtp timeout", true),
        ("user@example.com", true),
        ("\"example user\"", false),
        ("job-42", true),
        ("42", true),
        ("send-email", true),
        ("\"50%\"", true),
        ("off_sale", true),
        ("NOT timeout", false),
        ("missing OR timeout", true),
        ("timeout AND state = \"dead\"", false),
    ];
    for (query, expected) in cases {
        let filter = Filter::parse_search(query).unwrap();
        assert_eq!(filter.matches(&job), expected, "{query}");
    }
}

/// The ```text blocks of a document, as lists of lines.
fn text_blocks(document: &str) -> Vec<Vec<&str>> {
    document
        .split("```text\n")
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap().lines().collect())
        .collect()
}

#[test]
fn documented_search_examples_parse() {
    let search_md = text_blocks(include_str!("../../proto/zenith/v1/SEARCH.md"));
    for line in &search_md[0] {
        let query = Filter::parse_search(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert_eq!(Filter::parse_search(&query.to_string()), Ok(query));
    }
}

#[test]
fn documented_examples_parse() {
    let filter_md = text_blocks(include_str!("../../proto/zenith/v1/FILTER.md"));
    let readme = text_blocks(include_str!("../../README.md"));
    for line in filter_md[0].iter().chain(&readme[0]) {
        let filter = Filter::parse(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert_eq!(filter.to_string(), *line);
    }
    let canonical = filter_md
        .iter()
        .find(|block| block[0].contains('→'))
        .unwrap();
    for line in canonical {
        let (text, printed) = line.split_once('→').unwrap();
        assert_eq!(
            Filter::parse(text).unwrap().to_string(),
            printed.trim(),
            "{line}"
        );
    }
}

#[test]
fn pathological_search_queries_parse_in_linear_time() {
    let cases = [
        "b.\"x\"".repeat(3_000),
        "a ".repeat(8_000),
        "payload.\"k\"[0]".repeat(1_000),
        "\"x\" ".repeat(4_000),
        "(".repeat(64) + "a" + &")".repeat(64),
    ];
    for text in cases {
        let text = &text[..text.len().min(16 * 1024)];
        let started = Clock::now();
        let _ = Filter::parse_search(text);
        let _ = Filter::parse(text);
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "{} bytes took {:?}",
            text.len(),
            started.elapsed()
        );
    }
}
