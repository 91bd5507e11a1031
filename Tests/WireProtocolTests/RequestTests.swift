import BSONCore
import TestSupport
import WireProtocol
import XCTest

/// `Request.parse`: every envelope rule, and `Request.document`.
final class RequestTests: XCTestCase {
    private func parse(_ document: BSONDocument, file: StaticString = #filePath, line: UInt = #line) -> Request? {
        switch Request.parse(document) {
        case .success(let request): return request
        case .failure(let rejection):
            XCTFail("rejected \(document): \(rejection.error)", file: file, line: line)
            return nil
        }
    }

    private func rejection(_ document: BSONDocument, file: StaticString = #filePath, line: UInt = #line) -> RequestRejection? {
        switch Request.parse(document) {
        case .success(let request):
            XCTFail("accepted \(document) as \(request)", file: file, line: line)
            return nil
        case .failure(let rejection):
            XCTAssertEqual(rejection.error.code, .badRequest, file: file, line: line)
            XCTAssertNil(rejection.error.details, file: file, line: line)
            return rejection
        }
    }

    // MARK: - Accepted

    func testMinimalRequestWithEachIDType() throws {
        for id: BSONValue in [.int32(7), .int32(.min), .int64(.max), .int64(7), .string("req-1"), .string("")] {
            let request = try XCTUnwrap(parse(["id": id, "op": "ping"]))
            XCTAssertEqual(request.id.bsonValue, id, "the id keeps its BSON type")
            XCTAssertEqual(request.op, "ping")
            XCTAssertEqual(request.args, BSONDocument())
            XCTAssertNil(request.deadlineMilliseconds)
        }
    }

    func testFullRequest() throws {
        let args: BSONDocument = ["product": "NIFTY", "limit": 10]
        let request = try XCTUnwrap(parse(["id": .int64(42), "op": "ticks.query", "args": .document(args), "deadline_ms": 250]))
        XCTAssertEqual(request.id, .int64(42))
        XCTAssertEqual(request.op, "ticks.query")
        XCTAssertEqual(request.args, args)
        XCTAssertEqual(request.deadlineMilliseconds, 250)
    }

    func testFieldOrderDoesNotMatter() throws {
        let request = try XCTUnwrap(parse(["deadline_ms": .int64(5), "args": ["x": 1], "op": "ping", "id": "z"]))
        XCTAssertEqual(request.id, .string("z"))
        XCTAssertEqual(request.deadlineMilliseconds, 5)
    }

    func testEmptyArgsDocumentIsAccepted() throws {
        let request = try XCTUnwrap(parse(["id": 1, "op": "ping", "args": [:]]))
        XCTAssertTrue(request.args.isEmpty)
    }

    func testArgsAreNotInspectedHere() throws {
        // `$` and dotted keys inside args are the operation's business (INVALID_ARGUMENT there).
        let args: BSONDocument = ["$where": "1", "a.b": 2]
        XCTAssertEqual(try XCTUnwrap(parse(["id": 1, "op": "x", "args": .document(args)])).args, args)
    }

    func testRequestBuilderDocumentsParse() throws {
        let request = try XCTUnwrap(parse(RequestBuilder.request(id: "r", op: "ping", args: ["delay_ms": 5], deadlineMs: 1000)))
        XCTAssertEqual(request.deadlineMilliseconds, 1000)
        XCTAssertEqual(request.args, ["delay_ms": 5])
    }

    // MARK: - id

    func testMissingIDIsRejectedWithoutID() throws {
        let rejection = try XCTUnwrap(rejection(["op": "ping"]))
        XCTAssertNil(rejection.id)
        XCTAssertEqual(rejection.error.message, "envelope has no 'id'")
    }

    func testIDOfAnotherTypeIsRejectedWithoutID() throws {
        let wrong: [BSONValue] = [.double(1), .bool(true), .null, .document(["id": 1]), .array([1]), .datetime(1),
                                  .objectID(BSONObjectID()), .symbol("s"), .decimal128(BSONDecimal128("1")!), .binary(subtype: 0, data: [1])]
        for id in wrong {
            let rejection = try XCTUnwrap(rejection(["id": id, "op": "ping"]))
            XCTAssertNil(rejection.id, "\(id)")
            XCTAssertEqual(rejection.error.message, "'id' must be an int32, int64 or string, got \(id.typeName)")
        }
    }

    func testStringIDLimitIsInUTF8Bytes() throws {
        XCTAssertEqual(RequestID.maxStringBytes, 256)
        XCTAssertNotNil(parse(["id": .string(String(repeating: "a", count: 256)), "op": "ping"]))
        XCTAssertNotNil(parse(["id": .string(String(repeating: "é", count: 128)), "op": "ping"]), "256 bytes")
        for long in [String(repeating: "a", count: 257), String(repeating: "é", count: 129)] {
            let rejection = try XCTUnwrap(rejection(["id": .string(long), "op": "ping"]))
            XCTAssertNil(rejection.id, "an id too long to echo is not echoed")
            XCTAssertEqual(rejection.error.message, "'id' string longer than 256 bytes")
        }
    }

    func testIDProblemsComeBeforeOtherProblems() throws {
        // A bad id and an unknown field: the reply cannot carry the id either way.
        let rejection = try XCTUnwrap(rejection(["id": 1.5, "op": "ping", "extra": true]))
        XCTAssertNil(rejection.id)
    }

    // MARK: - op

    func testMissingOpIsRejectedWithID() throws {
        let rejection = try XCTUnwrap(rejection(["id": 9]))
        XCTAssertEqual(rejection.id, .int32(9))
        XCTAssertEqual(rejection.error.message, "envelope has no 'op'")
    }

    func testOpOfAnotherTypeIsRejectedWithID() throws {
        for op: BSONValue in [1, .symbol("ping"), ["name": "ping"], nil, ["ping"]] {
            let rejection = try XCTUnwrap(rejection(["id": "a", "op": op]))
            XCTAssertEqual(rejection.id, .string("a"))
            XCTAssertEqual(rejection.error.message, "'op' must be a string, got \(op.typeName)")
        }
    }

    func testOpLength() throws {
        XCTAssertEqual(Request.maxOpBytes, 64)
        XCTAssertNotNil(parse(["id": 1, "op": "p"]))
        XCTAssertNotNil(parse(["id": 1, "op": .string(String(repeating: "o", count: 64))]))
        for op in ["", String(repeating: "o", count: 65), String(repeating: "é", count: 33)] {
            let rejection = try XCTUnwrap(rejection(["id": 1, "op": .string(op)]))
            XCTAssertEqual(rejection.id, .int32(1))
            XCTAssertEqual(rejection.error.message, "'op' must be 1 to 64 bytes")
        }
    }

    // MARK: - args

    func testArgsThatAreNotADocumentAreRejectedWithID() throws {
        for args: BSONValue in [[1, 2], "x", nil, 1, .javascriptWithScope(code: "", scope: [:])] {
            let rejection = try XCTUnwrap(rejection(["id": .int64(5), "op": "ping", "args": args]))
            XCTAssertEqual(rejection.id, .int64(5))
            XCTAssertEqual(rejection.error.message, "'args' must be a document, got \(args.typeName)")
        }
    }

    // MARK: - Unknown and duplicate fields

    func testUnknownFieldIsRejectedWithID() throws {
        for field in ["ID", "Op", "arg", "deadline", "$db", ""] {
            let pairs: [(String, BSONValue)] = [("id", 3), ("op", "ping"), (field, true)]
            let rejection = try XCTUnwrap(rejection(BSONDocument(pairs)))
            XCTAssertEqual(rejection.id, .int32(3))
            XCTAssertEqual(rejection.error.message, "unknown envelope field '\(field)' (allowed: id, op, args, deadline_ms)")
        }
    }

    func testDuplicateFieldIsRejected() throws {
        for field in ["op", "args", "deadline_ms"] {
            let value: BSONValue = field == "op" ? "ping" : field == "args" ? [:] : 10
            let pairs: [(String, BSONValue)] = [("id", 3), ("op", "ping"), ("args", [:]), ("deadline_ms", 10), (field, value)]
            let rejection = try XCTUnwrap(rejection(BSONDocument(pairs)))
            XCTAssertEqual(rejection.id, .int32(3))
            XCTAssertEqual(rejection.error.message, "duplicate envelope field '\(field)'")
        }
    }

    func testDuplicateIDIsRejectedWithTheFirstID() throws {
        let pairs: [(String, BSONValue)] = [("id", 1), ("op", "ping"), ("id", 2)]
        let rejection = try XCTUnwrap(rejection(BSONDocument(pairs)))
        XCTAssertEqual(rejection.id, .int32(1))
        XCTAssertEqual(rejection.error.message, "duplicate envelope field 'id'")
    }

    func testFirstProblemIsReported() throws {
        let pairs: [(String, BSONValue)] = [("id", 1), ("zzz", 1), ("op", "ping"), ("op", "ping")]
        let rejection = try XCTUnwrap(rejection(BSONDocument(pairs)))
        XCTAssertEqual(rejection.error.message, "unknown envelope field 'zzz' (allowed: id, op, args, deadline_ms)")
    }

    // MARK: - deadline_ms

    func testDeadlineTypes() throws {
        XCTAssertEqual(parse(["id": 1, "op": "p", "deadline_ms": .int32(10)])?.deadlineMilliseconds, 10)
        XCTAssertEqual(parse(["id": 1, "op": "p", "deadline_ms": .int64(10)])?.deadlineMilliseconds, 10)
        for value: BSONValue in [.double(10), "10", .datetime(10), nil, .bool(true), .decimal128(BSONDecimal128("10")!)] {
            let rejection = try XCTUnwrap(rejection(["id": 1, "op": "p", "deadline_ms": value]))
            XCTAssertEqual(rejection.id, .int32(1))
            XCTAssertEqual(rejection.error.message, "'deadline_ms' must be an int32 or int64, got \(value.typeName)")
        }
    }

    func testDeadlineRange() throws {
        XCTAssertEqual(Request.maxDeadlineMilliseconds, 3_600_000)
        XCTAssertEqual(parse(["id": 1, "op": "p", "deadline_ms": 1])?.deadlineMilliseconds, 1)
        XCTAssertEqual(parse(["id": 1, "op": "p", "deadline_ms": 3_600_000])?.deadlineMilliseconds, 3_600_000)
        for value: BSONValue in [0, -1, .int32(.min), 3_600_001, .int64(.max), .int64(.min)] {
            let rejection = try XCTUnwrap(rejection(["id": 1, "op": "p", "deadline_ms": value]))
            XCTAssertEqual(rejection.id, .int32(1))
            XCTAssertEqual(rejection.error.message, "'deadline_ms' must be between 1 and 3600000")
        }
    }

    // MARK: - document

    func testDocumentOfAMinimalRequest() {
        let request = Request(id: .int32(1), op: "ping")
        XCTAssertEqual(request.document, ["id": 1, "op": "ping"])
    }

    func testDocumentOfAFullRequest() {
        let request = Request(id: .string("q"), op: "ticks.query", args: ["product": "X"], deadlineMilliseconds: 500)
        XCTAssertEqual(request.document, ["id": "q", "op": "ticks.query", "args": ["product": "X"], "deadline_ms": .int64(500)])
        XCTAssertEqual(request.document.keys, ["id", "op", "args", "deadline_ms"])
    }

    func testDocumentRoundTrips() throws {
        let requests = [
            Request(id: .int64(-1), op: "a"),
            Request(id: .string("é"), op: "b.c", args: ["k": [1, 2]]),
            Request(id: .int32(0), op: "d", deadlineMilliseconds: 3_600_000),
        ]
        for original in requests {
            let parsed = try XCTUnwrap(parse(original.document))
            XCTAssertEqual(parsed.id, original.id)
            XCTAssertEqual(parsed.op, original.op)
            XCTAssertEqual(parsed.args, original.args)
            XCTAssertEqual(parsed.deadlineMilliseconds, original.deadlineMilliseconds)
        }
    }

    func testFieldNames() {
        XCTAssertEqual(Request.fieldNames, ["id", "op", "args", "deadline_ms"])
    }
}
