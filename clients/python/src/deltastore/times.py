"""Datetimes in and out: timezone-aware, UTC, millisecond precision."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional


def utc(value: Optional[datetime], name: str) -> Optional[datetime]:
    """An argument's datetime, converted to UTC. A naive datetime is refused:
    whether it meant local time or UTC cannot be known."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (e.g. datetime(..., tzinfo=timezone.utc))")
    return value.astimezone(timezone.utc)
