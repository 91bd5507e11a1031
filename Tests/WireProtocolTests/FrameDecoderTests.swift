import BSONCore
import NIOCore
import NIOEmbedded
import NIOTestUtils
import WireProtocol
import TestSupport
import XCTest

/// `BSONFrameDecoder`: the framing contract, fed in every split, and every bad frame.
final class FrameDecoderTests: XCTestCase {
    private let first: BSONDocument = ["id": 1, "op": "ping"]
    private let second: BSONDocument = ["id": "two", "op": "describe", "args": ["op": "hello"]]
    private let third: BSONDocument = ["id": .int64(3), "op": "hello", "args": ["client": "tests é☆"], "deadline_ms": 100]

    private func buffer(_ bytes: [UInt8]) -> ByteBuffer {
        ByteBuffer(bytes: bytes)
    }

    private func buffer(_ documents: [BSONDocument]) -> ByteBuffer {
        var buffer = ByteBuffer()
        for document in documents { buffer.writeFrame(document) }
        return buffer
    }

    private func makeChannel(_ decoder: BSONFrameDecoder = BSONFrameDecoder()) -> EmbeddedChannel {
        EmbeddedChannel(handler: ByteToMessageHandler(decoder))
    }

    private func readAll(_ channel: EmbeddedChannel) throws -> [BSONDocument] {
        var out: [BSONDocument] = []
        while let document = try channel.readInbound(as: BSONDocument.self) { out.append(document) }
        return out
    }

    private func assertFrameError(_ expression: @autoclosure () throws -> some Any, _ expected: FrameError, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try expression(), file: file, line: line) { error in
            XCTAssertEqual(error as? FrameError, expected, file: file, line: line)
        }
    }

    private func assertInvalidDocument(_ expression: @autoclosure () throws -> some Any, containing text: String = "", file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try expression(), file: file, line: line) { error in
            guard case .invalidDocument(let reason)? = error as? FrameError else {
                return XCTFail("expected FrameError.invalidDocument, got \(error)", file: file, line: line)
            }
            XCTAssertTrue(text.isEmpty || reason.contains(text), "\(reason) does not mention \(text)", file: file, line: line)
        }
    }

    // MARK: - Good frames

    func testDecodesOneFrame() throws {
        var decoder = BSONFrameDecoder()
        var input = buffer([first])
        XCTAssertEqual(try decoder.decode(buffer: &input), first)
        XCTAssertEqual(input.readableBytes, 0)
        XCTAssertNil(try decoder.decode(buffer: &input))
    }

    func testDecodesTheEmptyDocument() throws {
        var decoder = BSONFrameDecoder()
        var input = buffer([5, 0, 0, 0, 0])
        XCTAssertEqual(try decoder.decode(buffer: &input), BSONDocument())
    }

    func testWaitsForTheLengthPrefix() throws {
        var decoder = BSONFrameDecoder()
        for count in 0..<4 {
            var input = buffer(Array(first.bytes.prefix(count)))
            XCTAssertNil(try decoder.decode(buffer: &input))
            XCTAssertEqual(input.readableBytes, count, "nothing consumed")
        }
    }

    func testWaitsForTheBodyWithoutConsuming() throws {
        var decoder = BSONFrameDecoder()
        var input = buffer(Array(first.bytes.dropLast()))
        XCTAssertNil(try decoder.decode(buffer: &input))
        XCTAssertEqual(input.readableBytes, first.byteCount - 1)
        input.writeInteger(UInt8(0))
        XCTAssertEqual(try decoder.decode(buffer: &input), first)
    }

    func testLeavesTheNextFrameInTheBuffer() throws {
        var decoder = BSONFrameDecoder()
        var input = buffer([first, second])
        XCTAssertEqual(try decoder.decode(buffer: &input), first)
        XCTAssertEqual(input.readableBytes, second.byteCount)
        XCTAssertEqual(try decoder.decode(buffer: &input), second)
    }

    func testFeedingByteByByte() throws {
        let channel = makeChannel()
        let bytes = buffer([first, second, third]).readableBytesView
        var decoded: [BSONDocument] = []
        for byte in bytes {
            try channel.writeInbound(buffer([byte]))
            decoded += try readAll(channel)
        }
        XCTAssertEqual(decoded, [first, second, third])
        XCTAssertTrue(try channel.finish().isClean)
    }

    func testSplitAtEveryOffset() throws {
        let bytes = Array(buffer([first, second]).readableBytesView)
        for split in 0...bytes.count {
            let channel = makeChannel()
            try channel.writeInbound(buffer(Array(bytes[..<split])))
            try channel.writeInbound(buffer(Array(bytes[split...])))
            XCTAssertEqual(try readAll(channel), [first, second], "split at \(split)")
            XCTAssertTrue(try channel.finish().isClean, "split at \(split)")
        }
    }

    func testSeveralFramesInOneBuffer() throws {
        let channel = makeChannel()
        try channel.writeInbound(buffer([first, second, third, first]))
        XCTAssertEqual(try readAll(channel), [first, second, third, first])
        XCTAssertTrue(try channel.finish().isClean)
    }

    func testVerifier() throws {
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: [
                (buffer([first]), [first]),
                (buffer([second, third]), [second, third]),
                (buffer([BSONDocument(), first, BSONDocument()]), [BSONDocument(), first, BSONDocument()]),
                (buffer([BSONDocumentFixtures.deep(levels: 100)]), [BSONDocumentFixtures.deep(levels: 100)]),
            ],
            decoderFactory: { BSONFrameDecoder() }
        )
    }

    func testFrameOfExactlyTheMaximumSize() throws {
        let document: BSONDocument = ["s": .string(String(repeating: "x", count: 100))]
        var decoder = BSONFrameDecoder(maximumFrameBytes: document.byteCount)
        var input = buffer([document])
        XCTAssertEqual(try decoder.decode(buffer: &input), document)
    }

    func testDefaults() {
        let decoder = BSONFrameDecoder()
        XCTAssertEqual(decoder.maximumFrameBytes, 16 * 1024 * 1024)
        XCTAssertEqual(BSONFrameDecoder.defaultMaximumFrameBytes, 16 * 1024 * 1024)
        XCTAssertEqual(decoder.maximumDepth, BSONDocument.defaultMaxDepth)
    }

    func testWriteFrameWritesTheDocumentBytes() {
        var out = ByteBuffer()
        out.writeFrame(first)
        out.writeFrame(second)
        XCTAssertEqual(Array(out.readableBytesView), first.bytes + second.bytes)
    }

    // MARK: - Bad lengths

    func testLengthBelowFiveIsRejectedFromTheFourLengthBytes() {
        for length: Int32 in [0, 1, 2, 3, 4, -1, -5, Int32.min] {
            var decoder = BSONFrameDecoder()
            var input = ByteBuffer()
            input.writeInteger(length, endianness: .little)
            assertFrameError(try decoder.decode(buffer: &input), .lengthTooSmall(length))
        }
    }

    func testLengthAboveTheMaximumIsRejectedBeforeTheBodyArrives() {
        // Only the 4 length bytes are fed: the decoder must not wait for a body.
        var decoder = BSONFrameDecoder(maximumFrameBytes: 64)
        var input = ByteBuffer()
        input.writeInteger(Int32(65), endianness: .little)
        assertFrameError(try decoder.decode(buffer: &input), .lengthTooLarge(length: 65, maximum: 64))
    }

    func testLengthAtTheMaximumWaitsForTheBody() throws {
        var decoder = BSONFrameDecoder(maximumFrameBytes: 64)
        var input = ByteBuffer()
        input.writeInteger(Int32(64), endianness: .little)
        XCTAssertNil(try decoder.decode(buffer: &input))
    }

    func testDefaultMaximumIsCheckedFromTheFourLengthBytes() throws {
        var decoder = BSONFrameDecoder()
        var atMaximum = ByteBuffer()
        atMaximum.writeInteger(Int32(16 * 1024 * 1024), endianness: .little)
        XCTAssertNil(try decoder.decode(buffer: &atMaximum), "16 MiB is allowed: wait for it")
        var above = ByteBuffer()
        above.writeInteger(Int32(16 * 1024 * 1024 + 1), endianness: .little)
        assertFrameError(try decoder.decode(buffer: &above), .lengthTooLarge(length: 16 * 1024 * 1024 + 1, maximum: 16 * 1024 * 1024))
        var huge = ByteBuffer()
        huge.writeInteger(Int32.max, endianness: .little)
        assertFrameError(try decoder.decode(buffer: &huge), .lengthTooLarge(length: .max, maximum: 16 * 1024 * 1024))
    }

    func testChannelRejectsAnOversizedFrameFromItsLengthAlone() throws {
        let channel = makeChannel(BSONFrameDecoder(maximumFrameBytes: 1024))
        var input = ByteBuffer()
        input.writeInteger(Int32(1025), endianness: .little)
        assertFrameError(try channel.writeInbound(input), .lengthTooLarge(length: 1025, maximum: 1024))
        XCTAssertNil(try channel.readInbound(as: BSONDocument.self))
        _ = try? channel.finish()
    }

    func testChannelRejectsAnOversizedLengthFedByteByByte() throws {
        let channel = makeChannel(BSONFrameDecoder(maximumFrameBytes: 1024))
        let length = RawBSON.int32(2000)
        for byte in length.prefix(3) {
            XCTAssertNoThrow(try channel.writeInbound(buffer([byte])))
        }
        assertFrameError(try channel.writeInbound(buffer([length[3]])), .lengthTooLarge(length: 2000, maximum: 1024))
        _ = try? channel.finish()
    }

    func testStreamIsUnusableAfterABadFrame() throws {
        let channel = makeChannel()
        assertFrameError(try channel.writeInbound(buffer(RawBSON.int32(3))), .lengthTooSmall(3))
        // Later bytes, even a valid frame, are not decoded.
        XCTAssertThrowsError(try channel.writeInbound(buffer([first]))) { error in
            guard case .dataReceivedInErrorState? = error as? ByteToMessageDecoderError else { return XCTFail("\(error)") }
        }
        XCTAssertNil(try channel.readInbound(as: BSONDocument.self))
        _ = try? channel.finish()
    }

    func testGoodFramesBeforeABadOneAreDelivered() throws {
        let channel = makeChannel()
        var input = buffer([first, second])
        input.writeBytes(RawBSON.int32(2))
        assertFrameError(try channel.writeInbound(input), .lengthTooSmall(2))
        XCTAssertEqual(try readAll(channel), [first, second])
        _ = try? channel.finish()
    }

    // MARK: - Bad documents

    func testInvalidDocumentBytes() {
        // Length 12, an int64 element ("a") with only 4 bytes of payload.
        var decoder = BSONFrameDecoder()
        var input = buffer(RawBSON.document(RawBSON.element(0x12, "a", RawBSON.int32(7))))
        assertInvalidDocument(try decoder.decode(buffer: &input))
    }

    func testMissingTerminator() {
        var bytes = first.bytes
        bytes[bytes.count - 1] = 0xFF
        var decoder = BSONFrameDecoder()
        var input = buffer(bytes)
        assertInvalidDocument(try decoder.decode(buffer: &input), containing: "zero byte")
    }

    func testUnknownElementType() {
        var decoder = BSONFrameDecoder()
        var input = buffer(RawBSON.document(RawBSON.element(0x42, "a", [])))
        assertInvalidDocument(try decoder.decode(buffer: &input))
    }

    func testNestingTooDeep() throws {
        var decoder = BSONFrameDecoder()
        var ok = buffer([BSONDocumentFixtures.deep(levels: 100)])
        XCTAssertNotNil(try decoder.decode(buffer: &ok))
        var deep = buffer([BSONDocumentFixtures.deep(levels: 101)])
        assertInvalidDocument(try decoder.decode(buffer: &deep), containing: BSONError.tooDeep(limit: 100).description)
    }

    func testCustomMaximumDepth() throws {
        var decoder = BSONFrameDecoder(maximumDepth: 2)
        var ok = buffer([["a": ["b": 1]]])
        XCTAssertNotNil(try decoder.decode(buffer: &ok))
        var deep = buffer([["a": ["b": ["c": 1]]]])
        assertInvalidDocument(try decoder.decode(buffer: &deep), containing: BSONError.tooDeep(limit: 2).description)
    }

    func testInvalidUTF8InAValue() {
        var decoder = BSONFrameDecoder()
        var input = buffer(RawBSON.document(RawBSON.element(0x02, "op", RawBSON.string([0x70, 0xE9]))))
        assertInvalidDocument(try decoder.decode(buffer: &input))
    }

    func testInvalidUTF8InAKey() {
        var decoder = BSONFrameDecoder()
        var input = buffer(RawBSON.document(RawBSON.element(0x10, key: [0xC3, 0x28], RawBSON.int32(1))))
        assertInvalidDocument(try decoder.decode(buffer: &input))
    }

    func testChannelReportsAnInvalidDocument() throws {
        let channel = makeChannel()
        let bad = RawBSON.document(RawBSON.element(0x02, "a", RawBSON.string([0xFF])))
        assertInvalidDocument(try channel.writeInbound(buffer(bad)))
        _ = try? channel.finish()
    }

    // MARK: - End of stream

    func testDecodeLastWithNothingLeft() throws {
        var decoder = BSONFrameDecoder()
        var input = ByteBuffer()
        XCTAssertNil(try decoder.decodeLast(buffer: &input, seenEOF: true))
    }

    func testDecodeLastDeliversCompleteFrames() throws {
        var decoder = BSONFrameDecoder()
        var input = buffer([first, second])
        XCTAssertEqual(try decoder.decodeLast(buffer: &input, seenEOF: true), first)
        XCTAssertEqual(try decoder.decodeLast(buffer: &input, seenEOF: true), second)
        XCTAssertNil(try decoder.decodeLast(buffer: &input, seenEOF: true))
    }

    func testTruncatedBodyAtEndOfStream() {
        var decoder = BSONFrameDecoder()
        var input = buffer(Array(first.bytes.prefix(7)))
        assertFrameError(try decoder.decodeLast(buffer: &input, seenEOF: true), .truncated(received: 7, expected: first.byteCount))
    }

    func testTruncatedLengthAtEndOfStream() {
        var decoder = BSONFrameDecoder()
        var input = buffer([0x10, 0x00])
        assertFrameError(try decoder.decodeLast(buffer: &input, seenEOF: true), .truncated(received: 2, expected: 4))
    }

    func testChannelReportsATruncatedFrameWhenClosed() throws {
        let channel = makeChannel()
        var input = buffer([first])
        input.writeBytes(second.bytes.prefix(10))
        try channel.writeInbound(input)
        XCTAssertEqual(try readAll(channel), [first])
        XCTAssertThrowsError(try channel.finish()) { error in
            XCTAssertEqual(error as? FrameError, .truncated(received: 10, expected: self.second.byteCount))
        }
    }

    func testChannelClosesCleanlyAfterCompleteFrames() throws {
        let channel = makeChannel()
        try channel.writeInbound(buffer([first]))
        XCTAssertEqual(try readAll(channel), [first])
        XCTAssertTrue(try channel.finish().isClean)
    }
}
