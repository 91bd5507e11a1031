"""The enricher's write path: batches, retries across a daemon restart, and
idempotent re-sends thanks to tick_id."""
from __future__ import annotations

import sys
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, List, Sequence

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))

from daemon import Daemon  # noqa: E402
from deltastore import Client, ConnectionFailed, InsertResult, InvalidArgument  # noqa: E402
from enricher_writer import TickWriter, enrich_tick, write_ticks  # noqa: E402


def feed(count: int, start: int = 0) -> List[dict]:
    return [{"product": "NIFTY", "price": 23500.0 + i, "timestamp": f"2025-01-30T09:{15 + i // 60:02d}:{i % 60:02d}",
             "tick_id": f"nifty-{i}"} for i in range(start, start + count)]


def test_enrich_tick_makes_datetimes_and_requires_tick_id() -> None:
    now = datetime(2025, 1, 30, 9, 15, 0, 250000, tzinfo=timezone.utc)
    record = enrich_tick(feed(1)[0], now=lambda: now)
    assert record == {"product": "NIFTY", "price": 23500.0, "tick_id": "nifty-0", "processed_at": now,
                      "timestamp": datetime(2025, 1, 30, 9, 15, tzinfo=timezone.utc)}
    with pytest.raises(ValueError):
        enrich_tick({"product": "NIFTY", "price": 1.0, "timestamp": "2025-01-30T09:15:00"})


def test_batches_of_the_daemon_max_batch(make_daemon) -> None:
    small = make_daemon("--max-batch", "7")
    with Client(small.socket_path) as client:
        result = write_ticks(client, [enrich_tick(t) for t in feed(30)])
        assert result == InsertResult(30, 0)
        assert client.ticks("NIFTY", limit=100).count == 30


def test_writer_flushes_and_counts_duplicates(client: Client) -> None:
    with TickWriter(client, batch_size=10) as writer:
        for raw in feed(25):
            writer.add(enrich_tick(raw))
        assert writer.inserted == 20 and len(writer.pending) == 5
    assert (writer.inserted, writer.duplicates) == (25, 0)
    # A retry of the same records stores nothing twice: all duplicates.
    stored = client.ticks("NIFTY", limit=100, order="asc").ticks
    assert write_ticks(client, stored) == InsertResult(0, 25)
    # Re-delivery of the same messages (Celery retries) enriched again has a new
    # processed_at: the same ticks with other content, conflicts, stored nothing twice.
    assert write_ticks(client, [enrich_tick(t) for t in feed(25)]) == InsertResult(0, 0, list(range(25)))
    assert client.ticks("NIFTY", limit=100).count == 25


class LosesReplies:
    """A client whose first insert is applied but its reply lost (outcome unknown)."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.calls = 0

    def server_hello(self) -> Any:
        return self.client.server_hello()

    def insert_ticks(self, ticks: Sequence[dict]) -> InsertResult:
        self.calls += 1
        result = self.client.insert_ticks(ticks)
        if self.calls == 1:
            raise ConnectionFailed("connection closed by the server before the reply")
        return result


def test_a_batch_whose_reply_was_lost_is_resent_safely(client: Client) -> None:
    flaky = LosesReplies(client)
    result = write_ticks(flaky, [enrich_tick(t) for t in feed(10)], sleep=lambda _: None)  # type: ignore[arg-type]
    assert flaky.calls == 2 and result == InsertResult(0, 10)
    assert client.ticks("NIFTY", limit=100).count == 10


def test_retries_until_the_daemon_is_back(client: Client, daemon: Daemon) -> None:
    write_ticks(client, [enrich_tick(t) for t in feed(5)])
    daemon.kill()
    restarter = threading.Timer(0.5, daemon.start)
    restarter.start()
    try:
        result = write_ticks(client, [enrich_tick(t) for t in feed(10)], retries=8, backoff=0.1)
    finally:
        restarter.join()
    # The first 5 were enriched again (another processed_at): conflicts, not stored twice.
    assert result == InsertResult(5, 0, [0, 1, 2, 3, 4])
    assert client.ticks("NIFTY", limit=100).count == 10


def test_invalid_ticks_are_not_retried(client: Client) -> None:
    bad = enrich_tick(feed(1)[0])
    bad["price"] = -1.0
    with pytest.raises(InvalidArgument):
        write_ticks(client, [bad], sleep=lambda _: pytest.fail("retried an invalid batch"))
