"""A few multiplexed connections, opened lazily and replaced when they die."""
from __future__ import annotations

import os
import threading
from typing import Callable, List, Optional, Tuple

from .connection import Connection
from .errors import ConnectionFailed
from .results import ServerHello


class ConnectionPool:
    """Round-robin over ``size`` slots. A slot whose connection died (the
    daemon restarted or closed it) is refilled by the next call that lands on
    it: one connection attempt, no retry loop. After ``fork()`` the child
    drops the parent's connections and opens its own."""

    def __init__(self, size: int, opener: Callable[[Optional[float]], Tuple[Connection, ServerHello]]) -> None:
        self._opener = opener
        self._slots: List[Optional[Tuple[Connection, ServerHello]]] = [None] * max(1, size)
        self._slot_locks = [threading.Lock() for _ in self._slots]
        self._lock = threading.Lock()
        self._next = 0
        self._pid = os.getpid()
        self._closed = False

    def get(self, timeout: Optional[float] = None) -> Tuple[Connection, ServerHello]:
        """A live connection and its ``hello``."""
        self._after_fork()
        with self._lock:
            index = self._next
            self._next = (self._next + 1) % len(self._slots)
        return self._slot(index, timeout)

    def replace(self, stale: Connection, timeout: Optional[float] = None) -> Tuple[Connection, ServerHello]:
        """A live connection other than ``stale``, found closed by the caller."""
        for index, slot in enumerate(self._slots):
            if slot is not None and slot[0] is stale:
                return self._slot(index, timeout)
        return self.get(timeout)

    def latest_hello(self) -> Optional[ServerHello]:
        for slot in self._slots:
            if slot is not None and slot[0].alive:
                return slot[1]
        return None

    def close(self) -> None:
        self._closed = True
        for index, lock in enumerate(self._slot_locks):
            with lock:
                slot, self._slots[index] = self._slots[index], None
            if slot is not None:
                slot[0].close()

    def _slot(self, index: int, timeout: Optional[float]) -> Tuple[Connection, ServerHello]:
        with self._slot_locks[index]:
            if self._closed:
                raise ConnectionFailed("the client is closed")
            slot = self._slots[index]
            if slot is not None and slot[0].alive:
                return slot
            if slot is not None:
                slot[0].close()
                self._slots[index] = None
            slot = self._opener(timeout)
            self._slots[index] = slot
            return slot

    def _after_fork(self) -> None:
        if os.getpid() == self._pid:
            return
        # In the child: the parent's locks may have been held by threads that
        # do not exist here, so they are replaced, not acquired.
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._slot_locks = [threading.Lock() for _ in self._slots]
        for index, slot in enumerate(self._slots):
            if slot is not None:
                slot[0].close()  # only closes the inherited descriptor
            self._slots[index] = None
