//! Cron schedules against real Redis, real SQL and real `zenith serve` processes: exactly one
//! job per fire time across replicas, misfire policies after every replica stopped, overlap,
//! trigger, pause and resume, upsert, run history and bad input.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use common::{Harness, duration, error_reason};
use tonic::Code;
use tonic::transport::Channel;
use tonic_types::StatusExt;
use zenith_proto::v1::cron_service_client::CronServiceClient;
use zenith_proto::v1::queue_service_client::QueueServiceClient;
use zenith_proto::v1::*;
use zenith_testkit::{PostgresServer, RedisServer, ZenithServer};

const ZENITH: &str = env!("CARGO_BIN_EXE_zenith");

async fn cron_client(url: String) -> CronServiceClient<Channel> {
    CronServiceClient::new(Channel::from_shared(url).unwrap().connect().await.unwrap())
}

async fn queue_client(url: String) -> QueueServiceClient<Channel> {
    QueueServiceClient::new(Channel::from_shared(url).unwrap().connect().await.unwrap())
}

fn every_second(id: &str, queue: &str) -> ScheduleSpec {
    ScheduleSpec {
        id: id.into(),
        cron: "* * * * * *".into(),
        job: Some(JobSpec {
            queue: queue.into(),
            r#type: "tick".into(),
            payload: br#"{"n":1}"#.to_vec(),
            content_type: "application/json".into(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

type Spoil = fn(&mut ScheduleSpec);

fn field_of(status: &tonic::Status) -> String {
    status
        .get_details_error_info()
        .and_then(|info| info.metadata.get("field").cloned())
        .unwrap_or_default()
}

/// The fire times (ms) of the scheduled jobs in a queue, read from their ids.
async fn fire_times(queues: &mut QueueServiceClient<Channel>, queue: &str, id: &str) -> Vec<i64> {
    let prefix = format!("cron:{id}:");
    let mut times = Vec::new();
    for state in [JobState::Pending, JobState::Scheduled] {
        let mut token = String::new();
        loop {
            let page = match queues
                .list_jobs(ListJobsRequest {
                    queue: queue.into(),
                    state: state as i32,
                    page_size: 1000,
                    page_token: token.clone(),
                    ..Default::default()
                })
                .await
            {
                Ok(page) => page.into_inner(),
                // No fire yet: the queue does not exist.
                Err(status) if status.code() == Code::NotFound => return times,
                Err(status) => panic!("list jobs: {status}"),
            };
            for job in page.jobs {
                if let Some(ms) = job.id.strip_prefix(&prefix).and_then(|t| t.parse().ok()) {
                    times.push(ms);
                }
            }
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
    }
    times.sort_unstable();
    times
}

async fn all_runs(cron: &mut CronServiceClient<Channel>, id: &str) -> Vec<ScheduleRun> {
    let mut runs = Vec::new();
    let mut token = String::new();
    loop {
        let page = cron
            .list_schedule_runs(ListScheduleRunsRequest {
                schedule_id: id.into(),
                page_size: 7,
                page_token: token.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        runs.extend(page.runs);
        if page.next_page_token.is_empty() {
            return runs;
        }
        token = page.next_page_token;
    }
}

fn ms(timestamp: &Option<prost_types::Timestamp>) -> i64 {
    let t = timestamp.as_ref().expect("timestamp");
    t.seconds * 1000 + i64::from(t.nanos) / 1_000_000
}

async fn pause(cron: &mut CronServiceClient<Channel>, id: &str) -> Schedule {
    cron.pause_schedule(PauseScheduleRequest {
        id: id.into(),
        reason: "test".into(),
    })
    .await
    .unwrap()
    .into_inner()
    .schedule
    .unwrap()
}

/// Polls until `check` holds or the deadline passes.
async fn eventually<F, Fut>(what: &str, within: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what} within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_make_exactly_one_job_per_second_while_one_is_killed() {
    let redis = RedisServer::start().unwrap();
    let postgres = tokio::task::spawn_blocking(PostgresServer::start)
        .await
        .unwrap()
        .unwrap();
    let database = postgres.create_database("cron").unwrap();
    let args = ["--database-url", database.as_str()];
    let mut replicas: Vec<ZenithServer> = (0..3)
        .map(|_| ZenithServer::start_with(Path::new(ZENITH), &redis.url(), &args).unwrap())
        .collect();
    let mut cron = cron_client(replicas[1].url()).await;
    let mut queues = queue_client(replicas[2].url()).await;
    cron.create_schedule(CreateScheduleRequest {
        spec: Some(every_second("heartbeat", "ticks")),
        paused: false,
    })
    .await
    .unwrap();

    tokio::time::sleep(Duration::from_secs(30)).await;
    let victim = replicas.remove(0);
    let pid = victim.pid().unwrap() as i32;
    // SIGKILL: no graceful shutdown, possibly in the middle of a tick.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    drop(victim);
    tokio::time::sleep(Duration::from_secs(31)).await;
    pause(&mut cron, "heartbeat").await;
    // A tick that began before the pause may still be finishing.
    tokio::time::sleep(Duration::from_secs(1)).await;

    let times = fire_times(&mut queues, "ticks", "heartbeat").await;
    assert!(times.len() >= 60, "only {} jobs in 61 s", times.len());
    let distinct: BTreeSet<i64> = times.iter().copied().collect();
    assert_eq!(distinct.len(), times.len(), "a fire time made two jobs");
    for pair in times.windows(2) {
        assert_eq!(pair[1] - pair[0], 1000, "a fire time was lost: {pair:?}");
    }
    let runs = all_runs(&mut cron, "heartbeat").await;
    let run_times: BTreeSet<i64> = runs.iter().map(|run| ms(&run.fire_time)).collect();
    assert_eq!(run_times, distinct, "runs and jobs differ");
    assert_eq!(runs.len(), times.len(), "a fire time has two runs");
    for run in &runs {
        assert_eq!(run.job_id, format!("cron:heartbeat:{}", ms(&run.fire_time)));
        assert_eq!(run.trigger, RunTrigger::Schedule as i32);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misfire_policies_decide_what_runs_after_every_replica_was_down() {
    let redis = RedisServer::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("zenith.db").display());
    let args = ["--database-url", database.as_str()];
    let mut server = ZenithServer::start_with(Path::new(ZENITH), &redis.url(), &args).unwrap();
    let mut cron = cron_client(server.url()).await;
    for (id, policy) in [
        ("skip", MisfirePolicy::Skip),
        ("once", MisfirePolicy::FireOnce),
        ("catch-up", MisfirePolicy::CatchUp),
    ] {
        let mut spec = every_second(id, id);
        spec.misfire = policy as i32;
        spec.misfire_grace = Some(duration(Duration::from_secs(2)));
        spec.catch_up_window = Some(duration(Duration::from_secs(6)));
        cron.create_schedule(CreateScheduleRequest {
            spec: Some(spec),
            paused: false,
        })
        .await
        .unwrap();
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    server.stop();
    tokio::time::sleep(Duration::from_secs(10)).await;
    let server = ZenithServer::start_with(Path::new(ZENITH), &redis.url(), &args).unwrap();
    let mut cron = cron_client(server.url()).await;
    let mut queues = queue_client(server.url()).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    for id in ["skip", "once", "catch-up"] {
        pause(&mut cron, id).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;

    // Each schedule's fires: a run before the stop, a hole, and a run since the restart.
    let split = |times: &[i64]| -> (Vec<i64>, Vec<i64>) {
        let hole = times
            .windows(2)
            .position(|pair| pair[1] - pair[0] > 1000)
            .expect("a hole while every replica was down");
        (times[..=hole].to_vec(), times[hole + 1..].to_vec())
    };
    let runs_by_trigger = |runs: &[ScheduleRun], trigger: RunTrigger| -> Vec<i64> {
        let mut times: Vec<i64> = runs
            .iter()
            .filter(|run| run.trigger == trigger as i32)
            .map(|run| ms(&run.fire_time))
            .collect();
        times.sort_unstable();
        times
    };

    let skip = fire_times(&mut queues, "skip", "skip").await;
    let (before, after) = split(&skip);
    assert!(
        after[0] - before.last().unwrap() >= 8000,
        "skip made up missed fires: {skip:?}"
    );
    let skip_runs = all_runs(&mut cron, "skip").await;
    assert!(runs_by_trigger(&skip_runs, RunTrigger::Misfire).is_empty());
    for pair in after.windows(2) {
        assert_eq!(pair[1] - pair[0], 1000, "skip lost an on-time fire");
    }

    let once = fire_times(&mut queues, "once", "once").await;
    let once_runs = all_runs(&mut cron, "once").await;
    let misfires = runs_by_trigger(&once_runs, RunTrigger::Misfire);
    let last_before_stop = *split(&runs_by_trigger(&once_runs, RunTrigger::Schedule))
        .0
        .last()
        .unwrap();
    assert_eq!(
        misfires,
        vec![last_before_stop + 1000],
        "fire once makes one run, for the first missed fire time"
    );
    assert!(once.contains(&misfires[0]));

    let catch_up = fire_times(&mut queues, "catch-up", "catch-up").await;
    let (before, after) = split(&catch_up);
    let catch_up_runs = all_runs(&mut cron, "catch-up").await;
    let made_up = runs_by_trigger(&catch_up_runs, RunTrigger::Misfire);
    // Missed fire times from 6 s (the window) to 2 s (the grace) before the restart's tick.
    assert!(
        (3..=5).contains(&made_up.len()),
        "catch-up made up {made_up:?}"
    );
    assert_eq!(made_up[0], after[0], "made-up fires start after the hole");
    assert!(made_up[0] - before.last().unwrap() > 3000);
    for pair in after.windows(2) {
        assert_eq!(
            pair[1] - pair[0],
            1000,
            "catch-up left a hole after the window"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trigger_pause_resume_and_upsert() {
    let mut h = Harness::start().await;
    let mut cron = cron_client(h.server.url()).await;
    let mut hourly = every_second("report", "reports");
    hourly.cron = "0 * * * *".into();
    hourly.time_zone = "Europe/Berlin".into();

    let upserted = cron
        .upsert_schedule(UpsertScheduleRequest {
            spec: Some(hourly.clone()),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(upserted.created && upserted.changed);
    let schedule = upserted.schedule.unwrap();
    assert_eq!(schedule.origin, ScheduleOrigin::Code as i32);
    let spec = schedule.spec.clone().unwrap();
    assert_eq!(
        spec.misfire,
        MisfirePolicy::FireOnce as i32,
        "defaults are filled in"
    );
    assert_eq!(spec.overlap, OverlapPolicy::Allow as i32);
    let next = ms(&schedule.next_fire_at);
    assert_eq!(next % 3_600_000, 0, "an hourly schedule fires on the hour");

    let again = cron
        .upsert_schedule(UpsertScheduleRequest {
            spec: Some(hourly.clone()),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!again.created && !again.changed);
    assert_eq!(again.schedule.unwrap().updated_at, schedule.updated_at);

    // Manual runs, with and without a request id.
    let first = cron
        .trigger_schedule(TriggerScheduleRequest {
            id: "report".into(),
            request_id: "deploy-42".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let run = first.run.unwrap();
    assert_eq!(run.trigger, RunTrigger::Manual as i32);
    assert!(!run.triggered_by.is_empty());
    let job = first.job.unwrap();
    assert_eq!(job.id, run.job_id);
    assert_eq!(job.queue, "reports");
    assert_eq!(
        job.headers.get("zenith-schedule").map(String::as_str),
        Some("report")
    );
    let repeated = cron
        .trigger_schedule(TriggerScheduleRequest {
            id: "report".into(),
            request_id: "deploy-42".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        repeated.run.unwrap().job_id,
        run.job_id,
        "same request, same run"
    );
    cron.trigger_schedule(TriggerScheduleRequest {
        id: "report".into(),
        request_id: String::new(),
    })
    .await
    .unwrap();
    assert_eq!(all_runs(&mut cron, "report").await.len(), 2);
    assert_eq!(h.queue("reports").await.counts.unwrap().pending, 2);

    // A paused schedule stays paused through an upsert that changes it, and resumes on demand.
    let paused = pause(&mut cron, "report").await;
    assert!(paused.paused && paused.next_fire_at.is_none());
    assert_eq!(paused.pause_reason, "test");
    let mut changed = hourly.clone();
    changed.description = "hourly sales report".into();
    let upserted = cron
        .upsert_schedule(UpsertScheduleRequest {
            spec: Some(changed),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!upserted.created && upserted.changed);
    assert!(upserted.schedule.unwrap().paused);
    let resumed = cron
        .resume_schedule(ResumeScheduleRequest {
            id: "report".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .schedule
        .unwrap();
    assert!(!resumed.paused);
    let next_after_resume = ms(&resumed.next_fire_at);
    assert!(next_after_resume >= next && next_after_resume % 3_600_000 == 0);

    // Pausing stops the fires of an every-second schedule; resuming starts them again.
    cron.create_schedule(CreateScheduleRequest {
        spec: Some(every_second("pulse", "pulses")),
        paused: false,
    })
    .await
    .unwrap();
    let mut queues = h.queues.clone();
    eventually("first fires", Duration::from_secs(10), || {
        let mut queues = queues.clone();
        async move { fire_times(&mut queues, "pulses", "pulse").await.len() >= 2 }
    })
    .await;
    pause(&mut cron, "pulse").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let at_pause = fire_times(&mut queues, "pulses", "pulse").await.len();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        fire_times(&mut queues, "pulses", "pulse").await.len(),
        at_pause,
        "a paused schedule fired"
    );
    cron.resume_schedule(ResumeScheduleRequest { id: "pulse".into() })
        .await
        .unwrap();
    eventually("fires after resume", Duration::from_secs(10), || {
        let mut queues = queues.clone();
        async move { fire_times(&mut queues, "pulses", "pulse").await.len() >= at_pause + 2 }
    })
    .await;

    // Redis losing the index: a restarted server puts it back from SQL.
    let mut conn = h.redis.connection().await.unwrap();
    let _: () = redis::cmd("DEL")
        .arg("zenith:cron:due")
        .query_async(&mut conn)
        .await
        .unwrap();
    let database = h.server.database_url().to_owned();
    let before = fire_times(&mut h.queues.clone(), "pulses", "pulse")
        .await
        .len();
    h.server.stop();
    let server = ZenithServer::start_with(
        Path::new(ZENITH),
        &h.redis.url(),
        &["--database-url", &database],
    )
    .unwrap();
    queues = queue_client(server.url()).await;
    eventually(
        "fires after the index was rebuilt",
        Duration::from_secs(15),
        || {
            let mut queues = queues.clone();
            async move { fire_times(&mut queues, "pulses", "pulse").await.len() >= before + 2 }
        },
    )
    .await;

    // Delete removes the schedule; its runs stay.
    let mut cron = cron_client(server.url()).await;
    cron.delete_schedule(DeleteScheduleRequest {
        id: "report".into(),
    })
    .await
    .unwrap();
    let missing = cron
        .get_schedule(GetScheduleRequest {
            id: "report".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    assert_eq!(error_reason(&missing), "SCHEDULE_NOT_FOUND");
    assert_eq!(all_runs(&mut cron, "report").await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_follow_their_jobs_and_overlap_skip_waits_for_the_previous_run() {
    let mut h = Harness::start().await;
    let mut cron = cron_client(h.server.url()).await;
    let mut spec = every_second("serial", "serial");
    spec.overlap = OverlapPolicy::Skip as i32;
    cron.create_schedule(CreateScheduleRequest {
        spec: Some(spec),
        paused: false,
    })
    .await
    .unwrap();

    // Nobody works the queue: the first job stays pending and later fire times are skipped.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let runs = all_runs(&mut cron, "serial").await;
    let fired: Vec<&ScheduleRun> = runs.iter().filter(|r| !r.job_id.is_empty()).collect();
    assert_eq!(fired.len(), 1, "only the first fire enqueued: {runs:?}");
    assert!(
        runs.iter()
            .filter(|r| r.state == RunState::Skipped as i32)
            .count()
            >= 2
    );

    // The job completes: the run records it, and the next fire enqueues again.
    let reserved = h.reserve("serial", 1, Duration::from_secs(30)).await;
    assert_eq!(reserved.len(), 1);
    h.ack(&reserved[0]).await.unwrap();
    let job_id = reserved[0].job.as_ref().unwrap().id.clone();
    eventually("the run to complete", Duration::from_secs(10), || {
        let mut cron = cron.clone();
        let job_id = job_id.clone();
        async move {
            all_runs(&mut cron, "serial").await.iter().any(|run| {
                run.job_id == job_id
                    && run.state == RunState::Completed as i32
                    && run.finished_at.is_some()
                    && run.duration.is_some()
            })
        }
    })
    .await;
    eventually("a second job", Duration::from_secs(10), || {
        let mut cron = cron.clone();
        async move {
            all_runs(&mut cron, "serial")
                .await
                .iter()
                .filter(|r| !r.job_id.is_empty())
                .count()
                >= 2
        }
    })
    .await;

    // A job that dies makes a failed run; the schedule shows its last run.
    pause(&mut cron, "serial").await;
    let reserved = h.reserve("serial", 1, Duration::from_secs(30)).await;
    let dying = reserved[0].job.as_ref().unwrap().id.clone();
    h.workers
        .fail(FailRequest {
            queue: "serial".into(),
            job_id: dying.clone(),
            lease_token: reserved[0].lease_token.clone(),
            error: "boom".into(),
            retryable: Some(false),
            ..Default::default()
        })
        .await
        .unwrap();
    eventually("the run to fail", Duration::from_secs(10), || {
        let mut cron = cron.clone();
        let dying = dying.clone();
        async move {
            all_runs(&mut cron, "serial")
                .await
                .iter()
                .any(|run| run.job_id == dying && run.state == RunState::Failed as i32)
        }
    })
    .await;
    let schedule = cron
        .get_schedule(GetScheduleRequest {
            id: "serial".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .schedule
        .unwrap();
    assert!(schedule.last_run.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_definitions_are_refused_naming_the_field_and_change_nothing() {
    let h = Harness::start().await;
    let mut cron = cron_client(h.server.url()).await;
    let refuse = |mutate: Spoil| {
        let mut spec = every_second("bad", "q");
        mutate(&mut spec);
        let mut cron = cron.clone();
        async move {
            cron.create_schedule(CreateScheduleRequest {
                spec: Some(spec),
                paused: false,
            })
            .await
            .unwrap_err()
        }
    };
    // How to spoil a good spec, the field the error must name, and words its message must hold.
    let cases: Vec<(Spoil, &str, &str)> = vec![
        (|s| s.cron = "0 25 * * *".into(), "spec.cron", "column"),
        (|s| s.cron = "0 0 30 2 *".into(), "spec.cron", "never"),
        (|s| s.cron = "* * *".into(), "spec.cron", "5 or 6"),
        (
            |s| s.time_zone = "Mars/Olympus".into(),
            "spec.time_zone",
            "Mars/Olympus",
        ),
        (
            |s| {
                s.cron.clear();
                s.interval = Some(duration(Duration::from_millis(500)));
            },
            "spec.interval",
            "",
        ),
        (
            |s| s.interval = Some(duration(Duration::from_secs(5))),
            "spec.cron",
            "not both",
        ),
        (
            |s| s.job.as_mut().unwrap().payload = b"{oops".to_vec(),
            "spec.job.payload",
            "JSON",
        ),
        (
            |s| s.job.as_mut().unwrap().id = "mine".into(),
            "spec.job.id",
            "",
        ),
        (
            |s| s.job.as_mut().unwrap().queue.clear(),
            "spec.job.queue",
            "",
        ),
        (|s| s.job = None, "spec.job", ""),
        (|s| s.id = "has space".into(), "spec.id", ""),
        (
            |s| {
                s.cron.clear();
                s.interval = Some(duration(Duration::from_secs(10)));
                s.jitter = Some(duration(Duration::from_secs(10)));
            },
            "spec.jitter",
            "",
        ),
        (
            |s| s.misfire_grace = Some(duration(Duration::from_millis(10))),
            "spec.misfire_grace",
            "",
        ),
        (|s| s.misfire = 42, "spec.misfire", ""),
    ];
    for (mutate, field, words) in cases {
        let status = refuse(mutate).await;
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert_eq!(field_of(&status), field, "{status:?}");
        assert!(status.message().contains(words), "{status:?}");
    }
    let listed = cron
        .list_schedules(ListSchedulesRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(listed.schedules.is_empty(), "a refused schedule was stored");

    cron.create_schedule(CreateScheduleRequest {
        spec: Some(every_second("good", "q")),
        paused: true,
    })
    .await
    .unwrap();
    let taken = cron
        .create_schedule(CreateScheduleRequest {
            spec: Some(every_second("good", "q")),
            paused: false,
        })
        .await
        .unwrap_err();
    assert_eq!(taken.code(), Code::AlreadyExists);
    let missing = cron
        .update_schedule(UpdateScheduleRequest {
            spec: Some(every_second("nope", "q")),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    let too_many = cron
        .preview_schedule(PreviewScheduleRequest {
            cron: "* * * * *".into(),
            count: 101,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(field_of(&too_many), "count");
    let bad_token = cron
        .list_schedule_runs(ListScheduleRunsRequest {
            page_token: "zz".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(field_of(&bad_token), "page_token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preview_shows_daylight_saving_in_the_zone() {
    let h = Harness::start().await;
    let mut cron = cron_client(h.server.url()).await;
    let preview = cron
        .preview_schedule(PreviewScheduleRequest {
            cron: "30 2 * * *".into(),
            time_zone: "Europe/Berlin".into(),
            after: Some(prost_types::Timestamp {
                seconds: 1_774_656_000, // 2026-03-28T00:00:00Z
                nanos: 0,
            }),
            count: 3,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(preview.time_zone, "Europe/Berlin");
    let local: Vec<&str> = preview
        .fire_times
        .iter()
        .map(|fire| fire.local_time.as_str())
        .collect();
    assert_eq!(
        local,
        vec![
            "2026-03-28T02:30:00+01:00",
            // 02:30 does not exist that night: it runs when the clock jumps to 03:00.
            "2026-03-29T03:00:00+02:00",
            "2026-03-30T02:30:00+02:00",
        ]
    );
    cron.create_schedule(CreateScheduleRequest {
        spec: Some(ScheduleSpec {
            time_zone: "America/New_York".into(),
            ..every_second("ny", "q")
        }),
        paused: true,
    })
    .await
    .unwrap();
    let stored = cron
        .preview_schedule(PreviewScheduleRequest {
            id: "ny".into(),
            count: 5,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stored.time_zone, "America/New_York");
    assert_eq!(stored.fire_times.len(), 5);
}
