//! The pulse's Redis keys. `beat`, `nodes` and `quiet` are the contract of the Redis-native
//! transport (PULSE.md); the rest is the server's own bookkeeping.

pub struct PulseKeys {
    prefix: String,
}

impl PulseKeys {
    pub fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
        }
    }

    /// The node's last beat in the proto3 JSON mapping, expiring after its TTL.
    pub fn beat(&self, node_id: &str) -> String {
        format!("{}:pulse:beat:{node_id}", self.prefix)
    }

    /// The registry: node ids scored by their last beat (any change marks a new beat).
    pub fn nodes(&self) -> String {
        format!("{}:pulse:nodes", self.prefix)
    }

    /// Present (`1`) while an operator asks the node to take no new work.
    pub fn quiet(&self, node_id: &str) -> String {
        format!("{}:pulse:quiet:{node_id}", self.prefix)
    }

    /// First and last seen by the server's clock, transport, interval and a copy of the last
    /// beat that outlives the beat key while the node stays listed as lost.
    pub fn node(&self, node_id: &str) -> String {
        format!("{}:pulse:node:{node_id}", self.prefix)
    }

    /// Per-minute sums of the node's metrics over the last 24 hours.
    pub fn metrics(&self, node_id: &str) -> String {
        format!("{}:pulse:metrics:{node_id}", self.prefix)
    }
}
