import BSONCore
import Foundation
import TestSupport
import XCTest

/// The market-data operations over the socket against the daemon on its
/// embedded SQLite store: happy paths, every kind of bad input, and a restart
/// that keeps every acknowledged record. Every test runs against the built
/// binary (here) and against the daemon assembled in the test process
/// (`MarketDataInProcessTests`); none is binary-only.
class MarketDataTests: DaemonTestCase {
    private var session: RequestSession!
    private var daemon: (any DaemonUnderTest)?
    let base = MarketFixtures.base

    private func start(_ arguments: [String] = []) throws {
        daemon = try serveDaemon(arguments: ["--store", "sqlite:" + directory.file("store.db")] + arguments)
        session = RequestSession(try connect())
    }

    func testTicksInsertQueryLatestAndPaginate() throws {
        try start()
        let ticks: [BSONValue] = (0..<25).map { MarketFixtures.tick(Int64($0) * 1000, price: 100 + Double($0), id: "t\($0)") }
        XCTAssertEqual(try session.result("ticks.insert", ["ticks": .array(ticks)]), ["inserted": 25, "duplicates": 0, "conflicts": []])
        XCTAssertEqual(try session.result("ticks.insert", ["ticks": .array(Array(ticks.prefix(5)))]), ["inserted": 0, "duplicates": 5, "conflicts": []])

        let latest = try session.result("ticks.latest", ["product": "NIFTY"])
        XCTAssertEqual(latest["tick"], ticks.last)

        var seen: [BSONValue] = []
        var cursor: String?
        repeat {
            var args: BSONDocument = ["product": "NIFTY", "limit": 10, "order": "asc"]
            if let cursor { args = args.appending("cursor", .string(cursor)) }
            let page = try session.result("ticks.query", args)
            XCTAssertEqual(page["product"], "NIFTY")
            let records = page["ticks"]?.arrayValue ?? []
            XCTAssertEqual(page["count"]?.integerValue, Int64(records.count))
            seen += records
            cursor = page["next"]?.stringValue
        } while cursor != nil
        XCTAssertEqual(seen, ticks, "every tick exactly once, in order, with every field")

        let range = try session.result("ticks.query", ["product": "NIFTY", "start": .datetime(base + 5000), "end": .datetime(base + 7000)])
        XCTAssertEqual(range["ticks"]?.arrayValue, [ticks[7], ticks[6], ticks[5]], "inclusive range, newest first")

        XCTAssertEqual(try session.error("ticks.latest", ["product": "NOPE"])["code"], "NOT_FOUND")
    }

    func testQuotesChainsProductsExpiriesAndOHLC() throws {
        try start()
        let quote: BSONDocument = [
            "symbol": "NIFTY25013021500CE", "product": "NIFTY", "strike": 21_500.0, "expiry": "2025-01-30",
            "option_type": "CALL", "bid": 101.5, "ask": 102.0, "iv": 0.14, "timestamp": .datetime(base),
        ]
        XCTAssertEqual(try session.result("quotes.insert", ["quotes": [.document(quote)]])["inserted"], 1)
        let byProduct = try session.result("quotes.query", ["product": "NIFTY", "expiry": "2025-01-30", "option_type": "CALL", "strike_min": 21_000, "strike_max": 21_500])
        XCTAssertEqual(byProduct["quotes"]?.arrayValue, [.document(quote)])
        XCTAssertEqual(try session.result("quotes.query", ["symbol": "NIFTY25013021500CE", "option_type": "PUT"])["count"], 0)

        let chain: BSONDocument = [
            "product": "BANKNIFTY", "expiry": "2025-02-06", "spot_price": 46_010.5, "pcr_oi": 0.93,
            "calls": [.document(quote)], "puts": [], "timestamp": .datetime(base),
        ]
        XCTAssertEqual(try session.result("chains.insert", ["chains": [.document(chain)]])["inserted"], 1)
        XCTAssertEqual(try session.result("chains.latest", ["product": "BANKNIFTY", "expiry": "2025-02-06"])["chain"], .document(chain))
        let projected = try session.result("chains.query", ["product": "BANKNIFTY", "fields": ["pcr_oi"]])
        XCTAssertEqual(projected["chains"]?.arrayValue, [["product": "BANKNIFTY", "expiry": "2025-02-06", "pcr_oi": 0.93, "timestamp": .datetime(base)]])

        XCTAssertEqual(try session.result("ticks.insert", ["ticks": [MarketFixtures.tick(0, price: 10), MarketFixtures.tick(30_000, price: 12), MarketFixtures.tick(61_000, price: 11)]])["inserted"], 3)
        XCTAssertEqual(try session.result("products.list")["products"], ["BANKNIFTY", "NIFTY"])
        XCTAssertEqual(try session.result("expiries.list", ["product": "NIFTY"])["expiries"], ["2025-01-30"])

        let bars = try session.result("ticks.ohlc", ["product": "NIFTY", "window": "1m"])["bars"]?.arrayValue ?? []
        XCTAssertEqual(bars.count, 2)
        XCTAssertEqual(bars.first?.documentValue?["open"], 10.0)
        XCTAssertEqual(bars.first?.documentValue?["high"], 12.0)
        XCTAssertEqual(bars.first?.documentValue?["close"], 12.0)
        XCTAssertEqual(bars.first?.documentValue?["count"], 2)

        let health = try session.result("health")
        XCTAssertEqual(health["status"], "ok")
        XCTAssertEqual(health["store"]?.documentValue?["kind"], "sqlite")
        XCTAssertEqual(health["store"]?.documentValue?["ok"], true)
    }

    func testEveryArgumentOfTheWrongTypeIsInvalidArgumentNamingTheField() throws {
        try start()
        let now = BSONValue.datetime(base)
        let cases: [(String, BSONDocument, String)] = [
            ("ticks.query", [:], "product"),
            ("ticks.query", ["product": 5], "product"),
            ("ticks.query", ["product": ["$gt": ""]], "product"),
            ("ticks.query", ["product": "$where"], "product"),
            ("ticks.query", ["product": "NIFTY", "start": "2025-01-30T09:15:00Z"], "start"),
            ("ticks.query", ["product": "NIFTY", "end": .int64(base)], "end"),
            ("ticks.query", ["product": "NIFTY", "start": .datetime(base + 1), "end": now], "start"),
            ("ticks.query", ["product": "NIFTY", "limit": 0], "limit"),
            ("ticks.query", ["product": "NIFTY", "limit": 1001], "limit"),
            ("ticks.query", ["product": "NIFTY", "limit": 10.0], "limit"),
            ("ticks.query", ["product": "NIFTY", "order": "up"], "order"),
            ("ticks.query", ["product": "NIFTY", "cursor": 5], "cursor"),
            ("ticks.query", ["product": "NIFTY", "cursor": "garbage"], "cursor"),
            ("ticks.query", ["product": "NIFTY", "$where": "1"], "$where"),
            ("ticks.query", ["product": "NIFTY", "a.b": 1], "a.b"),
            ("ticks.query", ["product": "NIFTY", "extra": 1], "extra"),
            ("ticks.latest", ["product": .null], "product"),
            ("ticks.ohlc", ["product": "NIFTY"], "window"),
            ("ticks.ohlc", ["product": "NIFTY", "window": "2m"], "window"),
            ("ticks.insert", [:], "ticks"),
            ("ticks.insert", ["ticks": []], "ticks"),
            ("ticks.insert", ["ticks": "x"], "ticks"),
            ("quotes.query", ["expiry": "2025-01-30"], "symbol"),
            ("quotes.query", ["product": "NIFTY", "expiry": "2025-02-30"], "expiry"),
            ("quotes.query", ["product": "NIFTY", "option_type": "call"], "option_type"),
            ("quotes.query", ["product": "NIFTY", "strike_min": "1"], "strike_min"),
            ("quotes.query", ["product": "NIFTY", "strike_min": .double(.nan)], "strike_min"),
            ("quotes.query", ["product": "NIFTY", "strike_min": 2, "strike_max": 1], "strike_min"),
            ("chains.query", ["product": "NIFTY", "fields": "pcr_oi"], "fields"),
            ("chains.query", ["product": "NIFTY", "fields": ["$pcr"]], "fields.0"),
            ("chains.query", ["product": "NIFTY", "fields": [1]], "fields.0"),
            ("chains.latest", ["product": "NIFTY"], "expiry"),
            ("expiries.list", [:], "product"),
            ("products.list", ["x": 1], "x"),
        ]
        for (op, args, field) in cases {
            let error = try session.error(op, args)
            XCTAssertEqual(error["code"], "INVALID_ARGUMENT", "\(op) \(args)")
            XCTAssertEqual(error["details"]?.documentValue?["field"]?.stringValue, field, "\(op) \(args): \(error)")
        }
    }

    func testABatchWithOneBadItemWritesNothing() throws {
        try start()
        let items: [BSONValue] = [MarketFixtures.tick(0, id: "a"), MarketFixtures.tick(1000, id: "b"), ["product": "NIFTY", "price": .double(.infinity), "timestamp": .datetime(base + 2000)], MarketFixtures.tick(3000, id: "c")]
        let error = try session.error("ticks.insert", ["ticks": .array(items)])
        XCTAssertEqual(error["code"], "INVALID_ARGUMENT")
        XCTAssertEqual(error["details"]?.documentValue?["index"], 2)
        XCTAssertEqual(error["details"]?.documentValue?["field"], "price")
        XCTAssertEqual(try session.error("ticks.latest", ["product": "NIFTY"])["code"], "NOT_FOUND", "nothing was written")

        let operatorKey = try session.error("ticks.insert", ["ticks": [["product": "NIFTY", "price": 1.0, "timestamp": .datetime(base), "meta": ["$set": 1]]]])
        XCTAssertEqual(operatorKey["details"]?.documentValue?["field"], "meta.$set")
        let idKey = try session.error("ticks.insert", ["ticks": [["_id": 1, "product": "NIFTY", "price": 1.0, "timestamp": .datetime(base)]]])
        XCTAssertEqual(idKey["details"]?.documentValue?["field"], "_id")
        // A key twice in one record: which price would count? Refused, naming the second.
        let twice = BSONDocument([("product", "NIFTY"), ("price", 1.0), ("timestamp", .datetime(base)), ("price", 2.0)])
        let repeated = try session.error("ticks.insert", ["ticks": [.document(twice)]])
        XCTAssertEqual(repeated["code"], "INVALID_ARGUMENT")
        XCTAssertEqual(repeated["details"]?.documentValue?["field"], "price")
        XCTAssertEqual(try session.error("ticks.latest", ["product": "NIFTY"])["code"], "NOT_FOUND", "nothing was written")
    }

    func testCursorsAreBoundToTheirQueryAndTamperProof() throws {
        try start()
        try session.result("ticks.insert", ["ticks": .array((0..<5).map { MarketFixtures.tick(Int64($0) * 1000) })])
        let page = try session.result("ticks.query", ["product": "NIFTY", "limit": 2])
        let cursor = try XCTUnwrap(page["next"]?.stringValue)
        let other = try session.error("ticks.query", ["product": "NIFTY", "limit": 2, "order": "asc", "cursor": .string(cursor)])
        XCTAssertEqual(other["code"], "INVALID_ARGUMENT")
        XCTAssertEqual(other["details"]?.documentValue?["field"], "cursor")
        var tampered = Array(cursor)
        tampered[tampered.count / 2] = tampered[tampered.count / 2] == "A" ? "B" : "A"
        XCTAssertEqual(try session.error("ticks.query", ["product": "NIFTY", "limit": 2, "cursor": .string(String(tampered))])["code"], "INVALID_ARGUMENT")
        XCTAssertEqual(try session.result("ticks.query", ["product": "NIFTY", "limit": 5, "cursor": .string(cursor)])["count"], 3, "a page size may change between pages")
    }

    func testMaxPageAndMaxBatchComeFromTheConfiguration() throws {
        try start(["--max-page", "3", "--max-batch", "2"])
        let hello = try session.result("hello")
        XCTAssertEqual(hello["limits"]?.documentValue?["max_page"]?.integerValue, 3)
        XCTAssertEqual(hello["limits"]?.documentValue?["max_batch"]?.integerValue, 2)
        XCTAssertEqual(try session.error("ticks.insert", ["ticks": [MarketFixtures.tick(0), MarketFixtures.tick(1), MarketFixtures.tick(2)]])["details"]?.documentValue?["field"], "ticks")
        XCTAssertEqual(try session.error("ticks.query", ["product": "NIFTY", "limit": 4])["details"]?.documentValue?["field"], "limit")
        try session.result("ticks.insert", ["ticks": [MarketFixtures.tick(0), MarketFixtures.tick(1)]])
        try session.result("ticks.insert", ["ticks": [MarketFixtures.tick(2), MarketFixtures.tick(3)]])
        XCTAssertEqual(try session.result("ticks.query", ["product": "NIFTY"])["count"], 3, "the default page is capped by max_page")
    }

    func testRestartKeepsEveryAcknowledgedRecord() throws {
        try start()
        var acknowledged = 0
        for batch in 0..<20 {
            let items: [BSONValue] = (0..<50).map { MarketFixtures.tick(Int64(batch * 50 + $0) * 10, id: "b\(batch)-\($0)") }
            acknowledged += Int(try session.result("ticks.insert", ["ticks": .array(items)])["inserted"]?.integerValue ?? 0)
        }
        XCTAssertEqual(acknowledged, 1000)
        session.close()
        let first = try XCTUnwrap(daemon)
        XCTAssertEqual(first.stopGracefully(timeout: 20), 0, first.log)

        try start()
        var count = 0
        var cursor: String?
        repeat {
            var args: BSONDocument = ["product": "NIFTY", "limit": 1000]
            if let cursor { args = args.appending("cursor", .string(cursor)) }
            let page = try session.result("ticks.query", args)
            count += Int(page["count"]?.integerValue ?? 0)
            cursor = page["next"]?.stringValue
        } while cursor != nil
        XCTAssertEqual(count, acknowledged)
    }
}

/// `MarketDataTests`' bodies against the daemon assembled in the test process. (Test
/// discovery on Linux lists only the methods a class declares: each one is
/// named here, and `testInProcessRunsEveryBody` checks that none is missing.)
final class MarketDataInProcessTests: MarketDataTests {
    override var driver: DaemonDriver { .inProcess }

    override func testTicksInsertQueryLatestAndPaginate() throws { try super.testTicksInsertQueryLatestAndPaginate() }
    override func testQuotesChainsProductsExpiriesAndOHLC() throws { try super.testQuotesChainsProductsExpiriesAndOHLC() }
    override func testEveryArgumentOfTheWrongTypeIsInvalidArgumentNamingTheField() throws { try super.testEveryArgumentOfTheWrongTypeIsInvalidArgumentNamingTheField() }
    override func testABatchWithOneBadItemWritesNothing() throws { try super.testABatchWithOneBadItemWritesNothing() }
    override func testCursorsAreBoundToTheirQueryAndTamperProof() throws { try super.testCursorsAreBoundToTheirQueryAndTamperProof() }
    override func testMaxPageAndMaxBatchComeFromTheConfiguration() throws { try super.testMaxPageAndMaxBatchComeFromTheConfiguration() }
    override func testRestartKeepsEveryAcknowledgedRecord() throws { try super.testRestartKeepsEveryAcknowledgedRecord() }

    func testInProcessRunsEveryBody() throws {
        try DeclaredTests.assertNamesEveryTest(of: "MarketDataTests", in: "MarketDataTests.swift", subclass: Self.self)
    }
}
