"""The pulse: every few seconds a process reports who it is, how loaded it is and which jobs it
runs (proto/zenith/v1/PULSE.md), and obeys the answer's instructions."""

from __future__ import annotations

import logging
import os
import platform
import re
import secrets
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Sequence

import psutil
from google.protobuf import json_format

from zenith._convert import to_duration, to_timestamp
from zenith.client import Client
from zenith.errors import ZenithError
from zenith.v1 import pulse_pb2

__all__ = [
    "Pulse",
    "detect_identity",
    "parse_beat_payload",
    "SDK_VERSION",
    "LANGUAGE",
]

SDK_VERSION = "zenith-sdk-python 0.1.0"
LANGUAGE = "python"
DEFAULT_INTERVAL = 5.0

log = logging.getLogger("zenith.pulse")

_ID_UNSAFE = re.compile(r"[^A-Za-z0-9\-_.:@/]")


def detect_identity(
    service: str = "",
    *,
    version: str = "",
    labels: Mapping[str, str] | None = None,
) -> pulse_pb2.NodeIdentity:
    """This process's identity: node id ``<hostname>:<pid>:<random>``, language ``python``,
    runtime (e.g. ``CPython 3.11.7``), pid, host and platform. ``service`` defaults to the
    program's name."""
    hostname = socket.gethostname()
    pid = os.getpid()
    node_id = f"{_ID_UNSAFE.sub('-', hostname)[:150]}:{pid}:{secrets.token_hex(4)}"
    if not service:
        service = os.path.basename(sys.argv[0] or "python") or "python"
    identity = pulse_pb2.NodeIdentity(
        node_id=node_id,
        service=service[:200],
        language=LANGUAGE,
        runtime=f"{platform.python_implementation()} {platform.python_version()}",
        sdk_version=SDK_VERSION,
        version=version,
        pid=pid,
        hostname=hostname,
        platform=f"{sys.platform}-{platform.machine()}",
    )
    for key, value in (labels or {}).items():
        identity.labels[key] = value
    return identity


def parse_beat_payload(data: str | bytes) -> pulse_pb2.BeatPayload:
    """Parses a beat in the proto3 JSON mapping (the Redis transport's form). Unknown fields
    are ignored; a document that is not JSON, or a beat without ``identity.nodeId`` and
    ``identity.service``, raises ``ValueError``."""
    if isinstance(data, bytes):
        data = data.decode("utf-8")
    beat = pulse_pb2.BeatPayload()
    try:
        json_format.Parse(data, beat, ignore_unknown_fields=True)
    except json_format.ParseError as error:
        raise ValueError(f"not a beat payload: {error}") from None
    if not beat.HasField("identity") or not beat.identity.node_id or not beat.identity.service:
        raise ValueError("beat payload without identity.nodeId and identity.service")
    return beat


class _Stats:
    """Process and system CPU, memory and disk, via psutil."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        # The first cpu_percent calls only start the measurement.
        self.process.cpu_percent(None)
        psutil.cpu_percent(None)

    def fill(self, beat: pulse_pb2.BeatPayload) -> None:
        try:
            with self.process.oneshot():
                beat.process.cpu_percent = self.process.cpu_percent(None)
                beat.process.memory_rss_bytes = self.process.memory_info().rss
                beat.process.threads = self.process.num_threads()
                try:
                    beat.process.open_files = self.process.num_fds()
                except (AttributeError, psutil.Error):
                    beat.process.open_files = len(self.process.open_files())
            beat.system.cpu_percent = psutil.cpu_percent(None)
            beat.system.cpu_cores = psutil.cpu_count() or 1
            memory = psutil.virtual_memory()
            beat.system.memory_total_bytes = memory.total
            beat.system.memory_used_bytes = memory.total - memory.available
            disk = psutil.disk_usage(os.getcwd())
            beat.system.disk_total_bytes = disk.total
            beat.system.disk_used_bytes = disk.used
            try:
                beat.system.load_average_1m = os.getloadavg()[0]
            except (AttributeError, OSError):
                pass
        except (psutil.Error, OSError) as error:
            log.debug("collecting stats failed: %s", error)


@dataclass
class _Tracked:
    queue: str
    job_id: str
    lease_token: str
    started_at: float = field(default_factory=time.time)


class Pulse:
    """A pulse agent: beats from a background thread every ``interval`` seconds over gRPC.

    Workers start one by themselves; any other process can run one::

        pulse = zenith.Pulse(zenith.Client("http://127.0.0.1:7700"), service="api")
        pulse.start()
        ...
        pulse.stop()

    ``on_cancel(queue, job_id, reason)`` is called for a ``CANCEL_JOB`` instruction;
    :attr:`quiet_requested` follows ``QUIET`` / ``RESUME`` (an answer without ``QUIET`` means
    not quiet). A failed beat is logged and tried again at the next interval.
    """

    def __init__(
        self,
        client: Client,
        service: str = "",
        *,
        identity: pulse_pb2.NodeIdentity | None = None,
        interval: float = DEFAULT_INTERVAL,
        queues: Sequence[str] = (),
        on_cancel: Callable[[str, str, str], None] | None = None,
    ) -> None:
        self.client = client
        self.identity = identity if identity is not None else detect_identity(service)
        self.interval = interval
        self.queues = list(queues)
        self.on_cancel = on_cancel
        self.quiet_requested = False
        #: Set while the node takes no new work (shutting down); reported as ``quiet``.
        self.quiet = False
        self.external_queues: list[pulse_pb2.ExternalQueue] = []
        self._jobs: dict[tuple[str, str], _Tracked] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started_at = time.time()
        self._stats = _Stats()
        self._failing = False

    @property
    def node_id(self) -> str:
        return self.identity.node_id

    def track_job(self, queue: str, job_id: str, lease_token: str) -> None:
        """Reports the job as running here (its lease is extended by each beat)."""
        with self._lock:
            self._jobs[(queue, job_id)] = _Tracked(queue, job_id, lease_token)

    def untrack_job(self, queue: str, job_id: str) -> None:
        with self._lock:
            self._jobs.pop((queue, job_id), None)

    def set_external_queues(self, queues: Iterable[pulse_pb2.ExternalQueue]) -> None:
        """Reports queues of other systems (Laravel, Celery, …) this node can see."""
        with self._lock:
            self.external_queues = list(queues)

    def payload(self) -> pulse_pb2.BeatPayload:
        """The beat as it would be sent now."""
        beat = pulse_pb2.BeatPayload(
            identity=self.identity,
            sent_at=to_timestamp(time.time()),
            interval=to_duration(self.interval),
            uptime=to_duration(max(0.0, time.time() - self._started_at)),
            queues=self.queues,
            quiet=self.quiet or self.quiet_requested,
        )
        self._stats.fill(beat)
        with self._lock:
            for tracked in self._jobs.values():
                beat.jobs.add(
                    queue=tracked.queue,
                    job_id=tracked.job_id,
                    lease_token=tracked.lease_token,
                    started_at=to_timestamp(tracked.started_at),
                )
            beat.external_queues.extend(self.external_queues)
        return beat

    def beat_once(self, timeout: float | None = None) -> pulse_pb2.BeatResponse | None:
        """Sends one beat and obeys the answer; returns ``None`` when it failed."""
        try:
            response = self.client.beat(self.payload(), timeout)
        except ZenithError as error:
            if not self._failing:
                log.warning("pulse beat failed (will keep trying every %ss): %s", self.interval, error)
            self._failing = True
            return None
        if self._failing:
            log.info("pulse beats reach the server again")
        self._failing = False
        quiet = False
        for instruction in response.instructions:
            if instruction.kind == pulse_pb2.NODE_INSTRUCTION_KIND_QUIET:
                quiet = True
            elif instruction.kind == pulse_pb2.NODE_INSTRUCTION_KIND_CANCEL_JOB and self.on_cancel:
                try:
                    self.on_cancel(instruction.queue, instruction.job_id, instruction.reason)
                except Exception:  # noqa: BLE001
                    log.exception("cancel callback failed")
        if quiet != self.quiet_requested:
            log.info("node %s: %s", self.node_id, "told to be quiet" if quiet else "resumed")
        self.quiet_requested = quiet
        return response

    def start(self) -> "Pulse":
        """Starts beating in a daemon thread (the first beat at once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="zenith-pulse", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            self.beat_once()
            self._stop.wait(self.interval)

    def stop(self, final_quiet_beat: bool = True) -> None:
        """Stops beating; by default sends a last beat saying ``quiet``."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.client.call_timeout + 1)
            self._thread = None
        if final_quiet_beat:
            self.quiet = True
            # A server that does not answer must not hold the process's exit for long.
            self.beat_once(timeout=min(5.0, self.client.call_timeout))
