import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from zenith.v1 import job_pb2 as _job_pb2
from zenith.v1 import logs_pb2 as _logs_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class JobSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JOB_SOURCE_UNSPECIFIED: _ClassVar[JobSource]
    JOB_SOURCE_LIVE: _ClassVar[JobSource]
    JOB_SOURCE_ARCHIVE: _ClassVar[JobSource]

class JobEventKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JOB_EVENT_KIND_UNSPECIFIED: _ClassVar[JobEventKind]
    JOB_EVENT_KIND_ENQUEUED: _ClassVar[JobEventKind]
    JOB_EVENT_KIND_RESERVED: _ClassVar[JobEventKind]
    JOB_EVENT_KIND_LEASE_EXTENDED: _ClassVar[JobEventKind]
    JOB_EVENT_KIND_FAILED: _ClassVar[JobEventKind]
    JOB_EVENT_KIND_LEASE_EXPIRED: _ClassVar[JobEventKind]
    JOB_EVENT_KIND_PROMOTED: _ClassVar[JobEventKind]
    JOB_EVENT_KIND_COMPLETED: _ClassVar[JobEventKind]
    JOB_EVENT_KIND_RETRIED: _ClassVar[JobEventKind]
    JOB_EVENT_KIND_CANCEL_REQUESTED: _ClassVar[JobEventKind]
    JOB_EVENT_KIND_CANCELLED: _ClassVar[JobEventKind]
    JOB_EVENT_KIND_DELETED: _ClassVar[JobEventKind]
JOB_SOURCE_UNSPECIFIED: JobSource
JOB_SOURCE_LIVE: JobSource
JOB_SOURCE_ARCHIVE: JobSource
JOB_EVENT_KIND_UNSPECIFIED: JobEventKind
JOB_EVENT_KIND_ENQUEUED: JobEventKind
JOB_EVENT_KIND_RESERVED: JobEventKind
JOB_EVENT_KIND_LEASE_EXTENDED: JobEventKind
JOB_EVENT_KIND_FAILED: JobEventKind
JOB_EVENT_KIND_LEASE_EXPIRED: JobEventKind
JOB_EVENT_KIND_PROMOTED: JobEventKind
JOB_EVENT_KIND_COMPLETED: JobEventKind
JOB_EVENT_KIND_RETRIED: JobEventKind
JOB_EVENT_KIND_CANCEL_REQUESTED: JobEventKind
JOB_EVENT_KIND_CANCELLED: JobEventKind
JOB_EVENT_KIND_DELETED: JobEventKind

class SearchJobsRequest(_message.Message):
    __slots__ = ("query", "queues", "states", "types", "created_after", "created_before", "page_size", "page_token")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    TYPES_FIELD_NUMBER: _ClassVar[int]
    CREATED_AFTER_FIELD_NUMBER: _ClassVar[int]
    CREATED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    query: str
    queues: _containers.RepeatedScalarFieldContainer[str]
    states: _containers.RepeatedScalarFieldContainer[_job_pb2.JobState]
    types: _containers.RepeatedScalarFieldContainer[str]
    created_after: _timestamp_pb2.Timestamp
    created_before: _timestamp_pb2.Timestamp
    page_size: int
    page_token: str
    def __init__(self, query: _Optional[str] = ..., queues: _Optional[_Iterable[str]] = ..., states: _Optional[_Iterable[_Union[_job_pb2.JobState, str]]] = ..., types: _Optional[_Iterable[str]] = ..., created_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class SearchHit(_message.Message):
    __slots__ = ("job", "source")
    JOB_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    job: _job_pb2.Job
    source: JobSource
    def __init__(self, job: _Optional[_Union[_job_pb2.Job, _Mapping]] = ..., source: _Optional[_Union[JobSource, str]] = ...) -> None: ...

class SearchJobsResponse(_message.Message):
    __slots__ = ("hits", "next_page_token", "examined")
    HITS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    EXAMINED_FIELD_NUMBER: _ClassVar[int]
    hits: _containers.RepeatedCompositeFieldContainer[SearchHit]
    next_page_token: str
    examined: int
    def __init__(self, hits: _Optional[_Iterable[_Union[SearchHit, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., examined: _Optional[int] = ...) -> None: ...

class JobEvent(_message.Message):
    __slots__ = ("at", "kind", "state", "attempt", "actor", "worker", "error", "reason", "bulk_operation_id", "due")
    AT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    WORKER_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    BULK_OPERATION_ID_FIELD_NUMBER: _ClassVar[int]
    DUE_FIELD_NUMBER: _ClassVar[int]
    at: _timestamp_pb2.Timestamp
    kind: JobEventKind
    state: _job_pb2.JobState
    attempt: int
    actor: str
    worker: str
    error: str
    reason: str
    bulk_operation_id: str
    due: _timestamp_pb2.Timestamp
    def __init__(self, at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., kind: _Optional[_Union[JobEventKind, str]] = ..., state: _Optional[_Union[_job_pb2.JobState, str]] = ..., attempt: _Optional[int] = ..., actor: _Optional[str] = ..., worker: _Optional[str] = ..., error: _Optional[str] = ..., reason: _Optional[str] = ..., bulk_operation_id: _Optional[str] = ..., due: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetJobHistoryRequest(_message.Message):
    __slots__ = ("id", "page_size", "page_token")
    ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    id: str
    page_size: int
    page_token: str
    def __init__(self, id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class GetJobHistoryResponse(_message.Message):
    __slots__ = ("events", "next_page_token", "job", "source", "logs", "logs_truncated")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    JOB_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    LOGS_FIELD_NUMBER: _ClassVar[int]
    LOGS_TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[JobEvent]
    next_page_token: str
    job: _job_pb2.Job
    source: JobSource
    logs: _containers.RepeatedCompositeFieldContainer[_logs_pb2.LogRecord]
    logs_truncated: bool
    def __init__(self, events: _Optional[_Iterable[_Union[JobEvent, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., job: _Optional[_Union[_job_pb2.Job, _Mapping]] = ..., source: _Optional[_Union[JobSource, str]] = ..., logs: _Optional[_Iterable[_Union[_logs_pb2.LogRecord, _Mapping]]] = ..., logs_truncated: _Optional[bool] = ...) -> None: ...

class PruneArchiveRequest(_message.Message):
    __slots__ = ("queue",)
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    queue: str
    def __init__(self, queue: _Optional[str] = ...) -> None: ...

class PruneArchiveResponse(_message.Message):
    __slots__ = ("jobs_deleted", "events_deleted")
    JOBS_DELETED_FIELD_NUMBER: _ClassVar[int]
    EVENTS_DELETED_FIELD_NUMBER: _ClassVar[int]
    jobs_deleted: int
    events_deleted: int
    def __init__(self, jobs_deleted: _Optional[int] = ..., events_deleted: _Optional[int] = ...) -> None: ...

class ArchiveSettings(_message.Message):
    __slots__ = ("queue", "retention", "index_on_enqueue")
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    RETENTION_FIELD_NUMBER: _ClassVar[int]
    INDEX_ON_ENQUEUE_FIELD_NUMBER: _ClassVar[int]
    queue: str
    retention: _duration_pb2.Duration
    index_on_enqueue: bool
    def __init__(self, queue: _Optional[str] = ..., retention: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., index_on_enqueue: _Optional[bool] = ...) -> None: ...

class GetArchiveSettingsRequest(_message.Message):
    __slots__ = ("queue",)
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    queue: str
    def __init__(self, queue: _Optional[str] = ...) -> None: ...

class GetArchiveSettingsResponse(_message.Message):
    __slots__ = ("settings", "inherited")
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    INHERITED_FIELD_NUMBER: _ClassVar[int]
    settings: ArchiveSettings
    inherited: bool
    def __init__(self, settings: _Optional[_Union[ArchiveSettings, _Mapping]] = ..., inherited: _Optional[bool] = ...) -> None: ...

class ListArchiveSettingsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListArchiveSettingsResponse(_message.Message):
    __slots__ = ("defaults", "overrides")
    DEFAULTS_FIELD_NUMBER: _ClassVar[int]
    OVERRIDES_FIELD_NUMBER: _ClassVar[int]
    defaults: ArchiveSettings
    overrides: _containers.RepeatedCompositeFieldContainer[ArchiveSettings]
    def __init__(self, defaults: _Optional[_Union[ArchiveSettings, _Mapping]] = ..., overrides: _Optional[_Iterable[_Union[ArchiveSettings, _Mapping]]] = ...) -> None: ...

class UpdateArchiveSettingsRequest(_message.Message):
    __slots__ = ("queue", "retention", "index_on_enqueue", "reset")
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    RETENTION_FIELD_NUMBER: _ClassVar[int]
    INDEX_ON_ENQUEUE_FIELD_NUMBER: _ClassVar[int]
    RESET_FIELD_NUMBER: _ClassVar[int]
    queue: str
    retention: _duration_pb2.Duration
    index_on_enqueue: bool
    reset: bool
    def __init__(self, queue: _Optional[str] = ..., retention: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., index_on_enqueue: _Optional[bool] = ..., reset: _Optional[bool] = ...) -> None: ...

class UpdateArchiveSettingsResponse(_message.Message):
    __slots__ = ("settings", "inherited")
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    INHERITED_FIELD_NUMBER: _ClassVar[int]
    settings: ArchiveSettings
    inherited: bool
    def __init__(self, settings: _Optional[_Union[ArchiveSettings, _Mapping]] = ..., inherited: _Optional[bool] = ...) -> None: ...

class GetArchiveStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class QueueArchiveLag(_message.Message):
    __slots__ = ("queue", "pending_events", "oldest_pending")
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    PENDING_EVENTS_FIELD_NUMBER: _ClassVar[int]
    OLDEST_PENDING_FIELD_NUMBER: _ClassVar[int]
    queue: str
    pending_events: int
    oldest_pending: _timestamp_pb2.Timestamp
    def __init__(self, queue: _Optional[str] = ..., pending_events: _Optional[int] = ..., oldest_pending: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetArchiveStatusResponse(_message.Message):
    __slots__ = ("queues", "pending_events", "lag", "archived_jobs", "backend")
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    PENDING_EVENTS_FIELD_NUMBER: _ClassVar[int]
    LAG_FIELD_NUMBER: _ClassVar[int]
    ARCHIVED_JOBS_FIELD_NUMBER: _ClassVar[int]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    queues: _containers.RepeatedCompositeFieldContainer[QueueArchiveLag]
    pending_events: int
    lag: _duration_pb2.Duration
    archived_jobs: int
    backend: str
    def __init__(self, queues: _Optional[_Iterable[_Union[QueueArchiveLag, _Mapping]]] = ..., pending_events: _Optional[int] = ..., lag: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., archived_jobs: _Optional[int] = ..., backend: _Optional[str] = ...) -> None: ...
