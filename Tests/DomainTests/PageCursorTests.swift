import Domain
import XCTest

/// Cursors sealed with the server's key (`CursorKey`) and bound to their
/// query (`QueryIdentity`).
final class PageCursorTests: XCTestCase {
    let key = CursorKey(secret: Array(repeating: 7, count: 32))!
    let query = TickQuery(product: "NIFTY", limit: 10)

    func testRoundTrip() throws {
        for timestamp in [Int64.min, -5, 0, 1_738_228_500_000, .max] {
            for recordKey in [[], [0, 1, 2, 255], Array(repeating: UInt8(9), count: 12)] {
                let cursor = PageCursor(timestamp: timestamp, recordKey: recordKey, query: query.identity)
                let token = key.seal(cursor)
                XCTAssertEqual(try key.open(token, for: query.identity), cursor)
                XCTAssertTrue(token.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }, token)
                XCTAssertLessThanOrEqual(token.utf8.count, CursorKey.maximumTokenBytes)
            }
        }
    }

    func testEveryAlteredCharacterIsRefused() throws {
        let token = key.seal(PageCursor(timestamp: 1_738_228_500_000, recordKey: [0, 0, 0, 0, 0, 0, 0, 42], query: query.identity))
        var characters = Array(token)
        for index in characters.indices {
            let original = characters[index]
            characters[index] = original == "A" ? "B" : "A"
            XCTAssertThrowsError(try key.open(String(characters), for: query.identity), "altered at \(index)") { error in
                XCTAssertEqual((error as? FieldError)?.field, "cursor")
            }
            characters[index] = original
        }
        for bad in [token + "A", String(token.dropLast()), String(token.dropLast(4)), "", "not a cursor!", String(repeating: "A", count: 600)] {
            XCTAssertThrowsError(try key.open(bad, for: query.identity), bad)
        }
    }

    /// A cursor made without the secret — with another key, or in the old
    /// checksummed format anyone could recompute — is refused.
    func testForgedCursorsAreRefused() throws {
        let other = CursorKey(secret: Array(repeating: 8, count: 32))!
        let forged = other.seal(PageCursor(timestamp: 5, recordKey: [1], query: query.identity))
        XCTAssertThrowsError(try key.open(forged, for: query.identity)) { error in
            XCTAssertEqual((error as? FieldError)?.reason, "cursor is damaged or was altered, or was not issued by this server")
        }
        // Version 1 (FNV checksum): 1 | fingerprint | ts | key length | key | checksum.
        XCTAssertThrowsError(try key.open(Base64URL.encode([1] + Array(repeating: 0, count: 8 + 8) + [1, 1] + Array(repeating: 0, count: 8)), for: query.identity))
        XCTAssertNil(CursorKey(secret: Array(repeating: 1, count: 31)), "a secret shorter than 32 bytes is refused")
        XCTAssertFalse(String(describing: key).contains("7"), "the secret is never described")
    }

    func testCursorOfAnotherQueryIsRefused() throws {
        var other = query
        other.order = .ascending
        var moved = query
        moved.range = TimeRange(start: 1)
        var product = query
        product.product = "BANKNIFTY"
        var resized = query
        resized.limit = 50
        XCTAssertEqual(query.identity, resized.identity, "the page size may change between pages")

        let token = key.seal(PageCursor(timestamp: 1, recordKey: [1], query: query.identity))
        XCTAssertNoThrow(try key.open(token, for: resized.identity))
        for different in [other.identity, moved.identity, product.identity, QuoteQuery(product: "NIFTY", limit: 10).identity, ChainQuery(product: "NIFTY", limit: 10).identity] {
            XCTAssertThrowsError(try key.open(token, for: different)) { error in
                XCTAssertEqual((error as? FieldError)?.reason, PageCursor.otherQueryReason)
            }
        }
    }

    /// No value stands for "absent" or separates parts: queries that a
    /// sentinel or a joined list made equal before now have distinct identities.
    func testIdentitiesAreUnambiguous() {
        let byProduct = QuoteQuery(product: "NIFTY", limit: 10)
        XCTAssertNotEqual(byProduct.identity, QuoteQuery(symbol: "-", product: "NIFTY", limit: 10).identity)
        XCTAssertNotEqual(byProduct.identity, QuoteQuery(product: "NIFTY", expiry: "-", limit: 10).identity)
        XCTAssertNotEqual(QuoteQuery(symbol: "A", limit: 10).identity, QuoteQuery(product: "A", limit: 10).identity)
        XCTAssertNotEqual(QuoteQuery(product: "A", strikeMin: 5, limit: 10).identity, QuoteQuery(product: "A", strikeMax: 5, limit: 10).identity)
        XCTAssertEqual(QuoteQuery(product: "A", strikeMin: -0.0, limit: 10).identity, QuoteQuery(product: "A", strikeMin: 0, limit: 10).identity, "numbers compare as numbers")

        let all = ChainQuery(product: "NIFTY", limit: 10)
        XCTAssertNotEqual(all.identity, ChainQuery(product: "NIFTY", limit: 10, fields: ["*"]).identity)
        XCTAssertNotEqual(ChainQuery(product: "NIFTY", limit: 10, fields: ["a,b"]).identity, ChainQuery(product: "NIFTY", limit: 10, fields: ["a", "b"]).identity)
        XCTAssertNotEqual(ChainQuery(product: "NIFTY", limit: 10, fields: ["ab"]).identity, ChainQuery(product: "NIFTY", limit: 10, fields: ["a", "b"]).identity)
        XCTAssertNotEqual(ChainQuery(product: "NIFTY", limit: 10, fields: []).identity, all.identity)
        XCTAssertNotEqual(ChainQuery(product: "NIFTY", expiry: "2025-01-30", limit: 10).identity, all.identity)
        XCTAssertNotEqual(TickQuery(product: "NIFTY", range: TimeRange(start: 5), limit: 1).identity, TickQuery(product: "NIFTY", range: TimeRange(end: 5), limit: 1).identity)
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
