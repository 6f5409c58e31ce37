"""The threaded worker."""

from __future__ import annotations

import contextvars
import queue as _queue
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
from zenith.client import Client
from zenith.context import CancellationToken, JobContext
from zenith.errors import PayloadTooLargeError, ZenithError
from zenith.logs import current_job
from zenith.pulse import DEFAULT_INTERVAL, Pulse
from zenith.v1 import pulse_pb2, worker_pb2

__all__ = ["Worker"]

_ACK_LINGER = 0.01
_MAX_ACK_BATCH = 1000


class _Acker:
    """Acks completed jobs in batches from a background thread."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.queue: _queue.Queue[worker_pb2.JobAck | None] = _queue.Queue()
        self.thread = threading.Thread(target=self._run, name="zenith-acker", daemon=True)
        self.thread.start()

    def send(self, ack: worker_pb2.JobAck) -> None:
        self.queue.put(ack)

    def stop(self) -> None:
        """Sends what is queued, then stops."""
        self.queue.put(None)
        self.thread.join()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            item = self.queue.get()
            if item is None:
                break
            batch = [item]
            time.sleep(_ACK_LINGER)  # let acks of jobs finishing right now join the batch
            while len(batch) < _MAX_ACK_BATCH:
                try:
                    item = self.queue.get_nowait()
                except _queue.Empty:
                    break
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            self._flush(batch)

    def _flush(self, batch: list[worker_pb2.JobAck]) -> None:
        backoff = Backoff()
        for _ in range(10):
            try:
                acked = self.client.ack(batch)
                log.debug("acked %d of %d jobs", acked, len(batch))
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
                time.sleep(delay)
        log.error("giving up on an ack batch of %d; its jobs will be redelivered", len(batch))


class _Running:
    def __init__(self, context: JobContext) -> None:
        self.context = context
        self.wake = threading.Event()
        self.beat_cancel: str | None = None


class Worker(WorkerSettings):
    """Runs handlers for reserved jobs on threads.

    ::

        worker = zenith.Worker("http://127.0.0.1:7700", queues=["emails"], service="mailer")

        @worker.handler("send_welcome")
        def send_welcome(job: zenith.JobContext) -> dict:
            ...  # poll job.is_cancelled / job.token.wait() in long work
            return {"sent": True}  # becomes the job's result (JSON)

        worker.run()  # until SIGTERM/SIGINT or worker.stop()

    It reserves in batches (as many jobs as free slots, long-polling ``wait`` seconds), acks
    in batches, extends each lease every third of its length while the handler runs, and sets
    the job's cancellation token when the job's timeout passes, the lease is lost or an
    operator cancels the job; the handler then has ``cancel_grace`` seconds to return before
    it is abandoned. An exception fails the attempt with its message and stack trace
    (``JobError(..., retryable=False)`` skips retries); an unknown job type fails without
    retry unless ``fallback`` is set. :meth:`stop` (or SIGTERM/SIGINT) stops reserving, lets
    running jobs finish, acks them and beats ``quiet``. An unreachable server is retried with
    backoff; a refused API key (``UNAUTHENTICATED``, ``PERMISSION_DENIED``) stops the worker.

    Given a server URL, the worker makes its own :class:`Client` with ``api_key`` (None:
    ``$ZENITH_API_KEY``); given a client, it uses that client's key.
    """

    def __init__(
        self,
        client: Client | str,
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
        if api_key is not None and not isinstance(client, str):
            raise ValueError("api_key goes with a server URL; a Client brings its own (Client(..., api_key=...))")
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
        self._owns_client = isinstance(client, str)
        self.client = Client(client, api_key=api_key) if isinstance(client, str) else client
        self.pulse: Pulse | None = (
            Pulse(
                self.client,
                identity=self.identity,
                interval=pulse_interval,
                queues=self.queues,
                on_cancel=self._cancel_by_beat,
            )
            if pulse
            else None
        )
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._running: dict[tuple[str, str], _Running] = {}
        self._threads: set[threading.Thread] = set()
        self._acker: _Acker | None = None
        self._ran = False

    # Control

    def stop(self) -> None:
        """Asks the worker to shut down gracefully; safe from any thread or signal handler."""
        self._stopping.set()
        self._wake.set()

    @property
    def running_jobs(self) -> int:
        with self._lock:
            return len(self._running)

    def start(self) -> threading.Thread:
        """Runs :meth:`run` in a background thread (no signal handlers) and returns it."""
        self.install_signal_handlers = False
        thread = threading.Thread(target=self.run, name="zenith-worker", daemon=True)
        thread.start()
        return thread

    def run(self) -> None:
        """Works until :meth:`stop` or SIGTERM/SIGINT, then shuts down gracefully."""
        if self._ran:
            raise RuntimeError("a worker runs once; make a new one")
        self._ran = True
        previous: dict[signal.Signals, Any] = {}
        if self.install_signal_handlers and threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                previous[signum] = signal.signal(signum, lambda *_: self.stop())
        self._acker = _Acker(self.client)
        if self.pulse is not None:
            self.pulse.start()
        log.info("worker %s taking jobs from %s", self.identity.node_id, ", ".join(self.queues))
        try:
            self._reserve_loop()
        finally:
            log.info("worker shutting down: waiting for %d running jobs", self.running_jobs)
            if self.pulse is not None:
                self.pulse.quiet = True
            for thread in list(self._threads):
                thread.join()
            self._acker.stop()
            if self.pulse is not None:
                self.pulse.stop()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            if self._owns_client:
                self.client.close()
            log.info("worker stopped")

    # Reserving

    def _reserve_loop(self) -> None:
        backoff = Backoff(0.1, 5.0)
        unreachable = False
        while not self._stopping.is_set():
            if self.pulse is not None and self.pulse.quiet_requested:
                self._stopping.wait(0.5)
                continue
            self._wake.clear()
            free = self.concurrency - self.running_jobs
            if free <= 0:
                self._wake.wait(1.0)
                continue
            try:
                jobs = self._reserve(free)
            except ZenithError as error:
                if error.code in FATAL_CODES:
                    log.error("reserve refused: %s; stopping", error)
                    raise
                delay = backoff.next_delay()
                level = log.warning if not unreachable or backoff.attempt % 10 == 1 else log.debug
                level("reserve failed (%s); server unreachable? retrying in %.1fs", error, delay)
                unreachable = True
                self._stopping.wait(delay)
                continue
            if unreachable:
                log.info("server reachable again; reserving")
                unreachable = False
            backoff.reset()
            for reserved in jobs:
                self._start_job(reserved)

    def _reserve(self, free: int) -> list[worker_pb2.ReservedJob]:
        # A reserve in flight is never cut short by stop(): the jobs it reserved would sit
        # leased to nobody until their lease ran out. Stopping waits at most `wait` for it,
        # and runs what it brought.
        return self.client.reserve(
            self.queues, min(free, 1000), wait=self.wait, lease=self.lease, worker_id=self.worker_id
        )

    def _start_job(self, reserved: worker_pb2.ReservedJob) -> None:
        context = JobContext(reserved.job, reserved.lease_token, CancellationToken())
        running = _Running(context)
        with self._lock:
            self._running[(reserved.job.queue, reserved.job.id)] = running
        thread = threading.Thread(
            target=self._supervise, args=(reserved, running), name=f"zenith-job-{reserved.job.id}", daemon=True
        )
        self._threads.add(thread)
        thread.start()

    def _cancel_by_beat(self, queue: str, job_id: str, reason: str) -> None:
        with self._lock:
            running = self._running.get((queue, job_id))
        if running is not None:
            running.beat_cancel = reason
            running.wake.set()

    # Running one job

    def _supervise(self, reserved: worker_pb2.ReservedJob, running: _Running) -> None:
        job = reserved.job
        context = running.context
        try:
            handler = self.lookup(job.type)
            if handler is None:
                self._fail(context, Failure(f"no handler for job type {job.type!r}", "", False))
                return
            if self.pulse is not None:
                self.pulse.track_job(job.queue, job.id, reserved.lease_token)
            outcome: dict[str, Any] = {}
            done = threading.Event()

            def call() -> None:
                current_job.set((job.queue, job.id))
                try:
                    outcome["result"] = handler(context)
                except BaseException as error:  # noqa: BLE001 - every exception fails the attempt
                    outcome["error"] = error
                finally:
                    done.set()
                    running.wake.set()

            thread = threading.Thread(
                target=contextvars.copy_context().run, args=(call,), name=f"zenith-handler-{job.id}", daemon=True
            )
            thread.start()
            end = self._keep_lease(reserved, running, done)
            if end is not None:
                kind, reason = end
                context.token.cancel(reason)
                if not done.wait(self.cancel_grace):
                    log.warning("handler of job %s ignored cancellation; abandoning it", job.id)
                if kind == "lost":
                    log.warning("lease of job %s lost (%s); job abandoned", job.id, reason)
                else:
                    self._fail(context, Failure(reason, ""))
                return
            if "error" in outcome:
                self._fail(context, Failure.from_exception(outcome["error"]))
                return
            try:
                result = encode_result(outcome.get("result"), self.client.max_payload_bytes)
            except (PayloadTooLargeError, TypeError, ValueError) as error:
                self._fail(context, Failure(f"result not sent: {error}", "", False))
                return
            assert self._acker is not None
            self._acker.send(
                worker_pb2.JobAck(queue=job.queue, job_id=job.id, lease_token=reserved.lease_token, result=result)
            )
        except Exception:  # noqa: BLE001 - a bug here must not kill the worker
            log.exception("supervising job %s failed", job.id)
        finally:
            if self.pulse is not None:
                self.pulse.untrack_job(job.queue, job.id)
            with self._lock:
                self._running.pop((job.queue, job.id), None)
            self._threads.discard(threading.current_thread())
            self._wake.set()

    def _keep_lease(
        self, reserved: worker_pb2.ReservedJob, running: _Running, done: threading.Event
    ) -> tuple[str, str] | None:
        """Extends the lease until the handler is done (returns None) or the attempt must end:
        ("timeout" | "cancelled" | "lost", message)."""
        job = reserved.job
        received = time.monotonic()
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
            now = time.monotonic()
            wake_at = min(x for x in (hard_deadline, None if capped else next_extend, now + 3600) if x is not None)
            running.wake.wait(max(0.0, wake_at - now))
            if done.is_set():
                return None
            if running.beat_cancel is not None:
                return "cancelled", _cancel_message(running.beat_cancel)
            now = time.monotonic()
            if hard_deadline is not None and now >= hard_deadline:
                return "timeout", f"timed out after {timeout or self.lease:g}s"
            if capped or now < next_extend:
                continue
            try:
                response = self.client.extend_lease(job.queue, job.id, reserved.lease_token, self.lease)
            except ZenithError as error:
                if error.code in (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.NOT_FOUND):
                    return "lost", str(error)
                if time.monotonic() >= lease_until:
                    return "lost", f"lease ran out while extending failed: {error}"
                log.warning("extending the lease of job %s failed (%s); retrying", job.id, error)
                next_extend = time.monotonic() + min(interval, 1.0)
                continue
            if response.cancel_requested:
                return "cancelled", _cancel_message(response.cancel_reason)
            lease_until = now + (from_timestamp(response.lease_deadline) - time.time())
            next_extend = now + interval
            if response.capped:
                capped = True
                hard_deadline = lease_until if hard_deadline is None else min(hard_deadline, lease_until)

    def _fail(self, context: JobContext, failure: Failure) -> None:
        backoff = Backoff()
        for _ in range(10):
            try:
                response = self.client.fail(
                    context.queue,
                    context.id,
                    context.lease_token,
                    truncate(failure.message, MAX_ERROR_BYTES),
                    truncate(failure.stack_trace, MAX_STACK_TRACE_BYTES),
                    retryable=failure.retryable,
                )
                state = worker_pb2.FailResponse.DESCRIPTOR.fields_by_name["state"].enum_type
                name = state.values_by_number[response.state].name.removeprefix("JOB_STATE_").lower()
                log.info("job %s failed (%s): %s", context.id, name, failure.message)
                return
            except ZenithError as error:
                if error.code == grpc.StatusCode.FAILED_PRECONDITION:
                    log.warning("job %s: lease stale when failing it: %s", context.id, error)
                    return
                if not error.is_transient:
                    log.error("fail of job %s refused: %s", context.id, error)
                    return
                delay = backoff.next_delay()
                log.warning("fail of job %s did not reach the server (%s); retrying", context.id, error)
                time.sleep(delay)
        log.error("giving up reporting the failure of job %s; its lease will run out", context.id)


def _cancel_message(reason: str) -> str:
    return f"cancelled by an operator: {reason}" if reason else "cancelled by an operator"
