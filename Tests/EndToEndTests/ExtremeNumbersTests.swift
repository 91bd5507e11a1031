import BSONCore
import Foundation
import TestSupport
import XCTest

/// Every numeric argument of every operation (as `describe` lists them),
/// and the envelope's `deadline_ms`, with the numbers that break unchecked
/// arithmetic (the token claims have their own test, `AuthInputEndToEndTests`): Int64.min and Int64.max, ±2^53 (the edge of exact doubles),
/// and their neighbours, as int64, as datetime and as double. The daemon
/// answers each with a typed reply — never INTERNAL — and lives.
final class ExtremeNumbersTests: DaemonTestCase {
    static let integers: [Int64] = [.min, .min + 1, -(1 << 53) - 1, -(1 << 53), (1 << 53), (1 << 53) + 1, .max - 1, .max]

    static func values(for type: String) -> [BSONValue] {
        var values: [BSONValue] = []
        if type.contains("int") { values += integers.map(BSONValue.int64) + [.int32(.min), .int32(.max)] }
        if type.contains("datetime") { values += integers.map(BSONValue.datetime) }
        if type.contains("double") { values += [.double(Double(1 << 53)), .double(-Double(1 << 53)), .double(.greatestFiniteMagnitude), .double(-.greatestFiniteMagnitude)] }
        return values
    }

    func testExtremeNumbersInEveryNumericArgumentGetTypedRepliesAndTheDaemonLives() throws {
        let daemon = try startDaemon(arguments: ["--store", "sqlite:" + directory.file("numbers.db"), "--bcrypt-cost", "4"])
        let socket = try connect()
        defer { socket.close() }
        try socket.send(RequestBuilder.request(id: 1, op: "describe"))
        let ops = (try XCTUnwrap(try socket.receiveDocument())["result"]?.documentValue?["ops"]?.arrayValue ?? []).compactMap(\.documentValue)
        var requestID: Int32 = 1
        var sent = 0
        func send(_ op: String, _ args: BSONDocument, deadline: Int64? = nil, label: String) throws {
            requestID += 1
            var pairs: [(String, BSONValue)] = [("id", .int32(requestID)), ("op", .string(op)), ("args", .document(args))]
            if let deadline { pairs.append(("deadline_ms", .int64(deadline))) }
            try socket.send(BSONDocument(pairs))
            let reply = try XCTUnwrap(try socket.receiveDocument(), "\(label): no reply")
            XCTAssertEqual(reply["id"], .int32(requestID), label)
            XCTAssertNotEqual(reply["error"]?.documentValue?["code"]?.stringValue, "INTERNAL", "\(label): \(reply)")
            sent += 1
        }
        // The market-data operations need a product to get past the first checks.
        let context: [String: BSONValue] = ["product": "NIFTY", "symbol": "NIFTY25013023500CE", "expiry": "2025-01-30", "window": "1m"]
        for op in ops {
            guard let name = op["name"]?.stringValue, name != "reload" else { continue }
            let arguments = (op["args"]?.arrayValue ?? []).compactMap(\.documentValue)
            for argument in arguments {
                guard let field = argument["name"]?.stringValue, let type = argument["type"]?.stringValue else { continue }
                for value in Self.values(for: type) {
                    var pairs: [(String, BSONValue)] = arguments.compactMap { other in
                        guard let otherName = other["name"]?.stringValue, otherName != field, let fill = context[otherName] else { return nil }
                        return (otherName, fill)
                    }
                    pairs.append((field, value))
                    try send(name, BSONDocument(pairs), label: "\(name).\(field) = \(value)")
                }
            }
        }
        // Bars and queries over ordinary ticks, asked for the widest ranges.
        try send("ticks.insert", ["ticks": [["product": "EXTREME", "price": 1.5, "timestamp": .datetime(1_738_228_500_000), "tick_id": "t1"]]], label: "a tick")
        for window in ["1m", "5m", "15m", "1h"] {
            for (start, end) in [(Int64.min, Int64.max), (Int64.min, Int64.min), (Int64.max, Int64.max), (-(1 << 53), 1 << 53)] {
                try send("ticks.ohlc", ["product": "EXTREME", "window": .string(window), "start": .datetime(start), "end": .datetime(end)], label: "ohlc \(window) from \(start) to \(end)")
            }
        }
        try send("ticks.query", ["product": "EXTREME", "start": .datetime(.min), "end": .datetime(.max), "limit": 1000], label: "query, widest range")
        for deadline in Self.integers {
            try send("ping", BSONDocument(), deadline: deadline, label: "deadline_ms = \(deadline)")
        }
        XCTAssertGreaterThan(sent, 100)
        try socket.send(RequestBuilder.ping(id: 9999))
        XCTAssertEqual(try socket.receiveDocument()?["ok"], .bool(true))
        XCTAssertTrue(daemon.process.isRunning, "the daemon lives:\n\(daemon.log)")
    }
}
