"""The HTTP bridge answers every original endpoint with the original fields,
through Flask's test client, against the real daemon."""
from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable, Iterator, List

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))

from daemon import Daemon  # noqa: E402
from deltastore import Client  # noqa: E402
from http_bridge import create_app  # noqa: E402
from records import BASE, chain, quote, tick  # noqa: E402
from tokens import expired_copy  # noqa: E402


@pytest.fixture
def http(client: Client) -> Iterator[Any]:
    app = create_app(client)
    app.testing = True
    with app.test_client() as test_client:
        yield test_client


@pytest.fixture
def seeded(client: Client) -> Client:
    client.insert_ticks([tick("NIFTY", 23500.0 + i, i * 20, f"n-{i}", processed_at=BASE + timedelta(milliseconds=250))
                         for i in range(5)] + [tick("BANKNIFTY", 49250.0, 0, "b-0")])
    client.insert_quotes([quote("NIFTY250130C23500", 23500, "CALL", s) for s in (0, 60, 120)]
                         + [quote("NIFTY250206P23400", 23400, "PUT", 0, "2025-02-06")])
    client.insert_chains([chain("2025-01-30", s, 0.875) for s in range(0, 12 * 60, 60)] + [chain("2025-02-06", 0, 1.0)])
    return client


def test_health(http) -> None:
    response = http.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "healthy", "service": "storage"}


def test_health_when_deltastore_is_down(http, daemon: Daemon) -> None:
    daemon.kill()
    response = http.get("/health")
    assert response.status_code == 500
    body = response.get_json()
    assert body["status"] == "unhealthy" and body["error"]


def test_underlying(http, seeded) -> None:
    body = http.get("/underlying/NIFTY").get_json()
    assert list(body) == ["product", "count", "ticks"]
    assert body["product"] == "NIFTY" and body["count"] == 5
    newest = body["ticks"][0]
    assert newest == {"product": "NIFTY", "price": 23504.0, "timestamp": "2025-01-30T09:16:20", "tick_id": "n-4",
                      "processed_at": "2025-01-30T09:15:00.250000"}
    ranged = http.get("/underlying/NIFTY?start=2025-01-30T09:15:20&end=2025-01-30T09:16:00&limit=2").get_json()
    assert [t["tick_id"] for t in ranged["ticks"]] == ["n-3", "n-2"] and ranged["count"] == 2
    with_offset = http.get("/underlying/NIFTY", query_string={"start": "2025-01-30T14:46:00+05:30"}).get_json()
    assert [t["tick_id"] for t in with_offset["ticks"]] == ["n-4", "n-3"]
    assert http.get("/underlying/SENSEX").get_json() == {"product": "SENSEX", "count": 0, "ticks": []}


def test_underlying_limit_beyond_one_page(http, client: Client, make_daemon: Callable[..., Daemon]) -> None:
    small = make_daemon("--max-page", "3")
    with Client(small.socket_path) as paged:
        paged.insert_ticks([tick("NIFTY", 100.0 + i, i, f"t{i}") for i in range(8)])
        app = create_app(paged)
        body = app.test_client().get("/underlying/NIFTY?limit=7").get_json()
    assert body["count"] == 7 and [t["tick_id"] for t in body["ticks"]] == [f"t{i}" for i in range(7, 0, -1)]


def test_underlying_bad_parameters(http) -> None:
    for query in ("limit=ten", "limit=0", "start=yesterday"):
        response = http.get(f"/underlying/NIFTY?{query}")
        assert response.status_code == 400 and "error" in response.get_json(), query
    response = http.get("/underlying/bad%20product")
    assert response.status_code == 400 and response.get_json()["error"]


def test_option_quote(http, seeded) -> None:
    body = http.get("/option/quote/NIFTY250130C23500?limit=2").get_json()
    assert list(body) == ["symbol", "count", "quotes"]
    assert body["symbol"] == "NIFTY250130C23500" and body["count"] == 2
    assert body["quotes"][0] == {
        "symbol": "NIFTY250130C23500", "product": "NIFTY", "strike": 23500, "expiry": "2025-01-30",
        "option_type": "CALL", "timestamp": "2025-01-30T09:17:00", "bid": 120.5, "ask": 121.0, "iv": 0.125,
        "processed_at": "2025-01-30T09:17:00.250000"}
    assert http.get("/option/quote/NIFTY250130C23500").get_json()["count"] == 3


def test_option_chain(http, seeded) -> None:
    body = http.get("/option/chain/NIFTY").get_json()
    assert list(body) == ["product", "count", "chains"]
    assert body["count"] == 10  # the original's default limit
    assert body["chains"][0]["timestamp"] == "2025-01-30T09:26:00"
    assert set(body["chains"][0]) >= {"product", "expiry", "spot_price", "pcr_oi", "pcr_volume", "atm_strike",
                                      "max_pain_strike", "calls", "puts", "timestamp", "processed_at"}
    weekly = http.get("/option/chain/NIFTY?expiry=2025-02-06&limit=5").get_json()
    assert weekly["count"] == 1 and weekly["chains"][0]["expiry"] == "2025-02-06"


def test_products_and_expiries(http, seeded) -> None:
    assert http.get("/products").get_json() == {"products": ["BANKNIFTY", "NIFTY"]}
    body = http.get("/expiries/NIFTY").get_json()
    assert body == {"product": "NIFTY", "expiries": ["2025-01-30", "2025-02-06"]}
    assert list(body) == ["product", "expiries"]


def test_register_login_verify_refresh(http) -> None:
    created = http.post("/register", json={"email": " Ann@Example.com ", "password": "password123", "name": "Ann"})
    assert created.status_code == 201
    body = created.get_json()
    assert body["message"] == "User registered successfully" and body["token"]
    assert body["user"]["email"] == "ann@example.com" and body["user"]["name"] == "Ann" and body["user"]["id"]
    assert http.post("/register", json={"email": "ann@example.com", "password": "password123"}).status_code == 409
    assert http.post("/register", json={"email": "ann@example.com"}).get_json() == {"error": "Email and password required"}
    short = http.post("/register", json={"email": "bob@example.com", "password": "short"})
    assert short.status_code == 400 and "password" in short.get_json()["error"]

    login = http.post("/login", json={"email": "ann@example.com", "password": "password123"})
    assert login.status_code == 200
    session = login.get_json()
    assert session["message"] == "Login successful" and session["user"] == body["user"] and session["token"]
    wrong = http.post("/login", json={"email": "ann@example.com", "password": "wrong-password"})
    unknown = http.post("/login", json={"email": "nobody@example.com", "password": "password123"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json() == {"error": "Invalid credentials"}

    verified = http.post("/verify", headers={"Authorization": f"Bearer {session['token']}"})
    assert verified.status_code == 200
    assert verified.get_json() == {"valid": True, "user_id": body["user"]["id"], "email": "ann@example.com"}
    assert http.post("/verify").get_json() == {"error": "Invalid authorization header"}
    forged = http.post("/verify", headers={"Authorization": "Bearer not.a.token"})
    assert forged.status_code == 401 and forged.get_json() == {"error": "Invalid token", "valid": False}
    expired = http.post("/verify", headers={"Authorization": f"Bearer {expired_copy(session['token'], Daemon.jwt_secret)}"})
    assert expired.status_code == 401 and expired.get_json() == {"error": "Token expired", "valid": False}

    refreshed = http.post("/refresh", headers={"Authorization": f"Bearer {session['refresh_token']}"})
    assert refreshed.status_code == 200 and refreshed.get_json()["token"]
    again = http.post("/verify", headers={"Authorization": f"Bearer {refreshed.get_json()['token']}"})
    assert again.get_json()["user_id"] == body["user"]["id"]
    # The access token is not a refresh token (the original re-signed it: not copied).
    rejected = http.post("/refresh", headers={"Authorization": f"Bearer {session['token']}"})
    assert rejected.status_code == 401 and rejected.get_json() == {"error": "Invalid token"}
    by_body = http.post("/refresh", json={"refresh_token": refreshed.get_json()["refresh_token"]})
    assert by_body.status_code == 200 and set(by_body.get_json()) >= {"token"}


def test_login_rate_limited(http) -> None:
    http.post("/register", json={"email": "rl@example.com", "password": "password123"})
    for _ in range(12):
        response = http.post("/login", json={"email": "rl@example.com", "password": "wrong-password"})
        if response.status_code == 429:
            assert response.get_json()["retry_after_ms"] > 0 and int(response.headers["Retry-After"]) >= 1
            return
        assert response.status_code == 401
    pytest.fail("no 429 after 12 failed logins")


def test_storage_unavailable_is_503(http, daemon: Daemon) -> None:
    daemon.kill()
    response = http.get("/underlying/NIFTY")
    assert response.status_code == 503 and response.get_json() == {"error": "Storage service unavailable"}


def failed_logins(test_client: Any, count: int, **request: Any) -> List[int]:
    """Status codes of ``count`` failed logins on distinct emails."""
    return [test_client.post("/login", json={"email": f"victim{index}@example.com", "password": "wrong-password"},
                             **request).status_code for index in range(count)]


def test_one_persons_failures_no_longer_lock_out_others(client: Client) -> None:
    # The bridge passes each HTTP client's address as `client`: the daemon
    # counts that person, not the bridge's uid.
    app = create_app(client)
    http = app.test_client()
    assert http.post("/register", json={"email": "bob@example.com", "password": "password123"},
                     environ_base={"REMOTE_ADDR": "192.0.2.10"}).status_code == 201
    statuses = failed_logins(http, 25, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert statuses == [401] * 20 + [429] * 5, statuses
    bob = http.post("/login", json={"email": "bob@example.com", "password": "password123"},
                    environ_base={"REMOTE_ADDR": "192.0.2.10"})
    assert bob.status_code == 200 and bob.get_json()["token"]


def test_without_forwarding_every_user_shares_the_bridges_limits(client: Client) -> None:
    # What DELTASTORE_FORWARD_CLIENT=0 (or an older bridge) gives: one peer for everyone.
    http = create_app(client, forward_client=False).test_client()
    http.post("/register", json={"email": "bob@example.com", "password": "password123"})
    assert failed_logins(http, 20, environ_base={"REMOTE_ADDR": "198.51.100.7"}) == [401] * 20
    bob = http.post("/login", json={"email": "bob@example.com", "password": "password123"},
                    environ_base={"REMOTE_ADDR": "192.0.2.10"})
    assert bob.status_code == 429


def test_x_forwarded_for_is_read_only_behind_trusted_proxies(client: Client) -> None:
    direct = create_app(client).test_client()
    direct.post("/register", json={"email": "bob@example.com", "password": "password123"})
    # Not behind a proxy: a client writing Bob's address in X-Forwarded-For is still counted as itself.
    spoofed = failed_logins(direct, 21, environ_base={"REMOTE_ADDR": "198.51.100.7"},
                            headers={"X-Forwarded-For": "192.0.2.10"})
    assert spoofed[:20] == [401] * 20 and spoofed[20] == 429
    assert direct.post("/login", json={"email": "bob@example.com", "password": "password123"},
                       environ_base={"REMOTE_ADDR": "192.0.2.10"}).status_code == 200

    # Behind one trusted proxy (10.0.0.1): the address it appended is the client's.
    proxied = create_app(client, trusted_proxies=1).test_client()
    via_proxy = {"environ_base": {"REMOTE_ADDR": "10.0.0.1"}}
    statuses = failed_logins(proxied, 21, headers={"X-Forwarded-For": "192.0.2.99, 203.0.113.50"}, **via_proxy)
    assert statuses[:20] == [401] * 20 and statuses[20] == 429, "counted as 203.0.113.50, the entry the proxy added"
    carol = proxied.post("/login", json={"email": "bob@example.com", "password": "password123"},
                         headers={"X-Forwarded-For": "198.18.0.4"}, **via_proxy)
    assert carol.status_code == 200, "another client behind the same proxy is untouched"
