import BSONCore
import NIOCore
import TestSupport
import WireProtocol
import XCTest

/// `RequestEnvelope`: the envelope read where the frame's bytes are, as the
/// server reads it (`Request.parse` is built on it; `RequestTests` checks the
/// rules through that).
final class RequestEnvelopeTests: XCTestCase {
    /// A frame in the middle of a buffer, as in the server's input.
    private func inBuffer<R>(_ document: BSONDocument, _ body: (BSONDocumentView) -> R) -> R {
        var buffer = ByteBufferAllocator().buffer(capacity: 0)
        buffer.writeString("earlier bytes")
        buffer.writeBytes(document.bytes)
        buffer.writeString("later bytes")
        return buffer.withUnsafeReadableBytes { raw in
            body(BSONDocumentView(unsafeValidatedBytes: UnsafeRawBufferPointer(rebasing: raw[13..<(13 + document.byteCount)])))
        }
    }

    func testTheFieldsAreThoseOfTheParsedRequest() throws {
        let document = RequestBuilder.request(id: .int64(42), op: "auth.verify", args: ["token": "abc.def.ghi"], deadlineMs: 250)
        let request = try Request.parse(document).get()
        inBuffer(document) { view in
            guard case .success(let envelope) = RequestEnvelope.parse(view) else { return XCTFail("refused") }
            XCTAssertEqual(envelope.id, request.id)
            XCTAssertEqual(envelope.op, request.op)
            XCTAssertEqual(envelope.deadlineMilliseconds, 250)
            XCTAssertEqual(envelope.args.map(BSONDocument.init(copying:)), request.args)
            XCTAssertEqual(envelope.request.args, request.args)
        }
    }

    func testAbsentArgsAreNil() {
        inBuffer(RequestBuilder.ping(id: 1)) { view in
            guard case .success(let envelope) = RequestEnvelope.parse(view) else { return XCTFail("refused") }
            XCTAssertNil(envelope.args)
            XCTAssertEqual(envelope.request.args, BSONDocument())
        }
    }

    func testRefusalsAreThoseOfRequestParse() {
        let documents: [BSONDocument] = [
            ["op": "ping"],
            ["id": 1.5, "op": "ping"],
            ["id": 1, "op": 3],
            ["id": 1, "op": "ping", "args": "x"],
            ["id": 1, "op": "ping", "extra": true],
            ["id": 1, "op": "ping", "deadline_ms": 0],
        ]
        for document in documents {
            let expected = Request.parse(document)
            inBuffer(document) { view in
                guard case .failure(let rejection) = RequestEnvelope.parse(view), case .failure(let other) = expected else {
                    return XCTFail("\(document) was accepted")
                }
                XCTAssertEqual(rejection, other)
            }
        }
    }

    func testANULInArgsIsAnInvalidArgumentNamingTheField() {
        inBuffer(RequestBuilder.request(id: 5, op: "describe", args: ["op": "x"])) { view in
            guard case .failure(let rejection) = RequestEnvelope.parse(view, firstEmbeddedNUL: ["args", "op"]) else { return XCTFail("accepted") }
            XCTAssertEqual(rejection.id, .int32(5))
            XCTAssertEqual(rejection.error.code, .invalidArgument)
            XCTAssertEqual(rejection.error.details?["field"], "op")
        }
    }
}
