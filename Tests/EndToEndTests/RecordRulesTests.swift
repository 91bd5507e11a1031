import BSONCore
import Foundation
import TestSupport
import XCTest

/// The record rules over a real socket, against the built daemon on both
/// stores (SQLite, and MongoDB through the stand-in): no value a client can
/// send or a store can hold crashes any operation, the −2^63 tick is refused
/// and `ticks.ohlc` answers, cursors are sealed (forged, altered and
/// cross-query ones refused) and keep working across a restart, and
/// misnumbered arrays are refused.
final class RecordRulesTests: DaemonTestCase {
    enum Store: CaseIterable {
        case sqlite, mongodb
    }

    private var standIn: MongoStandInProcess?
    private var daemon: DaemonProcess?
    private var session: RequestSession!
    let base = MarketFixtures.base

    override func tearDown() {
        session?.close()
        super.tearDown()
        standIn?.remove()
    }

    private func storeArguments(_ store: Store) throws -> [String] {
        switch store {
        case .sqlite:
            return ["--store", "sqlite:" + directory.file("rules.db")]
        case .mongodb:
            if standIn == nil {
                let process = try MongoStandInProcess(persistent: true)
                try process.start()
                standIn = process
            }
            return ["--store", standIn?.uri(database: "rules") ?? ""]
        }
    }

    /// (Re)starts the daemon on `store`, keeping its state directory.
    private func start(_ store: Store) throws {
        session?.close()
        daemon?.stop()
        daemon = try startDaemon(arguments: try storeArguments(store))
        session = RequestSession(try connect())
        XCTAssertEqual(try session.result("hello")["store"], store == .sqlite ? "sqlite" : "mongodb")
    }

    private func forEachStore(_ body: (Store) throws -> Void) throws {
        for store in Store.allCases {
            try body(store)
            session?.close()
            session = nil
            daemon?.stop()
            daemon = nil
            directory.remove()
            directory = try TemporaryDirectory()
        }
    }

    private func tick(_ offset: Int64, price: BSONValue = 100, product: String = "NIFTY", id: BSONValue? = nil, extra: [(String, BSONValue)] = []) -> BSONValue {
        var pairs: [(String, BSONValue)] = [("product", .string(product)), ("price", price), ("timestamp", .datetime(base + offset))]
        if let id { pairs.append(("tick_id", id)) }
        return .document(BSONDocument(pairs + extra))
    }

    private func expectInvalid(_ op: String, _ args: BSONDocument, field: String, index: Int32? = nil, reasonContains: String? = nil, file: StaticString = #filePath, line: UInt = #line) throws {
        let error = try session.error(op, args, file: file, line: line)
        XCTAssertEqual(error["code"], "INVALID_ARGUMENT", "\(error)", file: file, line: line)
        let details = error["details"]?.documentValue ?? [:]
        XCTAssertEqual(details["field"], .string(field), "\(error)", file: file, line: line)
        if let index { XCTAssertEqual(details["index"], .int32(index), "\(error)", file: file, line: line) }
        if let reasonContains {
            XCTAssertTrue(details["reason"]?.stringValue?.contains(reasonContains) ?? false, "\(error)", file: file, line: line)
        }
    }

    func testTheMinus2To63TickIsRefusedAndEveryOperationAnswersOverExtremeRecords() throws {
        try forEachStore { store in
            try start(store)
            try expectInvalid("ticks.insert", ["ticks": [.document(["product": "NIFTY", "price": 1.0, "timestamp": .datetime(.min)])]],
                              field: "timestamp", index: 0, reasonContains: "0001-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z")
            try expectInvalid("ticks.insert", ["ticks": [.document(["product": "NIFTY", "price": 1.0, "timestamp": .datetime(.max)])]], field: "timestamp", index: 0)
            for window in ["1m", "5m", "15m", "1h"] {
                XCTAssertEqual(try session.result("ticks.ohlc", ["product": "NIFTY", "window": .string(window)])["bars"], [], "\(store)")
            }

            let earliest: Int64 = -62_135_596_800_000 - base
            let latest: Int64 = 253_402_300_799_999 - base
            let free: [(String, BSONValue)] = [("nan", .double(.nan)), ("negative_zero", .double(-0.0)), ("at_min", .datetime(.min)), ("big", .int64(.min))]
            let ticks: [BSONValue] = [
                tick(earliest, price: .double(5e-324), id: .int64(.min), extra: free),
                tick(latest, price: .double(.greatestFiniteMagnitude), id: .int64(.max)),
                tick(0, price: .int64(.max), id: .int32(.min)),
                tick(1, price: .double(9_007_199_254_740_992), id: .string(String(repeating: "z", count: 128))),
                tick(2, price: .int64(9_007_199_254_740_993), extra: free),
            ]
            XCTAssertEqual(try session.result("ticks.insert", ["ticks": .array(ticks)]), ["inserted": 5, "duplicates": 0, "conflicts": []], "\(store)")
            let quote: BSONDocument = [
                "symbol": "NIFTY-EDGE", "product": "NIFTY", "strike": .double(.greatestFiniteMagnitude), "expiry": "9999-12-31",
                "option_type": "CALL", "timestamp": .datetime(base + latest), "iv": .double(.nan),
            ]
            XCTAssertEqual(try session.result("quotes.insert", ["quotes": [.document(quote), .document(quote.setting("timestamp", .datetime(base + earliest)).setting("strike", .double(5e-324)).setting("expiry", "0001-01-01"))]])["inserted"], 2)
            let chain: BSONDocument = ["product": "NIFTY", "expiry": "0001-01-01", "timestamp": .datetime(base + earliest), "calls": [.document(["strike": .double(5e-324)])], "*": 1, "a,b": 2]
            XCTAssertEqual(try session.result("chains.insert", ["chains": [.document(chain)]])["inserted"], 1)

            let bounds: [BSONValue?] = [nil, .datetime(.min), .datetime(base + earliest), .datetime(.max), .datetime(base + latest)]
            for start in bounds {
                for end in bounds {
                    var range: [(String, BSONValue)] = []
                    if let start { range.append(("start", start)) }
                    if let end { range.append(("end", end)) }
                    if case .datetime(let s)? = start, case .datetime(let e)? = end, s > e { continue }
                    for order in ["desc", "asc"] {
                        var args = BSONDocument([("product", "NIFTY"), ("limit", 2), ("order", .string(order))] + range)
                        var pages = 0
                        while true {
                            let page = try session.result("ticks.query", args)
                            pages += 1
                            guard let next = page["next"]?.stringValue, pages < 10 else { break }
                            args = BSONDocument(args.elements.filter { $0.key != "cursor" }.map { ($0.key, $0.value) } + [("cursor", .string(next))])
                        }
                        _ = try session.result("quotes.query", BSONDocument([("product", "NIFTY"), ("strike_min", .double(-.greatestFiniteMagnitude)), ("strike_max", .double(.greatestFiniteMagnitude)), ("order", .string(order))] + range))
                        _ = try session.result("quotes.query", BSONDocument([("symbol", "NIFTY-EDGE"), ("strike_min", .double(-0.0)), ("order", .string(order))] + range))
                        _ = try session.result("chains.query", BSONDocument([("product", "NIFTY"), ("fields", ["*", "a,b"]), ("order", .string(order))] + range))
                    }
                    for window in ["1m", "5m", "15m", "1h"] {
                        _ = try session.result("ticks.ohlc", BSONDocument([("product", "NIFTY"), ("window", .string(window)), ("limit", 1000)] + range))
                    }
                }
            }
            let bars = try session.result("ticks.ohlc", ["product": "NIFTY", "window": "1h", "limit": 1000])["bars"]?.arrayValue ?? []
            XCTAssertEqual(bars.count, 3, "year 1, 2025 and year 9999: \(bars)")
            XCTAssertEqual(try session.result("ticks.latest", ["product": "NIFTY"])["tick"], ticks[1])
            XCTAssertEqual(try session.result("chains.latest", ["product": "NIFTY", "expiry": "0001-01-01"])["chain"], .document(chain))
            XCTAssertEqual(try session.result("expiries.list", ["product": "NIFTY"])["expiries"], ["0001-01-01", "9999-12-31"])
            XCTAssertEqual(try session.result("products.list")["products"], ["NIFTY"])
            XCTAssertEqual(try session.result("health")["status"], "ok")

            // Misnumbered arrays: the batch itself, and one inside a record.
            let batch = RawBSON.document(
                RawBSON.element(0x10, "id", RawBSON.int32(900)), RawBSON.element(0x02, "op", RawBSON.string(Array("ticks.insert".utf8))),
                RawBSON.element(0x03, "args", RawBSON.document(RawBSON.array("ticks", keys: ["0", "0"])))
            )
            try session.socket.send(batch)
            let reply = try XCTUnwrap(try session.socket.receiveDocument())
            XCTAssertEqual(reply["error"]?.documentValue?["details"]?.documentValue?["field"], "ticks", "\(reply)")
            XCTAssertTrue(daemon?.process.isRunning ?? false, "\(store): the daemon is still up")
        }
    }

    func testCursorsAreSealedBoundToTheirQueryAndSurviveARestart() throws {
        try forEachStore { store in
            try start(store)
            let ticks: [BSONValue] = (0..<30).map { tick(Int64($0) * 1_000, id: .string("t\($0)")) }
            XCTAssertEqual(try session.result("ticks.insert", ["ticks": .array(ticks)])["inserted"], 30)
            let first = try session.result("ticks.query", ["product": "NIFTY", "limit": 10, "order": "asc"])
            let next = try XCTUnwrap(first["next"]?.stringValue)

            // Altered: any character changed; made up; another query's.
            var altered = Array(next)
            altered[altered.count / 2] = altered[altered.count / 2] == "A" ? "B" : "A"
            try expectInvalid("ticks.query", ["product": "NIFTY", "limit": 10, "order": "asc", "cursor": .string(String(altered))], field: "cursor", reasonContains: "altered")
            try expectInvalid("ticks.query", ["product": "NIFTY", "cursor": "AgAAAAAAAAAACAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"], field: "cursor")
            try expectInvalid("ticks.query", ["product": "NIFTY", "limit": 10, "cursor": .string(next)], field: "cursor", reasonContains: "different query")
            try expectInvalid("ticks.query", ["product": "BANKNIFTY", "limit": 10, "order": "asc", "cursor": .string(next)], field: "cursor", reasonContains: "different query")
            try expectInvalid("ticks.query", ["product": "NIFTY", "order": "asc", "start": .datetime(base), "cursor": .string(next)], field: "cursor", reasonContains: "different query")

            // Values that a sentinel or a joined list used to make equal.
            let quotes: [BSONValue] = (0..<3).map { index in
                .document(["symbol": "-", "product": "NIFTY", "strike": 100.0, "expiry": "2025-01-30", "option_type": "CALL", "timestamp": .datetime(base + Int64(index))])
            }
            XCTAssertEqual(try session.result("quotes.insert", ["quotes": .array(quotes)])["inserted"], 3)
            let quoteNext = try XCTUnwrap(try session.result("quotes.query", ["product": "NIFTY", "limit": 1])["next"]?.stringValue)
            try expectInvalid("quotes.query", ["product": "NIFTY", "symbol": "-", "limit": 1, "cursor": .string(quoteNext)], field: "cursor", reasonContains: "different query")
            XCTAssertEqual(try session.result("quotes.query", ["product": "NIFTY", "limit": 1, "cursor": .string(quoteNext)])["count"], 1)
            let chains: [BSONValue] = (0..<3).map { .document(["product": "NIFTY", "expiry": "2025-01-30", "timestamp": .datetime(base + Int64($0)), "a": 1, "b": 2]) }
            XCTAssertEqual(try session.result("chains.insert", ["chains": .array(chains)])["inserted"], 3)
            let split = try XCTUnwrap(try session.result("chains.query", ["product": "NIFTY", "limit": 1, "fields": ["a", "b"]])["next"]?.stringValue)
            try expectInvalid("chains.query", ["product": "NIFTY", "limit": 1, "fields": ["a,b"], "cursor": .string(split)], field: "cursor", reasonContains: "different query")
            let whole = try XCTUnwrap(try session.result("chains.query", ["product": "NIFTY", "limit": 1])["next"]?.stringValue)
            try expectInvalid("chains.query", ["product": "NIFTY", "limit": 1, "fields": ["*"], "cursor": .string(whole)], field: "cursor", reasonContains: "different query")

            // The secret lives in the state directory, 0600, never in the log.
            let keyPath = directory.file("data/cursor-key")
            let attributes = try FileManager.default.attributesOfItem(atPath: keyPath)
            XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
            let secretLine = try XCTUnwrap(try String(contentsOfFile: keyPath, encoding: .utf8).split(separator: "\n").last.map(String.init))
            XCTAssertFalse(daemon?.log.contains(secretLine) ?? true)

            // After a restart the cursor continues exactly where it was.
            try start(store)
            let second = try session.result("ticks.query", ["product": "NIFTY", "limit": 10, "order": "asc", "cursor": .string(next)])
            XCTAssertEqual(second["ticks"]?.arrayValue, Array(ticks[10..<20]), "\(store)")
            XCTAssertFalse(daemon?.log.contains(secretLine) ?? true)
        }
    }

    /// A tick at −2^63 ms already in a SQLite file (written by a version
    /// without the time rule): `ticks.ohlc` answers, at start and after.
    func testAnOldStoresMinus2To63TickDoesNotCrashTheBars() throws {
        try start(.sqlite)
        XCTAssertEqual(try session.result("ticks.insert", ["ticks": [tick(0, price: 5)]])["inserted"], 1)
        session.close()
        daemon?.stop()
        let legacy: BSONDocument = ["product": "NIFTY", "price": 7.0, "timestamp": .datetime(.min)]
        let hex = legacy.bytes.map { String(format: "%02x", $0) }.joined()
        let script = "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('INSERT INTO ticks (product, ts, price, tick_key, doc) VALUES (?, ?, ?, NULL, ?)', ('NIFTY', -2**63, 7.0, bytes.fromhex(sys.argv[2]))); c.commit()"
        let python = Process()
        let interpreter = MongoStandInProcess.python
        python.executableURL = URL(fileURLWithPath: interpreter.hasPrefix("/") ? interpreter : "/usr/bin/env")
        python.arguments = (interpreter.hasPrefix("/") ? [] : [interpreter]) + ["-c", script, directory.file("rules.db"), hex]
        try python.run()
        python.waitUntilExit()
        XCTAssertEqual(python.terminationStatus, 0, "the legacy row was written")

        try start(.sqlite)
        for window in ["1m", "5m", "15m", "1h"] {
            let bars = try session.result("ticks.ohlc", ["product": "NIFTY", "window": .string(window)])["bars"]?.arrayValue ?? []
            XCTAssertEqual(bars.count, 1, "only the tick in the record range counts: \(bars)")
            XCTAssertEqual(bars.first?.documentValue?["close"], 5.0)
        }
        let all = try session.result("ticks.query", ["product": "NIFTY", "order": "asc"])["ticks"]?.arrayValue ?? []
        XCTAssertEqual(all.first, .document(legacy), "the old tick is still served as stored")
        XCTAssertTrue(daemon?.process.isRunning ?? false)
    }
}
