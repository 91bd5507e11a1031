"""Records for the tests, as DeltaStream's enricher writes them."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Optional

BASE = datetime(2025, 1, 30, 9, 15, tzinfo=timezone.utc)


def tick(product: str, price: float, second: int, tick_id: Optional[str] = None, **extra: Any) -> Dict[str, Any]:
    record: Dict[str, Any] = {"product": product, "price": price, "timestamp": BASE + timedelta(seconds=second)}
    if tick_id is not None:
        record["tick_id"] = tick_id
    record.update(extra)
    return record


def quote(symbol: str, strike: int, option_type: str, second: int, expiry: str = "2025-01-30",
          product: str = "NIFTY") -> Dict[str, Any]:
    return {"symbol": symbol, "product": product, "strike": strike, "expiry": expiry, "option_type": option_type,
            "timestamp": BASE + timedelta(seconds=second), "bid": 120.5, "ask": 121.0, "iv": 0.125,
            "processed_at": BASE + timedelta(seconds=second, milliseconds=250)}


def chain(expiry: str, second: int, pcr: float, product: str = "NIFTY") -> Dict[str, Any]:
    return {"product": product, "expiry": expiry, "spot_price": 23500.5, "pcr_oi": pcr, "pcr_volume": 1.125,
            "atm_strike": 23500, "max_pain_strike": 23400, "calls": [{"strike": 23500, "bid": 120.5}],
            "puts": [{"strike": 23500, "bid": 118.0}], "timestamp": BASE + timedelta(seconds=second),
            "processed_at": "2025-01-30T09:15:00.250000"}
