"""The daemon restarting in the middle of use."""
import threading
from typing import List

import pytest

from daemon import Daemon
from deltastore import Client, ConnectionFailed, Unavailable
from records import tick


def test_killed_daemon_fails_calls_in_flight_then_the_client_reconnects(client: Client, daemon: Daemon) -> None:
    client.insert_ticks([tick("NIFTY", 100.0, 0, "before")])
    errors: List[BaseException] = []

    def slow_call() -> None:
        try:
            client.ping(delay_ms=5000)
        except BaseException as error:  # noqa: BLE001 - collected for the assertion
            errors.append(error)

    threads = [threading.Thread(target=slow_call) for _ in range(4)]
    for thread in threads:
        thread.start()
    threading.Event().wait(0.3)
    daemon.kill()
    for thread in threads:
        thread.join(10)
    assert len(errors) == 4 and all(isinstance(e, ConnectionFailed) for e in errors), errors

    # Down: a connection failure at once, which is an Unavailable.
    with pytest.raises(Unavailable):
        client.ping()

    # Back on the same socket and store: the same client carries on, data intact.
    daemon.start()
    assert client.ping()
    assert client.insert_ticks([tick("NIFTY", 101.0, 1, "after")]).inserted == 1
    assert [t["tick_id"] for t in client.ticks("NIFTY").ticks] == ["after", "before"]


def test_graceful_restart_between_calls_is_invisible(make_client, daemon: Daemon) -> None:
    client = make_client(pool_size=3)
    for _ in range(3):
        assert client.ping()
    daemon.restart()
    for _ in range(6):
        assert client.ping()
    assert client.health().ok


def test_closed_client_raises_connection_failed(client: Client) -> None:
    assert client.ping()
    client.close()
    with pytest.raises(ConnectionFailed):
        client.ping()
