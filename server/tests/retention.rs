//! Archive settings, retention and hourly metric roll-ups through a real Redis, a real SQLite
//! file and a real server. Archived rows are seeded through the store, as the archiver writes
//! them, so retention is tested without waiting days.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{Harness, duration, error_reason};
use tonic::Code;
use tonic::transport::Channel;
use zenith_proto::v1::archive_service_client::ArchiveServiceClient;
use zenith_proto::v1::queue_service_client::QueueServiceClient;
use zenith_proto::v1::worker_service_client::WorkerServiceClient;
use zenith_proto::v1::*;
use zenith_server::archive::SharedArchive;
use zenith_server::archive::store::{self, ArchiveBatch, EventRecord, JobRecord};
use zenith_server::db::Database;
use zenith_testkit::{RedisServer, ZenithServer};

const ZENITH: &str = env!("CARGO_BIN_EXE_zenith");
const HOUR_MS: i64 = 3_600_000;
const DAY: Duration = Duration::from_secs(24 * 3600);

fn database_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("z.db").display())
}

async fn open_store(dir: &Path) -> SharedArchive {
    let database = Database::connect(&database_url(dir))
        .await
        .expect("open database");
    store::open(&database)
}

async fn start(dir: &Path, args: &[&str]) -> (Harness, ArchiveServiceClient<Channel>) {
    let url = database_url(dir);
    let mut all = vec!["--database-url", url.as_str()];
    all.extend_from_slice(args);
    let h = Harness::start_with(&all).await;
    let archive = archive_client(&h.server).await;
    (h, archive)
}

async fn archive_client(server: &ZenithServer) -> ArchiveServiceClient<Channel> {
    ArchiveServiceClient::connect(server.url())
        .await
        .expect("connect to zenith")
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn timestamp(ms: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: ms.div_euclid(1000),
        nanos: (ms.rem_euclid(1000) * 1_000_000) as i32,
    }
}

/// A job that completed at `finished_ms`, with its enqueue and completion events, as the
/// archiver records them.
fn finished(queue: &str, id: &str, finished_ms: i64) -> ArchiveBatch {
    let job = Job {
        id: id.into(),
        queue: queue.into(),
        r#type: "send".into(),
        payload: format!(r#"{{"order":"{id}"}}"#).into_bytes(),
        content_type: "application/json".into(),
        state: JobState::Completed.into(),
        attempts: 1,
        created_at: Some(timestamp(finished_ms - 1000)),
        finished_at: Some(timestamp(finished_ms)),
        ..Job::default()
    };
    let event = |at: i64, kind: JobEventKind, state: JobState| EventRecord {
        job_id: id.into(),
        queue: queue.into(),
        entry: format!("{at}-0"),
        event: JobEvent {
            at: Some(timestamp(at)),
            kind: kind.into(),
            state: state.into(),
            ..JobEvent::default()
        },
    };
    ArchiveBatch {
        jobs: vec![JobRecord {
            text: format!("{id} send {id}"),
            version: finished_ms,
            job,
        }],
        events: vec![
            event(
                finished_ms - 1000,
                JobEventKind::Enqueued,
                JobState::Pending,
            ),
            event(finished_ms, JobEventKind::Completed, JobState::Completed),
        ],
    }
}

async fn seed(store: &SharedArchive, jobs: &[(&str, &str, i64)]) {
    for &(queue, id, finished_ms) in jobs {
        store
            .record(&finished(queue, id, finished_ms))
            .await
            .expect("record");
    }
}

async fn get_job(h: &mut Harness, id: &str) -> Result<GetJobResponse, tonic::Status> {
    h.queues
        .get_job(GetJobRequest {
            id: id.into(),
            queue: String::new(),
            ..Default::default()
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn update(
    archive: &mut ArchiveServiceClient<Channel>,
    request: UpdateArchiveSettingsRequest,
) -> Result<UpdateArchiveSettingsResponse, tonic::Status> {
    archive
        .update_archive_settings(request)
        .await
        .map(tonic::Response::into_inner)
}

async fn settings_of(
    archive: &mut ArchiveServiceClient<Channel>,
    queue: &str,
) -> GetArchiveSettingsResponse {
    archive
        .get_archive_settings(GetArchiveSettingsRequest {
            queue: queue.into(),
        })
        .await
        .expect("get archive settings")
        .into_inner()
}

fn retention_of(settings: &Option<ArchiveSettings>) -> Duration {
    let retention = settings.as_ref().unwrap().retention.unwrap();
    Duration::from_secs(retention.seconds as u64)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archive_settings_are_validated_kept_across_restarts_and_reset() {
    let dir = tempfile::tempdir().unwrap();
    let (mut h, mut archive) = start(dir.path(), &["--archive-retention", "7d"]).await;

    let emails = settings_of(&mut archive, "emails").await;
    assert!(emails.inherited);
    assert_eq!(retention_of(&emails.settings), 7 * DAY);
    assert!(emails.settings.unwrap().index_on_enqueue);

    let updated = update(
        &mut archive,
        UpdateArchiveSettingsRequest {
            queue: "emails".into(),
            retention: Some(duration(2 * DAY)),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(!updated.inherited);
    assert_eq!(retention_of(&updated.settings), 2 * DAY);
    // Setting one field keeps the other.
    let updated = update(
        &mut archive,
        UpdateArchiveSettingsRequest {
            queue: "emails".into(),
            index_on_enqueue: Some(false),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(retention_of(&updated.settings), 2 * DAY);
    assert!(!updated.settings.unwrap().index_on_enqueue);

    let list = archive
        .list_archive_settings(ListArchiveSettingsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retention_of(&list.defaults), 7 * DAY);
    assert!(list.defaults.unwrap().index_on_enqueue);
    let overrides: Vec<_> = list.overrides.iter().map(|o| o.queue.as_str()).collect();
    assert_eq!(overrides, ["emails"]);

    let bad = [
        (String::new(), Some(DAY), false, "queue"),
        ("bad queue".into(), Some(DAY), false, "queue"),
        (
            "emails".into(),
            Some(Duration::from_secs(1800)),
            false,
            "retention",
        ),
        ("emails".into(), Some(3651 * DAY), false, "retention"),
        ("emails".into(), Some(DAY), true, "reset"),
    ];
    for (queue, retention, reset, field) in bad {
        let status = update(
            &mut archive,
            UpdateArchiveSettingsRequest {
                queue: queue.clone(),
                retention: retention.map(duration),
                index_on_enqueue: None,
                reset,
            },
        )
        .await
        .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{queue}: {status:?}");
        assert_eq!(error_reason(&status), "INVALID_ARGUMENT");
        assert!(status.message().starts_with(field), "{status:?}");
    }
    let status = update(&mut archive, UpdateArchiveSettingsRequest::default())
        .await
        .unwrap_err();
    assert!(
        status.message().contains("--archive-retention"),
        "the defaults are configured, not updated: {status:?}"
    );
    let status = archive
        .get_archive_settings(GetArchiveSettingsRequest {
            queue: "a/b".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);

    // Another server on the same database sees the override.
    h.server.stop();
    h.server = ZenithServer::start_with(
        ZENITH.as_ref(),
        &h.redis.url(),
        &[
            "--database-url",
            &database_url(dir.path()),
            "--archive-retention",
            "7d",
        ],
    )
    .unwrap();
    let mut archive = archive_client(&h.server).await;
    let emails = settings_of(&mut archive, "emails").await;
    assert!(!emails.inherited);
    assert_eq!(retention_of(&emails.settings), 2 * DAY);

    let reset = update(
        &mut archive,
        UpdateArchiveSettingsRequest {
            queue: "emails".into(),
            reset: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(reset.inherited);
    assert_eq!(retention_of(&reset.settings), 7 * DAY);
    let list = archive
        .list_archive_settings(ListArchiveSettingsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(list.overrides.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prune_deletes_by_the_default_and_by_each_queues_retention() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path()).await;
    let now = now_ms();
    seed(
        &store,
        &[
            ("emails", "emails-old", now - 3 * HOUR_MS),
            ("emails", "emails-recent", now - HOUR_MS / 2),
            ("reports", "reports-old", now - 25 * HOUR_MS),
            ("reports", "reports-recent", now - 3 * HOUR_MS),
        ],
    )
    .await;
    // A long interval, so only PruneArchive deletes during the test.
    let (mut h, mut archive) = start(
        dir.path(),
        &[
            "--archive-retention",
            "24h",
            "--archive-prune-interval",
            "1h",
        ],
    )
    .await;
    update(
        &mut archive,
        UpdateArchiveSettingsRequest {
            queue: "emails".into(),
            retention: Some(duration(Duration::from_secs(2 * 3600))),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    // One queue: only its own old job goes.
    let pruned = archive
        .prune_archive(PruneArchiveRequest {
            queue: "emails".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((pruned.jobs_deleted, pruned.events_deleted), (1, 2));
    assert_eq!(store.count_jobs().await.unwrap(), 3);

    // Every queue: the default covers the queues without an override.
    let pruned = archive
        .prune_archive(PruneArchiveRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!((pruned.jobs_deleted, pruned.events_deleted), (1, 2));
    assert_eq!(store.count_jobs().await.unwrap(), 2);
    let again = archive
        .prune_archive(PruneArchiveRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!((again.jobs_deleted, again.events_deleted), (0, 0));

    for id in ["emails-old", "reports-old"] {
        let status = get_job(&mut h, id).await.unwrap_err();
        assert_eq!(status.code(), Code::NotFound, "{id}");
        assert!(
            store.job_events(id, None, 10).await.unwrap().is_empty(),
            "{id}: events pruned too"
        );
    }
    for id in ["emails-recent", "reports-recent"] {
        let found = get_job(&mut h, id).await.unwrap();
        assert_eq!(found.source(), JobSource::Archive, "{id}");
        assert_eq!(store.job_events(id, None, 10).await.unwrap().len(), 2);
    }

    let status = archive
        .prune_archive(PruneArchiveRequest {
            queue: "bad queue".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().starts_with("queue"), "{status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_background_loop_prunes_without_being_asked() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path()).await;
    let now = now_ms();
    seed(
        &store,
        &[
            ("emails", "old", now - 2 * HOUR_MS),
            ("emails", "recent", now - 60_000),
        ],
    )
    .await;
    let (mut h, _archive) = start(
        dir.path(),
        &[
            "--archive-retention",
            "1h",
            "--archive-prune-interval",
            "1s",
        ],
    )
    .await;
    let started = Instant::now();
    while get_job(&mut h, "old").await.is_ok() {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the old job was never pruned"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(store.count_jobs().await.unwrap(), 1);
    assert!(store.job_events("old", None, 10).await.unwrap().is_empty());
    assert_eq!(
        get_job(&mut h, "recent").await.unwrap().source(),
        JobSource::Archive
    );
}

/// Minute hashes as the scripts write them (see `flush_metrics` in lua/prelude.lua): counters
/// add up, `*_max` is the largest duration, `*_b<k>` count durations of k binary digits.
fn minute_fields() -> [Vec<(&'static str, i64)>; 2] {
    [
        vec![
            ("enqueued", 5),
            ("completed", 3),
            ("wait_n", 3),
            ("wait_sum", 6),
            ("wait_max", 3),
            ("wait_b1", 1),
            ("wait_b2", 2),
            ("run_n", 3),
            ("run_sum", 30),
            ("run_max", 20),
            ("run_b4", 2),
            ("run_b5", 1),
        ],
        vec![
            ("enqueued", 2),
            ("failed", 1),
            ("retried", 1),
            ("run_n", 1),
            ("run_sum", 100),
            ("run_max", 100),
            ("run_b7", 1),
        ],
    ]
}

fn rolled_fields() -> BTreeMap<String, i64> {
    [
        ("enqueued", 7),
        ("completed", 3),
        ("failed", 1),
        ("retried", 1),
        ("wait_n", 3),
        ("wait_sum", 6),
        ("wait_max", 3),
        ("wait_b1", 1),
        ("wait_b2", 2),
        ("run_n", 4),
        ("run_sum", 130),
        ("run_max", 100),
        ("run_b4", 2),
        ("run_b5", 1),
        ("run_b7", 1),
    ]
    .into_iter()
    .map(|(field, n)| (field.to_owned(), n))
    .collect()
}

fn millis(d: Option<prost_types::Duration>) -> i64 {
    let d = d.unwrap_or_default();
    d.seconds * 1000 + i64::from(d.nanos) / 1_000_000
}

async fn metrics(
    h: &mut Harness,
    queue: &str,
    range: Duration,
    step: Option<Duration>,
) -> Result<GetQueueMetricsResponse, tonic::Status> {
    h.queues
        .get_queue_metrics(GetQueueMetricsRequest {
            queue: queue.into(),
            range: Some(duration(range)),
            step: step.map(duration),
        })
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finished_hours_roll_up_into_sql_and_serve_long_ranges() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path()).await;
    let redis = RedisServer::start().expect("start redis");
    let mut conn = redis.connection().await.unwrap();
    let redis_now_ms = || {
        let mut conn = conn.clone();
        async move {
            let (seconds, micros): (i64, i64) =
                redis::cmd("TIME").query_async(&mut conn).await.unwrap();
            seconds * 1000 + micros / 1000
        }
    };
    // Stay clear of an hour turning over while the test runs: it moves the oldest hour kept.
    let mut now = redis_now_ms().await;
    if HOUR_MS - now.rem_euclid(HOUR_MS) < 90_000 || now.rem_euclid(HOUR_MS) < 15_000 {
        let wait = (HOUR_MS - now.rem_euclid(HOUR_MS) + 15_000) % HOUR_MS;
        tokio::time::sleep(Duration::from_millis(wait as u64)).await;
        now = redis_now_ms().await;
    }
    let this_hour = now.div_euclid(HOUR_MS) * HOUR_MS;
    // The oldest hour Redis keeps whole, which long ranges read back from SQL, and a recent
    // one, which they read from the minute hashes.
    let oldest = this_hour - 48 * HOUR_MS;
    let recent = this_hour - 3 * HOUR_MS;
    let mut pipe = redis::pipe();
    pipe.zadd("zenith:queues", "emails", 0).ignore();
    for hour in [oldest, recent] {
        for (i, fields) in minute_fields().iter().enumerate() {
            let minute = hour / 60_000 + 7 + i as i64 * 30;
            for key in [
                format!("zenith:{{emails}}:metrics:{minute}"),
                format!("zenith:metrics:{minute}"),
            ] {
                pipe.hset_multiple(&key, fields).ignore();
                pipe.expire(&key, 49 * 3600).ignore();
            }
        }
    }
    let _: () = pipe.query_async(&mut conn).await.unwrap();

    let server = ZenithServer::start_with(
        ZENITH.as_ref(),
        &redis.url(),
        &["--database-url", &database_url(dir.path())],
    )
    .unwrap();
    let channel = Channel::from_shared(server.url())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut h = Harness {
        queues: QueueServiceClient::new(channel.clone()),
        workers: WorkerServiceClient::new(channel),
        server,
        redis,
    };

    let started = Instant::now();
    loop {
        let queue = store.rollups("emails", oldest, this_hour).await.unwrap();
        let all = store.rollups("", oldest, this_hour).await.unwrap();
        if queue.len() == 2 && all.len() == 2 {
            for rollup in queue.iter().chain(&all) {
                assert_eq!(rollup.fields, rolled_fields(), "{rollup:?}");
            }
            let hours: Vec<i64> = queue.iter().map(|rollup| rollup.hour_ms).collect();
            assert_eq!(hours, [oldest, recent]);
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "never rolled up: {queue:?} {all:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let marker: i64 = redis::cmd("GET")
        .arg("zenith:{emails}:metrics:rolled_hour")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(marker, this_hour - HOUR_MS, "every finished hour is rolled");

    // The oldest hour now reads from SQL only: its minute hashes may go.
    let mut pipe = redis::pipe();
    for (i, _) in minute_fields().iter().enumerate() {
        let minute = oldest / 60_000 + 7 + i as i64 * 30;
        pipe.del(format!("zenith:{{emails}}:metrics:{minute}"))
            .ignore();
        pipe.del(format!("zenith:metrics:{minute}")).ignore();
    }
    let _: () = pipe.query_async(&mut conn).await.unwrap();

    for queue in ["emails", ""] {
        let week = metrics(&mut h, queue, 7 * DAY, None).await.unwrap();
        assert_eq!(week.step.unwrap().seconds, 2 * 3600);
        assert_eq!(week.points.len(), 84);
        let totals = week.points.iter().fold((0, 0, 0, 0, 0, 0), |t, p| {
            let run = p.run.unwrap_or_default();
            (
                t.0 + p.enqueued,
                t.1 + p.completed,
                t.2 + p.failed,
                t.3 + p.retried,
                t.4 + run.count,
                t.5.max(millis(run.max)),
            )
        });
        assert_eq!(totals, (14, 6, 2, 2, 8, 100), "queue {queue:?}");
        let old_point = week
            .points
            .iter()
            .find(|p| {
                let start = p.start.unwrap().seconds * 1000;
                (start..start + 2 * HOUR_MS).contains(&oldest)
            })
            .expect("the oldest hour is in range");
        assert_eq!(old_point.enqueued, 7, "from the roll-up, queue {queue:?}");
    }

    let quarter = metrics(&mut h, "emails", 90 * DAY, None).await.unwrap();
    assert_eq!(quarter.points.len(), 120);
    assert_eq!(quarter.step.unwrap().seconds, 18 * 3600);
    let hourly = metrics(&mut h, "emails", 3 * DAY, Some(Duration::from_secs(3600)))
        .await
        .unwrap();
    assert_eq!(hourly.points.len(), 72);
    assert_eq!(hourly.points.iter().map(|p| p.enqueued).sum::<i64>(), 14);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_ranges_refuse_steps_that_are_not_whole_hours() {
    let dir = tempfile::tempdir().unwrap();
    let (mut h, _archive) = start(dir.path(), &[]).await;
    h.enqueue(common::spec("emails", "send")).await;
    let cases = [
        (7 * DAY, Some(Duration::from_secs(30 * 60)), "step"),
        (7 * DAY, Some(Duration::from_secs(90 * 60)), "step"),
        (91 * DAY, None, "range"),
        (7 * DAY, Some(8 * DAY), "step"),
    ];
    for (range, step, field) in cases {
        let status = metrics(&mut h, "emails", range, step).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert!(status.message().starts_with(field), "{status:?}");
    }
    let status = metrics(&mut h, "nowhere", 7 * DAY, None).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
}
