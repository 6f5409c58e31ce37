//! SearchJobs and GetJobHistory through real gRPC against a real server on a real SQLite file,
//! with the archive seeded through the store as the archiver would write it.

mod common;

use common::Harness;
use prost_types::Timestamp;
use tonic::Code;
use tonic::transport::Channel;
use zenith_proto::v1::archive_service_client::ArchiveServiceClient;
use zenith_proto::v1::*;
use zenith_server::archive::store::{ArchiveBatch, EventRecord, JobRecord};
use zenith_server::archive::{SharedArchive, store, text};
use zenith_server::db::Database;

/// 2026-11-01T00:00:00Z in ms.
const NOV_1_MS: i64 = 1_793_491_200_000;
const HOUR_MS: i64 = 3_600_000;

struct Fixture {
    // Fields drop in order: clients, the server, then the database file.
    archive: ArchiveServiceClient<Channel>,
    harness: Harness,
    store: SharedArchive,
    _dir: tempfile::TempDir,
}

impl Fixture {
    /// A database seeded by `seed` before the server starts on it.
    async fn start(seed: &[ArchiveBatch]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("z.db").display());
        let db = Database::connect(&url).await.expect("open database");
        let store = store::open(&db);
        for batch in seed {
            store.record(batch).await.expect("seed archive");
        }
        let harness = Harness::start_with(&["--database-url", &url]).await;
        let archive = ArchiveServiceClient::connect(harness.server.url())
            .await
            .expect("connect archive client");
        Self {
            archive,
            harness,
            store,
            _dir: dir,
        }
    }

    async fn search(
        &mut self,
        request: SearchJobsRequest,
    ) -> Result<SearchJobsResponse, tonic::Status> {
        self.archive
            .search_jobs(request)
            .await
            .map(tonic::Response::into_inner)
    }

    async fn query(&mut self, query: &str) -> SearchJobsResponse {
        self.search(SearchJobsRequest {
            query: query.into(),
            ..Default::default()
        })
        .await
        .unwrap_or_else(|status| panic!("{query}: {status:?}"))
    }

    async fn history(
        &mut self,
        id: &str,
        page_size: i32,
        page_token: &str,
    ) -> Result<GetJobHistoryResponse, tonic::Status> {
        self.archive
            .get_job_history(GetJobHistoryRequest {
                id: id.into(),
                page_size,
                page_token: page_token.into(),
            })
            .await
            .map(tonic::Response::into_inner)
    }
}

fn timestamp(ms: i64) -> Timestamp {
    Timestamp {
        seconds: ms.div_euclid(1000),
        nanos: (ms.rem_euclid(1000) * 1_000_000) as i32,
    }
}

fn job(id: &str, queue: &str, job_type: &str, payload: &str, state: JobState) -> Job {
    Job {
        id: id.into(),
        queue: queue.into(),
        r#type: job_type.into(),
        payload: payload.as_bytes().to_vec(),
        content_type: "application/json".into(),
        state: state as i32,
        max_attempts: 5,
        ..Default::default()
    }
}

/// A finished job as the archiver records it.
fn finished(mut job: Job, created_ms: i64, error: &str) -> Job {
    job.created_at = Some(timestamp(created_ms));
    job.finished_at = Some(timestamp(created_ms + 60_000));
    job.last_error = error.into();
    job.attempts = 1;
    job
}

fn record(job: Job) -> JobRecord {
    JobRecord {
        text: text::search_text(&job),
        version: 0,
        job,
    }
}

fn batch(jobs: Vec<Job>) -> ArchiveBatch {
    ArchiveBatch {
        jobs: jobs.into_iter().map(record).collect(),
        events: Vec::new(),
    }
}

fn ids(response: &SearchJobsResponse) -> Vec<String> {
    response
        .hits
        .iter()
        .map(|hit| hit.job.as_ref().unwrap().id.clone())
        .collect()
}

fn invalid_field(status: &tonic::Status) -> String {
    use tonic_types::StatusExt;
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    status
        .get_details_error_info()
        .and_then(|info| info.metadata.get("field").cloned())
        .unwrap_or_default()
}

/// Archived jobs a1..a4 and an archived version of `both-1`, recorded in that order an hour
/// apart from 2026-11-01; then `live-1` and `both-1` enqueued live and indexed at enqueue.
async fn seeded() -> Fixture {
    use JobState::*;
    let archived = vec![
        finished(
            job(
                "arch-welcome",
                "emails",
                "send-email",
                r#"{"email":"user@example.com","subject":"Welcome aboard"}"#,
                Completed,
            ),
            NOV_1_MS,
            "",
        ),
        finished(
            job(
                "arch-smtp",
                "emails",
                "send-email",
                r#"{"email":"other@example.com"}"#,
                Dead,
            ),
            NOV_1_MS + HOUR_MS,
            "SMTP timeout after 30s",
        ),
        finished(
            job(
                "arch-charge",
                "billing",
                "charge-card",
                r#"{"order":"1234","note":"50% off_sale C:\\temp\\report"}"#,
                Dead,
            ),
            NOV_1_MS + 2 * HOUR_MS,
            "card declined",
        ),
        finished(
            job(
                "arch-inject",
                "billing",
                "refund",
                r#"{"order":"5678","text":"'; DROP TABLE archived_jobs; -- x AND y NEAR z * \"quoted\""}"#,
                Completed,
            ),
            NOV_1_MS + 3 * HOUR_MS,
            "",
        ),
        finished(
            job(
                "both-1",
                "emails",
                "send-email",
                r#"{"email":"both@example.com"}"#,
                Dead,
            ),
            NOV_1_MS + 4 * HOUR_MS,
            "old failure",
        ),
    ];
    let seed: Vec<ArchiveBatch> = archived.into_iter().map(|j| batch(vec![j])).collect();
    let mut fixture = Fixture::start(&seed).await;
    for (id, payload) in [
        ("both-1", r#"{"email":"both@example.com"}"#),
        (
            "live-1",
            r#"{"email":"live@example.com","subject":"Welcome back"}"#,
        ),
    ] {
        let mut spec = common::spec("emails", "send-email");
        spec.id = id.into();
        spec.payload = payload.as_bytes().to_vec();
        fixture.harness.enqueue(spec).await;
        // Indexed at enqueue, as the archiver does: pending, not finished; a newer version of
        // `both-1`, whose row keeps its place.
        let mut indexed = record(fixture.harness.job(id).await);
        indexed.version = 1;
        fixture
            .store
            .record(&ArchiveBatch {
                jobs: vec![indexed],
                events: Vec::new(),
            })
            .await
            .unwrap();
    }
    fixture
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_live_and_archived_jobs_by_text_fields_and_filters() {
    let mut fixture = seeded().await;
    let all = [
        "live-1",
        "both-1",
        "arch-inject",
        "arch-charge",
        "arch-smtp",
        "arch-welcome",
    ];
    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("", all.to_vec()),
        // Free text: whole words, phrases in order, any case.
        ("timeout", vec!["arch-smtp"]),
        ("TIMEOUT", vec!["arch-smtp"]),
        ("time", vec![]),
        ("\"smtp timeout\"", vec!["arch-smtp"]),
        ("\"timeout smtp\"", vec![]),
        ("smtp timeout", vec!["arch-smtp"]),
        ("\"user@example.com\"", vec!["arch-welcome"]),
        ("user@example.com", vec!["arch-welcome"]),
        ("welcome", vec!["live-1", "arch-welcome"]),
        ("declined", vec!["arch-charge"]),
        ("refund", vec!["arch-inject"]),
        // Ids, as text and as a field.
        ("arch-charge", vec!["arch-charge"]),
        ("id = \"arch-charge\"", vec!["arch-charge"]),
        ("id = \"arch\"", vec![]),
        // Field terms.
        ("payload.email = \"user@example.com\"", vec!["arch-welcome"]),
        ("payload.email = \"user@example\"", vec![]),
        ("payload.order = \"1234\"", vec!["arch-charge"]),
        ("error : \"smtp\"", vec!["arch-smtp"]),
        ("error = \"card declined\"", vec!["arch-charge"]),
        ("type = \"refund\"", vec!["arch-inject"]),
        ("queue = \"billing\"", vec!["arch-inject", "arch-charge"]),
        // Combinations.
        ("welcome AND state = \"pending\"", vec!["live-1"]),
        ("welcome AND state = \"completed\"", vec!["arch-welcome"]),
        (
            "type = \"send-email\" OR error : \"declined\"",
            vec![
                "live-1",
                "both-1",
                "arch-charge",
                "arch-smtp",
                "arch-welcome",
            ],
        ),
        (
            "example NOT other",
            vec!["live-1", "both-1", "arch-welcome"],
        ),
        ("example -other", vec!["live-1", "both-1", "arch-welcome"]),
        (
            "(declined OR timeout) AND type = \"charge-card\"",
            vec!["arch-charge"],
        ),
        (
            "payload.email = \"user@example.com\" AND state = \"dead\"",
            vec![],
        ),
        ("queue = \"emails\" AND queue = \"billing\"", vec![]),
        // Created range in the query.
        (
            "created_at >= \"2026-11-01T02:00:00Z\" AND created_at < \"2026-11-01T04:00:00Z\"",
            vec!["arch-inject", "arch-charge"],
        ),
        // Quotes, %, _, backslashes, SQL and FTS syntax are literal text.
        ("\"50%\"", vec!["arch-charge"]),
        ("50%", vec!["arch-charge"]),
        ("off_sale", vec!["arch-charge"]),
        ("\"C:\\\\temp\\\\report\"", vec!["arch-charge"]),
        ("\"'; DROP TABLE archived_jobs; --\"", vec!["arch-inject"]),
        ("\"AND\"", vec!["arch-inject"]),
        ("\"x AND y NEAR z\"", vec!["arch-inject"]),
        ("NEAR", vec!["arch-inject"]),
        ("\"NEAR(x y)\"", vec![]),
        ("\"* \\\"quoted\\\"\"", vec!["arch-inject"]),
        ("\"quoted*\"", vec!["arch-inject"]),
        ("\"z OR 1=1\"", vec![]),
    ];
    for (query, expected) in cases {
        let response = fixture.query(query).await;
        assert_eq!(ids(&response), expected, "{query}");
        assert!(response.next_page_token.is_empty(), "{query}");
    }
    // Nothing was executed: every job is still there.
    assert_eq!(ids(&fixture.query("").await), all);

    // Sources: Redis wins for a job in both stores.
    let response = fixture.query("").await;
    for hit in &response.hits {
        let job = hit.job.as_ref().unwrap();
        let expected = if job.id.starts_with("arch-") {
            JobSource::Archive
        } else {
            JobSource::Live
        };
        assert_eq!(hit.source(), expected, "{}", job.id);
    }
    let both = fixture.query("both@example.com").await;
    assert_eq!(ids(&both), ["both-1"]);
    let hit = &both.hits[0];
    assert_eq!(hit.source(), JobSource::Live);
    assert_eq!(hit.job.as_ref().unwrap().state(), JobState::Pending);
    assert_eq!(hit.job.as_ref().unwrap().last_error, "");

    // Redis answers for a job that moved on since it was recorded.
    let reserved = fixture
        .harness
        .reserve("emails", 2, std::time::Duration::from_secs(60))
        .await;
    assert_eq!(reserved.len(), 2);
    let live = fixture.query("live@example.com").await;
    assert_eq!(ids(&live), ["live-1"]);
    assert_eq!(live.hits[0].source(), JobSource::Live);
    assert_eq!(live.hits[0].job.as_ref().unwrap().state(), JobState::Active);
    let active = fixture.query("state = \"active\"").await;
    assert_eq!(ids(&active), ["live-1", "both-1"]);

    // The request's own filters, checked against live state.
    let filtered = |queues: &[&str], states: &[JobState], types: &[&str]| SearchJobsRequest {
        queues: queues.iter().map(|q| (*q).into()).collect(),
        states: states.iter().map(|s| *s as i32).collect(),
        types: types.iter().map(|t| (*t).into()).collect(),
        ..Default::default()
    };
    let cases: Vec<(SearchJobsRequest, Vec<&str>)> = vec![
        // Recorded pending at enqueue, active in Redis now.
        (
            filtered(&[], &[JobState::Dead], &[]),
            vec!["arch-charge", "arch-smtp"],
        ),
        (filtered(&[], &[JobState::Pending], &[]), vec![]),
        (
            filtered(&[], &[JobState::Active], &[]),
            vec!["live-1", "both-1"],
        ),
        (
            filtered(&["billing"], &[], &[]),
            vec!["arch-inject", "arch-charge"],
        ),
        (filtered(&[], &[], &["refund"]), vec!["arch-inject"]),
        (
            filtered(&["emails"], &[JobState::Completed], &["send-email"]),
            vec!["arch-welcome"],
        ),
        (
            SearchJobsRequest {
                query: "type = \"send-email\"".into(),
                types: vec!["refund".into()],
                ..Default::default()
            },
            vec![],
        ),
        (
            SearchJobsRequest {
                created_after: Some(timestamp(NOV_1_MS + 2 * HOUR_MS)),
                created_before: Some(timestamp(NOV_1_MS + 4 * HOUR_MS)),
                ..Default::default()
            },
            vec!["arch-inject", "arch-charge"],
        ),
    ];
    for (request, expected) in cases {
        let response = fixture.search(request.clone()).await.unwrap();
        assert_eq!(ids(&response), expected, "{request:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_refuses_bad_input_naming_the_field() {
    let mut fixture = seeded().await;
    let first = fixture
        .search(SearchJobsRequest {
            query: "example".into(),
            page_size: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(!first.next_page_token.is_empty());
    let cases: Vec<(SearchJobsRequest, &str, &str)> = vec![
        (
            SearchJobsRequest {
                page_token: "zz".into(),
                ..Default::default()
            },
            "page_token",
            "not a token",
        ),
        (
            SearchJobsRequest {
                query: "welcome".into(),
                page_token: first.next_page_token.clone(),
                ..Default::default()
            },
            "page_token",
            "different query",
        ),
        (
            SearchJobsRequest {
                query: "example".into(),
                queues: vec!["emails".into()],
                page_token: first.next_page_token.clone(),
                ..Default::default()
            },
            "page_token",
            "different query",
        ),
        (
            SearchJobsRequest {
                page_size: -1,
                ..Default::default()
            },
            "page_size",
            "negative",
        ),
        (
            SearchJobsRequest {
                states: vec![JobState::Unspecified as i32],
                ..Default::default()
            },
            "states",
            "not a job state",
        ),
        (
            SearchJobsRequest {
                states: vec![99],
                ..Default::default()
            },
            "states",
            "not a job state",
        ),
        (
            SearchJobsRequest {
                created_after: Some(timestamp(NOV_1_MS)),
                created_before: Some(timestamp(NOV_1_MS)),
                ..Default::default()
            },
            "created_before",
            "later than created_after",
        ),
        (
            SearchJobsRequest {
                queues: vec!["bad queue!".into()],
                ..Default::default()
            },
            "queues",
            "not allowed",
        ),
        (
            SearchJobsRequest {
                query: "type = ".into(),
                ..Default::default()
            },
            "query",
            "at position 7: expected a value",
        ),
        (
            SearchJobsRequest {
                query: "(timeout".into(),
                ..Default::default()
            },
            "query",
            "at position 8",
        ),
        (
            SearchJobsRequest {
                query: "\"*\"".into(),
                ..Default::default()
            },
            "query",
            "no letters or digits",
        ),
        (
            SearchJobsRequest {
                query: "%".into(),
                ..Default::default()
            },
            "query",
            "no letters or digits",
        ),
        (
            SearchJobsRequest {
                query: "timeout AND".into(),
                ..Default::default()
            },
            "query",
            "after AND",
        ),
    ];
    for (request, field, message) in cases {
        let status = fixture.search(request.clone()).await.unwrap_err();
        assert_eq!(invalid_field(&status), field, "{request:?}: {status:?}");
        assert!(
            status.message().contains(message),
            "{request:?}: {}",
            status.message()
        );
    }
    // The same token with its own query goes on.
    let second = fixture
        .search(SearchJobsRequest {
            query: "example".into(),
            page_size: 1,
            page_token: first.next_page_token.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(ids(&first), ["live-1"]);
    assert_eq!(ids(&second), ["both-1"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_pages_newest_first_without_gaps_and_stops_at_the_scan_budget() {
    // 300 jobs with the word, 50 without, interleaved; then 5,100 jobs the index cannot narrow
    // a substring query over, with the one match the oldest.
    let mut paged = Vec::new();
    for i in 0..350 {
        let word = if i % 7 == 3 { "haystack" } else { "needle" };
        paged.push(finished(
            job(
                &format!("page-{i:03}"),
                "paged",
                "scan",
                &format!(r#"{{"n":{i},"word":"{word}"}}"#),
                JobState::Completed,
            ),
            NOV_1_MS + i * 1000,
            "",
        ));
    }
    let mut scan = Vec::new();
    for i in 0..5_100 {
        let error = if i == 0 {
            "rare failure"
        } else {
            "common failure"
        };
        scan.push(finished(
            job(
                &format!("scan-{i:04}"),
                "scan",
                "scan",
                "{}",
                JobState::Dead,
            ),
            NOV_1_MS + i * 1000,
            error,
        ));
    }
    let seed: Vec<ArchiveBatch> = std::iter::once(batch(paged.clone()))
        .chain(scan.chunks(1_000).map(|chunk| batch(chunk.to_vec())))
        .collect();
    let mut fixture = Fixture::start(&seed).await;

    let expected: Vec<String> = paged
        .iter()
        .rev()
        .filter(|job| String::from_utf8_lossy(&job.payload).contains("needle"))
        .map(|job| job.id.clone())
        .collect();
    assert_eq!(expected.len(), 300);
    let mut seen = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let page = fixture
            .search(SearchJobsRequest {
                query: "needle".into(),
                page_size: 7,
                page_token: token.clone(),
                ..Default::default()
            })
            .await
            .unwrap();
        pages += 1;
        assert!(page.hits.len() <= 7);
        seen.extend(ids(&page));
        token = page.next_page_token;
        if token.is_empty() {
            break;
        }
        assert!(pages < 100, "paging never ends");
    }
    assert_eq!(seen, expected);
    assert_eq!(pages, 300usize.div_ceil(7));

    // Page sizes: 0 means 50; more than 500 means 500.
    let default = fixture.query("needle").await;
    assert_eq!(default.hits.len(), 50);
    let capped = fixture
        .search(SearchJobsRequest {
            queues: vec!["scan".into()],
            page_size: 100_000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(capped.hits.len(), 500);

    // A query the index cannot narrow over more than the budget: a partial page and a token.
    let request = SearchJobsRequest {
        query: "error : \"rare\"".into(),
        queues: vec!["scan".into()],
        ..Default::default()
    };
    let first = fixture.search(request.clone()).await.unwrap();
    assert_eq!(first.hits.len(), 0);
    assert_eq!(first.examined, 5_000);
    assert!(!first.next_page_token.is_empty());
    let second = fixture
        .search(SearchJobsRequest {
            page_token: first.next_page_token,
            ..request
        })
        .await
        .unwrap();
    assert_eq!(ids(&second), ["scan-0000"]);
    assert_eq!(second.examined, 100);
    assert!(second.next_page_token.is_empty());
}

fn event(kind: JobEventKind, at_ms: i64, attempt: i32) -> JobEvent {
    JobEvent {
        at: Some(timestamp(at_ms)),
        kind: kind as i32,
        state: JobState::Active as i32,
        attempt,
        worker: "node-1".into(),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_history_pages_the_timeline_from_either_store() {
    let mut fixture = seeded().await;
    let events: Vec<EventRecord> = (0..130)
        .map(|i| EventRecord {
            job_id: "arch-welcome".into(),
            queue: "emails".into(),
            entry: format!("{}-{i}", NOV_1_MS),
            event: event(JobEventKind::Reserved, NOV_1_MS + i, i as i32),
        })
        .chain([EventRecord {
            job_id: "live-1".into(),
            queue: "emails".into(),
            entry: format!("{}-0", NOV_1_MS + 1),
            event: JobEvent {
                actor: "cli:ops@host".into(),
                ..event(JobEventKind::Enqueued, NOV_1_MS + 1, 0)
            },
        }])
        .collect();
    fixture
        .store
        .record(&ArchiveBatch {
            jobs: Vec::new(),
            events,
        })
        .await
        .unwrap();

    let mut attempts = Vec::new();
    let mut token = String::new();
    let mut sizes = Vec::new();
    loop {
        let page = fixture.history("arch-welcome", 50, &token).await.unwrap();
        assert_eq!(page.source(), JobSource::Archive);
        assert_eq!(page.job.as_ref().unwrap().id, "arch-welcome");
        sizes.push(page.events.len());
        attempts.extend(page.events.iter().map(|e| e.attempt));
        token = page.next_page_token;
        if token.is_empty() {
            break;
        }
    }
    assert_eq!(sizes, [50, 50, 30]);
    assert_eq!(attempts, (0..130).collect::<Vec<_>>());
    let default = fixture.history("arch-welcome", 0, "").await.unwrap();
    assert_eq!(default.events.len(), 100);

    let live = fixture.history("live-1", 0, "").await.unwrap();
    assert_eq!(live.source(), JobSource::Live);
    assert_eq!(live.job.as_ref().unwrap().state(), JobState::Pending);
    assert_eq!(live.events.len(), 1);
    assert_eq!(live.events[0].actor, "cli:ops@host");
    assert!(live.next_page_token.is_empty());

    let status = fixture.history("nope", 0, "").await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    let status = fixture.history("bad id!", 0, "").await.unwrap_err();
    assert_eq!(invalid_field(&status), "id");
    let status = fixture.history("arch-welcome", -1, "").await.unwrap_err();
    assert_eq!(invalid_field(&status), "page_size");
    let status = fixture.history("arch-welcome", 0, "zz").await.unwrap_err();
    assert_eq!(invalid_field(&status), "page_token");
    let other = fixture.history("arch-welcome", 10, "").await.unwrap();
    let status = fixture
        .history("live-1", 10, &other.next_page_token)
        .await
        .unwrap_err();
    assert_eq!(invalid_field(&status), "page_token");
}
