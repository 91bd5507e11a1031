#!/usr/bin/env python3
"""Writes deltastore's protocol test vectors (see README.md beside this file).

Usage:
    pip install pymongo          # for its `bson` package
    python3 generate.py          # (re)write every vector file and manifest.json
    python3 generate.py --check  # exit 1 if any file on disk differs

Every file is derived from the case list below and nothing else, so running the
script twice gives the same bytes, and a file is only rewritten when its
content changes. Generated files that no case produces any more are removed.

The expected replies are what PROTOCOL.md specifies. `error.message` values
(and other ignored values) are examples for people: runners do not compare them.
"""

import argparse
import json
import os
import re
import struct
import sys

try:
    import bson
    from bson import SON
    from bson.int64 import Int64
    from bson.json_util import CANONICAL_JSON_OPTIONS, dumps, loads
except ImportError:  # pragma: no cover - a setup problem, said plainly
    sys.exit("generate.py needs pymongo's bson package: pip install pymongo")

HERE = os.path.dirname(os.path.abspath(__file__))
MANIFEST_VERSION = 1

# Files this script owns: "<case>.request.{bson,json}", "<case>.reply.{bson,json}",
# "<case>.stream.bin" and manifest.json. Nothing else in the folder is touched.
OWNED = re.compile(r"^[a-z0-9_]+\.(request\.bson|request\.json|reply\.bson|reply\.json|stream\.bin)$")

# Defaults of a daemon started without options (hello's `limits`).
DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024
DEFAULT_MAX_BATCH = 1000
DEFAULT_MAX_PAGE = 1000
DEFAULT_MAX_IN_FLIGHT = 128
MAX_DEPTH = 100


# --------------------------------------------------------------------------
# Documents that may repeat a key (legal BSON, not expressible with dict/SON).


class Pairs:
    """A document given as (key, value) pairs, duplicates allowed. Values may be
    Pairs (embedded documents) or anything pymongo's bson encodes."""

    def __init__(self, *pairs):
        self.pairs = pairs


def encode(document):
    """The document's BSON bytes, keys in the given order."""
    if isinstance(document, Pairs):
        body = b"".join(_element(key, value) for key, value in document.pairs)
        return struct.pack("<i", len(body) + 5) + body + b"\x00"
    return bson.encode(document)


def _element(key, value):
    if isinstance(value, Pairs):
        return b"\x03" + key.encode("utf-8") + b"\x00" + encode(value)
    # One element encoded by pymongo, without its document's header and terminator.
    return bson.encode(SON([(key, value)]))[4:-1]


def canonical_json(document):
    """Canonical extended JSON on one line, keys in document order (repeated
    keys are written as many times as they occur)."""
    if isinstance(document, Pairs):
        parts = []
        for key, value in document.pairs:
            text = canonical_json(value) if isinstance(value, Pairs) else dumps(value, json_options=CANONICAL_JSON_OPTIONS)
            parts.append(json.dumps(key) + ": " + text)
        return "{" + ", ".join(parts) + "}"
    return dumps(document, json_options=CANONICAL_JSON_OPTIONS)


def has_duplicates(document):
    if not isinstance(document, Pairs):
        return False
    keys = [key for key, _ in document.pairs]
    return len(keys) != len(set(keys)) or any(has_duplicates(value) for _, value in document.pairs)


def to_son(document):
    if isinstance(document, Pairs):
        return SON([(key, to_son(value)) for key, value in document.pairs])
    return document


# --------------------------------------------------------------------------
# Building blocks.

ABSENT = object()  # a reply without `id`


def request(id_, op, args=ABSENT, deadline_ms=ABSENT):
    pairs = [("id", id_), ("op", op)]
    if args is not ABSENT:
        pairs.append(("args", args))
    if deadline_ms is not ABSENT:
        pairs.append(("deadline_ms", deadline_ms))
    return SON(pairs)


def ok(id_, result):
    return SON([("id", id_), ("ok", True), ("result", result)])


def error(id_, code, message, details=None):
    pairs = [] if id_ is ABSENT else [("id", id_)]
    body = [("code", code), ("message", message)]
    if details is not None:
        body.append(("details", details))
    pairs += [("ok", False), ("error", SON(body))]
    return SON(pairs)


def invalid_argument(id_, field, reason):
    return error(id_, "INVALID_ARGUMENT", "%s: %s" % (field, reason), SON([("field", field), ("reason", reason)]))


def nested(levels, key="a"):
    """A document nested `levels` deep: nested(1) is {}, nested(2) is {a: {}}."""
    inner = SON()
    for _ in range(levels - 1):
        inner = SON([(key, inner)])
    return inner


def depth(document):
    """Levels of documents/arrays, the top-level document being level 1."""
    children = document.values() if isinstance(document, dict) else document
    deepest = 0
    for value in children:
        if isinstance(value, (dict, list)):
            deepest = max(deepest, depth(value))
    return 1 + deepest


def raw_element(type_byte, key_bytes, payload):
    return bytes([type_byte]) + key_bytes + b"\x00" + payload


def raw_document(*elements):
    body = b"".join(elements)
    return struct.pack("<i", len(body) + 5) + body + b"\x00"


def raw_string(payload):
    return struct.pack("<i", len(payload) + 1) + payload + b"\x00"


def raw_int32(value):
    return struct.pack("<i", value)


PING_1 = encode(request(1, "ping"))  # 1a000000 1069640001000000 026f70000500000070696e6700 00

HELLO_RESULT = SON([
    ("protocol", 1),
    ("server", "deltastored"),
    ("version", "0.1.0"),
    ("store", "sqlite"),
    ("limits", SON([
        ("max_message_bytes", Int64(DEFAULT_MAX_MESSAGE_BYTES)),
        ("max_batch", Int64(DEFAULT_MAX_BATCH)),
        ("max_page", Int64(DEFAULT_MAX_PAGE)),
        ("max_in_flight", Int64(DEFAULT_MAX_IN_FLIGHT)),
    ])),
    ("ops", ["hello", "ping", "describe"]),
])

PING_DESCRIPTOR = SON([
    ("name", "ping"),
    ("group", "public"),
    ("summary", "Liveness check. With delay_ms, answers after that many milliseconds without blocking anything (for testing timeouts and draining)."),
    ("args", [SON([
        ("name", "delay_ms"),
        ("type", "int32|int64"),
        ("required", False),
        ("summary", "Delay before the reply, 0 to 10000 ms."),
    ])]),
    ("result", "{pong: true}"),
    ("errors", []),
])

PONG = SON([("pong", True)])
MSG = ["error.message"]
MSG_REASON = ["error.message", "error.details.reason"]

# --------------------------------------------------------------------------
# The cases. Each: name, description, request document or raw stream, expected
# reply, ignored paths, whether the server closes the connection after replying.

CASES = []


def request_case(name, description, document, reply, ignore=(), closes=False):
    CASES.append(dict(name=name, description=description, request=document, reply=reply, ignore=list(ignore), closes=closes))


def stream_case(name, description, stream, reply, ignore=MSG, closes=True):
    CASES.append(dict(name=name, description=description, stream=stream, reply=reply, ignore=list(ignore), closes=closes))


# Core operations.
request_case("hello", "hello with no arguments: protocol 1, server facts, the default limits, the operations.",
             request(1, "hello"), ok(1, HELLO_RESULT), ignore=["result.version", "result.ops"])
request_case("hello_with_client", "hello naming the client (a string of at most 128 bytes).",
             request(2, "hello", SON([("client", "vector-runner/1")])), ok(2, HELLO_RESULT), ignore=["result.version", "result.ops"])
request_case("ping", "ping with an int32 id and no args.", request(1, "ping"), ok(1, PONG))
request_case("ping_int64_id", "An int64 id is echoed as int64, even when its value would fit an int32.",
             request(Int64(42), "ping"), ok(Int64(42), PONG))
request_case("ping_int64_id_large", "An int64 id above 2^53 is echoed exactly.",
             request(Int64(9007199254740993), "ping"), ok(Int64(9007199254740993), PONG))
request_case("ping_string_id", "A string id is echoed as a string.", request("req-1", "ping"), ok("req-1", PONG))
request_case("ping_empty_string_id", "The empty string is a valid id.", request("", "ping"), ok("", PONG))
request_case("ping_negative_id", "Any int32 value is a valid id, negative ones included.", request(-7, "ping"), ok(-7, PONG))
request_case("ping_empty_args", "An empty args document is the same as no args.", request(3, "ping", SON()), ok(3, PONG))
request_case("ping_delay", "ping with delay_ms 50: the reply comes after about 50 ms.",
             request(4, "ping", SON([("delay_ms", 50)])), ok(4, PONG))
request_case("ping_delay_int64", "Integer arguments may be int64.",
             request(5, "ping", SON([("delay_ms", Int64(10))])), ok(5, PONG))
request_case("ping_deadline_met", "A deadline longer than the work: the normal reply.",
             request(6, "ping", SON([("delay_ms", 10)]), deadline_ms=1000), ok(6, PONG))
request_case("deadline_exceeded", "ping delayed 300 ms with deadline_ms 50: DEADLINE_EXCEEDED at about 50 ms.",
             request(7, "ping", SON([("delay_ms", 300)]), deadline_ms=50),
             error(7, "DEADLINE_EXCEEDED", "deadline passed before the operation completed"), ignore=MSG)
request_case("deadline_ms_int64_max", "deadline_ms may be int64; 3600000 (one hour) is the largest accepted.",
             request(8, "ping", deadline_ms=Int64(3600000)), ok(8, PONG))
request_case("describe_ping", "describe one operation.",
             request(9, "describe", SON([("op", "ping")])), ok(9, SON([("ops", [PING_DESCRIPTOR])])), ignore=["result.ops"])
request_case("describe_unknown_op", "describe of an operation the server does not have: NOT_FOUND.",
             request(10, "describe", SON([("op", "no.such.op")])),
             error(10, "NOT_FOUND", "no operation named 'no.such.op'"), ignore=MSG)
request_case("unknown_op", "A well-formed envelope naming no operation: UNKNOWN_OP.",
             request(11, "no.such.op"), error(11, "UNKNOWN_OP", "unknown operation 'no.such.op'"), ignore=MSG)

# Envelope errors (BAD_REQUEST); the connection stays open.
request_case("envelope_missing_op", "An envelope without op: BAD_REQUEST with the id.",
             SON([("id", 12)]), error(12, "BAD_REQUEST", "envelope has no 'op'"), ignore=MSG)
request_case("envelope_missing_id", "An envelope without id: BAD_REQUEST, and the reply has no id.",
             SON([("op", "ping")]), error(ABSENT, "BAD_REQUEST", "envelope has no 'id'"), ignore=MSG)
request_case("envelope_empty", "The empty document {}: BAD_REQUEST without id (it is not a framing error).",
             SON(), error(ABSENT, "BAD_REQUEST", "envelope has no 'id'"), ignore=MSG)
request_case("id_double", "An id of type double: BAD_REQUEST without id.",
             request(1.5, "ping"), error(ABSENT, "BAD_REQUEST", "'id' must be an int32, int64 or string, got double"), ignore=MSG)
request_case("id_null", "An id of type null: BAD_REQUEST without id.",
             request(None, "ping"), error(ABSENT, "BAD_REQUEST", "'id' must be an int32, int64 or string, got null"), ignore=MSG)
request_case("id_string_too_long", "A string id of 257 bytes (the limit is 256): BAD_REQUEST without id.",
             request("x" * 257, "ping"), error(ABSENT, "BAD_REQUEST", "'id' string longer than 256 bytes"), ignore=MSG)
request_case("id_string_256_bytes", "A string id of exactly 256 bytes is accepted.",
             request("x" * 256, "ping"), ok("x" * 256, PONG))
request_case("missing_id_and_unknown_field", "Without a usable id, the id problem is reported (without id), not the unknown field.",
             SON([("op", "ping"), ("extra", True)]), error(ABSENT, "BAD_REQUEST", "envelope has no 'id'"), ignore=MSG)
request_case("op_not_string", "op of type int32: BAD_REQUEST.",
             request(13, 5), error(13, "BAD_REQUEST", "'op' must be a string, got int32"), ignore=MSG)
request_case("op_empty", "op of 0 bytes: BAD_REQUEST.",
             request(14, ""), error(14, "BAD_REQUEST", "'op' must be 1 to 64 bytes"), ignore=MSG)
request_case("op_too_long", "op of 65 bytes: BAD_REQUEST (not UNKNOWN_OP).",
             request(15, "x" * 65), error(15, "BAD_REQUEST", "'op' must be 1 to 64 bytes"), ignore=MSG)
request_case("op_64_bytes", "op of 64 bytes passes the envelope check; no such operation exists: UNKNOWN_OP.",
             request(16, "x" * 64), error(16, "UNKNOWN_OP", "unknown operation '%s'" % ("x" * 64)), ignore=MSG)
request_case("args_not_document", "args of type array: BAD_REQUEST.",
             request(17, "ping", [1]), error(17, "BAD_REQUEST", "'args' must be a document, got array"), ignore=MSG)
request_case("args_null", "args present with value null is not the same as absent: BAD_REQUEST.",
             request(18, "ping", None), error(18, "BAD_REQUEST", "'args' must be a document, got null"), ignore=MSG)
request_case("unknown_envelope_field", "An envelope field other than id, op, args, deadline_ms: BAD_REQUEST.",
             SON([("id", 19), ("op", "ping"), ("extra", True)]),
             error(19, "BAD_REQUEST", "unknown envelope field 'extra' (allowed: id, op, args, deadline_ms)"), ignore=MSG)
request_case("envelope_field_case", "Envelope field names are case-sensitive: 'OP' is an unknown field.",
             SON([("id", 20), ("op", "ping"), ("OP", "ping")]),
             error(20, "BAD_REQUEST", "unknown envelope field 'OP' (allowed: id, op, args, deadline_ms)"), ignore=MSG)
request_case("duplicate_envelope_field", "op given twice (legal BSON): BAD_REQUEST. The .json twin repeats the key.",
             Pairs(("id", 21), ("op", "ping"), ("op", "ping")),
             error(21, "BAD_REQUEST", "duplicate envelope field 'op'"), ignore=MSG)
request_case("duplicate_id", "id given twice: BAD_REQUEST carrying the first id.",
             Pairs(("id", 22), ("id", "second"), ("op", "ping")),
             error(22, "BAD_REQUEST", "duplicate envelope field 'id'"), ignore=MSG)
request_case("deadline_ms_zero", "deadline_ms 0 (the range is 1..3600000): BAD_REQUEST.",
             request(23, "ping", deadline_ms=0), error(23, "BAD_REQUEST", "'deadline_ms' must be between 1 and 3600000"), ignore=MSG)
request_case("deadline_ms_too_large", "deadline_ms 3600001: BAD_REQUEST.",
             request(24, "ping", deadline_ms=3600001), error(24, "BAD_REQUEST", "'deadline_ms' must be between 1 and 3600000"), ignore=MSG)
request_case("deadline_ms_double", "deadline_ms of type double, even integral: BAD_REQUEST.",
             request(25, "ping", deadline_ms=50.0), error(25, "BAD_REQUEST", "'deadline_ms' must be an int32 or int64, got double"), ignore=MSG)
request_case("deadline_checked_before_op", "Envelope rules come before the operation lookup: a bad deadline_ms on an unknown op is BAD_REQUEST.",
             request(26, "no.such.op", deadline_ms=0), error(26, "BAD_REQUEST", "'deadline_ms' must be between 1 and 3600000"), ignore=MSG)

# Argument errors (INVALID_ARGUMENT with details {field, reason}).
request_case("ping_delay_ms_string", "delay_ms as a string: INVALID_ARGUMENT naming the field.",
             request(30, "ping", SON([("delay_ms", "50")])),
             invalid_argument(30, "delay_ms", "must be int32 or int64, got string"), ignore=MSG_REASON)
request_case("ping_delay_ms_double", "delay_ms as a double, even integral: INVALID_ARGUMENT.",
             request(31, "ping", SON([("delay_ms", 50.0)])),
             invalid_argument(31, "delay_ms", "must be int32 or int64, got double"), ignore=MSG_REASON)
request_case("ping_delay_ms_out_of_range", "delay_ms 10001 (the range is 0..10000): INVALID_ARGUMENT.",
             request(32, "ping", SON([("delay_ms", 10001)])),
             invalid_argument(32, "delay_ms", "must be between 0 and 10000, got 10001"), ignore=MSG_REASON)
request_case("unknown_argument", "An argument the operation does not take: INVALID_ARGUMENT.",
             request(33, "ping", SON([("delay", 1)])),
             invalid_argument(33, "delay", "unknown argument (allowed: delay_ms)"), ignore=MSG_REASON)
request_case("dollar_argument", "An argument key starting with '$' is INVALID_ARGUMENT (never a framing error, never an operator).",
             request(34, "ping", SON([("$where", "1")])),
             invalid_argument(34, "$where", "keys may not start with '$'"), ignore=MSG_REASON)
request_case("dotted_argument", "An argument key containing '.': INVALID_ARGUMENT.",
             request(35, "ping", SON([("delay.ms", 1)])),
             invalid_argument(35, "delay.ms", "keys may not contain '.'"), ignore=MSG_REASON)
request_case("empty_argument_key", "An empty argument key: INVALID_ARGUMENT with field \"\".",
             request(36, "ping", SON([("", 1)])),
             invalid_argument(36, "", "empty key"), ignore=MSG_REASON)
request_case("duplicate_argument", "An argument given twice: INVALID_ARGUMENT. The .json twin repeats the key.",
             Pairs(("id", 37), ("op", "ping"), ("args", Pairs(("delay_ms", 1), ("delay_ms", 2)))),
             invalid_argument(37, "delay_ms", "given more than once"), ignore=MSG_REASON)
request_case("null_argument", "An argument present with value null is a type error, not 'absent'.",
             request(38, "describe", SON([("op", None)])),
             invalid_argument(38, "op", "must be string, got null"), ignore=MSG_REASON)
request_case("hello_client_too_long", "hello's client longer than 128 bytes: INVALID_ARGUMENT.",
             request(39, "hello", SON([("client", "c" * 129)])),
             invalid_argument(39, "client", "longer than 128 bytes"), ignore=MSG_REASON)
_deep_args = SON([("a", nested(MAX_DEPTH - 2))])  # top level 1, args 2, then 98 more levels
assert depth(request(40, "ping", _deep_args)) == MAX_DEPTH
request_case("depth_100_accepted", "A request nested exactly 100 levels deep is a valid frame (here answered INVALID_ARGUMENT for the unknown argument).",
             request(40, "ping", _deep_args),
             invalid_argument(40, "a", "unknown argument (allowed: delay_ms)"), ignore=MSG_REASON)

# Framing errors: raw byte streams, each answered by one BAD_FRAME without id, then EOF.
stream_case("frame_length_4", "Length prefix 4 (below the minimum 5).",
            raw_int32(4), error(ABSENT, "BAD_FRAME", "frame length 4 is below the minimum of 5 bytes"))
stream_case("frame_length_negative", "Length prefix -1 (0xffffffff).",
            raw_int32(-1), error(ABSENT, "BAD_FRAME", "frame length -1 is below the minimum of 5 bytes"))
stream_case("frame_length_too_large", "Length prefix 0x7fffffff, above the maximum; answered from the 4 prefix bytes alone.",
            raw_int32(0x7FFFFFFF), error(ABSENT, "BAD_FRAME", "frame length 2147483647 exceeds the maximum of 16777216 bytes"))
stream_case("frame_length_max_plus_one", "Length prefix 16777217, one above the default maximum.",
            raw_int32(DEFAULT_MAX_MESSAGE_BYTES + 1),
            error(ABSENT, "BAD_FRAME", "frame length 16777217 exceeds the maximum of 16777216 bytes"))
_bad_type = bytearray(PING_1)
assert _bad_type[12] == 0x02  # the type byte of "op"
_bad_type[12] = 0x99
stream_case("frame_invalid_element_type", "A frame of correct length whose second element has type byte 0x99.",
            bytes(_bad_type), error(ABSENT, "BAD_FRAME", "frame is not a valid BSON document: invalid BSON document: corrupt element at offset 16"))
stream_case("frame_missing_terminator", "A frame whose last byte is 0x01 instead of the terminating 0x00.",
            PING_1[:-1] + b"\x01", error(ABSENT, "BAD_FRAME", "frame is not a valid BSON document: invalid BSON document: document does not end with a zero byte"))
stream_case("frame_invalid_bool", "A bool element whose byte is 0x02 (only 0x00 and 0x01 are booleans).",
            raw_document(raw_element(0x10, b"id", raw_int32(1)), raw_element(0x08, b"op", b"\x02")),
            error(ABSENT, "BAD_FRAME", "frame is not a valid BSON document: invalid BSON document: corrupt element at offset 16"))
stream_case("frame_invalid_utf8_value", "A string value containing the byte 0xff (invalid UTF-8).",
            raw_document(raw_element(0x10, b"id", raw_int32(1)), raw_element(0x02, b"op", raw_string(b"p\xffing"))),
            error(ABSENT, "BAD_FRAME", "frame is not a valid BSON document: invalid BSON document: invalid utf8 string for key \"op\""))
stream_case("frame_invalid_utf8_key", "A key containing the byte 0xff (invalid UTF-8).",
            raw_document(raw_element(0x10, b"id", raw_int32(1)), raw_element(0x02, b"o\xffp", raw_string(b"ping"))),
            error(ABSENT, "BAD_FRAME", "frame is not a valid BSON document: invalid BSON document: corrupt BSON"))
stream_case("frame_nul_in_string", "A string value with a NUL byte inside it (its length counts the NUL).",
            raw_document(raw_element(0x10, b"id", raw_int32(1)), raw_element(0x02, b"op", raw_string(b"pi\x00ng"))),
            error(ABSENT, "BAD_FRAME", "frame is not a valid BSON document: invalid BSON document: invalid utf8 string for key \"op\""))
stream_case("frame_overlong_utf8", "A string value holding the overlong encoding C0 80.",
            raw_document(raw_element(0x10, b"id", raw_int32(1)), raw_element(0x02, b"op", raw_string(b"\xc0\x80"))),
            error(ABSENT, "BAD_FRAME", "frame is not a valid BSON document: invalid BSON document: invalid utf8 string for key \"op\""))
_too_deep = request(1, "ping", SON([("a", nested(MAX_DEPTH - 1))]))
assert depth(_too_deep) == MAX_DEPTH + 1
stream_case("frame_too_deep", "A request nested 101 levels deep (the limit is 100, the top-level document counting as 1).",
            encode(_too_deep), error(ABSENT, "BAD_FRAME", "frame is not a valid BSON document: BSON document nested deeper than 100 levels"))
stream_case("frame_truncated", "The first 10 of the 26 bytes of a valid ping request, then end of stream.",
            PING_1[:10], error(ABSENT, "BAD_FRAME", "stream ended after 10 of 26 bytes of a frame"))
stream_case("frame_truncated_prefix", "Only 3 bytes of a length prefix, then end of stream.",
            PING_1[:3], error(ABSENT, "BAD_FRAME", "stream ended after 3 of 4 bytes of a frame"))


# --------------------------------------------------------------------------
# Writing.


def document_files(base, document):
    data = encode(document)
    text = canonical_json(document)
    # Self-checks: pymongo decodes what we wrote; the JSON twin is the same document.
    decoded = bson.decode(data, codec_options=bson.CodecOptions(document_class=SON))
    if not has_duplicates(document):
        son = to_son(document)
        assert encode(son) == data, base
        assert text == dumps(son, json_options=CANONICAL_JSON_OPTIONS), base
        assert bson.encode(loads(text, json_options=CANONICAL_JSON_OPTIONS)) == data, base
        assert decoded == son, base
    assert "\n" not in text
    return {base + ".bson": data, base + ".json": (text + "\n").encode("utf-8")}


def build():
    files = {}
    manifest_cases = []
    names = set()
    for case in CASES:
        name = case["name"]
        assert re.match(r"^[a-z0-9_]+$", name) and name not in names, name
        names.add(name)
        entry = {"name": name, "description": case["description"]}
        if "request" in case:
            entry["request"] = name + ".request"
            files.update(document_files(name + ".request", case["request"]))
        else:
            entry["stream"] = name + ".stream"
            entry["hex"] = case["stream"].hex()
            files[name + ".stream.bin"] = case["stream"]
        entry["reply"] = name + ".reply"
        files.update(document_files(name + ".reply", case["reply"]))
        reply = case["reply"]
        for path in case["ignore"]:  # every ignored path exists in the expected reply
            node = reply
            for part in path.split("."):
                assert part in node, (name, path)
                node = node[part]
        if reply.get("ok") is False:
            assert "error.message" in case["ignore"], name
            assert case["closes"] == (reply["error"]["code"] == "BAD_FRAME"), name
        if case["closes"]:
            assert "id" not in reply, name
        entry["ignore"] = case["ignore"]
        entry["closes"] = case["closes"]
        manifest_cases.append(entry)
    manifest = {"version": MANIFEST_VERSION, "cases": manifest_cases}
    files["manifest.json"] = (json.dumps(manifest, indent=2, ensure_ascii=True) + "\n").encode("utf-8")
    return files


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file differs or is missing or stale")
    parser.add_argument("--dir", default=HERE, help="output folder (default: this script's folder)")
    options = parser.parse_args()

    files = build()
    stale = sorted(name for name in os.listdir(options.dir) if OWNED.match(name) and name not in files)
    changed = []
    for name in sorted(files):
        path = os.path.join(options.dir, name)
        current = None
        if os.path.exists(path):
            with open(path, "rb") as handle:
                current = handle.read()
        if current != files[name]:
            changed.append(name)
            if not options.check:
                with open(path, "wb") as handle:
                    handle.write(files[name])
    if not options.check:
        for name in stale:
            os.remove(os.path.join(options.dir, name))
    if options.check:
        for name in changed:
            print("differs: %s" % name)
        for name in stale:
            print("stale: %s" % name)
        if changed or stale:
            print("vectors are out of date: run python3 generate.py", file=sys.stderr)
            return 1
        print("%d files up to date" % len(files))
        return 0
    print("%d cases, %d files written, %d unchanged, %d stale removed" % (
        len(CASES), len(changed), len(files) - len(changed), len(stale)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
