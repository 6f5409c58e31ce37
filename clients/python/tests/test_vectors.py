"""The shared conformance vectors in tests/vectors (jobs and pulse)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from google.protobuf import json_format

import zenith
from zenith.v1 import pulse_pb2, queue_pb2

VECTORS = Path(__file__).resolve().parents[3] / "tests" / "vectors"
JOB_VECTORS = sorted((VECTORS / "jobs").glob("*.json"))
PULSE_VALID = sorted(p for p in (VECTORS / "pulse").glob("*.json") if not p.name.startswith("invalid-"))
PULSE_INVALID = sorted((VECTORS / "pulse").glob("invalid-*.json"))


def test_vectors_exist() -> None:
    assert len(JOB_VECTORS) >= 4 and len(PULSE_VALID) >= 3 and len(PULSE_INVALID) >= 2


def build_from_input(data: dict) -> queue_pb2.EnqueueRequest:  # type: ignore[type-arg]
    """Builds the request with the SDK's own API, the way a caller would."""
    options = dict(data.get("options", {}))
    kwargs: dict = {}  # type: ignore[type-arg]
    for key in ("id", "priority", "max_attempts", "unique_key", "tags", "headers"):
        if key in options:
            kwargs[key] = options[key]
    for key, name in (("timeout_seconds", "timeout"), ("delay_seconds", "delay"), ("unique_ttl_seconds", "unique_ttl")):
        if key in options:
            kwargs[name] = options[key]
    if "json" in data:
        return zenith.enqueue_request(data["queue"], data["type"], data["json"], **kwargs)
    if "bytes_base64" in data:
        return zenith.enqueue_request(
            data["queue"],
            data["type"],
            payload=base64.b64decode(data["bytes_base64"]),
            content_type=data["content_type"],
            **kwargs,
        )
    return zenith.enqueue_request(data["queue"], data["type"], **kwargs)


@pytest.mark.parametrize("path", JOB_VECTORS, ids=lambda p: p.stem)
def test_job_vector(path: Path) -> None:
    vector = json.loads(path.read_text(encoding="utf-8"))
    built = build_from_input(vector["input"])
    expected = queue_pb2.EnqueueRequest.FromString(path.with_suffix(".binpb").read_bytes())
    assert built == expected
    # The JSON form in the vector is the same message too.
    assert json_format.ParseDict(vector["request"], queue_pb2.EnqueueRequest()) == expected
    # And the bytes are the same (deterministic serialization of a message without maps is
    # byte-exact; the comparison above is what counts for maps).
    if not built.job.headers:
        assert built.SerializeToString(deterministic=True) == path.with_suffix(".binpb").read_bytes()


@pytest.mark.parametrize("path", PULSE_VALID, ids=lambda p: p.stem)
def test_pulse_vector(path: Path) -> None:
    from_json = zenith.parse_beat_payload(path.read_text(encoding="utf-8"))
    from_binary = pulse_pb2.BeatPayload.FromString(path.with_suffix(".binpb").read_bytes())
    assert from_json == from_binary


@pytest.mark.parametrize("path", PULSE_INVALID, ids=lambda p: p.stem)
def test_pulse_invalid_vector(path: Path) -> None:
    with pytest.raises(ValueError):
        zenith.parse_beat_payload(path.read_bytes())


def test_json_payload_rule() -> None:
    request = zenith.enqueue_request("q", "t", {"b": "</a>&/", "a": "ü"})
    assert request.job.payload == '{"b":"</a>&/","a":"ü"}'.encode()
    assert request.job.content_type == "application/json"


def test_payload_over_the_limit_is_refused_when_built() -> None:
    with pytest.raises(zenith.PayloadTooLargeError):
        zenith.job_spec("q", "t", payload=b"x" * 11, max_payload_bytes=10)
