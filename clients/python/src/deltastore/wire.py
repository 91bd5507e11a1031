"""Frames and envelopes (PROTOCOL.md §3–§6), with no socket in sight.

A frame is one BSON document, its own little-endian int32 length as prefix.
Requests are ``{id, op, args?, deadline_ms?}``; replies ``{id, ok, result}``
or ``{id, ok: false, error: {code, message, details?}}``.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import timezone
from typing import Any, Dict, Mapping, Optional, Tuple, Union

import bson
from bson.codec_options import CodecOptions, DatetimeConversion
from bson.errors import BSONError
from bson.int64 import Int64

from .errors import DeltastoreError, ProtocolViolation, error_from_reply

#: The largest ``max_message_bytes`` a server can have: replies up to this are
#: accepted before ``hello`` has told the real limit (§3.4).
LARGEST_SERVER_MESSAGE_BYTES = 64 * 1024 * 1024
MIN_FRAME_BYTES = 5
MAX_DEADLINE_MS = 3_600_000

#: How documents are decoded: datetimes timezone-aware in UTC (out-of-range
#: ones as ``bson.DatetimeMS``), documents as plain dicts in document order.
CODEC_OPTIONS: "CodecOptions[Dict[str, Any]]" = CodecOptions(
    tz_aware=True, tzinfo=timezone.utc, datetime_conversion=DatetimeConversion.DATETIME_AUTO
)

RequestId = Union[int, Int64, str]
#: An id with its BSON type: int32 7, int64 7 and "7" are three ids (§6).
IdKey = Tuple[str, Union[int, str]]


def id_key(value: Any) -> Optional[IdKey]:
    """The key that matches a reply's ``id`` to a request, type included."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Int64):
        return ("int64", int(value))
    if isinstance(value, int):
        return ("int32", value) if -(2**31) <= value < 2**31 else ("int64", value)
    if isinstance(value, str):
        return ("string", value)
    return None


def encode_request(request_id: RequestId, op: str, args: Optional[Mapping[str, Any]] = None,
                   deadline_ms: Optional[int] = None) -> bytes:
    """One request frame. ``args`` is left out when empty (absent means ``{}``);
    ``deadline_ms`` is written as an int64."""
    envelope: Dict[str, Any] = {"id": request_id, "op": op}
    if args:
        envelope["args"] = args
    if deadline_ms is not None:
        envelope["deadline_ms"] = Int64(deadline_ms)
    return bson.encode(envelope)


def frame_length(prefix: bytes, max_bytes: int) -> int:
    """The length a frame's 4-byte prefix announces, checked against the bounds
    before any byte of the body is read (§3.2, §3.5)."""
    length: int = struct.unpack("<i", prefix)[0]
    if length < MIN_FRAME_BYTES or length > max_bytes:
        raise ProtocolViolation(f"frame length {length} outside {MIN_FRAME_BYTES}..{max_bytes}")
    return length


def decode_document(frame: bytes) -> Dict[str, Any]:
    """A frame's document; :class:`ProtocolViolation` when it is not valid BSON."""
    try:
        return bson.decode(frame, codec_options=CODEC_OPTIONS)
    except (BSONError, ValueError, OverflowError) as error:
        raise ProtocolViolation(f"invalid BSON from the server: {error}") from None


@dataclass(frozen=True)
class Reply:
    """A reply envelope: ``result`` on success, ``error`` (an exception) on failure."""

    id: Any
    ok: bool
    result: Optional[Dict[str, Any]] = None
    error: Optional[DeltastoreError] = None

    @property
    def key(self) -> Optional[IdKey]:
        return id_key(self.id)


def parse_reply(document: Mapping[str, Any]) -> Reply:
    """Reads a reply envelope; :class:`ProtocolViolation` when it is not one.
    Unknown fields are ignored (§5.3)."""
    ok = document.get("ok")
    if not isinstance(ok, bool):
        raise ProtocolViolation("reply without a bool 'ok'")
    request_id = document.get("id")
    if request_id is not None and id_key(request_id) is None:
        raise ProtocolViolation(f"reply with an id of type {type(request_id).__name__}")
    if ok:
        result = document.get("result")
        if request_id is None or not isinstance(result, dict):
            raise ProtocolViolation("success reply without 'id' or 'result'")
        return Reply(request_id, True, result=result)
    error = document.get("error")
    if not isinstance(error, dict) or not isinstance(error.get("code"), str) or not isinstance(error.get("message"), str):
        raise ProtocolViolation("error reply without 'error.code' and 'error.message'")
    return Reply(request_id, False, error=error_from_reply(error))
