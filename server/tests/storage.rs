//! The archive store, the same tests on SQLite (a temporary file) and on PostgreSQL (a real
//! server per test): every test body below runs as `sqlite::<name>` and `postgres::<name>`.

use std::collections::BTreeMap;
use std::time::Duration;

use prost_types::Timestamp;
use zenith_proto::v1::{
    AlertState, BacklogCondition, ChannelSpec, DeliveryState, Job, JobEvent, JobEventKind, JobSpec,
    JobState, LogLevel, LogRecord, NotificationKind, OverlapPolicy, RuleOrigin, RuleSpec, RunState,
    RunTrigger, ScheduleOrigin, ScheduleSpec, Severity, SilenceSpec, WebhookChannel, channel_spec,
    rule_spec,
};
use zenith_server::alerts::SharedAlertStore;
use zenith_server::alerts::store::{
    Acknowledged, AlertFilter, ClaimedDelivery, DeliveryOutcome, NewNotification, NotifyClaim,
    StoredAlert, StoredAttempt, StoredChannel, StoredNotification, StoredRule, StoredSilence,
};
use zenith_server::archive::store::{
    ArchiveBatch, EventPosition, EventRecord, JobRecord, MetricRollup, PruneScope, Pruned,
    SearchPlan, SettingsOverride,
};
use zenith_server::archive::{ArchiveError, SharedArchive, text};
use zenith_server::auth::store::{AuditQuery, AuditRecord, AuthStore};
use zenith_server::auth::{QueueLimit, Role, StoredKey};
use zenith_server::cron::{RunCursor, SharedScheduleStore, StoredRun, StoredSchedule};
use zenith_server::db::Database;
use zenith_server::logs::store::{LogQuery, SharedLogStore};
use zenith_testkit::PostgresServer;

/// A store over a fresh database, and what keeps that database alive.
struct Fixture {
    store: SharedArchive,
    database: Database,
    /// Where `database` points: another pool opened on it acts as another replica.
    url: String,
    _sqlite_dir: Option<tempfile::TempDir>,
    postgres_server: Option<PostgresServer>,
}

impl Fixture {
    async fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("zenith.db").display());
        let database = Database::connect(&url).await.unwrap();
        Self {
            store: zenith_server::archive::store::open(&database),
            database,
            url,
            _sqlite_dir: Some(dir),
            postgres_server: None,
        }
    }

    async fn postgres() -> Self {
        let server = tokio::task::spawn_blocking(PostgresServer::start)
            .await
            .unwrap()
            .unwrap();
        let url = server.create_database("zenith").unwrap();
        let database = Database::connect(&url).await.unwrap();
        Self {
            store: zenith_server::archive::store::open(&database),
            database,
            url,
            _sqlite_dir: None,
            postgres_server: Some(server),
        }
    }
}

macro_rules! storage_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let fixture = super::Fixture::sqlite().await;
                    super::$name(&fixture).await;
                    fixture.database.close().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let fixture = super::Fixture::postgres().await;
                    super::$name(&fixture).await;
                    fixture.database.close().await;
                }
            )*
        }
    };
}

storage_tests!(
    record_twice_changes_nothing,
    older_versions_change_nothing_and_newer_ones_replace,
    events_are_unique_per_entry_and_paged_by_position,
    search_filters_by_words_queue_type_state_and_time,
    search_pages_newest_first_by_cursor,
    search_matches_special_characters_literally,
    words_match_alike_on_both_backends,
    the_longest_texts_are_recorded_and_found,
    prune_is_bounded_scoped_and_clears_the_text_index,
    settings_overrides_are_created_replaced_and_deleted,
    rollups_replace_and_read_by_range,
    log_lines_are_written_once_and_found_by_words_and_filters,
    log_search_pages_both_ways_and_job_lines_are_oldest_first,
    log_prune_is_bounded_and_clears_the_text_index,
    cron_schedules_are_inserted_once_replaced_and_deleted,
    cron_schedules_page_by_id_and_filter_by_queue,
    cron_scheduled_runs_meet_on_their_fire_time,
    cron_last_runs_are_the_latest_of_each_schedule,
    cron_runs_page_newest_first_across_and_within_schedules,
    cron_unfinished_runs_rotate_and_finish_only_from_running,
    cron_run_prune_is_bounded_by_limit_and_cutoff,
    alert_rules_are_inserted_replaced_deleted_and_seeded_once,
    alert_channels_are_kept_with_secrets_and_deleting_fails_pending_deliveries,
    alert_silences_hold_their_window_and_expire,
    alert_open_alerts_are_unique_per_rule_and_subject_and_move_by_compare_and_set,
    alert_lists_filter_and_page_newest_first,
    alert_acknowledgement_holds_for_open_alerts_only,
    alert_notifications_claim_each_transition_once,
    alert_notifications_list_by_rule_and_alert_with_their_delivery_log,
    alert_deliveries_are_claimed_under_a_lease_and_finished,
    alert_history_prune_is_bounded_by_limit_and_cutoff,
    alert_concurrent_notifications_claim_each_transition_once,
    alert_concurrent_claims_take_each_delivery_once,
    alert_concurrent_seeds_add_the_default_rules_once,
    api_keys_are_inserted_once_read_back_and_revoked_once,
    audit_events_filter_and_page_newest_first,
);

fn ts(ms: i64) -> Timestamp {
    Timestamp {
        seconds: ms.div_euclid(1000),
        nanos: (ms.rem_euclid(1000) * 1_000_000) as i32,
    }
}

/// A job as the archiver would record it, created at `created_ms`.
fn job(id: &str, queue: &str, r#type: &str, state: JobState, payload: &str) -> Job {
    let finished = matches!(
        state,
        JobState::Completed | JobState::Dead | JobState::Cancelled
    );
    Job {
        id: id.into(),
        queue: queue.into(),
        r#type: r#type.into(),
        payload: payload.as_bytes().to_vec(),
        content_type: "application/json".into(),
        state: state as i32,
        created_at: Some(ts(1_000)),
        finished_at: finished.then(|| ts(2_000)),
        ..Job::default()
    }
}

fn record(job: Job, version: i64) -> JobRecord {
    JobRecord {
        text: text::search_text(&job),
        job,
        version,
    }
}

fn event(job_id: &str, queue: &str, entry: &str, kind: JobEventKind, at_ms: i64) -> EventRecord {
    EventRecord {
        job_id: job_id.into(),
        queue: queue.into(),
        entry: entry.into(),
        event: JobEvent {
            at: Some(ts(at_ms)),
            kind: kind as i32,
            ..JobEvent::default()
        },
    }
}

fn plan(query: &str) -> SearchPlan {
    SearchPlan {
        phrases: query
            .split(',')
            .map(text::words)
            .filter(|words| !words.is_empty())
            .collect(),
        limit: 100,
        ..SearchPlan::default()
    }
}

async fn ids(fixture: &Fixture, plan: &SearchPlan) -> Vec<String> {
    fixture
        .store
        .search(plan)
        .await
        .unwrap()
        .into_iter()
        .map(|hit| hit.job.id)
        .collect()
}

async fn all_events(fixture: &Fixture, job_id: &str) -> Vec<(EventPosition, JobEvent)> {
    fixture.store.job_events(job_id, None, 1_000).await.unwrap()
}

async fn record_twice_changes_nothing(fixture: &Fixture) {
    let batch = ArchiveBatch {
        jobs: vec![
            record(
                job(
                    "j1",
                    "mail",
                    "send",
                    JobState::Completed,
                    r#"{"to":"a@b.c"}"#,
                ),
                5,
            ),
            record(job("j2", "mail", "send", JobState::Dead, "plain text"), 7),
        ],
        events: vec![
            event("j1", "mail", "1-0", JobEventKind::Enqueued, 1_000),
            event("j1", "mail", "2-0", JobEventKind::Completed, 2_000),
            event("j2", "mail", "3-0", JobEventKind::Failed, 2_000),
        ],
    };
    fixture.store.record(&batch).await.unwrap();
    let first = fixture.store.get_job("j1").await.unwrap().unwrap();
    let events = all_events(fixture, "j1").await;
    fixture.store.record(&batch).await.unwrap();

    assert_eq!(fixture.store.count_jobs().await.unwrap(), 2);
    assert_eq!(fixture.store.get_job("j1").await.unwrap().unwrap(), first);
    assert_eq!(first.job, batch.jobs[0].job);
    assert_eq!(all_events(fixture, "j1").await, events);
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].1, batch.events[0].event);
    assert_eq!(events[1].1, batch.events[1].event);
    assert_eq!(ids(fixture, &plan("a b c")).await, ["j1"]);
    assert!(fixture.store.get_job("missing").await.unwrap().is_none());
    assert!(all_events(fixture, "missing").await.is_empty());
}

async fn older_versions_change_nothing_and_newer_ones_replace(fixture: &Fixture) {
    let pending = job(
        "j1",
        "mail",
        "send",
        JobState::Pending,
        r#"{"word":"early"}"#,
    );
    let mut done = job(
        "j1",
        "mail",
        "send",
        JobState::Completed,
        r#"{"word":"late"}"#,
    );
    done.last_error = "timeout talking to smtp".into();
    let store = &fixture.store;
    store
        .record(&ArchiveBatch {
            jobs: vec![record(done.clone(), 10)],
            events: vec![],
        })
        .await
        .unwrap();
    let seq = store.get_job("j1").await.unwrap().unwrap().seq;
    store
        .record(&ArchiveBatch {
            jobs: vec![record(pending.clone(), 3)],
            events: vec![],
        })
        .await
        .unwrap();
    assert_eq!(store.get_job("j1").await.unwrap().unwrap().job, done);
    assert!(ids(fixture, &plan("early")).await.is_empty());
    assert_eq!(ids(fixture, &plan("late")).await, ["j1"]);

    // A newer version replaces the row in place (same seq) and its words replace the old ones.
    let mut dead = done.clone();
    dead.state = JobState::Dead as i32;
    dead.payload = br#"{"word":"final"}"#.to_vec();
    store
        .record(&ArchiveBatch {
            jobs: vec![record(dead.clone(), 11)],
            events: vec![],
        })
        .await
        .unwrap();
    let stored = store.get_job("j1").await.unwrap().unwrap();
    assert_eq!(stored.job, dead);
    assert_eq!(stored.seq, seq);
    assert!(ids(fixture, &plan("late")).await.is_empty());
    assert_eq!(ids(fixture, &plan("final")).await, ["j1"]);
    assert_eq!(ids(fixture, &plan("smtp")).await, ["j1"]);

    // Several versions of one job in one batch: the largest wins, whatever the order.
    let mut v1 = job("j2", "mail", "send", JobState::Pending, r#"{"v":"one"}"#);
    let mut v2 = v1.clone();
    v2.payload = br#"{"v":"two"}"#.to_vec();
    v2.state = JobState::Completed as i32;
    v1.attempts = 1;
    store
        .record(&ArchiveBatch {
            jobs: vec![record(v2.clone(), 20), record(v1, 19)],
            events: vec![],
        })
        .await
        .unwrap();
    assert_eq!(store.get_job("j2").await.unwrap().unwrap().job, v2);
    assert_eq!(ids(fixture, &plan("two")).await, ["j2"]);
    assert!(ids(fixture, &plan("one")).await.is_empty());
    assert_eq!(store.count_jobs().await.unwrap(), 2);
}

async fn events_are_unique_per_entry_and_paged_by_position(fixture: &Fixture) {
    let store = &fixture.store;
    let events: Vec<EventRecord> = (0..25)
        .map(|n| event("j1", "q", &format!("{n}-0"), JobEventKind::Reserved, n))
        .chain([
            // One stream entry may carry events of several jobs: unique per job.
            event("j2", "q", "0-0", JobEventKind::Enqueued, 0),
            // The same entry id in another queue is another event.
            event("j1", "other", "0-0", JobEventKind::Deleted, 99),
        ])
        .collect();
    store
        .record(&ArchiveBatch {
            jobs: vec![],
            events: events.clone(),
        })
        .await
        .unwrap();
    // A replay of a part, with the same entries, adds nothing.
    store
        .record(&ArchiveBatch {
            jobs: vec![],
            events: events[3..9].to_vec(),
        })
        .await
        .unwrap();
    let all = all_events(fixture, "j1").await;
    assert_eq!(all.len(), 26);
    assert!(all.windows(2).all(|pair| pair[0].0 < pair[1].0));
    assert_eq!(all[25].1.kind, JobEventKind::Deleted as i32);
    assert_eq!(all_events(fixture, "j2").await.len(), 1);

    let mut paged = Vec::new();
    let mut after = None;
    loop {
        let page = store.job_events("j1", after, 10).await.unwrap();
        assert!(page.len() <= 10);
        let Some(last) = page.last() else { break };
        after = Some(last.0);
        paged.extend(page);
    }
    assert_eq!(paged, all);

    // Events recorded late (a replica taking over another's entries) still read in time order.
    store
        .record(&ArchiveBatch {
            jobs: vec![],
            events: vec![event("j2", "q", "0-1", JobEventKind::Reserved, -5)],
        })
        .await
        .unwrap();
    let kinds: Vec<i32> = all_events(fixture, "j2")
        .await
        .into_iter()
        .map(|(_, event)| event.kind)
        .collect();
    assert_eq!(
        kinds,
        [JobEventKind::Reserved as i32, JobEventKind::Enqueued as i32]
    );
}

async fn search_filters_by_words_queue_type_state_and_time(fixture: &Fixture) {
    let mut jobs = [
        job(
            "a1",
            "mail",
            "welcome",
            JobState::Completed,
            r#"{"email":"ann@example.com"}"#,
        ),
        job(
            "a2",
            "mail",
            "receipt",
            JobState::Dead,
            r#"{"email":"bob@example.com","order":1234}"#,
        ),
        job(
            "a3",
            "billing",
            "charge",
            JobState::Pending,
            r#"{"order":1234,"amount":"12.50"}"#,
        ),
        job(
            "a4",
            "billing",
            "refund",
            JobState::Cancelled,
            r#"{"order":999}"#,
        ),
        job(
            "a5",
            "mail",
            "welcome",
            JobState::Completed,
            "not json: Order 1234 shipped",
        ),
    ];
    for (n, job) in jobs.iter_mut().enumerate() {
        job.created_at = Some(ts(1_000 * (n as i64 + 1)));
    }
    let batch = ArchiveBatch {
        jobs: jobs.iter().cloned().map(|job| record(job, 1)).collect(),
        events: vec![],
    };
    fixture.store.record(&batch).await.unwrap();

    assert_eq!(
        ids(fixture, &plan("")).await,
        ["a5", "a4", "a3", "a2", "a1"]
    );
    assert_eq!(ids(fixture, &plan("example")).await, ["a2", "a1"]);
    assert_eq!(ids(fixture, &plan("example com")).await, ["a2", "a1"]);
    assert_eq!(
        ids(fixture, &plan("com example")).await,
        Vec::<String>::new()
    );
    assert_eq!(ids(fixture, &plan("order 1234")).await, ["a5", "a3", "a2"]);
    assert_eq!(ids(fixture, &plan("ORDER, 1234")).await, ["a5", "a3", "a2"]);
    assert_eq!(ids(fixture, &plan("order, bob")).await, ["a2"]);
    assert_eq!(ids(fixture, &plan("12 50")).await, ["a3"]);
    assert_eq!(ids(fixture, &plan("a3")).await, ["a3"]);
    assert_eq!(ids(fixture, &plan("refund")).await, ["a4"]);
    assert_eq!(ids(fixture, &plan("orde")).await, Vec::<String>::new());

    let mut by_queue = plan("1234");
    by_queue.queues = vec!["billing".into()];
    assert_eq!(ids(fixture, &by_queue).await, ["a3"]);
    by_queue.queues.push("mail".into());
    assert_eq!(ids(fixture, &by_queue).await, ["a5", "a3", "a2"]);

    let mut by_type = plan("");
    by_type.types = vec!["welcome".into(), "refund".into()];
    assert_eq!(ids(fixture, &by_type).await, ["a5", "a4", "a1"]);
    by_type.queues = vec!["mail".into()];
    assert_eq!(ids(fixture, &by_type).await, ["a5", "a1"]);

    // Unfinished rows are candidates for any state: only Redis knows their state now.
    let mut by_state = plan("");
    by_state.states = vec![JobState::Dead];
    assert_eq!(ids(fixture, &by_state).await, ["a3", "a2"]);
    by_state.states = vec![JobState::Completed, JobState::Cancelled];
    assert_eq!(ids(fixture, &by_state).await, ["a5", "a4", "a3", "a1"]);
    let mut words_and_state = plan("order");
    words_and_state.states = vec![JobState::Completed];
    assert_eq!(ids(fixture, &words_and_state).await, ["a5", "a3"]);

    let mut by_time = plan("");
    by_time.created_after_ms = Some(2_000);
    by_time.created_before_ms = Some(4_000);
    assert_eq!(ids(fixture, &by_time).await, ["a3", "a2"]);
    let mut words_and_time = plan("1234");
    words_and_time.created_after_ms = Some(3_000);
    assert_eq!(ids(fixture, &words_and_time).await, ["a5", "a3"]);
    words_and_time.created_after_ms = None;
    words_and_time.created_before_ms = Some(3_000);
    assert_eq!(ids(fixture, &words_and_time).await, ["a2"]);
}

async fn search_pages_newest_first_by_cursor(fixture: &Fixture) {
    let batch = ArchiveBatch {
        jobs: (0..120)
            .map(|n| {
                let kind = if n % 3 == 0 { "three" } else { "other" };
                record(
                    job(&format!("p{n:03}"), "q", kind, JobState::Completed, "{}"),
                    1,
                )
            })
            .collect(),
        events: vec![],
    };
    fixture.store.record(&batch).await.unwrap();
    for query in ["", "three"] {
        let mut expected: Vec<String> = (0..120)
            .filter(|n| query.is_empty() || n % 3 == 0)
            .map(|n| format!("p{n:03}"))
            .collect();
        expected.reverse();
        let mut seen = Vec::new();
        let mut plan = plan(query);
        plan.limit = 7;
        loop {
            let page = fixture.store.search(&plan).await.unwrap();
            assert!(page.len() <= 7);
            assert!(page.windows(2).all(|pair| pair[0].seq > pair[1].seq));
            let Some(last) = page.last() else { break };
            plan.before_seq = Some(last.seq);
            seen.extend(page.into_iter().map(|hit| hit.job.id));
        }
        assert_eq!(seen, expected, "query {query:?}");
    }
}

async fn search_matches_special_characters_literally(fixture: &Fixture) {
    let tricky = [
        ("s1", r#"{"note":"it's \"quoted\" 100% of a_b"}"#),
        (
            "s2",
            r#"{"path":"C:\\temp\\dir","op":"a AND b OR c NOT d NEAR e"}"#,
        ),
        (
            "s3",
            r#"{"sql":"'; DROP TABLE archived_jobs; --","glob":"pre* ^start col:val (x) -y"}"#,
        ),
        ("s4", r#"{"plain":"nothing special here"}"#),
    ];
    let batch = ArchiveBatch {
        jobs: tricky
            .iter()
            .map(|(id, payload)| record(job(id, "q", "t", JobState::Completed, payload), 1))
            .collect(),
        events: vec![],
    };
    fixture.store.record(&batch).await.unwrap();
    let cases: &[(&str, &[&str])] = &[
        (r#"it's "quoted""#, &["s1"]),
        ("\"", &["s4", "s3", "s2", "s1"]),
        ("100%", &["s1"]),
        ("%", &["s4", "s3", "s2", "s1"]),
        ("a_b", &["s1"]),
        ("_", &["s4", "s3", "s2", "s1"]),
        (r"C:\temp", &["s2"]),
        ("\\", &["s4", "s3", "s2", "s1"]),
        ("AND", &["s2"]),
        ("a AND b", &["s2"]),
        ("b OR c", &["s2"]),
        ("OR", &["s2"]),
        ("NOT d", &["s2"]),
        ("NOT", &["s2"]),
        ("NEAR", &["s2"]),
        ("NEAR(a b)", &[]),
        ("d NEAR e", &["s2"]),
        ("a OR nothing", &[]),
        ("NOT nothing", &[]),
        ("'; DROP TABLE archived_jobs; --", &["s3"]),
        ("drop table", &["s3"]),
        ("SELECT", &[]),
        ("pre*", &["s3"]),
        ("pr*", &[]),
        ("^start", &["s3"]),
        ("col:val", &["s3"]),
        ("col:", &["s3"]),
        ("(x)", &["s3"]),
        ("-y", &["s3"]),
        ("x -y", &["s3"]),
        ("special -here", &["s4"]),
        ("y x", &[]),
        ("&", &["s4", "s3", "s2", "s1"]),
        ("a & !b | <->", &["s1"]),
        ("!quoted", &["s1"]),
        ("quoted:*", &["s1"]),
    ];
    for (query, expected) in cases {
        // As one phrase, and as separate words: both are taken literally.
        assert_eq!(
            &ids(fixture, &plan(query)).await,
            expected,
            "query {query:?}"
        );
        let mut separate = plan("");
        separate.phrases = text::words(query).into_iter().map(|w| vec![w]).collect();
        let found = ids(fixture, &separate).await;
        for id in *expected {
            assert!(found.contains(&id.to_string()), "query {query:?} words");
        }
    }
    // Phrases with raw operator text, as a caller might pass them: still literal, and only
    // the letters and digits in them count; without any, a phrase requires nothing.
    let mut near = plan("");
    near.phrases = vec![vec!["NEAR(".to_string()], vec!["\"D\"".to_string()]];
    assert_eq!(ids(fixture, &near).await, ["s2"]);
    for raw in [
        "\"",
        "\"()\" *:^",
        "*",
        "-",
        "^",
        ":",
        "(",
        ")",
        "'",
        "\\",
        "&",
        "|",
        "!",
    ] {
        let mut raw_plan = plan("");
        raw_plan.phrases = vec![vec![raw.to_string()], vec!["start".to_string()]];
        assert_eq!(ids(fixture, &raw_plan).await, ["s3"], "raw {raw:?}");
    }
}

async fn words_match_alike_on_both_backends(fixture: &Fixture) {
    let samples = [
        ("w1", "abc123 def"),
        ("w2", "007 42x x42 1e5 0x1f 3.14"),
        ("w3", "日本語 テキスト"),
        ("w4", "Ünïcödé café naïve"),
        ("w5", "Привет мир"),
        ("w6", "user@example.com https://example.com/path?q=1"),
        ("w7", "שלום עולם مرحبا"),
        ("w8", "٣٤٥ Ⅻ ½ ²x हिन्दी ﬁle ǅemal"),
    ];
    let batch = ArchiveBatch {
        jobs: samples
            .iter()
            .map(|(id, payload)| record(job(id, "q", "t", JobState::Completed, payload), 1))
            .collect(),
        events: vec![],
    };
    fixture.store.record(&batch).await.unwrap();
    for (id, payload) in samples {
        let words = text::words(payload);
        for word in &words {
            let found = ids(fixture, &plan(word)).await;
            assert!(
                found.contains(&id.to_string()),
                "word {word:?} of {id}: {found:?}"
            );
        }
        for pair in words.windows(2) {
            let mut pair_plan = plan("");
            pair_plan.phrases = vec![pair.to_vec()];
            assert_eq!(ids(fixture, &pair_plan).await, [id], "phrase {pair:?}");
        }
    }
    // Diacritics are kept: "cafe" is another word than "café".
    assert!(ids(fixture, &plan("cafe")).await.is_empty());
    assert!(ids(fixture, &plan("abc")).await.is_empty());
    assert!(ids(fixture, &plan("123")).await.is_empty());
}

async fn the_longest_texts_are_recorded_and_found(fixture: &Fixture) {
    // As many words as the search text holds, the same word as often as it is kept, and
    // words of all lengths up to the cap.
    let many = format!("{}b c", "a ".repeat(300));
    let distinct: String = (0..text::MAX_SEARCH_TEXT / 2)
        .map(|n| format!("{n} "))
        .collect();
    let long_word = "y".repeat(text::MAX_WORD_BYTES + 1);
    let batch = ArchiveBatch {
        jobs: vec![
            record(job("r", "q", "t", JobState::Completed, &many), 1),
            record(job("d", "q", "t", JobState::Completed, &distinct), 1),
            record(
                job(
                    "l",
                    "q",
                    "t",
                    JobState::Completed,
                    &format!("{long_word} z"),
                ),
                1,
            ),
        ],
        events: vec![],
    };
    for record in &batch.jobs {
        assert!(record.text.len() <= text::MAX_SEARCH_TEXT);
    }
    fixture.store.record(&batch).await.unwrap();
    assert_eq!(ids(fixture, &plan("a a a a")).await, ["r"]);
    // The repeats of "a" past the cap are not kept, so "b" follows the last one kept.
    assert_eq!(ids(fixture, &plan("a a b c")).await, ["r"]);
    let distinct_words = text::words(&batch.jobs[1].text);
    let last = distinct_words[distinct_words.len() - 3..].join(" ");
    assert_eq!(ids(fixture, &plan(&last)).await, ["d"]);
    assert_eq!(ids(fixture, &plan("0 1 2 3")).await, ["d"]);
    assert_eq!(ids(fixture, &plan("z")).await, ["l"]);
    assert!(ids(fixture, &plan(&long_word)).await.is_empty());
    assert!(
        ids(fixture, &plan(&format!("{long_word} z")))
            .await
            .is_empty()
    );
}

async fn prune_is_bounded_scoped_and_clears_the_text_index(fixture: &Fixture) {
    let store = &fixture.store;
    let mut jobs = Vec::new();
    let mut events = Vec::new();
    for n in 0..10 {
        for queue in ["old", "kept", "other"] {
            let id = format!("{queue}{n}");
            let mut job = job(
                &id,
                queue,
                "t",
                JobState::Completed,
                "{\"word\":\"prunable\"}",
            );
            // Half finished long ago, half recently.
            job.finished_at = Some(ts(if n < 5 { 1_000 } else { 9_000 }));
            jobs.push(record(job, 1));
            events.push(event(
                &id,
                queue,
                &format!("{n}-0"),
                JobEventKind::Completed,
                if n < 5 { 1_000 } else { 9_000 },
            ));
        }
    }
    // Unfinished jobs stay, however old.
    let mut live = job(
        "live",
        "old",
        "t",
        JobState::Pending,
        "{\"word\":\"prunable\"}",
    );
    live.created_at = Some(ts(0));
    jobs.push(record(live, 1));
    store.record(&ArchiveBatch { jobs, events }).await.unwrap();
    assert_eq!(store.count_jobs().await.unwrap(), 31);

    let scope = PruneScope::Queue("old".into());
    assert_eq!(
        store.prune(&scope, 5_000, 3).await.unwrap(),
        Pruned { jobs: 3, events: 3 }
    );
    assert_eq!(
        store.prune(&scope, 5_000, 3).await.unwrap(),
        Pruned { jobs: 2, events: 2 }
    );
    assert_eq!(
        store.prune(&scope, 5_000, 3).await.unwrap(),
        Pruned::default()
    );
    assert_eq!(store.count_jobs().await.unwrap(), 26);
    for n in 0..5 {
        assert!(store.get_job(&format!("old{n}")).await.unwrap().is_none());
        assert!(all_events(fixture, &format!("old{n}")).await.is_empty());
    }
    assert!(store.get_job("old5").await.unwrap().is_some());
    assert!(store.get_job("live").await.unwrap().is_some());
    assert!(store.get_job("kept0").await.unwrap().is_some());

    let everything_else = PruneScope::AllExcept(vec!["kept".into()]);
    assert_eq!(
        store.prune(&everything_else, 5_000, 100).await.unwrap(),
        Pruned { jobs: 5, events: 5 }
    );
    assert!(store.get_job("kept0").await.unwrap().is_some());
    assert!(store.get_job("other0").await.unwrap().is_none());

    // Pruned jobs leave the text index: only the survivors are found.
    let mut found = ids(fixture, &plan("prunable")).await;
    found.sort();
    let mut expected: Vec<String> = (5..10)
        .flat_map(|n| [format!("old{n}"), format!("kept{n}"), format!("other{n}")])
        .chain((0..5).map(|n| format!("kept{n}")))
        .chain(["live".to_string()])
        .collect();
    expected.sort();
    assert_eq!(found, expected);

    assert_eq!(
        store
            .prune(&PruneScope::AllExcept(vec![]), 10_000, 100)
            .await
            .unwrap(),
        Pruned {
            jobs: 20,
            events: 20
        }
    );
    assert_eq!(ids(fixture, &plan("prunable")).await, ["live"]);
    assert_eq!(store.count_jobs().await.unwrap(), 1);

    // A job deleted by an operator is recorded with finished_at set, whatever its state, and
    // is pruned like any finished job; the seq of the pruned newest row is not handed out
    // again, so newer rows still sort first.
    let mut deleted = job("deleted", "q", "t", JobState::Pending, "{}");
    deleted.finished_at = Some(ts(1_000));
    let one = |job: Job| ArchiveBatch {
        jobs: vec![record(job, 1)],
        events: vec![],
    };
    store.record(&one(deleted)).await.unwrap();
    let deleted_seq = store.get_job("deleted").await.unwrap().unwrap().seq;
    assert_eq!(
        store
            .prune(&PruneScope::Queue("q".into()), 5_000, 100)
            .await
            .unwrap(),
        Pruned { jobs: 1, events: 0 }
    );
    store
        .record(&one(job("after", "q", "t", JobState::Completed, "{}")))
        .await
        .unwrap();
    assert!(store.get_job("after").await.unwrap().unwrap().seq > deleted_seq);
}

async fn settings_overrides_are_created_replaced_and_deleted(fixture: &Fixture) {
    let store = &fixture.store;
    assert!(store.settings_overrides().await.unwrap().is_empty());
    let mail = SettingsOverride {
        queue: "mail".into(),
        retention: Some(Duration::from_secs(7 * 86_400)),
        index_on_enqueue: None,
    };
    let billing = SettingsOverride {
        queue: "billing".into(),
        retention: None,
        index_on_enqueue: Some(false),
    };
    store.put_settings_override(&mail).await.unwrap();
    store.put_settings_override(&billing).await.unwrap();
    assert_eq!(
        store.settings_overrides().await.unwrap(),
        [billing.clone(), mail.clone()]
    );
    let mail_again = SettingsOverride {
        queue: "mail".into(),
        retention: None,
        index_on_enqueue: Some(true),
    };
    store.put_settings_override(&mail_again).await.unwrap();
    assert_eq!(
        store.settings_overrides().await.unwrap(),
        [billing.clone(), mail_again]
    );
    store.delete_settings_override("mail").await.unwrap();
    store.delete_settings_override("absent").await.unwrap();
    assert_eq!(store.settings_overrides().await.unwrap(), [billing]);
}

async fn rollups_replace_and_read_by_range(fixture: &Fixture) {
    let store = &fixture.store;
    const HOUR: i64 = 3_600_000;
    let rollup = |queue: &str, hour: i64, enqueued: i64| MetricRollup {
        queue: queue.into(),
        hour_ms: hour * HOUR,
        fields: BTreeMap::from([
            ("enqueued".to_string(), enqueued),
            ("run_max".to_string(), 7),
        ]),
    };
    store
        .put_rollups(&[
            rollup("q", 1, 10),
            rollup("q", 2, 20),
            rollup("q", 3, 30),
            rollup("", 2, 99),
        ])
        .await
        .unwrap();
    store.put_rollups(&[rollup("q", 2, 21)]).await.unwrap();
    assert_eq!(
        store.rollups("q", HOUR, 3 * HOUR).await.unwrap(),
        [rollup("q", 1, 10), rollup("q", 2, 21)]
    );
    assert_eq!(
        store.rollups("", 0, 10 * HOUR).await.unwrap(),
        [rollup("", 2, 99)]
    );
    assert!(
        store
            .rollups("q", 4 * HOUR, 5 * HOUR)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .rollups("absent", 0, 10 * HOUR)
            .await
            .unwrap()
            .is_empty()
    );
}

/// PostgreSQL going away makes the store answer UNAVAILABLE (retryable), and it serves again
/// once the server is back, without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_outage_is_unavailable_and_passes() {
    let mut fixture = Fixture::postgres().await;
    let batch = ArchiveBatch {
        jobs: vec![record(job("j1", "q", "t", JobState::Completed, "{}"), 1)],
        events: vec![],
    };
    fixture.store.record(&batch).await.unwrap();
    let mut server = fixture.postgres_server.take().unwrap();
    tokio::task::spawn_blocking(move || {
        server.stop();
        server
    })
    .await
    .map(|server| fixture.postgres_server = Some(server))
    .unwrap();

    let error = fixture.store.get_job("j1").await.unwrap_err();
    assert!(matches!(error, ArchiveError::Unavailable(_)), "{error:?}");
    let error = fixture.store.record(&batch).await.unwrap_err();
    assert_eq!(tonic::Status::from(error).code(), tonic::Code::Unavailable);

    let mut server = fixture.postgres_server.take().unwrap();
    let server = tokio::task::spawn_blocking(move || {
        server.start_again().unwrap();
        server
    })
    .await
    .unwrap();
    fixture.postgres_server = Some(server);
    let mut recovered = None;
    for _ in 0..50 {
        if let Ok(found) = fixture.store.get_job("j1").await {
            recovered = found;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(recovered.unwrap().job, batch.jobs[0].job);
    fixture.store.record(&batch).await.unwrap();
    assert_eq!(fixture.store.count_jobs().await.unwrap(), 1);
    fixture.database.close().await;
}

fn log_line(id: &str, logged_ms: i64, level: LogLevel, message: &str, job_id: &str) -> LogRecord {
    let mut line = LogRecord {
        id: id.into(),
        time: Some(ts(logged_ms)),
        received_at: Some(ts(logged_ms + 1)),
        message: message.into(),
        service: "billing".into(),
        node_id: "node-1".into(),
        queue: if job_id.is_empty() {
            String::new()
        } else {
            "emails".into()
        },
        job_id: job_id.into(),
        target: "worker::send".into(),
        fields: [("attempt".to_owned(), "2".to_owned())].into(),
        level: 0,
    };
    line.set_level(level);
    line
}

fn log_query(query: &str) -> LogQuery {
    LogQuery {
        phrases: query
            .split(',')
            .map(text::words)
            .filter(|words| !words.is_empty())
            .collect(),
        limit: 100,
        ..LogQuery::default()
    }
}

async fn log_ids(logs: &SharedLogStore, query: &LogQuery) -> Vec<String> {
    logs.search(query)
        .await
        .unwrap()
        .into_iter()
        .map(|(_, line)| line.id)
        .collect()
}

async fn log_lines_are_written_once_and_found_by_words_and_filters(fixture: &Fixture) {
    let logs = zenith_server::logs::store::open(&fixture.database);
    let lines = vec![
        log_line(
            "1000-0",
            1_000,
            LogLevel::Info,
            "Connection refused by smtp.example.com",
            "j1",
        ),
        log_line(
            "1001-0",
            2_000,
            LogLevel::Error,
            "refused connection; retrying",
            "j2",
        ),
        log_line(
            "1002-0",
            3_000,
            LogLevel::Debug,
            "Ünïcödé café 100% done",
            "",
        ),
    ];
    logs.insert(&lines).await.unwrap();
    logs.insert(&lines).await.unwrap();
    assert_eq!(logs.count().await.unwrap(), 3);

    let found = logs.search(&log_query("")).await.unwrap();
    assert_eq!(found[2].1, lines[0], "lines read back as written");
    assert_eq!(
        log_ids(&logs, &log_query("")).await,
        ["1002-0", "1001-0", "1000-0"]
    );
    assert_eq!(
        log_ids(&logs, &log_query("refused")).await,
        ["1001-0", "1000-0"]
    );
    assert_eq!(
        log_ids(&logs, &log_query("connection refused")).await,
        ["1000-0"]
    );
    assert_eq!(log_ids(&logs, &log_query("refused,smtp")).await, ["1000-0"]);
    assert_eq!(log_ids(&logs, &log_query("CAFÉ")).await, ["1002-0"]);
    assert!(log_ids(&logs, &log_query("\"' OR 1=1 --")).await.is_empty());
    assert!(log_ids(&logs, &log_query("missing")).await.is_empty());

    let mut query = log_query("refused");
    query.filter.min_level = LogLevel::Warn as i32;
    assert_eq!(log_ids(&logs, &query).await, ["1001-0"]);
    let mut query = log_query("");
    query.filter.job_id = "j1".into();
    assert_eq!(log_ids(&logs, &query).await, ["1000-0"]);
    let mut query = log_query("");
    query.filter.service = "other".into();
    assert!(log_ids(&logs, &query).await.is_empty());
    let mut query = log_query("");
    query.filter.queue = "emails".into();
    query.filter.node_id = "node-1".into();
    assert_eq!(log_ids(&logs, &query).await, ["1001-0", "1000-0"]);
    let mut query = log_query("");
    query.since_ms = Some(2_000);
    query.until_ms = Some(3_000);
    assert_eq!(log_ids(&logs, &query).await, ["1001-0"]);
}

async fn log_search_pages_both_ways_and_job_lines_are_oldest_first(fixture: &Fixture) {
    let logs = zenith_server::logs::store::open(&fixture.database);
    // Two lines in the same millisecond: the entry id orders them.
    let lines: Vec<LogRecord> = (0..7)
        .map(|n| {
            log_line(
                &format!("5000-{n}"),
                5_000 + n / 2,
                LogLevel::Info,
                &format!("step {n}"),
                "job-a",
            )
        })
        .collect();
    logs.insert(&lines).await.unwrap();
    for oldest_first in [false, true] {
        let mut query = log_query("step");
        query.oldest_first = oldest_first;
        query.limit = 3;
        let mut seen = Vec::new();
        loop {
            let page = logs.search(&query).await.unwrap();
            seen.extend(page.iter().map(|(_, line)| line.id.clone()));
            if page.len() < 3 {
                break;
            }
            query.after = Some(page.last().unwrap().0.clone());
        }
        let mut expected: Vec<String> = lines.iter().map(|line| line.id.clone()).collect();
        if !oldest_first {
            expected.reverse();
        }
        assert_eq!(seen, expected);
    }
    let job: Vec<String> = logs
        .job_lines("job-a", 5)
        .await
        .unwrap()
        .into_iter()
        .map(|line| line.id)
        .collect();
    assert_eq!(job, ["5000-0", "5000-1", "5000-2", "5000-3", "5000-4"]);
    assert!(logs.job_lines("job-b", 5).await.unwrap().is_empty());
}

async fn log_prune_is_bounded_and_clears_the_text_index(fixture: &Fixture) {
    let logs = zenith_server::logs::store::open(&fixture.database);
    let lines: Vec<LogRecord> = (0..5)
        .map(|n| {
            log_line(
                &format!("{n}-0"),
                n * 1_000,
                LogLevel::Info,
                "prunable word",
                "",
            )
        })
        .collect();
    logs.insert(&lines).await.unwrap();
    assert_eq!(logs.prune(3_000, 2).await.unwrap(), 2);
    assert_eq!(logs.prune(3_000, 2).await.unwrap(), 1);
    assert_eq!(logs.prune(3_000, 2).await.unwrap(), 0);
    assert_eq!(log_ids(&logs, &log_query("prunable")).await, ["4-0", "3-0"]);
    // A pruned id may arrive again (a replayed round) and is found again.
    logs.insert(&lines[..1]).await.unwrap();
    assert_eq!(
        log_ids(&logs, &log_query("prunable")).await,
        ["4-0", "3-0", "0-0"]
    );
}

fn cron_schedule(id: &str, queue: &str) -> StoredSchedule {
    StoredSchedule {
        spec: ScheduleSpec {
            id: id.to_owned(),
            cron: "*/5 * * * *".to_owned(),
            time_zone: "Europe/Berlin".to_owned(),
            job: Some(JobSpec {
                queue: queue.to_owned(),
                r#type: "report".to_owned(),
                payload: br#"{"full":true}"#.to_vec(),
                content_type: "application/json".to_owned(),
                ..Default::default()
            }),
            overlap: OverlapPolicy::Skip as i32,
            description: "the nightly report".to_owned(),
            ..Default::default()
        },
        origin: ScheduleOrigin::Api,
        paused: false,
        paused_by: String::new(),
        paused_at_ms: None,
        pause_reason: String::new(),
        next_fire_ms: Some(60_000),
        created_by: "alice".to_owned(),
        created_at_ms: 1_000,
        updated_by: "alice".to_owned(),
        updated_at_ms: 1_000,
    }
}

/// A scheduled run that fired (a job id) or was skipped (`job_id` empty).
fn cron_run(schedule_id: &str, fire_time_ms: i64, job_id: &str, state: RunState) -> StoredRun {
    StoredRun {
        schedule_id: schedule_id.to_owned(),
        fire_time_ms,
        manual: false,
        job_id: job_id.to_owned(),
        queue: "reports".to_owned(),
        trigger: RunTrigger::Schedule,
        state,
        enqueued_at_ms: (!job_id.is_empty()).then_some(fire_time_ms + 5),
        finished_at_ms: None,
        duration_ms: None,
        triggered_by: String::new(),
    }
}

fn cron_fired(schedule_id: &str, fire_time_ms: i64) -> StoredRun {
    cron_run(
        schedule_id,
        fire_time_ms,
        &format!("cron:{schedule_id}:{fire_time_ms}"),
        RunState::Running,
    )
}

fn cron_skipped(schedule_id: &str, fire_time_ms: i64) -> StoredRun {
    cron_run(schedule_id, fire_time_ms, "", RunState::Skipped)
}

fn cron_manual(schedule_id: &str, fire_time_ms: i64, job_id: &str) -> StoredRun {
    StoredRun {
        manual: true,
        trigger: RunTrigger::Manual,
        triggered_by: "ops".to_owned(),
        ..cron_run(schedule_id, fire_time_ms, job_id, RunState::Running)
    }
}

fn cron_keys(runs: &[StoredRun]) -> Vec<(i64, String, bool)> {
    runs.iter()
        .map(|run| (run.fire_time_ms, run.schedule_id.clone(), run.manual))
        .collect()
}

fn cron_key(fire_time_ms: i64, schedule_id: &str, manual: bool) -> (i64, String, bool) {
    (fire_time_ms, schedule_id.to_owned(), manual)
}

async fn cron_all_runs(
    schedules: &SharedScheduleStore,
    schedule_id: Option<&str>,
) -> Vec<StoredRun> {
    schedules.list_runs(schedule_id, None, 1_000).await.unwrap()
}

/// Every page of `list_runs` at `page_size`, joined.
async fn cron_runs_paged(
    schedules: &SharedScheduleStore,
    schedule_id: Option<&str>,
    page_size: usize,
) -> Vec<StoredRun> {
    let mut runs: Vec<StoredRun> = Vec::new();
    loop {
        let after = runs.last().map(StoredRun::cursor);
        let page = schedules
            .list_runs(schedule_id, after.as_ref(), page_size)
            .await
            .unwrap();
        assert!(page.len() <= page_size);
        if page.is_empty() {
            return runs;
        }
        runs.extend(page);
    }
}

async fn cron_schedules_are_inserted_once_replaced_and_deleted(fixture: &Fixture) {
    let schedules = zenith_server::cron::store::open(&fixture.database);
    let first = cron_schedule("nightly", "reports");
    assert!(schedules.insert(&first).await.unwrap());
    let mut again = cron_schedule("nightly", "elsewhere");
    again.created_by = "bob".to_owned();
    assert!(!schedules.insert(&again).await.unwrap());
    assert_eq!(schedules.get("nightly").await.unwrap(), Some(first.clone()));
    assert_eq!(schedules.get("missing").await.unwrap(), None);

    // A new definition moves the next fire time only when one is given, and never undoes a pause.
    let mut spec = first.spec.clone();
    spec.cron = String::new();
    spec.interval = Some(prost_types::Duration {
        seconds: 30,
        nanos: 0,
    });
    spec.job.as_mut().unwrap().queue = "moved".to_owned();
    let redefined = schedules
        .update_definition(&spec, ScheduleOrigin::Code, "bob", 2_000, None)
        .await
        .unwrap()
        .unwrap();
    let mut expected = first.clone();
    expected.spec = spec.clone();
    expected.origin = ScheduleOrigin::Code;
    expected.updated_by = "bob".to_owned();
    expected.updated_at_ms = 2_000;
    assert_eq!(redefined, expected);
    assert_eq!(
        schedules.get("nightly").await.unwrap(),
        Some(expected.clone())
    );
    let moved = schedules
        .update_definition(&spec, ScheduleOrigin::Api, "bob", 3_000, Some(90_000))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(moved.next_fire_ms, Some(90_000));
    assert_eq!(moved.origin, ScheduleOrigin::Api);
    // The queue column follows the definition.
    let in_moved = schedules.list("", Some("moved"), 10).await.unwrap();
    assert_eq!(in_moved.len(), 1);
    assert!(
        schedules
            .list("", Some("reports"), 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Pause and resume change only the pause and the next fire time, once each.
    let (paused, changed) = schedules
        .pause("nightly", "ops", 4_000, "incident 42")
        .await
        .unwrap()
        .unwrap();
    assert!(changed && paused.paused);
    assert_eq!(
        (
            paused.paused_by.as_str(),
            paused.paused_at_ms,
            paused.pause_reason.as_str()
        ),
        ("ops", Some(4_000), "incident 42")
    );
    assert_eq!(paused.next_fire_ms, None);
    assert_eq!(paused.spec, spec);
    let (again, changed) = schedules
        .pause("nightly", "someone else", 5_000, "other")
        .await
        .unwrap()
        .unwrap();
    assert!(!changed);
    assert_eq!(again, paused);
    let redefined = schedules
        .update_definition(&spec, ScheduleOrigin::Code, "bob", 6_000, Some(99_000))
        .await
        .unwrap()
        .unwrap();
    assert!(redefined.paused, "a new definition undid a pause");
    assert_eq!(redefined.next_fire_ms, None);
    let (resumed, changed) = schedules
        .resume("nightly", Some(120_000))
        .await
        .unwrap()
        .unwrap();
    assert!(changed && !resumed.paused);
    assert_eq!(resumed.next_fire_ms, Some(120_000));
    assert_eq!(
        (resumed.paused_by.as_str(), resumed.paused_at_ms),
        ("", None)
    );
    assert!(
        !schedules
            .resume("nightly", Some(1))
            .await
            .unwrap()
            .unwrap()
            .1
    );

    assert_eq!(
        schedules
            .update_definition(
                &cron_schedule("missing", "reports").spec,
                ScheduleOrigin::Api,
                "bob",
                1,
                None
            )
            .await
            .unwrap(),
        None
    );
    assert_eq!(schedules.pause("missing", "a", 1, "").await.unwrap(), None);
    assert_eq!(schedules.resume("missing", None).await.unwrap(), None);
    assert_eq!(schedules.get("missing").await.unwrap(), None);

    // Deleting a schedule keeps its runs.
    schedules
        .record_run(&cron_fired("nightly", 60_000))
        .await
        .unwrap();
    assert!(schedules.delete("nightly").await.unwrap());
    assert!(!schedules.delete("nightly").await.unwrap());
    assert_eq!(schedules.get("nightly").await.unwrap(), None);
    assert_eq!(
        cron_all_runs(&schedules, Some("nightly")).await,
        [cron_fired("nightly", 60_000)]
    );
}

async fn cron_schedules_page_by_id_and_filter_by_queue(fixture: &Fixture) {
    let schedules = zenith_server::cron::store::open(&fixture.database);
    for (id, queue) in [
        ("b1", "emails"),
        ("a1", "reports"),
        ("c1", "reports"),
        ("a2", "emails"),
        ("b2", "reports"),
    ] {
        assert!(schedules.insert(&cron_schedule(id, queue)).await.unwrap());
    }
    let ids = |page: Vec<StoredSchedule>| -> Vec<String> {
        page.iter()
            .map(|schedule| schedule.id().to_owned())
            .collect()
    };
    assert_eq!(
        ids(schedules.list("", None, 2).await.unwrap()),
        ["a1", "a2"]
    );
    assert_eq!(
        ids(schedules.list("a2", None, 2).await.unwrap()),
        ["b1", "b2"]
    );
    assert_eq!(ids(schedules.list("b2", None, 2).await.unwrap()), ["c1"]);
    assert!(schedules.list("c1", None, 2).await.unwrap().is_empty());
    assert_eq!(
        ids(schedules.list("", Some("reports"), 2).await.unwrap()),
        ["a1", "b2"]
    );
    assert_eq!(
        ids(schedules.list("b2", Some("reports"), 2).await.unwrap()),
        ["c1"]
    );
    assert_eq!(
        ids(schedules.list("", Some("emails"), 10).await.unwrap()),
        ["a2", "b1"]
    );
    assert!(
        schedules
            .list("", Some("report"), 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Only the next fire time changes.
    schedules.set_next_fire("a1", Some(120_000)).await.unwrap();
    let mut expected = cron_schedule("a1", "reports");
    expected.next_fire_ms = Some(120_000);
    assert_eq!(schedules.get("a1").await.unwrap(), Some(expected.clone()));
    schedules.set_next_fire("a1", None).await.unwrap();
    expected.next_fire_ms = None;
    assert_eq!(schedules.get("a1").await.unwrap(), Some(expected));
    assert_eq!(
        schedules.get("a2").await.unwrap(),
        Some(cron_schedule("a2", "emails"))
    );
    schedules.set_next_fire("missing", Some(1)).await.unwrap();
    assert_eq!(schedules.get("missing").await.unwrap(), None);
}

async fn cron_scheduled_runs_meet_on_their_fire_time(fixture: &Fixture) {
    let schedules = zenith_server::cron::store::open(&fixture.database);
    // A replica that saw the previous run unfinished skips; one that fired replaces the skip.
    schedules
        .record_run(&cron_skipped("s", 1_000))
        .await
        .unwrap();
    schedules.record_run(&cron_fired("s", 1_000)).await.unwrap();
    // A late skip, and the same fire recorded again with other columns, keep the fired row.
    schedules
        .record_run(&cron_skipped("s", 1_000))
        .await
        .unwrap();
    let mut fired_again = cron_fired("s", 1_000);
    fired_again.state = RunState::Completed;
    fired_again.enqueued_at_ms = Some(9_999);
    schedules.record_run(&fired_again).await.unwrap();
    // Fired first, skipped later: the fired row stays.
    schedules.record_run(&cron_fired("s", 2_000)).await.unwrap();
    schedules
        .record_run(&cron_skipped("s", 2_000))
        .await
        .unwrap();
    // Skipped twice: the first skip stays.
    let first_skip = cron_skipped("s", 3_000);
    schedules.record_run(&first_skip).await.unwrap();
    let mut second_skip = cron_skipped("s", 3_000);
    second_skip.trigger = RunTrigger::Misfire;
    schedules.record_run(&second_skip).await.unwrap();
    assert_eq!(
        cron_all_runs(&schedules, Some("s")).await,
        [first_skip, cron_fired("s", 2_000), cron_fired("s", 1_000)]
    );

    // Manual runs never meet a scheduled run; a second manual record of the same ms keeps the
    // first.
    let manual = cron_manual("s", 1_000, "manual-1");
    schedules.record_run(&manual).await.unwrap();
    schedules
        .record_run(&cron_manual("s", 1_000, "manual-2"))
        .await
        .unwrap();
    let at_1000: Vec<StoredRun> = cron_all_runs(&schedules, Some("s"))
        .await
        .into_iter()
        .filter(|run| run.fire_time_ms == 1_000)
        .collect();
    assert_eq!(at_1000, [manual.clone(), cron_fired("s", 1_000)]);

    assert_eq!(
        schedules.run_of_job("s", "cron:s:1000").await.unwrap(),
        Some(cron_fired("s", 1_000))
    );
    assert_eq!(
        schedules.run_of_job("s", "manual-1").await.unwrap(),
        Some(manual)
    );
    assert_eq!(schedules.run_of_job("s", "manual-2").await.unwrap(), None);
    assert_eq!(
        schedules.run_of_job("other", "cron:s:1000").await.unwrap(),
        None
    );

    // The last run that made a job, past the skipped one at 3,000: what overlap skip checks.
    assert_eq!(
        schedules.last_fired_run("s").await.unwrap(),
        Some(cron_fired("s", 2_000))
    );
    assert_eq!(schedules.last_fired_run("other").await.unwrap(), None);
}

async fn cron_last_runs_are_the_latest_of_each_schedule(fixture: &Fixture) {
    let schedules = zenith_server::cron::store::open(&fixture.database);
    for run in [
        cron_fired("a", 1_000),
        cron_skipped("a", 2_000),
        cron_fired("b", 1_000),
        cron_manual("b", 3_000, "manual-b"),
        cron_fired("b", 2_000),
        cron_fired("c", 5_000),
        cron_manual("c", 5_000, "manual-c"),
        cron_fired("c", 4_000),
        cron_fired("unasked", 9_000),
    ] {
        schedules.record_run(&run).await.unwrap();
    }
    let wanted: Vec<String> = ["a", "b", "c", "d"].map(str::to_owned).to_vec();
    let last = schedules.last_runs(&wanted).await.unwrap();
    assert_eq!(last.len(), 3);
    assert_eq!(last["a"], cron_skipped("a", 2_000));
    assert_eq!(last["b"], cron_manual("b", 3_000, "manual-b"));
    // At the same ms, the manual run counts as the later.
    assert_eq!(last["c"], cron_manual("c", 5_000, "manual-c"));
    assert!(schedules.last_runs(&[]).await.unwrap().is_empty());
}

async fn cron_runs_page_newest_first_across_and_within_schedules(fixture: &Fixture) {
    let schedules = zenith_server::cron::store::open(&fixture.database);
    for run in [
        cron_fired("a", 1_000),
        cron_manual("a", 1_000, "manual-a1"),
        cron_fired("b", 2_000),
        cron_fired("a", 2_000),
        cron_fired("a", 3_000),
        cron_manual("b", 3_000, "manual-b3"),
        cron_skipped("b", 3_000),
    ] {
        schedules.record_run(&run).await.unwrap();
    }
    let everything = [
        cron_key(3_000, "b", true),
        cron_key(3_000, "b", false),
        cron_key(3_000, "a", false),
        cron_key(2_000, "b", false),
        cron_key(2_000, "a", false),
        cron_key(1_000, "a", true),
        cron_key(1_000, "a", false),
    ];
    for page_size in [1, 2, 3, 100] {
        let runs = cron_runs_paged(&schedules, None, page_size).await;
        assert_eq!(cron_keys(&runs), everything, "page size {page_size}");
    }
    for page_size in [1, 2] {
        let runs = cron_runs_paged(&schedules, Some("a"), page_size).await;
        assert_eq!(
            cron_keys(&runs),
            [
                cron_key(3_000, "a", false),
                cron_key(2_000, "a", false),
                cron_key(1_000, "a", true),
                cron_key(1_000, "a", false),
            ],
            "page size {page_size}"
        );
        let runs = cron_runs_paged(&schedules, Some("b"), page_size).await;
        assert_eq!(
            cron_keys(&runs),
            [
                cron_key(3_000, "b", true),
                cron_key(3_000, "b", false),
                cron_key(2_000, "b", false),
            ],
            "page size {page_size}"
        );
    }
    assert!(cron_all_runs(&schedules, Some("c")).await.is_empty());
}

async fn cron_unfinished_runs_rotate_and_finish_only_from_running(fixture: &Fixture) {
    let schedules = zenith_server::cron::store::open(&fixture.database);
    let mut completed = cron_fired("s", 4_000);
    completed.state = RunState::Completed;
    for run in [
        cron_fired("s", 1_000),
        cron_fired("s", 2_000),
        cron_manual("s", 2_000, "manual-2"),
        completed.clone(),
        cron_skipped("s", 5_000),
    ] {
        schedules.record_run(&run).await.unwrap();
    }
    let taken_keys = |runs: Vec<StoredRun>| -> Vec<RunCursor> {
        assert!(runs.iter().all(|run| run.state == RunState::Running));
        runs.iter().map(StoredRun::cursor).collect()
    };
    let first = taken_keys(schedules.take_unfinished(10, 2).await.unwrap());
    assert_eq!(first.len(), 2);
    // The one never checked comes before those checked at 10.
    let second = taken_keys(schedules.take_unfinished(20, 2).await.unwrap());
    assert_eq!(second.len(), 2);
    let never_checked: Vec<&RunCursor> = second.iter().filter(|key| !first.contains(key)).collect();
    assert_eq!(never_checked.len(), 1);
    // Then the one from the first call that the second left out.
    let left_out: Vec<&RunCursor> = first.iter().filter(|key| !second.contains(key)).collect();
    assert_eq!(left_out.len(), 1);
    let third = taken_keys(schedules.take_unfinished(30, 2).await.unwrap());
    assert!(third.contains(left_out[0]), "{third:?} lacks {left_out:?}");
    let all = taken_keys(schedules.take_unfinished(40, 10).await.unwrap());
    assert_eq!(all.len(), 3);

    // Finishing goes only from RUNNING: a second finish and a finish of a finished run change
    // nothing.
    let mut done = cron_fired("s", 1_000);
    done.state = RunState::Completed;
    done.finished_at_ms = Some(1_500);
    done.duration_ms = Some(495);
    schedules.finish_run(&done).await.unwrap();
    let mut failed_late = done.clone();
    failed_late.state = RunState::Failed;
    failed_late.finished_at_ms = Some(1_800);
    schedules.finish_run(&failed_late).await.unwrap();
    let mut completed_again = completed.clone();
    completed_again.state = RunState::Cancelled;
    completed_again.finished_at_ms = Some(4_100);
    schedules.finish_run(&completed_again).await.unwrap();
    let mut skipped_finished = cron_skipped("s", 5_000);
    skipped_finished.state = RunState::Completed;
    schedules.finish_run(&skipped_finished).await.unwrap();
    // A manual run is found by its own key, apart from the scheduled run at the same ms.
    let mut manual_failed = cron_manual("s", 2_000, "manual-2");
    manual_failed.state = RunState::Failed;
    manual_failed.finished_at_ms = Some(2_600);
    manual_failed.duration_ms = Some(595);
    schedules.finish_run(&manual_failed).await.unwrap();
    assert_eq!(
        cron_all_runs(&schedules, Some("s")).await,
        [
            cron_skipped("s", 5_000),
            completed,
            manual_failed,
            cron_fired("s", 2_000),
            done,
        ]
    );

    // Finished runs are never taken.
    let remaining = taken_keys(schedules.take_unfinished(50, 10).await.unwrap());
    assert_eq!(remaining, [cron_fired("s", 2_000).cursor()]);
}

async fn cron_run_prune_is_bounded_by_limit_and_cutoff(fixture: &Fixture) {
    let schedules = zenith_server::cron::store::open(&fixture.database);
    let finished = |mut run: StoredRun| {
        run.state = RunState::Completed;
        run
    };
    for run in [
        finished(cron_fired("a", 1_000)),
        finished(cron_fired("b", 2_000)),
        finished(cron_manual("a", 2_000, "manual-a")),
        cron_fired("a", 4_000),
        cron_skipped("b", 5_000),
        // Still running: overlap skip looks at it, however old.
        cron_fired("c", 500),
    ] {
        schedules.record_run(&run).await.unwrap();
    }
    assert_eq!(schedules.prune_runs(4_000, 2).await.unwrap(), 2);
    assert_eq!(schedules.prune_runs(4_000, 2).await.unwrap(), 1);
    assert_eq!(schedules.prune_runs(4_000, 2).await.unwrap(), 0);
    // A run at the cutoff itself stays.
    assert_eq!(
        cron_keys(&cron_all_runs(&schedules, None).await),
        [
            cron_key(5_000, "b", false),
            cron_key(4_000, "a", false),
            cron_key(500, "c", false)
        ]
    );
}

fn alert_store(fixture: &Fixture) -> SharedAlertStore {
    zenith_server::alerts::store::open(&fixture.database)
}

fn alert_rule(id: &str, origin: RuleOrigin, at_ms: i64) -> StoredRule {
    StoredRule {
        spec: RuleSpec {
            id: id.into(),
            description: format!("rule {id}"),
            severity: Severity::Warning.into(),
            condition: Some(rule_spec::Condition::Backlog(BacklogCondition {
                above: 10,
            })),
            ..RuleSpec::default()
        },
        origin,
        created_at_ms: at_ms,
        updated_at_ms: at_ms,
    }
}

fn alert_channel(id: &str, url: &str) -> StoredChannel {
    StoredChannel {
        spec: ChannelSpec {
            id: id.into(),
            kind: Some(channel_spec::Kind::Webhook(WebhookChannel {
                url: url.into(),
                signing_secret: "sentinel-secret".into(),
            })),
            ..ChannelSpec::default()
        },
        created_at_ms: 1_000,
        updated_at_ms: 1_000,
    }
}

fn silence(id: &str, rule_id: &str, starts_at_ms: i64, ends_at_ms: i64) -> StoredSilence {
    StoredSilence {
        id: id.into(),
        spec: SilenceSpec {
            rule_id: rule_id.into(),
            comment: "maintenance".into(),
            author: "alice".into(),
            ..SilenceSpec::default()
        },
        starts_at_ms,
        ends_at_ms,
        created_at_ms: starts_at_ms,
    }
}

/// A new pending alert of `rule_id` about `queue:<queue>`, created at `at_ms`.
fn open_alert(id: &str, rule_id: &str, queue: &str, at_ms: i64) -> StoredAlert {
    StoredAlert {
        id: id.into(),
        rule_id: rule_id.into(),
        subject: format!("queue:{queue}"),
        state: AlertState::Pending,
        severity: Severity::Warning,
        labels: BTreeMap::from([
            ("queue".to_owned(), queue.to_owned()),
            ("team".to_owned(), "ops".to_owned()),
        ]),
        summary: format!("queue {queue} has 20 pending jobs"),
        value: 20.0,
        pending_since_ms: at_ms,
        fired_at_ms: None,
        resolved_at_ms: None,
        acknowledged_at_ms: None,
        acknowledged_by: String::new(),
        acknowledge_comment: String::new(),
        fire_notified_at_ms: None,
        last_notified_at_ms: None,
        resolve_handled: false,
        updated_at_ms: at_ms,
    }
}

/// Inserts an alert and moves it to firing at `at_ms`.
async fn firing_alert(store: &SharedAlertStore, id: &str, rule_id: &str, queue: &str, at_ms: i64) {
    assert!(
        store
            .insert_alert(&open_alert(id, rule_id, queue, at_ms))
            .await
            .unwrap()
    );
    assert!(
        store
            .transition_alert(id, AlertState::Pending, AlertState::Firing, at_ms, false)
            .await
            .unwrap()
    );
}

fn notification(id: &str, rule_id: &str, kind: NotificationKind, at_ms: i64) -> NewNotification {
    NewNotification {
        id: id.into(),
        rule_id: rule_id.into(),
        kind,
        severity: Severity::Warning,
        title: format!("[{kind:?}] {rule_id}"),
        created_at_ms: at_ms,
        channel_ids: vec!["hook-a".into(), "hook-b".into()],
    }
}

fn attempt(at_ms: i64, status_code: i32, error: &str) -> StoredAttempt {
    StoredAttempt {
        at_ms,
        status_code,
        error: error.into(),
        took_ms: 12,
    }
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|value| (*value).to_owned()).collect()
}

fn alert_ids(alerts: &[StoredAlert]) -> Vec<String> {
    alerts.iter().map(|alert| alert.id.clone()).collect()
}

fn claimed_keys(claimed: &[ClaimedDelivery]) -> Vec<(String, String)> {
    claimed
        .iter()
        .map(|claim| (claim.notification.id.clone(), claim.channel_id.clone()))
        .collect()
}

fn key(notification_id: &str, channel_id: &str) -> (String, String) {
    (notification_id.to_owned(), channel_id.to_owned())
}

async fn only_notification(store: &SharedAlertStore, id: &str) -> StoredNotification {
    let listed = store.list_notifications("", "", "", 1_000).await.unwrap();
    listed
        .into_iter()
        .find(|notification| notification.id == id)
        .unwrap_or_else(|| panic!("notification {id} is listed"))
}

async fn alert_rules_are_inserted_replaced_deleted_and_seeded_once(fixture: &Fixture) {
    let store = alert_store(fixture);
    let first = alert_rule("backlog-emails", RuleOrigin::User, 1_000);
    assert!(store.insert_rule(&first).await.unwrap());
    assert!(
        !store
            .insert_rule(&alert_rule("backlog-emails", RuleOrigin::Default, 2_000))
            .await
            .unwrap()
    );
    assert_eq!(
        store.get_rule("backlog-emails").await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(store.get_rule("missing").await.unwrap(), None);

    // Replacing keeps origin and creation time.
    let mut spec = first.spec.clone();
    spec.description = "changed".into();
    spec.disabled = true;
    let replaced = store.replace_rule(&spec, 5_000).await.unwrap().unwrap();
    assert_eq!(
        replaced,
        StoredRule {
            spec: spec.clone(),
            origin: RuleOrigin::User,
            created_at_ms: 1_000,
            updated_at_ms: 5_000,
        }
    );
    let mut missing = spec.clone();
    missing.id = "missing".into();
    assert_eq!(store.replace_rule(&missing, 5_000).await.unwrap(), None);

    // Seeding adds the defaults once (skipping taken ids), and never again: a deleted default
    // rule stays deleted.
    let defaults = vec![
        alert_rule("backlog-emails", RuleOrigin::Default, 3_000),
        alert_rule("disk", RuleOrigin::Default, 3_000),
        alert_rule("failures", RuleOrigin::Default, 3_000),
    ];
    assert_eq!(store.seed_default_rules(&defaults).await.unwrap(), 2);
    assert_eq!(
        store
            .get_rule("backlog-emails")
            .await
            .unwrap()
            .unwrap()
            .origin,
        RuleOrigin::User
    );
    assert!(store.delete_rule("disk", 6_000).await.unwrap());
    assert_eq!(store.seed_default_rules(&defaults).await.unwrap(), 0);
    assert_eq!(store.get_rule("disk").await.unwrap(), None);

    // Paging by id.
    let page = store.list_rules("", 1).await.unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].spec.id, "backlog-emails");
    let rest = store.list_rules("backlog-emails", 10).await.unwrap();
    let ids: Vec<&str> = rest.iter().map(|rule| rule.spec.id.as_str()).collect();
    assert_eq!(ids, ["failures"]);
    assert_eq!(rest[0].origin, RuleOrigin::Default);

    // Deleting a rule resolves its open alerts without a notification, and only its own.
    firing_alert(&store, "a1", "failures", "emails", 7_000).await;
    assert!(
        store
            .insert_alert(&open_alert("a2", "failures", "reports", 7_000))
            .await
            .unwrap()
    );
    assert!(
        store
            .insert_alert(&open_alert("a3", "backlog-emails", "emails", 7_000))
            .await
            .unwrap()
    );
    let counts = store.open_alert_counts().await.unwrap();
    assert_eq!(counts.get("failures"), Some(&(1, 1)));
    assert_eq!(counts.get("backlog-emails"), Some(&(1, 0)));
    assert!(store.delete_rule("failures", 8_000).await.unwrap());
    assert!(!store.delete_rule("failures", 8_000).await.unwrap());
    for id in ["a1", "a2"] {
        let alert = store.get_alert(id).await.unwrap().unwrap();
        assert_eq!(alert.state, AlertState::Resolved);
        assert_eq!(alert.resolved_at_ms, Some(8_000));
        assert!(alert.resolve_handled);
    }
    let counts = store.open_alert_counts().await.unwrap();
    assert_eq!(counts.len(), 1);
    assert_eq!(counts.get("backlog-emails"), Some(&(1, 0)));
}

async fn alert_channels_are_kept_with_secrets_and_deleting_fails_pending_deliveries(
    fixture: &Fixture,
) {
    let store = alert_store(fixture);
    let first = alert_channel("hook-a", "https://example.com/a");
    assert!(store.insert_channel(&first).await.unwrap());
    assert!(
        !store
            .insert_channel(&alert_channel("hook-a", "https://example.com/other"))
            .await
            .unwrap()
    );
    assert!(
        store
            .insert_channel(&alert_channel("hook-b", "https://example.com/b"))
            .await
            .unwrap()
    );
    assert_eq!(
        store.get_channel("hook-a").await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(store.get_channel("missing").await.unwrap(), None);

    let mut spec = first.spec.clone();
    spec.disabled = true;
    let replaced = store.replace_channel(&spec, 4_000).await.unwrap().unwrap();
    assert_eq!(replaced.spec, spec);
    assert_eq!(
        (replaced.created_at_ms, replaced.updated_at_ms),
        (1_000, 4_000)
    );
    let mut missing = spec.clone();
    missing.id = "missing".into();
    assert_eq!(store.replace_channel(&missing, 4_000).await.unwrap(), None);

    let listed = store.list_channels("", 10).await.unwrap();
    let ids: Vec<&str> = listed
        .iter()
        .map(|channel| channel.spec.id.as_str())
        .collect();
    assert_eq!(ids, ["hook-a", "hook-b"]);
    let listed = store.list_channels("hook-a", 10).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(store.list_channels("", 1).await.unwrap().len(), 1);

    // A notification to both: one delivery finishes, then hook-a goes away.
    firing_alert(&store, "a1", "backlog", "emails", 5_000).await;
    let made = store
        .create_notification(
            &notification("n1", "backlog", NotificationKind::Firing, 5_000),
            &strings(&["a1"]),
            NotifyClaim::Firing,
        )
        .await
        .unwrap();
    assert_eq!(made, ["a1"]);
    store
        .finish_attempt(
            "n1",
            "hook-b",
            &attempt(5_100, 200, ""),
            DeliveryOutcome::Delivered,
        )
        .await
        .unwrap();
    assert!(store.delete_channel("hook-a", 6_000).await.unwrap());
    assert!(!store.delete_channel("hook-a", 6_000).await.unwrap());
    assert_eq!(store.get_channel("hook-a").await.unwrap(), None);

    let listed = only_notification(&store, "n1").await;
    assert_eq!(listed.deliveries.len(), 2);
    let failed = &listed.deliveries[0];
    assert_eq!(failed.channel_id, "hook-a");
    assert_eq!(failed.state, DeliveryState::Failed);
    assert_eq!(
        failed.attempts,
        [StoredAttempt {
            at_ms: 6_000,
            status_code: 0,
            error: "channel deleted".into(),
            took_ms: 0,
        }]
    );
    let delivered = &listed.deliveries[1];
    assert_eq!(delivered.state, DeliveryState::Delivered);
    assert_eq!(delivered.attempts.len(), 1);
    // Nothing is left to claim for the deleted channel.
    assert!(
        store
            .claim_deliveries(10_000, 1_000, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn alert_silences_hold_their_window_and_expire(fixture: &Fixture) {
    let store = alert_store(fixture);
    let ended = silence("s1", "backlog", 1_000, 2_000);
    let active = silence("s2", "backlog", 1_000, 9_000);
    let upcoming = silence("s3", "disk", 6_000, 9_000);
    for one in [&ended, &active, &upcoming] {
        store.insert_silence(one).await.unwrap();
    }
    assert_eq!(store.get_silence("s2").await.unwrap(), Some(active.clone()));
    assert_eq!(store.get_silence("missing").await.unwrap(), None);

    let ids = |silences: Vec<StoredSilence>| -> Vec<String> {
        silences.into_iter().map(|silence| silence.id).collect()
    };
    assert_eq!(ids(store.active_silences(5_000).await.unwrap()), ["s2"]);
    assert_eq!(
        ids(store.active_silences(6_000).await.unwrap()),
        ["s2", "s3"]
    );
    assert!(store.active_silences(9_000).await.unwrap().is_empty());

    // Newest first; ended ones only when asked for; paged by id.
    let now = 5_000;
    assert_eq!(
        ids(store.list_silences(false, now, "", 10).await.unwrap()),
        ["s3", "s2"]
    );
    assert_eq!(
        ids(store.list_silences(true, now, "", 10).await.unwrap()),
        ["s3", "s2", "s1"]
    );
    assert_eq!(
        ids(store.list_silences(true, now, "s3", 1).await.unwrap()),
        ["s2"]
    );
    assert_eq!(
        ids(store.list_silences(false, now, "s2", 10).await.unwrap()),
        Vec::<String>::new()
    );

    // Expiring an active one ends it now; a pending one starts and ends now; an ended one
    // stays as it was.
    let expired = store.expire_silence("s2", now).await.unwrap().unwrap();
    assert_eq!((expired.starts_at_ms, expired.ends_at_ms), (1_000, now));
    let expired = store.expire_silence("s3", now).await.unwrap().unwrap();
    assert_eq!((expired.starts_at_ms, expired.ends_at_ms), (now, now));
    assert_eq!(
        store.expire_silence("s1", now).await.unwrap(),
        Some(ended.clone())
    );
    assert_eq!(store.expire_silence("missing", now).await.unwrap(), None);
    assert!(store.active_silences(now).await.unwrap().is_empty());
    assert!(
        store
            .list_silences(false, now, "", 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn alert_open_alerts_are_unique_per_rule_and_subject_and_move_by_compare_and_set(
    fixture: &Fixture,
) {
    let store = alert_store(fixture);
    let first = open_alert("a1", "backlog", "emails", 1_000);
    assert!(store.insert_alert(&first).await.unwrap());
    assert_eq!(store.get_alert("a1").await.unwrap(), Some(first.clone()));
    // A second open alert for the same rule and subject is refused; another subject or rule
    // is not.
    assert!(
        !store
            .insert_alert(&open_alert("a2", "backlog", "emails", 1_100))
            .await
            .unwrap()
    );
    assert_eq!(store.get_alert("a2").await.unwrap(), None);
    assert!(
        store
            .insert_alert(&open_alert("a3", "backlog", "reports", 1_100))
            .await
            .unwrap()
    );
    assert!(
        store
            .insert_alert(&open_alert("a4", "failures", "emails", 1_100))
            .await
            .unwrap()
    );
    assert_eq!(
        alert_ids(&store.open_alerts("backlog").await.unwrap()),
        ["a1", "a3"]
    );
    assert_eq!(
        alert_ids(&store.open_alerts("").await.unwrap()),
        ["a1", "a3", "a4"]
    );

    // Observations change an open alert's measurements only.
    let mut observed = first.clone();
    observed.value = 42.0;
    observed.summary = "queue emails has 42 pending jobs".into();
    observed.severity = Severity::Critical;
    observed.labels.insert("service".into(), "mailer".into());
    store.observe_alert(&observed).await.unwrap();
    assert_eq!(store.get_alert("a1").await.unwrap(), Some(observed.clone()));

    // Transitions are compare-and-sets: the second identical one does nothing.
    assert!(
        store
            .transition_alert("a1", AlertState::Pending, AlertState::Firing, 2_000, false)
            .await
            .unwrap()
    );
    assert!(
        !store
            .transition_alert("a1", AlertState::Pending, AlertState::Firing, 2_500, false)
            .await
            .unwrap()
    );
    let firing = store.get_alert("a1").await.unwrap().unwrap();
    assert_eq!(firing.state, AlertState::Firing);
    assert_eq!(firing.fired_at_ms, Some(2_000));
    assert_eq!(firing.updated_at_ms, 2_000);
    assert_eq!(
        store.open_alert_counts().await.unwrap().get("backlog"),
        Some(&(1, 1))
    );
    assert!(
        store
            .transition_alert("a1", AlertState::Firing, AlertState::Resolved, 3_000, false)
            .await
            .unwrap()
    );
    assert!(
        !store
            .transition_alert("a1", AlertState::Firing, AlertState::Resolved, 3_000, false)
            .await
            .unwrap()
    );
    let resolved = store.get_alert("a1").await.unwrap().unwrap();
    assert_eq!(resolved.state, AlertState::Resolved);
    assert_eq!(
        (resolved.fired_at_ms, resolved.resolved_at_ms),
        (Some(2_000), Some(3_000))
    );
    assert!(!resolved.resolve_handled);
    // Resolved is final: observations no longer change it.
    let mut late = observed.clone();
    late.value = 1.0;
    store.observe_alert(&late).await.unwrap();
    assert_eq!(store.get_alert("a1").await.unwrap().unwrap().value, 42.0);

    // Once resolved, the rule and subject may open a new alert.
    assert!(
        store
            .insert_alert(&open_alert("a5", "backlog", "emails", 4_000))
            .await
            .unwrap()
    );
    assert_eq!(
        alert_ids(&store.open_alerts("backlog").await.unwrap()),
        ["a3", "a5"]
    );

    // Unhandled resolves from a time on, until handled.
    assert!(
        store
            .transition_alert("a3", AlertState::Pending, AlertState::Resolved, 5_000, true)
            .await
            .unwrap()
    );
    assert_eq!(
        alert_ids(&store.unhandled_resolved(0).await.unwrap()),
        ["a1"]
    );
    assert!(store.unhandled_resolved(3_001).await.unwrap().is_empty());
    store.mark_resolve_handled(&strings(&["a1"])).await.unwrap();
    assert!(store.unhandled_resolved(0).await.unwrap().is_empty());
    assert_eq!(
        alert_ids(
            &store
                .alerts_by_ids(&strings(&["a5", "a1", "missing"]))
                .await
                .unwrap()
        ),
        ["a1", "a5"]
    );
}

async fn alert_lists_filter_and_page_newest_first(fixture: &Fixture) {
    let store = alert_store(fixture);
    firing_alert(&store, "a1", "backlog", "emails", 1_000).await;
    firing_alert(&store, "a2", "backlog", "reports", 2_000).await;
    assert!(
        store
            .insert_alert(&open_alert("a3", "failures", "emails", 3_000))
            .await
            .unwrap()
    );
    let mut serviced = open_alert("a4", "workers", "emails", 4_000);
    serviced.subject = "service:mailer".into();
    serviced.labels = BTreeMap::from([("service".to_owned(), "mailer".to_owned())]);
    assert!(store.insert_alert(&serviced).await.unwrap());
    assert!(
        store
            .transition_alert("a1", AlertState::Firing, AlertState::Resolved, 5_000, false)
            .await
            .unwrap()
    );

    let list = |filter: AlertFilter| {
        let store = store.clone();
        async move { alert_ids(&store.list_alerts(&filter, "", 100).await.unwrap()) }
    };
    assert_eq!(list(AlertFilter::default()).await, ["a4", "a3", "a2", "a1"]);
    let states = |states: &[AlertState]| AlertFilter {
        states: states.to_vec(),
        ..AlertFilter::default()
    };
    assert_eq!(list(states(&[AlertState::Firing])).await, ["a2"]);
    assert_eq!(
        list(states(&[AlertState::Pending, AlertState::Resolved])).await,
        ["a4", "a3", "a1"]
    );
    let by_rule = AlertFilter {
        rule_id: "backlog".into(),
        ..AlertFilter::default()
    };
    assert_eq!(list(by_rule).await, ["a2", "a1"]);
    let by_queue = AlertFilter {
        queue: "emails".into(),
        ..AlertFilter::default()
    };
    assert_eq!(list(by_queue).await, ["a3", "a1"]);
    let by_service = AlertFilter {
        service: "mailer".into(),
        ..AlertFilter::default()
    };
    assert_eq!(list(by_service).await, ["a4"]);
    // Since compares with the last change: a1 resolved at 5000.
    let since = AlertFilter {
        since_ms: Some(3_000),
        ..AlertFilter::default()
    };
    assert_eq!(list(since).await, ["a4", "a3", "a1"]);
    let combined = AlertFilter {
        states: vec![AlertState::Resolved, AlertState::Firing],
        queue: "emails".into(),
        ..AlertFilter::default()
    };
    assert_eq!(list(combined).await, ["a1"]);

    // Pages by cursor, newest first.
    let mut seen = Vec::new();
    let mut before = String::new();
    loop {
        let page = store
            .list_alerts(&AlertFilter::default(), &before, 3)
            .await
            .unwrap();
        assert!(page.len() <= 3);
        let Some(last) = page.last() else { break };
        before = last.id.clone();
        seen.extend(alert_ids(&page));
    }
    assert_eq!(seen, ["a4", "a3", "a2", "a1"]);
}

async fn alert_acknowledgement_holds_for_open_alerts_only(fixture: &Fixture) {
    let store = alert_store(fixture);
    firing_alert(&store, "a1", "backlog", "emails", 1_000).await;
    let Acknowledged::Done(acked) = store
        .acknowledge("a1", "alice", "on it", 2_000)
        .await
        .unwrap()
    else {
        panic!("a firing alert is acknowledged");
    };
    assert_eq!(acked.acknowledged_at_ms, Some(2_000));
    assert_eq!(acked.acknowledged_by, "alice");
    assert_eq!(acked.acknowledge_comment, "on it");
    assert_eq!(acked.updated_at_ms, 2_000);
    // The first acknowledgement stays.
    assert_eq!(
        store
            .acknowledge("a1", "bob", "me too", 3_000)
            .await
            .unwrap(),
        Acknowledged::Done(acked)
    );
    assert_eq!(
        store
            .acknowledge("missing", "bob", "", 3_000)
            .await
            .unwrap(),
        Acknowledged::NotFound
    );
    assert!(
        store
            .insert_alert(&open_alert("a2", "backlog", "reports", 1_000))
            .await
            .unwrap()
    );
    assert!(
        store
            .transition_alert("a2", AlertState::Pending, AlertState::Resolved, 4_000, true)
            .await
            .unwrap()
    );
    let Acknowledged::Resolved(resolved) = store.acknowledge("a2", "bob", "", 5_000).await.unwrap()
    else {
        panic!("a resolved alert is not acknowledged");
    };
    assert_eq!(resolved.acknowledged_at_ms, None);
    assert_eq!(
        store
            .get_alert("a2")
            .await
            .unwrap()
            .unwrap()
            .acknowledged_at_ms,
        None
    );
}

async fn alert_notifications_claim_each_transition_once(fixture: &Fixture) {
    let store = alert_store(fixture);
    firing_alert(&store, "a1", "backlog", "emails", 1_000).await;
    firing_alert(&store, "a2", "backlog", "reports", 1_000).await;
    assert!(
        store
            .insert_alert(&open_alert("a3", "backlog", "pending", 1_000))
            .await
            .unwrap()
    );
    let ids = strings(&["a3", "a2", "a1"]);

    // FIRING claims the firing alerts not notified yet; the same call again writes nothing.
    let made = store
        .create_notification(
            &notification("n1", "backlog", NotificationKind::Firing, 2_000),
            &ids,
            NotifyClaim::Firing,
        )
        .await
        .unwrap();
    assert_eq!(made, ["a1", "a2"]);
    let again = store
        .create_notification(
            &notification("n2", "backlog", NotificationKind::Firing, 2_100),
            &ids,
            NotifyClaim::Firing,
        )
        .await
        .unwrap();
    assert!(again.is_empty());
    let listed = store.list_notifications("", "", "", 10).await.unwrap();
    assert_eq!(listed.len(), 1);
    let n1 = &listed[0];
    assert_eq!(n1.id, "n1");
    assert_eq!(n1.kind, NotificationKind::Firing);
    assert_eq!(n1.severity, Severity::Warning);
    assert_eq!(n1.title, "[Firing] backlog");
    assert_eq!(n1.alert_ids, ["a1", "a2"]);
    assert_eq!(n1.created_at_ms, 2_000);
    let channels: Vec<(&str, DeliveryState, i64)> = n1
        .deliveries
        .iter()
        .map(|d| (d.channel_id.as_str(), d.state, d.next_attempt_at_ms))
        .collect();
    assert_eq!(
        channels,
        [
            ("hook-a", DeliveryState::Pending, 2_000),
            ("hook-b", DeliveryState::Pending, 2_000)
        ]
    );
    let a1 = store.get_alert("a1").await.unwrap().unwrap();
    assert_eq!(
        (a1.fire_notified_at_ms, a1.last_notified_at_ms),
        (Some(2_000), Some(2_000))
    );
    assert_eq!(
        store
            .get_alert("a3")
            .await
            .unwrap()
            .unwrap()
            .fire_notified_at_ms,
        None
    );

    // REPEAT claims firing alerts notified at or before the cutoff and not acknowledged.
    let repeat = |id: &str, at_ms: i64, due_before_ms: i64| {
        let store = store.clone();
        let ids = ids.clone();
        let made = notification(id, "backlog", NotificationKind::Repeat, at_ms);
        async move {
            store
                .create_notification(&made, &ids, NotifyClaim::Repeat { due_before_ms })
                .await
                .unwrap()
        }
    };
    assert!(repeat("n3", 3_000, 1_999).await.is_empty());
    assert!(matches!(
        store.acknowledge("a2", "alice", "", 2_500).await.unwrap(),
        Acknowledged::Done(_)
    ));
    assert_eq!(repeat("n4", 3_000, 2_000).await, ["a1"]);
    assert!(repeat("n5", 3_100, 2_000).await.is_empty());
    assert_eq!(
        store
            .get_alert("a1")
            .await
            .unwrap()
            .unwrap()
            .last_notified_at_ms,
        Some(3_000)
    );
    assert_eq!(
        store
            .get_alert("a1")
            .await
            .unwrap()
            .unwrap()
            .fire_notified_at_ms,
        Some(2_000)
    );

    // RESOLVED claims resolved alerts whose firing was notified, once.
    for id in ["a1", "a3"] {
        let from = if id == "a1" {
            AlertState::Firing
        } else {
            AlertState::Pending
        };
        assert!(
            store
                .transition_alert(id, from, AlertState::Resolved, 4_000, false)
                .await
                .unwrap()
        );
    }
    let resolved = |id: &str| {
        let store = store.clone();
        let ids = ids.clone();
        let made = notification(id, "backlog", NotificationKind::Resolved, 5_000);
        async move {
            store
                .create_notification(&made, &ids, NotifyClaim::Resolved)
                .await
                .unwrap()
        }
    };
    assert_eq!(resolved("n6").await, ["a1"]);
    assert!(resolved("n7").await.is_empty());
    assert!(
        store
            .get_alert("a1")
            .await
            .unwrap()
            .unwrap()
            .resolve_handled
    );
    assert!(
        !store
            .get_alert("a3")
            .await
            .unwrap()
            .unwrap()
            .resolve_handled
    );

    let all: Vec<String> = store
        .list_notifications("", "", "", 10)
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.id)
        .collect();
    assert_eq!(all, ["n6", "n4", "n1"]);
}

async fn alert_notifications_list_by_rule_and_alert_with_their_delivery_log(fixture: &Fixture) {
    let store = alert_store(fixture);
    firing_alert(&store, "a1", "backlog", "emails", 1_000).await;
    firing_alert(&store, "a2", "failures", "emails", 1_000).await;
    for (id, rule, alert) in [("n1", "backlog", "a1"), ("n2", "failures", "a2")] {
        let made = store
            .create_notification(
                &notification(id, rule, NotificationKind::Firing, 2_000),
                &strings(&[alert]),
                NotifyClaim::Firing,
            )
            .await
            .unwrap();
        assert_eq!(made, [alert]);
    }
    let mut test = notification("n3", "", NotificationKind::Test, 3_000);
    test.channel_ids = strings(&["hook-a"]);
    store
        .record_test(&test, &attempt(3_000, 204, ""), true)
        .await
        .unwrap();
    let mut refused = notification("n4", "", NotificationKind::Test, 3_500);
    refused.channel_ids = strings(&["hook-b"]);
    store
        .record_test(&refused, &attempt(3_500, 404, "not found"), false)
        .await
        .unwrap();

    store
        .finish_attempt(
            "n1",
            "hook-a",
            &attempt(2_100, 500, "server error"),
            DeliveryOutcome::Retry {
                next_attempt_at_ms: 2_600,
            },
        )
        .await
        .unwrap();
    store
        .finish_attempt(
            "n1",
            "hook-a",
            &attempt(2_700, 200, ""),
            DeliveryOutcome::Delivered,
        )
        .await
        .unwrap();

    let ids = |listed: Vec<StoredNotification>| -> Vec<String> {
        listed.into_iter().map(|n| n.id).collect()
    };
    assert_eq!(
        ids(store.list_notifications("", "", "", 10).await.unwrap()),
        ["n4", "n3", "n2", "n1"]
    );
    assert_eq!(
        ids(store
            .list_notifications("backlog", "", "", 10)
            .await
            .unwrap()),
        ["n1"]
    );
    assert_eq!(
        ids(store.list_notifications("", "a2", "", 10).await.unwrap()),
        ["n2"]
    );
    assert!(
        store
            .list_notifications("backlog", "a2", "", 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        ids(store.list_notifications("", "", "n3", 1).await.unwrap()),
        ["n2"]
    );

    let n1 = only_notification(&store, "n1").await;
    let hook_a = &n1.deliveries[0];
    assert_eq!(hook_a.channel_id, "hook-a");
    assert_eq!(hook_a.state, DeliveryState::Delivered);
    assert_eq!(hook_a.delivered_at_ms, Some(2_700));
    assert_eq!(hook_a.next_attempt_at_ms, 2_600);
    assert_eq!(
        hook_a.attempts,
        [attempt(2_100, 500, "server error"), attempt(2_700, 200, "")]
    );
    assert_eq!(n1.deliveries[1].state, DeliveryState::Pending);
    assert!(n1.deliveries[1].attempts.is_empty());

    let n3 = only_notification(&store, "n3").await;
    assert_eq!(n3.kind, NotificationKind::Test);
    assert!(n3.alert_ids.is_empty());
    assert_eq!(n3.deliveries.len(), 1);
    assert_eq!(n3.deliveries[0].state, DeliveryState::Delivered);
    assert_eq!(n3.deliveries[0].delivered_at_ms, Some(3_000));
    assert_eq!(n3.deliveries[0].attempts, [attempt(3_000, 204, "")]);
    let n4 = only_notification(&store, "n4").await;
    assert_eq!(n4.deliveries[0].state, DeliveryState::Failed);
    assert_eq!(n4.deliveries[0].delivered_at_ms, None);
    assert_eq!(
        n4.deliveries[0].attempts,
        [attempt(3_500, 404, "not found")]
    );
    // Finished test sends are never claimed.
    let claimed = store.claim_deliveries(10_000, 1_000, 10).await.unwrap();
    assert_eq!(
        claimed_keys(&claimed),
        [
            key("n1", "hook-b"),
            key("n2", "hook-a"),
            key("n2", "hook-b")
        ]
    );
}

async fn alert_deliveries_are_claimed_under_a_lease_and_finished(fixture: &Fixture) {
    let store = alert_store(fixture);
    firing_alert(&store, "a1", "backlog", "emails", 1_000).await;
    firing_alert(&store, "a2", "backlog", "reports", 1_000).await;
    for (id, alert, at_ms) in [("n1", "a1", 2_000), ("n2", "a2", 1_500)] {
        let made = store
            .create_notification(
                &notification(id, "backlog", NotificationKind::Firing, at_ms),
                &strings(&[alert]),
                NotifyClaim::Firing,
            )
            .await
            .unwrap();
        assert_eq!(made, [alert]);
    }
    // Nothing is due before its time; then oldest due first, up to the limit.
    assert!(
        store
            .claim_deliveries(1_499, 1_000, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let first = store.claim_deliveries(3_000, 1_000, 3).await.unwrap();
    assert_eq!(
        claimed_keys(&first),
        [
            key("n2", "hook-a"),
            key("n2", "hook-b"),
            key("n1", "hook-a")
        ]
    );
    let claim = &first[0];
    assert_eq!(claim.notification.id, "n2");
    assert_eq!(claim.notification.alert_ids, ["a2"]);
    assert_eq!(claim.notification.kind, NotificationKind::Firing);
    assert!(claim.notification.deliveries.is_empty());
    assert_eq!(claim.attempts_made, 0);
    // Leased ones are hidden from a second claim until the lease ends.
    let second = store.claim_deliveries(3_000, 1_000, 10).await.unwrap();
    assert_eq!(claimed_keys(&second), [key("n1", "hook-b")]);
    assert!(
        store
            .claim_deliveries(3_999, 1_000, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Each outcome: delivered, retry later, failed.
    store
        .finish_attempt(
            "n2",
            "hook-a",
            &attempt(3_100, 200, ""),
            DeliveryOutcome::Delivered,
        )
        .await
        .unwrap();
    store
        .finish_attempt(
            "n2",
            "hook-b",
            &attempt(3_100, 503, "unavailable"),
            DeliveryOutcome::Retry {
                next_attempt_at_ms: 6_000,
            },
        )
        .await
        .unwrap();
    store
        .finish_attempt(
            "n1",
            "hook-a",
            &attempt(3_100, 400, "bad request"),
            DeliveryOutcome::Failed,
        )
        .await
        .unwrap();
    // The retried one's lease ended, but it is not due before its next attempt; n1/hook-b's
    // lease ran out, so it is claimed again, with its earlier attempts counted.
    let third = store.claim_deliveries(4_000, 1_000, 10).await.unwrap();
    assert_eq!(claimed_keys(&third), [key("n1", "hook-b")]);
    assert_eq!(third[0].attempts_made, 0);
    store
        .finish_attempt(
            "n1",
            "hook-b",
            &attempt(4_100, 202, ""),
            DeliveryOutcome::Delivered,
        )
        .await
        .unwrap();
    assert!(
        store
            .claim_deliveries(5_999, 1_000, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let fourth = store.claim_deliveries(6_000, 1_000, 10).await.unwrap();
    assert_eq!(claimed_keys(&fourth), [key("n2", "hook-b")]);
    assert_eq!(fourth[0].attempts_made, 1);

    let n2 = only_notification(&store, "n2").await;
    let states: Vec<(DeliveryState, Option<i64>, i64)> = n2
        .deliveries
        .iter()
        .map(|d| (d.state, d.delivered_at_ms, d.next_attempt_at_ms))
        .collect();
    assert_eq!(
        states,
        [
            (DeliveryState::Delivered, Some(3_100), 1_500),
            (DeliveryState::Pending, None, 6_000)
        ]
    );
    let n1 = only_notification(&store, "n1").await;
    assert_eq!(n1.deliveries[0].state, DeliveryState::Failed);
    assert_eq!(
        n1.deliveries[0].attempts,
        [attempt(3_100, 400, "bad request")]
    );
    assert_eq!(n1.deliveries[1].state, DeliveryState::Delivered);
    assert_eq!(n1.deliveries[1].delivered_at_ms, Some(4_100));

    // A late duplicate attempt is logged but never undoes a finished delivery.
    store
        .finish_attempt(
            "n2",
            "hook-a",
            &attempt(7_000, 500, "late"),
            DeliveryOutcome::Retry {
                next_attempt_at_ms: 8_000,
            },
        )
        .await
        .unwrap();
    let n2 = only_notification(&store, "n2").await;
    assert_eq!(n2.deliveries[0].state, DeliveryState::Delivered);
    assert_eq!(n2.deliveries[0].attempts.len(), 2);
    // Only the retried delivery is left, once its lease (from 6000) is over.
    let last = store.claim_deliveries(9_000, 1_000, 10).await.unwrap();
    assert_eq!(claimed_keys(&last), [key("n2", "hook-b")]);
    assert_eq!(last[0].attempts_made, 1);
}

/// Rows in the delivery log, whatever delivery they belong to.
async fn attempt_rows(fixture: &Fixture) -> i64 {
    let sql = "SELECT COUNT(*) FROM alert_delivery_attempts";
    match &fixture.database {
        Database::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
        Database::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
    }
}

async fn alert_history_prune_is_bounded_by_limit_and_cutoff(fixture: &Fixture) {
    let store = alert_store(fixture);
    for (index, id) in ["a1", "a2", "a3"].into_iter().enumerate() {
        firing_alert(&store, id, "backlog", id, 1_000).await;
        let resolved_at = 2_000 + index as i64 * 1_000;
        assert!(
            store
                .transition_alert(
                    id,
                    AlertState::Firing,
                    AlertState::Resolved,
                    resolved_at,
                    true
                )
                .await
                .unwrap()
        );
    }
    // Open alerts are never pruned, whatever their age.
    firing_alert(&store, "a4", "backlog", "a4", 500).await;
    for (id, at_ms) in [("n1", 1_000), ("n2", 2_000), ("n3", 9_000)] {
        store
            .record_test(
                &notification(id, "", NotificationKind::Test, at_ms),
                &attempt(at_ms, 200, ""),
                true,
            )
            .await
            .unwrap();
    }
    let firing_made = store
        .create_notification(
            &notification("n0", "backlog", NotificationKind::Firing, 500),
            &strings(&["a4"]),
            NotifyClaim::Firing,
        )
        .await
        .unwrap();
    assert_eq!(firing_made, ["a4"]);

    assert_eq!(store.prune_history(3_500, 1).await.unwrap(), (1, 1));
    assert_eq!(store.prune_history(3_500, 10).await.unwrap(), (1, 2));
    assert_eq!(store.prune_history(3_500, 10).await.unwrap(), (0, 0));
    let left = alert_ids(
        &store
            .list_alerts(&AlertFilter::default(), "", 10)
            .await
            .unwrap(),
    );
    assert_eq!(left, ["a4", "a3"]);
    let left: Vec<String> = store
        .list_notifications("", "", "", 10)
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.id)
        .collect();
    assert_eq!(left, ["n3"]);
    // The pruned notifications' deliveries and attempts went with them, and a late attempt at
    // one of them leaves nothing behind: what is left is n3's, one per channel.
    assert_eq!(attempt_rows(fixture).await, 2);
    store
        .finish_attempt(
            "n0",
            "hook-a",
            &attempt(10_000, 200, ""),
            DeliveryOutcome::Delivered,
        )
        .await
        .unwrap();
    assert_eq!(attempt_rows(fixture).await, 2);
    assert!(
        store
            .claim_deliveries(10_000, 1_000, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .list_notifications("", "a4", "", 10)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Stores over the fixture's database, each with its own pool, as replicas have.
async fn alert_replicas(fixture: &Fixture, count: usize) -> Vec<(Database, SharedAlertStore)> {
    let mut replicas = Vec::new();
    for _ in 0..count {
        let database = Database::connect(&fixture.url).await.unwrap();
        let store = zenith_server::alerts::store::open(&database);
        replicas.push((database, store));
    }
    replicas
}

/// Replicas racing to notify the same transitions of the same alerts: exactly one makes the
/// notification, and the others write nothing.
async fn alert_concurrent_notifications_claim_each_transition_once(fixture: &Fixture) {
    let store = alert_store(fixture);
    let ids: Vec<String> = (0..8).map(|index| format!("a{index}")).collect();
    for id in &ids {
        firing_alert(&store, id, "backlog", id, 1_000).await;
    }
    let replicas = alert_replicas(fixture, 4).await;
    for (round, claim) in [
        NotifyClaim::Firing,
        NotifyClaim::Repeat {
            due_before_ms: 2_000,
        },
    ]
    .into_iter()
    .enumerate()
    {
        let mut racers = tokio::task::JoinSet::new();
        for racer in 0..16 {
            let store = replicas[racer % replicas.len()].1.clone();
            // Each racer walks the alerts in its own order.
            let mut alert_ids = ids.clone();
            alert_ids.rotate_left(racer % ids.len());
            let made = NewNotification {
                id: format!("n{round}-{racer:02}"),
                ..notification(
                    "",
                    "backlog",
                    NotificationKind::Firing,
                    2_000 + round as i64,
                )
            };
            racers.spawn(async move {
                store
                    .create_notification(&made, &alert_ids, claim)
                    .await
                    .unwrap()
            });
        }
        let results = racers.join_all().await;
        let winners: Vec<&Vec<String>> = results.iter().filter(|made| !made.is_empty()).collect();
        assert_eq!(winners.len(), 1, "{results:?}");
        assert_eq!(winners[0], &ids);
    }
    let made = store.list_notifications("", "", "", 100).await.unwrap();
    assert_eq!(made.len(), 2);
    for notification in &made {
        assert_eq!(notification.alert_ids, ids);
        assert_eq!(notification.deliveries.len(), 2);
    }
    for (database, _) in replicas {
        database.close().await;
    }
}

/// Replicas claiming deliveries at once: each delivery is taken by exactly one of them.
async fn alert_concurrent_claims_take_each_delivery_once(fixture: &Fixture) {
    let store = alert_store(fixture);
    let mut expected = Vec::new();
    for index in 0..20 {
        let alert_id = format!("a{index:02}");
        firing_alert(&store, &alert_id, "backlog", &alert_id, 1_000).await;
        let made = notification(
            &format!("n{index:02}"),
            "backlog",
            NotificationKind::Firing,
            1_000,
        );
        for channel_id in &made.channel_ids {
            expected.push((made.id.clone(), channel_id.clone()));
        }
        store
            .create_notification(&made, &[alert_id], NotifyClaim::Firing)
            .await
            .unwrap();
    }
    let replicas = alert_replicas(fixture, 4).await;
    let mut claimers = tokio::task::JoinSet::new();
    for claimer in 0..16 {
        let store = replicas[claimer % replicas.len()].1.clone();
        claimers.spawn(async move {
            let mut taken = Vec::new();
            loop {
                let claimed = store.claim_deliveries(2_000, 60_000, 3).await.unwrap();
                if claimed.is_empty() {
                    return taken;
                }
                taken.extend(claimed_keys(&claimed));
            }
        });
    }
    let mut taken: Vec<(String, String)> =
        claimers.join_all().await.into_iter().flatten().collect();
    taken.sort();
    expected.sort();
    assert_eq!(taken, expected);
    for (database, _) in replicas {
        database.close().await;
    }
}

/// Replicas starting together seed the default rules once between them.
async fn alert_concurrent_seeds_add_the_default_rules_once(fixture: &Fixture) {
    let defaults: Vec<StoredRule> = ["backlog", "disk", "failures", "worker-lost"]
        .into_iter()
        .map(|id| alert_rule(id, RuleOrigin::Default, 1_000))
        .collect();
    let replicas = alert_replicas(fixture, 4).await;
    let mut seeders = tokio::task::JoinSet::new();
    for (_, store) in &replicas {
        let store = store.clone();
        let defaults = defaults.clone();
        seeders.spawn(async move { store.seed_default_rules(&defaults).await.unwrap() });
    }
    let mut added = seeders.join_all().await;
    added.sort();
    assert_eq!(added, [0, 0, 0, 4]);
    let rules = alert_store(fixture).list_rules("", 10).await.unwrap();
    assert_eq!(rules, defaults);
    for (database, _) in replicas {
        database.close().await;
    }
}

fn stored_key(id: &str) -> StoredKey {
    StoredKey {
        id: id.into(),
        name: format!("{id} key"),
        secret_sha256: "ab".repeat(32),
        role: Role::Operator,
        queue_limit: QueueLimit {
            queues: vec!["emails".into(), "billing".into()],
            prefix: "team-".into(),
        },
        payloads: false,
        requests_per_second: 25,
        created_at_ms: 1_700_000_000_000,
        created_by: "open@127.0.0.1".into(),
        expires_at_ms: Some(1_800_000_000_000),
        revoked_at_ms: None,
    }
}

async fn api_keys_are_inserted_once_read_back_and_revoked_once(fixture: &Fixture) {
    let store = AuthStore::new(&fixture.database);
    assert!(store.all_keys().await.unwrap().is_empty());
    let key = stored_key("k1");
    assert!(store.insert_key(&key).await.unwrap());
    assert!(!store.insert_key(&stored_key("k1")).await.unwrap());
    assert!(store.insert_key(&stored_key("k0")).await.unwrap());
    assert_eq!(store.get_key("k1").await.unwrap(), Some(key.clone()));
    assert_eq!(store.get_key("nope").await.unwrap(), None);
    let ids: Vec<String> = store
        .all_keys()
        .await
        .unwrap()
        .into_iter()
        .map(|key| key.id)
        .collect();
    assert_eq!(ids, ["k0", "k1"]);

    let revoked = store
        .revoke_key("k1", 1_750_000_000_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(revoked.revoked_at_ms, Some(1_750_000_000_000));
    // The first revocation time stays.
    let again = store
        .revoke_key("k1", 1_760_000_000_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.revoked_at_ms, Some(1_750_000_000_000));
    assert_eq!(store.revoke_key("nope", 1).await.unwrap(), None);
}

async fn audit_events_filter_and_page_newest_first(fixture: &Fixture) {
    let store = AuthStore::new(&fixture.database);
    let event = |at_ms: i64, principal: &str, rpc: &str, code: &str| AuditRecord {
        id: 0,
        at_ms,
        principal: principal.into(),
        key_name: "ops".into(),
        role: Role::Operator as i32,
        rpc: rpc.into(),
        target: "emails".into(),
        request: r#"{"name":"emails"}"#.into(),
        code: code.into(),
        message: String::new(),
        peer: "127.0.0.1".into(),
    };
    let pause = "/zenith.v1.QueueService/PauseQueue";
    let purge = "/zenith.v1.QueueService/PurgeQueue";
    let keys = "/zenith.v1.AdminService/CreateApiKey";
    store
        .append_audit(&[
            event(1_000, "key:a", pause, "OK"),
            event(2_000, "key:a", purge, "PERMISSION_DENIED"),
            event(3_000, "anonymous@10.0.0.1", keys, "UNAUTHENTICATED"),
            event(4_000, "key:b", pause, "OK"),
        ])
        .await
        .unwrap();
    let list = |query: AuditQuery| {
        let store = store.clone();
        async move {
            store
                .list_audit(&AuditQuery {
                    limit: if query.limit == 0 { 100 } else { query.limit },
                    ..query
                })
                .await
                .unwrap()
                .into_iter()
                .map(|event| event.at_ms)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        list(AuditQuery::default()).await,
        [4_000, 3_000, 2_000, 1_000]
    );
    let by_key_a = AuditQuery {
        principal: "key:a".into(),
        ..Default::default()
    };
    assert_eq!(list(by_key_a).await, [2_000, 1_000]);
    let anonymous = AuditQuery {
        principal: "anonymous@".into(),
        ..Default::default()
    };
    assert_eq!(list(anonymous).await, [3_000]);
    let service = AuditQuery {
        rpc: "zenith.v1.QueueService".into(),
        ..Default::default()
    };
    assert_eq!(list(service).await, [4_000, 2_000, 1_000]);
    let method = AuditQuery {
        rpc: pause.into(),
        ..Default::default()
    };
    assert_eq!(list(method).await, [4_000, 1_000]);
    let failures = AuditQuery {
        failures_only: true,
        ..Default::default()
    };
    assert_eq!(list(failures).await, [3_000, 2_000]);
    let window = AuditQuery {
        since_ms: Some(2_000),
        until_ms: Some(4_000),
        ..Default::default()
    };
    assert_eq!(list(window).await, [3_000, 2_000]);

    // Pages by id: the second page starts below the last id of the first.
    let first = store
        .list_audit(&AuditQuery {
            limit: 2,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(first.len(), 2);
    let second = store
        .list_audit(&AuditQuery {
            limit: 2,
            before_id: Some(first[1].id),
            ..Default::default()
        })
        .await
        .unwrap();
    let times: Vec<i64> = second.iter().map(|event| event.at_ms).collect();
    assert_eq!(times, [2_000, 1_000]);
    assert_eq!(second[0].request, r#"{"name":"emails"}"#);
}
