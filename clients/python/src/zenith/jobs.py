"""Building job specs and enqueue requests without sending them."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Iterable, Mapping

from zenith._convert import Seconds, encode_json, to_duration, to_timestamp
from zenith.errors import PayloadTooLargeError
from zenith.v1 import job_pb2, queue_pb2

__all__ = ["job_spec", "enqueue_request", "DEFAULT_MAX_PAYLOAD_BYTES", "JSON_CONTENT_TYPE"]

#: The server's default ``--max-payload-bytes`` (1 MiB).
DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024
JSON_CONTENT_TYPE = "application/json"

_UNSET: Any = object()


def job_spec(
    queue: str,
    type: str,  # noqa: A002 - the proto field's name
    json: Any = _UNSET,
    *,
    payload: bytes | None = None,
    content_type: str = "",
    id: str = "",  # noqa: A002
    priority: int = 0,
    max_attempts: int = 0,
    timeout: Seconds | None = None,
    delay: Seconds | None = None,
    run_at: _dt.datetime | None = None,
    unique_key: str = "",
    unique_ttl: Seconds | None = None,
    tags: Iterable[str] = (),
    headers: Mapping[str, str] | None = None,
    backoff_base: Seconds | None = None,
    backoff_max: Seconds | None = None,
    max_payload_bytes: int | None = DEFAULT_MAX_PAYLOAD_BYTES,
) -> job_pb2.JobSpec:
    """Builds a ``JobSpec``.

    Give the payload either as ``json`` (any JSON-serialisable value, encoded compactly with
    content type ``application/json``) or as raw ``payload`` bytes with ``content_type``; or
    neither. Durations are seconds or ``timedelta``. Raises :class:`PayloadTooLargeError`
    when the payload is over ``max_payload_bytes`` (``None`` disables the check).
    """
    if json is not _UNSET and payload is not None:
        raise ValueError("give either json or payload, not both")
    if delay is not None and run_at is not None:
        raise ValueError("give at most one of delay and run_at")
    spec = job_pb2.JobSpec(queue=queue, type=type)
    if json is not _UNSET:
        spec.payload = encode_json(json)
        spec.content_type = content_type or JSON_CONTENT_TYPE
    elif payload is not None:
        spec.payload = bytes(payload)
        spec.content_type = content_type
    if max_payload_bytes is not None and len(spec.payload) > max_payload_bytes:
        raise PayloadTooLargeError(len(spec.payload), max_payload_bytes)
    if id:
        spec.id = id
    spec.priority = priority
    spec.max_attempts = max_attempts
    if timeout is not None:
        spec.timeout.CopyFrom(to_duration(timeout))
    if delay is not None:
        spec.delay.CopyFrom(to_duration(delay))
    if run_at is not None:
        spec.run_at.CopyFrom(to_timestamp(run_at))
    if unique_key:
        spec.unique_key = unique_key
    if unique_ttl is not None:
        spec.unique_ttl.CopyFrom(to_duration(unique_ttl))
    spec.tags.extend(tags)
    if headers:
        for key, value in headers.items():
            spec.headers[key] = value
    if backoff_base is not None:
        spec.backoff.base.CopyFrom(to_duration(backoff_base))
    if backoff_max is not None:
        spec.backoff.max.CopyFrom(to_duration(backoff_max))
    return spec


def enqueue_request(queue: str, type: str, json: Any = _UNSET, **options: Any) -> queue_pb2.EnqueueRequest:  # noqa: A002
    """Builds the ``EnqueueRequest`` that :meth:`zenith.Client.enqueue` sends, without sending
    it. Takes the same arguments as :func:`job_spec`."""
    return queue_pb2.EnqueueRequest(job=job_spec(queue, type, json, **options))
