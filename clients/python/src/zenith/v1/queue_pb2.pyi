import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from zenith.v1 import archive_pb2 as _archive_pb2
from zenith.v1 import bulk_pb2 as _bulk_pb2
from zenith.v1 import job_pb2 as _job_pb2
from zenith.v1 import logs_pb2 as _logs_pb2
from zenith.v1 import metrics_pb2 as _metrics_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class QueueSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    QUEUE_SOURCE_UNSPECIFIED: _ClassVar[QueueSource]
    QUEUE_SOURCE_ZENITH: _ClassVar[QueueSource]
    QUEUE_SOURCE_EXTERNAL: _ClassVar[QueueSource]

class ListOrder(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LIST_ORDER_UNSPECIFIED: _ClassVar[ListOrder]
    LIST_ORDER_OLDEST_FIRST: _ClassVar[ListOrder]
    LIST_ORDER_NEWEST_FIRST: _ClassVar[ListOrder]

class JobActionOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JOB_ACTION_OUTCOME_UNSPECIFIED: _ClassVar[JobActionOutcome]
    JOB_ACTION_OUTCOME_DONE: _ClassVar[JobActionOutcome]
    JOB_ACTION_OUTCOME_REQUESTED: _ClassVar[JobActionOutcome]
    JOB_ACTION_OUTCOME_NOT_FOUND: _ClassVar[JobActionOutcome]
    JOB_ACTION_OUTCOME_WRONG_STATE: _ClassVar[JobActionOutcome]
QUEUE_SOURCE_UNSPECIFIED: QueueSource
QUEUE_SOURCE_ZENITH: QueueSource
QUEUE_SOURCE_EXTERNAL: QueueSource
LIST_ORDER_UNSPECIFIED: ListOrder
LIST_ORDER_OLDEST_FIRST: ListOrder
LIST_ORDER_NEWEST_FIRST: ListOrder
JOB_ACTION_OUTCOME_UNSPECIFIED: JobActionOutcome
JOB_ACTION_OUTCOME_DONE: JobActionOutcome
JOB_ACTION_OUTCOME_REQUESTED: JobActionOutcome
JOB_ACTION_OUTCOME_NOT_FOUND: JobActionOutcome
JOB_ACTION_OUTCOME_WRONG_STATE: JobActionOutcome

class EnqueueRequest(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: _job_pb2.JobSpec
    def __init__(self, job: _Optional[_Union[_job_pb2.JobSpec, _Mapping]] = ...) -> None: ...

class EnqueueResponse(_message.Message):
    __slots__ = ("job", "duplicate")
    JOB_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    job: _job_pb2.Job
    duplicate: bool
    def __init__(self, job: _Optional[_Union[_job_pb2.Job, _Mapping]] = ..., duplicate: _Optional[bool] = ...) -> None: ...

class BatchEnqueueRequest(_message.Message):
    __slots__ = ("jobs",)
    JOBS_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[_job_pb2.JobSpec]
    def __init__(self, jobs: _Optional[_Iterable[_Union[_job_pb2.JobSpec, _Mapping]]] = ...) -> None: ...

class EnqueuedJob(_message.Message):
    __slots__ = ("id", "queue", "state", "duplicate")
    ID_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    id: str
    queue: str
    state: _job_pb2.JobState
    duplicate: bool
    def __init__(self, id: _Optional[str] = ..., queue: _Optional[str] = ..., state: _Optional[_Union[_job_pb2.JobState, str]] = ..., duplicate: _Optional[bool] = ...) -> None: ...

class BatchEnqueueResponse(_message.Message):
    __slots__ = ("jobs",)
    JOBS_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[EnqueuedJob]
    def __init__(self, jobs: _Optional[_Iterable[_Union[EnqueuedJob, _Mapping]]] = ...) -> None: ...

class GetJobRequest(_message.Message):
    __slots__ = ("id", "queue", "include_logs")
    ID_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_LOGS_FIELD_NUMBER: _ClassVar[int]
    id: str
    queue: str
    include_logs: bool
    def __init__(self, id: _Optional[str] = ..., queue: _Optional[str] = ..., include_logs: _Optional[bool] = ...) -> None: ...

class GetJobResponse(_message.Message):
    __slots__ = ("job", "source", "logs", "logs_truncated")
    JOB_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    LOGS_FIELD_NUMBER: _ClassVar[int]
    LOGS_TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    job: _job_pb2.Job
    source: _archive_pb2.JobSource
    logs: _containers.RepeatedCompositeFieldContainer[_logs_pb2.LogRecord]
    logs_truncated: bool
    def __init__(self, job: _Optional[_Union[_job_pb2.Job, _Mapping]] = ..., source: _Optional[_Union[_archive_pb2.JobSource, str]] = ..., logs: _Optional[_Iterable[_Union[_logs_pb2.LogRecord, _Mapping]]] = ..., logs_truncated: _Optional[bool] = ...) -> None: ...

class QueueCounts(_message.Message):
    __slots__ = ("pending", "scheduled", "active", "retry", "dead", "completed", "cancelled")
    PENDING_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    RETRY_FIELD_NUMBER: _ClassVar[int]
    DEAD_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    pending: int
    scheduled: int
    active: int
    retry: int
    dead: int
    completed: int
    cancelled: int
    def __init__(self, pending: _Optional[int] = ..., scheduled: _Optional[int] = ..., active: _Optional[int] = ..., retry: _Optional[int] = ..., dead: _Optional[int] = ..., completed: _Optional[int] = ..., cancelled: _Optional[int] = ...) -> None: ...

class Queue(_message.Message):
    __slots__ = ("name", "paused", "counts", "oldest_pending_age", "source", "external")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PAUSED_FIELD_NUMBER: _ClassVar[int]
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    OLDEST_PENDING_AGE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_FIELD_NUMBER: _ClassVar[int]
    name: str
    paused: bool
    counts: QueueCounts
    oldest_pending_age: _duration_pb2.Duration
    source: QueueSource
    external: ExternalQueueOrigin
    def __init__(self, name: _Optional[str] = ..., paused: _Optional[bool] = ..., counts: _Optional[_Union[QueueCounts, _Mapping]] = ..., oldest_pending_age: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., source: _Optional[_Union[QueueSource, str]] = ..., external: _Optional[_Union[ExternalQueueOrigin, _Mapping]] = ...) -> None: ...

class ExternalQueueOrigin(_message.Message):
    __slots__ = ("driver", "connection", "reported_by", "reported_at")
    DRIVER_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_FIELD_NUMBER: _ClassVar[int]
    REPORTED_BY_FIELD_NUMBER: _ClassVar[int]
    REPORTED_AT_FIELD_NUMBER: _ClassVar[int]
    driver: str
    connection: str
    reported_by: str
    reported_at: _timestamp_pb2.Timestamp
    def __init__(self, driver: _Optional[str] = ..., connection: _Optional[str] = ..., reported_by: _Optional[str] = ..., reported_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListQueuesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "source")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    source: QueueSource
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., source: _Optional[_Union[QueueSource, str]] = ...) -> None: ...

class ListQueuesResponse(_message.Message):
    __slots__ = ("queues", "next_page_token")
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    queues: _containers.RepeatedCompositeFieldContainer[Queue]
    next_page_token: str
    def __init__(self, queues: _Optional[_Iterable[_Union[Queue, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetQueueRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetQueueResponse(_message.Message):
    __slots__ = ("queue",)
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    queue: Queue
    def __init__(self, queue: _Optional[_Union[Queue, _Mapping]] = ...) -> None: ...

class ListJobsRequest(_message.Message):
    __slots__ = ("queue", "state", "page_size", "page_token", "order", "filter")
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ORDER_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    queue: str
    state: _job_pb2.JobState
    page_size: int
    page_token: str
    order: ListOrder
    filter: str
    def __init__(self, queue: _Optional[str] = ..., state: _Optional[_Union[_job_pb2.JobState, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., order: _Optional[_Union[ListOrder, str]] = ..., filter: _Optional[str] = ...) -> None: ...

class ListJobsResponse(_message.Message):
    __slots__ = ("jobs", "next_page_token")
    JOBS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[_job_pb2.Job]
    next_page_token: str
    def __init__(self, jobs: _Optional[_Iterable[_Union[_job_pb2.Job, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class PauseQueueRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class PauseQueueResponse(_message.Message):
    __slots__ = ("queue",)
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    queue: Queue
    def __init__(self, queue: _Optional[_Union[Queue, _Mapping]] = ...) -> None: ...

class ResumeQueueRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ResumeQueueResponse(_message.Message):
    __slots__ = ("queue",)
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    queue: Queue
    def __init__(self, queue: _Optional[_Union[Queue, _Mapping]] = ...) -> None: ...

class RetryJobRequest(_message.Message):
    __slots__ = ("id", "queue")
    ID_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    id: str
    queue: str
    def __init__(self, id: _Optional[str] = ..., queue: _Optional[str] = ...) -> None: ...

class RetryJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: _job_pb2.Job
    def __init__(self, job: _Optional[_Union[_job_pb2.Job, _Mapping]] = ...) -> None: ...

class PromoteJobRequest(_message.Message):
    __slots__ = ("id", "queue")
    ID_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    id: str
    queue: str
    def __init__(self, id: _Optional[str] = ..., queue: _Optional[str] = ...) -> None: ...

class PromoteJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: _job_pb2.Job
    def __init__(self, job: _Optional[_Union[_job_pb2.Job, _Mapping]] = ...) -> None: ...

class DeleteJobRequest(_message.Message):
    __slots__ = ("id", "queue")
    ID_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    id: str
    queue: str
    def __init__(self, id: _Optional[str] = ..., queue: _Optional[str] = ...) -> None: ...

class DeleteJobResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CancelJobRequest(_message.Message):
    __slots__ = ("id", "queue", "reason")
    ID_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    id: str
    queue: str
    reason: str
    def __init__(self, id: _Optional[str] = ..., queue: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class CancelJobResponse(_message.Message):
    __slots__ = ("job", "requested")
    JOB_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_FIELD_NUMBER: _ClassVar[int]
    job: _job_pb2.Job
    requested: bool
    def __init__(self, job: _Optional[_Union[_job_pb2.Job, _Mapping]] = ..., requested: _Optional[bool] = ...) -> None: ...

class JobActionResult(_message.Message):
    __slots__ = ("id", "queue", "outcome", "state", "message")
    ID_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    id: str
    queue: str
    outcome: JobActionOutcome
    state: _job_pb2.JobState
    message: str
    def __init__(self, id: _Optional[str] = ..., queue: _Optional[str] = ..., outcome: _Optional[_Union[JobActionOutcome, str]] = ..., state: _Optional[_Union[_job_pb2.JobState, str]] = ..., message: _Optional[str] = ...) -> None: ...

class BatchRetryJobsRequest(_message.Message):
    __slots__ = ("ids", "queue")
    IDS_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    ids: _containers.RepeatedScalarFieldContainer[str]
    queue: str
    def __init__(self, ids: _Optional[_Iterable[str]] = ..., queue: _Optional[str] = ...) -> None: ...

class BatchRetryJobsResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[JobActionResult]
    def __init__(self, results: _Optional[_Iterable[_Union[JobActionResult, _Mapping]]] = ...) -> None: ...

class BatchPromoteJobsRequest(_message.Message):
    __slots__ = ("ids", "queue")
    IDS_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    ids: _containers.RepeatedScalarFieldContainer[str]
    queue: str
    def __init__(self, ids: _Optional[_Iterable[str]] = ..., queue: _Optional[str] = ...) -> None: ...

class BatchPromoteJobsResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[JobActionResult]
    def __init__(self, results: _Optional[_Iterable[_Union[JobActionResult, _Mapping]]] = ...) -> None: ...

class BatchDeleteJobsRequest(_message.Message):
    __slots__ = ("ids", "queue")
    IDS_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    ids: _containers.RepeatedScalarFieldContainer[str]
    queue: str
    def __init__(self, ids: _Optional[_Iterable[str]] = ..., queue: _Optional[str] = ...) -> None: ...

class BatchDeleteJobsResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[JobActionResult]
    def __init__(self, results: _Optional[_Iterable[_Union[JobActionResult, _Mapping]]] = ...) -> None: ...

class BatchCancelJobsRequest(_message.Message):
    __slots__ = ("ids", "queue", "reason")
    IDS_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ids: _containers.RepeatedScalarFieldContainer[str]
    queue: str
    reason: str
    def __init__(self, ids: _Optional[_Iterable[str]] = ..., queue: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class BatchCancelJobsResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[JobActionResult]
    def __init__(self, results: _Optional[_Iterable[_Union[JobActionResult, _Mapping]]] = ...) -> None: ...

class CountJobsRequest(_message.Message):
    __slots__ = ("queue", "state", "filter")
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    queue: str
    state: _job_pb2.JobState
    filter: str
    def __init__(self, queue: _Optional[str] = ..., state: _Optional[_Union[_job_pb2.JobState, str]] = ..., filter: _Optional[str] = ...) -> None: ...

class CountJobsResponse(_message.Message):
    __slots__ = ("count",)
    COUNT_FIELD_NUMBER: _ClassVar[int]
    count: int
    def __init__(self, count: _Optional[int] = ...) -> None: ...

class StartBulkOperationRequest(_message.Message):
    __slots__ = ("queue", "state", "filter", "action", "reason", "request_id")
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    queue: str
    state: _job_pb2.JobState
    filter: str
    action: _bulk_pb2.BulkAction
    reason: str
    request_id: str
    def __init__(self, queue: _Optional[str] = ..., state: _Optional[_Union[_job_pb2.JobState, str]] = ..., filter: _Optional[str] = ..., action: _Optional[_Union[_bulk_pb2.BulkAction, str]] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class StartBulkOperationResponse(_message.Message):
    __slots__ = ("operation",)
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    operation: _bulk_pb2.BulkOperation
    def __init__(self, operation: _Optional[_Union[_bulk_pb2.BulkOperation, _Mapping]] = ...) -> None: ...

class GetBulkOperationRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetBulkOperationResponse(_message.Message):
    __slots__ = ("operation",)
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    operation: _bulk_pb2.BulkOperation
    def __init__(self, operation: _Optional[_Union[_bulk_pb2.BulkOperation, _Mapping]] = ...) -> None: ...

class ListBulkOperationsRequest(_message.Message):
    __slots__ = ("queue", "page_size", "page_token")
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    queue: str
    page_size: int
    page_token: str
    def __init__(self, queue: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListBulkOperationsResponse(_message.Message):
    __slots__ = ("operations", "next_page_token")
    OPERATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    operations: _containers.RepeatedCompositeFieldContainer[_bulk_pb2.BulkOperation]
    next_page_token: str
    def __init__(self, operations: _Optional[_Iterable[_Union[_bulk_pb2.BulkOperation, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CancelBulkOperationRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class CancelBulkOperationResponse(_message.Message):
    __slots__ = ("operation",)
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    operation: _bulk_pb2.BulkOperation
    def __init__(self, operation: _Optional[_Union[_bulk_pb2.BulkOperation, _Mapping]] = ...) -> None: ...

class RetryAllDeadRequest(_message.Message):
    __slots__ = ("queue",)
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    queue: str
    def __init__(self, queue: _Optional[str] = ...) -> None: ...

class RetryAllDeadResponse(_message.Message):
    __slots__ = ("operation",)
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    operation: _bulk_pb2.BulkOperation
    def __init__(self, operation: _Optional[_Union[_bulk_pb2.BulkOperation, _Mapping]] = ...) -> None: ...

class DeleteAllDeadRequest(_message.Message):
    __slots__ = ("queue",)
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    queue: str
    def __init__(self, queue: _Optional[str] = ...) -> None: ...

class DeleteAllDeadResponse(_message.Message):
    __slots__ = ("operation",)
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    operation: _bulk_pb2.BulkOperation
    def __init__(self, operation: _Optional[_Union[_bulk_pb2.BulkOperation, _Mapping]] = ...) -> None: ...

class PurgeQueueRequest(_message.Message):
    __slots__ = ("queue", "state")
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    queue: str
    state: _job_pb2.JobState
    def __init__(self, queue: _Optional[str] = ..., state: _Optional[_Union[_job_pb2.JobState, str]] = ...) -> None: ...

class PurgeQueueResponse(_message.Message):
    __slots__ = ("operation",)
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    operation: _bulk_pb2.BulkOperation
    def __init__(self, operation: _Optional[_Union[_bulk_pb2.BulkOperation, _Mapping]] = ...) -> None: ...

class GetQueueMetricsRequest(_message.Message):
    __slots__ = ("queue", "range", "step")
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    queue: str
    range: _duration_pb2.Duration
    step: _duration_pb2.Duration
    def __init__(self, queue: _Optional[str] = ..., range: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., step: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class GetQueueMetricsResponse(_message.Message):
    __slots__ = ("points", "step")
    POINTS_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    points: _containers.RepeatedCompositeFieldContainer[_metrics_pb2.MetricPoint]
    step: _duration_pb2.Duration
    def __init__(self, points: _Optional[_Iterable[_Union[_metrics_pb2.MetricPoint, _Mapping]]] = ..., step: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class WatchQueuesRequest(_message.Message):
    __slots__ = ("queues",)
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    queues: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, queues: _Optional[_Iterable[str]] = ...) -> None: ...

class QueueSnapshot(_message.Message):
    __slots__ = ("queue", "rates")
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    RATES_FIELD_NUMBER: _ClassVar[int]
    queue: Queue
    rates: _metrics_pb2.QueueRates
    def __init__(self, queue: _Optional[_Union[Queue, _Mapping]] = ..., rates: _Optional[_Union[_metrics_pb2.QueueRates, _Mapping]] = ...) -> None: ...

class WatchQueuesResponse(_message.Message):
    __slots__ = ("queues", "totals", "total_rates")
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    TOTALS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_RATES_FIELD_NUMBER: _ClassVar[int]
    queues: _containers.RepeatedCompositeFieldContainer[QueueSnapshot]
    totals: QueueCounts
    total_rates: _metrics_pb2.QueueRates
    def __init__(self, queues: _Optional[_Iterable[_Union[QueueSnapshot, _Mapping]]] = ..., totals: _Optional[_Union[QueueCounts, _Mapping]] = ..., total_rates: _Optional[_Union[_metrics_pb2.QueueRates, _Mapping]] = ...) -> None: ...
