//! `zenith.v1.LogService`.

use std::pin::Pin;
use std::time::Duration;

use futures::{Stream, StreamExt};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};
use zenith_proto::v1::log_service_server::LogService;
use zenith_proto::v1::*;

use crate::api::{page_token, validate};
use crate::archive::text;
use crate::logs::store::{LogCursor, LogQuery, SharedLogStore};
use crate::logs::tail::TailFilter;
use crate::logs::{LogError, Result, SharedLogs};
use crate::queue::timestamp_to_ms;

const DEFAULT_SEARCH_PAGE: usize = 100;
const MAX_SEARCH_PAGE: usize = 1_000;
const MAX_REPLAY: Duration = Duration::from_secs(3600);
const MAX_TEXT_BYTES: usize = 1_024;
/// A job's lines shown with the job (GetJob, GetJobHistory).
pub const JOB_LINES: usize = 1_000;
/// Bytes of lines in one response (a job's lines, a search page), at most.
const RESPONSE_BYTES: usize = 2 * 1024 * 1024;

pub struct LogApi {
    logs: SharedLogs,
}

impl LogApi {
    pub fn new(logs: SharedLogs) -> Self {
        Self { logs }
    }
}

type LogLines = Pin<Box<dyn Stream<Item = Result<TailLogsResponse, Status>> + Send>>;

#[tonic::async_trait]
impl LogService for LogApi {
    async fn write_logs(
        &self,
        request: Request<WriteLogsRequest>,
    ) -> Result<Response<WriteLogsResponse>, Status> {
        let written = self.logs.write(request.into_inner().records).await?;
        Ok(Response::new(WriteLogsResponse {
            written: written.written as i32,
            truncated: written.truncated as i32,
        }))
    }

    type TailLogsStream = LogLines;

    async fn tail_logs(
        &self,
        request: Request<TailLogsRequest>,
    ) -> Result<Response<Self::TailLogsStream>, Status> {
        let request = request.into_inner();
        let filter = check_filter(request.filter.unwrap_or_default())?;
        validate::label("text", &request.text, MAX_TEXT_BYTES, false).map_err(LogError::from)?;
        let replay = validate::duration("replay", request.replay.as_ref())
            .map_err(LogError::from)?
            .unwrap_or_default();
        if replay > MAX_REPLAY {
            return Err(LogError::invalid("replay", "at most 1h").into());
        }
        let tail = TailFilter {
            filter,
            text: request.text.to_lowercase(),
        };
        let lines = ReceiverStream::new(self.logs.tail(tail, replay))
            .map(|item| item.map_err(Status::from));
        Ok(Response::new(Box::pin(lines)))
    }

    async fn search_logs(
        &self,
        request: Request<SearchLogsRequest>,
    ) -> Result<Response<SearchLogsResponse>, Status> {
        Ok(Response::new(
            search(self.logs.store(), request.into_inner()).await?,
        ))
    }
}

/// The filter, checked: a known level, ids within bounds.
fn check_filter(filter: LogFilter) -> Result<LogFilter> {
    if LogLevel::try_from(filter.min_level).is_err() {
        return Err(LogError::invalid(
            "filter.min_level",
            format!("{} is not a log level", filter.min_level),
        ));
    }
    for (field, value) in [
        ("filter.service", &filter.service),
        ("filter.node_id", &filter.node_id),
    ] {
        validate::label(field, value, crate::logs::record::MAX_ID_BYTES, false)?;
    }
    for (field, value) in [
        ("filter.queue", &filter.queue),
        ("filter.job_id", &filter.job_id),
    ] {
        if !value.is_empty() {
            validate::name(field, value)?;
        }
    }
    Ok(filter)
}

/// Words and quoted phrases, each as `text::words` cuts it.
fn phrases(query: &str) -> Result<Vec<Vec<String>>> {
    let parts: Vec<&str> = query.split('"').collect();
    if parts.len().is_multiple_of(2) {
        return Err(LogError::invalid("query", "unbalanced quote"));
    }
    let mut phrases = Vec::new();
    for (i, part) in parts.into_iter().enumerate() {
        if i % 2 == 1 {
            phrases.push(text::words(part));
        } else {
            phrases.extend(text::words(part).into_iter().map(|word| vec![word]));
        }
    }
    phrases.retain(|phrase| !phrase.is_empty());
    Ok(phrases)
}

async fn search(store: &SharedLogStore, request: SearchLogsRequest) -> Result<SearchLogsResponse> {
    let limit = match request.page_size {
        ..0 => return Err(LogError::invalid("page_size", "must not be negative")),
        0 => DEFAULT_SEARCH_PAGE,
        n => (n as usize).min(MAX_SEARCH_PAGE),
    };
    validate::label("query", &request.query, MAX_TEXT_BYTES, false)?;
    let phrases = phrases(&request.query)?;
    let filter = check_filter(request.filter.unwrap_or_default())?;
    let since_ms = request.since.as_ref().map(timestamp_to_ms);
    let until_ms = request.until.as_ref().map(timestamp_to_ms);
    if let (Some(since), Some(until)) = (since_ms, until_ms)
        && since >= until
    {
        return Err(LogError::invalid("until", "must be later than since"));
    }
    let fingerprint = fingerprint(&format!(
        "{phrases:?}\0{filter:?}\0{since_ms:?}\0{until_ms:?}\0{}",
        request.oldest_first
    ));
    let after = if request.page_token.is_empty() {
        None
    } else {
        let parts = page_token::decode(&request.page_token, 3)?;
        match parts[1].parse() {
            Ok(logged_at_ms) if parts[0] == fingerprint => Some(LogCursor {
                logged_at_ms,
                id: parts[2].clone(),
            }),
            _ => {
                return Err(LogError::invalid(
                    "page_token",
                    "from a different query; page with the query and filters that made it",
                ));
            }
        }
    };
    let query = LogQuery {
        phrases,
        filter,
        since_ms,
        until_ms,
        oldest_first: request.oldest_first,
        after,
        limit: limit + 1,
    };
    let mut found = store.search(&query).await?;
    let mut more = found.len() > limit;
    found.truncate(limit);
    // A page of long lines ends early (with a token) rather than pass 4 MiB.
    let mut bytes = 0;
    if let Some(over) = found.iter().position(|(_, line)| {
        bytes += prost::Message::encoded_len(line);
        bytes > RESPONSE_BYTES
    }) {
        found.truncate(over.max(1));
        more = true;
    }
    let next_page_token = match found.last() {
        Some((cursor, _)) if more => {
            page_token::encode(&[&fingerprint, &cursor.logged_at_ms.to_string(), &cursor.id])
        }
        _ => String::new(),
    };
    Ok(SearchLogsResponse {
        records: found.into_iter().map(|(_, record)| record).collect(),
        next_page_token,
    })
}

/// A job's archived lines, oldest first, and whether there were more than shown.
pub async fn job_lines(
    store: &SharedLogStore,
    job_id: &str,
) -> crate::archive::Result<(Vec<LogRecord>, bool)> {
    let mut lines = store.job_lines(job_id, JOB_LINES + 1).await?;
    let mut truncated = lines.len() > JOB_LINES;
    lines.truncate(JOB_LINES);
    // Long lines must not push the response past what gRPC clients accept (4 MiB).
    let mut bytes = 0;
    if let Some(over) = lines.iter().position(|line| {
        bytes += prost::Message::encoded_len(line);
        bytes > RESPONSE_BYTES
    }) {
        lines.truncate(over);
        truncated = true;
    }
    Ok((lines, truncated))
}

/// FNV-1a: stable across builds, so replicas accept each other's tokens.
fn fingerprint(text: &str) -> String {
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_words_and_quoted_phrases() {
        assert_eq!(
            phrases(r#"Disk "connection refused" x-1"#).unwrap(),
            vec![
                vec!["disk".to_owned()],
                vec!["connection".to_owned(), "refused".to_owned()],
                vec!["x".to_owned()],
                vec!["1".to_owned()],
            ]
        );
        assert!(phrases(r#"open "quote"#).is_err());
        assert!(phrases("").unwrap().is_empty());
    }
}
