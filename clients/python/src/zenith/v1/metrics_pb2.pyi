import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DurationSummary(_message.Message):
    __slots__ = ("count", "mean", "max", "p50", "p95")
    COUNT_FIELD_NUMBER: _ClassVar[int]
    MEAN_FIELD_NUMBER: _ClassVar[int]
    MAX_FIELD_NUMBER: _ClassVar[int]
    P50_FIELD_NUMBER: _ClassVar[int]
    P95_FIELD_NUMBER: _ClassVar[int]
    count: int
    mean: _duration_pb2.Duration
    max: _duration_pb2.Duration
    p50: _duration_pb2.Duration
    p95: _duration_pb2.Duration
    def __init__(self, count: _Optional[int] = ..., mean: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., max: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., p50: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., p95: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class MetricPoint(_message.Message):
    __slots__ = ("start", "enqueued", "completed", "failed", "retried", "wait", "run")
    START_FIELD_NUMBER: _ClassVar[int]
    ENQUEUED_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    RETRIED_FIELD_NUMBER: _ClassVar[int]
    WAIT_FIELD_NUMBER: _ClassVar[int]
    RUN_FIELD_NUMBER: _ClassVar[int]
    start: _timestamp_pb2.Timestamp
    enqueued: int
    completed: int
    failed: int
    retried: int
    wait: DurationSummary
    run: DurationSummary
    def __init__(self, start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., enqueued: _Optional[int] = ..., completed: _Optional[int] = ..., failed: _Optional[int] = ..., retried: _Optional[int] = ..., wait: _Optional[_Union[DurationSummary, _Mapping]] = ..., run: _Optional[_Union[DurationSummary, _Mapping]] = ...) -> None: ...

class QueueRates(_message.Message):
    __slots__ = ("enqueued", "completed", "failed")
    ENQUEUED_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    enqueued: float
    completed: float
    failed: float
    def __init__(self, enqueued: _Optional[float] = ..., completed: _Optional[float] = ..., failed: _Optional[float] = ...) -> None: ...
