import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from zenith.v1 import job_pb2 as _job_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BulkAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BULK_ACTION_UNSPECIFIED: _ClassVar[BulkAction]
    BULK_ACTION_RETRY: _ClassVar[BulkAction]
    BULK_ACTION_PROMOTE: _ClassVar[BulkAction]
    BULK_ACTION_DELETE: _ClassVar[BulkAction]
    BULK_ACTION_CANCEL: _ClassVar[BulkAction]

class BulkOperationStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BULK_OPERATION_STATUS_UNSPECIFIED: _ClassVar[BulkOperationStatus]
    BULK_OPERATION_STATUS_RUNNING: _ClassVar[BulkOperationStatus]
    BULK_OPERATION_STATUS_SUCCEEDED: _ClassVar[BulkOperationStatus]
    BULK_OPERATION_STATUS_CANCELLED: _ClassVar[BulkOperationStatus]
    BULK_OPERATION_STATUS_FAILED: _ClassVar[BulkOperationStatus]
BULK_ACTION_UNSPECIFIED: BulkAction
BULK_ACTION_RETRY: BulkAction
BULK_ACTION_PROMOTE: BulkAction
BULK_ACTION_DELETE: BulkAction
BULK_ACTION_CANCEL: BulkAction
BULK_OPERATION_STATUS_UNSPECIFIED: BulkOperationStatus
BULK_OPERATION_STATUS_RUNNING: BulkOperationStatus
BULK_OPERATION_STATUS_SUCCEEDED: BulkOperationStatus
BULK_OPERATION_STATUS_CANCELLED: BulkOperationStatus
BULK_OPERATION_STATUS_FAILED: BulkOperationStatus

class BulkOperation(_message.Message):
    __slots__ = ("id", "queue", "states", "filter", "action", "reason", "status", "examined", "matched", "done", "skipped", "total", "created_at", "updated_at", "finished_at", "error")
    ID_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    EXAMINED_FIELD_NUMBER: _ClassVar[int]
    MATCHED_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    id: str
    queue: str
    states: _containers.RepeatedScalarFieldContainer[_job_pb2.JobState]
    filter: str
    action: BulkAction
    reason: str
    status: BulkOperationStatus
    examined: int
    matched: int
    done: int
    skipped: int
    total: int
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    error: str
    def __init__(self, id: _Optional[str] = ..., queue: _Optional[str] = ..., states: _Optional[_Iterable[_Union[_job_pb2.JobState, str]]] = ..., filter: _Optional[str] = ..., action: _Optional[_Union[BulkAction, str]] = ..., reason: _Optional[str] = ..., status: _Optional[_Union[BulkOperationStatus, str]] = ..., examined: _Optional[int] = ..., matched: _Optional[int] = ..., done: _Optional[int] = ..., skipped: _Optional[int] = ..., total: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., error: _Optional[str] = ...) -> None: ...
