"""Every market-data operation through its method, against the daemon."""
from datetime import datetime, timedelta, timezone

import pytest
from bson.int64 import Int64

from daemon import Daemon
from deltastore import Client, Conflict, InsertResult, NotFound
from records import BASE, chain, quote, tick


def test_ticks_round_trip_with_aware_utc_datetimes(client: Client) -> None:
    ticks = [tick("NIFTY", 23500.0 + i, i * 20, f"n-{i}", processed_at=BASE + timedelta(milliseconds=250)) for i in range(5)]
    assert client.insert_ticks(ticks + [tick("BANKNIFTY", 49250.0, 0, "b-0")]) == InsertResult(6, 0)
    assert client.insert_ticks(ticks) == InsertResult(0, 5)
    # The same key (product, tick_id, timestamp) with another price: a conflict, reported by position.
    assert client.insert_ticks([ticks[1], tick("NIFTY", 1.0, 0, "n-0")]) == InsertResult(0, 1, [1])

    page = client.ticks("NIFTY", limit=3)
    assert page.product == "NIFTY" and page.count == 3
    assert [t["tick_id"] for t in page.ticks] == ["n-4", "n-3", "n-2"]
    assert page.next is not None
    last = client.ticks("NIFTY", limit=3, cursor=page.next)
    assert [t["tick_id"] for t in last.ticks] == ["n-1", "n-0"] and last.next is None
    # Records come back exactly as sent, times as aware UTC datetimes.
    assert last.ticks[-1] == ticks[0]
    assert last.ticks[-1]["timestamp"].tzinfo is not None
    assert last.ticks[-1]["timestamp"].utcoffset() == timedelta(0)

    # Times in any zone are the same instants.
    ist = timezone(timedelta(hours=5, minutes=30))
    asc = client.ticks("NIFTY", start=(BASE + timedelta(seconds=20)).astimezone(ist), end=BASE + timedelta(seconds=60),
                       order="asc")
    assert [t["tick_id"] for t in asc.ticks] == ["n-1", "n-2", "n-3"]

    assert client.latest_tick("NIFTY")["price"] == 23504.0
    bars = client.ohlc("NIFTY", "1m")
    assert (bars.product, bars.window) == ("NIFTY", "1m")
    assert [(b.start, b.open, b.high, b.low, b.close, b.count) for b in bars.bars] == [
        (BASE, 23500.0, 23502.0, 23500.0, 23502.0, 3),
        (BASE + timedelta(minutes=1), 23503.0, 23504.0, 23503.0, 23504.0, 2),
    ]


def test_naive_datetime_arguments_are_refused(client: Client) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        client.ticks("NIFTY", start=datetime(2025, 1, 30, 9, 15))


def test_integer_types_are_kept(client: Client) -> None:
    client.insert_ticks([{"product": "NIFTY", "price": Int64(23520), "timestamp": BASE, "tick_id": 3}])
    stored = client.latest_tick("NIFTY")
    assert isinstance(stored["price"], Int64) and stored["price"] == 23520
    assert type(stored["tick_id"]) is int


def test_page_iterator_follows_next(client: Client) -> None:
    client.insert_ticks([tick("NIFTY", 100.0 + i, i, f"t{i}") for i in range(25)])
    seen = [t["tick_id"] for t in client.iter_ticks("NIFTY", limit=7, order="asc")]
    assert seen == [f"t{i}" for i in range(25)]
    pages = list(client.pages(client.ticks, "NIFTY", limit=10))
    assert [p.count for p in pages] == [10, 10, 5]
    assert pages[-1].next is None


def test_quotes_chains_and_catalog(client: Client) -> None:
    quotes = [quote("NIFTY250130C23500", 23500, "CALL", 0), quote("NIFTY250130P23500", 23500, "PUT", 0),
              quote("NIFTY250130C23600", 23600, "CALL", 0), quote("NIFTY250227C23600", 23600, "CALL", 5, "2025-02-27")]
    assert client.insert_quotes(quotes) == InsertResult(4, 0)
    assert client.insert_quotes(quotes[:1]) == InsertResult(0, 1)
    calls = client.quotes(product="NIFTY", expiry="2025-01-30", option_type="CALL", strike_min=23550)
    assert [q["symbol"] for q in calls.quotes] == ["NIFTY250130C23600"]
    assert calls.quotes[0]["processed_at"] == BASE + timedelta(milliseconds=250)
    assert client.quotes(symbol="NIFTY250130P23500").count == 1
    assert len(list(client.iter_quotes(product="NIFTY", limit=1))) == 4

    chains = [chain("2025-01-30", 0, 0.875), chain("2025-01-30", 60, 0.9375), chain("2025-02-06", 0, 1.0)]
    assert client.insert_chains(chains) == InsertResult(3, 0)
    history = client.chains("NIFTY", expiry="2025-01-30", fields=["pcr_oi"])
    assert [c["pcr_oi"] for c in history.chains] == [0.9375, 0.875]
    assert list(history.chains[0]) == ["product", "expiry", "pcr_oi", "timestamp"]  # stored order
    assert client.latest_chain("NIFTY", "2025-01-30") == chains[1]
    assert len(list(client.iter_chains("NIFTY", limit=1))) == 3
    with pytest.raises(NotFound):
        client.latest_chain("NIFTY", "2025-03-27")

    client.insert_ticks([tick("BANKNIFTY", 49250.0, 0)])
    assert client.products() == ["BANKNIFTY", "NIFTY"]
    assert client.expiries("NIFTY") == ["2025-01-30", "2025-02-06", "2025-02-27"]
    assert client.expiries("BANKNIFTY") == []


def test_core_operations(client: Client) -> None:
    hello = client.hello()
    assert (hello.protocol, hello.server, hello.store) == (1, "deltastored", "sqlite")
    assert hello.limits.max_batch == 1000 and hello.limits.max_page == 1000
    assert "ticks.insert" in hello.ops and "auth.login" in hello.ops
    assert client.server_hello().limits == hello.limits
    assert client.ping() is True
    assert [op.name for op in client.describe("ping")] == ["ping"]
    assert [op.name for op in client.describe()] == hello.ops
    health = client.health()
    assert health.ok and health.store_kind == "sqlite" and health.store_ok and health.store_error is None
    assert client.stats()["ops"]["ping"]["count"] >= 1
    assert client.stats()["store"]["kind"] == "sqlite"


def test_backup(client: Client, daemon: Daemon) -> None:
    client.insert_ticks([{"product": "NIFTY", "price": 1.5, "timestamp": datetime(2025, 1, 30, 9, 15, tzinfo=timezone.utc)}])
    result = client.backup("py-test", timeout=None)
    assert result["path"] == str(daemon.directory / "data" / "backups" / "py-test.db")
    assert result["records"] == {"ticks": 1, "quotes": 0, "chains": 0, "users": 0, "sessions": 0}
    with pytest.raises(Conflict):
        client.backup("py-test")
