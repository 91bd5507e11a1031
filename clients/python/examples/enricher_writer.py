#!/usr/bin/env python3
"""The enricher's write path on deltastore: batched ``ticks.insert`` with retries.

DeltaStream's worker-enricher used to ``insert_one`` each tick into MongoDB
from a Celery task and guarded against re-delivery with a Redis key. With
deltastore, ticks are written in batches and a retried batch is harmless:
every tick carries a ``tick_id``, the daemon's idempotency key with
``product`` and ``timestamp``, so a tick already stored is counted in
``duplicates`` and not stored twice (and a feed that numbers ``tick_id`` from 0
again after a restart still has its new ticks stored: their timestamps are
new). A retry re-sends the very same documents (``processed_at`` is set once,
by ``enrich_tick``), which is what makes them duplicates: a tick with a stored
key but other content is a *conflict*, not stored, reported in ``conflicts``
and logged here (a message re-delivered by Celery and enriched again gets a
new ``processed_at``: its ticks are stored already, and come back as
conflicts). That makes it safe to retry a batch whose outcome is unknown —
the daemon restarted (``ConnectionFailed``), was briefly unavailable
(``Unavailable``) or did not answer in time (``DeadlineExceeded``).

    from deltastore import Client
    from enricher_writer import TickWriter, enrich_tick

    with Client() as client, TickWriter(client, batch_size=500) as writer:
        for message in feed:                      # e.g. the Redis pub/sub messages
            writer.add(enrich_tick(message))      # flushed every 500 ticks, and at exit

Run as a script, it reads raw ticks as JSON lines on stdin (the feed's
format: ``{"product", "price", "timestamp" (ISO), "tick_id"}``) and writes them.
"""
from __future__ import annotations

import json
import logging
import sys
import time
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, TypeVar

from deltastore import Client, DeadlineExceeded, InsertResult, Unavailable

log = logging.getLogger("enricher_writer")
T = TypeVar("T")

#: Failures after which re-sending the same batch is right: the outcome is
#: unknown or nothing was written, and ``tick_id`` makes a re-send idempotent.
RETRYABLE = (Unavailable, DeadlineExceeded)  # Unavailable includes ConnectionFailed


def enrich_tick(raw: Mapping[str, Any], now: Optional[Callable[[], datetime]] = None) -> Dict[str, Any]:
    """A tick record from a feed message: a BSON datetime for ``timestamp``
    (the feed sends ISO strings; deltastore takes only datetimes), a
    ``tick_id`` (required here: it is what makes retries safe) and
    ``processed_at``."""
    if raw.get("tick_id") in (None, ""):
        raise ValueError("a tick needs a tick_id to be retried safely")
    timestamp = raw["timestamp"]
    if isinstance(timestamp, str):
        timestamp = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    if timestamp.tzinfo is None:
        timestamp = timestamp.replace(tzinfo=timezone.utc)
    clock = now or (lambda: datetime.now(timezone.utc))
    return {"product": raw["product"], "price": raw["price"], "timestamp": timestamp, "tick_id": raw["tick_id"],
            "processed_at": clock()}


def write_ticks(client: Client, ticks: Sequence[Mapping[str, Any]], retries: int = 5, backoff: float = 0.2,
                max_backoff: float = 5.0, sleep: Callable[[float], None] = time.sleep) -> InsertResult:
    """Writes ``ticks`` in batches of at most the daemon's ``max_batch``,
    re-sending a batch after a retryable failure (exponential backoff, at most
    ``retries`` re-sends). Other errors (e.g. ``InvalidArgument`` for a bad
    tick: nothing of that batch was written) are raised at once."""

    def with_retries(action: Callable[[], T]) -> T:
        for attempt in range(retries):
            try:
                return action()
            except RETRYABLE as failure:
                delay = min(max_backoff, backoff * 2 ** attempt)
                log.warning("deltastore call failed (%s); retry %d of %d in %.1f s", failure, attempt + 1, retries, delay)
                sleep(delay)
        return action()

    inserted = duplicates = 0
    conflicts: List[int] = []
    batch_size = with_retries(lambda: client.server_hello().limits.max_batch)
    for offset in range(0, len(ticks), batch_size):
        batch = list(ticks[offset:offset + batch_size])
        result = with_retries(lambda: client.insert_ticks(batch))
        inserted += result.inserted
        duplicates += result.duplicates
        for index in result.conflicts:
            log.warning("tick %r conflicts with a stored tick of the same product, tick_id and timestamp; not stored",
                        batch[index].get("tick_id"))
        conflicts += [offset + index for index in result.conflicts]
    return InsertResult(inserted, duplicates, conflicts)


class TickWriter:
    """Collects ticks and writes them in batches of ``batch_size`` with
    :func:`write_ticks`; ``flush()`` (and leaving the ``with`` block) writes
    what is left. Not thread-safe: use one per worker thread."""

    def __init__(self, client: Client, batch_size: int = 500, retries: int = 5, backoff: float = 0.2) -> None:
        self.client = client
        self.batch_size = batch_size
        self.retries = retries
        self.backoff = backoff
        self.pending: List[Dict[str, Any]] = []
        self.inserted = 0
        self.duplicates = 0
        self.conflicts = 0

    def add(self, tick: Dict[str, Any]) -> None:
        self.pending.append(tick)
        if len(self.pending) >= self.batch_size:
            self.flush()

    def flush(self) -> InsertResult:
        if not self.pending:
            return InsertResult(0, 0)
        result = write_ticks(self.client, self.pending, retries=self.retries, backoff=self.backoff)
        self.pending = []
        self.inserted += result.inserted
        self.duplicates += result.duplicates
        self.conflicts += len(result.conflicts)
        return result

    def __enter__(self) -> "TickWriter":
        return self

    def __exit__(self, kind: object, *rest: object) -> None:
        if kind is None:
            self.flush()


def main() -> int:
    logging.basicConfig(level=logging.INFO)
    with Client() as client, TickWriter(client) as writer:
        for line in sys.stdin:
            if line.strip():
                writer.add(enrich_tick(json.loads(line)))
    print(f"inserted {writer.inserted}, duplicates {writer.duplicates}, conflicts {writer.conflicts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
