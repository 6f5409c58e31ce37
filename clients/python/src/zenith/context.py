"""What a handler receives: the job, and a cancellation token."""

from __future__ import annotations

import asyncio
import json as _json
import threading
from typing import Any

from zenith.v1 import job_pb2

__all__ = ["CancellationToken", "JobCancelled", "JobContext"]


class JobCancelled(Exception):
    """Raised by :meth:`CancellationToken.raise_if_cancelled`."""


class CancellationToken:
    """Tells a handler to stop: set when an operator cancels the job, the job's timeout
    passes, the lease is lost, or (for the asyncio worker) the worker gives up on it.

    Threaded handlers poll :attr:`is_cancelled` or block on :meth:`wait`; asyncio handlers
    ``await token.cancelled()``.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
        self.reason = ""

    @property
    def is_cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self, reason: str = "") -> None:
        """Sets the token (once; the first reason stays)."""
        with self._lock:
            if self._event.is_set():
                return
            self.reason = reason
            self._event.set()
            waiters, self._waiters = self._waiters, []
        for loop, event in waiters:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:
                pass  # the loop is closed

    def wait(self, timeout: float | None = None) -> bool:
        """Blocks until cancelled or ``timeout`` passed; returns whether cancelled."""
        return self._event.wait(timeout)

    async def cancelled(self) -> None:
        """Completes once the token is cancelled."""
        event = asyncio.Event()
        with self._lock:
            if self._event.is_set():
                return
            self._waiters.append((asyncio.get_running_loop(), event))
        await event.wait()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise JobCancelled(self.reason or "cancelled")


class JobContext:
    """One reserved job as a handler sees it.

    Attributes:
        job: the ``zenith.v1.Job`` message.
        lease_token: the reservation's token.
        token: the :class:`CancellationToken` of this attempt.
    """

    def __init__(self, job: job_pb2.Job, lease_token: str, token: CancellationToken | None = None) -> None:
        self.job = job
        self.lease_token = lease_token
        self.token = token if token is not None else CancellationToken()

    @property
    def id(self) -> str:
        return self.job.id

    @property
    def queue(self) -> str:
        return self.job.queue

    @property
    def type(self) -> str:
        return self.job.type

    @property
    def payload(self) -> bytes:
        return self.job.payload

    @property
    def attempt(self) -> int:
        """1 for the first attempt."""
        return self.job.attempts

    @property
    def headers(self) -> dict[str, str]:
        """The job's headers; ``traceparent`` names the span that enqueued it, to continue its trace."""
        return dict(self.job.headers)

    def json(self) -> Any:
        """The payload decoded as JSON (``None`` for an empty payload)."""
        if not self.job.payload:
            return None
        return _json.loads(self.job.payload)

    @property
    def is_cancelled(self) -> bool:
        return self.token.is_cancelled

    @property
    def cancel_reason(self) -> str:
        return self.token.reason

    def __repr__(self) -> str:
        return f"JobContext(queue={self.queue!r}, id={self.id!r}, type={self.type!r})"
