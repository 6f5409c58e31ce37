"""Pieces both workers share: handler registry, results, failures, backoff."""

from __future__ import annotations

import logging
import os
import random
import socket
import traceback
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence, TypeVar

import grpc

from zenith._convert import encode_json
from zenith.errors import JobError, PayloadTooLargeError, ZenithError
from zenith.pulse import detect_identity
from zenith.v1 import pulse_pb2

log = logging.getLogger("zenith.worker")

MAX_ERROR_BYTES = 64 * 1024
MAX_STACK_TRACE_BYTES = 256 * 1024

H = TypeVar("H", bound=Callable[..., Any])

#: gRPC codes after which a worker stops instead of retrying: its configuration is wrong.
FATAL_CODES = frozenset({grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED})


class Backoff:
    """Exponential backoff with jitter."""

    def __init__(self, base: float = 0.1, maximum: float = 5.0) -> None:
        self.base = base
        self.maximum = maximum
        self.attempt = 0

    def next_delay(self) -> float:
        delay = min(self.maximum, self.base * (2**self.attempt))
        self.attempt += 1
        return delay / 2 + random.random() * delay / 2

    def reset(self) -> None:
        self.attempt = 0


def truncate(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", "ignore")


@dataclass
class Failure:
    """How an attempt failed, as sent with Fail."""

    message: str
    stack_trace: str = ""
    retryable: bool = True

    @classmethod
    def from_exception(cls, error: BaseException) -> "Failure":
        trace = "".join(traceback.format_exception(error))
        if isinstance(error, JobError):
            return cls(str(error) or type(error).__name__, trace, error.retryable)
        text = str(error)
        message = f"{type(error).__name__}: {text}" if text else type(error).__name__
        return cls(message, trace, True)


def encode_result(value: Any, limit: int) -> bytes:
    """A handler's return value as the ack's result: None → empty, bytes as given, str as
    UTF-8, anything else as compact JSON."""
    if value is None:
        data = b""
    elif isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
    elif isinstance(value, str):
        data = value.encode("utf-8")
    else:
        data = encode_json(value)
    if len(data) > limit:
        raise PayloadTooLargeError(len(data), limit, "result")
    return data


class HandlerRegistry:
    """Handlers by job type: a dict, :meth:`handle`, or the :meth:`handler` decorator."""

    def __init__(self, handlers: Mapping[str, Callable[..., Any]] | None, fallback: Callable[..., Any] | None) -> None:
        self.handlers: dict[str, Callable[..., Any]] = dict(handlers or {})
        self.fallback = fallback

    def handle(self, job_type: str, handler: Callable[..., Any]) -> None:
        """Runs ``handler(job)`` for jobs of ``job_type``."""
        self.handlers[job_type] = handler

    def handler(self, job_type: str) -> Callable[[H], H]:
        """Decorator: ``@worker.handler("send_email")``."""

        def register(function: H) -> H:
            self.handle(job_type, function)
            return function

        return register

    def lookup(self, job_type: str) -> Callable[..., Any] | None:
        return self.handlers.get(job_type, self.fallback)


class WorkerSettings(HandlerRegistry):
    """What both workers are configured with, checked once."""

    def __init__(
        self,
        handlers: Mapping[str, Callable[..., Any]] | None,
        fallback: Callable[..., Any] | None,
        *,
        queues: Sequence[str],
        concurrency: int,
        lease: float,
        wait: float,
        cancel_grace: float,
        service: str,
        identity: pulse_pb2.NodeIdentity | None,
        worker_id: str,
        install_signal_handlers: bool,
    ) -> None:
        super().__init__(handlers, fallback)
        if not queues:
            raise ValueError("a worker needs at least one queue")
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.queues = list(queues)
        self.concurrency = concurrency
        self.lease = lease
        self.wait = wait
        self.cancel_grace = cancel_grace
        self.identity = identity if identity is not None else detect_identity(service)
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}"
        self.install_signal_handlers = install_signal_handlers


def describe(error: ZenithError) -> str:
    return str(error)
