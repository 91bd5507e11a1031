"""Exceptions: one class per protocol error code (PROTOCOL.md §10).

Every exception raised by the client is a :class:`DeltastoreError` with a
``code`` (the protocol's code, a string) and ``details`` (a dict, empty when
the reply had none). Client-side failures use the code that means the same
thing: a lost connection is ``UNAVAILABLE`` (:class:`ConnectionFailed`), the
client's own timer is ``DEADLINE_EXCEEDED`` (:class:`DeadlineExceeded`).
"""
from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Type


class DeltastoreError(Exception):
    """Base of every error the client raises."""

    code: str = "INTERNAL"

    def __init__(self, message: str, details: Optional[Mapping[str, Any]] = None, code: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: Dict[str, Any] = dict(details or {})
        if code is not None:
            self.code = code

    @property
    def field(self) -> Optional[str]:
        """``details.field`` of an ``INVALID_ARGUMENT`` error: the offending argument or path."""
        value = self.details.get("field")
        return value if isinstance(value, str) else None

    @property
    def index(self) -> Optional[int]:
        """``details.index``: the position of the offending item of a batch."""
        value = self.details.get("index")
        return int(value) if isinstance(value, int) else None

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class BadFrame(DeltastoreError):
    """The server could not read the byte stream; it closes the connection."""
    code = "BAD_FRAME"


class BadRequest(DeltastoreError):
    """A request envelope the server refused (a bug in the client)."""
    code = "BAD_REQUEST"


class UnknownOp(DeltastoreError):
    """The server has no such operation (see ``Client.hello().ops``)."""
    code = "UNKNOWN_OP"


class InvalidArgument(DeltastoreError, ValueError):
    """An argument or an item of a batch breaks a rule; see ``field`` and ``index``."""
    code = "INVALID_ARGUMENT"


class NotFound(DeltastoreError, LookupError):
    """The requested record does not exist."""
    code = "NOT_FOUND"


class Conflict(DeltastoreError):
    """The write conflicts with existing data (e.g. an email already registered)."""
    code = "CONFLICT"


class Unauthenticated(DeltastoreError):
    """Wrong or missing credentials (unknown email and wrong password alike)."""
    code = "UNAUTHENTICATED"


class TokenExpired(DeltastoreError):
    """The token was valid and has expired: refresh it."""
    code = "TOKEN_EXPIRED"


class TokenInvalid(DeltastoreError):
    """The token is malformed, forged, of the wrong kind or signed by an unknown key."""
    code = "TOKEN_INVALID"


class TokenRevoked(DeltastoreError):
    """The token's session was logged out or revoked: log in again."""
    code = "TOKEN_REVOKED"


class PermissionDenied(DeltastoreError, PermissionError):
    """This process may not call the operation."""
    code = "PERMISSION_DENIED"


class RateLimited(DeltastoreError):
    """Too many attempts; try again after ``retry_after_ms`` milliseconds."""
    code = "RATE_LIMITED"

    @property
    def retry_after_ms(self) -> Optional[int]:
        value = self.details.get("retry_after_ms")
        return int(value) if isinstance(value, int) else None


class Unavailable(DeltastoreError):
    """The store or the server is not available now; retrying later may work."""
    code = "UNAVAILABLE"


class ConnectionFailed(Unavailable, ConnectionError):
    """The daemon could not be reached, or the connection closed before the
    reply (the outcome of a request that was sent is then unknown)."""


class ProtocolViolation(ConnectionFailed):
    """The server sent something that is not a valid reply; the connection was closed."""


class DeadlineExceeded(DeltastoreError, TimeoutError):
    """The deadline passed before the operation completed (the server's
    ``DEADLINE_EXCEEDED``, or the client's own timer): the outcome is unknown."""
    code = "DEADLINE_EXCEEDED"


class ResourceExhausted(DeltastoreError):
    """A limit was reached (e.g. a reply or request over ``max_message_bytes``)."""
    code = "RESOURCE_EXHAUSTED"


class InternalError(DeltastoreError):
    """A bug or unexpected failure in the server (or a code this client does not know)."""
    code = "INTERNAL"


ERRORS_BY_CODE: Dict[str, Type[DeltastoreError]] = {
    cls.code: cls
    for cls in (
        BadFrame, BadRequest, UnknownOp, InvalidArgument, NotFound, Conflict, Unauthenticated,
        TokenExpired, TokenInvalid, TokenRevoked, PermissionDenied, RateLimited, Unavailable,
        DeadlineExceeded, ResourceExhausted, InternalError,
    )
}


def error_from_reply(error: Mapping[str, Any]) -> DeltastoreError:
    """The exception for an error reply's ``error`` document; an unknown code
    is handled like ``INTERNAL`` (PROTOCOL.md §10) and keeps its own ``code``."""
    code = str(error.get("code", "INTERNAL"))
    message = str(error.get("message", ""))
    details = error.get("details")
    details = details if isinstance(details, Mapping) else None
    cls = ERRORS_BY_CODE.get(code)
    if cls is None:
        return InternalError(message, details, code=code)
    return cls(message, details)
