#!/usr/bin/env python3
"""The original DeltaStream HTTP API (storage on :8003, auth on :8001), served
on top of deltastored, so the existing API gateway works unchanged.

Run it (one process can serve both; point the gateway's STORAGE_SERVICE_URL and
AUTH_SERVICE_URL at it, or run two on ports 8003 and 8001):

    pip install ./clients/python flask
    DELTASTORE_SOCKET=/run/deltastore/deltastore.sock PORT=8003 python clients/python/examples/http_bridge.py
    # against `./dev run`'s daemon: DELTASTORE_SOCKET=./run/deltastore.sock

One person's failed logins must not lock out everyone who uses the bridge, so
the bridge tells deltastored who each end user is: ``/login`` and
``/register`` pass the HTTP client's address as ``client``, and the daemon
throttles that client rather than the bridge's uid. deltastored honours
``client`` only from peers its access rules allow to forward identities, so
give the bridge's user the ``forward`` group, e.g. in
``/etc/deltastore/access.conf``:

    user:http-bridge   read auth forward

Behind a reverse proxy (nginx, a load balancer) every request comes from the
proxy's address: set ``DELTASTORE_TRUSTED_PROXIES`` to the number of proxies in
front of the bridge, and the client address is read from ``X-Forwarded-For``
(the entry those proxies added; werkzeug's ``ProxyFix``). Without it,
``X-Forwarded-For`` is ignored: a client could write anything there.
``DELTASTORE_FORWARD_CLIENT=0`` stops sending ``client`` (all users then share
the bridge's limits, as one peer).

Endpoints and response shapes are those of the original storage and auth services:

    GET  /health                                  {status: "healthy", service} | 500 {status: "unhealthy", error}
    GET  /underlying/<product>?start&end&limit    {product, count, ticks}   newest first, limit 100
    GET  /option/quote/<symbol>?limit             {symbol, count, quotes}   newest first, limit 100
    GET  /option/chain/<product>?expiry&limit     {product, count, chains}  newest first, limit 10
    GET  /products                                {products}
    GET  /expiries/<product>                      {product, expiries}       ascending
    POST /register  {email, password, name}       201 {message, token, user: {id, email, name}}
    POST /login     {email, password}             {message, token, user: {id, email, name}}
    POST /verify    Authorization: Bearer <token> {valid: true, user_id, email}
    POST /refresh   Authorization: Bearer <refresh token>   {token}

Records keep every field the producer stored; ``timestamp`` and
``processed_at`` are ISO strings as the original wrote them (UTC, no offset:
``2025-01-30T09:15:00``, ``2025-01-30T09:15:00.250000``). ``start``/``end``
are ISO-8601, UTC when they carry no offset (as pymongo read them). A
``limit`` above the daemon's page size is served by following ``next``.
Errors are ``{"error": message}`` (400 for a bad argument, 503 when deltastore
cannot be reached; ``/verify`` adds ``valid: false``).

What differs, on purpose: login and register also return ``refresh_token`` and
``expires_at`` (extra fields; the gateway passes them through), and
``/refresh`` takes that refresh token, not an access token — deltastore never
re-signs an access token, expired or not (the original's flaw). Passwords
follow deltastore's rule (8 to 72 bytes). ``/products`` lists products of
ticks, quotes and chains. Where the original answered 500 or an empty 200,
the bridge answers 400 with the reason: a ``limit`` of 0 or less, ``start``
after ``end``, a product name outside the daemon's rule, an expiry that is not
``YYYY-MM-DD``, a password under 8 bytes.

The unchanged gateway has no route to ``/refresh``, so its users log in again
when their access token expires: every 15 minutes with deltastored's default
``--access-token-ttl``; ``deltastored --access-token-ttl 24h`` gives the
original's 24-hour tokens (a logout still revokes them within a second).
"""
from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Tuple

from flask import Flask, current_app, jsonify, request
from werkzeug.middleware.proxy_fix import ProxyFix

from deltastore import (Client, Conflict, DeltastoreError, InvalidArgument, PermissionDenied, RateLimited, TokenExpired,
                        TokenInvalid, TokenRevoked, Unauthenticated, Unavailable)
from deltastore.results import Page

ISO_FIELDS = ("timestamp", "processed_at")
Response = Tuple[Any, int]


class BadQuery(ValueError):
    """A query-string parameter the original would have choked on."""


def iso(value: Any) -> Any:
    """A datetime as the original services wrote it: ``isoformat()`` of the
    naive UTC datetime pymongo returned."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value.isoformat()
    return value


def to_json(record: Mapping[str, Any]) -> Dict[str, Any]:
    """A stored record for JSON, with ``timestamp`` and ``processed_at`` as ISO strings."""
    out = dict(record)
    for key in ISO_FIELDS:
        if key in out:
            out[key] = iso(out[key])
    return out


def query_time(name: str) -> Optional[datetime]:
    text = request.args.get(name)
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadQuery(f"Invalid isoformat string for {name}: {text!r}") from None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def query_limit(default: int) -> int:
    text = request.args.get("limit")
    if text is None:
        return default
    try:
        limit = int(text)
    except ValueError:
        raise BadQuery(f"invalid literal for int() with base 10: {text!r}") from None
    if limit < 1:
        raise BadQuery("limit must be a positive integer")
    return limit


def collect(client: Client, query: Callable[..., Page], limit: int, **args: Any) -> List[Dict[str, Any]]:
    """Up to ``limit`` records, newest first, in pages the daemon allows."""
    page_size = client.server_hello().limits.max_page
    records: List[Dict[str, Any]] = []
    pages: Iterator[Page] = client.pages(query, **args, limit=min(limit, page_size))
    for page in pages:
        records.extend(page.records)
        if len(records) >= limit:
            break
    return [to_json(r) for r in records[:limit]]


def error(message: str, status: int, **extra: Any) -> Response:
    return jsonify({"error": message, **extra}), status


def storage_error(failure: Exception) -> Response:
    if isinstance(failure, BadQuery):
        return error(str(failure), 400)
    if isinstance(failure, InvalidArgument):
        return error(failure.message, 400)
    if isinstance(failure, Unavailable):
        return error("Storage service unavailable", 503)
    return error(str(failure), 500)


def bearer_token() -> Optional[str]:
    header = request.headers.get("Authorization", "")
    return header[7:] if header.startswith("Bearer ") else None


def credentials() -> Tuple[str, str, str]:
    data = request.get_json(silent=True)
    data = data if isinstance(data, dict) else {}
    return str(data.get("email") or "").lower().strip(), str(data.get("password") or ""), str(data.get("name") or "")


def client_address(forward: bool) -> Optional[str]:
    """The end user's address for deltastored's ``client`` argument (1 to 64
    printable ASCII characters), or None when not forwarding or unusable.
    Behind trusted proxies ``ProxyFix`` has already put the address from
    ``X-Forwarded-For`` into ``remote_addr``."""
    address = request.remote_addr if forward else None
    if not address or len(address) > 64 or not all(" " <= c <= "~" for c in address):
        return None
    return address


def user_json(session: Any) -> Dict[str, Any]:
    return {"id": session.user.id, "email": session.user.email, "name": session.user.name or ""}


def auth_failure(failure: DeltastoreError, fallback: str) -> Response:
    if isinstance(failure, RateLimited):
        response, status = error("Too many attempts, try again later", 429, retry_after_ms=failure.retry_after_ms)
        response.headers["Retry-After"] = str(max(1, -(-(failure.retry_after_ms or 1000) // 1000)))
        return response, status
    if isinstance(failure, InvalidArgument):
        return error(f"Invalid {failure.field or 'argument'}: {failure.details.get('reason', failure.message)}", 400)
    if isinstance(failure, Unavailable):
        return error("Auth service unavailable", 503)
    if isinstance(failure, PermissionDenied):
        # The bridge's own configuration, not the user's fault: say so in the log.
        current_app.logger.error("deltastored refused: %s (grant the bridge's user the 'forward' group, "
                                   "or set DELTASTORE_FORWARD_CLIENT=0)", failure.message)
    return error(fallback, 500)


def create_app(client: Optional[Client] = None, service_name: Optional[str] = None,
               trusted_proxies: Optional[int] = None, forward_client: Optional[bool] = None) -> Flask:
    """The Flask app, calling deltastore through ``client`` (default: a
    ``Client()`` on ``$DELTASTORE_SOCKET``). ``trusted_proxies`` (default
    ``$DELTASTORE_TRUSTED_PROXIES``, else 0) and ``forward_client`` (default
    ``$DELTASTORE_FORWARD_CLIENT``, else on) as described above."""
    app = Flask(__name__)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    store = client or Client()
    name = service_name or os.environ.get("SERVICE_NAME", "storage")
    app.extensions["deltastore"] = store
    proxies = trusted_proxies if trusted_proxies is not None else int(os.environ.get("DELTASTORE_TRUSTED_PROXIES", "0"))
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies)  # type: ignore[method-assign]
    forward = forward_client if forward_client is not None else os.environ.get("DELTASTORE_FORWARD_CLIENT", "1") != "0"

    @app.get("/health")
    def health() -> Response:
        try:
            status = store.health(timeout=5)
        except DeltastoreError as failure:
            return jsonify({"status": "unhealthy", "error": str(failure)}), 500
        if not status.ok:
            return jsonify({"status": "unhealthy", "error": status.store_error or status.status}), 500
        return jsonify({"status": "healthy", "service": name}), 200

    @app.get("/underlying/<product>")
    def underlying(product: str) -> Response:
        try:
            ticks = collect(store, store.ticks, query_limit(100), product=product, start=query_time("start"),
                            end=query_time("end"))
        except (BadQuery, DeltastoreError) as failure:
            return storage_error(failure)
        return jsonify({"product": product, "count": len(ticks), "ticks": ticks}), 200

    @app.get("/option/quote/<symbol>")
    def option_quote(symbol: str) -> Response:
        try:
            quotes = collect(store, store.quotes, query_limit(100), symbol=symbol)
        except (BadQuery, DeltastoreError) as failure:
            return storage_error(failure)
        return jsonify({"symbol": symbol, "count": len(quotes), "quotes": quotes}), 200

    @app.get("/option/chain/<product>")
    def option_chain(product: str) -> Response:
        try:
            chains = collect(store, store.chains, query_limit(10), product=product,
                             expiry=request.args.get("expiry") or None)
        except (BadQuery, DeltastoreError) as failure:
            return storage_error(failure)
        return jsonify({"product": product, "count": len(chains), "chains": chains}), 200

    @app.get("/products")
    def products() -> Response:
        try:
            return jsonify({"products": store.products()}), 200
        except DeltastoreError as failure:
            return storage_error(failure)

    @app.get("/expiries/<product>")
    def expiries(product: str) -> Response:
        try:
            return jsonify({"product": product, "expiries": store.expiries(product)}), 200
        except DeltastoreError as failure:
            return storage_error(failure)

    @app.post("/register")
    def register() -> Response:
        email, password, display_name = credentials()
        if not email or not password:
            return error("Email and password required", 400)
        try:
            session = store.register(email, password, display_name or None, client=client_address(forward))
        except Conflict:
            return error("User already exists", 409)
        except DeltastoreError as failure:
            return auth_failure(failure, "Registration failed")
        return jsonify({"message": "User registered successfully", "token": session.token, "user": user_json(session),
                        "refresh_token": session.refresh_token, "expires_at": iso(session.expires_at)}), 201

    @app.post("/login")
    def login() -> Response:
        email, password, _ = credentials()
        if not email or not password:
            return error("Email and password required", 400)
        try:
            session = store.login(email, password, client=client_address(forward))
        except (Unauthenticated, InvalidArgument):
            return error("Invalid credentials", 401)
        except DeltastoreError as failure:
            return auth_failure(failure, "Login failed")
        return jsonify({"message": "Login successful", "token": session.token, "user": user_json(session),
                        "refresh_token": session.refresh_token, "expires_at": iso(session.expires_at)}), 200

    @app.post("/verify")
    def verify() -> Response:
        token = bearer_token()
        if token is None:
            return error("Invalid authorization header", 401)
        try:
            verified = store.verify(token)
        except TokenExpired:
            return error("Token expired", 401, valid=False)
        except (TokenInvalid, TokenRevoked, InvalidArgument):
            return error("Invalid token", 401, valid=False)
        except Unavailable:
            return error("Auth service unavailable", 503, valid=False)
        except DeltastoreError:
            return error("Verification failed", 500, valid=False)
        return jsonify({"valid": True, "user_id": verified.user_id, "email": verified.email}), 200

    @app.post("/refresh")
    def refresh() -> Response:
        token = bearer_token()
        if token is None:
            body = request.get_json(silent=True)
            token = body.get("refresh_token") if isinstance(body, dict) else None
            if not isinstance(token, str):
                return error("Invalid authorization header", 401)
        try:
            tokens = store.refresh(token)
        except (TokenInvalid, TokenExpired, TokenRevoked, InvalidArgument):
            return error("Invalid token", 401)
        except Unavailable:
            return error("Auth service unavailable", 503)
        except DeltastoreError:
            return error("Refresh failed", 500)
        return jsonify({"token": tokens.token, "refresh_token": tokens.refresh_token,
                        "expires_at": iso(tokens.expires_at)}), 200

    return app


if __name__ == "__main__":
    create_app().run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "8003")))
