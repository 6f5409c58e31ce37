//! SearchJobs and GetJobHistory.

use zenith_proto::v1::*;

use super::ArchiveApi;
use crate::api::{page_token, validate};
use crate::archive::search::{self, Search};
use crate::archive::store::EventPosition;
use crate::archive::{ArchiveError, Result};
use crate::filter::Filter;
use crate::queue::QueueError;

const DEFAULT_SEARCH_PAGE: usize = 50;
const MAX_SEARCH_PAGE: usize = 500;
const DEFAULT_HISTORY_PAGE: usize = 100;
const MAX_HISTORY_PAGE: usize = 1_000;

impl ArchiveApi {
    pub(super) async fn search_jobs_rpc(
        &self,
        request: SearchJobsRequest,
    ) -> Result<SearchJobsResponse> {
        let (mut query, fingerprint) = validate_search(&request)?;
        if !request.page_token.is_empty() {
            let parts = page_token::decode(&request.page_token, 2)?;
            if parts[0] != fingerprint {
                return Err(ArchiveError::invalid(
                    "page_token",
                    "from a different query; page with the query and filters that made it",
                ));
            }
            let seq = parts[1].parse().map_err(|_| {
                ArchiveError::invalid("page_token", "not a token from a previous response")
            })?;
            query.before_seq = Some(seq);
        }
        let page = search::search(&self.engine, &self.archive, &query).await?;
        tracing::debug!(
            hits = page.hits.len(),
            examined = page.examined,
            "search page"
        );
        Ok(SearchJobsResponse {
            hits: page.hits,
            next_page_token: page
                .next_before_seq
                .map(|seq| page_token::encode(&[&fingerprint, &seq.to_string()]))
                .unwrap_or_default(),
            examined: page.examined as i64,
        })
    }

    pub(super) async fn get_job_history_rpc(
        &self,
        request: GetJobHistoryRequest,
    ) -> Result<GetJobHistoryResponse> {
        validate::name("id", &request.id)?;
        let limit = page_size(request.page_size, DEFAULT_HISTORY_PAGE, MAX_HISTORY_PAGE)?;
        let after = if request.page_token.is_empty() {
            None
        } else {
            let parts = page_token::decode(&request.page_token, 3)?;
            let position = match (parts[1].parse(), parts[2].parse()) {
                (Ok(at_ms), Ok(pos)) if parts[0] == request.id => {
                    Some(EventPosition { at_ms, pos })
                }
                _ => None,
            };
            Some(position.ok_or_else(|| {
                ArchiveError::invalid(
                    "page_token",
                    "not a token from a previous response for this job",
                )
            })?)
        };
        // One more than asked shows whether another page follows.
        let mut events = self
            .archive
            .job_events(&request.id, after, limit + 1)
            .await?;
        let more = events.len() > limit;
        events.truncate(limit);
        let next_page_token = match events.last() {
            Some((position, _)) if more => page_token::encode(&[
                &request.id,
                &position.at_ms.to_string(),
                &position.pos.to_string(),
            ]),
            _ => String::new(),
        };
        let (job, source) = match self.engine.get_job(&request.id, None).await {
            Ok(job) => (Some(job), JobSource::Live),
            Err(QueueError::JobNotFound(_)) => match self.archive.get_job(&request.id).await? {
                Some(archived) => (Some(archived.job), JobSource::Archive),
                None => (None, JobSource::Unspecified),
            },
            Err(error) => return Err(error.into()),
        };
        if job.is_none() && events.is_empty() && after.is_none() {
            return Err(ArchiveError::JobNotFound(request.id));
        }
        // The job's lines come with the first page.
        let (logs, logs_truncated) = if after.is_none() {
            crate::api::logs::job_lines(&self.log_store, &request.id).await?
        } else {
            (Vec::new(), false)
        };
        Ok(GetJobHistoryResponse {
            events: events.into_iter().map(|(_, event)| event).collect(),
            next_page_token,
            job,
            source: source as i32,
            logs,
            logs_truncated,
        })
    }
}

/// 0 means `default`; larger than `max` is capped.
fn page_size(requested: i32, default: usize, max: usize) -> Result<usize> {
    match requested {
        ..0 => Err(ArchiveError::invalid("page_size", "must not be negative")),
        0 => Ok(default),
        n => Ok((n as usize).min(max)),
    }
}

/// The request as a search, and a fingerprint of everything that decides its hits, which page
/// tokens carry so that a token is only used with the query that made it.
fn validate_search(request: &SearchJobsRequest) -> Result<(Search, String)> {
    let page_size = page_size(request.page_size, DEFAULT_SEARCH_PAGE, MAX_SEARCH_PAGE)?;
    let query = Filter::parse_search(&request.query)
        .map_err(|error| ArchiveError::invalid("query", error.to_string()))?;
    for queue in &request.queues {
        validate::name("queues", queue)?;
    }
    for job_type in &request.types {
        validate::label("types", job_type, 128, true)?;
    }
    let states = request
        .states
        .iter()
        .map(|&state| match JobState::try_from(state) {
            Ok(JobState::Unspecified) | Err(_) => Err(ArchiveError::invalid(
                "states",
                format!("{state} is not a job state"),
            )),
            Ok(state) => Ok(state),
        })
        .collect::<Result<Vec<_>>>()?;
    if let (Some(after), Some(before)) = (&request.created_after, &request.created_before)
        && (after.seconds, after.nanos) >= (before.seconds, before.nanos)
    {
        return Err(ArchiveError::invalid(
            "created_before",
            "must be later than created_after",
        ));
    }
    let fingerprint = fingerprint(&format!(
        "{query}\0{:?}\0{states:?}\0{:?}\0{:?}\0{:?}",
        request.queues, request.types, request.created_after, request.created_before
    ));
    let search = Search {
        query,
        queues: request.queues.clone(),
        states,
        types: request.types.clone(),
        created_after: request.created_after,
        created_before: request.created_before,
        page_size,
        before_seq: None,
    };
    Ok((search, fingerprint))
}

/// FNV-1a: stable across builds, so replicas accept each other's tokens.
fn fingerprint(text: &str) -> String {
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}
