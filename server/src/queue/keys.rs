//! Redis key names. Every key of a queue carries the queue's hash tag (`zenith:{q}:…`), so each
//! script touches one slot and the same code runs on Redis Cluster.

/// Key names under one prefix.
#[derive(Clone, Debug)]
pub struct Keys {
    prefix: String,
}

/// The keys of one queue, in the order the Lua scripts expect them.
pub struct QueueKeys {
    pub base: String,
    pub keys: [String; 9],
}

impl QueueKeys {
    pub fn job(&self, id: &str) -> String {
        format!("{}job:{id}", self.base)
    }
}

impl Keys {
    pub fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
        }
    }

    /// Sorted set of every queue name (all scores 0, so it pages by name); never discovered by
    /// scanning the keyspace.
    pub fn queues(&self) -> String {
        format!("{}:queues", self.prefix)
    }

    /// Hash from job id to queue name, so a job can be found by id alone.
    pub fn job_index(&self) -> String {
        format!("{}:job-queue", self.prefix)
    }

    /// Lock that lets one replica at a time run the maintenance loop.
    pub fn maintenance_lock(&self) -> String {
        format!("{}:lock:maintenance", self.prefix)
    }

    /// The queue's meta hash alone, for reads that need nothing else.
    pub fn queue_meta(&self, queue: &str) -> String {
        format!("{}:{{{queue}}}:meta", self.prefix)
    }

    /// One queue's counters for one minute (minutes since the epoch), written by the scripts.
    pub fn queue_metrics(&self, queue: &str, minute: i64) -> String {
        format!("{}:{{{queue}}}:metrics:{minute}", self.prefix)
    }

    /// Every queue's counters for one closed minute, summed by the maintenance loop.
    pub fn all_metrics(&self, minute: i64) -> String {
        format!("{}:metrics:{minute}", self.prefix)
    }

    /// The last minute rolled up into `all_metrics`.
    pub fn metrics_rolled(&self) -> String {
        format!("{}:metrics:rolled", self.prefix)
    }

    pub fn queue(&self, queue: &str) -> QueueKeys {
        let base = format!("{}:{{{queue}}}:", self.prefix);
        let keys = [
            "meta",
            "pending",
            "scheduled",
            "retry",
            "active",
            "dead",
            "completed",
            "events",
            "cancelled",
        ]
        .map(|name| format!("{base}{name}"));
        QueueKeys { base, keys }
    }
}
