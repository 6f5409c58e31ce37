//! The rules a fresh install starts with: editable and deletable; a deleted one stays deleted.

use std::time::Duration;

use zenith_proto::v1::rule_spec::Condition;
use zenith_proto::v1::{
    BacklogCondition, FailureRateCondition, NodeLostCondition, NodeResource, NodeResourceCondition,
    RuleOrigin, RuleSpec, Severity,
};

use super::store::StoredRule;
use crate::queue::proto_duration;

pub fn rules(now_ms: i64) -> Vec<StoredRule> {
    let minutes = |n: u64| Some(proto_duration(Duration::from_secs(60 * n)));
    let specs = [
        RuleSpec {
            id: "failures".into(),
            description: "More than 20% of a queue's jobs failed in the last 5 minutes.".into(),
            severity: Severity::Warning.into(),
            pending_for: minutes(2),
            condition: Some(Condition::FailureRate(FailureRateCondition {
                above_percent: 20.0,
                window: minutes(5),
                min_volume: 20,
            })),
            ..RuleSpec::default()
        },
        RuleSpec {
            id: "backlog".into(),
            description: "A queue has more than 10000 pending jobs.".into(),
            severity: Severity::Warning.into(),
            pending_for: minutes(5),
            condition: Some(Condition::Backlog(BacklogCondition { above: 10_000 })),
            ..RuleSpec::default()
        },
        RuleSpec {
            id: "worker-lost".into(),
            description: "A worker node stopped beating without saying goodbye.".into(),
            severity: Severity::Critical.into(),
            condition: Some(Condition::NodeLost(NodeLostCondition {})),
            ..RuleSpec::default()
        },
        RuleSpec {
            id: "disk".into(),
            description: "A node's fullest disk has less than 10% free.".into(),
            severity: Severity::Critical.into(),
            pending_for: minutes(5),
            condition: Some(Condition::NodeResource(NodeResourceCondition {
                resource: NodeResource::Disk.into(),
                above_percent: 90.0,
            })),
            ..RuleSpec::default()
        },
    ];
    specs
        .into_iter()
        .map(|spec| StoredRule {
            // Stored as a caller's rule would be: with every default spelled out.
            spec: super::spec::check_rule(Some(spec)).expect("default rules are valid"),
            origin: RuleOrigin::Default,
            created_at_ms: now_ms,
            updated_at_ms: now_ms,
        })
        .collect()
}
