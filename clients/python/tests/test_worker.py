"""Both workers (threaded and asyncio) against a real server."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import uuid
from typing import Any, Callable

import pytest

import zenith
from zenith.v1 import job_pb2, logs_pb2

from conftest import Server, free_port, wait_for

KINDS = ["threaded", "asyncio"]


class Background:
    """Runs a Worker or AsyncWorker in a background thread."""

    def __init__(self, kind: str, url: str, queue: str, handlers: dict[str, Callable[..., Any]], **options: Any) -> None:
        options.setdefault("pulse_interval", 1.0)
        options.setdefault("wait", 1.0)
        options.setdefault("install_signal_handlers", False)
        self.kind = kind
        self.error: BaseException | None = None
        if kind == "threaded":
            self.worker: Any = zenith.Worker(url, [queue], handlers=handlers, **options)
            target = self.worker.run
        else:
            self.worker = zenith.AsyncWorker(url, [queue], handlers=handlers, **options)

            def target() -> None:
                asyncio.run(self.worker.run())

        def guarded() -> None:
            try:
                target()
            except BaseException as error:  # noqa: BLE001
                self.error = error

        self.thread = threading.Thread(target=guarded, daemon=True)
        self.thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        self.worker.stop()
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "worker did not stop"
        assert self.error is None, f"worker failed: {self.error!r}"


def state_of(client: zenith.Client, job_id: str) -> int:
    return client.get_job(job_id).state


def finished(client: zenith.Client, job_id: str) -> job_pb2.Job | None:
    job = client.get_job(job_id)
    if job.state in (job_pb2.JOB_STATE_COMPLETED, job_pb2.JOB_STATE_DEAD, job_pb2.JOB_STATE_CANCELLED):
        return job
    return None


@pytest.mark.parametrize("kind", KINDS)
def test_worker_acks_jobs_with_results(kind: str, server: Server, client: zenith.Client, queue: str) -> None:
    if kind == "threaded":

        def handle(job: zenith.JobContext) -> Any:
            return {"n": job.json()["n"], "kind": kind}

    else:

        async def handle(job: zenith.JobContext) -> Any:  # type: ignore[misc]
            await asyncio.sleep(0.01)
            return {"n": job.json()["n"], "kind": kind}

    ids = [enqueued.id for enqueued in client.batch_enqueue(zenith.job_spec(queue, "add", {"n": n}) for n in range(8))]
    worker = Background(kind, server.url, queue, {"add": handle}, concurrency=4)
    try:
        for n, job_id in enumerate(ids):
            job = wait_for(lambda: finished(client, job_id))
            assert job.state == job_pb2.JOB_STATE_COMPLETED
            assert json.loads(job.result) == {"n": n, "kind": kind}
    finally:
        worker.stop()


def test_handlers_see_the_job_headers_to_continue_its_trace(server: Server, client: zenith.Client, queue: str) -> None:
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    job_id = client.enqueue(queue, "traced", headers={"traceparent": traceparent}).job.id
    seen: list[dict[str, str]] = []

    def traced(job: zenith.JobContext) -> None:
        seen.append(job.headers)

    worker = Background("threaded", server.url, queue, {"traced": traced})
    try:
        assert wait_for(lambda: finished(client, job_id)).state == job_pb2.JOB_STATE_COMPLETED
        assert seen == [{"traceparent": traceparent}]
    finally:
        worker.stop()


@pytest.mark.parametrize("kind", KINDS)
def test_exception_fails_the_attempt_and_the_worker_goes_on(
    kind: str, server: Server, client: zenith.Client, queue: str
) -> None:
    def explode(job: zenith.JobContext) -> None:
        raise RuntimeError(f"boom in {job.id}")

    def fine(job: zenith.JobContext) -> str:
        return "ok"

    bad = client.enqueue(queue, "explode", max_attempts=1).job.id
    not_retryable = client.enqueue(queue, "refuse").job.id

    def refuse(job: zenith.JobContext) -> None:
        raise zenith.JobError("bad address", retryable=False)

    worker = Background(kind, server.url, queue, {"explode": explode, "fine": fine, "refuse": refuse})
    try:
        job = wait_for(lambda: finished(client, bad))
        assert job.state == job_pb2.JOB_STATE_DEAD
        assert job.last_error == f"RuntimeError: boom in {bad}"
        assert "Traceback" in job.last_stack_trace and "in explode" in job.last_stack_trace
        job = wait_for(lambda: finished(client, not_retryable))
        assert job.state == job_pb2.JOB_STATE_DEAD and job.attempts == 1
        assert job.last_error == "bad address"
        after = client.enqueue(queue, "fine").job.id
        job = wait_for(lambda: finished(client, after))
        assert job.state == job_pb2.JOB_STATE_COMPLETED and job.result == b"ok"
    finally:
        worker.stop()


@pytest.mark.parametrize("kind", KINDS)
def test_unknown_type_fails_without_retry(kind: str, server: Server, client: zenith.Client, queue: str) -> None:
    job_id = client.enqueue(queue, "nobody-handles-this", max_attempts=5).job.id
    worker = Background(kind, server.url, queue, {"known": lambda job: None})
    try:
        job = wait_for(lambda: finished(client, job_id))
        assert job.state == job_pb2.JOB_STATE_DEAD
        assert job.attempts == 1
        assert "no handler for job type 'nobody-handles-this'" in job.last_error
    finally:
        worker.stop()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("path", ["extend-lease", "beat"])
def test_cancel_job_cancels_the_handlers_token(
    kind: str, path: str, server: Server, client: zenith.Client, queue: str
) -> None:
    started = threading.Event()
    seen: dict[str, Any] = {}
    if kind == "threaded":

        def slow(job: zenith.JobContext) -> None:
            started.set()
            seen["cancelled"] = job.token.wait(30)
            seen["reason"] = job.cancel_reason

    else:

        async def slow(job: zenith.JobContext) -> None:  # type: ignore[misc]
            started.set()
            await asyncio.wait_for(job.token.cancelled(), 30)
            seen["cancelled"] = job.is_cancelled
            seen["reason"] = job.cancel_reason

    job_id = client.enqueue(queue, "slow").job.id
    if path == "extend-lease":
        # No pulse and a 3 s lease: the worker extends it every second and learns about the
        # cancel from ExtendLease.
        options: dict[str, Any] = {"lease": 3.0, "pulse": False}
    else:
        # A 60 s lease (first extension after 20 s): only a beat's CANCEL_JOB can tell.
        options = {"lease": 60.0, "pulse_interval": 1.0}
    worker = Background(kind, server.url, queue, {"slow": slow}, **options)
    try:
        assert started.wait(10)
        response = client.cancel_job(job_id, reason="changed my mind")
        assert response.requested
        job = wait_for(lambda: finished(client, job_id), timeout=10)
        assert job.state == job_pb2.JOB_STATE_CANCELLED
        assert seen["cancelled"] is True
        assert "changed my mind" in seen["reason"]
    finally:
        worker.stop()


@pytest.mark.parametrize("kind", KINDS)
def test_job_timeout_cancels_the_handler(kind: str, server: Server, client: zenith.Client, queue: str) -> None:
    def stuck(job: zenith.JobContext) -> None:
        job.token.wait(30)

    job_id = client.enqueue(queue, "stuck", timeout=1, max_attempts=1).job.id
    worker = Background(kind, server.url, queue, {"stuck": stuck})
    try:
        job = wait_for(lambda: finished(client, job_id), timeout=10)
        assert job.state == job_pb2.JOB_STATE_DEAD
        assert "timed out" in job.last_error
    finally:
        worker.stop()


@pytest.mark.parametrize("kind", KINDS)
def test_graceful_shutdown_finishes_running_jobs(kind: str, server: Server, client: zenith.Client, queue: str) -> None:
    started = threading.Event()

    def slow(job: zenith.JobContext) -> str:
        started.set()
        time.sleep(1.5)
        return "finished"

    service = f"svc-{uuid.uuid4().hex[:8]}"
    job_id = client.enqueue(queue, "slow").job.id
    # One slot, taken by the running job: no reserve is in flight when stop() comes.
    worker = Background(kind, server.url, queue, {"slow": slow}, service=service, concurrency=1)
    assert started.wait(10)
    later = client.enqueue(queue, "slow").job.id
    began = time.monotonic()
    worker.stop()
    assert time.monotonic() - began >= 0.5, "stop returned before the running job finished"
    job = client.get_job(job_id)
    assert job.state == job_pb2.JOB_STATE_COMPLETED and job.result == b"finished"
    # Nothing new was taken after stop.
    assert client.get_job(later).state == job_pb2.JOB_STATE_PENDING
    # The last beat said quiet.
    nodes = client.list_nodes(service=service)
    assert len(nodes) == 1 and nodes[0].beat.quiet


@pytest.mark.parametrize("kind", KINDS)
def test_pulse_node_is_listed(kind: str, server: Server, client: zenith.Client, queue: str) -> None:
    started = threading.Event()
    release = threading.Event()

    def hold(job: zenith.JobContext) -> None:
        started.set()
        release.wait(10)

    service = f"svc-{uuid.uuid4().hex[:8]}"
    job_id = client.enqueue(queue, "hold").job.id
    worker = Background(kind, server.url, queue, {"hold": hold}, service=service)
    try:
        assert started.wait(10)

        def node_with_job() -> Any:
            nodes = client.list_nodes(service=service, language="python")
            if nodes and any(j.job_id == job_id for j in nodes[0].beat.jobs):
                return nodes[0]
            return None

        node = wait_for(node_with_job, timeout=10)
        identity = node.beat.identity
        assert identity.language == "python"
        assert identity.service == service
        assert identity.runtime.startswith("CPython ") and identity.sdk_version.startswith("zenith-sdk-python")
        assert node.beat.process.memory_rss_bytes > 0 and node.beat.system.cpu_cores >= 1
        assert node.beat.system.disk_total_bytes > 0
        assert list(node.beat.queues) == [queue]
        assert node.beat.jobs[0].lease_token
        # The server knows which node runs the job (X-ray).
        assert client.get_job(job_id).node_id == identity.node_id
    finally:
        release.set()
        worker.stop()


def test_quiet_instruction_stops_reserving(server: Server, client: zenith.Client, queue: str) -> None:
    service = f"svc-{uuid.uuid4().hex[:8]}"
    worker = Background("threaded", server.url, queue, {"t": lambda job: "done"}, service=service)
    try:
        node = wait_for(lambda: client.list_nodes(service=service))[0]
        client.quiet_node(node.beat.identity.node_id, True)
        wait_for(lambda: worker.worker.pulse.quiet_requested, timeout=10)
        time.sleep(1.5)  # let a reserve already in flight end
        job_id = client.enqueue(queue, "t").job.id
        time.sleep(1.5)
        assert client.get_job(job_id).state == job_pb2.JOB_STATE_PENDING
        client.quiet_node(node.beat.identity.node_id, False)
        job = wait_for(lambda: finished(client, job_id), timeout=10)
        assert job.state == job_pb2.JOB_STATE_COMPLETED
    finally:
        worker.stop()


@pytest.mark.parametrize("kind", KINDS)
def test_logs_inside_a_handler_are_shipped_with_the_job(
    kind: str, server: Server, client: zenith.Client, queue: str
) -> None:
    word = f"marker{uuid.uuid4().hex[:10]}"
    service = f"svc-{uuid.uuid4().hex[:8]}"
    identity = zenith.detect_identity(service)
    handler = zenith.ZenithLogHandler(client, identity)
    logger = logging.getLogger(f"test.{word}")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)

    if kind == "threaded":

        def work(job: zenith.JobContext) -> None:
            logger.warning("working on %s", word, extra={"step": "one"})

    else:

        async def work(job: zenith.JobContext) -> None:  # type: ignore[misc]
            logger.warning("working on %s", word, extra={"step": "one"})

    job_id = client.enqueue(queue, "work").job.id
    worker = Background(kind, server.url, queue, {"work": work}, identity=identity)
    try:
        wait_for(lambda: finished(client, job_id))
        logger.info("outside any job %s", word)
        handler.flush()

        def found() -> Any:
            request = logs_pb2.SearchLogsRequest(query=word, filter=logs_pb2.LogFilter(service=service))
            records = client.search_logs(request).records
            return records if len(records) == 2 else None

        records = wait_for(found, timeout=15, interval=0.2)
        by_message = {record.message: record for record in records}
        inside = by_message[f"working on {word}"]
        assert inside.job_id == job_id and inside.queue == queue
        assert inside.level == logs_pb2.LOG_LEVEL_WARN
        assert inside.node_id == identity.node_id and inside.target == f"test.{word}"
        assert dict(inside.fields) == {"step": "one"}
        outside = by_message[f"outside any job {word}"]
        assert outside.job_id == "" and outside.level == logs_pb2.LOG_LEVEL_INFO
    finally:
        logger.removeHandler(handler)
        worker.stop()


def test_async_worker_runs_plain_functions_in_threads(server: Server, client: zenith.Client, queue: str) -> None:
    def blocking(job: zenith.JobContext) -> dict:  # type: ignore[type-arg]
        time.sleep(0.2)
        return {"thread": threading.current_thread().name != "MainThread"}

    ids = [client.enqueue(queue, "blocking").job.id for _ in range(3)]
    worker = Background("asyncio", server.url, queue, {"blocking": blocking})
    try:
        for job_id in ids:
            job = wait_for(lambda: finished(client, job_id))
            assert job.state == job_pb2.JOB_STATE_COMPLETED and json.loads(job.result) == {"thread": True}
    finally:
        worker.stop()


@pytest.mark.parametrize("kind", KINDS)
def test_worker_waits_for_a_server_that_starts_late(kind: str, queue: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="zenith")
    port = free_port()
    late = Server(port)
    worker = Background(kind, late.url, queue, {"t": lambda job: "late but done"})
    try:
        time.sleep(1.5)
        assert worker.thread.is_alive()
        assert any("reserve failed" in record.getMessage() for record in caplog.records)
        late.start()
        with zenith.Client(late.url) as client:
            job_id = client.enqueue(queue, "t").job.id
            job = wait_for(lambda: finished(client, job_id), timeout=20)
            assert job.state == job_pb2.JOB_STATE_COMPLETED and job.result == b"late but done"
        worker.stop()
    finally:
        worker.worker.stop()
        late.stop()


@pytest.mark.parametrize("kind", KINDS)
def test_lease_is_extended_while_the_handler_runs(kind: str, server: Server, client: zenith.Client, queue: str) -> None:
    def longer_than_the_lease(job: zenith.JobContext) -> str:
        time.sleep(3.5)
        return "still mine"

    job_id = client.enqueue(queue, "long", max_attempts=1).job.id
    # No pulse (whose beats would extend the lease too): only ExtendLease keeps it alive.
    worker = Background(kind, server.url, queue, {"long": longer_than_the_lease}, lease=1.5, pulse=False)
    try:
        job = wait_for(lambda: finished(client, job_id), timeout=15)
        assert job.state == job_pb2.JOB_STATE_COMPLETED and job.result == b"still mine"
        assert job.attempts == 1
    finally:
        worker.stop()
