import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class NodeInstructionKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NODE_INSTRUCTION_KIND_UNSPECIFIED: _ClassVar[NodeInstructionKind]
    NODE_INSTRUCTION_KIND_CANCEL_JOB: _ClassVar[NodeInstructionKind]
    NODE_INSTRUCTION_KIND_QUIET: _ClassVar[NodeInstructionKind]
    NODE_INSTRUCTION_KIND_RESUME: _ClassVar[NodeInstructionKind]

class NodeHealth(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NODE_HEALTH_UNSPECIFIED: _ClassVar[NodeHealth]
    NODE_HEALTH_HEALTHY: _ClassVar[NodeHealth]
    NODE_HEALTH_LATE: _ClassVar[NodeHealth]
    NODE_HEALTH_LOST: _ClassVar[NodeHealth]

class BeatTransport(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BEAT_TRANSPORT_UNSPECIFIED: _ClassVar[BeatTransport]
    BEAT_TRANSPORT_GRPC: _ClassVar[BeatTransport]
    BEAT_TRANSPORT_REDIS: _ClassVar[BeatTransport]

class NodeChangeKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NODE_CHANGE_KIND_UNSPECIFIED: _ClassVar[NodeChangeKind]
    NODE_CHANGE_KIND_ADDED: _ClassVar[NodeChangeKind]
    NODE_CHANGE_KIND_UPDATED: _ClassVar[NodeChangeKind]
    NODE_CHANGE_KIND_REMOVED: _ClassVar[NodeChangeKind]
NODE_INSTRUCTION_KIND_UNSPECIFIED: NodeInstructionKind
NODE_INSTRUCTION_KIND_CANCEL_JOB: NodeInstructionKind
NODE_INSTRUCTION_KIND_QUIET: NodeInstructionKind
NODE_INSTRUCTION_KIND_RESUME: NodeInstructionKind
NODE_HEALTH_UNSPECIFIED: NodeHealth
NODE_HEALTH_HEALTHY: NodeHealth
NODE_HEALTH_LATE: NodeHealth
NODE_HEALTH_LOST: NodeHealth
BEAT_TRANSPORT_UNSPECIFIED: BeatTransport
BEAT_TRANSPORT_GRPC: BeatTransport
BEAT_TRANSPORT_REDIS: BeatTransport
NODE_CHANGE_KIND_UNSPECIFIED: NodeChangeKind
NODE_CHANGE_KIND_ADDED: NodeChangeKind
NODE_CHANGE_KIND_UPDATED: NodeChangeKind
NODE_CHANGE_KIND_REMOVED: NodeChangeKind

class NodeIdentity(_message.Message):
    __slots__ = ("node_id", "service", "language", "runtime", "sdk_version", "version", "pid", "hostname", "platform", "labels")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    RUNTIME_FIELD_NUMBER: _ClassVar[int]
    SDK_VERSION_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    PID_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    service: str
    language: str
    runtime: str
    sdk_version: str
    version: str
    pid: int
    hostname: str
    platform: str
    labels: _containers.ScalarMap[str, str]
    def __init__(self, node_id: _Optional[str] = ..., service: _Optional[str] = ..., language: _Optional[str] = ..., runtime: _Optional[str] = ..., sdk_version: _Optional[str] = ..., version: _Optional[str] = ..., pid: _Optional[int] = ..., hostname: _Optional[str] = ..., platform: _Optional[str] = ..., labels: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ProcessStats(_message.Message):
    __slots__ = ("cpu_percent", "memory_rss_bytes", "threads", "open_files")
    CPU_PERCENT_FIELD_NUMBER: _ClassVar[int]
    MEMORY_RSS_BYTES_FIELD_NUMBER: _ClassVar[int]
    THREADS_FIELD_NUMBER: _ClassVar[int]
    OPEN_FILES_FIELD_NUMBER: _ClassVar[int]
    cpu_percent: float
    memory_rss_bytes: int
    threads: int
    open_files: int
    def __init__(self, cpu_percent: _Optional[float] = ..., memory_rss_bytes: _Optional[int] = ..., threads: _Optional[int] = ..., open_files: _Optional[int] = ...) -> None: ...

class SystemStats(_message.Message):
    __slots__ = ("cpu_percent", "cpu_cores", "memory_total_bytes", "memory_used_bytes", "disk_total_bytes", "disk_used_bytes", "load_average_1m")
    CPU_PERCENT_FIELD_NUMBER: _ClassVar[int]
    CPU_CORES_FIELD_NUMBER: _ClassVar[int]
    MEMORY_TOTAL_BYTES_FIELD_NUMBER: _ClassVar[int]
    MEMORY_USED_BYTES_FIELD_NUMBER: _ClassVar[int]
    DISK_TOTAL_BYTES_FIELD_NUMBER: _ClassVar[int]
    DISK_USED_BYTES_FIELD_NUMBER: _ClassVar[int]
    LOAD_AVERAGE_1M_FIELD_NUMBER: _ClassVar[int]
    cpu_percent: float
    cpu_cores: int
    memory_total_bytes: int
    memory_used_bytes: int
    disk_total_bytes: int
    disk_used_bytes: int
    load_average_1m: float
    def __init__(self, cpu_percent: _Optional[float] = ..., cpu_cores: _Optional[int] = ..., memory_total_bytes: _Optional[int] = ..., memory_used_bytes: _Optional[int] = ..., disk_total_bytes: _Optional[int] = ..., disk_used_bytes: _Optional[int] = ..., load_average_1m: _Optional[float] = ...) -> None: ...

class CurrentJob(_message.Message):
    __slots__ = ("queue", "job_id", "lease_token", "started_at")
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    LEASE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    queue: str
    job_id: str
    lease_token: str
    started_at: _timestamp_pb2.Timestamp
    def __init__(self, queue: _Optional[str] = ..., job_id: _Optional[str] = ..., lease_token: _Optional[str] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ExternalQueue(_message.Message):
    __slots__ = ("name", "driver", "connection", "pending", "active", "scheduled", "failed", "completed", "oldest_pending_age", "paused")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DRIVER_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_FIELD_NUMBER: _ClassVar[int]
    PENDING_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    OLDEST_PENDING_AGE_FIELD_NUMBER: _ClassVar[int]
    PAUSED_FIELD_NUMBER: _ClassVar[int]
    name: str
    driver: str
    connection: str
    pending: int
    active: int
    scheduled: int
    failed: int
    completed: int
    oldest_pending_age: _duration_pb2.Duration
    paused: bool
    def __init__(self, name: _Optional[str] = ..., driver: _Optional[str] = ..., connection: _Optional[str] = ..., pending: _Optional[int] = ..., active: _Optional[int] = ..., scheduled: _Optional[int] = ..., failed: _Optional[int] = ..., completed: _Optional[int] = ..., oldest_pending_age: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., paused: _Optional[bool] = ...) -> None: ...

class BeatPayload(_message.Message):
    __slots__ = ("identity", "sent_at", "interval", "process", "system", "uptime", "jobs", "external_queues", "queues", "quiet")
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    SENT_AT_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_FIELD_NUMBER: _ClassVar[int]
    UPTIME_FIELD_NUMBER: _ClassVar[int]
    JOBS_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_QUEUES_FIELD_NUMBER: _ClassVar[int]
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    QUIET_FIELD_NUMBER: _ClassVar[int]
    identity: NodeIdentity
    sent_at: _timestamp_pb2.Timestamp
    interval: _duration_pb2.Duration
    process: ProcessStats
    system: SystemStats
    uptime: _duration_pb2.Duration
    jobs: _containers.RepeatedCompositeFieldContainer[CurrentJob]
    external_queues: _containers.RepeatedCompositeFieldContainer[ExternalQueue]
    queues: _containers.RepeatedScalarFieldContainer[str]
    quiet: bool
    def __init__(self, identity: _Optional[_Union[NodeIdentity, _Mapping]] = ..., sent_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., interval: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., process: _Optional[_Union[ProcessStats, _Mapping]] = ..., system: _Optional[_Union[SystemStats, _Mapping]] = ..., uptime: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., jobs: _Optional[_Iterable[_Union[CurrentJob, _Mapping]]] = ..., external_queues: _Optional[_Iterable[_Union[ExternalQueue, _Mapping]]] = ..., queues: _Optional[_Iterable[str]] = ..., quiet: _Optional[bool] = ...) -> None: ...

class BeatRequest(_message.Message):
    __slots__ = ("beat",)
    BEAT_FIELD_NUMBER: _ClassVar[int]
    beat: BeatPayload
    def __init__(self, beat: _Optional[_Union[BeatPayload, _Mapping]] = ...) -> None: ...

class NodeInstruction(_message.Message):
    __slots__ = ("kind", "queue", "job_id", "reason")
    KIND_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    kind: NodeInstructionKind
    queue: str
    job_id: str
    reason: str
    def __init__(self, kind: _Optional[_Union[NodeInstructionKind, str]] = ..., queue: _Optional[str] = ..., job_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class BeatResponse(_message.Message):
    __slots__ = ("instructions", "server_time", "extended_leases")
    INSTRUCTIONS_FIELD_NUMBER: _ClassVar[int]
    SERVER_TIME_FIELD_NUMBER: _ClassVar[int]
    EXTENDED_LEASES_FIELD_NUMBER: _ClassVar[int]
    instructions: _containers.RepeatedCompositeFieldContainer[NodeInstruction]
    server_time: _timestamp_pb2.Timestamp
    extended_leases: _containers.RepeatedCompositeFieldContainer[ExtendedLease]
    def __init__(self, instructions: _Optional[_Iterable[_Union[NodeInstruction, _Mapping]]] = ..., server_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., extended_leases: _Optional[_Iterable[_Union[ExtendedLease, _Mapping]]] = ...) -> None: ...

class ExtendedLease(_message.Message):
    __slots__ = ("queue", "job_id", "lease_deadline")
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    LEASE_DEADLINE_FIELD_NUMBER: _ClassVar[int]
    queue: str
    job_id: str
    lease_deadline: _timestamp_pb2.Timestamp
    def __init__(self, queue: _Optional[str] = ..., job_id: _Optional[str] = ..., lease_deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Node(_message.Message):
    __slots__ = ("beat", "health", "last_beat_at", "first_seen_at", "lost_at", "transport", "quiet_requested")
    BEAT_FIELD_NUMBER: _ClassVar[int]
    HEALTH_FIELD_NUMBER: _ClassVar[int]
    LAST_BEAT_AT_FIELD_NUMBER: _ClassVar[int]
    FIRST_SEEN_AT_FIELD_NUMBER: _ClassVar[int]
    LOST_AT_FIELD_NUMBER: _ClassVar[int]
    TRANSPORT_FIELD_NUMBER: _ClassVar[int]
    QUIET_REQUESTED_FIELD_NUMBER: _ClassVar[int]
    beat: BeatPayload
    health: NodeHealth
    last_beat_at: _timestamp_pb2.Timestamp
    first_seen_at: _timestamp_pb2.Timestamp
    lost_at: _timestamp_pb2.Timestamp
    transport: BeatTransport
    quiet_requested: bool
    def __init__(self, beat: _Optional[_Union[BeatPayload, _Mapping]] = ..., health: _Optional[_Union[NodeHealth, str]] = ..., last_beat_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., first_seen_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., lost_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., transport: _Optional[_Union[BeatTransport, str]] = ..., quiet_requested: _Optional[bool] = ...) -> None: ...

class ServiceNodes(_message.Message):
    __slots__ = ("service", "nodes", "healthy", "late", "lost")
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    HEALTHY_FIELD_NUMBER: _ClassVar[int]
    LATE_FIELD_NUMBER: _ClassVar[int]
    LOST_FIELD_NUMBER: _ClassVar[int]
    service: str
    nodes: _containers.RepeatedCompositeFieldContainer[Node]
    healthy: int
    late: int
    lost: int
    def __init__(self, service: _Optional[str] = ..., nodes: _Optional[_Iterable[_Union[Node, _Mapping]]] = ..., healthy: _Optional[int] = ..., late: _Optional[int] = ..., lost: _Optional[int] = ...) -> None: ...

class ListNodesRequest(_message.Message):
    __slots__ = ("service", "language", "health", "page_size", "page_token")
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    HEALTH_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    service: str
    language: str
    health: _containers.RepeatedScalarFieldContainer[NodeHealth]
    page_size: int
    page_token: str
    def __init__(self, service: _Optional[str] = ..., language: _Optional[str] = ..., health: _Optional[_Iterable[_Union[NodeHealth, str]]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListNodesResponse(_message.Message):
    __slots__ = ("services", "next_page_token", "total_nodes")
    SERVICES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_NODES_FIELD_NUMBER: _ClassVar[int]
    services: _containers.RepeatedCompositeFieldContainer[ServiceNodes]
    next_page_token: str
    total_nodes: int
    def __init__(self, services: _Optional[_Iterable[_Union[ServiceNodes, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_nodes: _Optional[int] = ...) -> None: ...

class GetNodeRequest(_message.Message):
    __slots__ = ("node_id",)
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    def __init__(self, node_id: _Optional[str] = ...) -> None: ...

class GetNodeResponse(_message.Message):
    __slots__ = ("node",)
    NODE_FIELD_NUMBER: _ClassVar[int]
    node: Node
    def __init__(self, node: _Optional[_Union[Node, _Mapping]] = ...) -> None: ...

class WatchNodesRequest(_message.Message):
    __slots__ = ("service", "language")
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    service: str
    language: str
    def __init__(self, service: _Optional[str] = ..., language: _Optional[str] = ...) -> None: ...

class NodeChange(_message.Message):
    __slots__ = ("kind", "node")
    KIND_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    kind: NodeChangeKind
    node: Node
    def __init__(self, kind: _Optional[_Union[NodeChangeKind, str]] = ..., node: _Optional[_Union[Node, _Mapping]] = ...) -> None: ...

class WatchNodesResponse(_message.Message):
    __slots__ = ("changes", "snapshot")
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    changes: _containers.RepeatedCompositeFieldContainer[NodeChange]
    snapshot: bool
    def __init__(self, changes: _Optional[_Iterable[_Union[NodeChange, _Mapping]]] = ..., snapshot: _Optional[bool] = ...) -> None: ...

class GetNodeMetricsRequest(_message.Message):
    __slots__ = ("node_id",)
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    def __init__(self, node_id: _Optional[str] = ...) -> None: ...

class NodeMetricPoint(_message.Message):
    __slots__ = ("minute", "process_cpu_percent", "process_memory_rss_bytes", "system_cpu_percent", "system_memory_used_bytes", "disk_used_bytes", "running_jobs")
    MINUTE_FIELD_NUMBER: _ClassVar[int]
    PROCESS_CPU_PERCENT_FIELD_NUMBER: _ClassVar[int]
    PROCESS_MEMORY_RSS_BYTES_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_CPU_PERCENT_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_MEMORY_USED_BYTES_FIELD_NUMBER: _ClassVar[int]
    DISK_USED_BYTES_FIELD_NUMBER: _ClassVar[int]
    RUNNING_JOBS_FIELD_NUMBER: _ClassVar[int]
    minute: _timestamp_pb2.Timestamp
    process_cpu_percent: float
    process_memory_rss_bytes: int
    system_cpu_percent: float
    system_memory_used_bytes: int
    disk_used_bytes: int
    running_jobs: int
    def __init__(self, minute: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., process_cpu_percent: _Optional[float] = ..., process_memory_rss_bytes: _Optional[int] = ..., system_cpu_percent: _Optional[float] = ..., system_memory_used_bytes: _Optional[int] = ..., disk_used_bytes: _Optional[int] = ..., running_jobs: _Optional[int] = ...) -> None: ...

class GetNodeMetricsResponse(_message.Message):
    __slots__ = ("points",)
    POINTS_FIELD_NUMBER: _ClassVar[int]
    points: _containers.RepeatedCompositeFieldContainer[NodeMetricPoint]
    def __init__(self, points: _Optional[_Iterable[_Union[NodeMetricPoint, _Mapping]]] = ...) -> None: ...

class QuietNodeRequest(_message.Message):
    __slots__ = ("node_id", "quiet")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    QUIET_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    quiet: bool
    def __init__(self, node_id: _Optional[str] = ..., quiet: _Optional[bool] = ...) -> None: ...

class QuietNodeResponse(_message.Message):
    __slots__ = ("node",)
    NODE_FIELD_NUMBER: _ClassVar[int]
    node: Node
    def __init__(self, node: _Optional[_Union[Node, _Mapping]] = ...) -> None: ...
