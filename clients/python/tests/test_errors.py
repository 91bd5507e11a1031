"""Every error code comes back as its exception class, with code and details."""
import signal
import time
from typing import Callable

import pytest

import deltastore
from daemon import Daemon
from deltastore import (Client, Conflict, ConnectionFailed, DeadlineExceeded, DeltastoreError, InternalError,
                        InvalidArgument, NotFound, RateLimited, ResourceExhausted, TokenExpired, TokenInvalid,
                        TokenRevoked, Unauthenticated, Unavailable, UnknownOp, error_from_reply)
from records import BASE, tick
from tokens import expired_copy

CODES = ["BAD_FRAME", "BAD_REQUEST", "UNKNOWN_OP", "INVALID_ARGUMENT", "NOT_FOUND", "CONFLICT", "UNAUTHENTICATED",
         "TOKEN_EXPIRED", "TOKEN_INVALID", "TOKEN_REVOKED", "PERMISSION_DENIED", "RATE_LIMITED", "UNAVAILABLE",
         "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED", "INTERNAL"]


@pytest.mark.parametrize("code", CODES)
def test_every_protocol_code_has_its_class(code: str) -> None:
    error = error_from_reply({"code": code, "message": "m", "details": {"field": "x"}})
    assert type(error).__name__ != "DeltastoreError"
    assert isinstance(error, DeltastoreError)
    assert error.code == code and error.message == "m" and error.details == {"field": "x"}
    assert str(error) == f"{code}: m"


def test_an_unknown_code_is_internal_and_keeps_its_name() -> None:
    error = error_from_reply({"code": "SOMETHING_NEW", "message": "m"})
    assert isinstance(error, InternalError) and error.code == "SOMETHING_NEW" and error.details == {}


def test_argument_errors_carry_field_and_index(client: Client) -> None:
    with pytest.raises(InvalidArgument) as limit:
        client.ticks("NIFTY", limit=0)
    assert limit.value.field == "limit" and limit.value.code == "INVALID_ARGUMENT"
    with pytest.raises(InvalidArgument) as cursor:
        client.ticks("NIFTY", cursor="made-up")
    assert cursor.value.field == "cursor"
    with pytest.raises(InvalidArgument) as product:
        client.ticks({"$gt": ""})  # type: ignore[arg-type]
    assert product.value.field == "product"
    with pytest.raises(InvalidArgument) as batch:
        client.insert_ticks([tick("NIFTY", 1.0, 0, "a"), {"product": "NIFTY", "price": 0, "timestamp": BASE}])
    assert (batch.value.index, batch.value.field) == (1, "price")
    assert client.ticks("NIFTY").count == 0  # all or nothing


def test_not_found_and_unknown_op(client: Client) -> None:
    with pytest.raises(NotFound):
        client.latest_tick("SENSEX")
    with pytest.raises(NotFound):
        client.describe("no.such.op")
    with pytest.raises(UnknownOp):
        client.call("no.such.op")


def test_auth_codes(client: Client, daemon: Daemon) -> None:
    session = client.register("taken@example.com", "password123", "T")
    with pytest.raises(Conflict):
        client.register(" Taken@Example.com ", "password123")
    with pytest.raises(InvalidArgument) as short:
        client.register("new@example.com", "short")
    assert short.value.field == "password"
    with pytest.raises(Unauthenticated):
        client.login("taken@example.com", "wrong-password")
    with pytest.raises(Unauthenticated):
        client.login("nobody@example.com", "password123")
    with pytest.raises(TokenInvalid):
        client.verify("not-a-jwt")
    with pytest.raises(TokenInvalid):
        client.refresh(session.token)  # an access token is not a refresh token
    with pytest.raises(TokenExpired):
        client.verify(expired_copy(session.token, Daemon.jwt_secret))
    client.logout(refresh_token=session.refresh_token)
    with pytest.raises(TokenRevoked):
        client.verify(session.token)


def test_repeated_failures_are_rate_limited_with_retry_after(client: Client) -> None:
    client.register("rl@example.com", "password123")
    for _ in range(12):
        try:
            client.login("rl@example.com", "wrong-password")
        except Unauthenticated:
            continue
        except RateLimited as limited:
            assert limited.retry_after_ms is not None and limited.retry_after_ms > 0
            return
    pytest.fail("no RATE_LIMITED after 12 failed logins")


def test_server_deadline(client: Client) -> None:
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded) as error:
        client.ping(delay_ms=2000, timeout=0.1)
    assert time.monotonic() - started < 1.5
    assert "client timeout" not in error.value.message  # the daemon's answer


def test_client_timeout_when_the_daemon_is_stuck(make_client: Callable[..., Client], daemon: Daemon) -> None:
    client = make_client(timeout_grace=0.2)
    assert client.ping()
    daemon.signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        with pytest.raises(DeadlineExceeded, match="client timeout"):
            client.ping(timeout=0.2)
        assert 0.35 < time.monotonic() - started < 3
        with pytest.raises(TimeoutError):  # also a builtin TimeoutError
            client.ping(timeout=0.1)
    finally:
        daemon.signal(signal.SIGCONT)
    # Late replies are discarded; the connections carry on.
    for _ in range(4):
        assert client.ping(timeout=5)


def test_request_over_max_message_bytes_is_not_sent(make_daemon: Callable[..., Daemon]) -> None:
    small = make_daemon("--max-message-bytes", "1024")
    with Client(small.socket_path) as client:
        assert client.hello().limits.max_message_bytes == 1024
        with pytest.raises(ResourceExhausted, match="not sent"):
            client.insert_ticks([tick("NIFTY", 1.0, i, f"id-{i}") for i in range(40)])
        assert client.ticks("NIFTY").count == 0


def test_no_daemon_is_a_connection_failure(tmp_path) -> None:
    with Client(str(tmp_path / "absent.sock"), connect_timeout=1) as client:
        with pytest.raises(ConnectionFailed) as error:
            client.ping()
    assert isinstance(error.value, Unavailable) and isinstance(error.value, ConnectionError)
    assert error.value.code == "UNAVAILABLE"


def test_default_socket_from_environment(monkeypatch, daemon: Daemon) -> None:
    monkeypatch.setenv("DELTASTORE_SOCKET", daemon.socket_path)
    with Client() as client:
        assert client.socket_path == daemon.socket_path and client.ping()
    monkeypatch.delenv("DELTASTORE_SOCKET")
    assert deltastore.default_socket_path() == "/run/deltastore/deltastore.sock"
