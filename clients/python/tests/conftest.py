"""Fixtures: a fresh deltastored (its own socket and SQLite file) per test,
and clients of it that are closed afterwards."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, Iterator, List

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from daemon import Daemon, daemon_binary  # noqa: E402
from deltastore import Client  # noqa: E402


@pytest.fixture(scope="session")
def binary() -> Path:
    return daemon_binary()


@pytest.fixture
def make_daemon(binary: Path) -> Iterator[Callable[..., Daemon]]:
    started: List[Daemon] = []

    def make(*extra_args: str) -> Daemon:
        daemon = Daemon(binary, list(extra_args)).start()
        started.append(daemon)
        return daemon

    yield make
    for daemon in started:
        daemon.remove()


@pytest.fixture
def daemon(make_daemon: Callable[..., Daemon]) -> Daemon:
    return make_daemon()


@pytest.fixture
def make_client(daemon: Daemon) -> Iterator[Callable[..., Client]]:
    clients: List[Client] = []

    def make(**options: object) -> Client:
        client = Client(daemon.socket_path, **options)  # type: ignore[arg-type]
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., Client]) -> Client:
    return make_client()
