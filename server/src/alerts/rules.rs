//! What each rule kind measures: one observation per subject in the rule's scope.

use zenith_proto::v1::RuleSpec;

use super::Sources;

/// One subject as a rule sees it at one evaluation.
#[derive(Clone, Debug, PartialEq)]
pub struct Observation {
    /// `queue:<name>`, `service:<name>`, `node:<id>`, `schedule:<id>` or `archive`.
    pub subject: String,
    /// The subject's labels: `queue`, `service`, `node`, `schedule`.
    pub labels: std::collections::BTreeMap<String, String>,
    pub value: f64,
    /// One line for people, e.g. `queue emails has 1520 pending jobs (above 1000)`.
    pub summary: String,
    /// The condition holds.
    pub breaching: bool,
}

/// Observes every subject in the rule's scope at `now_ms`.
pub async fn observe(
    rule: &RuleSpec,
    sources: &Sources,
    now_ms: i64,
) -> super::Result<Vec<Observation>> {
    let _ = (rule, sources, now_ms);
    todo!()
}
