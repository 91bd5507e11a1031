import Domain
import XCTest

final class PageCursorTests: XCTestCase {
    func testRoundTrip() throws {
        let cursor = PageCursor(timestamp: -5, recordKey: [0, 1, 2, 255], queryFingerprint: 0xDEAD_BEEF)
        let decoded = try PageCursor(token: cursor.token, expectedFingerprint: 0xDEAD_BEEF)
        XCTAssertEqual(decoded, cursor)
        XCTAssertTrue(cursor.token.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }, cursor.token)
    }

    func testEveryAlteredCharacterIsRefused() throws {
        let token = PageCursor(timestamp: 1_738_228_500_000, recordKey: [0, 0, 0, 0, 0, 0, 0, 42], queryFingerprint: 7).token
        var characters = Array(token)
        for index in characters.indices {
            let original = characters[index]
            characters[index] = original == "A" ? "B" : "A"
            XCTAssertThrowsError(try PageCursor(token: String(characters), expectedFingerprint: 7), "altered at \(index)")
            characters[index] = original
        }
        XCTAssertThrowsError(try PageCursor(token: token + "A", expectedFingerprint: 7))
        XCTAssertThrowsError(try PageCursor(token: String(token.dropLast()), expectedFingerprint: 7))
        XCTAssertThrowsError(try PageCursor(token: "", expectedFingerprint: 7))
        XCTAssertThrowsError(try PageCursor(token: "not a cursor!", expectedFingerprint: 7))
    }

    func testCursorOfAnotherQueryIsRefused() throws {
        let ticks = TickQuery(product: "NIFTY", limit: 10)
        var other = ticks
        other.order = .ascending
        XCTAssertNotEqual(ticks.fingerprint, other.fingerprint)
        var moved = ticks
        moved.range = TimeRange(start: 1)
        XCTAssertNotEqual(ticks.fingerprint, moved.fingerprint)
        var resized = ticks
        resized.limit = 50
        XCTAssertEqual(ticks.fingerprint, resized.fingerprint, "the page size may change between pages")

        let token = PageCursor(timestamp: 1, recordKey: [1], queryFingerprint: ticks.fingerprint).token
        XCTAssertThrowsError(try PageCursor(token: token, expectedFingerprint: other.fingerprint)) { error in
            XCTAssertTrue((error as? FieldError)?.reason.contains("different query") ?? false)
        }
    }

    func testBase64URL() {
        for length in 0..<20 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 37 + 11) }
            XCTAssertEqual(Base64URL.decode(Base64URL.encode(bytes)), bytes)
        }
        XCTAssertEqual(Base64URL.encode(Array("hello?".utf8)), "aGVsbG8_")
        XCTAssertNil(Base64URL.decode("aGVsbG8="), "padding is not part of the alphabet")
        XCTAssertNil(Base64URL.decode("A"), "a single character cannot encode a byte")
        XCTAssertNil(Base64URL.decode("AB"), "non-canonical trailing bits are refused")
    }
}
