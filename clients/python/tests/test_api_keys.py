"""API keys against a real server that has one (started with --bootstrap-admin-key)."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Iterator

import grpc
import pytest

import zenith
from zenith.client import call_metadata
from zenith.v1 import admin_pb2, job_pb2, queue_pb2

from conftest import Server, wait_for
from test_worker import KINDS, Background, finished

BOOTSTRAP = "zk_bootstrap_0123456789abcdefghijklmnopqrstuvwxyzABCD"


@pytest.fixture(scope="module")
def keyed_server() -> Iterator[Server]:
    running = Server(extra_args=["--bootstrap-admin-key", BOOTSTRAP]).start()
    yield running
    running.stop()


@pytest.fixture
def no_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZENITH_API_KEY", raising=False)


@pytest.fixture
def admin(keyed_server: Server, no_env_key: None) -> Iterator[zenith.Client]:
    with zenith.Client(keyed_server.url, api_key=BOOTSTRAP) as client:
        yield client


@pytest.fixture(scope="module")
def worker_token(keyed_server: Server) -> str:
    with zenith.Client(keyed_server.url, api_key=BOOTSTRAP) as admin:
        request = admin_pb2.CreateApiKeyRequest(name="python sdk worker", role=admin_pb2.ROLE_WORKER)
        response = admin.admin.CreateApiKey(request, metadata=admin.metadata, timeout=10)
    assert response.key.role == admin_pb2.ROLE_WORKER and response.token.startswith("zk_")
    return str(response.token)


def test_bootstrap_key_is_admin(keyed_server: Server, admin: zenith.Client) -> None:
    me = admin.who_am_i()
    assert me.role == admin_pb2.ROLE_ADMIN and not me.open
    assert me.key.id == "bootstrap" and me.principal == "key:bootstrap"

    async def scenario() -> admin_pb2.WhoAmIResponse:
        async with zenith.AsyncClient(keyed_server.url, api_key=BOOTSTRAP) as client:
            return await client.who_am_i()

    assert asyncio.run(scenario()).role == admin_pb2.ROLE_ADMIN


@pytest.mark.parametrize("kind", KINDS)
def test_worker_key_enqueues_works_and_acks(
    kind: str, keyed_server: Server, admin: zenith.Client, worker_token: str
) -> None:
    queue = f"q-{uuid.uuid4().hex[:12]}"
    with zenith.Client(keyed_server.url, api_key=worker_token) as producer:
        assert producer.who_am_i().role == admin_pb2.ROLE_WORKER
        job_id = producer.enqueue(queue, "greet", {"name": "Ada"}).job.id
        # The worker makes its own client from the URL and the key; its pulse beats with it.
        service = f"svc-{uuid.uuid4().hex[:8]}"
        background = Background(
            kind,
            keyed_server.url,
            queue,
            {"greet": lambda job: {"hello": job.json()["name"]}},
            api_key=worker_token,
            service=service,
        )
        try:
            job = wait_for(lambda: finished(producer, job_id), timeout=15)
            # Its beats got through with the worker key: the admin sees the node.
            wait_for(lambda: admin.list_nodes(service=service), timeout=10)
        finally:
            background.stop()
        assert job.state == job_pb2.JOB_STATE_COMPLETED
    seen = admin.get_job(job_id)
    assert json.loads(seen.result) == {"hello": "Ada"} and seen.attempts == 1


def test_no_key_is_unauthenticated(keyed_server: Server, no_env_key: None) -> None:
    with zenith.Client(keyed_server.url) as anonymous:
        with pytest.raises(zenith.UnauthenticatedError) as caught:
            anonymous.enqueue("anywhere", "t")
        assert caught.value.code == grpc.StatusCode.UNAUTHENTICATED and not caught.value.is_transient
        assert isinstance(caught.value, zenith.ZenithError)
        # A worker without a key stops at once instead of retrying.
        worker = zenith.Worker(anonymous, ["anywhere"], handlers={"t": lambda job: None}, pulse=False,
                               install_signal_handlers=False)
        with pytest.raises(zenith.UnauthenticatedError):
            worker.run()
    with zenith.Client(keyed_server.url, api_key="zk_nobody_0123456789abcdefghijklmnopqrstuvwxyzABCD") as stranger:
        with pytest.raises(zenith.UnauthenticatedError):
            stranger.who_am_i()

    async def scenario() -> None:
        async with zenith.AsyncClient(keyed_server.url) as client:
            with pytest.raises(zenith.UnauthenticatedError):
                await client.enqueue("anywhere", "t")

    asyncio.run(scenario())


def test_worker_key_may_not_read_the_control_plane(keyed_server: Server, admin: zenith.Client, worker_token: str) -> None:
    with zenith.Client(keyed_server.url, api_key=worker_token) as worker:
        with pytest.raises(zenith.PermissionDeniedError) as caught:
            worker.list_nodes()
        assert caught.value.code == grpc.StatusCode.PERMISSION_DENIED
        with pytest.raises(grpc.RpcError) as raw:
            worker.queue.ListQueues(queue_pb2.ListQueuesRequest(), metadata=worker.metadata, timeout=10)
        assert raw.value.code() == grpc.StatusCode.PERMISSION_DENIED  # type: ignore[attr-defined]
    admin.queue.ListQueues(queue_pb2.ListQueuesRequest(), metadata=admin.metadata, timeout=10)


def test_zenith_api_key_is_the_default(keyed_server: Server, worker_token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZENITH_API_KEY", BOOTSTRAP)
    with zenith.Client(keyed_server.url) as from_env:
        assert from_env.who_am_i().role == admin_pb2.ROLE_ADMIN
    with zenith.Client(keyed_server.url, api_key=worker_token) as given:
        assert given.who_am_i().role == admin_pb2.ROLE_WORKER
    with zenith.Client(keyed_server.url, api_key="") as none:
        with pytest.raises(zenith.UnauthenticatedError):
            none.who_am_i()


def test_workers_take_api_key_with_a_url_only(keyed_server: Server, no_env_key: None) -> None:
    with zenith.Client(keyed_server.url) as client:
        with pytest.raises(ValueError):
            zenith.Worker(client, ["q"], api_key=BOOTSTRAP)
        with pytest.raises(ValueError):
            zenith.AsyncWorker(zenith.AsyncClient.__new__(zenith.AsyncClient), ["q"], api_key=BOOTSTRAP)


# Server-free: how the key joins the metadata.


def test_call_metadata_merges_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZENITH_API_KEY", raising=False)
    assert call_metadata((), None) == ()
    assert call_metadata((("x-zenith-actor", "me"),), "zk_a_b") == (
        ("x-zenith-actor", "me"),
        ("authorization", "Bearer zk_a_b"),
    )
    monkeypatch.setenv("ZENITH_API_KEY", " zk_env_secret\n")
    assert call_metadata((), None) == (("authorization", "Bearer zk_env_secret"),)
    assert call_metadata((), "zk_given") == (("authorization", "Bearer zk_given"),)
    assert call_metadata((), "") == ()
    # An authorization entry of the caller's own is kept as it is.
    assert call_metadata((("authorization", "Bearer mine"),), None) == (("authorization", "Bearer mine"),)
    client = zenith.Client("http://127.0.0.1:1")
    try:
        assert client.metadata == (("authorization", "Bearer zk_env_secret"),)
    finally:
        client.close()
