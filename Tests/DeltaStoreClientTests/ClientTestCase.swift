#if canImport(Glibc)
import Glibc
#endif
import BSONCore
import DeltaStoreClient
import Foundation
import TestSupport
import XCTest

/// Base for the client's tests: each test gets a temporary directory, a
/// `deltastored` on its own socket and SQLite file (bcrypt cost 4, so auth
/// tests stay fast), and clients that are closed afterwards.
class ClientTestCase: XCTestCase {
    var directory: TemporaryDirectory!
    var daemon: DaemonProcess!
    private var clients: [DeltaStoreClient] = []

    var socketPath: String { directory.file("d.sock") }
    var storeArguments: [String] { ["--store", "sqlite:" + directory.file("store.db"), "--bcrypt-cost", "4"] }

    /// Extra daemon options for a test class.
    var daemonArguments: [String] { [] }

    override func setUp() async throws {
        directory = try TemporaryDirectory(prefix: "dsc")
        try startDaemon()
    }

    override func tearDown() async throws {
        for client in clients { await client.close() }
        clients = []
        daemon?.stop(grace: 5)
        directory?.remove()
    }

    /// Starts (or restarts) the daemon on the test's socket and store.
    func startDaemon() throws {
        daemon = try DaemonProcess(socketPath: socketPath, arguments: storeArguments + daemonArguments, workingDirectory: directory.path)
        try daemon.waitUntilListening()
    }

    /// A client of the test's daemon, closed at the end of the test.
    func makeClient(poolSize: Int = 2, defaultDeadline: Duration? = .seconds(30), timeoutGrace: Duration = .seconds(1)) -> DeltaStoreClient {
        let client = DeltaStoreClient(configuration: DeltaStoreClientConfiguration(
            socketPath: socketPath, poolSize: poolSize, defaultDeadline: defaultDeadline, timeoutGrace: timeoutGrace, clientName: "client-tests"
        ))
        clients.append(client)
        return client
    }

    /// Asserts that `body` throws a `DeltaStoreError` with `code`, and returns it.
    @discardableResult
    func expectError<T>(
        _ code: ErrorCodeName, file: StaticString = #filePath, line: UInt = #line, _ body: () async throws -> T
    ) async -> DeltaStoreError? {
        do {
            let value = try await body()
            XCTFail("expected \(code.rawValue), got \(value)", file: file, line: line)
            return nil
        } catch let error as DeltaStoreError {
            XCTAssertEqual(error.code?.rawValue, code.rawValue, "\(error)", file: file, line: line)
            return error
        } catch {
            XCTFail("expected DeltaStoreError \(code.rawValue), got \(error)", file: file, line: line)
            return nil
        }
    }
}

/// Error codes by their wire names, so tests read like the protocol.
enum ErrorCodeName: String {
    case BAD_REQUEST, UNKNOWN_OP, INVALID_ARGUMENT, NOT_FOUND, CONFLICT, UNAUTHENTICATED
    case TOKEN_EXPIRED, TOKEN_INVALID, TOKEN_REVOKED, RATE_LIMITED, UNAVAILABLE, DEADLINE_EXCEEDED
    case RESOURCE_EXHAUSTED
}

/// Records for tests.
enum Records {
    static let base = Date(timeIntervalSince1970: 1_738_228_500) // 2025-01-30T09:15:00Z

    static func tick(_ product: String, _ price: Double, second: Int, id: String? = nil) -> BSONDocument {
        var pairs: [(String, BSONValue)] = [
            ("product", .string(product)), ("price", .double(price)),
            ("timestamp", .datetime(base.addingTimeInterval(Double(second)).bsonMilliseconds)),
        ]
        if let id { pairs.append(("tick_id", .string(id))) }
        return BSONDocument(pairs)
    }

    static func quote(_ symbol: String, strike: Int32, type: String, second: Int, expiry: String = "2025-01-30") -> BSONDocument {
        [
            "symbol": .string(symbol), "product": "NIFTY", "strike": .int32(strike), "expiry": .string(expiry),
            "option_type": .string(type), "timestamp": .datetime(base.addingTimeInterval(Double(second)).bsonMilliseconds),
            "bid": 120.5, "iv": 0.125,
        ]
    }

    static func chain(expiry: String, second: Int, pcr: Double) -> BSONDocument {
        [
            "product": "NIFTY", "expiry": .string(expiry), "timestamp": .datetime(base.addingTimeInterval(Double(second)).bsonMilliseconds),
            "spot_price": 23500.5, "pcr_oi": .double(pcr), "calls": [["strike": 23500, "bid": 120.5]], "puts": [["strike": 23500]],
        ]
    }
}
