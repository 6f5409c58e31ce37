//! A replica's in-memory view of the nodes, refreshed from Redis by the loop and updated at once
//! by the beats it serves, so listing thousands of nodes never waits on Redis.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

use zenith_proto::v1::{
    BeatPayload, BeatTransport, ExternalQueue, Node, NodeChange, NodeChangeKind, NodeHealth,
};

use crate::queue::timestamp_from_ms;

/// What the server knows about one node.
#[derive(Clone, Debug)]
pub struct NodeRecord {
    pub beat: BeatPayload,
    /// The registry score of the last beat, which marks a new one.
    pub score: f64,
    pub first_seen_ms: i64,
    /// When the server received the last beat, by Redis's clock.
    pub last_seen_ms: i64,
    pub interval_ms: i64,
    pub transport: BeatTransport,
    pub quiet_requested: bool,
}

impl NodeRecord {
    pub fn node_id(&self) -> &str {
        self.beat.identity.as_ref().map_or("", |i| &i.node_id)
    }

    pub fn service(&self) -> &str {
        self.beat.identity.as_ref().map_or("", |i| &i.service)
    }

    pub fn language(&self) -> &str {
        self.beat.identity.as_ref().map_or("", |i| &i.language)
    }

    /// When three intervals pass without a beat.
    pub fn lost_at_ms(&self) -> i64 {
        self.last_seen_ms + 3 * self.interval_ms
    }

    pub fn health(&self, now_ms: i64) -> NodeHealth {
        let silent = now_ms - self.last_seen_ms;
        if silent >= 3 * self.interval_ms {
            NodeHealth::Lost
        } else if silent > 2 * self.interval_ms {
            NodeHealth::Late
        } else {
            NodeHealth::Healthy
        }
    }

    pub fn node(&self, now_ms: i64) -> Node {
        let health = self.health(now_ms);
        Node {
            beat: Some(self.beat.clone()),
            health: health.into(),
            last_beat_at: Some(timestamp_from_ms(self.last_seen_ms)),
            first_seen_at: Some(timestamp_from_ms(self.first_seen_ms)),
            lost_at: (health == NodeHealth::Lost).then(|| timestamp_from_ms(self.lost_at_ms())),
            transport: self.transport.into(),
            quiet_requested: self.quiet_requested,
        }
    }
}

/// Which nodes a list or watch wants; empty fields match everything.
#[derive(Clone, Debug, Default)]
pub struct NodeFilter {
    pub service: String,
    pub language: String,
    pub health: Vec<NodeHealth>,
}

impl NodeFilter {
    fn matches(&self, record: &NodeRecord, now_ms: i64) -> bool {
        (self.service.is_empty() || record.service() == self.service)
            && (self.language.is_empty() || record.language() == self.language)
            && (self.health.is_empty() || self.health.contains(&record.health(now_ms)))
    }
}

struct Entry {
    record: NodeRecord,
    /// The health last announced to watchers.
    reported: NodeHealth,
}

/// One page of nodes in (service, node id) order.
pub struct NodePage {
    pub nodes: Vec<Node>,
    /// The (service, node id) of the last node when more match.
    pub next: Option<(String, String)>,
    pub total: usize,
}

/// An external queue as the newest live report has it.
pub struct ExternalReport {
    pub queue: ExternalQueue,
    pub node_id: String,
    pub reported_at_ms: i64,
}

#[derive(Default)]
pub struct View {
    nodes: BTreeMap<(String, String), Entry>,
    services: HashMap<String, String>,
}

fn change(kind: NodeChangeKind, node: Node) -> NodeChange {
    NodeChange {
        kind: kind.into(),
        node: Some(node),
    }
}

impl View {
    pub fn get(&self, node_id: &str) -> Option<&NodeRecord> {
        let service = self.services.get(node_id)?;
        self.nodes
            .get(&(service.clone(), node_id.to_owned()))
            .map(|entry| &entry.record)
    }

    pub fn score(&self, node_id: &str) -> Option<f64> {
        self.get(node_id).map(|record| record.score)
    }

    pub fn node_ids(&self) -> impl Iterator<Item = &String> {
        self.services.keys()
    }

    /// Adds or replaces a node; the change to announce.
    pub fn upsert(&mut self, record: NodeRecord, now_ms: i64) -> NodeChange {
        let id = record.node_id().to_owned();
        let service = record.service().to_owned();
        let kind = match self.services.insert(id.clone(), service.clone()) {
            Some(old_service) => {
                self.nodes.remove(&(old_service, id.clone()));
                NodeChangeKind::Updated
            }
            None => NodeChangeKind::Added,
        };
        let node = record.node(now_ms);
        let reported = record.health(now_ms);
        self.nodes.insert((service, id), Entry { record, reported });
        change(kind, node)
    }

    pub fn set_quiet(&mut self, node_id: &str, quiet: bool, now_ms: i64) -> Option<NodeChange> {
        let service = self.services.get(node_id)?.clone();
        let entry = self.nodes.get_mut(&(service, node_id.to_owned()))?;
        entry.record.quiet_requested = quiet;
        Some(change(NodeChangeKind::Updated, entry.record.node(now_ms)))
    }

    pub fn remove(&mut self, node_id: &str, now_ms: i64) -> Option<NodeChange> {
        let service = self.services.remove(node_id)?;
        let entry = self.nodes.remove(&(service, node_id.to_owned()))?;
        Some(change(NodeChangeKind::Removed, entry.record.node(now_ms)))
    }

    /// Nodes whose health changed since last announced, now announced.
    pub fn health_changes(&mut self, now_ms: i64) -> Vec<NodeChange> {
        let mut changes = Vec::new();
        for entry in self.nodes.values_mut() {
            let health = entry.record.health(now_ms);
            if health != entry.reported {
                entry.reported = health;
                changes.push(change(NodeChangeKind::Updated, entry.record.node(now_ms)));
            }
        }
        changes
    }

    /// Lost nodes listed for `retention_ms` since they were lost: (node id, registry score).
    pub fn expired(&self, now_ms: i64, retention_ms: i64) -> Vec<(String, f64)> {
        self.nodes
            .values()
            .filter(|entry| entry.record.lost_at_ms() + retention_ms <= now_ms)
            .map(|entry| (entry.record.node_id().to_owned(), entry.record.score))
            .collect()
    }

    pub fn page(
        &self,
        filter: &NodeFilter,
        after: Option<(String, String)>,
        limit: usize,
        now_ms: i64,
    ) -> NodePage {
        let start = match after {
            Some(key) => Bound::Excluded(key),
            None => Bound::Unbounded,
        };
        let mut nodes = Vec::new();
        let mut next = None;
        for ((service, id), entry) in self.nodes.range((start, Bound::Unbounded)) {
            if !filter.matches(&entry.record, now_ms) {
                continue;
            }
            if nodes.len() == limit {
                break;
            }
            nodes.push(entry.record.node(now_ms));
            next = Some((service.clone(), id.clone()));
        }
        let more = nodes.len() == limit
            && next.as_ref().is_some_and(|last| {
                self.nodes
                    .range((Bound::Excluded(last.clone()), Bound::Unbounded))
                    .any(|(_, entry)| filter.matches(&entry.record, now_ms))
            });
        let total = self
            .nodes
            .values()
            .filter(|entry| filter.matches(&entry.record, now_ms))
            .count();
        NodePage {
            nodes,
            next: if more { next } else { None },
            total,
        }
    }

    pub fn snapshot(&self, filter: &NodeFilter, now_ms: i64) -> Vec<NodeChange> {
        self.nodes
            .values()
            .filter(|entry| filter.matches(&entry.record, now_ms))
            .map(|entry| change(NodeChangeKind::Added, entry.record.node(now_ms)))
            .collect()
    }

    /// Nodes not lost, counted by service.
    pub fn live_by_service(&self, now_ms: i64) -> BTreeMap<String, usize> {
        let mut services: BTreeMap<String, usize> = BTreeMap::new();
        for ((service, _), entry) in &self.nodes {
            if entry.record.health(now_ms) != NodeHealth::Lost {
                *services.entry(service.clone()).or_default() += 1;
            }
        }
        services
    }

    /// External queues from nodes not lost, keyed (driver, connection, name), newest report
    /// winning.
    pub fn external_queues(
        &self,
        now_ms: i64,
    ) -> BTreeMap<(String, String, String), ExternalReport> {
        let mut queues: BTreeMap<(String, String, String), ExternalReport> = BTreeMap::new();
        for entry in self.nodes.values() {
            let record = &entry.record;
            if record.health(now_ms) == NodeHealth::Lost {
                continue;
            }
            for queue in &record.beat.external_queues {
                let key = (
                    queue.driver.clone(),
                    queue.connection.clone(),
                    queue.name.clone(),
                );
                let newer = queues
                    .get(&key)
                    .is_none_or(|known| known.reported_at_ms < record.last_seen_ms);
                if newer {
                    queues.insert(
                        key,
                        ExternalReport {
                            queue: queue.clone(),
                            node_id: record.node_id().to_owned(),
                            reported_at_ms: record.last_seen_ms,
                        },
                    );
                }
            }
        }
        queues
    }
}

#[cfg(test)]
mod tests {
    use zenith_proto::v1::NodeIdentity;

    use super::*;

    fn record(id: &str, service: &str, last_seen_ms: i64) -> NodeRecord {
        NodeRecord {
            beat: BeatPayload {
                identity: Some(NodeIdentity {
                    node_id: id.into(),
                    service: service.into(),
                    ..Default::default()
                }),
                ..Default::default()
            },
            score: last_seen_ms as f64,
            first_seen_ms: last_seen_ms,
            last_seen_ms,
            interval_ms: 1000,
            transport: BeatTransport::Grpc,
            quiet_requested: false,
        }
    }

    #[test]
    fn health_follows_the_server_clock() {
        let node = record("n", "s", 10_000);
        assert_eq!(node.health(12_000), NodeHealth::Healthy);
        assert_eq!(node.health(12_001), NodeHealth::Late);
        assert_eq!(node.health(12_999), NodeHealth::Late);
        assert_eq!(node.health(13_000), NodeHealth::Lost);
        assert_eq!(node.node(13_000).lost_at, Some(timestamp_from_ms(13_000)));
    }

    #[test]
    fn changes_are_announced_once() {
        let mut view = View::default();
        let added = view.upsert(record("n", "s", 10_000), 10_000);
        assert_eq!(added.kind(), NodeChangeKind::Added);
        let updated = view.upsert(record("n", "other", 11_000), 11_000);
        assert_eq!(updated.kind(), NodeChangeKind::Updated);
        assert_eq!(view.page(&NodeFilter::default(), None, 10, 11_000).total, 1);
        assert!(view.health_changes(12_000).is_empty());
        assert_eq!(view.health_changes(13_500).len(), 1);
        assert!(view.health_changes(13_600).is_empty());
        assert_eq!(view.expired(14_000, 1000).len(), 0);
        assert_eq!(view.expired(15_000, 1000).len(), 1);
        let removed = view.remove("n", 15_000).unwrap();
        assert_eq!(removed.kind(), NodeChangeKind::Removed);
        assert!(view.get("n").is_none());
    }
}
