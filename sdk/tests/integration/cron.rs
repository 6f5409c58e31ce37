//! Schedules declared by a worker against a real server: upserted at start, unchanged by a
//! restart with the same definition, still paused after a restart, and a refused definition
//! stops the worker before it reserves anything.

use super::common;

use zenith_sdk::proto::ScheduleOrigin;
use zenith_sdk::{
    Client, JobState, OverlapPolicy, ScheduleSpec, ScheduleSpecBuilder, Worker,
    from_proto_timestamp,
};

const QUEUE: &str = "reports";

fn nightly_report() -> anyhow::Result<ScheduleSpec> {
    Ok(ScheduleSpecBuilder::cron("nightly-report", "0 3 * * *")
        .time_zone("Europe/Berlin")
        .queue(QUEUE)
        .job_type("build_report")
        .payload_json(&serde_json::json!({ "kind": "daily" }))?
        .overlap(OverlapPolicy::Skip)
        .description("the daily report")
        .build())
}

/// Runs a worker declaring `spec` until it has done one job, which it reserves only after
/// declaring its schedules.
async fn run_worker_once(client: &Client, spec: ScheduleSpec) -> anyhow::Result<()> {
    client.enqueue(QUEUE, "noop").send().await?;
    Worker::builder(client.clone())
        .queue(QUEUE)
        .without_pulse()
        .max_jobs(1)
        .schedule(spec)
        .handle("noop", |_job| async { Ok(()) })
        .build()?
        .run()
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_upserts_its_schedules_at_start_and_a_restart_changes_nothing()
-> anyhow::Result<()> {
    let harness = common::start().await?;
    let client = &harness.client;
    run_worker_once(client, nightly_report()?).await?;

    let declared = client.get_schedule("nightly-report").await?;
    let spec = declared.spec.clone().expect("spec");
    assert_eq!(spec.cron, "0 3 * * *");
    assert_eq!(spec.time_zone, "Europe/Berlin");
    assert_eq!(spec.overlap(), OverlapPolicy::Skip);
    assert_eq!(spec.description, "the daily report");
    let job = spec.job.expect("job template");
    assert_eq!(
        (job.queue.as_str(), job.r#type.as_str()),
        (QUEUE, "build_report")
    );
    assert_eq!(job.payload, br#"{"kind":"daily"}"#);
    assert_eq!(job.content_type, "application/json");
    assert_eq!(declared.origin(), ScheduleOrigin::Code);
    assert!(!declared.paused);
    assert!(declared.next_fire_at.is_some(), "{declared:?}");

    run_worker_once(client, nightly_report()?).await?;
    let schedules = client.list_all_schedules("").await?;
    assert_eq!(schedules.len(), 1, "{schedules:?}");
    let again = &schedules[0];
    assert_eq!(again.spec, declared.spec);
    assert_eq!(
        again.updated_at, declared.updated_at,
        "an unchanged definition was rewritten"
    );

    let changed = ScheduleSpecBuilder::from_spec(nightly_report()?)
        .cadence_cron("30 4 * * *")
        .build();
    run_worker_once(client, changed).await?;
    let updated = client.get_schedule("nightly-report").await?;
    assert_eq!(updated.spec.expect("spec").cron, "30 4 * * *");
    let updated_at = from_proto_timestamp(&updated.updated_at.expect("updated at"));
    assert!(updated_at >= from_proto_timestamp(&declared.updated_at.expect("updated at")));
    assert_eq!(client.list_all_schedules(QUEUE).await?.len(), 1);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_schedule_stays_paused_when_its_worker_restarts() -> anyhow::Result<()> {
    let harness = common::start().await?;
    let client = &harness.client;
    run_worker_once(client, nightly_report()?).await?;
    let paused = client
        .pause_schedule("nightly-report", "incident 42")
        .await?;
    assert!(paused.paused);

    run_worker_once(client, nightly_report()?).await?;
    let after = client.get_schedule("nightly-report").await?;
    assert!(after.paused, "{after:?}");
    assert_eq!(after.pause_reason, "incident 42");
    assert_eq!(after.next_fire_at, None);

    let resumed = client.resume_schedule("nightly-report").await?;
    assert!(!resumed.paused);
    assert!(resumed.next_fire_at.is_some());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_schedule_stops_the_worker_before_it_reserves() -> anyhow::Result<()> {
    let harness = common::start().await?;
    let client = &harness.client;
    let waiting = client.enqueue(QUEUE, "noop").send().await?.job.id;
    let invalid = ScheduleSpecBuilder::cron("broken", "0 25 * * *")
        .queue(QUEUE)
        .job_type("build_report")
        .build();
    let error = Worker::builder(client.clone())
        .queue(QUEUE)
        .without_pulse()
        .schedule(invalid)
        .handle("noop", |_job| async { Ok(()) })
        .build()?
        .run()
        .await
        .expect_err("an invalid schedule is refused");
    assert_eq!(error.code(), Some(tonic::Code::InvalidArgument), "{error}");
    assert!(error.to_string().contains("spec.cron"), "{error}");
    assert_eq!(client.get_job(&waiting).await?.state(), JobState::Pending);
    assert!(client.list_all_schedules("").await?.is_empty());
    Ok(())
}
