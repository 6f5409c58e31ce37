"""Client calls against a real server."""

from __future__ import annotations

import asyncio
import json

import grpc
import pytest

import zenith
from zenith.v1 import job_pb2


def test_enqueue_and_get_job(client: zenith.Client, queue: str) -> None:
    response = client.enqueue(queue, "send", {"user_id": 42}, priority=3, tags=["a"], headers={"h": "v"})
    assert not response.duplicate
    job = client.get_job(response.job.id, queue)
    assert job.queue == queue and job.type == "send"
    assert json.loads(job.payload) == {"user_id": 42}
    assert job.content_type == "application/json"
    assert job.priority == 3 and list(job.tags) == ["a"] and dict(job.headers) == {"h": "v"}
    assert job.state == job_pb2.JOB_STATE_PENDING


def test_enqueue_same_id_is_duplicate(client: zenith.Client, queue: str) -> None:
    first = client.enqueue(queue, "t", id="fixed-1")
    second = client.enqueue(queue, "t", id="fixed-1")
    assert second.duplicate and second.job.id == first.job.id == "fixed-1"


def test_delay_schedules(client: zenith.Client, queue: str) -> None:
    job = client.enqueue(queue, "t", delay=60).job
    assert client.get_job(job.id).state == job_pb2.JOB_STATE_SCHEDULED


def test_batch_enqueue(client: zenith.Client, queue: str) -> None:
    specs = [zenith.job_spec(queue, "t", {"n": n}) for n in range(5)]
    jobs = client.batch_enqueue(specs)
    assert len(jobs) == 5
    for n, enqueued in enumerate(jobs):
        assert enqueued.queue == queue and not enqueued.duplicate
        assert json.loads(client.get_job(enqueued.id, queue).payload) == {"n": n}


def test_errors_keep_the_grpc_code(client: zenith.Client) -> None:
    with pytest.raises(zenith.ZenithError) as caught:
        client.get_job("no-such-job-anywhere")
    assert caught.value.code == grpc.StatusCode.NOT_FOUND
    with pytest.raises(zenith.ZenithError) as caught:
        client.enqueue("bad queue name!", "t")
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert not caught.value.is_transient


def test_payload_over_limit_is_refused_before_sending(server, queue: str) -> None:  # type: ignore[no-untyped-def]
    with zenith.Client(server.url, max_payload_bytes=1000) as small:
        with pytest.raises(zenith.PayloadTooLargeError) as caught:
            small.enqueue(queue, "t", payload=b"x" * 1001)
        assert "1001 bytes" in str(caught.value) and "1000" in str(caught.value)
        with pytest.raises(zenith.PayloadTooLargeError):
            small.batch_enqueue([zenith.job_spec(queue, "t", payload=b"x" * 2000, max_payload_bytes=None)])
        # Nothing reached the server: the queue is still unknown / empty.
        assert small.reserve([queue], 10) == []
    # The default limit is the server's default, 1 MiB.
    with zenith.Client(server.url) as default:
        with pytest.raises(zenith.PayloadTooLargeError):
            default.enqueue(queue, "t", payload=b"x" * (1024 * 1024 + 1))


def test_payload_over_the_server_limit_is_not_transient(server, queue: str) -> None:  # type: ignore[no-untyped-def]
    # A client allowing more than the server's 1 MiB: the server refuses, the same way every time.
    with zenith.Client(server.url, max_payload_bytes=4 * 1024 * 1024) as generous:
        with pytest.raises(zenith.ZenithError) as caught:
            generous.enqueue(queue, "t", payload=b"x" * (2 * 1024 * 1024))
    assert caught.value.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert caught.value.reason == "TOO_LARGE"
    assert not caught.value.is_transient


def test_async_client(server, queue: str) -> None:  # type: ignore[no-untyped-def]
    async def scenario() -> None:
        async with zenith.AsyncClient(server.url) as client:
            response = await client.enqueue(queue, "t", {"a": 1})
            job = await client.get_job(response.job.id)
            assert job.id == response.job.id
            jobs = await client.batch_enqueue([zenith.job_spec(queue, "t"), zenith.job_spec(queue, "t")])
            assert len(jobs) == 2
            with pytest.raises(zenith.ZenithError) as caught:
                await client.get_job("missing-job")
            assert caught.value.code == grpc.StatusCode.NOT_FOUND

    asyncio.run(scenario())


def test_standalone_pulse_agent(server, client: zenith.Client) -> None:  # type: ignore[no-untyped-def]
    import uuid

    from conftest import wait_for
    from zenith.v1 import pulse_pb2

    service = f"api-{uuid.uuid4().hex[:8]}"
    pulse = zenith.Pulse(client, service=service, interval=1)
    pulse.set_external_queues([pulse_pb2.ExternalQueue(name="mail", driver="celery", pending=3)])
    pulse.start()
    try:
        node = wait_for(lambda: client.list_nodes(service=service, language="python"))[0]
        assert node.beat.identity.node_id == pulse.node_id
        assert node.beat.external_queues[0].name == "mail" and node.beat.external_queues[0].pending == 3
        assert not node.beat.quiet
    finally:
        pulse.stop()
    assert client.get_node(pulse.node_id).beat.quiet


def test_errors_keep_the_error_info_reason(client: zenith.Client, queue: str) -> None:
    from zenith.v1 import worker_pb2

    client.enqueue(queue, "t")
    [reserved] = client.reserve([queue], 1)
    with pytest.raises(zenith.ZenithError) as caught:
        client.ack([worker_pb2.JobAck(queue=queue, job_id=reserved.job.id, lease_token="stale")])
    assert caught.value.code == grpc.StatusCode.FAILED_PRECONDITION
    assert caught.value.reason == "LEASE_STALE"
    # The real token still acks.
    assert client.ack([worker_pb2.JobAck(queue=queue, job_id=reserved.job.id, lease_token=reserved.lease_token)]) == 1
