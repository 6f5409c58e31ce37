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

    /// A job deleted at `at_ms`, kept until the archiver has recorded it: the job hash renamed,
    /// so the id is free again at once.
    pub fn tomb(&self, at_ms: i64, id: &str) -> String {
        format!("{}gone:{at_ms}:{id}", self.base)
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

    /// Sorted set of every bulk operation id by creation time.
    pub fn bulk_ops(&self) -> String {
        format!("{}:bulk-ops", self.prefix)
    }

    /// Sorted set of one queue's bulk operation ids by creation time (`bulk-ops` in its slot).
    pub fn queue_bulk_ops(&self, queue: &str) -> String {
        format!("{}:{{{queue}}}:bulk-ops", self.prefix)
    }

    /// Hash from bulk operation id to its queue.
    pub fn bulk_op_queue(&self) -> String {
        format!("{}:bulk-op-queue", self.prefix)
    }

    /// Sorted set of the bulk operations still to be worked, which every replica polls.
    pub fn bulk_running(&self) -> String {
        format!("{}:bulk-running", self.prefix)
    }

    /// One bulk operation's record (`bulk:<id>` in its queue's slot).
    pub fn bulk_op(&self, queue: &str, id: &str) -> String {
        format!("{}:{{{queue}}}:bulk:{id}", self.prefix)
    }

    /// The operation a StartBulkOperation request id created.
    pub fn bulk_request(&self, queue: &str, request_id: &str) -> String {
        format!("{}:{{{queue}}}:bulk-request:{request_id}", self.prefix)
    }

    /// One queue's counters for one minute (minutes since the epoch), written by the scripts.
    pub fn queue_metrics(&self, queue: &str, minute: i64) -> String {
        format!("{}:{{{queue}}}:metrics:{minute}", self.prefix)
    }

    /// One queue's counters since it was first used, written by the scripts (never expire).
    pub fn queue_totals(&self, queue: &str) -> String {
        format!("{}:{{{queue}}}:totals", self.prefix)
    }

    /// Every queue's counters for one closed minute, summed by the maintenance loop.
    pub fn all_metrics(&self, minute: i64) -> String {
        format!("{}:metrics:{minute}", self.prefix)
    }

    /// The last minute rolled up into `all_metrics`.
    pub fn metrics_rolled(&self) -> String {
        format!("{}:metrics:rolled", self.prefix)
    }

    /// A queue's keys. `events` is the stream of lifecycle events the archiver consumes: one
    /// entry per script run, `at` (ms) and then a group of fields per kind of event (`kind`,
    /// `ids`, and as the kind needs `state`, `attempt` and `due` lists, `actor`, `worker`,
    /// `error`, `reason`, `op`); the format is documented in `lua/prelude.lua`.
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
