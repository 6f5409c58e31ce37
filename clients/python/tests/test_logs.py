"""Log shipping pieces that need no server."""

from __future__ import annotations

import logging
import time

import zenith
from zenith.logs import MAX_FIELD_BYTES, MAX_MESSAGE_BYTES, fit
from zenith.v1 import logs_pb2

from conftest import free_port


def test_emit_never_blocks_even_when_the_server_is_unreachable() -> None:
    client = zenith.Client(f"http://127.0.0.1:{free_port()}", call_timeout=2)
    handler = zenith.ZenithLogHandler(client, zenith.detect_identity("unreachable"), buffer=10)
    logger = logging.getLogger("test.unreachable")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        began = time.monotonic()
        for n in range(2000):
            logger.warning("line %d", n)
        assert time.monotonic() - began < 1.0
    finally:
        logger.removeHandler(handler)
        client.close()


def test_lines_are_fitted_to_the_servers_limits() -> None:
    record = logs_pb2.LogRecord(message="é" * MAX_MESSAGE_BYTES + "\x00", queue="bad queue!", job_id="ok-1")
    for n in range(70):
        record.fields[f"k{n}"] = "v"
    record.fields["big"] = "x" * (MAX_FIELD_BYTES + 10)
    fit(record)
    assert len(record.message.encode()) <= MAX_MESSAGE_BYTES and record.message.endswith("…[truncated]")
    assert "\x00" not in record.message
    assert len(record.fields) <= 64
    assert all(len(v.encode()) <= MAX_FIELD_BYTES for v in record.fields.values())
    assert record.queue == "" and record.job_id == "ok-1"


def test_records_carry_extra_fields_and_levels() -> None:
    client = zenith.Client("http://127.0.0.1:1")
    handler = zenith.ZenithLogHandler(client, zenith.detect_identity("svc"))
    record = logging.LogRecord("app", logging.ERROR, __file__, 1, "hello %s", ("you",), None)
    record.order_id = 7
    line = handler.to_record(record)
    assert line.message == "hello you" and line.level == logs_pb2.LOG_LEVEL_ERROR
    assert dict(line.fields) == {"order_id": "7"} and line.target == "app"
    client.close()
