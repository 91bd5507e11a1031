"""The client: a method per operation, typed results, timeouts, reconnection."""
from __future__ import annotations

import math
import os
from datetime import datetime
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, TypeVar

from .connection import Connection, RequestNotSent
from .errors import ConnectionFailed, ProtocolViolation
from .pool import ConnectionPool
from .results import (ChainPage, Health, InsertResult, OHLCSeries, OperationInfo, Page, QuotePage, Record,
                      RefreshedTokens, ServerHello, Session, TickPage, VerifiedToken)
from .times import utc
from .wire import MAX_DEADLINE_MS

DEFAULT_SOCKET = "/run/deltastore/deltastore.sock"
P = TypeVar("P", bound=Page)
_DEFAULT: Any = object()


def default_socket_path() -> str:
    """``$DELTASTORE_SOCKET`` when set, else the installed daemon's socket."""
    return os.environ.get("DELTASTORE_SOCKET") or DEFAULT_SOCKET


class Client:
    """A thread-safe client of deltastored.

    One ``Client`` is meant to be shared by every thread of a process: calls
    are spread over ``pool_size`` connections, each multiplexing any number of
    concurrent requests. Every method raises a :class:`~deltastore.DeltastoreError`
    subclass on failure.

    Timeouts: each call waits at most ``timeout`` seconds (the method's
    ``timeout=`` argument, else the client's). The same budget is sent to the
    daemon as ``deadline_ms``, so the daemon stops waiting too; the client
    allows ``timeout_grace`` more seconds for its answer before raising
    :class:`~deltastore.DeadlineExceeded` itself. ``timeout=None`` waits as
    long as it takes.

    Reconnection: a call that finds its connection closed (the daemon
    restarted) opens a new one, once. Calls waiting on a connection when it
    dies raise :class:`~deltastore.ConnectionFailed`: their outcome is unknown,
    so retry only idempotent ones (queries, and inserts of records with
    idempotency keys, e.g. ticks with a ``tick_id``).
    """

    def __init__(self, socket_path: Optional[str] = None, *, timeout: Optional[float] = 30.0, pool_size: int = 2,
                 connect_timeout: float = 5.0, timeout_grace: float = 1.0,
                 client_name: str = "deltastore-python/0.1") -> None:
        self.socket_path = socket_path or default_socket_path()
        self.timeout = timeout
        self.timeout_grace = timeout_grace
        self.connect_timeout = connect_timeout
        self.client_name = client_name
        self._pool = ConnectionPool(pool_size, self._open)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Closes the connections; later calls raise :class:`ConnectionFailed`."""
        self._pool.close()

    # -- the machinery ---------------------------------------------------

    def _open(self, timeout: Optional[float]) -> Tuple[Connection, ServerHello]:
        connection = Connection(self.socket_path, self.connect_timeout)
        try:
            hello = ServerHello.from_result(connection.call("hello", {"client": self.client_name}, timeout=timeout))
            if hello.protocol != 1:
                raise ProtocolViolation(f"the server speaks protocol {hello.protocol}; this client speaks 1")
            connection.max_request_bytes = hello.limits.max_message_bytes
            return connection, hello
        except BaseException:
            connection.close()
            raise

    def call(self, op: str, args: Optional[Mapping[str, Any]] = None, *, timeout: Optional[float] = _DEFAULT) -> Dict[str, Any]:
        """Calls any operation by name and returns its ``result`` document."""
        budget = self.timeout if timeout is _DEFAULT else timeout
        deadline_ms = None if budget is None else min(max(math.ceil(budget * 1000), 1), MAX_DEADLINE_MS)
        wait = None if budget is None else budget + self.timeout_grace
        connection, _ = self._pool.get(wait)
        try:
            return connection.call(op, args, deadline_ms, wait)
        except RequestNotSent:
            # The connection died before the request was written: reconnect once.
            connection, _ = self._pool.replace(connection, wait)
            try:
                return connection.call(op, args, deadline_ms, wait)
            except RequestNotSent as error:
                raise ConnectionFailed(error.message) from None

    @staticmethod
    def _args(**values: Any) -> Dict[str, Any]:
        """The arguments given; ``None`` means "not given" (never ``null``)."""
        return {key: value for key, value in values.items() if value is not None}

    # -- core -----------------------------------------------------------

    def hello(self, *, timeout: Optional[float] = _DEFAULT) -> ServerHello:
        """The server's versions, store, limits and operations."""
        return ServerHello.from_result(self.call("hello", {"client": self.client_name}, timeout=timeout))

    def server_hello(self) -> ServerHello:
        """The ``hello`` of a live pooled connection (connecting if none is open)."""
        return self._pool.latest_hello() or self._pool.get(self.timeout)[1]

    def ping(self, delay_ms: Optional[int] = None, *, timeout: Optional[float] = _DEFAULT) -> bool:
        """Liveness check; with ``delay_ms`` the reply comes that much later."""
        return bool(self.call("ping", self._args(delay_ms=delay_ms), timeout=timeout)["pong"])

    def describe(self, op: Optional[str] = None, *, timeout: Optional[float] = _DEFAULT) -> List[OperationInfo]:
        """The arguments, result and errors of one operation, or of all."""
        result = self.call("describe", self._args(op=op), timeout=timeout)
        return [OperationInfo.from_result(d) for d in result["ops"]]

    def health(self, *, timeout: Optional[float] = _DEFAULT) -> Health:
        """Whether the daemon's store answers (a degraded store is not an error)."""
        return Health.from_result(self.call("health", timeout=timeout))

    def stats(self, *, timeout: Optional[float] = _DEFAULT) -> Dict[str, Any]:
        """Connections, uptime, per-operation counters and what the store holds (``store``),
        as the daemon sends them."""
        return self.call("stats", timeout=timeout)

    def backup(self, name: Optional[str] = None, *, timeout: Optional[float] = _DEFAULT) -> Dict[str, Any]:
        """Asks for an online backup of the SQLite store (admin): ``{path, bytes, records}``.
        A large store takes a while: pass a ``timeout`` that allows it (``None``: wait)."""
        return self.call("backup", self._args(name=name), timeout=timeout)

    # -- ticks ----------------------------------------------------------

    def insert_ticks(self, ticks: Sequence[Mapping[str, Any]], *, timeout: Optional[float] = _DEFAULT) -> InsertResult:
        """Stores a batch of ticks, all or nothing; ticks with a ``tick_id`` are idempotent on
        (product, tick_id, timestamp): one re-sent exactly is a duplicate, one with other content a
        conflict (not stored; its position is in ``conflicts``)."""
        return InsertResult.from_result(self.call("ticks.insert", {"ticks": list(ticks)}, timeout=timeout))

    def ticks(self, product: str, start: Optional[datetime] = None, end: Optional[datetime] = None,
              limit: Optional[int] = None, order: Optional[str] = None, cursor: Optional[str] = None, *,
              timeout: Optional[float] = _DEFAULT) -> TickPage:
        """One page of a product's ticks in ``[start, end]``, newest first unless ``order="asc"``."""
        args = self._args(product=product, start=utc(start, "start"), end=utc(end, "end"), limit=limit, order=order,
                          cursor=cursor)
        return TickPage.from_result(self.call("ticks.query", args, timeout=timeout))

    def iter_ticks(self, product: str, start: Optional[datetime] = None, end: Optional[datetime] = None,
                   limit: Optional[int] = None, order: Optional[str] = None, *,
                   timeout: Optional[float] = _DEFAULT) -> Iterator[Record]:
        """Every matching tick, page after page (``limit`` is the page size)."""
        for page in self.pages(self.ticks, product, start, end, limit, order, timeout=timeout):
            yield from page.records

    def latest_tick(self, product: str, *, timeout: Optional[float] = _DEFAULT) -> Record:
        """The product's newest tick; :class:`NotFound` when it has none."""
        tick: Record = self.call("ticks.latest", {"product": product}, timeout=timeout)["tick"]
        return tick

    def ohlc(self, product: str, window: str, start: Optional[datetime] = None, end: Optional[datetime] = None,
             limit: Optional[int] = None, *, timeout: Optional[float] = _DEFAULT) -> OHLCSeries:
        """Bars (``window`` 1m, 5m, 15m or 1h) of the newest ``limit`` windows, oldest first."""
        args = self._args(product=product, window=window, start=utc(start, "start"), end=utc(end, "end"), limit=limit)
        return OHLCSeries.from_result(self.call("ticks.ohlc", args, timeout=timeout))

    # -- quotes ---------------------------------------------------------

    def insert_quotes(self, quotes: Sequence[Mapping[str, Any]], *, timeout: Optional[float] = _DEFAULT) -> InsertResult:
        """Stores a batch of quotes, all or nothing; duplicates and conflicts by (symbol, timestamp)."""
        return InsertResult.from_result(self.call("quotes.insert", {"quotes": list(quotes)}, timeout=timeout))

    def quotes(self, symbol: Optional[str] = None, product: Optional[str] = None, expiry: Optional[str] = None,
               option_type: Optional[str] = None, strike_min: Optional[float] = None,
               strike_max: Optional[float] = None, start: Optional[datetime] = None, end: Optional[datetime] = None,
               limit: Optional[int] = None, order: Optional[str] = None, cursor: Optional[str] = None, *,
               timeout: Optional[float] = _DEFAULT) -> QuotePage:
        """One page of quotes by ``symbol`` or ``product`` (at least one), with filters."""
        args = self._args(symbol=symbol, product=product, expiry=expiry, option_type=option_type,
                          strike_min=strike_min, strike_max=strike_max, start=utc(start, "start"),
                          end=utc(end, "end"), limit=limit, order=order, cursor=cursor)
        return QuotePage.from_result(self.call("quotes.query", args, timeout=timeout))

    def iter_quotes(self, *, timeout: Optional[float] = _DEFAULT, **query: Any) -> Iterator[Record]:
        """Every matching quote, page after page (the arguments of :meth:`quotes`)."""
        for page in self.pages(self.quotes, timeout=timeout, **query):
            yield from page.records

    # -- chains ---------------------------------------------------------

    def insert_chains(self, chains: Sequence[Mapping[str, Any]], *, timeout: Optional[float] = _DEFAULT) -> InsertResult:
        """Stores a batch of chain snapshots; duplicates and conflicts by (product, expiry, timestamp)."""
        return InsertResult.from_result(self.call("chains.insert", {"chains": list(chains)}, timeout=timeout))

    def chains(self, product: str, expiry: Optional[str] = None, start: Optional[datetime] = None,
               end: Optional[datetime] = None, limit: Optional[int] = None, order: Optional[str] = None,
               cursor: Optional[str] = None, fields: Optional[Iterable[str]] = None, *,
               timeout: Optional[float] = _DEFAULT) -> ChainPage:
        """One page of a product's chains; ``fields`` projects them (plus product, expiry, timestamp)."""
        args = self._args(product=product, expiry=expiry, start=utc(start, "start"), end=utc(end, "end"), limit=limit,
                          order=order, cursor=cursor, fields=None if fields is None else list(fields))
        return ChainPage.from_result(self.call("chains.query", args, timeout=timeout))

    def iter_chains(self, product: str, *, timeout: Optional[float] = _DEFAULT, **query: Any) -> Iterator[Record]:
        """Every matching chain, page after page (the arguments of :meth:`chains`)."""
        for page in self.pages(self.chains, product, timeout=timeout, **query):
            yield from page.records

    def latest_chain(self, product: str, expiry: str, *, timeout: Optional[float] = _DEFAULT) -> Record:
        """The newest chain of a product and expiry; :class:`NotFound` when none."""
        chain: Record = self.call("chains.latest", {"product": product, "expiry": expiry}, timeout=timeout)["chain"]
        return chain

    # -- catalog --------------------------------------------------------

    def products(self, *, timeout: Optional[float] = _DEFAULT) -> List[str]:
        """Every product with a tick, quote or chain, sorted."""
        return list(self.call("products.list", timeout=timeout)["products"])

    def expiries(self, product: str, *, timeout: Optional[float] = _DEFAULT) -> List[str]:
        """A product's expiries (from quotes and chains), ascending."""
        return list(self.call("expiries.list", {"product": product}, timeout=timeout)["expiries"])

    # -- auth -----------------------------------------------------------

    def register(self, email: str, password: str, name: Optional[str] = None, *, client: Optional[str] = None,
                 timeout: Optional[float] = _DEFAULT) -> Session:
        """Creates a user and logs it in; :class:`Conflict` when the email is taken.
        ``client`` names the end user behind a front (see :meth:`login`)."""
        args = self._args(email=email, password=password, name=name, client=client)
        return Session.from_result(self.call("auth.register", args, timeout=timeout))

    def login(self, email: str, password: str, *, client: Optional[str] = None,
              timeout: Optional[float] = _DEFAULT) -> Session:
        """:class:`Unauthenticated` for a wrong email or password alike,
        :class:`RateLimited` (``retry_after_ms``) after repeated failures.

        ``client`` (1 to 64 printable ASCII characters, e.g. an HTTP client's
        address) names the end user when this process is a front serving many
        people: the daemon then throttles that client instead of this
        process's uid. Only peers whose access rules grant ``forward`` may
        give it (else :class:`PermissionDenied`)."""
        args = self._args(email=email, password=password, client=client)
        return Session.from_result(self.call("auth.login", args, timeout=timeout))

    def verify(self, token: str, *, timeout: Optional[float] = _DEFAULT) -> VerifiedToken:
        """Checks an access token: :class:`TokenExpired`, :class:`TokenInvalid`
        or :class:`TokenRevoked` when it is not valid."""
        return VerifiedToken.from_result(self.call("auth.verify", {"token": token}, timeout=timeout))

    def refresh(self, refresh_token: str, *, timeout: Optional[float] = _DEFAULT) -> RefreshedTokens:
        """Exchanges a refresh token for new tokens (the old one is used up)."""
        return RefreshedTokens.from_result(self.call("auth.refresh", {"refresh_token": refresh_token}, timeout=timeout))

    def logout(self, refresh_token: Optional[str] = None, token: Optional[str] = None,
               all_sessions: Optional[bool] = None, *, timeout: Optional[float] = _DEFAULT) -> int:
        """Revokes the session of a refresh and/or access token (or all of its
        user's sessions); returns how many were revoked."""
        args = self._args(refresh_token=refresh_token, token=token, all_sessions=all_sessions)
        return int(self.call("auth.logout", args, timeout=timeout)["revoked"])

    # -- pages ----------------------------------------------------------

    def pages(self, query: Callable[..., P], *args: Any, **kwargs: Any) -> Iterator[P]:
        """Pages of a query method (:meth:`ticks`, :meth:`quotes`, :meth:`chains`),
        repeating it with ``cursor=next`` until a page has no ``next``."""
        kwargs.pop("cursor", None)
        cursor: Optional[str] = None
        while True:
            page = query(*args, cursor=cursor, **kwargs)
            yield page
            if page.next is None:
                return
            cursor = page.next
