//! `zenith cron list|get|add|update|pause|resume|trigger|rm|runs|preview`: cron schedules.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use anyhow::{Context, bail};
use chrono::{DateTime, TimeZone as _, Utc};
use chrono_tz::Tz;
use clap::{ArgGroup, Args, Subcommand};
use zenith_proto::to_json;
use zenith_proto::v1::{
    ListScheduleRunsResponse, ListSchedulesResponse, PreviewScheduleRequest, RunState, RunTrigger,
    ScheduleOrigin, TriggerScheduleResponse,
};
use zenith_sdk::{
    MisfirePolicy, OverlapPolicy, Schedule, ScheduleRun, ScheduleSpec, ScheduleSpecBuilder,
    from_proto_duration,
};

use super::ClientArgs;
use super::ops::{connect, print_json};
use super::output::{Table, full_timestamp, one_line, printable, proto_duration, relative_time};
use super::parse_duration;

#[derive(Subcommand)]
pub enum CronCommand {
    /// Lists schedules with their cadence, next fire and last run.
    List {
        /// Only schedules that enqueue into this queue.
        #[arg(long)]
        queue: Option<String>,
    },
    /// Shows one schedule: definition, policies, who created, changed or paused it, next fire
    /// and last run.
    Get {
        /// Schedule id.
        id: String,
    },
    /// Adds a schedule.
    Add(Box<AddArgs>),
    /// Changes a schedule: only the options given; a paused schedule stays paused.
    Update(Box<UpdateArgs>),
    /// Stops a schedule firing until resumed; fire times passed meanwhile are not made up.
    Pause {
        /// Schedule id.
        id: String,
        /// Why, shown to operators (at most 500 bytes).
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Fires a paused schedule again from its next fire time after now.
    Resume {
        /// Schedule id.
        id: String,
    },
    /// Enqueues a schedule's job now, paused or not, and prints the job's id.
    Trigger {
        /// Schedule id.
        id: String,
    },
    /// Removes a schedule; its run history stays until it ages out.
    Rm {
        /// Schedule id.
        id: String,
    },
    /// Lists runs, newest fire time first: of one schedule, or of all.
    Runs {
        /// Schedule id; all schedules when left out.
        id: Option<String>,
        /// At most this many runs.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Prints the next fire times of an expression, an interval or a stored schedule, in UTC
    /// and in the time zone.
    Preview(PreviewArgs),
}

/// Options of the job template and policies, shared by `add` and `update`.
#[derive(Args)]
pub struct ScheduleOptions {
    /// IANA time zone the expression is read in, e.g. Europe/Berlin [default: UTC].
    #[arg(long = "tz", value_name = "ZONE")]
    time_zone: Option<String>,
    /// Job payload. Without --content-type it is sent as application/json when it parses as
    /// JSON, else as text/plain.
    #[arg(long, value_name = "TEXT", conflicts_with = "payload_file")]
    payload: Option<String>,
    /// Read the job payload from this file (content type as for --payload).
    #[arg(long, value_name = "PATH")]
    payload_file: Option<PathBuf>,
    /// The payload's media type; application/json payloads must be valid JSON.
    #[arg(long)]
    content_type: Option<String>,
    /// Job header as KEY=VALUE; repeatable. On update, adds or replaces that header.
    #[arg(long = "header", value_name = "KEY=VALUE", value_parser = parse_header)]
    headers: Vec<(String, String)>,
    /// Higher runs first, from -1000 to 1000.
    #[arg(long, allow_negative_numbers = true)]
    priority: Option<i32>,
    /// Attempts before a job is dead [default: the server's].
    #[arg(long)]
    max_attempts: Option<i32>,
    /// Longest one attempt of a job may run, e.g. 30s.
    #[arg(long, value_parser = parse_duration)]
    timeout: Option<Duration>,
    /// While the previous run is unfinished: allow (fire anyway) or skip [default: allow].
    #[arg(long, value_name = "allow|skip", value_parser = parse_overlap)]
    overlap: Option<OverlapPolicy>,
    /// Fire times missed by more than the grace (all replicas down): skip, once (one run for
    /// all) or catch-up (one run each, within the catch-up window) [default: once].
    #[arg(long, value_name = "skip|once|catch-up", value_parser = parse_misfire)]
    misfire: Option<MisfirePolicy>,
    /// How late a fire time may be and still fire normally [default: 60s].
    #[arg(long, value_parser = parse_duration)]
    misfire_grace: Option<Duration>,
    /// With --misfire catch-up: how far back missed fire times are made up [default: 1h].
    #[arg(long, value_parser = parse_duration)]
    catch_up_window: Option<Duration>,
    /// Up to this much random delay before each job may run.
    #[arg(long, value_parser = parse_duration)]
    jitter: Option<Duration>,
    /// Free text for operators.
    #[arg(long)]
    description: Option<String>,
}

#[derive(Args)]
#[command(group(ArgGroup::new("cadence").required(true).args(["cron", "every"])))]
pub struct AddArgs {
    /// Schedule id: 1-100 of A-Z a-z 0-9 _ . : -
    id: String,
    /// Cron expression of 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds
    /// first), e.g. '*/5 * * * *'.
    #[arg(long, value_name = "EXPR")]
    cron: Option<String>,
    /// Fixed interval instead of an expression, e.g. 30s or 5m.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    every: Option<Duration>,
    /// Queue the jobs go to.
    #[arg(long)]
    queue: String,
    /// Job type, which workers dispatch on.
    #[arg(long = "type", value_name = "TYPE")]
    job_type: String,
    #[command(flatten)]
    options: ScheduleOptions,
    /// Create it paused.
    #[arg(long)]
    paused: bool,
}

#[derive(Args)]
#[command(group(ArgGroup::new("cadence").args(["cron", "every"])))]
pub struct UpdateArgs {
    /// Schedule id.
    id: String,
    /// New cron expression (replaces an interval).
    #[arg(long, value_name = "EXPR")]
    cron: Option<String>,
    /// New interval (replaces an expression).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    every: Option<Duration>,
    /// New queue.
    #[arg(long)]
    queue: Option<String>,
    /// New job type.
    #[arg(long = "type", value_name = "TYPE")]
    job_type: Option<String>,
    #[command(flatten)]
    options: ScheduleOptions,
}

#[derive(Args)]
#[command(group(ArgGroup::new("what").required(true).args(["expression", "every", "id"])))]
pub struct PreviewArgs {
    /// Cron expression, e.g. '0 9 * * MON-FRI'.
    #[arg(value_name = "EXPR")]
    expression: Option<String>,
    /// An interval instead of an expression, e.g. 90s.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    every: Option<Duration>,
    /// A stored schedule instead.
    #[arg(long)]
    id: Option<String>,
    /// IANA time zone [default: UTC].
    #[arg(long = "tz", value_name = "ZONE", conflicts_with = "id")]
    time_zone: Option<String>,
    /// How many fire times (at most 100).
    #[arg(long, default_value_t = 10)]
    count: i32,
    /// Fire times after this instant (RFC 3339, e.g. 2026-03-29T00:00:00+01:00) [default: now].
    #[arg(long, value_name = "RFC3339", value_parser = parse_rfc3339)]
    after: Option<SystemTime>,
}

pub async fn command(args: &ClientArgs, command: CronCommand) -> anyhow::Result<()> {
    match command {
        CronCommand::List { queue } => list(args, queue.unwrap_or_default()).await,
        CronCommand::Get { id } => get(args, id).await,
        CronCommand::Add(add) => create(args, *add).await,
        CronCommand::Update(update) => change(args, *update).await,
        CronCommand::Pause { id, reason } => {
            let schedule = connect(args).await?.pause_schedule(id, reason).await?;
            print_schedule(args, &schedule, "paused")
        }
        CronCommand::Resume { id } => {
            let schedule = connect(args).await?.resume_schedule(id).await?;
            print_schedule(args, &schedule, "resumed")
        }
        CronCommand::Trigger { id } => trigger(args, id).await,
        CronCommand::Rm { id } => {
            connect(args).await?.delete_schedule(id.clone()).await?;
            if args.json {
                return print_json(serde_json::json!({}), None);
            }
            println!("schedule {id} deleted");
            Ok(())
        }
        CronCommand::Runs { id, limit } => runs(args, id.unwrap_or_default(), limit).await,
        CronCommand::Preview(preview) => self::preview(args, preview).await,
    }
}

async fn list(args: &ClientArgs, queue: String) -> anyhow::Result<()> {
    let schedules = connect(args).await?.list_all_schedules(queue).await?;
    if args.json {
        let response = ListSchedulesResponse {
            schedules,
            next_page_token: String::new(),
        };
        return print_json(to_json(&response), Some("schedules"));
    }
    if schedules.is_empty() {
        println!("no schedules");
        return Ok(());
    }
    let now = SystemTime::now();
    let mut table = Table::new(&[
        "ID",
        "CADENCE",
        "TZ",
        "QUEUE",
        "TYPE",
        "NEXT FIRE",
        "LAST RUN",
        "PAUSED",
    ]);
    for schedule in &schedules {
        let spec = schedule.spec.clone().unwrap_or_default();
        let job = spec.job.clone().unwrap_or_default();
        table.row(vec![
            spec.id.clone(),
            one_line(&cadence(&spec), 40),
            zone_name(&spec).to_owned(),
            job.queue,
            one_line(&job.r#type, 40),
            next_fire(schedule, now),
            schedule.last_run.as_ref().map_or_else(
                || "-".to_owned(),
                |run| format!("{} {}", run_state_name(run.state()), fire_ago(run, now)),
            ),
            if schedule.paused { "yes" } else { "no" }.to_owned(),
        ]);
    }
    print!("{}", table.render());
    Ok(())
}

async fn get(args: &ClientArgs, id: String) -> anyhow::Result<()> {
    let schedule = connect(args).await?.get_schedule(id).await?;
    if args.json {
        return print_json(to_json(&schedule), None);
    }
    print!("{}", describe(&schedule, SystemTime::now()));
    Ok(())
}

async fn create(args: &ClientArgs, add: AddArgs) -> anyhow::Result<()> {
    let builder = match (add.cron, add.every) {
        (Some(expression), _) => ScheduleSpecBuilder::cron(add.id, expression),
        (None, Some(interval)) => ScheduleSpecBuilder::every(add.id, interval),
        (None, None) => bail!("give --cron or --every"),
    };
    let builder = builder.queue(add.queue).job_type(add.job_type);
    // Bad input is refused before any connection is made.
    let spec = apply(builder, add.options)?.build();
    let schedule = connect(args)
        .await?
        .create_schedule(spec, add.paused)
        .await?;
    print_schedule(args, &schedule, "created")
}

async fn change(args: &ClientArgs, update: UpdateArgs) -> anyhow::Result<()> {
    let UpdateArgs {
        id,
        cron,
        every,
        queue,
        job_type,
        options,
    } = update;
    let client = connect(args).await?;
    let stored = client.get_schedule(id.clone()).await?;
    let spec = stored
        .spec
        .with_context(|| format!("schedule {id} has no definition"))?;
    let mut builder = ScheduleSpecBuilder::from_spec(spec);
    if let Some(expression) = cron {
        builder = builder.cadence_cron(expression);
    }
    if let Some(interval) = every {
        builder = builder.cadence_every(interval);
    }
    if let Some(queue) = queue {
        builder = builder.queue(queue);
    }
    if let Some(job_type) = job_type {
        builder = builder.job_type(job_type);
    }
    let spec = apply(builder, options)?.build();
    let schedule = client.update_schedule(spec).await?;
    print_schedule(args, &schedule, "updated")
}

/// The options that were given, on top of what the builder holds.
fn apply(
    mut builder: ScheduleSpecBuilder,
    options: ScheduleOptions,
) -> anyhow::Result<ScheduleSpecBuilder> {
    if let Some(zone) = options.time_zone {
        builder = builder.time_zone(zone);
    }
    let payload = match (options.payload, options.payload_file) {
        (Some(text), _) => Some(text.into_bytes()),
        (None, Some(path)) => Some(
            std::fs::read(&path)
                .with_context(|| format!("read payload file {}", path.display()))?,
        ),
        (None, None) => None,
    };
    match (payload, options.content_type) {
        (Some(payload), content_type) => {
            let content_type = content_type.unwrap_or_else(|| content_type_of(&payload).to_owned());
            builder = builder.payload(payload).content_type(content_type);
        }
        (None, Some(content_type)) => builder = builder.content_type(content_type),
        (None, None) => {}
    }
    for (key, value) in options.headers {
        builder = builder.header(key, value);
    }
    if let Some(priority) = options.priority {
        builder = builder.priority(priority);
    }
    if let Some(max_attempts) = options.max_attempts {
        builder = builder.max_attempts(max_attempts);
    }
    if let Some(timeout) = options.timeout {
        builder = builder.timeout(timeout);
    }
    if let Some(overlap) = options.overlap {
        builder = builder.overlap(overlap);
    }
    if let Some(misfire) = options.misfire {
        builder = builder.misfire(misfire);
    }
    if let Some(grace) = options.misfire_grace {
        builder = builder.misfire_grace(grace);
    }
    if let Some(window) = options.catch_up_window {
        builder = builder.catch_up_window(window);
    }
    if let Some(jitter) = options.jitter {
        builder = builder.jitter(jitter);
    }
    if let Some(description) = options.description {
        builder = builder.description(description);
    }
    Ok(builder)
}

/// A payload given without a content type: JSON when it parses as JSON, else text.
fn content_type_of(payload: &[u8]) -> &'static str {
    if serde_json::from_slice::<serde::de::IgnoredAny>(payload).is_ok() {
        "application/json"
    } else {
        "text/plain"
    }
}

async fn trigger(args: &ClientArgs, id: String) -> anyhow::Result<()> {
    let triggered = connect(args).await?.trigger_schedule(id).await?;
    if args.json {
        let response = TriggerScheduleResponse {
            run: Some(triggered.run),
            job: Some(triggered.job),
        };
        return print_json(to_json(&response), None);
    }
    println!("{}", triggered.job.id);
    Ok(())
}

async fn runs(args: &ClientArgs, id: String, limit: usize) -> anyhow::Result<()> {
    let runs = connect(args)
        .await?
        .collect_schedule_runs(id.clone(), limit)
        .await?;
    if args.json {
        let response = ListScheduleRunsResponse {
            runs,
            next_page_token: String::new(),
        };
        return print_json(to_json(&response), Some("runs"));
    }
    if runs.is_empty() {
        if id.is_empty() {
            println!("no runs");
        } else {
            println!("no runs of {id}");
        }
        return Ok(());
    }
    let now = SystemTime::now();
    let mut table = Table::new(&[
        "FIRE TIME",
        "SCHEDULE",
        "TRIGGER",
        "STATE",
        "JOB",
        "DURATION>",
    ]);
    for run in &runs {
        table.row(vec![
            full_timestamp(run.fire_time.as_ref(), now),
            run.schedule_id.clone(),
            trigger_name(run.trigger()).to_owned(),
            run_state_name(run.state()).to_owned(),
            or_dash(&run.job_id),
            proto_duration(run.duration.as_ref()),
        ]);
    }
    print!("{}", table.render());
    Ok(())
}

async fn preview(args: &ClientArgs, preview: PreviewArgs) -> anyhow::Result<()> {
    let request = PreviewScheduleRequest {
        id: preview.id.unwrap_or_default(),
        cron: preview.expression.unwrap_or_default(),
        interval: preview
            .every
            .map(prost_types::Duration::try_from)
            .transpose()
            .context("interval too long")?,
        time_zone: preview.time_zone.unwrap_or_default(),
        after: preview.after.map(Into::into),
        count: preview.count,
    };
    let response = connect(args).await?.preview_schedule(request).await?;
    if args.json {
        return print_json(to_json(&response), Some("fireTimes"));
    }
    if response.fire_times.is_empty() {
        println!("no fire times");
        return Ok(());
    }
    println!("time zone: {}", response.time_zone);
    let mut table = Table::new(&["UTC", "LOCAL"]);
    for fire in &response.fire_times {
        table.row(vec![
            fire.time
                .as_ref()
                .map_or_else(|| "-".to_owned(), utc_seconds),
            fire.local_time.clone(),
        ]);
    }
    print!("{}", table.render());
    Ok(())
}

/// One line for a changed schedule, or the whole schedule as JSON.
fn print_schedule(args: &ClientArgs, schedule: &Schedule, done: &str) -> anyhow::Result<()> {
    if args.json {
        return print_json(to_json(schedule), None);
    }
    let id = schedule.spec.as_ref().map_or("", |spec| spec.id.as_str());
    if schedule.paused {
        println!("schedule {id} {done}; paused");
    } else {
        println!(
            "schedule {id} {done}; next fire {}",
            next_fire(schedule, SystemTime::now())
        );
    }
    Ok(())
}

/// Every field of a schedule, one per line.
fn describe(schedule: &Schedule, now: SystemTime) -> String {
    let spec = schedule.spec.clone().unwrap_or_default();
    let job = spec.job.clone().unwrap_or_default();
    let mut table = Table::new(&["FIELD", "VALUE"]);
    let mut field = |name: &str, value: String| {
        if !value.is_empty() && value != "-" {
            table.row(vec![name.to_owned(), value]);
        }
    };
    field("id", spec.id.clone());
    field("cadence", printable(&cadence(&spec)));
    field("time zone", zone_name(&spec).to_owned());
    field("description", printable(&spec.description));
    if schedule.paused {
        let since = by_at(&schedule.paused_by, schedule.paused_at.as_ref(), now);
        field("paused", format!("yes, {since}"));
        field("pause reason", printable(&schedule.pause_reason));
    } else {
        field("paused", "no".to_owned());
    }
    field("next fire", next_fire(schedule, now));
    field(
        "next fire utc",
        schedule
            .next_fire_at
            .as_ref()
            .map_or_else(String::new, utc_seconds),
    );
    field("queue", job.queue.clone());
    field("type", printable(&job.r#type));
    field("content type", printable(&job.content_type));
    field("payload", payload_for_display(&job.payload));
    let mut headers: Vec<_> = job.headers.iter().collect();
    headers.sort();
    let headers: Vec<String> = headers.iter().map(|(k, v)| format!("{k}={v}")).collect();
    field("headers", printable(&headers.join(", ")));
    field("priority", job.priority.to_string());
    field(
        "max attempts",
        if job.max_attempts == 0 {
            "server default".to_owned()
        } else {
            job.max_attempts.to_string()
        },
    );
    field("timeout", nonzero(job.timeout.as_ref()));
    field("overlap", overlap_name(spec.overlap()).to_owned());
    field("misfire", misfire_name(spec.misfire()).to_owned());
    field(
        "misfire grace",
        or_default(spec.misfire_grace.as_ref(), "60s"),
    );
    if spec.misfire() == MisfirePolicy::CatchUp {
        field(
            "catch-up window",
            or_default(spec.catch_up_window.as_ref(), "1h"),
        );
    }
    field("jitter", nonzero(spec.jitter.as_ref()));
    field("origin", origin_name(schedule.origin()).to_owned());
    field(
        "created",
        by_at(&schedule.created_by, schedule.created_at.as_ref(), now),
    );
    field(
        "updated",
        by_at(&schedule.updated_by, schedule.updated_at.as_ref(), now),
    );
    if let Some(run) = &schedule.last_run {
        let mut last = format!(
            "{} ({}) fired {}",
            run_state_name(run.state()),
            trigger_name(run.trigger()),
            full_timestamp(run.fire_time.as_ref(), now)
        );
        if !run.job_id.is_empty() {
            last.push_str(&format!(", job {}", run.job_id));
        }
        if let Some(duration) = &run.duration {
            last.push_str(&format!(", ran {}", proto_duration(Some(duration))));
        }
        field("last run", last);
    }
    let mut out = table.render();
    // A record reads better without the header row.
    if let Some(end) = out.find('\n') {
        out.drain(..=end);
    }
    out
}

/// `0 3 * * *` or `every 30s`.
fn cadence(spec: &ScheduleSpec) -> String {
    match &spec.interval {
        Some(interval) if spec.cron.is_empty() => format!("every {}", interval_text(interval)),
        _ => spec.cron.clone(),
    }
}

/// `30s`, `5m`, `1h30m`: humantime's words without the spaces.
fn interval_text(interval: &prost_types::Duration) -> String {
    humantime::format_duration(from_proto_duration(interval))
        .to_string()
        .replace(' ', "")
}

fn zone_name(spec: &ScheduleSpec) -> &str {
    if spec.time_zone.is_empty() {
        "UTC"
    } else {
        &spec.time_zone
    }
}

/// The next fire time as wall-clock time in the schedule's zone and relative to now, or `-`
/// while paused.
fn next_fire(schedule: &Schedule, now: SystemTime) -> String {
    let Some(at) = &schedule.next_fire_at else {
        return "-".to_owned();
    };
    let zone = schedule.spec.as_ref().map_or("", zone_name);
    let at_time = SystemTime::try_from(*at).unwrap_or(SystemTime::UNIX_EPOCH);
    format!("{} ({})", local_time(at, zone), relative_time(at_time, now))
}

/// `2026-11-23 03:00:00 CET`; in UTC when the zone is unknown here.
fn local_time(at: &prost_types::Timestamp, zone: &str) -> String {
    let utc = Utc
        .timestamp_opt(at.seconds, u32::try_from(at.nanos).unwrap_or(0))
        .single()
        .unwrap_or_default();
    match zone.parse::<Tz>() {
        Ok(tz) => utc
            .with_timezone(&tz)
            .format("%Y-%m-%d %H:%M:%S %Z")
            .to_string(),
        Err(_) => utc.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    }
}

fn utc_seconds(at: &prost_types::Timestamp) -> String {
    super::output::rfc3339_seconds(SystemTime::try_from(*at).unwrap_or(SystemTime::UNIX_EPOCH))
}

/// `5m ago` for a run's fire time.
fn fire_ago(run: &ScheduleRun, now: SystemTime) -> String {
    run.fire_time.as_ref().map_or_else(
        || "-".to_owned(),
        |at| {
            relative_time(
                SystemTime::try_from(*at).unwrap_or(SystemTime::UNIX_EPOCH),
                now,
            )
        },
    )
}

/// `2026-11-22T18:21:51Z (12s ago) by cli:ada@laptop`.
fn by_at(by: &str, at: Option<&prost_types::Timestamp>, now: SystemTime) -> String {
    let at = full_timestamp(at, now);
    match (by.is_empty(), at.as_str()) {
        (true, _) => at,
        (false, "-") => format!("by {}", printable(by)),
        (false, _) => format!("{at} by {}", printable(by)),
    }
}

/// A duration as written, or nothing when unset or zero.
fn nonzero(duration: Option<&prost_types::Duration>) -> String {
    duration
        .filter(|duration| duration.seconds != 0 || duration.nanos != 0)
        .map_or_else(String::new, interval_text)
}

/// A configured duration as written (`90s` → `1m30s`), or the server's default when unset.
fn or_default(duration: Option<&prost_types::Duration>, default: &str) -> String {
    duration.map_or_else(|| format!("{default} (default)"), interval_text)
}

fn or_dash(text: &str) -> String {
    if text.is_empty() {
        "-".to_owned()
    } else {
        text.to_owned()
    }
}

/// Text as text (first line, capped); anything else by its size.
fn payload_for_display(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return String::new();
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => one_line(text, 200),
        Err(_) => format!("<{} bytes>", bytes.len()),
    }
}

fn overlap_name(policy: OverlapPolicy) -> &'static str {
    match policy {
        OverlapPolicy::Unspecified | OverlapPolicy::Allow => "allow",
        OverlapPolicy::Skip => "skip",
    }
}

fn misfire_name(policy: MisfirePolicy) -> &'static str {
    match policy {
        MisfirePolicy::Skip => "skip",
        MisfirePolicy::Unspecified | MisfirePolicy::FireOnce => "once",
        MisfirePolicy::CatchUp => "catch-up",
    }
}

fn origin_name(origin: ScheduleOrigin) -> &'static str {
    match origin {
        ScheduleOrigin::Unspecified => "-",
        ScheduleOrigin::Api => "api",
        ScheduleOrigin::Code => "code",
    }
}

fn run_state_name(state: RunState) -> &'static str {
    match state {
        RunState::Unspecified => "unknown",
        RunState::Running => "running",
        RunState::Completed => "completed",
        RunState::Failed => "failed",
        RunState::Cancelled => "cancelled",
        RunState::Skipped => "skipped",
        RunState::Deleted => "deleted",
    }
}

fn trigger_name(trigger: RunTrigger) -> &'static str {
    match trigger {
        RunTrigger::Unspecified => "-",
        RunTrigger::Schedule => "schedule",
        RunTrigger::Misfire => "misfire",
        RunTrigger::Manual => "manual",
    }
}

fn parse_overlap(text: &str) -> Result<OverlapPolicy, String> {
    match text.to_ascii_lowercase().as_str() {
        "allow" => Ok(OverlapPolicy::Allow),
        "skip" => Ok(OverlapPolicy::Skip),
        _ => Err(format!(
            "unknown overlap policy {text:?}; expected allow or skip"
        )),
    }
}

fn parse_misfire(text: &str) -> Result<MisfirePolicy, String> {
    match text.to_ascii_lowercase().as_str() {
        "skip" => Ok(MisfirePolicy::Skip),
        "once" | "fire-once" => Ok(MisfirePolicy::FireOnce),
        "catch-up" | "catchup" => Ok(MisfirePolicy::CatchUp),
        _ => Err(format!(
            "unknown misfire policy {text:?}; expected skip, once or catch-up"
        )),
    }
}

fn parse_header(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .ok_or_else(|| format!("invalid header {text:?}; expected KEY=VALUE"))
}

fn parse_rfc3339(text: &str) -> Result<SystemTime, String> {
    DateTime::parse_from_rfc3339(text)
        .map(SystemTime::from)
        .map_err(|error| {
            format!("invalid time {text:?} ({error}); use e.g. 2026-03-29T00:00:00+01:00")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_without_a_content_type_are_json_or_text() {
        assert_eq!(content_type_of(br#"{"a": 1}"#), "application/json");
        assert_eq!(content_type_of(b"42"), "application/json");
        assert_eq!(content_type_of(b"hello"), "text/plain");
        assert_eq!(content_type_of(b"{oops"), "text/plain");
    }

    #[test]
    fn cadences_read_as_operators_write_them() {
        let every = ScheduleSpecBuilder::every("s", Duration::from_secs(90)).build();
        assert_eq!(cadence(&every), "every 1m30s");
        let hourly = ScheduleSpecBuilder::every("s", Duration::from_secs(3_600)).build();
        assert_eq!(cadence(&hourly), "every 1h");
        let cron = ScheduleSpecBuilder::cron("s", "0 3 * * *").build();
        assert_eq!(cadence(&cron), "0 3 * * *");
    }

    #[test]
    fn next_fire_is_local_to_the_zone_and_relative() {
        let at = prost_types::Timestamp {
            seconds: 1_790_000_000,
            nanos: 0,
        };
        assert_eq!(local_time(&at, "Europe/Berlin"), "2026-09-21 16:13:20 CEST");
        assert_eq!(local_time(&at, "UTC"), "2026-09-21 14:13:20 UTC");
        let schedule = Schedule {
            spec: Some(
                ScheduleSpecBuilder::cron("s", "* * * * *")
                    .time_zone("America/New_York")
                    .build(),
            ),
            next_fire_at: Some(at),
            ..Schedule::default()
        };
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_789_999_988);
        assert_eq!(
            next_fire(&schedule, now),
            "2026-09-21 10:13:20 EDT (in 12s)"
        );
        let paused = Schedule {
            next_fire_at: None,
            ..schedule
        };
        assert_eq!(next_fire(&paused, now), "-");
    }

    #[test]
    fn policies_parse_by_their_short_names() {
        assert_eq!(parse_overlap("skip"), Ok(OverlapPolicy::Skip));
        assert_eq!(parse_misfire("catch-up"), Ok(MisfirePolicy::CatchUp));
        assert_eq!(parse_misfire("once"), Ok(MisfirePolicy::FireOnce));
        assert!(parse_misfire("later").unwrap_err().contains("catch-up"));
        assert!(parse_rfc3339("2026-03-29T00:00:00+01:00").is_ok());
        assert!(parse_rfc3339("tomorrow").is_err());
    }

    #[test]
    fn a_record_shows_policies_and_who_paused_it() {
        let spec = ScheduleSpecBuilder::every("tick", Duration::from_secs(30))
            .queue("ops")
            .job_type("ping")
            .overlap(OverlapPolicy::Skip)
            .misfire(MisfirePolicy::CatchUp)
            .build();
        let schedule = Schedule {
            spec: Some(spec),
            paused: true,
            paused_by: "cli:ada@laptop".into(),
            pause_reason: "incident 42".into(),
            created_by: "cli:bob@laptop".into(),
            origin: ScheduleOrigin::Api.into(),
            ..Schedule::default()
        };
        let text = describe(&schedule, SystemTime::now());
        let has_row = |words: &[&str]| {
            text.lines()
                .any(|line| line.split_whitespace().eq(words.iter().copied()))
        };
        assert!(has_row(&["cadence", "every", "30s"]), "{text}");
        assert!(
            has_row(&["paused", "yes,", "by", "cli:ada@laptop"]),
            "{text}"
        );
        assert!(has_row(&["pause", "reason", "incident", "42"]), "{text}");
        assert!(has_row(&["overlap", "skip"]), "{text}");
        assert!(has_row(&["misfire", "catch-up"]), "{text}");
        assert!(
            has_row(&["catch-up", "window", "1h", "(default)"]),
            "{text}"
        );
        assert!(has_row(&["created", "by", "cli:bob@laptop"]), "{text}");
        assert!(!text.contains("next fire"), "{text}");
    }
}
