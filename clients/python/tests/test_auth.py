"""A session's whole life through the auth methods."""
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import pytest

from daemon import Daemon
from deltastore import (Client, InvalidArgument, PermissionDenied, RateLimited, TokenInvalid, TokenRevoked,
                        Unauthenticated)


def test_register_login_verify_refresh_logout(client: Client) -> None:
    registered = client.register("  Ann@Example.COM ", "password123", "Ann")
    assert registered.user.email == "ann@example.com" and registered.user.name == "Ann" and registered.user.id
    assert registered.expires_at > datetime.now(timezone.utc)
    assert registered.refresh_expires_at is not None and registered.refresh_expires_at > registered.expires_at

    session = client.login("ann@example.com", "password123")
    assert session.user == registered.user
    verified = client.verify(session.token)
    assert (verified.valid, verified.user_id, verified.email) == (True, registered.user.id, "ann@example.com")
    assert verified.expires_at == session.expires_at

    refreshed = client.refresh(session.refresh_token)
    assert refreshed.refresh_token != session.refresh_token
    assert client.verify(refreshed.token).user_id == registered.user.id
    with pytest.raises(TokenInvalid):
        client.verify(refreshed.refresh_token)

    assert client.logout(refresh_token=refreshed.refresh_token) == 1
    with pytest.raises(TokenRevoked):
        client.verify(refreshed.token)
    assert client.verify(registered.token).user_id == registered.user.id
    assert client.logout(token=registered.token, all_sessions=True) >= 1
    with pytest.raises(TokenRevoked):
        client.verify(registered.token)


def test_name_is_optional(client: Client) -> None:
    assert client.register("noname@example.com", "password123").user.name is None


def test_client_names_the_end_user_so_one_clients_failures_leave_another_alone(client: Client) -> None:
    client.register("bob@example.com", "password123", client="192.0.2.10")
    outcomes = []
    for index in range(25):
        try:
            client.login(f"victim{index}@example.com", "guess", client="198.51.100.7")
        except Unauthenticated:
            outcomes.append("401")
        except RateLimited as limited:
            assert limited.retry_after_ms and limited.retry_after_ms > 0
            outcomes.append("429")
    assert outcomes == ["401"] * 20 + ["429"] * 5, outcomes
    assert client.login("bob@example.com", "password123", client="192.0.2.10").user.email == "bob@example.com"
    with pytest.raises(InvalidArgument) as bad:
        client.login("bob@example.com", "password123", client="x" * 65)
    assert bad.value.field == "client"


def test_client_from_a_peer_without_forward_is_permission_denied(make_daemon: Callable[..., Daemon], tmp_path: Path) -> None:
    rules = tmp_path / "access.conf"
    rules.write_text(f"uid:{os.getuid()} read write auth admin\n")
    rules.chmod(0o644)
    daemon = make_daemon("--access-rules", str(rules))
    with Client(daemon.socket_path) as limited:
        limited.register("ann@example.com", "password123")
        with pytest.raises(PermissionDenied) as denied:
            limited.login("ann@example.com", "password123", client="203.0.113.5")
        assert "forward" in denied.value.message and str(rules) not in denied.value.message
        assert limited.login("ann@example.com", "password123").user.email == "ann@example.com"
