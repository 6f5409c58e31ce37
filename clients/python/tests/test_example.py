"""The example worker as the cross-language test runs it: results, pulse, SIGTERM → exit 0."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

import zenith
from zenith.v1 import job_pb2

from conftest import Server, wait_for

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "worker.py"


@pytest.mark.parametrize("mode", ["threaded", "asyncio"])
def test_example_worker(mode: str, server: Server, client: zenith.Client, queue: str) -> None:
    service = f"example-{uuid.uuid4().hex[:8]}"
    command = [sys.executable, str(EXAMPLE), "--server", server.url, "--queue", queue, "--type", "square", "--service", service]
    if mode == "asyncio":
        command.append("--asyncio")
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        ids = [client.enqueue(queue, "square", {"n": n}).job.id for n in range(3)]
        for n, job_id in enumerate(ids):
            job = wait_for(lambda: (j := client.get_job(job_id)).state == job_pb2.JOB_STATE_COMPLETED and j, timeout=15)
            assert job.result == json.dumps({"by": "python", "n": n}, separators=(",", ":")).encode()
        node = wait_for(lambda: client.list_nodes(service=service), timeout=10)[0]
        assert node.beat.identity.language == "python"
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=20)
        assert process.returncode == 0, stderr.decode()
        assert b"worker stopped" in stderr
        assert client.list_nodes(service=service)[0].beat.quiet
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
