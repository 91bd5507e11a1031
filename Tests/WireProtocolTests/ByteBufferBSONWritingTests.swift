import BSONCore
import NIOCore
import WireProtocol
import XCTest

/// Documents written straight into a `ByteBuffer` (the inline handlers'
/// results): the bytes of the same document built as a `BSONDocument`.
final class ByteBufferBSONWritingTests: XCTestCase {
    private let expected: BSONDocument = ["valid": true, "user_id": "u-1", "email": "ána@example.com", "expires_at": .datetime(-1_700_000_000_123)]

    func testElementByElement() {
        var buffer = ByteBufferAllocator().buffer(capacity: 0)
        let start = buffer.startBSONDocument()
        buffer.writeBSONElement("valid", bool: true)
        buffer.writeBSONElement("user_id", string: "u-1")
        buffer.writeBSONElement("email", string: "ána@example.com")
        buffer.writeBSONElement("expires_at", datetime: -1_700_000_000_123)
        buffer.finishBSONDocument(startedAt: start)
        XCTAssertEqual(Array(buffer.readableBytesView), expected.bytes)
    }

    func testInOneWriteOfTheSizeWorkedOutBefore() {
        typealias Writer = BSONDocumentWriter
        let email = "ána@example.com"
        let size = Writer.emptyDocumentSize + Writer.size("valid", bool: true) + Writer.size("user_id", string: "u-1")
            + Writer.size("email", string: email) + Writer.size("expires_at", datetime: 0)
        XCTAssertEqual(size, expected.bytes.count)
        var buffer = ByteBufferAllocator().buffer(capacity: 0)
        buffer.writeString("before")
        XCTAssertTrue(buffer.writeBSONDocument(byteCount: size) { document in
            document.write("valid", bool: true)
            document.write("user_id", string: "u-1")
            document.write("email", string: email)
            document.write("expires_at", datetime: -1_700_000_000_123)
        })
        XCTAssertEqual(buffer.getString(at: 0, length: 6), "before")
        XCTAssertEqual(buffer.getBytes(at: 6, length: size), expected.bytes)
    }

    func testAnotherSizeThanPromisedWritesNothing() {
        for promised in [20, 40, 4] {
            var buffer = ByteBufferAllocator().buffer(capacity: 0)
            buffer.writeString("kept")
            XCTAssertFalse(buffer.writeBSONDocument(byteCount: promised) { document in
                document.write("user_id", string: "twenty-something bytes")
            }, "\(promised)")
            XCTAssertEqual(buffer.readableBytes, 4, "\(promised)")
            XCTAssertEqual(buffer.getString(at: 0, length: 4), "kept")
        }
    }
}
