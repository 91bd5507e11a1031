"""The client's envelopes and reply handling against proto-spec/vectors:
offline on the files, and online through the client's own connection (its
frame reader and its reply matching by id and id type) against a daemon on a
fresh store, in manifest order, each case on a new connection."""
from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any, Dict, List, Set

import bson
import pytest
from bson.int64 import Int64

from daemon import REPOSITORY, Daemon
from deltastore import DeltastoreError
from deltastore.connection import Connection
from deltastore.wire import decode_document, encode_request, frame_length, id_key, parse_reply

VECTORS = REPOSITORY / "proto-spec" / "vectors"
MANIFEST = json.loads((VECTORS / "manifest.json").read_text())
CASES: List[Dict[str, Any]] = MANIFEST["cases"]
# Datetimes beyond Python's years 1 to 9999 (refused timestamps) read as DatetimeMS.
RAW = bson.codec_options.CodecOptions(document_class=bson.son.SON, datetime_conversion=bson.codec_options.DatetimeConversion.DATETIME_AUTO)


def raw(base: str) -> bytes:
    return (VECTORS / f"{base}.bson").read_bytes()


def typed(value: Any) -> Any:
    """A decoded value with its BSON type made explicit, for comparing types too."""
    if isinstance(value, dict):
        return ("document", [(k, typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("array", [typed(v) for v in value])
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, Int64):
        return ("int64", int(value))
    if isinstance(value, int):
        return ("int32", value)
    return (type(value).__name__, value)


def differences(expected: Any, actual: Any, ignore: Set[str], path: str = "") -> List[str]:
    e, a = typed(expected), typed(actual)
    if path in ignore:
        return [] if e[0] == a[0] else [f"{path}: type {a[0]} instead of {e[0]}"]
    if e[0] != a[0]:
        return [f"{path}: type {a[0]} instead of {e[0]}"]
    if isinstance(expected, dict):
        if list(expected) != list(actual):
            return [f"{path or 'top level'}: keys {list(actual)} instead of {list(expected)}"]
        return [d for k in expected for d in differences(expected[k], actual[k], ignore, f"{path}.{k}" if path else k)]
    if isinstance(expected, list):
        if len(expected) != len(actual):
            return [f"{path}: {len(actual)} items instead of {len(expected)}"]
        return [d for i, (x, y) in enumerate(zip(expected, actual)) for d in differences(x, y, ignore, f"{path}.{i}")]
    return [] if e == a else [f"{path}: {actual!r} instead of {expected!r}"]


def test_manifest_has_cases() -> None:
    assert MANIFEST["version"] == 1 and len(CASES) > 50


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_reply_vector_decodes_to_the_right_outcome(case: Dict[str, Any]) -> None:
    data = raw(case["reply"])
    assert frame_length(data[:4], 1 << 26) == len(data)
    document = decode_document(data)
    reply = parse_reply(document)
    assert id_key(reply.id) == id_key(document.get("id"))
    if document["ok"]:
        assert reply.ok and reply.result == document["result"] and reply.error is None
    else:
        error = reply.error
        assert isinstance(error, DeltastoreError) and not reply.ok
        assert error.code == document["error"]["code"]
        assert error.details == document["error"].get("details", {})
        if error.code == "INVALID_ARGUMENT":
            assert error.field is not None


def request_cases() -> List[Dict[str, Any]]:
    return [c for c in CASES if "request" in c]


@pytest.mark.parametrize("case", request_cases(), ids=[c["name"] for c in request_cases()])
def test_client_encodes_valid_request_vectors_to_their_bytes(case: Dict[str, Any]) -> None:
    data = raw(case["request"])
    pairs = bson.decode(data, codec_options=RAW)
    keys = list(pairs.keys())
    envelope_ok = (set(keys) <= {"id", "op", "args", "deadline_ms"} and len(bson.encode(pairs)) == len(data)
                   and id_key(pairs.get("id")) is not None and isinstance(pairs.get("op"), str)
                   and isinstance(pairs.get("args", {}), dict) and keys[:2] == ["id", "op"])
    if not envelope_ok:
        pytest.skip("not an envelope the client builds (the server's refusal is checked online)")
    deadline = pairs.get("deadline_ms")
    if deadline is not None and (isinstance(deadline, bool) or not isinstance(deadline, int)):
        pytest.skip("deadline_ms of a type the client never sends")
    expected = bson.SON((k, v) for k, v in pairs.items() if not (k == "args" and v == {}))
    if deadline is not None:
        expected["deadline_ms"] = Int64(deadline)
    encoded = encode_request(pairs["id"], pairs["op"], pairs.get("args"), None if deadline is None else int(deadline))
    assert encoded == bson.encode(expected)


@pytest.fixture(scope="module")
def vector_daemon(binary: Path):
    daemon = Daemon(binary).start()  # default options, fresh empty store
    yield daemon
    daemon.remove()


def run_case(daemon: Daemon, case: Dict[str, Any]) -> Dict[str, Any]:
    expected = decode_document(raw(case["reply"]))
    if "request" in case and "id" in expected:
        connection = Connection(daemon.socket_path)
        try:
            reply = connection.exchange(expected["id"], raw(case["request"]), timeout=10)
        finally:
            connection.close()
        assert id_key(reply.id) == id_key(expected["id"])
        assert reply.ok == expected["ok"]
        return reply.result if reply.ok else {"code": reply.error.code, "details": reply.error.details}
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(daemon.socket_path)
        if "request" in case:
            sock.sendall(raw(case["request"]))
        else:
            sock.sendall((VECTORS / f"{case['stream']}.bin").read_bytes())
            sock.shutdown(socket.SHUT_WR)
        reader = sock.makefile("rb")
        prefix = reader.read(4)
        frame = prefix + reader.read(frame_length(prefix, 1 << 26) - 4)
        reply = parse_reply(decode_document(frame))
        assert reply.id is None and not reply.ok
        if case["closes"]:
            assert reader.read(1) == b""
        return {"code": reply.error.code, "details": reply.error.details}


def test_every_case_through_the_client(vector_daemon: Daemon) -> None:
    failures = []
    for case in CASES:
        expected = decode_document(raw(case["reply"]))
        actual = run_case(vector_daemon, case)
        ignore = {path.split(".", 1)[1] for path in case["ignore"] if "." in path}
        if expected["ok"]:
            found = differences(expected["result"], actual, ignore)
        else:
            error = expected["error"]
            found = [] if actual["code"] == error["code"] else [f"code {actual['code']} instead of {error['code']}"]
            details_ignore = {p.split(".", 1)[1] for p in ignore if p.startswith("details.")}
            found += differences(error.get("details", {}), actual["details"], details_ignore)
        if found:
            failures.append(f"{case['name']}: {'; '.join(found)}")
    assert not failures, "\n".join(failures)
