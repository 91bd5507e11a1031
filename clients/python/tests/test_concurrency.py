"""One client shared by many threads: each gets its own replies."""
from concurrent.futures import ThreadPoolExecutor

from deltastore import Client, InsertResult
from records import tick

WRITERS = 16
PER_WRITER = 30


def write(client: Client, writer: int) -> InsertResult:
    ticks = [tick(f"P{writer}", float(writer * 1000 + i + 1), i, f"{writer}-{i}") for i in range(PER_WRITER)]
    return client.insert_ticks(ticks)


def test_many_threads_share_one_client(make_client) -> None:
    client = make_client(pool_size=2)
    with ThreadPoolExecutor(max_workers=WRITERS * 2) as pool:
        writes = [pool.submit(write, client, w) for w in range(WRITERS)]
        # Delayed pings finish in the reverse order of sending, mixed with the writes.
        pings = [pool.submit(client.ping, (WRITERS - w) * 10) for w in range(WRITERS)]
        assert [f.result() for f in writes] == [InsertResult(PER_WRITER, 0)] * WRITERS
        assert all(f.result() for f in pings)
        pages = {w: pool.submit(client.ticks, f"P{w}", limit=1000) for w in range(WRITERS)}
        for writer, future in pages.items():
            page = future.result()
            assert page.product == f"P{writer}" and page.count == PER_WRITER
            assert {t["product"] for t in page.ticks} == {f"P{writer}"}
    assert len(client.products()) == WRITERS


def test_more_concurrent_calls_than_max_in_flight(make_client) -> None:
    client = make_client(pool_size=1)
    calls = client.hello().limits.max_in_flight + 40
    with ThreadPoolExecutor(max_workers=calls) as pool:
        results = list(pool.map(lambda _: client.ping(100), range(calls)))
    assert results == [True] * calls


def test_a_forked_child_opens_its_own_connections(client: Client) -> None:
    """Celery's prefork workers inherit the parent's client: the child must not
    share the parent's sockets (replies would go to the wrong process)."""
    import multiprocessing

    assert client.ping()
    context = multiprocessing.get_context("fork")

    def child() -> None:
        ok = all(client.ping(delay_ms=20) for _ in range(5)) and client.hello().server == "deltastored"
        raise SystemExit(0 if ok else 1)

    children = [context.Process(target=child) for _ in range(3)]
    for process in children:
        process.start()
    assert all(client.ping(delay_ms=10) for _ in range(5))  # the parent meanwhile
    for process in children:
        process.join(20)
    assert [p.exitcode for p in children] == [0, 0, 0]
    assert client.ping() and client.products() == []
