//! SearchJobs: the query (free text and filter terms) becomes a SQL plan that the text index
//! narrows; candidates are joined with live state from Redis and checked against the whole
//! query; pages are cut by the archive's recording order.

use zenith_proto::v1::{SearchJobsRequest, SearchJobsResponse};

use super::Result;
use super::store::SharedArchive;
use crate::queue::SharedEngine;

pub async fn search(
    engine: &SharedEngine,
    store: &SharedArchive,
    request: SearchJobsRequest,
) -> Result<SearchJobsResponse> {
    let _ = (engine, store, request);
    todo!()
}
