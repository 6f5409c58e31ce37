"""Zenith's Python SDK: enqueue jobs, run workers, report pulse beats and ship logs.

- :class:`Client` / :class:`AsyncClient`: enqueue, batch_enqueue, get_job, cancel_job, and
  the worker, pulse and log calls; errors are :class:`ZenithError` with the gRPC ``code``.
  ``api_key=`` (else ``$ZENITH_API_KEY``) is sent with every call.
- :class:`Worker` (threads) / :class:`AsyncWorker` (asyncio): reserve, run, ack, fail.
- :class:`Pulse`: the heartbeat agent; :class:`ZenithLogHandler`: a ``logging.Handler``.

The generated protobuf and gRPC modules are in :mod:`zenith.v1`.
"""

from zenith.aio_worker import AsyncWorker
from zenith.client import AsyncClient, Client
from zenith.context import CancellationToken, JobCancelled, JobContext
from zenith.errors import JobError, PayloadTooLargeError, PermissionDeniedError, UnauthenticatedError, ZenithError
from zenith.jobs import DEFAULT_MAX_PAYLOAD_BYTES, enqueue_request, job_spec
from zenith.logs import LogShipper, ZenithLogHandler, current_job
from zenith.pulse import Pulse, detect_identity, parse_beat_payload
from zenith.worker import Worker

__version__ = "0.1.0"

__all__ = [
    "AsyncClient",
    "AsyncWorker",
    "CancellationToken",
    "Client",
    "DEFAULT_MAX_PAYLOAD_BYTES",
    "JobCancelled",
    "JobContext",
    "JobError",
    "LogShipper",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "Pulse",
    "UnauthenticatedError",
    "Worker",
    "ZenithError",
    "ZenithLogHandler",
    "current_job",
    "detect_identity",
    "enqueue_request",
    "job_spec",
    "parse_beat_payload",
]
