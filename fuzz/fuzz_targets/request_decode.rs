//! Any bytes as any `zenith.v1` request message: decoding never panics, nor does rendering
//! what decoded as JSON (logs and audit render caller messages), nor do the server's pure
//! checks of the fields a handler validates before anything else.
#![no_main]

use libfuzzer_sys::fuzz_target;
use prost::Message;
use zenith_proto::v1::*;
use zenith_server::api::{Limits, page_token, validate};
use zenith_server::filter::Filter;

/// Small, so that fuzzed payloads reach the size check.
const LIMITS: Limits = Limits {
    max_payload_bytes: 64,
};

/// One decoder a message type: it decodes the bytes as that message, renders it as JSON and hands
/// it to its check; for messages without one (`|_| {}`), decoding and rendering are the test.
macro_rules! requests {
    ($($message:ident => $check:expr),* $(,)?) => {
        &[$(|data: &[u8]| {
            if let Ok(message) = $message::decode(data) {
                let _ = zenith_proto::try_to_json(&message);
                ($check)(message);
            }
        }),*]
    };
}

fn names<'a>(values: impl IntoIterator<Item = &'a String>) {
    for value in values {
        let _ = validate::name("name", value);
    }
}

fn token(token: &str) {
    let _ = page_token::decode(token, 2);
}

fn filter(text: &str) {
    if let Ok(filter) = Filter::parse(text) {
        filter.matches(&Job::default());
    }
}

fn duration(value: Option<prost_types::Duration>) {
    let _ = validate::duration("duration", value.as_ref());
}

fn lease(queue: &str, job_id: &str, lease_token: &str) {
    let _ = validate::name("queue", queue);
    let _ = validate::name("job_id", job_id);
    let _ = validate::label("lease_token", lease_token, 128, true);
}

fn job(field: &str, spec: JobSpec) {
    let _ = validate::new_job(field, spec, &LIMITS);
}

const REQUESTS: &[fn(&[u8])] = requests! {
    // QueueService
    EnqueueRequest => |m: EnqueueRequest| {
        if let Some(spec) = m.job {
            job("job", spec);
        }
    },
    BatchEnqueueRequest => |m: BatchEnqueueRequest| {
        for (i, spec) in m.jobs.into_iter().enumerate() {
            job(&format!("jobs[{i}]"), spec);
        }
    },
    GetJobRequest => |m: GetJobRequest| names([&m.id]),
    ListQueuesRequest => |m: ListQueuesRequest| token(&m.page_token),
    GetQueueRequest => |_| {},
    ListJobsRequest => |m: ListJobsRequest| {
        names([&m.queue]);
        token(&m.page_token);
        filter(&m.filter);
    },
    PauseQueueRequest => |_| {},
    ResumeQueueRequest => |_| {},
    RetryJobRequest => |m: RetryJobRequest| names([&m.id]),
    PromoteJobRequest => |m: PromoteJobRequest| names([&m.id]),
    DeleteJobRequest => |m: DeleteJobRequest| names([&m.id]),
    CancelJobRequest => |m: CancelJobRequest| {
        names([&m.id]);
        let _ = validate::label("reason", &m.reason, 1024, false);
    },
    BatchRetryJobsRequest => |m: BatchRetryJobsRequest| names(&m.ids),
    BatchPromoteJobsRequest => |m: BatchPromoteJobsRequest| names(&m.ids),
    BatchDeleteJobsRequest => |m: BatchDeleteJobsRequest| names(&m.ids),
    BatchCancelJobsRequest => |m: BatchCancelJobsRequest| names(&m.ids),
    CountJobsRequest => |m: CountJobsRequest| {
        names([&m.queue]);
        filter(&m.filter);
    },
    StartBulkOperationRequest => |m: StartBulkOperationRequest| {
        names([&m.queue]);
        filter(&m.filter);
        let _ = validate::label("request_id", &m.request_id, 128, false);
    },
    GetBulkOperationRequest => |_| {},
    ListBulkOperationsRequest => |m: ListBulkOperationsRequest| token(&m.page_token),
    CancelBulkOperationRequest => |_| {},
    RetryAllDeadRequest => |_| {},
    DeleteAllDeadRequest => |_| {},
    PurgeQueueRequest => |_| {},
    GetQueueMetricsRequest => |m: GetQueueMetricsRequest| {
        names([&m.queue]);
        let _ = validate::bounded_duration(
            "range",
            m.range.as_ref(),
            std::time::Duration::from_secs(3600),
            std::time::Duration::from_secs(60),
            std::time::Duration::from_secs(90 * 86_400),
        );
        duration(m.step);
    },
    WatchQueuesRequest => |m: WatchQueuesRequest| names(&m.queues),
    // WorkerService
    ReserveRequest => |m: ReserveRequest| {
        names(&m.queues);
        duration(m.wait);
        duration(m.lease);
        let _ = validate::label("worker_id", &m.worker_id, 256, false);
    },
    AckRequest => |m: AckRequest| {
        for ack in &m.acks {
            lease(&ack.queue, &ack.job_id, &ack.lease_token);
        }
    },
    FailRequest => |m: FailRequest| {
        lease(&m.queue, &m.job_id, &m.lease_token);
        // A cut anywhere, not only at the handler's limit, must land on a char boundary.
        validate::truncate(m.error, m.stack_trace.len());
    },
    ExtendLeaseRequest => |m: ExtendLeaseRequest| {
        lease(&m.queue, &m.job_id, &m.lease_token);
        duration(m.extension);
    },
    // ArchiveService
    SearchJobsRequest => |m: SearchJobsRequest| {
        if let Ok(query) = Filter::parse_search(&m.query) {
            query.matches(&Job::default());
        }
        names(&m.queues);
        token(&m.page_token);
    },
    GetJobHistoryRequest => |m: GetJobHistoryRequest| token(&m.page_token),
    PruneArchiveRequest => |_| {},
    GetArchiveSettingsRequest => |_| {},
    ListArchiveSettingsRequest => |_| {},
    UpdateArchiveSettingsRequest => |_| {},
    GetArchiveStatusRequest => |_| {},
    // CronService
    CreateScheduleRequest => |_| {},
    UpdateScheduleRequest => |_| {},
    UpsertScheduleRequest => |_| {},
    DeleteScheduleRequest => |_| {},
    GetScheduleRequest => |_| {},
    ListSchedulesRequest => |m: ListSchedulesRequest| token(&m.page_token),
    PauseScheduleRequest => |_| {},
    ResumeScheduleRequest => |_| {},
    TriggerScheduleRequest => |_| {},
    PreviewScheduleRequest => |_| {},
    ListScheduleRunsRequest => |m: ListScheduleRunsRequest| token(&m.page_token),
    // LogService
    WriteLogsRequest => |_| {},
    TailLogsRequest => |_| {},
    SearchLogsRequest => |m: SearchLogsRequest| token(&m.page_token),
    // PulseService
    BeatRequest => |_| {},
    ListNodesRequest => |m: ListNodesRequest| token(&m.page_token),
    GetNodeRequest => |_| {},
    WatchNodesRequest => |_| {},
    GetNodeMetricsRequest => |_| {},
    QuietNodeRequest => |_| {},
    // AlertService
    CreateRuleRequest => |_| {},
    UpdateRuleRequest => |_| {},
    DeleteRuleRequest => |_| {},
    GetRuleRequest => |_| {},
    ListRulesRequest => |m: ListRulesRequest| token(&m.page_token),
    CreateChannelRequest => |_| {},
    UpdateChannelRequest => |_| {},
    DeleteChannelRequest => |_| {},
    GetChannelRequest => |_| {},
    ListChannelsRequest => |m: ListChannelsRequest| token(&m.page_token),
    TestChannelRequest => |_| {},
    ListAlertsRequest => |m: ListAlertsRequest| token(&m.page_token),
    GetAlertRequest => |_| {},
    AcknowledgeAlertRequest => |_| {},
    ListNotificationsRequest => |m: ListNotificationsRequest| token(&m.page_token),
    CreateSilenceRequest => |_| {},
    ListSilencesRequest => |m: ListSilencesRequest| token(&m.page_token),
    ExpireSilenceRequest => |_| {},
    WhoAmIRequest => |_| {},
    CreateApiKeyRequest => |m: CreateApiKeyRequest| {
        names(&m.queues);
        let _ = validate::label("name", &m.name, 64, true);
        duration(m.ttl);
    },
    ListApiKeysRequest => |m: ListApiKeysRequest| token(&m.page_token),
    RevokeApiKeyRequest => |m: RevokeApiKeyRequest| {
        let _ = validate::label("id", &m.id, 32, true);
    },
    ListAuditEventsRequest => |m: ListAuditEventsRequest| token(&m.page_token),
    GetServerInfoRequest => |_| {},
};

// The first byte picks the message type, so each input is mutated against one decoder.
fuzz_target!(|data: &[u8]| {
    if let Some((&pick, message)) = data.split_first() {
        REQUESTS[usize::from(pick) % REQUESTS.len()](message);
    }
});
