import BSONCore
import TestSupport
import XCTest

/// One connection to the daemon under test with numbered requests: sends an
/// operation, checks that the reply carries the request's id, and unwraps the
/// result (expecting success) or the error (expecting failure).
final class RequestSession {
    let socket: RawSocket
    private var nextID: Int32 = 0

    init(_ socket: RawSocket) {
        self.socket = socket
    }

    /// Sends one request and returns the whole reply.
    @discardableResult
    func call(_ op: String, _ args: BSONDocument = [:], file: StaticString = #filePath, line: UInt = #line) throws -> BSONDocument {
        nextID += 1
        try socket.send(RequestBuilder.request(id: .int32(nextID), op: op, args: args))
        let reply = try XCTUnwrap(try socket.receiveDocument(), "no reply to \(op)", file: file, line: line)
        XCTAssertEqual(reply["id"], .int32(nextID), file: file, line: line)
        return reply
    }

    /// The result of a request that must succeed.
    @discardableResult
    func result(_ op: String, _ args: BSONDocument = [:], file: StaticString = #filePath, line: UInt = #line) throws -> BSONDocument {
        let reply = try call(op, args, file: file, line: line)
        XCTAssertEqual(reply["ok"], .bool(true), "\(op) failed: \(reply)", file: file, line: line)
        return reply["result"]?.documentValue ?? [:]
    }

    /// The error of a request that must fail.
    func error(_ op: String, _ args: BSONDocument = [:], file: StaticString = #filePath, line: UInt = #line) throws -> BSONDocument {
        let reply = try call(op, args, file: file, line: line)
        XCTAssertEqual(reply["ok"], .bool(false), "\(op) \(args) should fail: \(reply)", file: file, line: line)
        return reply["error"]?.documentValue ?? [:]
    }

    func close() {
        socket.close()
    }
}

/// Ticks for the end-to-end market-data tests, at offsets from one base time.
enum MarketFixtures {
    /// 2025-01-30T09:15:00Z.
    static let base: Int64 = 1_738_228_500_000

    static func tick(_ offset: Int64, price: Double = 100, product: String = "NIFTY", id: String? = nil) -> BSONValue {
        var pairs: [(String, BSONValue)] = [("product", .string(product)), ("price", .double(price)), ("timestamp", .datetime(base + offset))]
        if let id { pairs.append(("tick_id", .string(id))) }
        pairs.append(("processed_at", .datetime(base + offset + 3)))
        return .document(BSONDocument(pairs))
    }
}
