"""Typed results of the operations. Records (ticks, quotes, chains) stay
dicts: the daemon returns each exactly as its producer sent it."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, List, Mapping, Optional

Record = Dict[str, Any]


@dataclass(frozen=True)
class Limits:
    """The server's limits (PROTOCOL.md §12)."""
    max_message_bytes: int
    max_batch: int
    max_page: int
    max_in_flight: int

    @classmethod
    def from_result(cls, doc: Mapping[str, Any]) -> "Limits":
        return cls(int(doc["max_message_bytes"]), int(doc["max_batch"]), int(doc["max_page"]), int(doc["max_in_flight"]))


@dataclass(frozen=True)
class ServerHello:
    """The ``hello`` result."""
    protocol: int
    server: str
    version: str
    store: str
    limits: Limits
    ops: List[str]

    @classmethod
    def from_result(cls, doc: Mapping[str, Any]) -> "ServerHello":
        return cls(int(doc["protocol"]), doc["server"], doc["version"], doc["store"],
                   Limits.from_result(doc["limits"]), list(doc["ops"]))


@dataclass(frozen=True)
class InsertResult:
    """How many items of a batch were stored, how many were duplicates (sent
    again exactly as stored), and the positions of the items not stored because
    a record with their key but other content is stored (``conflicts``,
    ascending). ``inserted + duplicates + len(conflicts)`` is the batch's size."""
    inserted: int
    duplicates: int
    conflicts: List[int] = field(default_factory=list)

    @classmethod
    def from_result(cls, doc: Mapping[str, Any]) -> "InsertResult":
        return cls(int(doc["inserted"]), int(doc["duplicates"]), [int(index) for index in doc.get("conflicts", [])])


@dataclass(frozen=True)
class Page:
    """One page of a query: its records and ``next``, the cursor of the
    following page (``None`` on the last page)."""
    records: List[Record]
    next: Optional[str]

    @property
    def count(self) -> int:
        return len(self.records)


@dataclass(frozen=True)
class TickPage(Page):
    """A page of ``ticks.query``."""
    product: str = ""

    @property
    def ticks(self) -> List[Record]:
        return self.records

    @classmethod
    def from_result(cls, doc: Mapping[str, Any]) -> "TickPage":
        return cls(list(doc["ticks"]), doc.get("next"), doc["product"])


@dataclass(frozen=True)
class QuotePage(Page):
    """A page of ``quotes.query``."""

    @property
    def quotes(self) -> List[Record]:
        return self.records

    @classmethod
    def from_result(cls, doc: Mapping[str, Any]) -> "QuotePage":
        return cls(list(doc["quotes"]), doc.get("next"))


@dataclass(frozen=True)
class ChainPage(Page):
    """A page of ``chains.query``."""
    product: str = ""

    @property
    def chains(self) -> List[Record]:
        return self.records

    @classmethod
    def from_result(cls, doc: Mapping[str, Any]) -> "ChainPage":
        return cls(list(doc["chains"]), doc.get("next"), doc["product"])


@dataclass(frozen=True)
class OHLCBar:
    """One bar: the counted ticks of a window aligned on the epoch."""
    start: datetime
    open: float
    high: float
    low: float
    close: float
    count: int


@dataclass(frozen=True)
class OHLCSeries:
    """The ``ticks.ohlc`` result: the newest bars, oldest first."""
    product: str
    window: str
    bars: List[OHLCBar]

    @classmethod
    def from_result(cls, doc: Mapping[str, Any]) -> "OHLCSeries":
        bars = [OHLCBar(b["start"], float(b["open"]), float(b["high"]), float(b["low"]), float(b["close"]), int(b["count"]))
                for b in doc["bars"]]
        return cls(doc["product"], doc["window"], bars)


@dataclass(frozen=True)
class Health:
    """The ``health`` result."""
    status: str
    store_kind: str
    store_ok: bool
    uptime_s: int
    store_error: Optional[str] = None
    #: For a ``"failed"`` store (its file removed, replaced or corrupt): what happened.
    store_reason: Optional[str] = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @classmethod
    def from_result(cls, doc: Mapping[str, Any]) -> "Health":
        store = doc["store"]
        return cls(doc["status"], store["kind"], bool(store["ok"]), int(doc["uptime_s"]), store.get("error"),
                   store.get("reason"))


@dataclass(frozen=True)
class User:
    """A user as the auth operations return it (email trimmed and lower-cased)."""
    id: str
    email: str
    name: Optional[str]


@dataclass(frozen=True)
class Session:
    """``auth.register`` / ``auth.login``: the user, a short-lived access token
    and the refresh token that renews it."""
    user: User
    token: str
    refresh_token: str
    expires_at: datetime
    refresh_expires_at: Optional[datetime] = None

    @classmethod
    def from_result(cls, doc: Mapping[str, Any]) -> "Session":
        user = doc["user"]
        return cls(User(user["id"], user["email"], user.get("name")), doc["token"], doc["refresh_token"],
                   doc["expires_at"], doc.get("refresh_expires_at"))


@dataclass(frozen=True)
class VerifiedToken:
    """``auth.verify``: whose access token it is, until when."""
    user_id: str
    email: str
    expires_at: datetime
    valid: bool = True

    @classmethod
    def from_result(cls, doc: Mapping[str, Any]) -> "VerifiedToken":
        return cls(doc["user_id"], doc["email"], doc["expires_at"], bool(doc.get("valid", True)))


@dataclass(frozen=True)
class RefreshedTokens:
    """``auth.refresh``: a new access token and a new refresh token."""
    token: str
    refresh_token: str
    expires_at: datetime
    refresh_expires_at: Optional[datetime] = None

    @classmethod
    def from_result(cls, doc: Mapping[str, Any]) -> "RefreshedTokens":
        return cls(doc["token"], doc["refresh_token"], doc["expires_at"], doc.get("refresh_expires_at"))


@dataclass(frozen=True)
class OperationInfo:
    """One operation as ``describe`` reports it."""
    name: str
    group: str
    summary: str
    args: List[Dict[str, Any]] = field(default_factory=list)
    result: str = ""
    errors: List[str] = field(default_factory=list)

    @classmethod
    def from_result(cls, doc: Mapping[str, Any]) -> "OperationInfo":
        return cls(doc["name"], doc["group"], doc["summary"], list(doc["args"]), doc["result"], list(doc["errors"]))
