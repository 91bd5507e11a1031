"""One connection to deltastored, shared by many threads.

Requests are multiplexed by id: any number of threads send on the same socket
and wait for their own reply, which a reader thread matches by id (and id type)
as replies arrive, in any order (PROTOCOL.md §6).
"""
from __future__ import annotations

import itertools
import logging
import os
import socket
import threading
from typing import Any, Dict, Mapping, Optional

from bson.int64 import Int64

from .errors import ConnectionFailed, DeadlineExceeded, DeltastoreError, ProtocolViolation, ResourceExhausted
from .wire import (LARGEST_SERVER_MESSAGE_BYTES, IdKey, Reply, decode_document, encode_request, frame_length,
                   id_key, parse_reply)

log = logging.getLogger("deltastore")


class RequestNotSent(ConnectionFailed):
    """The connection was closed before the request was written: it may be sent elsewhere."""


class _Waiter:
    __slots__ = ("event", "reply", "error")

    def __init__(self) -> None:
        self.event = threading.Event()
        self.reply: Optional[Reply] = None
        self.error: Optional[DeltastoreError] = None


class Connection:
    """A multiplexed connection. It does not reconnect: when the daemon closes
    it, waiting calls fail with :class:`ConnectionFailed` and so do later ones."""

    def __init__(self, socket_path: str, connect_timeout: float = 5.0) -> None:
        self.socket_path = socket_path
        self.pid = os.getpid()
        self.max_request_bytes = LARGEST_SERVER_MESSAGE_BYTES
        self._ids = itertools.count(1)
        self._waiting: Dict[IdKey, _Waiter] = {}
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._failure: Optional[DeltastoreError] = None
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._sock.settimeout(connect_timeout)
            self._sock.connect(socket_path)
            self._sock.settimeout(None)
        except OSError as error:
            self._sock.close()
            raise ConnectionFailed(f"cannot connect to {socket_path}: {error}") from None
        self._reader = threading.Thread(target=self._read_loop, name=f"deltastore-reader-{socket_path}", daemon=True)
        self._reader.start()

    @property
    def alive(self) -> bool:
        """False once the connection closed (or is closing after ``BAD_FRAME``)."""
        return self._failure is None

    def call(self, op: str, args: Optional[Mapping[str, Any]] = None, deadline_ms: Optional[int] = None,
             timeout: Optional[float] = None) -> Dict[str, Any]:
        """Sends a request and returns its ``result``, or raises its error.
        ``timeout`` is the client's own wait: past it :class:`DeadlineExceeded`
        is raised and a late reply is discarded (the id is never reused)."""
        request_id = Int64(next(self._ids))
        return self.call_with_id(request_id, encode_request(request_id, op, args, deadline_ms), timeout)

    def call_with_id(self, request_id: Any, frame: bytes, timeout: Optional[float]) -> Dict[str, Any]:
        """Sends an encoded request whose id is ``request_id`` and waits for its reply."""
        reply = self.exchange(request_id, frame, timeout)
        if reply.error is not None:
            raise reply.error
        assert reply.result is not None
        return reply.result

    def exchange(self, request_id: Any, frame: bytes, timeout: Optional[float]) -> Reply:
        """Sends a frame and returns the reply with ``request_id``, success or failure."""
        if len(frame) > self.max_request_bytes:
            raise ResourceExhausted(f"request of {len(frame)} bytes exceeds max_message_bytes {self.max_request_bytes}; "
                                    "it was not sent")
        key = id_key(request_id)
        assert key is not None
        waiter = _Waiter()
        with self._lock:
            if self._failure is not None:
                raise RequestNotSent(f"connection is closed: {self._failure.message}")
            self._waiting[key] = waiter
        try:
            with self._write_lock:
                self._sock.sendall(frame)
        except OSError as error:
            self._fail(ConnectionFailed(f"cannot write the request: {error}"))
        if not waiter.event.wait(timeout):
            with self._lock:
                self._waiting.pop(key, None)
            if not waiter.event.is_set():
                raise DeadlineExceeded(f"no reply within {timeout:g} s (client timeout)")
        if waiter.error is not None:
            raise waiter.error
        assert waiter.reply is not None
        return waiter.reply

    def close(self) -> None:
        """Closes the connection; calls still waiting fail with :class:`ConnectionFailed`."""
        if os.getpid() != self.pid:
            # Inherited through fork: the parent still uses this socket.
            self._sock.close()
            return
        self._fail(ConnectionFailed("connection closed by the client"))
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()

    def _fail(self, error: DeltastoreError) -> None:
        with self._lock:
            if self._failure is None:
                self._failure = error
            waiting = list(self._waiting.values())
            self._waiting.clear()
        for waiter in waiting:
            waiter.error = error
            waiter.event.set()

    def _read_exactly(self, count: int) -> Optional[bytes]:
        chunks = bytearray()
        while len(chunks) < count:
            chunk = self._sock.recv(count - len(chunks))
            if not chunk:
                if chunks:
                    raise ProtocolViolation(f"stream ended inside a frame ({len(chunks)} of {count} bytes)")
                return None
            chunks += chunk
        return bytes(chunks)

    def _read_loop(self) -> None:
        closing: DeltastoreError = ConnectionFailed("connection closed by the server before the reply")
        try:
            while True:
                prefix = self._read_exactly(4)
                if prefix is None:
                    break
                length = frame_length(prefix, LARGEST_SERVER_MESSAGE_BYTES)
                body = self._read_exactly(length - 4)
                if body is None:
                    raise ProtocolViolation("stream ended inside a frame")
                self._deliver(parse_reply(decode_document(prefix + body)))
        except ProtocolViolation as violation:
            closing = violation
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        except OSError as error:
            closing = ConnectionFailed(f"connection lost: {error}")
        self._fail(closing)

    def _deliver(self, reply: Reply) -> None:
        key = reply.key
        if key is None:
            if reply.error is not None and reply.error.code == "BAD_FRAME":
                # The server answers what it read before the bad frame, then
                # closes: send nothing more, keep delivering until the end (§3.3).
                with self._lock:
                    self._failure = self._failure or reply.error
            else:
                log.error("deltastore: reply without id (a bug in the client's envelopes?): %s", reply.error)
            return
        with self._lock:
            waiter = self._waiting.pop(key, None)
        if waiter is not None:
            waiter.reply = reply
            waiter.event.set()
