//! `zenith logs`: searches the archived log lines, or follows new ones with `-f`.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use anyhow::bail;
use clap::Args;
use futures::StreamExt as _;
use zenith_proto::to_json;
use zenith_sdk::proto::{
    LogFilter, LogLevel, LogRecord, SearchLogsRequest, SearchLogsResponse, TailLogsRequest,
};

use super::ops::{connect, print_json};
use super::output::rfc3339_millis;
use super::{ClientArgs, parse_duration};

/// The most lines the server returns per search page.
const MAX_PAGE: usize = 1_000;
/// The most lines one `zenith logs` prints.
const MAX_LIMIT: usize = 100_000;
/// How far back a tail can replay: Redis keeps about that much.
const MAX_REPLAY: Duration = Duration::from_secs(3_600);

#[derive(Args)]
pub struct LogsArgs {
    /// Words and quoted phrases that must all occur in the message; with -f, text the message
    /// must contain (ignoring case). None for every line.
    #[arg(default_value = "")]
    query: String,
    /// Follow new lines as they arrive until Ctrl-C.
    #[arg(short = 'f', long)]
    follow: bool,
    /// Only lines of jobs of this queue.
    #[arg(long)]
    queue: Option<String>,
    /// Only lines of this job.
    #[arg(long = "job", value_name = "ID")]
    job: Option<String>,
    /// Only lines at this level or above: trace, debug, info, warn, error.
    #[arg(long, value_parser = parse_level)]
    level: Option<LogLevel>,
    /// Only lines of this service.
    #[arg(long)]
    service: Option<String>,
    /// Only lines of this node.
    #[arg(long)]
    node: Option<String>,
    /// Only lines logged within this long ago, e.g. 1h; with -f, replay that stretch first
    /// (at most 1h).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    since: Option<Duration>,
    /// At most this many lines (without -f): the newest ones, printed oldest first.
    #[arg(long, default_value_t = 100, value_parser = parse_limit)]
    limit: usize,
}

fn parse_level(text: &str) -> Result<LogLevel, String> {
    let upper = text.to_ascii_uppercase();
    let name = upper.strip_prefix("LOG_LEVEL_").unwrap_or(&upper);
    let name = if name == "WARNING" { "WARN" } else { name };
    match LogLevel::from_str_name(&format!("LOG_LEVEL_{name}")) {
        Some(level) if level != LogLevel::Unspecified => Ok(level),
        _ => Err(format!(
            "unknown level {text:?}; expected one of trace, debug, info, warn, error"
        )),
    }
}

fn parse_limit(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(limit) if (1..=MAX_LIMIT).contains(&limit) => Ok(limit),
        _ => Err(format!("invalid limit {text:?}; use 1 to {MAX_LIMIT}")),
    }
}

pub async fn run(args: &ClientArgs, logs: LogsArgs) -> anyhow::Result<()> {
    let filter = LogFilter {
        min_level: logs.level.unwrap_or_default().into(),
        service: logs.service.clone().unwrap_or_default(),
        node_id: logs.node.clone().unwrap_or_default(),
        queue: logs.queue.clone().unwrap_or_default(),
        job_id: logs.job.clone().unwrap_or_default(),
    };
    if logs.follow {
        follow(args, logs, filter).await
    } else {
        search(args, logs, filter).await
    }
}

async fn search(args: &ClientArgs, logs: LogsArgs, filter: LogFilter) -> anyhow::Result<()> {
    let client = connect(args).await?;
    let since = match logs.since {
        Some(since) => match SystemTime::now().checked_sub(since) {
            Some(at) => Some(prost_types::Timestamp::from(at)),
            None => bail!("--since {since:?} reaches before the epoch"),
        },
        None => None,
    };
    let mut request = SearchLogsRequest {
        query: logs.query,
        filter: Some(filter),
        since,
        ..SearchLogsRequest::default()
    };
    let mut found = SearchLogsResponse::default();
    loop {
        let wanted = logs.limit - found.records.len();
        request.page_size = i32::try_from(wanted.min(MAX_PAGE)).unwrap_or(1_000);
        let page = client.search_logs(request.clone()).await?;
        found.records.extend(page.records);
        found.next_page_token = page.next_page_token;
        if found.next_page_token.is_empty() || found.records.len() >= logs.limit {
            break;
        }
        request.page_token = found.next_page_token.clone();
    }
    found.records.truncate(logs.limit);
    // Newest first from the server; read top to bottom like a log file.
    found.records.reverse();
    if args.json {
        return print_json(to_json(&found), Some("records"));
    }
    if found.records.is_empty() {
        eprintln!("no log lines match");
    }
    for record in &found.records {
        println!("{}", line(record));
    }
    if !found.next_page_token.is_empty() {
        eprintln!(
            "older lines match too; raise --limit (now {}) or narrow with --since",
            logs.limit
        );
    }
    Ok(())
}

async fn follow(args: &ClientArgs, logs: LogsArgs, filter: LogFilter) -> anyhow::Result<()> {
    let replay = match logs.since {
        Some(since) if since > MAX_REPLAY => {
            bail!(
                "--since with --follow replays at most 1h of lines; use zenith logs without -f for older ones"
            )
        }
        Some(since) => Some(prost_types::Duration::try_from(since)?),
        None => None,
    };
    let request = TailLogsRequest {
        filter: Some(filter),
        text: logs.query,
        replay,
    };
    let client = connect(args).await?;
    let mut tail = client.tail_logs(request).await?;
    let interrupt = tokio::signal::ctrl_c();
    tokio::pin!(interrupt);
    loop {
        let batch = tokio::select! {
            _ = &mut interrupt => return Ok(()),
            batch = tail.next() => batch,
        };
        let Some(batch) = batch else {
            bail!("the server ended the tail (it is shutting down)");
        };
        let batch = batch?;
        if batch.skipped > 0 {
            eprintln!(
                "skipped {} lines: the tail fell behind the server's window",
                batch.skipped
            );
        }
        for record in &batch.records {
            if args.json {
                println!("{}", serde_json::to_string(&to_json(record))?);
            } else {
                println!("{}", line(record));
            }
        }
    }
}

/// `2026-11-23T02:30:01.123Z  INFO  billing/host:12:ab  job-1  message key=value`.
fn line(record: &LogRecord) -> String {
    let time = record
        .time
        .as_ref()
        .or(record.received_at.as_ref())
        .map_or_else(|| "-".to_owned(), rfc3339_millis);
    let level = match record.level() {
        LogLevel::Trace => "TRACE",
        LogLevel::Debug => "DEBUG",
        LogLevel::Info | LogLevel::Unspecified => "INFO",
        LogLevel::Warn => "WARN",
        LogLevel::Error => "ERROR",
    };
    let job = if record.job_id.is_empty() {
        "-"
    } else {
        &record.job_id
    };
    let mut out = format!(
        "{time}  {level:<5}  {}/{}  {}  {}",
        clean(&record.service),
        clean(&record.node_id),
        clean(job),
        clean(&record.message)
    );
    let mut fields: Vec<_> = record.fields.iter().collect();
    fields.sort();
    for (key, value) in fields {
        let _ = write!(out, " {}={}", clean(key), clean(value));
    }
    out
}

/// Control characters (newlines too) escaped, so one record stays one line and cannot drive
/// the terminal.
fn clean(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_by_any_spelling() {
        assert_eq!(parse_level("warn"), Ok(LogLevel::Warn));
        assert_eq!(parse_level("WARNING"), Ok(LogLevel::Warn));
        assert_eq!(parse_level("LOG_LEVEL_ERROR"), Ok(LogLevel::Error));
        assert!(parse_level("loud").unwrap_err().contains("trace, debug"));
    }

    #[test]
    fn limits_are_bounded() {
        assert_eq!(parse_limit("5"), Ok(5));
        assert!(parse_limit("0").is_err());
        assert!(parse_limit("many").is_err());
    }

    #[test]
    fn a_record_is_one_clean_line() {
        let record = LogRecord {
            time: Some(prost_types::Timestamp {
                seconds: 1_795_000_000,
                nanos: 5_000_000,
            }),
            level: LogLevel::Warn.into(),
            message: "smtp refused\n\x1b[31mred".into(),
            service: "billing".into(),
            node_id: "host:1:ab".into(),
            job_id: "j1".into(),
            fields: [("attempt".to_owned(), "2".to_owned())].into(),
            ..LogRecord::default()
        };
        assert_eq!(
            line(&record),
            "2026-11-18T11:06:40.005Z  WARN   billing/host:1:ab  j1  smtp refused\\n\\u{1b}[31mred attempt=2"
        );
    }

    #[test]
    fn times_outside_what_rfc3339_formats_are_clamped_not_panicked_on() {
        let at = |seconds| LogRecord {
            time: Some(prost_types::Timestamp { seconds, nanos: 0 }),
            ..LogRecord::default()
        };
        assert!(line(&at(-86_400)).starts_with("1970-01-01T00:00:00.000Z "));
        assert!(line(&at(300_000_000_000)).starts_with("9999-12-31T23:59:59.999Z "));
    }
}
