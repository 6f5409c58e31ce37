"""The asyncio worker."""

from __future__ import annotations

import asyncio
import inspect
import signal
import threading
import time
from typing import Any, Callable, Mapping, Sequence

import grpc

from zenith._convert import from_duration, from_timestamp
from zenith._workercommon import (
    FATAL_CODES,
    MAX_ERROR_BYTES,
    MAX_STACK_TRACE_BYTES,
    Backoff,
    Failure,
    WorkerSettings,
    encode_result,
    log,
    truncate,
)
from zenith.client import AsyncClient, Client
from zenith.context import CancellationToken, JobContext
from zenith.errors import PayloadTooLargeError, ZenithError
from zenith.logs import current_job
from zenith.pulse import DEFAULT_INTERVAL, Pulse
from zenith.v1 import pulse_pb2, worker_pb2

__all__ = ["AsyncWorker"]

_MAX_ACK_BATCH = 1000


class _Running:
    def __init__(self, context: JobContext) -> None:
        self.context = context
        self.wake = asyncio.Event()
        self.beat_cancel: str | None = None


class AsyncWorker(WorkerSettings):
    """The asyncio twin of :class:`zenith.Worker`.

    Handlers may be ``async def`` (run as tasks) or plain functions (run in a thread with
    ``asyncio.to_thread``)::

        worker = zenith.AsyncWorker("http://127.0.0.1:7700", queues=["emails"], service="mailer")

        @worker.handler("send_welcome")
        async def send_welcome(job: zenith.JobContext) -> dict:
            await asyncio.sleep(1)  # or: await job.token.cancelled()
            return {"sent": True}

        await worker.run()  # until SIGTERM/SIGINT or worker.stop()

    Semantics match :class:`zenith.Worker`. Cancellation (operator cancel, timeout, lost
    lease) sets the job's token at once; a handler still running ``cancel_grace`` seconds
    later is cancelled with ``Task.cancel()`` (``asyncio.CancelledError`` inside it). The
    pulse agent beats from a thread over its own blocking channel, with the same API key.
    """

    def __init__(
        self,
        server: AsyncClient | str,
        queues: Sequence[str],
        *,
        handlers: Mapping[str, Callable[[JobContext], Any]] | None = None,
        fallback: Callable[[JobContext], Any] | None = None,
        concurrency: int = 10,
        lease: float = 30.0,
        wait: float = 5.0,
        cancel_grace: float = 5.0,
        service: str = "",
        identity: pulse_pb2.NodeIdentity | None = None,
        pulse: bool = True,
        pulse_interval: float = DEFAULT_INTERVAL,
        worker_id: str = "",
        install_signal_handlers: bool = True,
        api_key: str | None = None,
    ) -> None:
        if api_key is not None and not isinstance(server, str):
            raise ValueError("api_key goes with a server URL; an AsyncClient brings its own (AsyncClient(..., api_key=...))")
        super().__init__(
            handlers,
            fallback,
            queues=queues,
            concurrency=concurrency,
            lease=lease,
            wait=wait,
            cancel_grace=cancel_grace,
            service=service,
            identity=identity,
            worker_id=worker_id,
            install_signal_handlers=install_signal_handlers,
        )
        self._server = server
        self._api_key = api_key
        self.client: AsyncClient | None = server if isinstance(server, AsyncClient) else None
        self.pulse_enabled = pulse
        self.pulse_interval = pulse_interval
        self.pulse: Pulse | None = None
        self._stopping: asyncio.Event | None = None
        self._slot_free: asyncio.Event | None = None
        self._running: dict[tuple[str, str], _Running] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._acks: asyncio.Queue[worker_pb2.JobAck | None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_requested = False
        self._ran = False

    def stop(self) -> None:
        """Asks the worker to shut down gracefully; safe from any thread."""
        self._stop_requested = True
        if self._loop is not None and self._stopping is not None:
            try:
                self._loop.call_soon_threadsafe(self._stopping.set)
            except RuntimeError:
                pass

    @property
    def running_jobs(self) -> int:
        return len(self._running)

    async def run(self) -> None:
        """Works until :meth:`stop` or SIGTERM/SIGINT, then shuts down gracefully."""
        if self._ran:
            raise RuntimeError("a worker runs once; make a new one")
        self._ran = True
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        if self._stop_requested:
            self._stopping.set()
        self._slot_free = asyncio.Event()
        self._acks = asyncio.Queue()
        owns_client = self.client is None
        if self.client is None:
            self.client = AsyncClient(str(self._server), api_key=self._api_key)
        client = self.client
        sync_client: Client | None = None
        if self.pulse_enabled:
            sync_client = Client(
                client.server,
                max_payload_bytes=client.max_payload_bytes,
                call_timeout=client.call_timeout,
                metadata=client._metadata,  # the async client's API key included
                api_key="",
            )
            self.pulse = Pulse(
                sync_client,
                identity=self.identity,
                interval=self.pulse_interval,
                queues=self.queues,
                on_cancel=self._cancel_by_beat_threadsafe,
            )
            self.pulse.start()
        installed: list[signal.Signals] = []
        if self.install_signal_handlers and threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                try:
                    self._loop.add_signal_handler(signum, self._stopping.set)
                    installed.append(signum)
                except (NotImplementedError, RuntimeError):
                    pass
        acker = asyncio.create_task(self._ack_loop(client))
        log.info("worker %s taking jobs from %s", self.identity.node_id, ", ".join(self.queues))
        try:
            await self._reserve_loop(client)
        finally:
            log.info("worker shutting down: waiting for %d running jobs", len(self._running))
            if self.pulse is not None:
                self.pulse.quiet = True
            if self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)
            await self._acks.put(None)
            await acker
            if self.pulse is not None:
                await asyncio.to_thread(self.pulse.stop)
            if sync_client is not None:
                sync_client.close()
            for signum in installed:
                self._loop.remove_signal_handler(signum)
            if owns_client:
                await client.close()
            log.info("worker stopped")

    async def _reserve_loop(self, client: AsyncClient) -> None:
        assert self._stopping is not None and self._slot_free is not None
        backoff = Backoff(0.1, 5.0)
        unreachable = False
        stopping = asyncio.create_task(self._stopping.wait())
        try:
            while not self._stopping.is_set():
                if self.pulse is not None and self.pulse.quiet_requested:
                    await asyncio.wait({stopping}, timeout=0.5)
                    continue
                free = self.concurrency - len(self._running)
                if free <= 0:
                    self._slot_free.clear()
                    slot = asyncio.create_task(self._slot_free.wait())
                    await asyncio.wait({stopping, slot}, timeout=1.0, return_when=asyncio.FIRST_COMPLETED)
                    slot.cancel()
                    continue
                # A reserve in flight is never cut short by stop(): the jobs it reserved would
                # sit leased to nobody until their lease ran out. Stopping waits at most `wait`
                # for it, and runs what it brought.
                try:
                    jobs = await client.reserve(
                        self.queues, min(free, 1000), wait=self.wait, lease=self.lease, worker_id=self.worker_id
                    )
                except ZenithError as error:
                    if error.code in FATAL_CODES:
                        log.error("reserve refused: %s; stopping", error)
                        raise
                    delay = backoff.next_delay()
                    level = log.warning if not unreachable or backoff.attempt % 10 == 1 else log.debug
                    level("reserve failed (%s); server unreachable? retrying in %.1fs", error, delay)
                    unreachable = True
                    await asyncio.wait({stopping}, timeout=delay)
                    continue
                if unreachable:
                    log.info("server reachable again; reserving")
                    unreachable = False
                backoff.reset()
                for reserved in jobs:
                    self._start_job(client, reserved)
        finally:
            stopping.cancel()

    def _start_job(self, client: AsyncClient, reserved: worker_pb2.ReservedJob) -> None:
        context = JobContext(reserved.job, reserved.lease_token, CancellationToken())
        running = _Running(context)
        self._running[(reserved.job.queue, reserved.job.id)] = running
        task = asyncio.create_task(self._supervise(client, reserved, running))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _cancel_by_beat_threadsafe(self, queue: str, job_id: str, reason: str) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._cancel_by_beat, queue, job_id, reason)

    def _cancel_by_beat(self, queue: str, job_id: str, reason: str) -> None:
        running = self._running.get((queue, job_id))
        if running is not None:
            running.beat_cancel = reason
            running.wake.set()

    async def _call_handler(self, handler: Callable[[JobContext], Any], context: JobContext) -> Any:
        current_job.set((context.queue, context.id))
        if inspect.iscoroutinefunction(handler):
            return await handler(context)
        result = await asyncio.to_thread(handler, context)
        if inspect.isawaitable(result):
            result = await result
        return result

    async def _supervise(self, client: AsyncClient, reserved: worker_pb2.ReservedJob, running: _Running) -> None:
        job = reserved.job
        context = running.context
        try:
            handler = self.lookup(job.type)
            if handler is None:
                await self._fail(client, context, Failure(f"no handler for job type {job.type!r}", "", False))
                return
            if self.pulse is not None:
                self.pulse.track_job(job.queue, job.id, reserved.lease_token)
            task = asyncio.create_task(self._call_handler(handler, context))
            task.add_done_callback(lambda _: running.wake.set())
            end = await self._keep_lease(client, reserved, running, task)
            if end is not None:
                kind, reason = end
                context.token.cancel(reason)
                await asyncio.wait({task}, timeout=self.cancel_grace)
                if not task.done():
                    log.warning("handler of job %s still running after cancellation; cancelling its task", job.id)
                    task.cancel()
                    await asyncio.wait({task}, timeout=1.0)
                if task.done() and not task.cancelled():
                    task.exception()  # retrieved: the attempt ends as cancelled whatever it did
                if kind == "lost":
                    log.warning("lease of job %s lost (%s); job abandoned", job.id, reason)
                else:
                    await self._fail(client, context, Failure(reason, ""))
                return
            if task.cancelled():
                await self._fail(client, context, Failure("handler was cancelled", ""))
                return
            error = task.exception()
            if error is not None:
                await self._fail(client, context, Failure.from_exception(error))
                return
            try:
                result = encode_result(task.result(), client.max_payload_bytes)
            except (PayloadTooLargeError, TypeError, ValueError) as problem:
                await self._fail(client, context, Failure(f"result not sent: {problem}", "", False))
                return
            assert self._acks is not None
            await self._acks.put(
                worker_pb2.JobAck(queue=job.queue, job_id=job.id, lease_token=reserved.lease_token, result=result)
            )
        except Exception:  # noqa: BLE001 - a bug here must not kill the worker
            log.exception("supervising job %s failed", job.id)
        finally:
            if self.pulse is not None:
                self.pulse.untrack_job(job.queue, job.id)
            self._running.pop((job.queue, job.id), None)
            if self._slot_free is not None:
                self._slot_free.set()

    async def _keep_lease(
        self,
        client: AsyncClient,
        reserved: worker_pb2.ReservedJob,
        running: _Running,
        task: asyncio.Task[Any],
    ) -> tuple[str, str] | None:
        job = reserved.job
        loop = asyncio.get_running_loop()
        received = loop.time()
        interval = self.lease / 3
        timeout = from_duration(job.timeout) if job.HasField("timeout") else 0.0
        hard_deadline = received + timeout if timeout > 0 else None
        if reserved.HasField("lease_deadline"):
            lease_until = received + (from_timestamp(reserved.lease_deadline) - time.time())
        else:
            lease_until = received + self.lease
        next_extend = received + interval
        capped = False
        while True:
            now = loop.time()
            wake_at = min(x for x in (hard_deadline, None if capped else next_extend, now + 3600) if x is not None)
            try:
                await asyncio.wait_for(running.wake.wait(), max(0.0, wake_at - now))
            except asyncio.TimeoutError:
                pass
            if task.done():
                return None
            if running.beat_cancel is not None:
                return "cancelled", _cancel_message(running.beat_cancel)
            now = loop.time()
            if hard_deadline is not None and now >= hard_deadline:
                return "timeout", f"timed out after {timeout or self.lease:g}s"
            if capped or now < next_extend:
                continue
            try:
                response = await client.extend_lease(job.queue, job.id, reserved.lease_token, self.lease)
            except ZenithError as error:
                if error.code in (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.NOT_FOUND):
                    return "lost", str(error)
                if loop.time() >= lease_until:
                    return "lost", f"lease ran out while extending failed: {error}"
                log.warning("extending the lease of job %s failed (%s); retrying", job.id, error)
                next_extend = loop.time() + min(interval, 1.0)
                continue
            if response.cancel_requested:
                return "cancelled", _cancel_message(response.cancel_reason)
            lease_until = now + (from_timestamp(response.lease_deadline) - time.time())
            next_extend = now + interval
            if response.capped:
                capped = True
                hard_deadline = lease_until if hard_deadline is None else min(hard_deadline, lease_until)

    async def _ack_loop(self, client: AsyncClient) -> None:
        assert self._acks is not None
        stopping = False
        while not stopping:
            item = await self._acks.get()
            if item is None:
                break
            batch = [item]
            await asyncio.sleep(0.01)
            while len(batch) < _MAX_ACK_BATCH and not self._acks.empty():
                item = self._acks.get_nowait()
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            await self._flush_acks(client, batch)

    async def _flush_acks(self, client: AsyncClient, batch: list[worker_pb2.JobAck]) -> None:
        backoff = Backoff()
        for _ in range(10):
            try:
                await client.ack(batch)
                return
            except ZenithError as error:
                if error.code == grpc.StatusCode.FAILED_PRECONDITION:
                    log.warning("stale leases in ack batch of %d: %s", len(batch), error)
                    return
                if not error.is_transient:
                    log.error("ack of %d jobs refused: %s", len(batch), error)
                    return
                delay = backoff.next_delay()
                log.warning("ack failed (%s); retrying in %.1fs", error, delay)
                await asyncio.sleep(delay)
        log.error("giving up on an ack batch of %d; its jobs will be redelivered", len(batch))

    async def _fail(self, client: AsyncClient, context: JobContext, failure: Failure) -> None:
        backoff = Backoff()
        for _ in range(10):
            try:
                await client.fail(
                    context.queue,
                    context.id,
                    context.lease_token,
                    truncate(failure.message, MAX_ERROR_BYTES),
                    truncate(failure.stack_trace, MAX_STACK_TRACE_BYTES),
                    retryable=failure.retryable,
                )
                log.info("job %s failed: %s", context.id, failure.message)
                return
            except ZenithError as error:
                if error.code == grpc.StatusCode.FAILED_PRECONDITION:
                    log.warning("job %s: lease stale when failing it: %s", context.id, error)
                    return
                if not error.is_transient:
                    log.error("fail of job %s refused: %s", context.id, error)
                    return
                log.warning("fail of job %s did not reach the server (%s); retrying", context.id, error)
                await asyncio.sleep(backoff.next_delay())
        log.error("giving up reporting the failure of job %s; its lease will run out", context.id)


def _cancel_message(reason: str) -> str:
    return f"cancelled by an operator: {reason}" if reason else "cancelled by an operator"
