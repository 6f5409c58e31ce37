"""Errors raised by the Zenith SDK.

Every failed call raises :class:`ZenithError`, which keeps the gRPC status code
(``err.code``, a :class:`grpc.StatusCode`) and the ``google.rpc.ErrorInfo`` reason the server
sent, when it sent one. Refusals of the API key are its subclasses
:class:`UnauthenticatedError` (no key, or one the server does not accept) and
:class:`PermissionDeniedError` (the key's role or queues do not allow the call).
"""

from __future__ import annotations

import grpc

__all__ = [
    "ZenithError",
    "UnauthenticatedError",
    "PermissionDeniedError",
    "PayloadTooLargeError",
    "JobError",
    "TRANSIENT_CODES",
]

#: Codes after which the same call may succeed when tried again.
TRANSIENT_CODES = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.ABORTED,
    }
)


class ZenithError(Exception):
    """A call to the Zenith server failed, or was refused before it was sent.

    Attributes:
        code: the gRPC status code, or ``None`` when the SDK refused the call itself.
        message: the server's (or SDK's) description of the problem.
        reason: the ``google.rpc.ErrorInfo`` reason (e.g. ``LEASE_STALE``), when present.
    """

    def __init__(
        self, message: str, code: grpc.StatusCode | None = None, reason: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.reason = reason

    def __str__(self) -> str:
        if self.code is None:
            return self.message
        return f"{self.code.name}: {self.message}"

    @property
    def is_transient(self) -> bool:
        """Whether trying the same call again later makes sense (server down, overloaded).

        A size limit (``RESOURCE_EXHAUSTED`` with reason ``TOO_LARGE``) answers the same every
        time, so it is not transient.
        """
        return self.code in TRANSIENT_CODES and self.reason != "TOO_LARGE"

    @classmethod
    def from_rpc_error(cls, error: grpc.RpcError) -> "ZenithError":
        """Wraps a ``grpc.RpcError`` (sync or aio), keeping its code and ErrorInfo reason."""
        code = error.code() if hasattr(error, "code") else None
        details = error.details() if hasattr(error, "details") else None
        reason = _error_info_reason(error)
        kind = _BY_CODE.get(code, cls) if cls is ZenithError else cls
        return kind(details or str(error), code, reason)


class UnauthenticatedError(ZenithError):
    """``UNAUTHENTICATED``: the call carried no API key while the server has keys, or a key
    it does not accept (unknown, revoked, expired, malformed)."""


class PermissionDeniedError(ZenithError):
    """``PERMISSION_DENIED``: the API key is valid but its role or queues do not allow the call."""


_BY_CODE: dict[grpc.StatusCode | None, type[ZenithError]] = {
    grpc.StatusCode.UNAUTHENTICATED: UnauthenticatedError,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDeniedError,
}


class PayloadTooLargeError(ZenithError, ValueError):
    """A payload is larger than the configured limit; nothing was sent."""

    def __init__(self, size: int, limit: int, what: str = "payload") -> None:
        super().__init__(
            f"{what} of {size} bytes is over the limit of {limit} bytes "
            "(the server's --max-payload-bytes; set max_payload_bytes on the client to match)",
            None,
            "PAYLOAD_TOO_LARGE",
        )
        self.size = size
        self.limit = limit


class JobError(Exception):
    """Raise from a handler to fail the attempt with a message.

    ``JobError("bad address", retryable=False)`` sends the job straight to dead instead of
    retrying it. Any other exception fails the attempt as retryable.
    """

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


def _error_info_reason(error: grpc.RpcError) -> str | None:
    """Reads the ErrorInfo reason from the grpc-status-details-bin trailer, if any."""
    try:
        metadata = error.trailing_metadata()  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - not every RpcError carries metadata
        return None
    if not metadata:
        return None
    for item in metadata:
        key, value = (item.key, item.value) if hasattr(item, "key") else item
        if key != "grpc-status-details-bin" or not isinstance(value, bytes):
            continue
        return _reason_from_status_bytes(value)
    return None


def _reason_from_status_bytes(data: bytes) -> str | None:
    # google.rpc.Status: code=1, message=2, details=3 (repeated Any). Any: type_url=1, value=2.
    # ErrorInfo: reason=1. Parse by hand so googleapis-common-protos is not a dependency.
    from google.protobuf.internal.decoder import _DecodeVarint  # type: ignore[attr-defined]

    def fields(buf: bytes) -> list[tuple[int, bytes]]:
        out: list[tuple[int, bytes]] = []
        pos = 0
        while pos < len(buf):
            tag, pos = _DecodeVarint(buf, pos)
            number, wire = tag >> 3, tag & 7
            if wire == 0:
                _, pos = _DecodeVarint(buf, pos)
            elif wire == 2:
                length, pos = _DecodeVarint(buf, pos)
                out.append((number, buf[pos : pos + length]))
                pos += length
            elif wire == 1:
                pos += 8
            elif wire == 5:
                pos += 4
            else:
                return out
        return out

    try:
        for number, detail in fields(data):
            if number != 3:
                continue
            parts = dict(fields(detail))
            if parts.get(1, b"").endswith(b"google.rpc.ErrorInfo"):
                for inner_number, value in fields(parts.get(2, b"")):
                    if inner_number == 1:
                        return value.decode("utf-8", "replace")
    except Exception:  # noqa: BLE001 - a malformed detail only loses the reason
        return None
    return None
