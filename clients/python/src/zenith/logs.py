"""Shipping log lines to Zenith (README "Logs"): a ``logging.Handler`` that never blocks.

Lines go in batches (at most 1,000 lines or 2 MiB, or every 200 ms) from a buffer of 10,000;
a full buffer drops lines and then ships a warn line saying how many. Lines are fitted to the
server's limits before sending (message cut at 64 KiB, field keys and values at 4 KiB, at most
64 fields, NUL removed). Lines logged while a worker runs a job carry its job id and queue.
"""

from __future__ import annotations

import contextvars
import logging
import queue as _queue
import re
import sys
import threading
import time
import grpc

from zenith._convert import to_timestamp
from zenith.client import Client
from zenith.errors import ZenithError
from zenith.v1 import logs_pb2, pulse_pb2

__all__ = ["LogShipper", "ZenithLogHandler", "current_job"]

MAX_BATCH = 1000
MAX_BATCH_BYTES = 2 * 1024 * 1024
MAX_MESSAGE_BYTES = 64 * 1024
MAX_FIELDS = 64
MAX_FIELD_BYTES = 4 * 1024
LINGER = 0.2
DEFAULT_BUFFER = 10_000
FLUSH_TIMEOUT = 10.0
CUT_MARKER = "…[truncated]"

_NAME = re.compile(r"^[A-Za-z0-9_.:\-]{1,128}$")

#: ``(queue, job_id)`` of the job the current thread or task runs, set by the workers.
current_job: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar(
    "zenith_current_job", default=None
)

_STANDARD_ATTRS = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys() | {"message", "asctime", "taskName"}
)


def _cut(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    keep = limit - len(CUT_MARKER.encode("utf-8"))
    return data[:keep].decode("utf-8", "ignore") + CUT_MARKER


def fit(record: logs_pb2.LogRecord) -> logs_pb2.LogRecord:
    """Fits a line to the server's limits (in place) and returns it."""
    record.message = _cut(record.message.replace("\x00", ""), MAX_MESSAGE_BYTES)
    if len(record.fields) > MAX_FIELDS or any(
        len(k.encode()) > MAX_FIELD_BYTES or len(v.encode()) > MAX_FIELD_BYTES or "\x00" in k + v
        for k, v in record.fields.items()
    ):
        items = list(record.fields.items())[:MAX_FIELDS]
        record.ClearField("fields")
        for key, value in items:
            key = _cut(key.replace("\x00", ""), MAX_FIELD_BYTES)
            record.fields[key] = _cut(value.replace("\x00", ""), MAX_FIELD_BYTES)
    if record.queue and not _NAME.match(record.queue):
        record.queue = ""
    if record.job_id and not _NAME.match(record.job_id):
        record.job_id = ""
    return record


class LogShipper:
    """Ships ``LogRecord`` messages in batches from a daemon thread; :meth:`send` never
    blocks."""

    def __init__(
        self,
        client: Client,
        identity: pulse_pb2.NodeIdentity,
        *,
        buffer: int = DEFAULT_BUFFER,
    ) -> None:
        self.client = client
        self.service = identity.service
        self.node_id = identity.node_id
        self._queue: _queue.Queue[logs_pb2.LogRecord | threading.Event] = _queue.Queue(buffer)
        self._dropped = 0
        self._dropped_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="zenith-logs", daemon=True)
        self._thread.start()

    def send(self, record: logs_pb2.LogRecord) -> None:
        """Queues a line; drops (and counts) it when the buffer is full."""
        if not record.service:
            record.service = self.service
        if not record.node_id:
            record.node_id = self.node_id
        try:
            self._queue.put_nowait(record)
        except _queue.Full:
            with self._dropped_lock:
                self._dropped += 1

    def flush(self, timeout: float = FLUSH_TIMEOUT) -> bool:
        """Waits until every line queued so far was sent (or given up on); at most
        ``timeout`` seconds. Returns whether it got there in time."""
        done = threading.Event()
        try:
            self._queue.put(done, timeout=timeout)
        except _queue.Full:
            return False
        return done.wait(timeout)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            batch: list[logs_pb2.LogRecord] = []
            markers: list[threading.Event] = []
            size = 0
            deadline = time.monotonic() + LINGER
            while True:
                if isinstance(item, threading.Event):
                    markers.append(item)
                    break  # a flush: send what we have now
                batch.append(item)
                size += item.ByteSize()
                if len(batch) >= MAX_BATCH or size >= MAX_BATCH_BYTES:
                    break
                remaining = deadline - time.monotonic()
                try:
                    item = self._queue.get(timeout=max(0.0, remaining)) if remaining > 0 else self._queue.get_nowait()
                except _queue.Empty:
                    break
            with self._dropped_lock:
                dropped, self._dropped = self._dropped, 0
            if dropped:
                batch.append(
                    logs_pb2.LogRecord(
                        time=to_timestamp(time.time()),
                        level=logs_pb2.LOG_LEVEL_WARN,
                        message=f"dropped {dropped} log lines (buffer full, or refused by the server)",
                        service=self.service,
                        node_id=self.node_id,
                        target="zenith.logs",
                    )
                )
            if batch:
                self._write(batch)
            for marker in markers:
                marker.set()

    def _write(self, batch: list[logs_pb2.LogRecord]) -> None:
        """Writes a batch: a line the server refuses is dropped alone (and counted), a
        transient failure is tried 3 times, then the batch is dropped and counted."""
        attempt = 1
        while batch:
            try:
                self.client.write_logs(batch)
                return
            except ZenithError as error:
                index = _refused_line(error)
                if index is not None and index < len(batch):
                    del batch[index]
                    self._count_dropped(1)
                elif error.is_transient and attempt < 3:
                    time.sleep(0.5 * attempt)
                    attempt += 1
                else:
                    # Not logged through `logging`, which could feed this very shipper.
                    print(f"zenith: shipping {len(batch)} log lines failed: {error}", file=sys.stderr)
                    self._count_dropped(len(batch))
                    return
            except Exception as error:  # noqa: BLE001 - e.g. a closed channel: never kill the shipper
                print(f"zenith: shipping {len(batch)} log lines failed: {error!r}", file=sys.stderr)
                self._count_dropped(len(batch))
                return

    def _count_dropped(self, count: int) -> None:
        with self._dropped_lock:
            self._dropped += count


def _refused_line(error: ZenithError) -> int | None:
    """The index of the line an INVALID_ARGUMENT answer names as ``records[i]…``."""
    if error.code != grpc.StatusCode.INVALID_ARGUMENT:
        return None
    match = re.search(r"records\[(\d+)\]", error.message)
    return int(match.group(1)) if match else None


_LEVELS: tuple[tuple[int, logs_pb2.LogLevel], ...] = (
    (logging.ERROR, logs_pb2.LOG_LEVEL_ERROR),
    (logging.WARNING, logs_pb2.LOG_LEVEL_WARN),
    (logging.INFO, logs_pb2.LOG_LEVEL_INFO),
    (logging.DEBUG, logs_pb2.LOG_LEVEL_DEBUG),
)


def _level(levelno: int) -> logs_pb2.LogLevel:
    for threshold, level in _LEVELS:
        if levelno >= threshold:
            return level
    return logs_pb2.LOG_LEVEL_TRACE


class ZenithLogHandler(logging.Handler):
    """A ``logging.Handler`` that ships records to Zenith's LogService.

    ``extra={...}`` attributes become the line's fields; records logged inside a worker's
    handler carry the job's id and queue. ``emit`` never blocks::

        handler = zenith.ZenithLogHandler(client, identity)
        logging.getLogger().addHandler(handler)
        ...
        handler.flush()  # before exit
    """

    def __init__(
        self,
        client: Client,
        identity: pulse_pb2.NodeIdentity,
        level: int = logging.NOTSET,
        *,
        buffer: int = DEFAULT_BUFFER,
    ) -> None:
        super().__init__(level)
        self.shipper = LogShipper(client, identity, buffer=buffer)

    def to_record(self, record: logging.LogRecord) -> logs_pb2.LogRecord:
        """The ``LogRecord`` message for a ``logging.LogRecord``."""
        message = record.getMessage()
        if record.exc_info and record.exc_info[0] is not None:
            message += "\n" + logging.Formatter().formatException(record.exc_info)
        line = logs_pb2.LogRecord(
            time=to_timestamp(record.created),
            level=_level(record.levelno),
            message=message,
            target=record.name,
        )
        job = current_job.get()
        if job is not None:
            line.queue, line.job_id = job
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                line.fields[key] = value if isinstance(value, str) else repr(value)
        return fit(line)

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("grpc") and record.levelno < logging.WARNING:
            return  # transport noise
        try:
            self.shipper.send(self.to_record(record))
        except Exception:  # noqa: BLE001 - logging must never raise
            self.handleError(record)

    def flush(self) -> None:
        """Waits (at most 10 s) until the lines logged so far were shipped."""
        self.shipper.flush()


