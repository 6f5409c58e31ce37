//! The filter language of every List/Count/Search RPC (`proto/zenith/v1/FILTER.md`): parsed
//! once into an AST, printed back canonically, and evaluated against jobs in Rust; never turned
//! into a Redis pattern or SQL text.

use std::fmt;

use zenith_proto::v1::Job;

/// A parsed filter; the empty filter matches every job.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filter {}

/// Why a filter did not parse: where, and what was expected there.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("at position {position}: {message}")]
pub struct FilterError {
    /// Byte offset into the filter text.
    pub position: usize,
    pub message: String,
}

impl Filter {
    pub fn parse(text: &str) -> Result<Self, FilterError> {
        if text.trim().is_empty() {
            Ok(Self {})
        } else {
            Err(FilterError {
                position: 0,
                message: "filters are not supported yet".into(),
            })
        }
    }

    /// True for the empty filter, which needs no job data to evaluate.
    pub fn is_empty(&self) -> bool {
        true
    }

    pub fn matches(&self, job: &Job) -> bool {
        let _ = job;
        true
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, _f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Ok(())
    }
}
