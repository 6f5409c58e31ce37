//! The one authorization point: every RPC is looked up in a policy table before it runs.
//! Everything is allowed for now; API keys and roles arrive with access control.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Who may call an RPC, from least to most privileged (`Worker` stands apart).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Viewer,
    Operator,
    Admin,
    Worker,
}

/// The role each RPC needs. A test fails when an RPC of the contract is missing here.
pub const POLICY: &[(&str, Role)] = &[
    ("/zenith.v1.QueueService/Enqueue", Role::Worker),
    ("/zenith.v1.QueueService/BatchEnqueue", Role::Worker),
    ("/zenith.v1.QueueService/GetJob", Role::Viewer),
    ("/zenith.v1.QueueService/ListQueues", Role::Viewer),
    ("/zenith.v1.QueueService/GetQueue", Role::Viewer),
    ("/zenith.v1.QueueService/ListJobs", Role::Viewer),
    ("/zenith.v1.QueueService/PauseQueue", Role::Operator),
    ("/zenith.v1.QueueService/ResumeQueue", Role::Operator),
    ("/zenith.v1.QueueService/RetryJob", Role::Operator),
    ("/zenith.v1.QueueService/PromoteJob", Role::Operator),
    ("/zenith.v1.QueueService/DeleteJob", Role::Admin),
    ("/zenith.v1.QueueService/CancelJob", Role::Operator),
    ("/zenith.v1.QueueService/BatchRetryJobs", Role::Operator),
    ("/zenith.v1.QueueService/BatchPromoteJobs", Role::Operator),
    ("/zenith.v1.QueueService/BatchDeleteJobs", Role::Admin),
    ("/zenith.v1.QueueService/BatchCancelJobs", Role::Operator),
    ("/zenith.v1.QueueService/CountJobs", Role::Viewer),
    // Bulk deletes are meant for admins; the handler checks the action once API keys exist.
    ("/zenith.v1.QueueService/StartBulkOperation", Role::Operator),
    ("/zenith.v1.QueueService/GetBulkOperation", Role::Viewer),
    ("/zenith.v1.QueueService/ListBulkOperations", Role::Viewer),
    (
        "/zenith.v1.QueueService/CancelBulkOperation",
        Role::Operator,
    ),
    ("/zenith.v1.QueueService/RetryAllDead", Role::Operator),
    ("/zenith.v1.QueueService/DeleteAllDead", Role::Admin),
    ("/zenith.v1.QueueService/PurgeQueue", Role::Admin),
    ("/zenith.v1.QueueService/GetQueueMetrics", Role::Viewer),
    ("/zenith.v1.QueueService/WatchQueues", Role::Viewer),
    ("/zenith.v1.ArchiveService/SearchJobs", Role::Viewer),
    ("/zenith.v1.ArchiveService/GetJobHistory", Role::Viewer),
    ("/zenith.v1.ArchiveService/PruneArchive", Role::Admin),
    ("/zenith.v1.ArchiveService/GetArchiveSettings", Role::Viewer),
    (
        "/zenith.v1.ArchiveService/ListArchiveSettings",
        Role::Viewer,
    ),
    (
        "/zenith.v1.ArchiveService/UpdateArchiveSettings",
        Role::Admin,
    ),
    ("/zenith.v1.ArchiveService/GetArchiveStatus", Role::Viewer),
    ("/zenith.v1.WorkerService/Reserve", Role::Worker),
    ("/zenith.v1.WorkerService/Ack", Role::Worker),
    ("/zenith.v1.WorkerService/Fail", Role::Worker),
    ("/zenith.v1.WorkerService/ExtendLease", Role::Worker),
    ("/zenith.v1.PulseService/Beat", Role::Worker),
    ("/zenith.v1.PulseService/ListNodes", Role::Viewer),
    ("/zenith.v1.PulseService/GetNode", Role::Viewer),
    ("/zenith.v1.PulseService/WatchNodes", Role::Viewer),
    ("/zenith.v1.PulseService/GetNodeMetrics", Role::Viewer),
    ("/zenith.v1.PulseService/QuietNode", Role::Operator),
    ("/zenith.v1.LogService/WriteLogs", Role::Worker),
    ("/zenith.v1.LogService/TailLogs", Role::Viewer),
    ("/zenith.v1.LogService/SearchLogs", Role::Viewer),
    ("/zenith.v1.CronService/CreateSchedule", Role::Admin),
    ("/zenith.v1.CronService/UpdateSchedule", Role::Admin),
    // Workers declare their schedules in code at start-up.
    ("/zenith.v1.CronService/UpsertSchedule", Role::Worker),
    ("/zenith.v1.CronService/DeleteSchedule", Role::Admin),
    ("/zenith.v1.CronService/GetSchedule", Role::Viewer),
    ("/zenith.v1.CronService/ListSchedules", Role::Viewer),
    ("/zenith.v1.CronService/PauseSchedule", Role::Operator),
    ("/zenith.v1.CronService/ResumeSchedule", Role::Operator),
    ("/zenith.v1.CronService/TriggerSchedule", Role::Operator),
    ("/zenith.v1.CronService/PreviewSchedule", Role::Viewer),
    ("/zenith.v1.CronService/ListScheduleRuns", Role::Viewer),
    ("/zenith.v1.AlertService/CreateRule", Role::Admin),
    ("/zenith.v1.AlertService/UpdateRule", Role::Admin),
    ("/zenith.v1.AlertService/DeleteRule", Role::Admin),
    ("/zenith.v1.AlertService/GetRule", Role::Viewer),
    ("/zenith.v1.AlertService/ListRules", Role::Viewer),
    ("/zenith.v1.AlertService/CreateChannel", Role::Admin),
    ("/zenith.v1.AlertService/UpdateChannel", Role::Admin),
    ("/zenith.v1.AlertService/DeleteChannel", Role::Admin),
    // Secrets are never in a channel read.
    ("/zenith.v1.AlertService/GetChannel", Role::Viewer),
    ("/zenith.v1.AlertService/ListChannels", Role::Viewer),
    ("/zenith.v1.AlertService/TestChannel", Role::Operator),
    ("/zenith.v1.AlertService/ListAlerts", Role::Viewer),
    ("/zenith.v1.AlertService/GetAlert", Role::Viewer),
    ("/zenith.v1.AlertService/AcknowledgeAlert", Role::Operator),
    ("/zenith.v1.AlertService/ListNotifications", Role::Viewer),
    ("/zenith.v1.AlertService/CreateSilence", Role::Operator),
    ("/zenith.v1.AlertService/ListSilences", Role::Viewer),
    ("/zenith.v1.AlertService/ExpireSilence", Role::Operator),
];

pub fn required_role(path: &str) -> Option<Role> {
    POLICY
        .iter()
        .find(|(rpc, _)| *rpc == path)
        .map(|(_, role)| *role)
}

/// Refuses any Zenith RPC that has no policy entry; health and reflection are public.
pub async fn authorize(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if path.starts_with("/zenith.") && required_role(path).is_none() {
        tracing::error!(rpc = path, "rpc has no policy entry");
        return tonic::Status::permission_denied(format!("{path} has no access policy"))
            .into_http::<axum::body::Body>()
            .into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rpc_has_a_policy() {
        let missing: Vec<String> = zenith_proto::rpc_paths()
            .into_iter()
            .filter(|path| required_role(path).is_none())
            .collect();
        assert!(missing.is_empty(), "rpcs without a policy: {missing:?}");
    }

    #[test]
    fn policy_names_only_real_rpcs() {
        let paths = zenith_proto::rpc_paths();
        for (rpc, _) in POLICY {
            assert!(
                paths.iter().any(|p| p == rpc),
                "{rpc} is not in the contract"
            );
        }
    }
}
