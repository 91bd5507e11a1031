#!/usr/bin/env python3
"""A MongoDB stand-in for deltastore's tests: the real wire protocol, mongomock behind it.

It exists because no mongod can be installed on the machines that build and test
deltastore. libmongoc connects to it unmodified (over a Unix socket or TCP), so
the MongoDB store is tested through its real C driver, its real handshake,
cursors, batching and error paths. It is a test stand-in, not a database: see
README.md beside this file for what it does and does not do.

Usage:
    mongo_standin.py (--unix PATH | --port N [--host 127.0.0.1]) [options]

Prints one line `mongo-standin ready unix=PATH` or `mongo-standin ready port=N`
on stdout once it accepts connections.
"""

import argparse
import base64
import datetime
import itertools
import json
import os
import pickle
import signal
import socket
import socketserver
import struct
import sys
import threading
import traceback

try:
    import bson
    from bson import Int64, ObjectId
    from bson.codec_options import CodecOptions, DatetimeConversion
    from bson.decimal128 import Decimal128
    from bson.binary import Binary
    from bson.datetime_ms import DatetimeMS, _max_datetime_ms, _min_datetime_ms
    from bson.raw_bson import RawBSONDocument
    import bson.json_util
    import mongomock
    import mongomock.filtering
    from pymongo.errors import DuplicateKeyError
except ImportError as missing:  # pragma: no cover - depends on the environment
    sys.stderr.write(
        "mongo-standin: a Python package is missing (%s).\n"
        "Install the stand-in's requirements: python3 -m venv .build/test-venv && "
        ".build/test-venv/bin/pip install -r Tests/MongoStandIn/requirements.txt "
        "(./dev test does this) and point DELTASTORE_TEST_PYTHON at that python.\n" % missing
    )
    sys.exit(3)

OP_REPLY = 1
OP_QUERY = 2004
OP_MSG = 2013

MSG_CHECKSUM_PRESENT = 1 << 0
MSG_MORE_TO_COME = 1 << 1

MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024
MAX_MESSAGE_SIZE = 48_000_000

# Datetimes outside Python's range (year 1..9999) are decoded as DatetimeMS so
# that stored documents keep them; filters get them clamped (see _clamp_dates).
CODEC = CodecOptions(tz_aware=False, datetime_conversion=DatetimeConversion.DATETIME_AUTO)

# Fields drivers add to every command that the stand-in does not act on.
GENERIC_FIELDS = {
    "$db", "lsid", "$clusterTime", "$readPreference", "txnNumber", "autocommit", "startTransaction",
    "apiVersion", "apiStrict", "apiDeprecationErrors", "comment", "maxTimeMS", "readConcern",
    "$query", "$orderby",
}


class CommandError(Exception):
    """A command failure, answered as {ok: 0, errmsg, code, codeName}."""

    def __init__(self, code, code_name, message):
        super().__init__(message)
        self.code = code
        self.code_name = code_name
        self.message = message


def not_supported(what):
    return CommandError(238, "NotImplemented", "not supported by the mongomock stand-in: %s" % what)


class StandIn:
    """The server state: mongomock's data, the stand-in's own index catalog and
    unique-key sets, open cursors. Every command runs under one lock."""

    def __init__(self, options):
        self.options = options
        self.lock = threading.RLock()
        self.client = mongomock.MongoClient()
        # (db, collection) -> {name: index spec (dict, in listIndexes form)}
        self.indexes = {}
        # (db, collection, index name) -> set of normalized keys
        self.unique_keys = {}
        # (db, collection) -> {normalized _id: the document's bytes as inserted}
        # Reads answer with these bytes, so documents come back exactly as
        # sent (field order, duplicate keys, every BSON type), as from MongoDB.
        self.raw = {}
        self.cursors = {}
        self.cursor_ids = itertools.count(1_000_001)
        self.connection_ids = itertools.count(1)
        self.command_counts = {}
        self.record = open(options.record, "a", encoding="utf-8") if options.record else None
        exit_on = options.exit_on
        if exit_on:
            name, _, count = exit_on.partition(":")
            self.exit_on = (name, int(count or "1"))
        else:
            self.exit_on = None
        if options.state and os.path.exists(options.state):
            self.load(options.state)

    # ----------------------------------------------------------------- state

    def collections(self):
        for db_name in self.client.list_database_names():
            database = self.client[db_name]
            for name in database.list_collection_names():
                yield db_name, name

    def snapshot(self):
        """Writes every database to the state file (atomically), so that a
        restarted stand-in has the data and indexes acknowledged before."""
        if not self.options.state:
            return
        state = {"collections": {}, "indexes": self.indexes, "raw": self.raw}
        for db_name, name in self.collections():
            state["collections"][(db_name, name)] = list(self.client[db_name][name].find({}))
        for key in self.indexes:
            state["collections"].setdefault(key, [])
        temporary = self.options.state + ".tmp"
        with open(temporary, "wb") as handle:
            pickle.dump(state, handle)
        os.replace(temporary, self.options.state)

    def load(self, path):
        with open(path, "rb") as handle:
            state = pickle.load(handle)
        self.indexes = state["indexes"]
        self.raw = state.get("raw", {})
        for (db_name, name), documents in state["collections"].items():
            collection = self.client[db_name][name]
            if documents:
                collection.insert_many(documents)
        for (db_name, name) in list(self.indexes):
            self.rebuild_unique_keys(db_name, name)

    # --------------------------------------------------------------- indexes

    def index_catalog(self, db_name, name):
        catalog = self.indexes.get((db_name, name))
        if catalog is None:
            catalog = {"_id_": {"v": 2, "key": {"_id": 1}, "name": "_id_"}}
            self.indexes[(db_name, name)] = catalog
        return catalog

    def unique_indexes(self, db_name, name):
        catalog = self.indexes.get((db_name, name), {})
        return [spec for spec in catalog.values() if spec.get("unique")]

    @staticmethod
    def index_key(spec, document):
        """The normalized key of `document` in a unique index, or None when the
        document is not in the index (partial filter, sparse)."""
        partial = spec.get("partialFilterExpression")
        if partial is not None and not mongomock.filtering.filter_applies(partial, document):
            return None
        values = []
        present = False
        for field in spec["key"]:
            value = lookup(document, field)
            if value is not MISSING:
                present = True
            values.append(normalize(None if value is MISSING else value))
        if spec.get("sparse") and not present:
            return None
        return tuple(values)

    def rebuild_unique_keys(self, db_name, name):
        collection = self.client[db_name][name]
        for spec in self.unique_indexes(db_name, name):
            keys = set()
            for document in collection.find({}):
                key = self.index_key(spec, document)
                if key is None:
                    continue
                if key in keys:
                    raise duplicate_key_error(db_name, name, spec, document)
                keys.add(key)
            self.unique_keys[(db_name, name, spec["name"])] = keys

    # -------------------------------------------------------------- dispatch

    def execute(self, body, raw_sequences=None):
        """Runs one command document (with the raw bytes of its kind-1
        document sequences, if any); returns the reply document."""
        if not body:
            raise CommandError(59, "CommandNotFound", "empty command")
        name = next(iter(body))
        db_name = body.get("$db", "admin")
        with self.lock:
            if self.record:
                entry = {"db": db_name, "name": name, "bson": base64.b64encode(bson.encode(body, codec_options=CODEC)).decode("ascii")}
                self.record.write(json.dumps(entry) + "\n")
                self.record.flush()
            if self.exit_on:
                count = self.command_counts.get(name, 0) + 1
                self.command_counts[name] = count
                if (name, count) == self.exit_on:
                    sys.stderr.write("mongo-standin: exiting on %s #%d (--exit-on)\n" % (name, count))
                    sys.stderr.flush()
                    os._exit(0)
            handler = COMMANDS.get(name) or COMMANDS.get(name.lower())
            if handler is None:
                raise not_supported("command '%s'" % name)
            command = {k: v for k, v in body.items() if k not in GENERIC_FIELDS}
            command["$raw"] = raw_sequences or {}
            try:
                return handler(self, db_name, command)
            except CommandError:
                raise
            except DuplicateKeyError as error:
                raise CommandError(11000, "DuplicateKey", str(error))
            except NotImplementedError as error:
                raise not_supported(str(error) or name)
            except mongomock.OperationFailure as error:
                raise CommandError(getattr(error, "code", None) or 2, "BadValue", str(error))
            except Exception as error:  # a gap or bug of the stand-in: an error reply, not a dropped connection
                traceback.print_exc()
                raise CommandError(1, "InternalError", "mongomock stand-in failed on %s: %r" % (name, error))

    def hello(self):
        reply = {
            "helloOk": True,
            "isWritablePrimary": True,
            "ismaster": True,
            "maxBsonObjectSize": MAX_BSON_OBJECT_SIZE,
            "maxMessageSizeBytes": MAX_MESSAGE_SIZE,
            "maxWriteBatchSize": self.options.max_write_batch,
            "localTime": datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None),
            "logicalSessionTimeoutMinutes": 30,
            "connectionId": next(self.connection_ids),
            "minWireVersion": 0,
            "maxWireVersion": 17,
            "readOnly": False,
            "ok": 1.0,
        }
        # No topologyVersion: libmongoc then keeps polling monitoring (hello
        # over OP_QUERY every heartbeat) instead of streaming with moreToCome.
        return reply

    # --------------------------------------------------------------- cursors

    def open_cursor(self, ns, documents, batch_size, single_batch, key="firstBatch"):
        if batch_size is None:
            batch_size = 101
        first = documents[:batch_size]
        rest = documents[batch_size:]
        cursor_id = 0
        if rest and not single_batch:
            cursor_id = next(self.cursor_ids)
            self.cursors[cursor_id] = {"ns": ns, "documents": rest}
        return {"cursor": {key: first, "id": Int64(cursor_id), "ns": ns}, "ok": 1.0}


MISSING = object()


def lookup(document, path):
    value = document
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return MISSING
    return value


def normalize(value):
    """A hashable form of a BSON value in which values MongoDB's indexes treat
    as equal are equal (numbers across types) and others are not (true vs 1)."""
    if value is None:
        return ("null",)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        return ("number", value)
    if isinstance(value, Decimal128):
        return ("number", value.to_decimal())
    if isinstance(value, str):
        return ("string", value)
    if isinstance(value, dict):
        return ("document", tuple((k, normalize(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("array", tuple(normalize(v) for v in value))
    if isinstance(value, (datetime.datetime, DatetimeMS)):
        return ("date", value if isinstance(value, datetime.datetime) else int(value))
    if isinstance(value, ObjectId):
        return ("objectId", value.binary)
    if isinstance(value, bytes):
        return ("binary", 0, value)
    if isinstance(value, Binary):
        return ("binary", value.subtype, bytes(value))
    return ("other", bson.encode({"v": value}))


def duplicate_key_error(db_name, name, spec, document):
    key = {field: lookup(document, field) for field in spec["key"]}
    key = {k: (None if v is MISSING else v) for k, v in key.items()}
    return CommandError(
        11000, "DuplicateKey",
        "E11000 duplicate key error collection: %s.%s index: %s dup key: %s"
        % (db_name, name, spec["name"], bson.json_util.dumps(key)),
    )


# Comparisons whose bound lies beyond every datetime Python (and so mongomock)
# can hold: below year 1 for an upper bound, above year 9999 for a lower one,
# or an equality with either. No stored datetime can satisfy them.
_UNSATISFIABLE_BELOW = ("$lt", "$lte", "$eq")
_UNSATISFIABLE_ABOVE = ("$gt", "$gte", "$eq")
NOTHING = {"$in": []}


def clamp_dates(value):
    """Filters may hold datetimes beyond Python's range (e.g. a query bound of
    the earliest BSON datetime, -2^63 ms). A bound on the side where it keeps
    every datetime is clamped to the range's end; one on the side where it
    keeps none makes its condition match nothing. (Clamping it instead would
    match records at the range's end: `$gte` 10000-01-01 is not `$gte`
    9999-12-31T23:59:59.999.) Stored datetimes are compared exactly by a real
    MongoDB; documents holding datetimes outside years 1 to 9999 are a known
    gap of the stand-in (README)."""
    if isinstance(value, DatetimeMS):
        return value.as_datetime(CodecOptions(datetime_conversion=DatetimeConversion.DATETIME_CLAMP))
    if isinstance(value, dict):
        for operator, bound in value.items():
            if isinstance(bound, DatetimeMS):
                milliseconds = int(bound)
                if (milliseconds < _min_datetime_ms() and operator in _UNSATISFIABLE_BELOW) or \
                        (milliseconds > _max_datetime_ms() and operator in _UNSATISFIABLE_ABOVE):
                    return NOTHING
        return {k: clamp_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clamp_dates(v) for v in value]
    return value


def collection_name(command, name):
    value = command.get(name)
    if not isinstance(value, str) or not value:
        raise CommandError(73, "InvalidNamespace", "%s needs a collection name" % name)
    return value


def check_write_concern(command):
    concern = command.get("writeConcern")
    if not concern:
        return
    w = concern.get("w", 1)
    if isinstance(w, str):
        if w != "majority":
            raise CommandError(79, "UnknownReplWriteConcern", "No write concern mode named '%s' found" % w)
    elif isinstance(w, (int, float)) and w > 1:
        # As a standalone mongod answers.
        raise CommandError(2, "BadValue", "cannot use 'w' > 1 on a standalone mongod")


# ------------------------------------------------------------ raw documents

FIXED_SIZES = {0x01: 8, 0x06: 0, 0x07: 12, 0x08: 1, 0x09: 8, 0x0A: 0, 0x10: 4, 0x11: 8, 0x12: 8, 0x13: 16, 0xFF: 0, 0x7F: 0}


def raw_elements(raw):
    """(key, element bytes) for each top-level element of a BSON document."""
    out = []
    offset = 4
    end = len(raw) - 1
    while offset < end:
        start = offset
        kind = raw[offset]
        key_end = raw.index(b"\x00", offset + 1)
        key = raw[offset + 1:key_end].decode("utf-8")
        offset = key_end + 1
        if kind in FIXED_SIZES:
            offset += FIXED_SIZES[kind]
        elif kind in (0x02, 0x0D, 0x0E):
            offset += 4 + struct.unpack_from("<i", raw, offset)[0]
        elif kind in (0x03, 0x04, 0x0F):
            offset += struct.unpack_from("<i", raw, offset)[0]
        elif kind == 0x05:
            offset += 5 + struct.unpack_from("<i", raw, offset)[0]
        elif kind == 0x0B:
            offset = raw.index(b"\x00", raw.index(b"\x00", offset) + 1) + 1
        elif kind == 0x0C:
            offset += 4 + struct.unpack_from("<i", raw, offset)[0] + 12
        else:
            raise ValueError("unknown BSON type 0x%02x" % kind)
        out.append((key, raw[start:offset]))
    return out


def raw_document(elements):
    body = b"".join(elements)
    return struct.pack("<i", len(body) + 5) + body + b"\x00"


def raw_with_id_first(raw, id_value):
    """As MongoDB stores a document: `_id` first (added when missing)."""
    elements = raw_elements(raw)
    ids = [element for key, element in elements if key == "_id"]
    rest = [element for key, element in elements if key != "_id"]
    if not ids:
        ids = [raw_elements(bson.encode({"_id": id_value}))[0][1]]
    return raw_document(ids[:1] + rest)


def simple_projection(projection):
    """A projection the stand-in applies to stored bytes itself: top-level
    field names with 0/1 only. Returns (include?, fields, keep _id) or None."""
    if not projection:
        return (False, set(), True)
    fields = {k: v for k, v in projection.items() if k != "_id"}
    if any("." in k or k.startswith("$") for k in fields):
        return None
    if any(isinstance(v, (dict, list, str)) or v not in (0, 1, True, False) for v in projection.values()):
        return None
    values = set(bool(v) for v in fields.values())
    if len(values) > 1:
        return None
    include = values == {True}
    keep_id = bool(projection.get("_id", True))
    return (include, set(fields), keep_id)


def project_raw(raw_store, document, projection):
    """The stored bytes of `document`, projected (stored order kept, as
    MongoDB returns fields); the decoded document when no bytes are kept."""
    raw = raw_store.get(normalize(document.get("_id")))
    if raw is None:
        return document
    include, fields, keep_id = projection
    kept = []
    for key, element in raw_elements(raw):
        if key == "_id":
            keep = keep_id
        elif include:
            keep = key in fields
        else:
            keep = key not in fields
        if keep:
            kept.append(element)
    return RawBSONDocument(raw_document(kept))


# ------------------------------------------------------------------- commands

def cmd_hello(server, db_name, command):
    return server.hello()


def cmd_ping(server, db_name, command):
    return {"ok": 1.0}


def cmd_build_info(server, db_name, command):
    return {
        "version": "6.0.0-mongomock-standin",
        "versionArray": [6, 0, 0, 0],
        "gitVersion": "standin",
        "maxBsonObjectSize": MAX_BSON_OBJECT_SIZE,
        "bits": 64,
        "ok": 1.0,
    }


def cmd_end_sessions(server, db_name, command):
    return {"ok": 1.0}


def cmd_insert(server, db_name, command):
    name = collection_name(command, "insert")
    documents = command.get("documents") or []
    ordered = command.get("ordered", True)
    check_write_concern(command)
    collection = server.client[db_name][name]
    server.index_catalog(db_name, name)
    uniques = server.unique_indexes(db_name, name)
    raw_documents = command["$raw"].get("documents")
    raw_store = server.raw.setdefault((db_name, name), {})
    inserted = 0
    write_errors = []
    for index, document in enumerate(documents):
        raw = raw_documents[index] if raw_documents else bson.encode(document, codec_options=CODEC)
        if "_id" not in document:
            document = dict([("_id", ObjectId())] + list(document.items()))
        raw = raw_with_id_first(raw, document["_id"])
        try:
            keys = []
            for spec in uniques:
                key = server.index_key(spec, document)
                if key is None:
                    continue
                existing = server.unique_keys.setdefault((db_name, name, spec["name"]), set())
                if key in existing:
                    raise duplicate_key_error(db_name, name, spec, document)
                keys.append((spec, key))
            collection.insert_one(document)
            raw_store[normalize(document["_id"])] = raw
            for spec, key in keys:
                server.unique_keys[(db_name, name, spec["name"])].add(key)
            inserted += 1
        except DuplicateKeyError as error:
            write_errors.append({"index": index, "code": 11000, "codeName": "DuplicateKey", "errmsg": str(error)})
            if ordered:
                break
        except CommandError as error:
            write_errors.append({"index": index, "code": error.code, "codeName": error.code_name, "errmsg": error.message})
            if ordered:
                break
    if inserted:
        server.snapshot()
    reply = {"n": inserted, "ok": 1.0}
    if write_errors:
        reply["writeErrors"] = write_errors
    return reply


def sort_spec(sort):
    if not sort:
        return None
    spec = []
    for field, direction in sort.items():
        if isinstance(direction, dict) or direction not in (1, -1):
            raise not_supported("sort %s: %r" % (field, direction))
        spec.append((field, int(direction)))
    return spec


def cmd_find(server, db_name, command):
    name = collection_name(command, "find")
    for option in ("hint", "collation", "min", "max", "tailable", "awaitData", "allowPartialResults", "let"):
        if option in command:
            raise not_supported("find option '%s'" % option)
    filter_ = clamp_dates(command.get("filter") or {})
    projection = command.get("projection") or None
    raw_store = server.raw.get((db_name, name), {})
    byte_projection = simple_projection(projection)
    use_raw = byte_projection is not None
    cursor = server.client[db_name][name].find(filter_, None if use_raw else projection)
    sort = sort_spec(command.get("sort"))
    if sort:
        cursor = cursor.sort(sort)
    skip = int(command.get("skip") or 0)
    if skip:
        cursor = cursor.skip(skip)
    limit = int(command.get("limit") or 0)
    single_batch = bool(command.get("singleBatch"))
    if limit < 0:
        limit, single_batch = -limit, True
    if limit:
        cursor = cursor.limit(limit)
    documents = list(cursor)
    if use_raw:
        documents = [project_raw(raw_store, document, byte_projection) for document in documents]
    batch_size = command.get("batchSize")
    if batch_size is not None:
        batch_size = int(batch_size)
    if limit and (batch_size is None or batch_size >= limit):
        batch_size = limit
    return server.open_cursor("%s.%s" % (db_name, name), documents, batch_size, single_batch)


def cmd_get_more(server, db_name, command):
    cursor_id = int(command.get("getMore") or 0)
    state = server.cursors.get(cursor_id)
    if state is None:
        raise CommandError(43, "CursorNotFound", "cursor id %d not found" % cursor_id)
    batch_size = command.get("batchSize")
    batch_size = int(batch_size) if batch_size else len(state["documents"])
    batch = state["documents"][:batch_size]
    state["documents"] = state["documents"][batch_size:]
    if not state["documents"]:
        del server.cursors[cursor_id]
        cursor_id = 0
    return {"cursor": {"nextBatch": batch, "id": Int64(cursor_id), "ns": state["ns"]}, "ok": 1.0}


def cmd_kill_cursors(server, db_name, command):
    killed, not_found = [], []
    for cursor_id in command.get("cursors") or []:
        if server.cursors.pop(int(cursor_id), None) is None:
            not_found.append(Int64(cursor_id))
        else:
            killed.append(Int64(cursor_id))
    # As MongoDB answers: unknown ids are listed, not an error.
    return {"cursorsKilled": killed, "cursorsNotFound": not_found, "cursorsAlive": [], "cursorsUnknown": [], "ok": 1.0}


SUPPORTED_INDEX_OPTIONS = {"key", "name", "unique", "partialFilterExpression", "sparse", "background", "v"}


def cmd_create_indexes(server, db_name, command):
    name = collection_name(command, "createIndexes")
    check_write_concern(command)
    indexes = command.get("indexes")
    if not isinstance(indexes, list) or not indexes:
        raise CommandError(2, "BadValue", "createIndexes needs a non-empty 'indexes' array")
    existed = (db_name, name) in server.indexes or name in server.client[db_name].list_collection_names()
    catalog = server.index_catalog(db_name, name)
    before = len(catalog)
    created = False
    for spec in indexes:
        unknown = set(spec) - SUPPORTED_INDEX_OPTIONS
        if unknown:
            raise not_supported("index options %s" % sorted(unknown))
        key = spec.get("key")
        index_name = spec.get("name")
        if not isinstance(key, dict) or not key or not isinstance(index_name, str) or not index_name:
            raise CommandError(9, "FailedToParse", "an index needs a 'key' document and a 'name'")
        for field, direction in key.items():
            if isinstance(direction, str) or direction not in (1, -1):
                raise not_supported("index key type %s: %r" % (field, direction))
        wanted = {"v": 2, "key": dict(key), "name": index_name}
        if spec.get("unique"):
            wanted["unique"] = True
        if spec.get("sparse"):
            wanted["sparse"] = True
        if "partialFilterExpression" in spec:
            wanted["partialFilterExpression"] = spec["partialFilterExpression"]
        same_name = catalog.get(index_name)
        if same_name is not None:
            if list(same_name["key"].items()) != list(wanted["key"].items()):
                raise CommandError(86, "IndexKeySpecsConflict", "An existing index has the same name as the requested index but different key: %s" % index_name)
            if same_name != wanted:
                raise CommandError(85, "IndexOptionsConflict", "An existing index has the same name as the requested index but different options: %s" % index_name)
            continue
        for other in catalog.values():
            if list(other["key"].items()) == list(wanted["key"].items()) and other.get("partialFilterExpression") == wanted.get("partialFilterExpression"):
                raise CommandError(85, "IndexOptionsConflict", "Index already exists with a different name: %s" % other["name"])
        catalog[index_name] = wanted
        if wanted.get("unique"):
            try:
                server.rebuild_unique_keys(db_name, name)
            except CommandError:
                del catalog[index_name]
                raise
        created = True
    if created:
        server.snapshot()
    reply = {"numIndexesBefore": before, "numIndexesAfter": len(catalog), "createdCollectionAutomatically": not existed, "ok": 1.0}
    if not created:
        reply["note"] = "all indexes already exist"
    return reply


def cmd_list_indexes(server, db_name, command):
    name = collection_name(command, "listIndexes")
    catalog = server.indexes.get((db_name, name))
    if catalog is None:
        if name in server.client[db_name].list_collection_names():
            catalog = server.index_catalog(db_name, name)
        else:
            raise CommandError(26, "NamespaceNotFound", "ns does not exist: %s.%s" % (db_name, name))
    batch_size = (command.get("cursor") or {}).get("batchSize")
    return server.open_cursor("%s.$cmd.listIndexes.%s" % (db_name, name), [dict(spec) for spec in catalog.values()], batch_size, False)


def cmd_drop_indexes(server, db_name, command):
    """dropIndexes of one index by name (the form deltastore uses)."""
    name = collection_name(command, "dropIndexes")
    check_write_concern(command)
    index_name = command.get("index")
    if not isinstance(index_name, str):
        raise not_supported("dropIndexes of %r (only one index, by name)" % (index_name,))
    catalog = server.indexes.get((db_name, name))
    if catalog is None:
        raise CommandError(26, "NamespaceNotFound", "ns not found %s.%s" % (db_name, name))
    if index_name == "_id_":
        raise CommandError(72, "InvalidOptions", "cannot drop _id index")
    if index_name not in catalog:
        raise CommandError(27, "IndexNotFound", "index not found with name [%s]" % index_name)
    before = len(catalog)
    del catalog[index_name]
    server.unique_keys.pop((db_name, name, index_name), None)
    server.snapshot()
    return {"nIndexesWas": before, "ok": 1.0}


def cmd_list_collections(server, db_name, command):
    names = sorted(set(server.client[db_name].list_collection_names()) | {n for (d, n) in server.indexes if d == db_name})
    filter_ = command.get("filter") or {}
    documents = [{"name": n, "type": "collection", "options": {}, "info": {"readOnly": False}} for n in names]
    documents = [d for d in documents if mongomock.filtering.filter_applies(filter_, d)]
    if command.get("nameOnly"):
        documents = [{"name": d["name"], "type": d["type"]} for d in documents]
    batch_size = (command.get("cursor") or {}).get("batchSize")
    return server.open_cursor("%s.$cmd.listCollections" % db_name, documents, batch_size, False)


def cmd_distinct(server, db_name, command):
    name = collection_name(command, "distinct")
    key = command.get("key")
    if not isinstance(key, str) or not key:
        raise CommandError(2, "BadValue", "distinct needs a 'key' string")
    query = clamp_dates(command.get("query") or {})
    values = server.client[db_name][name].distinct(key, query)
    return {"values": list(values), "ok": 1.0}


def cmd_aggregate(server, db_name, command):
    name = command.get("aggregate")
    if not isinstance(name, str):
        raise not_supported("aggregate on a database")
    pipeline = clamp_dates(command.get("pipeline") or [])
    for stage in pipeline:
        if any(op in ("$out", "$merge") for op in stage):
            raise not_supported("aggregate stage %s" % list(stage))
    documents = list(server.client[db_name][name].aggregate(pipeline))
    batch_size = (command.get("cursor") or {}).get("batchSize")
    return server.open_cursor("%s.%s" % (db_name, name), documents, batch_size, False)


def cmd_count(server, db_name, command):
    name = collection_name(command, "count")
    query = clamp_dates(command.get("query") or {})
    return {"n": server.client[db_name][name].count_documents(query), "ok": 1.0}


def cmd_drop(server, db_name, command):
    name = collection_name(command, "drop")
    exists = (db_name, name) in server.indexes or name in server.client[db_name].list_collection_names()
    if not exists:
        raise CommandError(26, "NamespaceNotFound", "ns not found")
    server.client[db_name].drop_collection(name)
    server.indexes.pop((db_name, name), None)
    server.raw.pop((db_name, name), None)
    for key in [k for k in server.unique_keys if k[:2] == (db_name, name)]:
        del server.unique_keys[key]
    server.snapshot()
    return {"nIndexesWas": 1, "ns": "%s.%s" % (db_name, name), "ok": 1.0}


def cmd_drop_database(server, db_name, command):
    server.client.drop_database(db_name)
    for key in [k for k in server.indexes if k[0] == db_name]:
        del server.indexes[key]
    for key in [k for k in server.raw if k[0] == db_name]:
        del server.raw[key]
    for key in [k for k in server.unique_keys if k[0] == db_name]:
        del server.unique_keys[key]
    server.snapshot()
    return {"dropped": db_name, "ok": 1.0}


UNSUPPORTED_WRITE_OPTIONS = ("upsert", "arrayFilters", "collation", "hint", "c")


def stored_raw(document):
    """The bytes a document written by `update` is kept as (`_id` first)."""
    return raw_with_id_first(bson.encode(document, codec_options=CODEC), document["_id"])


def cmd_update(server, db_name, command):
    """`update` with update-operator documents (`$set`, `$unset`, … as
    mongomock applies them), `multi`, and the unique indexes the stand-in
    enforces: a statement whose result would duplicate a unique key is undone
    and answered with a write error 11000, as MongoDB does. Replacement
    documents, pipelines and upserts are not supported (238)."""
    name = collection_name(command, "update")
    check_write_concern(command)
    statements = command.get("updates") or []
    ordered = command.get("ordered", True)
    collection = server.client[db_name][name]
    server.index_catalog(db_name, name)
    uniques = server.unique_indexes(db_name, name)
    raw_store = server.raw.setdefault((db_name, name), {})
    matched = modified = 0
    write_errors = []
    for index, statement in enumerate(statements):
        for option in UNSUPPORTED_WRITE_OPTIONS:
            if statement.get(option):
                raise not_supported("update option '%s'" % option)
        update = statement.get("u")
        if not isinstance(update, dict) or not update or not all(k.startswith("$") for k in update):
            raise not_supported("update with a replacement document or a pipeline")
        filter_ = clamp_dates(statement.get("q") or {})
        targets = list(collection.find(filter_, {"_id": 1}))
        if not statement.get("multi"):
            targets = targets[:1]
        try:
            for target in targets:
                old = collection.find_one({"_id": target["_id"]})
                collection.update_one({"_id": target["_id"]}, update)
                new = collection.find_one({"_id": target["_id"]})
                changes = []
                for spec in uniques:
                    old_key = server.index_key(spec, old)
                    new_key = server.index_key(spec, new)
                    if old_key == new_key:
                        continue
                    existing = server.unique_keys.setdefault((db_name, name, spec["name"]), set())
                    if new_key is not None and new_key in existing:
                        collection.replace_one({"_id": target["_id"]}, old)
                        raise duplicate_key_error(db_name, name, spec, new)
                    changes.append((existing, old_key, new_key))
                for existing, old_key, new_key in changes:
                    existing.discard(old_key)
                    if new_key is not None:
                        existing.add(new_key)
                matched += 1
                if new != old:
                    modified += 1
                    raw_store[normalize(new["_id"])] = stored_raw(new)
        except CommandError as error:
            write_errors.append({"index": index, "code": error.code, "codeName": error.code_name, "errmsg": error.message})
            if ordered:
                break
    if modified:
        server.snapshot()
    reply = {"n": matched, "nModified": modified, "ok": 1.0}
    if write_errors:
        reply["writeErrors"] = write_errors
    return reply


def cmd_delete(server, db_name, command):
    """`delete`: each statement removes every match (`limit: 0`) or the first
    (`limit: 1`); the unique-key sets and stored bytes follow."""
    name = collection_name(command, "delete")
    check_write_concern(command)
    statements = command.get("deletes") or []
    collection = server.client[db_name][name]
    uniques = server.unique_indexes(db_name, name)
    raw_store = server.raw.get((db_name, name), {})
    deleted = 0
    for statement in statements:
        for option in ("collation", "hint"):
            if statement.get(option):
                raise not_supported("delete option '%s'" % option)
        filter_ = clamp_dates(statement.get("q") or {})
        targets = list(collection.find(filter_))
        if int(statement.get("limit") or 0) == 1:
            targets = targets[:1]
        for document in targets:
            collection.delete_one({"_id": document["_id"]})
            raw_store.pop(normalize(document["_id"]), None)
            for spec in uniques:
                key = server.index_key(spec, document)
                if key is not None:
                    server.unique_keys.get((db_name, name, spec["name"]), set()).discard(key)
            deleted += 1
    if deleted:
        server.snapshot()
    return {"n": deleted, "ok": 1.0}


def cmd_list_databases(server, db_name, command):
    names = sorted(set(server.client.list_database_names()) | {d for (d, _) in server.indexes})
    return {"databases": [{"name": n, "sizeOnDisk": 0, "empty": False} for n in names], "totalSize": 0, "ok": 1.0}


def cmd_db_stats(server, db_name, command):
    """`dbStats`: counts, and sizes as the bytes of the stored documents (the
    stand-in has no storage engine: `storageSize` is `dataSize`, no indexes)."""
    names = [name for (db, name) in server.collections() if db == db_name]
    objects = sum(server.client[db_name][name].count_documents({}) for name in names)
    data = sum(len(raw) for (db, _), documents in server.raw.items() if db == db_name for raw in documents.values())
    return {"db": db_name, "collections": len(names), "objects": objects, "dataSize": float(data),
            "storageSize": float(data), "indexes": 0, "indexSize": 0.0, "totalSize": float(data), "ok": 1.0}


def cmd_get_last_error(server, db_name, command):
    return {"err": None, "n": 0, "ok": 1.0}


COMMANDS = {
    "hello": cmd_hello,
    "isMaster": cmd_hello,
    "ismaster": cmd_hello,
    "ping": cmd_ping,
    "buildInfo": cmd_build_info,
    "buildinfo": cmd_build_info,
    "endSessions": cmd_end_sessions,
    "insert": cmd_insert,
    "update": cmd_update,
    "delete": cmd_delete,
    "find": cmd_find,
    "getMore": cmd_get_more,
    "killCursors": cmd_kill_cursors,
    "createIndexes": cmd_create_indexes,
    "listIndexes": cmd_list_indexes,
    "dropIndexes": cmd_drop_indexes,
    "listCollections": cmd_list_collections,
    "distinct": cmd_distinct,
    "aggregate": cmd_aggregate,
    "count": cmd_count,
    "drop": cmd_drop,
    "dropDatabase": cmd_drop_database,
    "listDatabases": cmd_list_databases,
    "getLastError": cmd_get_last_error,
    "dbStats": cmd_db_stats,
    "dbstats": cmd_db_stats,
}


# --------------------------------------------------------------- wire protocol

def read_cstring(data, offset):
    end = data.index(b"\x00", offset)
    return data[offset:end].decode("utf-8"), end + 1


def error_reply(error):
    return {"ok": 0.0, "errmsg": error.message, "code": error.code, "codeName": error.code_name}


def parse_op_msg(body):
    """OP_MSG: flagBits, then sections (kind 0: the body; kind 1: a sequence of
    documents under an identifier, merged into the body as an array)."""
    (flags,) = struct.unpack_from("<I", body, 0)
    end = len(body) - (4 if flags & MSG_CHECKSUM_PRESENT else 0)
    offset = 4
    command = None
    sequences = []
    raw_sequences = {}
    while offset < end:
        kind = body[offset]
        offset += 1
        if kind == 0:
            (size,) = struct.unpack_from("<i", body, offset)
            command = bson.decode(body[offset:offset + size], CODEC)
            offset += size
        elif kind == 1:
            (size,) = struct.unpack_from("<i", body, offset)
            section_end = offset + size
            identifier, cursor = read_cstring(body, offset + 4)
            raws = []
            while cursor < section_end:
                (length,) = struct.unpack_from("<i", body, cursor)
                raws.append(bytes(body[cursor:cursor + length]))
                cursor += length
            sequences.append((identifier, [bson.decode(raw, CODEC) for raw in raws]))
            raw_sequences[identifier] = raws
            offset = section_end
        else:
            raise ValueError("unknown OP_MSG section kind %d" % kind)
    if command is None:
        raise ValueError("OP_MSG without a body section")
    for identifier, documents in sequences:
        command[identifier] = documents
    return flags, command, raw_sequences


class Connection(socketserver.BaseRequestHandler):
    def setup(self):
        self.request_ids = itertools.count(1)

    def handle(self):
        server = self.server.standin
        while True:
            header = self.read_exactly(16)
            if header is None:
                return
            length, request_id, _, opcode = struct.unpack("<iiii", header)
            if length < 16 or length > MAX_MESSAGE_SIZE:
                return
            body = self.read_exactly(length - 16)
            if body is None:
                return
            try:
                if opcode == OP_MSG:
                    flags, command, raw_sequences = parse_op_msg(body)
                    try:
                        reply = server.execute(command, raw_sequences)
                    except CommandError as error:
                        reply = error_reply(error)
                    if flags & MSG_MORE_TO_COME:
                        continue
                    self.send_msg(request_id, reply)
                elif opcode == OP_QUERY:
                    self.send_reply(request_id, self.legacy_query(server, body))
                else:
                    # OP_COMPRESSED is never negotiated; anything else is unknown.
                    sys.stderr.write("mongo-standin: closing a connection that sent opcode %d\n" % opcode)
                    return
            except Exception:  # a bug in the stand-in: say so, drop the connection
                traceback.print_exc()
                return

    def legacy_query(self, server, body):
        """OP_QUERY: only the handshake and monitoring hello on admin.$cmd."""
        offset = 4
        namespace, offset = read_cstring(body, offset)
        offset += 8  # numberToSkip, numberToReturn
        (size,) = struct.unpack_from("<i", body, offset)
        query = bson.decode(body[offset:offset + size], CODEC)
        if "$query" in query:
            query = query["$query"]
        name = next(iter(query), "")
        if namespace.endswith(".$cmd") and name in ("isMaster", "ismaster", "hello"):
            return server.hello()
        return error_reply(CommandError(352, "UnsupportedOpQueryCommand", "Unsupported OP_QUERY command: %s" % name))

    def read_exactly(self, count):
        chunks = []
        while count:
            try:
                chunk = self.request.recv(count)
            except OSError:
                return None
            if not chunk:
                return None
            chunks.append(chunk)
            count -= len(chunk)
        return b"".join(chunks)

    def send_msg(self, response_to, document):
        payload = struct.pack("<I", 0) + b"\x00" + bson.encode(document, codec_options=CODEC)
        self.send(OP_MSG, response_to, payload)

    def send_reply(self, response_to, document):
        payload = struct.pack("<iqii", 0, 0, 0, 1) + bson.encode(document, codec_options=CODEC)
        self.send(OP_REPLY, response_to, payload)

    def send(self, opcode, response_to, payload):
        header = struct.pack("<iiii", 16 + len(payload), next(self.request_ids), response_to, opcode)
        try:
            self.request.sendall(header + payload)
        except OSError:
            pass


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class TCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    parser = argparse.ArgumentParser(description="A MongoDB wire-protocol stand-in backed by mongomock (tests only).")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--unix", help="listen on this Unix socket path (an existing file there is replaced)")
    where.add_argument("--port", type=int, help="listen on this TCP port (0: a free one)")
    parser.add_argument("--host", default="127.0.0.1", help="TCP address (default 127.0.0.1)")
    parser.add_argument("--state", help="keep the data and indexes in this file: written after every write, read at start")
    parser.add_argument("--record", help="append every command received, one JSON line each: {db, name, bson: base64}")
    parser.add_argument("--max-write-batch", type=int, default=100_000, help="maxWriteBatchSize to advertise")
    parser.add_argument("--exit-on", help="COMMAND[:N]: exit at once, without answering, on the Nth such command")
    parser.add_argument("--exit-with-parent", action="store_true", help="exit when the process that started this one ends")
    options = parser.parse_args()

    if options.exit_with_parent:
        parent = os.getppid()

        def watch_parent():
            while True:
                if os.getppid() != parent:
                    os._exit(0)
                threading.Event().wait(0.5)

        threading.Thread(target=watch_parent, daemon=True).start()

    standin = StandIn(options)
    if options.unix:
        try:
            os.unlink(options.unix)
        except FileNotFoundError:
            pass
        server = UnixServer(options.unix, Connection)
        ready = "unix=%s" % options.unix
    else:
        server = TCPServer((options.host, options.port), Connection)
        ready = "port=%d" % server.server_address[1]
    server.standin = standin

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("mongo-standin ready %s" % ready, flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
        if options.unix:
            try:
                os.unlink(options.unix)
            except OSError:
                pass


if __name__ == "__main__":
    main()
