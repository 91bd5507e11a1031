import BSONCore
import WireProtocol
import NIOCore
import XCTest

/// `Reply`: the envelope the server writes and clients read.
final class ReplyTests: XCTestCase {
    // MARK: - document

    func testSuccessDocument() {
        let reply = Reply.success(id: .int32(7), result: ["pong": true])
        XCTAssertEqual(reply.document, ["id": 7, "ok": true, "result": ["pong": true]])
        XCTAssertEqual(reply.document.keys, ["id", "ok", "result"])
    }

    func testSuccessKeepsTheIDType() {
        XCTAssertEqual(Reply.success(id: .int64(7), result: [:]).document["id"], .int64(7))
        XCTAssertEqual(Reply.success(id: .string("7"), result: [:]).document["id"], .string("7"))
    }

    func testSuccessWithAnEmptyResult() {
        XCTAssertEqual(Reply.success(id: .int32(1), result: BSONDocument()).document["result"], .document(BSONDocument()))
    }

    func testFailureDocument() {
        let reply = Reply.failure(id: .string("a"), error: WireError(.notFound, "no such op"))
        XCTAssertEqual(reply.document, ["id": "a", "ok": false, "error": ["code": "NOT_FOUND", "message": "no such op"]])
        XCTAssertEqual(reply.document.keys, ["id", "ok", "error"])
    }

    func testFailureDocumentWithDetails() {
        let reply = Reply.failure(id: .int32(2), error: .invalidArgument(field: "limit", reason: "must be at least 1"))
        let error = reply.document["error"]?.documentValue
        XCTAssertEqual(error?.keys, ["code", "message", "details"])
        XCTAssertEqual(error, ["code": "INVALID_ARGUMENT", "message": "limit: must be at least 1",
                               "details": ["field": "limit", "reason": "must be at least 1"]])
    }

    func testFailureWithoutID() {
        let reply = Reply.failure(id: nil, error: WireError(.badFrame, "frame length 3 is below the minimum of 5 bytes"))
        XCTAssertEqual(reply.document.keys, ["ok", "error"])
        XCTAssertNil(reply.document["id"])
        XCTAssertEqual(reply.document["ok"], false)
    }

    func testDocumentsAreValidFrames() {
        let replies: [Reply] = [
            .success(id: .int32(1), result: ["nested": ["a": [1, 2]]]),
            .failure(id: nil, error: WireError(.badFrame, "x")),
            .failure(id: .int64(1), error: WireError(.rateLimited, "slow down", details: ["retry_after_ms": .int64(500)])),
        ]
        for reply in replies {
            XCTAssertNoThrow(try BSONDocument(validating: reply.document.bytes))
        }
    }

    /// The server writes replies with `write(into:)`: the same bytes as `document`.
    func testWriteIntoMatchesDocument() {
        let replies: [Reply] = [
            .success(id: .int32(1), result: ["pong": true]),
            .success(id: .int64(-9_000_000_000), result: ["nested": ["a": [1, 2]], "s": "é"]),
            .success(id: .string(""), result: BSONDocument()),
            .success(id: .string("request-7 ✓"), result: ["x": 1.5]),
            .failure(id: nil, error: WireError(.badFrame, "x")),
            .failure(id: .int64(1), error: WireError(.rateLimited, "slow down", details: ["retry_after_ms": .int64(500)])),
            .failure(id: .string("a"), error: WireError(.notFound, "no such op")),
        ]
        for reply in replies {
            var buffer = ByteBuffer(bytes: [0xAA]) // writing after existing bytes
            reply.write(into: &buffer)
            XCTAssertEqual(Array(buffer.readableBytesView.dropFirst()), reply.document.bytes, "\(reply)")
            XCTAssertEqual(reply.encodedByteCount, reply.document.byteCount, "\(reply)")
        }
    }

    func testIDProperty() {
        XCTAssertEqual(Reply.success(id: .int32(1), result: [:]).id, .int32(1))
        XCTAssertEqual(Reply.failure(id: .string("x"), error: WireError(.internalError, "")).id, .string("x"))
        XCTAssertNil(Reply.failure(id: nil, error: WireError(.badFrame, "")).id)
    }

    // MARK: - init(document)

    func testParsesSuccess() {
        XCTAssertEqual(Reply(["id": 3, "ok": true, "result": ["x": 1]]), .success(id: .int32(3), result: ["x": 1]))
    }

    func testParsesFailure() {
        XCTAssertEqual(Reply(["id": "r", "ok": false, "error": ["code": "CONFLICT", "message": "email taken"]]),
                       .failure(id: .string("r"), error: WireError(.conflict, "email taken")))
    }

    func testParsesFailureWithoutID() {
        XCTAssertEqual(Reply(["ok": false, "error": ["code": "BAD_FRAME", "message": "m"]]),
                       .failure(id: nil, error: WireError(.badFrame, "m")))
    }

    func testParsesDetails() {
        let details: BSONDocument = ["index": 3, "field": "price", "reason": "must be > 0"]
        let reply = Reply(["id": 1, "ok": false, "error": ["code": "INVALID_ARGUMENT", "message": "m", "details": .document(details)]])
        XCTAssertEqual(reply, .failure(id: .int32(1), error: WireError(.invalidArgument, "m", details: details)))
    }

    func testUnknownErrorCodeBecomesInternalKeepingItsText() {
        let reply = Reply(["id": 1, "ok": false, "error": ["code": "QUOTA_EXCEEDED", "message": "too many"]])
        XCTAssertEqual(reply, .failure(id: .int32(1), error: WireError(.internalError, "QUOTA_EXCEEDED: too many")))
    }

    func testKeyOrderDoesNotMatterWhenParsing() {
        XCTAssertEqual(Reply(["result": [:], "ok": true, "id": 1]), .success(id: .int32(1), result: [:]))
    }

    func testNonRepliesAreNil() {
        let notReplies: [BSONDocument] = [
            [:],
            ["id": 1, "result": [:]],                                      // no ok
            ["id": 1, "ok": 1, "result": [:]],                             // ok not a bool
            ["ok": true, "result": [:]],                                    // success without id
            ["id": 1.5, "ok": true, "result": [:]],                         // success with an unusable id
            ["id": 1, "ok": true],                                          // success without result
            ["id": 1, "ok": true, "result": [1]],                           // result not a document
            ["id": 1, "ok": false],                                         // failure without error
            ["id": 1, "ok": false, "error": "NOT_FOUND"],                   // error not a document
            ["id": 1, "ok": false, "error": ["message": "m"]],              // no code
            ["id": 1, "ok": false, "error": ["code": 5, "message": "m"]],   // code not a string
            ["id": 1, "ok": false, "error": ["code": "NOT_FOUND"]],         // no message
        ]
        for document in notReplies {
            XCTAssertNil(Reply(document), "\(document)")
        }
    }

    func testRoundTrip() {
        let replies: [Reply] = [
            .success(id: .int32(.min), result: ["a": 1]),
            .success(id: .int64(.max), result: [:]),
            .success(id: .string(""), result: ["list": [1, "x", nil]]),
            .failure(id: .int32(4), error: WireError(.deadlineExceeded, "late")),
            .failure(id: nil, error: WireError(.badFrame, "bad")),
            .failure(id: .string("z"), error: .invalidArgument(field: "f", reason: "r")),
        ]
        for reply in replies {
            XCTAssertEqual(Reply(reply.document), reply)
        }
        for code in ErrorCode.allCases {
            let reply = Reply.failure(id: .int32(1), error: WireError(code, "m"))
            XCTAssertEqual(Reply(reply.document), reply, code.rawValue)
        }
    }
}

/// `Reply.writeSuccess`: the inline path's envelope, written around a result
/// appended in place.
final class ReplyWriteSuccessTests: XCTestCase {
    func testTheBytesAreThoseOfTheReply() {
        for id: RequestID in [.int32(3), .int64(1 << 40), .string("req-1")] {
            let result: BSONDocument = ["valid": true, "user_id": "u1", "email": "a@b.c", "expires_at": .datetime(1_700_000_000_000)]
            var expected = ByteBufferAllocator().buffer(capacity: 0)
            Reply.success(id: id, result: result).write(into: &expected)
            var buffer = ByteBufferAllocator().buffer(capacity: 0)
            buffer.writeString("before")
            let size = Reply.writeSuccess(id: id, into: &buffer) { out in
                let start = out.startBSONDocument()
                out.writeBSONElement("valid", bool: true)
                out.writeBSONElement("user_id", string: "u1")
                out.writeBSONElement("email", string: "a@b.c")
                out.writeBSONElement("expires_at", datetime: 1_700_000_000_000)
                out.finishBSONDocument(startedAt: start)
                return true
            }
            XCTAssertEqual(size, expected.readableBytes)
            XCTAssertEqual(buffer.getString(at: 0, length: 6), "before")
            XCTAssertEqual(buffer.getBytes(at: 6, length: buffer.readableBytes - 6), Array(expected.readableBytesView))
        }
    }

    func testADeclinedResultLeavesTheBufferAsItWas() {
        var buffer = ByteBufferAllocator().buffer(capacity: 0)
        buffer.writeString("kept")
        XCTAssertNil(Reply.writeSuccess(id: .int32(1), into: &buffer) { out in
            out.writeString("half a result")
            return false
        })
        XCTAssertEqual(buffer.readableBytes, 4)
        XCTAssertEqual(buffer.getString(at: 0, length: 4), "kept")
    }

    func testPreparedResultsAreWrittenAsTheyAre() {
        let pong: BSONDocument = ["pong": true]
        var expected = ByteBufferAllocator().buffer(capacity: 0)
        Reply.success(id: .int64(9), result: pong).write(into: &expected)
        var buffer = ByteBufferAllocator().buffer(capacity: 0)
        _ = Reply.writeSuccess(id: .int64(9), into: &buffer) { $0.writeBSONDocument(pong); return true }
        XCTAssertEqual(buffer, expected)
    }

    func testTheIDElementOfARequestMakesTheSameReply() throws {
        for id: RequestID in [.int32(-3), .int64(1 << 40), .string(""), .string("a-request-id-longer-than-fifteen-bytes")] {
            let request = Request(id: id, op: "ping").document
            let envelope = try request.withView { view in try RequestEnvelope.parse(view).get().idElement.elementBytes.map { $0 } }
            var expected = ByteBufferAllocator().buffer(capacity: 0)
            _ = Reply.writeSuccess(id: id, into: &expected) { $0.writeBSONDocument(["pong": true]); return true }
            var buffer = ByteBufferAllocator().buffer(capacity: 0)
            buffer.writeString("x")
            let size = envelope.withUnsafeBytes { idElement in
                Reply.writeSuccess(idElement: idElement, into: &buffer) { $0.writeBSONDocument(["pong": true]); return true }
            }
            XCTAssertEqual(size, expected.readableBytes, "\(id)")
            XCTAssertEqual(buffer.getBytes(at: 1, length: buffer.readableBytes - 1), Array(expected.readableBytesView), "\(id)")
            let declined = envelope.withUnsafeBytes { idElement in Reply.writeSuccess(idElement: idElement, into: &buffer) { _ in false } }
            XCTAssertNil(declined)
            XCTAssertEqual(buffer.readableBytes, 1 + expected.readableBytes, "a declined result leaves the buffer as it was")
        }
    }
}
