"""A session's whole life through the auth methods."""
from datetime import datetime, timezone

import pytest

from deltastore import Client, TokenInvalid, TokenRevoked


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
