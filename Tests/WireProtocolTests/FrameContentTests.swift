import BSONCore
import NIOCore
import TestSupport
import WireProtocol
import XCTest

/// `ReceivedFrame` and the envelope rules for text holding a NUL byte.
final class FrameContentTests: XCTestCase {
    private func string(_ key: String, _ text: String) -> [UInt8] {
        RawBSON.element(0x02, key, RawBSON.string(Array(text.utf8)))
    }

    private func frame(_ elements: [UInt8]...) throws -> ReceivedFrame {
        try ReceivedFrame(validating: RawBSON.document(elements))
    }

    func testANULInsideAStringIsAFrameAndItsPathIsKnown() throws {
        let args = RawBSON.document(RawBSON.element(0x04, "ticks", RawBSON.document(
            RawBSON.element(0x03, "0", RawBSON.document(string("product", "NIFTY"), string("note", "a\0b")))
        )))
        let received = try frame(RawBSON.element(0x10, "id", RawBSON.int32(1)), string("op", "ticks.insert"), RawBSON.element(0x03, "args", args))
        XCTAssertEqual(received.firstEmbeddedNUL, ["args", "ticks", "0", "note"])
        XCTAssertEqual(received.document["op"], "ticks.insert")
        XCTAssertNil(try frame(string("op", "ping")).firstEmbeddedNUL)
    }

    func testTheDecoderYieldsDocumentsWithANUL() throws {
        var decoder = BSONFrameDecoder()
        var input = ByteBuffer(bytes: RawBSON.document(string("a", "x\0y")))
        let received = try XCTUnwrap(try decoder.decodeFrame(buffer: &input))
        XCTAssertEqual(received.firstEmbeddedNUL, ["a"])
    }

    func testInvalidUTF8IsStillAFramingError() {
        XCTAssertThrowsError(try frame(RawBSON.element(0x02, "a", RawBSON.string([0x61, 0, 0xFF])))) { error in
            guard case .invalidDocument(let reason)? = error as? FrameError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("not valid UTF-8"), reason)
        }
    }

    func testNULInArgsIsAnInvalidArgumentWithTheRequestID() throws {
        let received = try frame(RawBSON.element(0x10, "id", RawBSON.int32(9)), string("op", "describe"), RawBSON.element(0x03, "args", RawBSON.document(string("op", "pi\0ng"))))
        guard case .failure(let rejection) = Request.parse(received) else { return XCTFail("accepted") }
        XCTAssertEqual(rejection.id, .int32(9))
        XCTAssertEqual(rejection.error, .invalidArgument(field: "op", reason: Request.nulReason))
    }

    func testNULInTheOpIsABadRequestWithTheID() throws {
        let received = try frame(RawBSON.element(0x10, "id", RawBSON.int32(9)), string("op", "pi\0ng"))
        guard case .failure(let rejection) = Request.parse(received) else { return XCTFail("accepted") }
        XCTAssertEqual(rejection.id, .int32(9))
        XCTAssertEqual(rejection.error.code, .badRequest)
    }

    func testNULInTheIDIsABadRequestWithoutID() throws {
        // Even when the envelope has another problem: the id cannot be echoed.
        let received = try frame(string("id", "a\0b"), RawBSON.element(0x10, "op", RawBSON.int32(1)))
        guard case .failure(let rejection) = Request.parse(received) else { return XCTFail("accepted") }
        XCTAssertNil(rejection.id)
        XCTAssertEqual(rejection.error, WireError(.badRequest, "'id' string contains a NUL byte"))
    }

    func testOtherEnvelopeErrorsComeFirst() throws {
        let received = try frame(RawBSON.element(0x10, "id", RawBSON.int32(2)), string("op", "ping"), string("extra", "a\0"))
        guard case .failure(let rejection) = Request.parse(received) else { return XCTFail("accepted") }
        XCTAssertEqual(rejection.id, .int32(2))
        XCTAssertEqual(rejection.error.message, "unknown envelope field 'extra' (allowed: id, op, args, deadline_ms)")
    }

    func testAFrameWithoutNULParsesAsItsDocument() throws {
        let received = try frame(RawBSON.element(0x10, "id", RawBSON.int32(2)), string("op", "ping"))
        guard case .success(let request) = Request.parse(received) else { return XCTFail("refused") }
        XCTAssertEqual(request.op, "ping")
    }
}
