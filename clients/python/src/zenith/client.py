"""gRPC clients: :class:`Client` (blocking) and :class:`AsyncClient` (``grpc.aio``)."""

from __future__ import annotations

import os
from typing import Any, Callable, Iterable, Sequence, TypeVar

import grpc
import grpc.aio

from zenith._convert import Seconds, to_duration, to_seconds
from zenith.errors import PayloadTooLargeError, ZenithError
from zenith.jobs import _UNSET, DEFAULT_MAX_PAYLOAD_BYTES, job_spec
from zenith.v1 import (
    admin_pb2,
    admin_pb2_grpc,
    job_pb2,
    logs_pb2,
    logs_pb2_grpc,
    pulse_pb2,
    pulse_pb2_grpc,
    queue_pb2,
    queue_pb2_grpc,
    worker_pb2,
    worker_pb2_grpc,
)

__all__ = ["Client", "AsyncClient", "API_KEY_ENV", "call_metadata", "parse_target"]

T = TypeVar("T")

#: Per-call deadline for everything but Reserve's long poll.
DEFAULT_CALL_TIMEOUT = 30.0

_CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
    ("grpc.max_send_message_length", 64 * 1024 * 1024),
    ("grpc.enable_retries", 0),
    # Reconnect soon after a server comes (back) up, instead of grpc's default of up to 2 min.
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.min_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 5000),
    # Each client its own connections: a channel created after the server came up must not
    # inherit another channel's connection still in reconnect backoff.
    ("grpc.use_local_subchannel_pool", 1),
]


#: The environment variable a client reads its API key from when given none.
API_KEY_ENV = "ZENITH_API_KEY"


def call_metadata(metadata: Sequence[tuple[str, str]], api_key: str | None) -> tuple[tuple[str, str], ...]:
    """The metadata sent with every call: ``metadata`` plus ``authorization: Bearer <key>``.

    ``api_key`` None reads ``$ZENITH_API_KEY``; an empty key sends none. An ``authorization``
    entry already in ``metadata`` is kept and no key is added.
    """
    merged = tuple(metadata)
    if api_key is None:
        api_key = os.environ.get(API_KEY_ENV, "")
    api_key = api_key.strip()
    if api_key and not any(key.lower() == "authorization" for key, _ in merged):
        merged += (("authorization", f"Bearer {api_key}"),)
    return merged


def parse_target(server: str) -> tuple[str, bool]:
    """``http://host:port`` → (``host:port``, insecure); ``https://`` → TLS; a bare
    ``host:port`` is plaintext."""
    if server.startswith("https://"):
        return server[len("https://") :].rstrip("/"), True
    if server.startswith("http://"):
        return server[len("http://") :].rstrip("/"), False
    return server.rstrip("/"), False


class _Base:
    def __init__(self, server: str, max_payload_bytes: int, call_timeout: float) -> None:
        self.server = server
        self.max_payload_bytes = max_payload_bytes
        self.call_timeout = call_timeout

    _metadata: tuple[tuple[str, str], ...]

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        """What every call sends: the ``metadata`` given and the API key's ``authorization``.
        Pass it as ``metadata=`` when calling a stub (``client.queue``, ``client.admin``, …)
        directly."""
        return self._metadata

    def _spec(self, queue: str, type: str, json: Any, options: dict[str, Any]) -> job_pb2.JobSpec:  # noqa: A002
        options.setdefault("max_payload_bytes", self.max_payload_bytes)
        return job_spec(queue, type, json, **options)

    def _check_specs(self, specs: Sequence[job_pb2.JobSpec]) -> None:
        for spec in specs:
            if len(spec.payload) > self.max_payload_bytes:
                raise PayloadTooLargeError(len(spec.payload), self.max_payload_bytes)

    @staticmethod
    def _reserve_request(
        queues: Sequence[str], max_jobs: int, wait: Seconds, lease: Seconds, worker_id: str
    ) -> worker_pb2.ReserveRequest:
        return worker_pb2.ReserveRequest(
            queues=list(queues),
            max_jobs=max_jobs,
            wait=to_duration(wait),
            lease=to_duration(lease),
            worker_id=worker_id,
        )

    @staticmethod
    def _fail_request(
        queue: str, job_id: str, lease_token: str, error: str, stack_trace: str, retryable: bool
    ) -> worker_pb2.FailRequest:
        request = worker_pb2.FailRequest(
            queue=queue, job_id=job_id, lease_token=lease_token, error=error, stack_trace=stack_trace
        )
        if not retryable:
            request.retryable = False
        return request


class Client(_Base):
    """A blocking client for the Zenith server.

    ``Client("http://127.0.0.1:7700")`` connects lazily; every failed call raises
    :class:`zenith.ZenithError` with the gRPC ``code``. Payloads over ``max_payload_bytes``
    (default 1 MiB, the server's default limit) are refused before anything is sent. Usable
    as a context manager; safe to share between threads.

    ``api_key`` (``zk_<id>_<secret>``) goes with every call as ``authorization: Bearer …``;
    when it is None the key is ``$ZENITH_API_KEY``, if set (``api_key=""`` sends none). A
    server with no API keys runs open and needs none.
    """

    def __init__(
        self,
        server: str = "http://127.0.0.1:7700",
        *,
        max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES,
        call_timeout: float = DEFAULT_CALL_TIMEOUT,
        metadata: Sequence[tuple[str, str]] = (),
        api_key: str | None = None,
    ) -> None:
        super().__init__(server, max_payload_bytes, call_timeout)
        target, tls = parse_target(server)
        self.channel: grpc.Channel = (
            grpc.secure_channel(target, grpc.ssl_channel_credentials(), _CHANNEL_OPTIONS)
            if tls
            else grpc.insecure_channel(target, _CHANNEL_OPTIONS)
        )
        self._metadata = call_metadata(metadata, api_key)
        self.queue = queue_pb2_grpc.QueueServiceStub(self.channel)
        self.worker = worker_pb2_grpc.WorkerServiceStub(self.channel)
        self.pulse = pulse_pb2_grpc.PulseServiceStub(self.channel)
        self.logs = logs_pb2_grpc.LogServiceStub(self.channel)
        self.admin = admin_pb2_grpc.AdminServiceStub(self.channel)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Closes the channel."""
        self.channel.close()

    def _call(self, method: Callable[..., T], request: Any, timeout: float | None = None) -> T:
        try:
            return method(
                request,
                timeout=timeout if timeout is not None else self.call_timeout,
                metadata=self._metadata or None,
            )
        except grpc.RpcError as error:
            raise ZenithError.from_rpc_error(error) from None

    # QueueService

    def enqueue(self, queue: str, type: str, json: Any = _UNSET, **options: Any) -> queue_pb2.EnqueueResponse:  # noqa: A002
        """Enqueues one job; see :func:`zenith.jobs.job_spec` for ``json`` and the options
        (``payload``, ``content_type``, ``id``, ``priority``, ``max_attempts``, ``timeout``,
        ``delay``, ``run_at``, ``unique_key``, ``unique_ttl``, ``tags``, ``headers``, …).
        Returns the response: ``.job`` and ``.duplicate``."""
        spec = self._spec(queue, type, json, options)
        return self._call(self.queue.Enqueue, queue_pb2.EnqueueRequest(job=spec))

    def batch_enqueue(self, specs: Iterable[job_pb2.JobSpec]) -> list[queue_pb2.EnqueuedJob]:
        """Enqueues many jobs (built with :func:`zenith.job_spec`) in one call; returns one
        ``EnqueuedJob`` (id, queue, state, duplicate) per spec, in order."""
        specs = list(specs)
        self._check_specs(specs)
        response = self._call(self.queue.BatchEnqueue, queue_pb2.BatchEnqueueRequest(jobs=specs))
        return list(response.jobs)

    def get_job(self, id: str, queue: str = "") -> job_pb2.Job:  # noqa: A002
        """The job with this id (from Redis, or the archive once it left Redis)."""
        return self._call(self.queue.GetJob, queue_pb2.GetJobRequest(id=id, queue=queue)).job

    def get_job_with_logs(self, id: str, queue: str = "") -> queue_pb2.GetJobResponse:  # noqa: A002
        """The job and its archived log lines."""
        request = queue_pb2.GetJobRequest(id=id, queue=queue, include_logs=True)
        return self._call(self.queue.GetJob, request)

    def cancel_job(self, id: str, queue: str = "", reason: str = "") -> queue_pb2.CancelJobResponse:  # noqa: A002
        """Cancels a job; an active one's worker is asked to stop."""
        request = queue_pb2.CancelJobRequest(id=id, queue=queue, reason=reason)
        return self._call(self.queue.CancelJob, request)

    # WorkerService

    def reserve(
        self,
        queues: Sequence[str],
        max_jobs: int = 1,
        *,
        wait: Seconds = 0,
        lease: Seconds = 30,
        worker_id: str = "",
    ) -> list[worker_pb2.ReservedJob]:
        """Reserves up to ``max_jobs`` jobs, long-polling up to ``wait`` seconds."""
        request = self._reserve_request(queues, max_jobs, wait, lease, worker_id)
        timeout = to_seconds(wait) + self.call_timeout
        return list(self._call(self.worker.Reserve, request, timeout).jobs)

    def ack(self, acks: Sequence[worker_pb2.JobAck]) -> int:
        """Acknowledges jobs; returns how many were acked."""
        return self._call(self.worker.Ack, worker_pb2.AckRequest(acks=list(acks))).acked

    def fail(
        self,
        queue: str,
        job_id: str,
        lease_token: str,
        error: str,
        stack_trace: str = "",
        *,
        retryable: bool = True,
    ) -> worker_pb2.FailResponse:
        """Reports a failed attempt."""
        request = self._fail_request(queue, job_id, lease_token, error, stack_trace, retryable)
        return self._call(self.worker.Fail, request)

    def extend_lease(
        self, queue: str, job_id: str, lease_token: str, extension: Seconds = 30
    ) -> worker_pb2.ExtendLeaseResponse:
        """Pushes a lease's deadline out (never past the job's timeout)."""
        request = worker_pb2.ExtendLeaseRequest(
            queue=queue, job_id=job_id, lease_token=lease_token, extension=to_duration(extension)
        )
        return self._call(self.worker.ExtendLease, request)

    # PulseService and LogService

    def beat(self, beat: pulse_pb2.BeatPayload, timeout: float | None = None) -> pulse_pb2.BeatResponse:
        """Sends one pulse beat."""
        return self._call(self.pulse.Beat, pulse_pb2.BeatRequest(beat=beat), timeout)

    def list_nodes(self, service: str = "", language: str = "") -> list[pulse_pb2.Node]:
        """Every node (first page of up to 1,000), optionally of one service or language."""
        request = pulse_pb2.ListNodesRequest(service=service, language=language)
        response = self._call(self.pulse.ListNodes, request)
        return [node for group in response.services for node in group.nodes]

    def get_node(self, node_id: str) -> pulse_pb2.Node:
        return self._call(self.pulse.GetNode, pulse_pb2.GetNodeRequest(node_id=node_id)).node

    def quiet_node(self, node_id: str, quiet: bool = True) -> pulse_pb2.Node:
        request = pulse_pb2.QuietNodeRequest(node_id=node_id, quiet=quiet)
        return self._call(self.pulse.QuietNode, request).node

    def write_logs(self, records: Sequence[logs_pb2.LogRecord]) -> logs_pb2.WriteLogsResponse:
        return self._call(self.logs.WriteLogs, logs_pb2.WriteLogsRequest(records=list(records)))

    def search_logs(self, request: logs_pb2.SearchLogsRequest) -> logs_pb2.SearchLogsResponse:
        return self._call(self.logs.SearchLogs, request)

    # AdminService (``self.admin`` is the stub for the other calls)

    def who_am_i(self) -> admin_pb2.WhoAmIResponse:
        """Who the server takes this client for: its key and role, or ``open`` (no keys)."""
        return self._call(self.admin.WhoAmI, admin_pb2.WhoAmIRequest())


class AsyncClient(_Base):
    """The asyncio (``grpc.aio``) twin of :class:`Client`: same methods and options (``api_key``
    too), as coroutines.

    Create it inside the event loop that uses it.
    """

    def __init__(
        self,
        server: str = "http://127.0.0.1:7700",
        *,
        max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES,
        call_timeout: float = DEFAULT_CALL_TIMEOUT,
        metadata: Sequence[tuple[str, str]] = (),
        api_key: str | None = None,
    ) -> None:
        super().__init__(server, max_payload_bytes, call_timeout)
        target, tls = parse_target(server)
        self.channel: grpc.aio.Channel = (
            grpc.aio.secure_channel(target, grpc.ssl_channel_credentials(), _CHANNEL_OPTIONS)
            if tls
            else grpc.aio.insecure_channel(target, _CHANNEL_OPTIONS)
        )
        self._metadata = call_metadata(metadata, api_key)
        self.queue = queue_pb2_grpc.QueueServiceStub(self.channel)
        self.worker = worker_pb2_grpc.WorkerServiceStub(self.channel)
        self.pulse = pulse_pb2_grpc.PulseServiceStub(self.channel)
        self.logs = logs_pb2_grpc.LogServiceStub(self.channel)
        self.admin = admin_pb2_grpc.AdminServiceStub(self.channel)

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self.channel.close()

    async def _call(self, method: Callable[..., Any], request: Any, timeout: float | None = None) -> Any:
        try:
            return await method(
                request,
                timeout=timeout if timeout is not None else self.call_timeout,
                metadata=self._metadata or None,
            )
        except grpc.RpcError as error:
            raise ZenithError.from_rpc_error(error) from None

    async def enqueue(self, queue: str, type: str, json: Any = _UNSET, **options: Any) -> queue_pb2.EnqueueResponse:  # noqa: A002
        """See :meth:`Client.enqueue`."""
        spec = self._spec(queue, type, json, options)
        return await self._call(self.queue.Enqueue, queue_pb2.EnqueueRequest(job=spec))

    async def batch_enqueue(self, specs: Iterable[job_pb2.JobSpec]) -> list[queue_pb2.EnqueuedJob]:
        """See :meth:`Client.batch_enqueue`."""
        specs = list(specs)
        self._check_specs(specs)
        response = await self._call(self.queue.BatchEnqueue, queue_pb2.BatchEnqueueRequest(jobs=specs))
        return list(response.jobs)

    async def get_job(self, id: str, queue: str = "") -> job_pb2.Job:  # noqa: A002
        response = await self._call(self.queue.GetJob, queue_pb2.GetJobRequest(id=id, queue=queue))
        return response.job

    async def cancel_job(self, id: str, queue: str = "", reason: str = "") -> queue_pb2.CancelJobResponse:  # noqa: A002
        request = queue_pb2.CancelJobRequest(id=id, queue=queue, reason=reason)
        return await self._call(self.queue.CancelJob, request)

    async def reserve(
        self,
        queues: Sequence[str],
        max_jobs: int = 1,
        *,
        wait: Seconds = 0,
        lease: Seconds = 30,
        worker_id: str = "",
    ) -> list[worker_pb2.ReservedJob]:
        request = self._reserve_request(queues, max_jobs, wait, lease, worker_id)
        response = await self._call(self.worker.Reserve, request, to_seconds(wait) + self.call_timeout)
        return list(response.jobs)

    async def ack(self, acks: Sequence[worker_pb2.JobAck]) -> int:
        response = await self._call(self.worker.Ack, worker_pb2.AckRequest(acks=list(acks)))
        return int(response.acked)

    async def fail(
        self,
        queue: str,
        job_id: str,
        lease_token: str,
        error: str,
        stack_trace: str = "",
        *,
        retryable: bool = True,
    ) -> worker_pb2.FailResponse:
        request = self._fail_request(queue, job_id, lease_token, error, stack_trace, retryable)
        return await self._call(self.worker.Fail, request)

    async def extend_lease(
        self, queue: str, job_id: str, lease_token: str, extension: Seconds = 30
    ) -> worker_pb2.ExtendLeaseResponse:
        request = worker_pb2.ExtendLeaseRequest(
            queue=queue, job_id=job_id, lease_token=lease_token, extension=to_duration(extension)
        )
        return await self._call(self.worker.ExtendLease, request)

    async def beat(self, beat: pulse_pb2.BeatPayload) -> pulse_pb2.BeatResponse:
        return await self._call(self.pulse.Beat, pulse_pb2.BeatRequest(beat=beat))

    async def list_nodes(self, service: str = "", language: str = "") -> list[pulse_pb2.Node]:
        request = pulse_pb2.ListNodesRequest(service=service, language=language)
        response = await self._call(self.pulse.ListNodes, request)
        return [node for group in response.services for node in group.nodes]

    async def write_logs(self, records: Sequence[logs_pb2.LogRecord]) -> logs_pb2.WriteLogsResponse:
        return await self._call(self.logs.WriteLogs, logs_pb2.WriteLogsRequest(records=list(records)))

    async def who_am_i(self) -> admin_pb2.WhoAmIResponse:
        """See :meth:`Client.who_am_i`."""
        return await self._call(self.admin.WhoAmI, admin_pb2.WhoAmIRequest())
