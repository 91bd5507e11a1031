import BSONCore
import Domain
import TestSupport
import XCTest

/// Tick, Quote and Chain validation (Tick.swift, Quote.swift, Chain.swift).
final class RecordTests: XCTestCase {
    let time = BSONValue.datetime(1_738_228_500_000)

    func testTickKeepsTheWholeDocument() throws {
        let document: BSONDocument = ["product": "NIFTY", "price": 21_500.5, "timestamp": time, "tick_id": "t-1", "processed_at": time, "source": ["feed": "x"]]
        let tick = try Tick(document: document)
        XCTAssertEqual(tick.product, "NIFTY")
        XCTAssertEqual(tick.price, 21_500.5)
        XCTAssertEqual(tick.timestamp, 1_738_228_500_000)
        XCTAssertEqual(tick.tickID?.storageKey, "s:t-1")
        XCTAssertEqual(tick.document, document)
    }

    func testTickErrorsNameTheField() {
        let cases: [(BSONDocument, String)] = [
            (["price": 1.0, "timestamp": time], "product"),
            (["product": "X", "timestamp": time], "price"),
            (["product": "X", "price": 1.0], "timestamp"),
            (["product": "X", "price": 1.0, "timestamp": "2025-01-30"], "timestamp"),
            (["product": "X", "price": 1.0, "timestamp": time, "tick_id": 1.5], "tick_id"),
            (["product": "X", "price": 1.0, "timestamp": time, "tick_id": ""], "tick_id"),
            (["product": ["$gt": ""], "price": 1.0, "timestamp": time], "product.$gt"),
        ]
        for (document, field) in cases {
            XCTAssertThrowsError(try Tick(document: document)) { error in
                XCTAssertEqual((error as? FieldError)?.field, field, "\(document)")
            }
        }
    }

    func testIdempotencyKeysTellStringsFromIntegers() throws {
        XCTAssertNotEqual(try IdempotencyKey("5", field: "k"), try IdempotencyKey(.int32(5), field: "k"))
        XCTAssertEqual(try IdempotencyKey(.int32(5), field: "k"), try IdempotencyKey(.int64(5), field: "k"))
    }

    func testQuote() throws {
        let document: BSONDocument = [
            "symbol": "NIFTY25013021500CE", "product": "NIFTY", "strike": 21_500, "expiry": "2025-01-30",
            "option_type": "CALL", "bid": 100.0, "timestamp": time,
        ]
        let quote = try Quote(document: document)
        XCTAssertEqual(quote.strike, 21_500)
        XCTAssertEqual(quote.optionType, .call)
        for (key, value, field) in [("option_type", BSONValue.string("call"), "option_type"), ("expiry", "2025-02-30", "expiry"), ("strike", -1.0, "strike")] {
            XCTAssertThrowsError(try Quote(document: document.setting(key, value))) { error in
                XCTAssertEqual((error as? FieldError)?.field, field)
            }
        }
    }

    func testChainChecksNestedQuotes() throws {
        let chain: BSONDocument = [
            "product": "NIFTY", "expiry": "2025-01-30", "timestamp": time, "spot_price": 21_480.0,
            "calls": [["strike": 21_500.0, "last": 10.0]], "puts": [["strike": 21_500.0]],
        ]
        XCTAssertNoThrow(try Chain(document: chain))
        XCTAssertThrowsError(try Chain(document: chain.setting("puts", [["strike": 0.0]]))) { error in
            XCTAssertEqual((error as? FieldError)?.field, "puts.0.strike")
        }
        XCTAssertThrowsError(try Chain(document: chain.setting("calls", "none"))) { error in
            XCTAssertEqual((error as? FieldError)?.field, "calls")
        }
        XCTAssertThrowsError(try Chain(document: chain.setting("calls", [5]))) { error in
            XCTAssertEqual((error as? FieldError)?.field, "calls.0")
        }
        XCTAssertThrowsError(try Chain(document: chain.setting("spot_price", .double(.nan)))) { error in
            XCTAssertEqual((error as? FieldError)?.field, "spot_price")
        }
    }

    /// Every kind of record refuses an array numbered other than "0", "1", …,
    /// at any depth, naming the array by its path; and a timestamp outside
    /// years 1 to 9999.
    func testRecordsRefuseMisnumberedArraysAndTimesOutOfRange() throws {
        let head = RawBSON.element(0x02, "product", RawBSON.string(Array("NIFTY".utf8)))
            + RawBSON.element(0x01, "price", withUnsafeBytes(of: (1.5).bitPattern.littleEndian) { Array($0) })
            + RawBSON.element(0x09, "timestamp", withUnsafeBytes(of: Int64(1_738_228_500_000).littleEndian) { Array($0) })
            + RawBSON.element(0x02, "expiry", RawBSON.string(Array("2025-01-30".utf8)))
        let nested = RawBSON.element(0x03, "meta", RawBSON.document(RawBSON.array("tags", keys: ["0", "0"])))
        let tick = try BSONDocument(validating: RawBSON.document([head, nested]))
        XCTAssertThrowsError(try Tick(document: tick)) { error in
            XCTAssertEqual((error as? FieldError)?.field, "meta.tags")
            XCTAssertTrue((error as? FieldError)?.reason.contains("element 1 has the key \"0\"") ?? false)
        }
        let chain = try BSONDocument(validating: RawBSON.document([head, RawBSON.array("calls", keys: ["0", "2"])]))
        XCTAssertThrowsError(try Chain(document: chain)) { error in
            XCTAssertEqual((error as? FieldError)?.field, "calls")
        }
        for bad in [Int64.min, RecordTime.earliest - 1, RecordTime.latest + 1, Int64.max] {
            let document: BSONDocument = ["product": "NIFTY", "price": 1.0, "timestamp": .datetime(bad)]
            XCTAssertThrowsError(try Tick(document: document)) { error in
                XCTAssertEqual((error as? FieldError)?.field, "timestamp")
            }
        }
        XCTAssertNoThrow(try Tick(document: ["product": "NIFTY", "price": 1.0, "timestamp": .datetime(RecordTime.earliest)]))
        XCTAssertNoThrow(try Tick(document: ["product": "NIFTY", "price": 1.0, "timestamp": .datetime(RecordTime.latest)]))
    }
}
