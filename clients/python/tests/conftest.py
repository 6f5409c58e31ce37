"""Starts a real redis-server and `zenith serve` for the tests (no mocks of the server)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Iterator, Sequence

import pytest

import zenith

REPO_ROOT = Path(__file__).resolve().parents[3]


def zenith_bin() -> str:
    path = os.environ.get("ZENITH_BIN") or str(REPO_ROOT / "target" / "debug" / "zenith")
    if not os.access(path, os.X_OK):
        pytest.exit(
            f"zenith server binary not found at {path}: run `cargo build -p zenith-server` "
            "in the repository root, or set ZENITH_BIN",
            returncode=2,
        )
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Redis:
    def __init__(self) -> None:
        if shutil.which("redis-server") is None:
            pytest.exit("redis-server is not installed", returncode=2)
        self.port = free_port()
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


class Server:
    """One `zenith serve` over its own Redis and SQLite file."""

    def __init__(self, port: int | None = None, extra_args: Sequence[str] = ()) -> None:
        self.port = port or free_port()
        self.extra_args = list(extra_args)
        self.url = f"http://127.0.0.1:{self.port}"
        self.redis: Redis | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.tmp = tempfile.mkdtemp(prefix="zenith-py-")

    def start(self) -> "Server":
        self.redis = Redis()
        self.log = open(os.path.join(self.tmp, "server.log"), "wb")
        self.process = subprocess.Popen(
            [
                zenith_bin(),
                "serve",
                "--listen",
                f"127.0.0.1:{self.port}",
                "--redis-url",
                self.redis.url,
                "--database-url",
                f"sqlite://{self.tmp}/zenith.db",
                *self.extra_args,
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            cwd=self.tmp,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"zenith serve exited: {Path(self.tmp, 'server.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/readyz", timeout=1) as response:
                    if response.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("zenith serve did not become ready")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.log.close()
        if self.redis is not None:
            self.redis.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    running = Server().start()
    yield running
    running.stop()


@pytest.fixture
def client(server: Server) -> Iterator[zenith.Client]:
    with zenith.Client(server.url) as c:
        yield c


@pytest.fixture
def queue() -> str:
    """A queue name of its own for each test."""
    return f"q-{uuid.uuid4().hex[:12]}"


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05):  # type: ignore[no-untyped-def]
    """Polls until predicate() is truthy; returns its value or fails."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {predicate}")
        time.sleep(interval)
