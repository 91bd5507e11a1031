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

The cases are one sequence: they run in manifest order, each on a new
connection, against one daemon with default options on a fresh, empty store
(the market-data cases query what earlier cases inserted). See README.md.
"""

import argparse
import base64
import datetime
import json
import os
import re
import struct
import sys

try:
    import bson
    from bson import SON
    from bson.int64 import Int64
    from bson.codec_options import CodecOptions, DatetimeConversion
    from bson.datetime_ms import DatetimeMS
    from bson.json_util import CANONICAL_JSON_OPTIONS as _CANONICAL, dumps, loads
except ImportError:  # pragma: no cover - a setup problem, said plainly
    sys.exit("generate.py needs pymongo's bson package: pip install pymongo")

# Datetimes outside Python's years 1 to 9999 (a refused -2^63 timestamp) read
# as DatetimeMS instead of failing.
CANONICAL_JSON_OPTIONS = _CANONICAL.with_options(datetime_conversion=DatetimeConversion.DATETIME_AUTO)
DECODING = CodecOptions(document_class=SON, datetime_conversion=DatetimeConversion.DATETIME_AUTO)

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
    Pairs (embedded documents), KeyedArray, or anything pymongo's bson encodes."""

    def __init__(self, *pairs):
        self.pairs = pairs


class KeyedArray(Pairs):
    """An array whose element keys are given, e.g. "0", "0": valid BSON that
    the server refuses (arrays are numbered "0", "1", …). JSON cannot show an
    array's keys: the .json twin lists the elements in order."""


def encode(document):
    """The document's BSON bytes, keys in the given order."""
    if isinstance(document, Pairs):
        body = b"".join(_element(key, value) for key, value in document.pairs)
        return struct.pack("<i", len(body) + 5) + body + b"\x00"
    return bson.encode(document)


def _element(key, value):
    if isinstance(value, Pairs):
        return (b"\x04" if isinstance(value, KeyedArray) else b"\x03") + key.encode("utf-8") + b"\x00" + encode(value)
    # One element encoded by pymongo, without its document's header and terminator.
    return bson.encode(SON([(key, value)]))[4:-1]


def canonical_json(document):
    """Canonical extended JSON on one line, keys in document order (repeated
    keys are written as many times as they occur)."""
    if isinstance(document, KeyedArray):
        return "[" + ", ".join(canonical_json(value) if isinstance(value, Pairs) else dumps(value, json_options=CANONICAL_JSON_OPTIONS)
                               for _, value in document.pairs) + "]"
    if isinstance(document, Pairs):
        parts = []
        for key, value in document.pairs:
            text = canonical_json(value) if isinstance(value, Pairs) else dumps(value, json_options=CANONICAL_JSON_OPTIONS)
            parts.append(json.dumps(key) + ": " + text)
        return "{" + ", ".join(parts) + "}"
    return dumps(document, json_options=CANONICAL_JSON_OPTIONS)


def has_duplicates(document):
    """Whether the document repeats a key or has a KeyedArray: then JSON (and
    SON) cannot hold it, and its twins are not checked against each other."""
    if not isinstance(document, Pairs):
        return False
    if isinstance(document, KeyedArray):
        return True
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
    # Every operation of a daemon on the SQLite store, in hello's order (on MongoDB: the same without backup).
    ("ops", ["hello", "ping", "describe", "stats", "health", "products.list", "expiries.list", "ticks.insert", "ticks.query",
             "ticks.latest", "ticks.ohlc", "quotes.insert", "quotes.query", "chains.insert", "chains.query", "chains.latest",
             "auth.register", "auth.login", "auth.verify", "auth.refresh", "auth.logout", "reload", "backup"]),
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
             request(1, "hello"), ok(1, HELLO_RESULT), ignore=["result.version"])
request_case("hello_with_client", "hello naming the client (a string of at most 128 bytes).",
             request(2, "hello", SON([("client", "vector-runner/1")])), ok(2, HELLO_RESULT), ignore=["result.version"])
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

# Text with a NUL byte: legal BSON (the BSON corpus's "Embedded nulls" cases are
# valid documents), so never a framing error; refused per request, with the
# request's id where it can be echoed, and the connection stays open.
request_case("nul_embedded_corpus_document", "The BSON corpus's 'Embedded nulls' string document {a: \"ab\\0bab\\0babab\"}: a valid frame, not a request (no id).",
             SON([("a", "ab\x00bab\x00babab")]), error(ABSENT, "BAD_REQUEST", "envelope has no 'id'"), ignore=MSG)
request_case("nul_in_op", "An op holding a NUL byte: BAD_REQUEST with the request's id.",
             request(41, "pi\x00ng"), error(41, "BAD_REQUEST", "'op' contains a NUL byte"), ignore=MSG)
request_case("nul_in_argument", "An argument string holding a NUL byte: INVALID_ARGUMENT naming it, before the operation checks its arguments.",
             request(42, "describe", SON([("op", "pi\x00ng")])),
             invalid_argument(42, "op", "text may not contain a NUL byte (U+0000)"), ignore=MSG_REASON)
request_case("nul_in_nested_argument", "A NUL byte deep inside a batch item: INVALID_ARGUMENT whose field is the path to it; nothing is written.",
             request(43, "ticks.insert", SON([("ticks", [SON([("product", "NIFTY"), ("price", 1.5),
                                                            ("timestamp", datetime.datetime(2025, 1, 30, 9, 15)), ("note", "a\x00b")])])])),
             invalid_argument(43, "ticks.0.note", "text may not contain a NUL byte (U+0000)"), ignore=MSG_REASON)
request_case("nul_in_id", "A string id holding a NUL byte: BAD_REQUEST without id (it is not echoed).",
             request("a\x00b", "ping"), error(ABSENT, "BAD_REQUEST", "'id' string contains a NUL byte"), ignore=MSG)

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
            error(ABSENT, "BAD_FRAME", "frame is not a valid BSON document: invalid BSON document: the value of \"op\" is not valid UTF-8"))
stream_case("frame_invalid_utf8_key", "A key containing the byte 0xff (invalid UTF-8).",
            raw_document(raw_element(0x10, b"id", raw_int32(1)), raw_element(0x02, b"o\xffp", raw_string(b"ping"))),
            error(ABSENT, "BAD_FRAME", "frame is not a valid BSON document: invalid BSON document: corrupt BSON"))
stream_case("frame_overlong_utf8", "A string value holding the overlong encoding C0 80 (not UTF-8, and not a NUL either).",
            raw_document(raw_element(0x10, b"id", raw_int32(1)), raw_element(0x02, b"op", raw_string(b"\xc0\x80"))),
            error(ABSENT, "BAD_FRAME", "frame is not a valid BSON document: invalid BSON document: the value of \"op\" is not valid UTF-8"))
_too_deep = request(1, "ping", SON([("a", nested(MAX_DEPTH - 1))]))
assert depth(_too_deep) == MAX_DEPTH + 1
stream_case("frame_too_deep", "A request nested 101 levels deep (the limit is 100, the top-level document counting as 1).",
            encode(_too_deep), error(ABSENT, "BAD_FRAME", "frame is not a valid BSON document: BSON document nested deeper than 100 levels"))
stream_case("frame_truncated", "The first 10 of the 26 bytes of a valid ping request, then end of stream.",
            PING_1[:10], error(ABSENT, "BAD_FRAME", "stream ended after 10 of 26 bytes of a frame"))
stream_case("frame_truncated_prefix", "Only 3 bytes of a length prefix, then end of stream.",
            PING_1[:3], error(ABSENT, "BAD_FRAME", "stream ended after 3 of 4 bytes of a frame"))


# --------------------------------------------------------------------------
# Market data (PROTOCOL.md §14.2). These cases build on each other: they run in
# manifest order against one daemon on a fresh, empty store, so the inserts
# below are exactly what the later queries find. Ids count up from 100.

_ids = iter(range(100, 1000))
# Cases added later take ids from here, so that the ids of the cases after
# them (and their files) stay as they were.
_later_ids = iter(range(1000, 2000))


def md_request(op, args=ABSENT, later=False):
    return request(next(_later_ids if later else _ids), op, args)


def md_case(name, description, op, args, result=None, error_field=None, error_code=None, message="", reason="", ignore=(), index=None,
            later=False):
    """A market-data request case; the reply is `result`, an INVALID_ARGUMENT for
    `error_field` (with `index` for a batch item), or `error_code`. `later`:
    a case added after the first release of the vectors (its id from 1000)."""
    document = md_request(op, args, later)
    id_ = document["id"]
    if result is not None:
        reply = ok(id_, result)
    elif error_field is not None:
        if index is None:
            reply = invalid_argument(id_, error_field, reason)
        else:
            reply = error(id_, "INVALID_ARGUMENT", "%s[%d].%s: %s" % (op.split(".")[0], index, error_field, reason),
                          SON([("index", index), ("field", error_field), ("reason", reason)]))
        ignore = list(ignore) + MSG_REASON
    else:
        reply = error(id_, error_code, message)
        ignore = list(ignore) + MSG
    request_case(name, description, document, reply, ignore=ignore)


def md_pairs_case(name, description, op, args, error_field, reason, index=None):
    """A market-data case whose `args` (Pairs) hold what SON cannot: an array
    with given keys (KeyedArray). The reply is INVALID_ARGUMENT for
    `error_field` (with `index` for a batch item)."""
    id_ = next(_later_ids)
    document = Pairs(("id", id_), ("op", op), ("args", args))
    if index is None:
        reply = invalid_argument(id_, error_field, reason)
    else:
        reply = error(id_, "INVALID_ARGUMENT", "%s[%d].%s: %s" % (op.split(".")[0], index, error_field, reason),
                      SON([("index", index), ("field", error_field), ("reason", reason)]))
    request_case(name, description, document, reply, ignore=MSG_REASON)


def insert_result(inserted, duplicates=0, conflicts=()):
    """`{inserted, duplicates, conflicts}` of the insert operations (§14.2.3)."""
    return doc(("inserted", inserted), ("duplicates", duplicates), ("conflicts", list(conflicts)))


def at(clock, day="2025-01-30"):
    """A BSON datetime (naive datetimes are UTC for pymongo): at("09:15:00.250")."""
    return datetime.datetime.strptime(day + " " + clock, "%Y-%m-%d %H:%M:%S.%f" if "." in clock else "%Y-%m-%d %H:%M:%S")


def doc(*pairs):
    return SON(list(pairs))


def tick(product, price, clock, *extra):
    return doc(("product", product), ("price", price), ("timestamp", at(clock)), *extra)


def quote(symbol, product, strike, expiry, option_type, clock, *extra):
    return doc(("symbol", symbol), ("product", product), ("strike", strike), ("expiry", expiry),
               ("option_type", option_type), ("timestamp", at(clock)), *extra)


def chain(product, expiry, clock, *extra):
    return doc(("product", product), ("expiry", expiry), ("timestamp", at(clock)), *extra)


def page(records_key, records, product=None, next_=None):
    pairs = [] if product is None else [("product", product)]
    pairs += [("count", len(records)), (records_key, list(records))]
    if next_ is not None:
        pairs.append(("next", next_))
    return SON(pairs)


def bar(clock, open_, high, low, close, count):
    return doc(("start", at(clock)), ("open", float(open_)), ("high", float(high)), ("low", float(low)),
               ("close", float(close)), ("count", count))


NEXT = ["result.next"]
# A cursor's layout (version 2, timestamp, an 8-byte record key, the query
# digest) with a code of zeros: what a forger without the secret can make.
FORGED_CURSOR = base64.urlsafe_b64encode(bytes([2]) + bytes(8) + bytes([8]) + bytes(8) + bytes(16) + bytes(32)).decode("ascii").rstrip("=")
# What the daemon sends as `next` is opaque; the value here is only an example.
EXAMPLE_CURSOR = "AZjWF4CaHK1XaPR-tpQBAAAIAAAAAAAAAALGqpwM-uH8tg"

# The records. Ticks T1..T7 of NIFTY (T4 and T5 share a timestamp), B1 of BANKNIFTY.
T1 = tick("NIFTY", 23500.5, "09:15:00", ("tick_id", "nifty-1"), ("processed_at", at("09:15:00.250")))
T2 = tick("NIFTY", 23510, "09:15:20", ("tick_id", "nifty-2"))
T3 = tick("NIFTY", 23495.25, "09:15:40", ("tick_id", 3))
T4 = tick("NIFTY", Int64(23520), "09:16:10", ("tick_id", Int64(4)))
T5 = tick("NIFTY", 23522.75, "09:16:10", ("source", doc(("feed", "nse"), ("seq", 17))))
B1 = tick("BANKNIFTY", 49250.0, "09:15:00", ("tick_id", "nifty-1"))
T6 = tick("NIFTY", 23480.5, "09:20:05", ("tick_id", "nifty-6"))
T1_OTHER_PRICE = tick("NIFTY", 1.0, "09:15:00", ("tick_id", "nifty-1"))
T3_INT64_ID = tick("NIFTY", 23495.25, "09:15:40", ("tick_id", Int64(3)))
T7 = tick("NIFTY", 23505.5, "09:17:00", ("tick_id", "3"))
# BANKNIFTY's feed restarted: it numbers tick_id from the start again, with new timestamps.
B2 = tick("BANKNIFTY", 49262.5, "09:45:00", ("tick_id", "nifty-1"))
NIFTY_TICKS_NEWEST_FIRST = [T6, T7, T5, T4, T3, T2, T1]

Q1 = quote("NIFTY250130C23500", "NIFTY", 23500, "2025-01-30", "CALL", "09:15:00", ("bid", 120.5), ("ask", 121.0), ("iv", 0.125))
Q2 = quote("NIFTY250130P23500", "NIFTY", 23500, "2025-01-30", "PUT", "09:15:00", ("bid", 118.0), ("ask", 119.25))
Q3 = quote("NIFTY250130C23600", "NIFTY", 23600.0, "2025-01-30", "CALL", "09:15:00", ("bid", 71.5))
Q4 = quote("NIFTY250130C23500", "NIFTY", 23500, "2025-01-30", "CALL", "09:16:00", ("bid", 131.0), ("ask", 131.75))
Q5 = quote("NIFTY250227C23500", "NIFTY", 23500, "2025-02-27", "CALL", "09:15:00", ("bid", 412.0))
Q6 = quote("FINNIFTY250204C23000", "FINNIFTY", Int64(23000), "2025-02-04", "CALL", "09:15:00", ("volume", Int64(1200)))
Q7 = quote("NIFTY250130C23500", "NIFTY", 23500, "2025-01-30", "CALL", "09:17:00", ("bid", 140.25))
Q1_OTHER_BID = quote("NIFTY250130C23500", "NIFTY", 23500, "2025-01-30", "CALL", "09:15:00", ("bid", 121.5), ("ask", 121.0), ("iv", 0.125))

C1 = chain("NIFTY", "2025-01-30", "09:15:00", ("spot_price", 23500.5), ("pcr_oi", 0.875), ("atm_strike", 23500),
           ("calls", [doc(("strike", 23500), ("bid", 120.5), ("ask", 121.0)), doc(("strike", 23600), ("bid", 71.5))]),
           ("puts", [doc(("strike", 23500), ("bid", 118.0), ("ask", 119.25))]))
C2 = chain("NIFTY", "2025-01-30", "09:16:00", ("spot_price", 23521.0), ("pcr_oi", 0.9375), ("atm_strike", 23500),
           ("calls", [doc(("strike", 23500), ("bid", 131.0))]), ("puts", [doc(("strike", 23500), ("bid", 109.5))]))
C3 = chain("NIFTY", "2025-02-06", "09:15:00", ("spot_price", 23500.5), ("pcr_oi", 1.0625), ("atm_strike", 23500),
           ("calls", []), ("puts", []))
C4 = chain("MIDCPNIFTY", "2025-01-27", "09:15:00", ("spot_price", 12110.25), ("pcr_oi", 0.8125))


def projected(chain_, names):
    keep = {"product", "expiry", "timestamp"} | set(names)
    return SON([(key, value) for key, value in chain_.items() if key in keep])


# On the empty store.
md_case("health", "health on a working store: status ok; uptime_s (int64) is not compared.",
        "health", ABSENT, result=doc(("status", "ok"), ("store", doc(("kind", "sqlite"), ("ok", True))), ("uptime_s", Int64(0))),
        ignore=["result.uptime_s"])
md_case("products_list_empty", "products.list on an empty store: an empty array.",
        "products.list", ABSENT, result=doc(("products", [])))
md_case("ticks_latest_not_found", "ticks.latest of a product without ticks: NOT_FOUND.",
        "ticks.latest", doc(("product", "NIFTY")), error_code="NOT_FOUND", message="no ticks for product 'NIFTY'")

# ticks.insert.
md_case("ticks_insert", "A batch of 7 ticks, kept exactly as sent: int32, int64 and double prices, string and integer tick_ids, "
        "extra fields, two ticks with one timestamp, and a BANKNIFTY tick reusing a NIFTY tick_id (keys are per product).",
        "ticks.insert", doc(("ticks", [T1, T2, T3, T4, T5, B1, T6])), result=insert_result(7))
md_case("ticks_insert_again", "A retry and two conflicts: nifty-1 re-sent exactly (a duplicate), nifty-1 with another price and "
        "tick_id int64 3 (the key of the stored int32 3, but another document): conflicts 1 and 2, not stored; a new tick_id \"3\" "
        "(a string never equals an integer) and its copy in the same batch (a duplicate).",
        "ticks.insert", doc(("ticks", [T1, T1_OTHER_PRICE, T3_INT64_ID, T7, T7])), result=insert_result(1, 2, [1, 2]))
md_case("ticks_insert_restarted_feed", "A feed restarted and numbering tick_id from the start again: BANKNIFTY's tick_id nifty-1 "
        "with a new timestamp is a new tick (the key is product, tick_id and timestamp).",
        "ticks.insert", doc(("ticks", [B2])), result=insert_result(1), later=True)
md_case("ticks_insert_time_before_year_1", "A timestamp of -2^63 ms, a valid BSON datetime outside the accepted years 1 to 9999: "
        "INVALID_ARGUMENT naming the field and the range.",
        "ticks.insert", doc(("ticks", [doc(("product", "NIFTY"), ("price", 23600.0), ("timestamp", DatetimeMS(-2 ** 63)))])),
        error_field="timestamp", index=0,
        reason="must be from 0001-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z (years 1 to 9999), got -9223372036854775808 ms since the epoch",
        later=True)
md_case("ticks_insert_time_after_year_9999", "A timestamp 1 ms after 9999-12-31T23:59:59.999Z.",
        "ticks.insert", doc(("ticks", [doc(("product", "NIFTY"), ("price", 23600.0), ("timestamp", DatetimeMS(253402300800000)))])),
        error_field="timestamp", index=0,
        reason="must be from 0001-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z (years 1 to 9999), got 253402300800000 ms since the epoch",
        later=True)
TICK_WITH_MISNUMBERED_TAGS = Pairs(*tick("NIFTY", 23600.0, "09:30:00").items(), ("tags", KeyedArray(("0", "a"), ("0", "b"))))
md_pairs_case("ticks_insert_misnumbered_array", "An array inside an item with the keys \"0\", \"0\" (valid BSON, read as two "
              "items by some and one by others): INVALID_ARGUMENT naming the array. Its .json twin cannot show the keys.",
              "ticks.insert", Pairs(("ticks", KeyedArray(("0", TICK_WITH_MISNUMBERED_TAGS)))),
              error_field="tags", index=0, reason="array keys must be \"0\", \"1\", … in order: element 1 has the key \"0\"")
md_pairs_case("ticks_insert_misnumbered_batch", "The ticks array itself with the keys \"0\", \"0\": INVALID_ARGUMENT on ticks.",
              "ticks.insert", Pairs(("ticks", KeyedArray(("0", tick("NIFTY", 23600.0, "09:30:00")), ("0", tick("NIFTY", 23600.5, "09:30:01"))))),
              error_field="ticks", reason="array keys must be \"0\", \"1\", … in order: element 1 has the key \"0\"")
md_case("ticks_insert_bad_item", "All or nothing: item 1 has price 0; INVALID_ARGUMENT with details {index, field, reason}, "
        "and the valid item 0 (the newest tick, see ticks_latest) is not stored.",
        "ticks.insert", doc(("ticks", [tick("NIFTY", 23600.0, "09:30:00", ("tick_id", "nifty-30")), tick("NIFTY", 0, "09:30:01")])),
        error_field="price", index=1, reason="must be greater than 0")
md_case("ticks_insert_item_not_document", "An item that is not a document: its field is \"(item)\".",
        "ticks.insert", doc(("ticks", [tick("NIFTY", 23600.0, "09:30:00"), 5])),
        error_field="(item)", index=1, reason="must be a document, got int32")
md_case("ticks_insert_missing", "ticks.insert without ticks: INVALID_ARGUMENT.",
        "ticks.insert", doc(), error_field="ticks", reason="required")
md_case("ticks_insert_not_array", "ticks given as a document, not an array.",
        "ticks.insert", doc(("ticks", tick("NIFTY", 23600.0, "09:30:00"))), error_field="ticks", reason="must be array, got document")
md_case("ticks_insert_empty", "An empty batch (the minimum is 1 item).",
        "ticks.insert", doc(("ticks", [])), error_field="ticks", reason="must hold 1 to 1000 items, got 0")
md_case("ticks_insert_too_many", "A batch of max_batch + 1 items (1001 by default), refused before its items are looked at.",
        "ticks.insert", doc(("ticks", [SON() for _ in range(DEFAULT_MAX_BATCH + 1)])),
        error_field="ticks", reason="must hold 1 to 1000 items, got 1001")
md_case("ticks_insert_dollar_key", "An item with a top-level key $where: refused, never an operator.",
        "ticks.insert", doc(("ticks", [tick("NIFTY", 23600.0, "09:30:00", ("$where", "1"))])),
        error_field="$where", index=0, reason="keys may not start with '$'")
md_case("ticks_insert_nested_dollar_key", "A $-key deep inside an item: the field is its path, meta.$set.",
        "ticks.insert", doc(("ticks", [tick("NIFTY", 23600.0, "09:30:00", ("meta", doc(("$set", doc(("price", 1))))))])),
        error_field="meta.$set", index=0, reason="keys may not start with '$'")
md_case("ticks_insert_dotted_key", "A key containing '.' inside an item.",
        "ticks.insert", doc(("ticks", [tick("NIFTY", 23600.0, "09:30:00", ("price.usd", 280.5))])),
        error_field="price.usd", index=0, reason="keys may not contain '.'")
md_case("ticks_insert_id_refused", "A top-level _id in an item: the store assigns its own, none is accepted.",
        "ticks.insert", doc(("ticks", [doc(("_id", 1), ("product", "NIFTY"), ("price", 23600.0), ("timestamp", at("09:30:00")))])),
        error_field="_id", index=0, reason="is assigned by the store and may not be sent")
md_case("ticks_insert_operator_product", "A product {\"$gt\": \"\"} in an item fails on its key first: field product.$gt.",
        "ticks.insert", doc(("ticks", [doc(("product", doc(("$gt", ""))), ("price", 23600.0), ("timestamp", at("09:30:00")))])),
        error_field="product.$gt", index=0, reason="keys may not start with '$'")
md_case("ticks_insert_bad_product", "A product name with a space (names are [A-Za-z0-9._-]{1,64}).",
        "ticks.insert", doc(("ticks", [tick("NIFTY 50", 23600.0, "09:30:00")])),
        error_field="product", index=0, reason="must be 1 to 64 characters of A-Z a-z 0-9 . _ -")
md_case("ticks_insert_iso_timestamp", "A timestamp given as an ISO-8601 string: only BSON datetimes are times.",
        "ticks.insert", doc(("ticks", [doc(("product", "NIFTY"), ("price", 23600.0), ("timestamp", "2025-01-30T09:30:00Z"))])),
        error_field="timestamp", index=0, reason="must be a BSON datetime, got string")
md_case("ticks_insert_infinite_price", "A price of +Infinity: prices are finite.",
        "ticks.insert", doc(("ticks", [tick("NIFTY", float("inf"), "09:30:00")])),
        error_field="price", index=0, reason="must be finite")
md_case("ticks_insert_string_price", "A price given as a string: prices are double, int32 or int64.",
        "ticks.insert", doc(("ticks", [tick("NIFTY", "23600", "09:30:00")])),
        error_field="price", index=0, reason="must be a number, got string")
md_case("ticks_insert_double_tick_id", "A tick_id of type double: a tick_id is a string or an integer.",
        "ticks.insert", doc(("ticks", [tick("NIFTY", 23600.0, "09:30:00", ("tick_id", 5.0))])),
        error_field="tick_id", index=0, reason="must be a string or an integer, got double")

# ticks.query, ticks.latest, ticks.ohlc.
md_case("ticks_query", "All of a product's ticks, newest first; equal timestamps: the last inserted first. No next: nothing more.",
        "ticks.query", doc(("product", "NIFTY")), result=page("ticks", NIFTY_TICKS_NEWEST_FIRST, product="NIFTY"))
md_case("ticks_query_limit", "limit 3: the 3 newest ticks and a next cursor (opaque, not compared).",
        "ticks.query", doc(("product", "NIFTY"), ("limit", 3)),
        result=page("ticks", NIFTY_TICKS_NEWEST_FIRST[:3], product="NIFTY", next_=EXAMPLE_CURSOR), ignore=NEXT)
md_case("ticks_query_asc_range", "order asc with an inclusive range: oldest first; equal timestamps in insertion order.",
        "ticks.query", doc(("product", "NIFTY"), ("start", at("09:15:20")), ("end", at("09:16:10")), ("order", "asc")),
        result=page("ticks", [T2, T3, T4, T5], product="NIFTY"))
md_case("ticks_query_exact_last_page", "A page holding exactly limit records that are the last ones has no next.",
        "ticks.query", doc(("product", "NIFTY"), ("start", at("09:16:10")), ("end", at("09:16:10")), ("limit", 2)),
        result=page("ticks", [T5, T4], product="NIFTY"))
md_case("ticks_query_asc_int64_limit", "An int64 limit; order asc starts from the oldest tick; more follow, so next is present.",
        "ticks.query", doc(("product", "NIFTY"), ("order", "asc"), ("limit", Int64(1))),
        result=page("ticks", [T1], product="NIFTY", next_=EXAMPLE_CURSOR), ignore=NEXT)
md_case("ticks_query_other_case", "Names are case-sensitive: nifty has no ticks; an empty page, not NOT_FOUND.",
        "ticks.query", doc(("product", "nifty")), result=page("ticks", [], product="nifty"))
md_case("ticks_query_missing_product", "ticks.query without product.",
        "ticks.query", doc(("limit", 10)), error_field="product", reason="required")
md_case("ticks_query_operator_product", "A product {\"$gt\": \"\"} is a value of the wrong type, never a filter.",
        "ticks.query", doc(("product", doc(("$gt", "")))), error_field="product", reason="must be a string, got document")
md_case("ticks_query_limit_above_max", "limit max_page + 1 (1001 by default): INVALID_ARGUMENT, not clipped.",
        "ticks.query", doc(("product", "NIFTY"), ("limit", DEFAULT_MAX_PAGE + 1)),
        error_field="limit", reason="must be between 1 and 1000, got 1001")
md_case("ticks_query_limit_zero", "limit 0 (the minimum is 1).",
        "ticks.query", doc(("product", "NIFTY"), ("limit", 0)), error_field="limit", reason="must be between 1 and 1000, got 0")
md_case("ticks_query_limit_double", "limit as a double, even integral: an integer is int32 or int64.",
        "ticks.query", doc(("product", "NIFTY"), ("limit", 10.0)), error_field="limit", reason="must be int32 or int64, got double")
md_case("ticks_query_start_after_end", "start after end: INVALID_ARGUMENT on start.",
        "ticks.query", doc(("product", "NIFTY"), ("start", at("09:16:00")), ("end", at("09:15:00"))),
        error_field="start", reason="is after end")
md_case("ticks_query_start_string", "start as an ISO-8601 string: only BSON datetimes are times.",
        "ticks.query", doc(("product", "NIFTY"), ("start", "2025-01-30T09:15:00Z")),
        error_field="start", reason="must be datetime, got string")
md_case("ticks_query_bad_order", "order other than \"desc\" or \"asc\".",
        "ticks.query", doc(("product", "NIFTY"), ("order", "newest")), error_field="order", reason="must be \"desc\" or \"asc\"")
md_case("ticks_query_bad_cursor", "A cursor the server never issued.",
        "ticks.query", doc(("product", "NIFTY"), ("cursor", "not-a-cursor")),
        error_field="cursor", reason="not a cursor issued by this server")
md_case("ticks_query_damaged_cursor", "A string of a cursor's shape and length whose code is not the server's (a forged or "
        "altered cursor).",
        "ticks.query", doc(("product", "NIFTY"), ("cursor", FORGED_CURSOR)),
        error_field="cursor", reason="cursor is damaged or was altered, or was not issued by this server")
md_case("ticks_latest", "The newest tick; the valid tick of ticks_insert_bad_item was not stored.",
        "ticks.latest", doc(("product", "NIFTY")), result=doc(("tick", T6)))
md_case("ticks_ohlc_1m", "1-minute bars, oldest first, one per window with ticks; open/close of tied ticks by insertion order; "
        "prices as doubles.",
        "ticks.ohlc", doc(("product", "NIFTY"), ("window", "1m")),
        result=doc(("product", "NIFTY"), ("window", "1m"), ("bars", [
            bar("09:15:00", 23500.5, 23510, 23495.25, 23495.25, 3),
            bar("09:16:00", 23520, 23522.75, 23520, 23522.75, 2),
            bar("09:17:00", 23505.5, 23505.5, 23505.5, 23505.5, 1),
            bar("09:20:00", 23480.5, 23480.5, 23480.5, 23480.5, 1),
        ])))
md_case("ticks_ohlc_5m_limit", "limit 1: the newest window that has ticks.",
        "ticks.ohlc", doc(("product", "NIFTY"), ("window", "5m"), ("limit", 1)),
        result=doc(("product", "NIFTY"), ("window", "5m"), ("bars", [bar("09:20:00", 23480.5, 23480.5, 23480.5, 23480.5, 1)])))
md_case("ticks_ohlc_1h_range", "Only ticks in [start, end] count; the bar keeps its epoch-aligned start (09:00), before start.",
        "ticks.ohlc", doc(("product", "NIFTY"), ("window", "1h"), ("start", at("09:15:30")), ("end", at("09:17:00"))),
        result=doc(("product", "NIFTY"), ("window", "1h"), ("bars", [bar("09:00:00", 23495.25, 23522.75, 23495.25, 23505.5, 4)])))
md_case("ticks_ohlc_no_ticks", "A product without ticks: no bars, not NOT_FOUND.",
        "ticks.ohlc", doc(("product", "SENSEX"), ("window", "15m")),
        result=doc(("product", "SENSEX"), ("window", "15m"), ("bars", [])))
md_case("ticks_ohlc_bad_window", "A window other than 1m, 5m, 15m, 1h.",
        "ticks.ohlc", doc(("product", "NIFTY"), ("window", "2m")), error_field="window", reason="must be one of 1m, 5m, 15m, 1h")
md_case("ticks_ohlc_missing_window", "ticks.ohlc without window.",
        "ticks.ohlc", doc(("product", "NIFTY")), error_field="window", reason="required")

# quotes.
md_case("quotes_insert", "A batch of 6 quotes: two snapshots of one symbol, a second expiry, and a FINNIFTY quote (its only records).",
        "quotes.insert", doc(("quotes", [Q1, Q2, Q3, Q4, Q5, Q6])), result=insert_result(6))
md_case("quotes_insert_again", "Keyed by (symbol, timestamp): Q1 re-sent (a duplicate), Q1 with another bid (a conflict: item 1, "
        "not stored), and a new quote twice in one batch (stored once, then a duplicate).",
        "quotes.insert", doc(("quotes", [Q1, Q1_OTHER_BID, Q7, Q7])), result=insert_result(1, 2, [1]))
md_case("quotes_insert_bad_option_type", "option_type in small letters (only \"CALL\" and \"PUT\").",
        "quotes.insert", doc(("quotes", [quote("NIFTY250130C23700", "NIFTY", 23700, "2025-01-30", "call", "09:18:00")])),
        error_field="option_type", index=0, reason="must be \"CALL\" or \"PUT\"")
md_case("quotes_insert_bad_expiry", "An expiry that is not a real date (2025 is not a leap year).",
        "quotes.insert", doc(("quotes", [quote("NIFTY250130C23700", "NIFTY", 23700, "2025-02-29", "CALL", "09:18:00")])),
        error_field="expiry", index=0, reason="must be a real calendar date YYYY-MM-DD")
md_case("quotes_query_symbol", "One symbol's quotes, newest first.",
        "quotes.query", doc(("symbol", "NIFTY250130C23500")), result=page("quotes", [Q7, Q4, Q1]))
md_case("quotes_query_filters", "By product with expiry, option_type and strike_min (int32, compared as a number) filters.",
        "quotes.query", doc(("product", "NIFTY"), ("expiry", "2025-01-30"), ("option_type", "CALL"), ("strike_min", 23550)),
        result=page("quotes", [Q3]))
md_case("quotes_query_asc_page", "By product, order asc, end inclusive, limit 3: quotes with one timestamp in insertion order, and next.",
        "quotes.query", doc(("product", "NIFTY"), ("end", at("09:15:00")), ("limit", 3), ("order", "asc")),
        result=page("quotes", [Q1, Q2, Q3], next_=EXAMPLE_CURSOR), ignore=NEXT)
md_case("quotes_query_no_symbol_or_product", "Neither symbol nor product: INVALID_ARGUMENT on symbol.",
        "quotes.query", doc(("expiry", "2025-01-30")), error_field="symbol", reason="symbol or product is required")
md_case("quotes_query_strike_range", "strike_min above strike_max.",
        "quotes.query", doc(("product", "NIFTY"), ("strike_min", 23600), ("strike_max", 23500.5)),
        error_field="strike_min", reason="is greater than strike_max")

# chains.
md_case("chains_insert", "A batch of 4 chains with calls/puts arrays and extra analytics; MIDCPNIFTY has only this chain.",
        "chains.insert", doc(("chains", [C1, C2, C3, C4])), result=insert_result(4))
md_case("chains_insert_again", "A chain re-sent with the product, expiry and timestamp of a stored one: a duplicate when it is the "
        "same document, a conflict (item 1, not stored) when another.",
        "chains.insert", doc(("chains", [C2, chain("NIFTY", "2025-01-30", "09:16:00", ("spot_price", 23530.0))])), result=insert_result(0, 1, [1]))
md_case("chains_insert_bad_strike", "Item 1 has a negative strike in its second call: field calls.1.strike; item 0 is not stored.",
        "chains.insert", doc(("chains", [
            chain("NIFTY", "2025-01-30", "09:45:00", ("spot_price", 23550.0)),
            chain("NIFTY", "2025-01-30", "09:46:00", ("calls", [doc(("strike", 23500)), doc(("strike", -5))])),
        ])), error_field="calls.1.strike", index=1, reason="must be greater than 0")
md_case("chains_query", "A product's chains across expiries, newest first; equal timestamps: the last inserted first.",
        "chains.query", doc(("product", "NIFTY")), result=page("chains", [C2, C3, C1], product="NIFTY"))
md_case("chains_query_projection", "One expiry, with fields: product, expiry, timestamp and the named fields, in stored order; "
        "a field the chains lack is absent.",
        "chains.query", doc(("product", "NIFTY"), ("expiry", "2025-01-30"), ("fields", ["pcr_oi", "spot_price", "max_pain_strike"])),
        result=page("chains", [projected(C2, ["pcr_oi", "spot_price"]), projected(C1, ["pcr_oi", "spot_price"])], product="NIFTY"))
md_case("chains_query_asc_limit", "order asc, limit 2: oldest first, equal timestamps in insertion order, and next.",
        "chains.query", doc(("product", "NIFTY"), ("limit", 2), ("order", "asc")),
        result=page("chains", [C1, C3], product="NIFTY", next_=EXAMPLE_CURSOR), ignore=NEXT)
md_case("chains_query_dotted_field", "fields names top-level fields, not paths: calls.strike is refused as fields.0.",
        "chains.query", doc(("product", "NIFTY"), ("fields", ["calls.strike"])),
        error_field="fields.0", reason="keys may not contain '.'")
md_case("chains_latest", "The newest chain of a product and expiry.",
        "chains.latest", doc(("product", "NIFTY"), ("expiry", "2025-01-30")), result=doc(("chain", C2)))
md_case("chains_latest_not_found", "An expiry without chains: NOT_FOUND.",
        "chains.latest", doc(("product", "NIFTY"), ("expiry", "2025-03-27")),
        error_code="NOT_FOUND", message="no chain for product 'NIFTY' expiry 2025-03-27")
md_case("chains_latest_missing_expiry", "chains.latest without expiry.",
        "chains.latest", doc(("product", "NIFTY")), error_field="expiry", reason="required")

# Catalog.
md_case("products_list", "Every product with ticks (BANKNIFTY), quotes (FINNIFTY) or chains (MIDCPNIFTY), sorted, each once.",
        "products.list", ABSENT, result=doc(("products", ["BANKNIFTY", "FINNIFTY", "MIDCPNIFTY", "NIFTY"])))
md_case("products_list_unknown_argument", "products.list takes no arguments.",
        "products.list", doc(("product", "NIFTY")),
        error_field="product", reason="unknown argument (this operation takes no arguments)")
md_case("expiries_list", "A product's expiries from its quotes (2025-02-27) and chains (2025-02-06), ascending, each once.",
        "expiries.list", doc(("product", "NIFTY")),
        result=doc(("product", "NIFTY"), ("expiries", ["2025-01-30", "2025-02-06", "2025-02-27"])))
md_case("expiries_list_ticks_only", "Ticks have no expiry: a product with ticks only has none.",
        "expiries.list", doc(("product", "BANKNIFTY")), result=doc(("product", "BANKNIFTY"), ("expiries", [])))
md_case("expiries_list_missing_product", "expiries.list without product.",
        "expiries.list", doc(), error_field="product", reason="required")


# --------------------------------------------------------------------------
# Auth and administration: the deterministic cases (successful auth replies
# carry random ids and tokens, so the end-to-end tests cover those).

md_case("auth_register_invalid_email", "auth.register with an email that has no '@'.",
        "auth.register", doc(("email", "no-at-sign"), ("password", "12345678")),
        error_field="email", reason="must contain exactly one '@'")
md_case("auth_register_short_password", "auth.register with a password under 8 bytes.",
        "auth.register", doc(("email", "ana@example.com"), ("password", "short")),
        error_field="password", reason="must be at least 8 bytes of UTF-8")
md_case("auth_login_unknown_email", "auth.login of an email nobody registered: the same UNAUTHENTICATED as a wrong password.",
        "auth.login", doc(("email", "nobody@example.com"), ("password", "whatever-long")),
        error_code="UNAUTHENTICATED", message="invalid email or password")
md_case("auth_register_email_zero_width", "auth.register with a zero-width space (U+200B, a format character) in the email: a look-alike of ana@example.com.",
        "auth.register", doc(("email", "ana\u200b@example.com"), ("password", "12345678")),
        error_field="email", reason="must not contain white space, control, format (zero-width, bidirectional) or unassigned characters (found U+200B)")
md_case("auth_register_email_bidi", "auth.register with a right-to-left override (U+202E) in the email.",
        "auth.register", doc(("email", "\u202eana@example.com"), ("password", "12345678")),
        error_field="email", reason="must not contain white space, control, format (zero-width, bidirectional) or unassigned characters (found U+202E)")
md_case("auth_register_email_unassigned", "auth.register with an unassigned code point (U+0378) in the email.",
        "auth.register", doc(("email", "an\u0378a@example.com"), ("password", "12345678")),
        error_field="email", reason="must not contain white space, control, format (zero-width, bidirectional) or unassigned characters (found U+0378)")
md_case("auth_login_with_client_unknown_email", "auth.login naming the end user (client) from a peer with group forward (the daemon's own user has it by default): an unknown email is UNAUTHENTICATED as always.",
        "auth.login", doc(("email", "nobody@example.com"), ("password", "whatever-long"), ("client", "203.0.113.5")),
        error_code="UNAUTHENTICATED", message="invalid email or password")
md_case("auth_login_client_too_long", "auth.login with a client of 65 characters (at most 64).",
        "auth.login", doc(("email", "nobody@example.com"), ("password", "whatever-long"), ("client", "c" * 65)),
        error_field="client", reason="longer than 64 characters")
md_case("auth_login_client_not_printable", "auth.login with a client holding a newline (printable ASCII only).",
        "auth.login", doc(("email", "nobody@example.com"), ("password", "whatever-long"), ("client", "203.0.113.5\n")),
        error_field="client", reason="must be printable ASCII (U+0020 to U+007E)")
md_case("auth_login_client_not_string", "auth.login with an int32 client.",
        "auth.login", doc(("email", "nobody@example.com"), ("password", "whatever-long"), ("client", 5)),
        error_field="client", reason="must be a string, got int32")
md_case("auth_verify_missing_token", "auth.verify without token.",
        "auth.verify", doc(), error_field="token", reason="required")
md_case("auth_verify_not_a_jwt", "auth.verify of a string that is not a JWT.",
        "auth.verify", doc(("token", "garbage")),
        error_code="TOKEN_INVALID", message="invalid token: not a JWT: expected three parts separated by '.'")
md_case("auth_refresh_not_a_refresh_token", "auth.refresh of a string that is not a refresh token.",
        "auth.refresh", doc(("refresh_token", "garbage")),
        error_code="TOKEN_INVALID", message="invalid token: not a refresh token (43 characters of base64url)")
md_case("auth_logout_nothing_to_revoke", "auth.logout with neither refresh_token nor token.",
        "auth.logout", doc(), error_field="refresh_token", reason="give refresh_token, token, or both")
md_case("stats_unknown_argument", "stats takes no arguments.",
        "stats", doc(("x", 1)), error_field="x", reason="unknown argument (this operation takes no arguments)")
md_case("reload_unknown_argument", "reload takes no arguments.",
        "reload", doc(("x", 1)), error_field="x", reason="unknown argument (this operation takes no arguments)")
md_case("backup_unknown_argument", "backup takes only name (SQLite store).",
        "backup", doc(("x", 1)), error_field="x", reason="unknown argument (allowed: name)", later=True)
md_case("backup_invalid_name", "a backup name holds only A-Z a-z 0-9 . _ -: it cannot leave the backup directory (SQLite store).",
        "backup", doc(("name", "../escape")), error_field="name", reason="may hold only A-Z a-z 0-9 . _ -", later=True)


# --------------------------------------------------------------------------
# Writing.


def libbson_double_text(value):
    """How libbson's canonical extended JSON writes a double: 20 significant
    digits, with ".0" added to integral values."""
    if value != value or value in (float("inf"), float("-inf")):
        return None
    text = "%.20g" % value
    return text if any(c in text for c in ".e") else text + ".0"


def check_doubles(value, where):
    """Every double must print the same in pymongo's JSON (shortest form) and in
    libbson's (20 digits), or a .json twin would disagree with its .bson as the
    daemon's tests print it: use values such as 0.5 or 0.875, never 0.1."""
    if isinstance(value, Pairs):
        for _, inner in value.pairs:
            check_doubles(inner, where)
    elif isinstance(value, dict):
        for inner in value.values():
            check_doubles(inner, where)
    elif isinstance(value, list):
        for inner in value:
            check_doubles(inner, where)
    elif isinstance(value, float):
        text = libbson_double_text(value)
        assert text is None or text == repr(value), (where, value, text)


def document_files(base, document):
    check_doubles(document, base)
    data = encode(document)
    text = canonical_json(document)
    # Self-checks: pymongo decodes what we wrote; the JSON twin is the same document.
    decoded = bson.decode(data, codec_options=DECODING)
    if not has_duplicates(document):
        son = to_son(document)
        assert encode(son) == data, base
        assert text == dumps(son, json_options=CANONICAL_JSON_OPTIONS), base
        assert bson.encode(loads(text, json_options=CANONICAL_JSON_OPTIONS), codec_options=DECODING) == data, base
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
