//! `zenith search` and `zenith jobs history`: the archive's search and a job's timeline.

use std::time::{Duration, SystemTime};

use anyhow::bail;
use clap::Args;
use zenith_proto::to_json;
use zenith_proto::v1::archive_service_client::ArchiveServiceClient;
use zenith_proto::v1::{
    GetJobHistoryRequest, GetJobHistoryResponse, JobEventKind, JobSource, SearchJobsRequest,
    SearchJobsResponse,
};
use zenith_sdk::{JobState, Transport};
use zenith_server::filter::Filter;
use zenith_server::queue::state_name;

use super::ops::{point_at, print_json};
use super::output::{Table, one_line, relative_timestamp, rfc3339_millis};
use super::{ClientArgs, parse_duration, parse_state, transport};

/// The most jobs one `zenith search` has the server look at while filling `--limit`, so a query
/// the index cannot narrow does not walk a whole archive.
const MAX_EXAMINED: i64 = 100_000;
/// Most hits the server returns per page.
const MAX_PAGE: usize = 500;
/// Most events the server returns per page.
const HISTORY_PAGE: i32 = 1_000;

#[derive(Args)]
pub struct SearchArgs {
    /// Free text and filter terms: timeout, '"user@example.com"',
    /// 'payload.email = "a@b.c" AND state = "dead"' (see proto/zenith/v1/SEARCH.md); none for
    /// every job.
    #[arg(default_value = "")]
    query: String,
    /// Only this queue; repeatable.
    #[arg(long = "queue", value_name = "QUEUE")]
    queues: Vec<String>,
    /// Only jobs in this state now; repeatable.
    #[arg(long = "state", value_name = "STATE", value_parser = parse_state)]
    states: Vec<JobState>,
    /// Only jobs of this type; repeatable.
    #[arg(long = "type", value_name = "TYPE")]
    types: Vec<String>,
    /// Only jobs created within this long ago, e.g. 7d.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    since: Option<Duration>,
    /// Only jobs created before this: a duration ago (2h) or an RFC 3339 time.
    #[arg(long, value_name = "DURATION_AGO|RFC3339", value_parser = parse_until)]
    until: Option<SystemTime>,
    /// At most this many jobs.
    #[arg(long, default_value_t = 50)]
    limit: usize,
}

fn parse_until(text: &str) -> Result<SystemTime, String> {
    if let Ok(at) = humantime::parse_rfc3339_weak(text) {
        return Ok(at);
    }
    let ago = humantime::parse_duration(text).map_err(|_| {
        format!("invalid time {text:?}; use a duration ago (2h, 7d) or an RFC 3339 time")
    })?;
    SystemTime::now()
        .checked_sub(ago)
        .ok_or_else(|| format!("{text} ago is before the epoch"))
}

async fn archive_client(args: &ClientArgs) -> anyhow::Result<ArchiveServiceClient<Transport>> {
    Ok(ArchiveServiceClient::new(transport(args).await?))
}

pub async fn search(args: &ClientArgs, search: SearchArgs) -> anyhow::Result<()> {
    // Checked here too so a mistake is shown in place rather than as a byte offset.
    if let Err(error) = Filter::parse_search(&search.query) {
        bail!(
            "invalid query: {error}\n{}",
            point_at(&search.query, error.position)
        );
    }
    let now = SystemTime::now();
    let mut request = SearchJobsRequest {
        query: search.query.clone(),
        queues: search.queues,
        states: search.states.iter().map(|s| *s as i32).collect(),
        types: search.types,
        created_after: search
            .since
            .and_then(|since| now.checked_sub(since))
            .map(prost_types::Timestamp::from),
        created_before: search.until.map(prost_types::Timestamp::from),
        ..Default::default()
    };
    let mut client = archive_client(args).await?;
    let mut result = SearchJobsResponse::default();
    loop {
        let wanted = search.limit - result.hits.len();
        request.page_size = wanted.min(MAX_PAGE) as i32;
        let page = client
            .search_jobs(request.clone())
            .await
            .map_err(zenith_sdk::Error::from)?
            .into_inner();
        result.hits.extend(page.hits);
        result.examined += page.examined;
        result.next_page_token = page.next_page_token;
        if result.next_page_token.is_empty()
            || result.hits.len() >= search.limit
            || result.examined >= MAX_EXAMINED
        {
            break;
        }
        request.page_token = result.next_page_token.clone();
    }
    if args.json {
        return print_json(to_json(&result), Some("hits"));
    }
    if result.hits.is_empty() {
        println!("no jobs match");
    } else {
        let mut table = Table::new(&[
            "ID", "QUEUE", "TYPE", "STATE", "SOURCE", "CREATED", "FINISHED",
        ]);
        for hit in &result.hits {
            let Some(job) = &hit.job else { continue };
            table.row(vec![
                job.id.clone(),
                job.queue.clone(),
                one_line(&job.r#type, 40),
                state_name(job.state()).to_owned(),
                source_name(hit.source()).to_owned(),
                relative_timestamp(job.created_at.as_ref(), now),
                relative_timestamp(job.finished_at.as_ref(), now),
            ]);
        }
        print!("{}", table.render());
    }
    if !result.next_page_token.is_empty() {
        let why = if result.hits.len() >= search.limit {
            format!("more may match; raise --limit (now {})", search.limit)
        } else {
            format!(
                "stopped after looking at {} jobs; narrow the query with words, --queue, \
                 --type or --since",
                result.examined
            )
        };
        eprintln!("{why}");
    }
    Ok(())
}

fn source_name(source: JobSource) -> &'static str {
    match source {
        JobSource::Live => "live",
        JobSource::Archive => "archive",
        JobSource::Unspecified => "-",
    }
}

/// `lease_extended` for `JOB_EVENT_KIND_LEASE_EXTENDED`.
fn event_name(kind: JobEventKind) -> String {
    kind.as_str_name()
        .trim_start_matches("JOB_EVENT_KIND_")
        .to_ascii_lowercase()
}

pub async fn history(args: &ClientArgs, id: String) -> anyhow::Result<()> {
    let mut client = archive_client(args).await?;
    let mut request = GetJobHistoryRequest {
        id,
        page_size: HISTORY_PAGE,
        page_token: String::new(),
    };
    let mut history = GetJobHistoryResponse::default();
    loop {
        let page = client
            .get_job_history(request.clone())
            .await
            .map_err(zenith_sdk::Error::from)?
            .into_inner();
        history.events.extend(page.events);
        history.job = page.job;
        history.source = page.source;
        if page.next_page_token.is_empty() {
            break;
        }
        request.page_token = page.next_page_token;
    }
    if args.json {
        return print_json(to_json(&history), Some("events"));
    }
    match &history.job {
        Some(job) => println!(
            "job {} ({}, {}): {}, from the {}",
            job.id,
            job.queue,
            one_line(&job.r#type, 40),
            state_name(job.state()),
            match history.source() {
                JobSource::Live => "live queue",
                _ => "archive",
            }
        ),
        None => println!("job {}: gone from Redis and the archive", request.id),
    }
    if history.events.is_empty() {
        println!("no events recorded");
        return Ok(());
    }
    let mut table = Table::new(&["TIME", "EVENT", "STATE", "ATTEMPT>", "BY", "DETAIL"]);
    for event in &history.events {
        let by = if event.actor.is_empty() {
            &event.worker
        } else {
            &event.actor
        };
        let detail = [&event.error, &event.reason]
            .into_iter()
            .find(|text| !text.is_empty())
            .map_or_else(String::new, |text| one_line(text, 60));
        table.row(vec![
            event
                .at
                .as_ref()
                .map_or_else(|| "-".to_owned(), rfc3339_millis),
            event_name(event.kind()),
            state_name(event.state()).to_owned(),
            event.attempt.to_string(),
            one_line(by, 40),
            detail,
        ]);
    }
    print!("{}", table.render());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn until_takes_a_duration_ago_or_a_time() {
        let at = parse_until("2026-11-01T00:00:00Z").unwrap();
        assert_eq!(
            at.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs(),
            1_793_491_200
        );
        let ago = parse_until("2h").unwrap();
        let expected = SystemTime::now() - Duration::from_secs(7200);
        assert!(expected.duration_since(ago).unwrap_or_default() < Duration::from_secs(5));
        assert!(parse_until("soon").unwrap_err().contains("invalid time"));
    }

    #[test]
    fn event_names_are_short() {
        assert_eq!(event_name(JobEventKind::LeaseExtended), "lease_extended");
        assert_eq!(event_name(JobEventKind::Enqueued), "enqueued");
    }
}
