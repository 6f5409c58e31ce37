//! The one-shot commands: queues, jobs, enqueue, pause and resume.

use std::io::Read as _;
use std::time::{Duration, SystemTime};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use zenith_proto::to_json;
use zenith_proto::v1::{ListJobsResponse, ListQueuesResponse};
use zenith_sdk::{BulkAction, Client, Job, JobState, Queue};
use zenith_server::filter::Filter;
use zenith_server::queue::state_name;

use super::actions::{self, CancelArgs, TargetArgs};
use super::output::{
    Table, full_timestamp, one_line, printable, proto_duration, relative_timestamp,
};
use super::{ClientArgs, identified, parse_duration, parse_state, search};

#[derive(Subcommand)]
pub enum JobsCommand {
    /// Lists the jobs of a queue in one state.
    List {
        /// Queue name.
        queue: String,
        /// pending, scheduled, active, retry, dead, completed or cancelled.
        #[arg(long, default_value = "pending", value_parser = parse_state)]
        state: JobState,
        /// Only jobs matching EXPR, such as 'error : "timeout" AND attempts >= 3'
        /// (see proto/zenith/v1/FILTER.md).
        #[arg(long, value_name = "EXPR")]
        filter: Option<String>,
        /// At most this many jobs.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Newest first instead of the state's own order.
        #[arg(long)]
        newest: bool,
    },
    /// Shows one job with its payload, errors and timestamps.
    Get {
        /// Job id.
        id: String,
        /// The job's queue, which saves the server a lookup.
        #[arg(long)]
        queue: Option<String>,
    },
    /// Makes dead, retry or scheduled jobs pending now, with their attempts counted afresh.
    Retry(TargetArgs),
    /// Makes scheduled or retry jobs pending now; their attempts count on.
    Promote(TargetArgs),
    /// Removes jobs that are not active.
    Delete(TargetArgs),
    /// Cancels jobs; active ones are asked to stop and end cancelled once their worker does.
    Cancel(CancelArgs),
    /// Shows everything that happened to a job, oldest first, from Redis and the archive.
    History {
        /// Job id.
        id: String,
    },
}

#[derive(Args)]
pub struct EnqueueArgs {
    /// Queue name.
    queue: String,
    /// Job type, which workers dispatch on.
    #[arg(value_name = "TYPE")]
    job_type: String,
    /// JSON payload, `@FILE` to read it from a file, or `@-` from stdin.
    #[arg(long, value_name = "JSON|@FILE")]
    payload: Option<String>,
    /// Send the payload as-is with this media type instead of as JSON.
    #[arg(long)]
    content_type: Option<String>,
    /// Run no sooner than this from now, e.g. 30s or 5m.
    #[arg(long, value_parser = parse_duration)]
    delay: Option<Duration>,
    /// Higher runs first, from -1000 to 1000.
    #[arg(long, allow_negative_numbers = true)]
    priority: Option<i32>,
    /// Attempts before the job is dead [default: the server's, 5].
    #[arg(long)]
    max_attempts: Option<i32>,
    /// Longest one attempt may run, e.g. 30s.
    #[arg(long, value_parser = parse_duration)]
    timeout: Option<Duration>,
    /// Refuse a second unfinished job with this key.
    #[arg(long)]
    unique_key: Option<String>,
    /// Job id; enqueueing the same id again returns the existing job.
    #[arg(long)]
    id: Option<String>,
    /// Label for finding the job; repeatable.
    #[arg(long = "tag", value_name = "TAG")]
    tags: Vec<String>,
    /// Metadata header as KEY=VALUE; repeatable.
    #[arg(long = "header", value_name = "KEY=VALUE", value_parser = parse_header)]
    headers: Vec<(String, String)>,
}

fn parse_header(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .ok_or_else(|| format!("invalid header {text:?}; expected KEY=VALUE"))
}

/// A client that says who acts on every request.
pub(super) async fn connect(args: &ClientArgs) -> anyhow::Result<Client> {
    identified(Client::connect(args.server.clone()).await?, args)
}

/// Prints one JSON document; an empty list is printed as `[]` rather than left out, so
/// scripts can always index it.
pub(super) fn print_json(
    mut value: serde_json::Value,
    list_field: Option<&str>,
) -> anyhow::Result<()> {
    if let (Some(field), Some(object)) = (list_field, value.as_object_mut()) {
        object.entry(field).or_insert_with(|| serde_json::json!([]));
    }
    println!("{}", serde_json::to_string_pretty(&value)?);
    Ok(())
}

pub async fn queues(args: &ClientArgs) -> anyhow::Result<()> {
    let queues = connect(args).await?.list_queues().await?;
    if args.json {
        let response = ListQueuesResponse {
            queues,
            next_page_token: String::new(),
        };
        return print_json(to_json(&response), Some("queues"));
    }
    if queues.is_empty() {
        println!("no queues");
        return Ok(());
    }
    let mut table = Table::new(&[
        "QUEUE",
        "STATE",
        "PENDING>",
        "SCHEDULED>",
        "ACTIVE>",
        "RETRY>",
        "DEAD>",
        "COMPLETED>",
        "CANCELLED>",
        "OLDEST PENDING",
    ]);
    for queue in &queues {
        let counts = queue.counts.unwrap_or_default();
        table.row(vec![
            queue.name.clone(),
            if queue.paused { "paused" } else { "running" }.to_owned(),
            counts.pending.to_string(),
            counts.scheduled.to_string(),
            counts.active.to_string(),
            counts.retry.to_string(),
            counts.dead.to_string(),
            counts.completed.to_string(),
            counts.cancelled.to_string(),
            proto_duration(queue.oldest_pending_age.as_ref()),
        ]);
    }
    print!("{}", table.render());
    Ok(())
}

pub async fn jobs(args: &ClientArgs, command: JobsCommand) -> anyhow::Result<()> {
    match command {
        JobsCommand::List {
            queue,
            state,
            limit,
            newest,
            filter,
        } => list_jobs(args, queue, state, limit, newest, filter).await,
        JobsCommand::Get { id, queue } => get_job(args, id, queue).await,
        JobsCommand::History { id } => search::history(args, id).await,
        JobsCommand::Retry(target) => {
            actions::act(args, BulkAction::Retry, target, String::new()).await
        }
        JobsCommand::Promote(target) => {
            actions::act(args, BulkAction::Promote, target, String::new()).await
        }
        JobsCommand::Delete(target) => {
            actions::act(args, BulkAction::Delete, target, String::new()).await
        }
        JobsCommand::Cancel(cancel) => {
            actions::act(args, BulkAction::Cancel, cancel.target, cancel.reason).await
        }
    }
}

/// The filter on one line with a caret under the byte at `position`.
pub(super) fn point_at(filter: &str, position: usize) -> String {
    let line = filter.replace(['\n', '\r', '\t'], " ");
    let column = filter
        .get(..position)
        .map_or(position, |before| before.chars().count());
    format!("  {line}\n  {}^", " ".repeat(column))
}

async fn list_jobs(
    args: &ClientArgs,
    queue: String,
    state: JobState,
    limit: usize,
    newest: bool,
    filter: Option<String>,
) -> anyhow::Result<()> {
    let client = connect(args).await?;
    let mut listing = client.list_jobs(queue, state);
    if newest {
        listing = listing.newest_first();
    }
    let filtered = filter.is_some();
    if let Some(filter) = filter {
        // Checked here too so a mistake is shown in place rather than as a byte offset.
        if let Err(error) = Filter::parse(&filter) {
            bail!(
                "invalid filter: {error}\n{}",
                point_at(&filter, error.position)
            );
        }
        listing = listing.filter(filter);
    }
    let page = listing.collect(limit).await?;
    if args.json {
        let response = ListJobsResponse {
            jobs: page.jobs,
            next_page_token: page.next_page_token,
        };
        return print_json(to_json(&response), Some("jobs"));
    }
    if page.jobs.is_empty() {
        let matching = if filtered { " matching the filter" } else { "" };
        println!("no {} jobs{matching}", state_name(state));
        return Ok(());
    }
    let when = match state {
        JobState::Scheduled | JobState::Retry => "DUE",
        JobState::Active => "LEASE ENDS",
        JobState::Dead | JobState::Completed | JobState::Cancelled | JobState::Deleted => {
            "FINISHED"
        }
        _ => "CREATED",
    };
    let now = SystemTime::now();
    let mut table = Table::new(&["ID", "TYPE", "ATTEMPTS>", "PRIORITY>", when, "LAST ERROR"]);
    for job in &page.jobs {
        let at = match state {
            JobState::Scheduled | JobState::Retry => job.scheduled_at.as_ref(),
            JobState::Active => job.lease_deadline.as_ref(),
            JobState::Dead | JobState::Completed | JobState::Cancelled | JobState::Deleted => {
                job.finished_at.as_ref()
            }
            _ => job.created_at.as_ref(),
        };
        table.row(vec![
            job.id.clone(),
            one_line(&job.r#type, 40),
            format!("{}/{}", job.attempts, job.max_attempts),
            job.priority.to_string(),
            relative_timestamp(at, now),
            one_line(&job.last_error, 60),
        ]);
    }
    print!("{}", table.render());
    if !page.next_page_token.is_empty() {
        println!("(more jobs; raise --limit to see them)");
    }
    Ok(())
}

async fn get_job(args: &ClientArgs, id: String, queue: Option<String>) -> anyhow::Result<()> {
    let client = connect(args).await?;
    let job = client.get_job_in(id, queue.unwrap_or_default()).await?;
    if args.json {
        return print_json(to_json(&job), None);
    }
    print!("{}", describe_job(&job, SystemTime::now()));
    Ok(())
}

fn describe_job(job: &Job, now: SystemTime) -> String {
    let mut table = Table::new(&["FIELD", "VALUE"]);
    let mut field = |name: &str, value: String| {
        if !value.is_empty() && value != "-" {
            table.row(vec![name.to_owned(), value]);
        }
    };
    field("id", job.id.clone());
    field("queue", job.queue.clone());
    field("type", printable(&job.r#type));
    field("state", state_name(job.state()).to_owned());
    field(
        "attempts",
        format!("{} of {}", job.attempts, job.max_attempts),
    );
    field("priority", job.priority.to_string());
    field("created", full_timestamp(job.created_at.as_ref(), now));
    field("scheduled", full_timestamp(job.scheduled_at.as_ref(), now));
    field("started", full_timestamp(job.started_at.as_ref(), now));
    field("finished", full_timestamp(job.finished_at.as_ref(), now));
    field(
        "lease ends",
        full_timestamp(job.lease_deadline.as_ref(), now),
    );
    field("timeout", proto_duration(job.timeout.as_ref()));
    if let Some(backoff) = &job.backoff {
        field(
            "backoff",
            format!(
                "{} up to {}",
                proto_duration(backoff.base.as_ref()),
                proto_duration(backoff.max.as_ref())
            ),
        );
    }
    field("unique key", printable(&job.unique_key));
    field("tags", printable(&job.tags.join(", ")));
    let mut headers: Vec<_> = job.headers.iter().collect();
    headers.sort();
    let headers: Vec<String> = headers.iter().map(|(k, v)| format!("{k}={v}")).collect();
    field("headers", printable(&headers.join(", ")));
    field("content type", printable(&job.content_type));
    field("payload", bytes_for_display(&job.payload));
    field("result", bytes_for_display(&job.result));
    field("last error", printable(&job.last_error));
    if job.cancel_requested {
        field("cancel", "requested".to_owned());
    }
    field("cancel reason", printable(&job.cancel_reason));
    let mut out = table.render();
    // The header row only helps tables with many rows; a record reads better without it.
    if let Some(end) = out.find('\n') {
        out.drain(..=end);
    }
    if !job.last_stack_trace.is_empty() {
        out.push_str("stack trace:\n");
        for line in printable(&job.last_stack_trace).lines() {
            out.push_str("  ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Text as text (first line, capped); anything else by its size.
fn bytes_for_display(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return String::new();
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => one_line(text, 200),
        Err(_) => format!("<{} bytes>", bytes.len()),
    }
}

pub async fn enqueue(args: &ClientArgs, enqueue: EnqueueArgs) -> anyhow::Result<()> {
    // Bad input is refused before any connection is made.
    let payload = match &enqueue.payload {
        Some(payload) => Some(read_payload(payload)?),
        None => None,
    };
    let content_type = match (&payload, enqueue.content_type) {
        (_, Some(content_type)) => Some(content_type),
        (Some(payload), None) => {
            serde_json::from_slice::<serde::de::IgnoredAny>(payload)
                .context("invalid JSON payload (pass --content-type to send other data)")?;
            Some("application/json".to_owned())
        }
        (None, None) => None,
    };
    let client = connect(args).await?;
    let mut job = client.enqueue(enqueue.queue, enqueue.job_type);
    if let Some(payload) = payload {
        job = job.payload(payload);
    }
    if let Some(content_type) = content_type {
        job = job.content_type(content_type);
    }
    if let Some(delay) = enqueue.delay {
        job = job.delay(delay);
    }
    if let Some(priority) = enqueue.priority {
        job = job.priority(priority);
    }
    if let Some(max_attempts) = enqueue.max_attempts {
        job = job.max_attempts(max_attempts);
    }
    if let Some(timeout) = enqueue.timeout {
        job = job.timeout(timeout);
    }
    if let Some(key) = enqueue.unique_key {
        job = job.unique_key(key);
    }
    if let Some(id) = enqueue.id {
        job = job.id(id);
    }
    for tag in enqueue.tags {
        job = job.tag(tag);
    }
    for (key, value) in enqueue.headers {
        job = job.header(key, value);
    }
    let enqueued = job.send().await?;
    if enqueued.duplicate {
        eprintln!(
            "duplicate: job {} already exists ({})",
            enqueued.job.id,
            state_name(enqueued.job.state())
        );
    }
    if args.json {
        return print_json(to_json(&enqueued.job), None);
    }
    println!("{}", enqueued.job.id);
    Ok(())
}

/// The payload argument: literal text, `@FILE`, or `@-` for stdin.
fn read_payload(argument: &str) -> anyhow::Result<Vec<u8>> {
    match argument.strip_prefix('@') {
        Some("-") => {
            let mut payload = Vec::new();
            std::io::stdin()
                .read_to_end(&mut payload)
                .context("read payload from stdin")?;
            Ok(payload)
        }
        Some("") => bail!("empty payload file name after @"),
        Some(path) => std::fs::read(path).with_context(|| format!("read payload file {path}")),
        None => Ok(argument.as_bytes().to_vec()),
    }
}

pub async fn pause(args: &ClientArgs, name: &str, paused: bool) -> anyhow::Result<()> {
    let client = connect(args).await?;
    let queue: Queue = if paused {
        client.pause_queue(name).await?
    } else {
        client.resume_queue(name).await?
    };
    if args.json {
        return print_json(to_json(&queue), None);
    }
    let counts = queue.counts.unwrap_or_default();
    println!(
        "queue {} {} ({} pending, {} active)",
        queue.name,
        if queue.paused { "paused" } else { "resumed" },
        counts.pending,
        counts.active
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_description_skips_unset_fields() {
        let job = Job {
            id: "j1".into(),
            queue: "emails".into(),
            r#type: "send".into(),
            state: JobState::Dead.into(),
            attempts: 2,
            max_attempts: 2,
            payload: b"{\"a\":1}".to_vec(),
            last_error: "boom".into(),
            last_stack_trace: "at main\nat run".into(),
            ..Job::default()
        };
        let text = describe_job(&job, SystemTime::now());
        let has_row = |words: &[&str]| {
            text.lines()
                .any(|line| line.split_whitespace().eq(words.iter().copied()))
        };
        assert!(text.starts_with("id "), "{text}");
        assert!(has_row(&["state", "dead"]), "{text}");
        assert!(has_row(&["attempts", "2", "of", "2"]), "{text}");
        assert!(has_row(&["payload", "{\"a\":1}"]), "{text}");
        assert!(
            text.ends_with("stack trace:\n  at main\n  at run\n"),
            "{text}"
        );
        assert!(!text.contains("timeout"), "{text}");
    }

    #[test]
    fn payload_argument_forms() {
        assert_eq!(read_payload("{}").unwrap(), b"{}");
        assert!(read_payload("@").is_err());
        let error = read_payload("@/no/such/file").unwrap_err();
        assert!(format!("{error:#}").contains("read payload file /no/such/file"));
    }
}
