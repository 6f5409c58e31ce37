"""Conversions between Python values and protobuf well-known types."""

from __future__ import annotations

import datetime as _dt
import json as _json
from typing import Any, Union

from google.protobuf import duration_pb2, timestamp_pb2

#: A duration given as seconds (int or float) or a ``datetime.timedelta``.
Seconds = Union[int, float, _dt.timedelta]


def to_seconds(value: Seconds) -> float:
    if isinstance(value, _dt.timedelta):
        return value.total_seconds()
    return float(value)


def to_duration(value: Seconds) -> duration_pb2.Duration:
    seconds = to_seconds(value)
    whole = int(seconds)
    nanos = int(round((seconds - whole) * 1e9))
    return duration_pb2.Duration(seconds=whole, nanos=nanos)


def from_duration(value: duration_pb2.Duration) -> float:
    return value.seconds + value.nanos / 1e9


def to_timestamp(value: _dt.datetime | float) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    if isinstance(value, _dt.datetime):
        ts.FromDatetime(value if value.tzinfo else value.replace(tzinfo=_dt.timezone.utc))
    else:
        ts.FromNanoseconds(int(value * 1e9))
    return ts


def from_timestamp(value: timestamp_pb2.Timestamp) -> float:
    """Seconds since the epoch."""
    return value.seconds + value.nanos / 1e9


def encode_json(value: Any) -> bytes:
    """Encodes a JSON payload the way every Zenith SDK does (tests/vectors/jobs):
    compact, UTF-8 as is, ``/ < > &`` not escaped, object keys in the order given."""
    return _json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode(
        "utf-8"
    )
