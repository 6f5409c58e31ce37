//! Access control: who the caller is (API keys, `keys`), what each RPC needs (`POLICY`), and
//! the one place both meet for every call (`middleware`), which also writes the audit log.

pub mod audit;
mod error;
pub mod keys;
pub mod middleware;
pub mod store;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, LazyLock};

pub use error::AuthError;
pub use keys::{Keyring, StoredKey, Token};
pub use middleware::{Auth, authorize};
pub use zenith_proto::v1::Role;

/// What an RPC does, which decides the roles that may call it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Any authenticated caller.
    Anyone,
    /// Reads: viewers, operators, admins.
    Read,
    /// Reads a worker's producer side needs too (a job it enqueued).
    ReadOrWork,
    /// Enqueueing: workers (producers), operators, admins.
    Produce,
    /// Control-plane actions that change state: operators and admins.
    Operate,
    /// Deletes, purges, configuration and keys: admins.
    Administer,
    /// Reads only admins may make (keys, the audit log): not audited, being reads.
    AdminRead,
    /// The worker protocol: workers and admins.
    Work,
}

impl Access {
    pub fn allows(self, role: Role) -> bool {
        match role {
            Role::Admin => true,
            Role::Operator => matches!(
                self,
                Self::Anyone | Self::Read | Self::ReadOrWork | Self::Produce | Self::Operate
            ),
            Role::Viewer => matches!(self, Self::Anyone | Self::Read | Self::ReadOrWork),
            Role::Worker => matches!(
                self,
                Self::Anyone | Self::ReadOrWork | Self::Produce | Self::Work
            ),
            Role::Unspecified => false,
        }
    }

    /// Control-plane changes are audited; the data plane (enqueue, reserve, ack, beats, logs)
    /// is recorded in each job's history and the pulse instead, at a rate SQL could not take.
    pub fn audited(self) -> bool {
        matches!(self, Self::Operate | Self::Administer)
    }

    /// The least role that may call, for error messages.
    pub fn needs(self) -> &'static str {
        match self {
            Self::AdminRead => "admin",
            Self::Anyone => "any key",
            Self::Read => "viewer",
            Self::ReadOrWork => "viewer or worker",
            Self::Produce => "worker or operator",
            Self::Operate => "operator",
            Self::Administer => "admin",
            Self::Work => "worker",
        }
    }
}

/// How an RPC relates to the queues a scoped key is limited to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueScope {
    /// The request names its queues (`queue`, `queues`, or a job's queue); a scoped key must
    /// name them, all within its scope.
    Named,
    /// Lists every queue: a scoped key sees only its own.
    Filtered,
    /// About no queue in particular (nodes, alerts, a lease the caller holds): allowed.
    Free,
    /// Reaches across queues without naming them: refused to scoped keys.
    Global,
}

use Access::*;
use QueueScope::{Filtered, Free, Global, Named as Queues};

#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub rpc: &'static str,
    pub access: Access,
    pub scope: QueueScope,
}

const fn rule(rpc: &'static str, access: Access, scope: QueueScope) -> Rule {
    Rule { rpc, access, scope }
}

/// Every RPC of the contract and what it needs. A test fails when an RPC is missing here.
/// Bulk operations that delete need an admin too (checked on the request in `middleware`).
pub const POLICY: &[Rule] = &[
    rule("/zenith.v1.QueueService/Enqueue", Produce, Queues),
    rule("/zenith.v1.QueueService/BatchEnqueue", Produce, Queues),
    rule("/zenith.v1.QueueService/GetJob", ReadOrWork, Queues),
    rule("/zenith.v1.QueueService/ListQueues", Read, Filtered),
    rule("/zenith.v1.QueueService/GetQueue", Read, Queues),
    rule("/zenith.v1.QueueService/ListJobs", Read, Queues),
    rule("/zenith.v1.QueueService/PauseQueue", Operate, Queues),
    rule("/zenith.v1.QueueService/ResumeQueue", Operate, Queues),
    rule("/zenith.v1.QueueService/RetryJob", Operate, Queues),
    rule("/zenith.v1.QueueService/PromoteJob", Operate, Queues),
    rule("/zenith.v1.QueueService/DeleteJob", Administer, Queues),
    rule("/zenith.v1.QueueService/CancelJob", Operate, Queues),
    rule("/zenith.v1.QueueService/BatchRetryJobs", Operate, Queues),
    rule("/zenith.v1.QueueService/BatchPromoteJobs", Operate, Queues),
    rule(
        "/zenith.v1.QueueService/BatchDeleteJobs",
        Administer,
        Queues,
    ),
    rule("/zenith.v1.QueueService/BatchCancelJobs", Operate, Queues),
    rule("/zenith.v1.QueueService/CountJobs", Read, Queues),
    rule(
        "/zenith.v1.QueueService/StartBulkOperation",
        Operate,
        Queues,
    ),
    rule("/zenith.v1.QueueService/GetBulkOperation", Read, Global),
    rule("/zenith.v1.QueueService/ListBulkOperations", Read, Queues),
    rule(
        "/zenith.v1.QueueService/CancelBulkOperation",
        Operate,
        Global,
    ),
    rule("/zenith.v1.QueueService/RetryAllDead", Operate, Queues),
    rule("/zenith.v1.QueueService/DeleteAllDead", Administer, Queues),
    rule("/zenith.v1.QueueService/PurgeQueue", Administer, Queues),
    rule("/zenith.v1.QueueService/GetQueueMetrics", Read, Queues),
    rule("/zenith.v1.QueueService/WatchQueues", Read, Queues),
    rule("/zenith.v1.ArchiveService/SearchJobs", Read, Queues),
    rule("/zenith.v1.ArchiveService/GetJobHistory", Read, Global),
    rule("/zenith.v1.ArchiveService/PruneArchive", Administer, Queues),
    rule("/zenith.v1.ArchiveService/GetArchiveSettings", Read, Queues),
    rule(
        "/zenith.v1.ArchiveService/ListArchiveSettings",
        Read,
        Global,
    ),
    rule(
        "/zenith.v1.ArchiveService/UpdateArchiveSettings",
        Administer,
        Queues,
    ),
    rule("/zenith.v1.ArchiveService/GetArchiveStatus", Read, Free),
    rule("/zenith.v1.WorkerService/Reserve", Work, Queues),
    rule("/zenith.v1.WorkerService/Ack", Work, Free),
    rule("/zenith.v1.WorkerService/Fail", Work, Free),
    rule("/zenith.v1.WorkerService/ExtendLease", Work, Free),
    rule("/zenith.v1.PulseService/Beat", Work, Free),
    rule("/zenith.v1.PulseService/ListNodes", Read, Free),
    rule("/zenith.v1.PulseService/GetNode", Read, Free),
    rule("/zenith.v1.PulseService/WatchNodes", Read, Free),
    rule("/zenith.v1.PulseService/GetNodeMetrics", Read, Free),
    rule("/zenith.v1.PulseService/QuietNode", Operate, Global),
    rule("/zenith.v1.LogService/WriteLogs", Work, Free),
    rule("/zenith.v1.LogService/TailLogs", Read, Global),
    rule("/zenith.v1.LogService/SearchLogs", Read, Global),
    rule("/zenith.v1.CronService/CreateSchedule", Administer, Queues),
    rule("/zenith.v1.CronService/UpdateSchedule", Administer, Queues),
    rule("/zenith.v1.CronService/UpsertSchedule", Work, Queues),
    rule("/zenith.v1.CronService/DeleteSchedule", Administer, Global),
    rule("/zenith.v1.CronService/GetSchedule", Read, Global),
    rule("/zenith.v1.CronService/ListSchedules", Read, Queues),
    rule("/zenith.v1.CronService/PauseSchedule", Operate, Global),
    rule("/zenith.v1.CronService/ResumeSchedule", Operate, Global),
    rule("/zenith.v1.CronService/TriggerSchedule", Operate, Global),
    rule("/zenith.v1.CronService/PreviewSchedule", Read, Free),
    rule("/zenith.v1.CronService/ListScheduleRuns", Read, Global),
    rule("/zenith.v1.AlertService/CreateRule", Administer, Global),
    rule("/zenith.v1.AlertService/UpdateRule", Administer, Global),
    rule("/zenith.v1.AlertService/DeleteRule", Administer, Global),
    rule("/zenith.v1.AlertService/GetRule", Read, Free),
    rule("/zenith.v1.AlertService/ListRules", Read, Free),
    rule("/zenith.v1.AlertService/CreateChannel", Administer, Global),
    rule("/zenith.v1.AlertService/UpdateChannel", Administer, Global),
    rule("/zenith.v1.AlertService/DeleteChannel", Administer, Global),
    rule("/zenith.v1.AlertService/GetChannel", Read, Free),
    rule("/zenith.v1.AlertService/ListChannels", Read, Free),
    rule("/zenith.v1.AlertService/TestChannel", Operate, Global),
    rule("/zenith.v1.AlertService/ListAlerts", Read, Free),
    rule("/zenith.v1.AlertService/GetAlert", Read, Free),
    rule("/zenith.v1.AlertService/AcknowledgeAlert", Operate, Free),
    rule("/zenith.v1.AlertService/ListNotifications", Read, Free),
    rule("/zenith.v1.AlertService/CreateSilence", Operate, Global),
    rule("/zenith.v1.AlertService/ListSilences", Read, Free),
    rule("/zenith.v1.AlertService/ExpireSilence", Operate, Global),
    rule("/zenith.v1.AdminService/WhoAmI", Anyone, Free),
    rule("/zenith.v1.AdminService/CreateApiKey", Administer, Global),
    rule("/zenith.v1.AdminService/ListApiKeys", AdminRead, Global),
    rule("/zenith.v1.AdminService/RevokeApiKey", Administer, Global),
    rule("/zenith.v1.AdminService/ListAuditEvents", AdminRead, Global),
    rule("/zenith.v1.AdminService/GetServerInfo", Read, Free),
    rule("/zenith.v1.AdminService/ListClusters", Read, Free),
];

/// Looked up on every call: by path, not by a walk of the table.
static RULES: LazyLock<HashMap<&'static str, &'static Rule>> =
    LazyLock::new(|| POLICY.iter().map(|rule| (rule.rpc, rule)).collect());

pub fn rule_for(path: &str) -> Option<&'static Rule> {
    RULES.get(path).copied()
}

/// The queues a key is limited to: exact names, or a name prefix.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueueLimit {
    pub queues: Vec<String>,
    pub prefix: String,
}

impl QueueLimit {
    pub fn is_unlimited(&self) -> bool {
        self.queues.is_empty() && self.prefix.is_empty()
    }

    pub fn allows(&self, queue: &str) -> bool {
        self.is_unlimited()
            || self.queues.iter().any(|allowed| allowed == queue)
            || (!self.prefix.is_empty() && queue.starts_with(&self.prefix))
    }

    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self.queues.clone();
        if !self.prefix.is_empty() {
            parts.push(format!("{}*", self.prefix));
        }
        parts.join(", ")
    }
}

/// Who is calling, as the middleware established it; handlers find it in request extensions.
#[derive(Clone, Debug)]
pub struct Principal {
    /// `None` in open mode.
    pub key: Option<Arc<StoredKey>>,
    pub role: Role,
    pub peer: Option<IpAddr>,
}

impl Principal {
    pub fn open(peer: Option<IpAddr>) -> Self {
        Self {
            key: None,
            role: Role::Admin,
            peer,
        }
    }

    /// How the audit log and job histories name the caller.
    pub fn name(&self) -> String {
        match (&self.key, self.peer) {
            (Some(key), _) => format!("key:{}", key.id),
            (None, Some(peer)) => format!("open@{peer}"),
            (None, None) => "open".to_owned(),
        }
    }

    pub fn sees_payloads(&self) -> bool {
        self.key.as_ref().is_none_or(|key| key.payloads)
    }

    pub fn queue_limit(&self) -> Option<&QueueLimit> {
        self.key
            .as_ref()
            .map(|key| &key.queue_limit)
            .filter(|limit| !limit.is_unlimited())
    }

    pub fn allows_queue(&self, queue: &str) -> bool {
        self.queue_limit().is_none_or(|limit| limit.allows(queue))
    }
}

/// The caller of a request that passed the middleware; open mode when it carries none (as in
/// handlers called directly by tests).
pub fn principal<T>(request: &tonic::Request<T>) -> Option<&Principal> {
    request.extensions().get::<Principal>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rpc_has_a_policy() {
        let missing: Vec<String> = zenith_proto::rpc_paths()
            .into_iter()
            .filter(|path| rule_for(path).is_none())
            .collect();
        assert!(missing.is_empty(), "rpcs without a policy: {missing:?}");
    }

    #[test]
    fn policy_names_only_real_rpcs_once() {
        let paths = zenith_proto::rpc_paths();
        for (index, rule) in POLICY.iter().enumerate() {
            assert!(
                paths.iter().any(|p| p == rule.rpc),
                "{} is not in the contract",
                rule.rpc
            );
            assert!(
                POLICY[index + 1..]
                    .iter()
                    .all(|other| other.rpc != rule.rpc),
                "{} is listed twice",
                rule.rpc
            );
        }
    }

    #[test]
    fn roles_nest_and_workers_stand_apart() {
        for access in [
            Anyone, Read, ReadOrWork, Produce, Operate, Administer, AdminRead, Work,
        ] {
            assert!(access.allows(Role::Admin), "{access:?}");
            assert!(!access.allows(Role::Unspecified), "{access:?}");
            if access.allows(Role::Viewer) {
                assert!(access.allows(Role::Operator), "{access:?}");
            }
        }
        assert!(!Read.allows(Role::Worker));
        assert!(!Operate.allows(Role::Worker));
        assert!(Work.allows(Role::Worker));
        assert!(!Work.allows(Role::Operator));
        assert!(Produce.allows(Role::Operator));
        assert!(!Produce.allows(Role::Viewer));
    }

    #[test]
    fn queue_limits_match_names_or_prefix() {
        let limit = QueueLimit {
            queues: vec!["emails".into()],
            prefix: "billing-".into(),
        };
        assert!(limit.allows("emails"));
        assert!(limit.allows("billing-eu"));
        assert!(!limit.allows("emails2"));
        assert!(!limit.allows("billing"));
        assert!(QueueLimit::default().allows("anything"));
    }
}
