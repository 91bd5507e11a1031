import BSONCore
import CSQLite
import Domain
import Foundation
import Logging
import NIOPosix
@testable import SQLiteStore
import Testing

let quietLogger = Logger(label: "deltastore.sqlite-tests", factory: { _ in SwiftLogNoOpLogHandler() })

/// A base time (2024-03-01T09:15:00Z).
let marketOpen: Int64 = 1_709_284_500_000

/// A fresh directory under /tmp, removed by `remove()`.
struct ScratchDirectory: Sendable {
    let path: String

    init() throws {
        var template = Array("/tmp/ds-sqlite-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else { throw StoreError.failure("mkdtemp failed") }
        path = String(cString: created)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

func openStore(_ path: String, readerCount: Int = 2) async throws -> SQLiteMarketStore {
    try await SQLiteMarketStore.open(path: path, threadPool: .singleton, logger: quietLogger, readerCount: readerCount)
}

/// A store in a fresh directory for the duration of `body`.
func withStore<T: Sendable>(_ body: (SQLiteMarketStore, ScratchDirectory) async throws -> T) async throws -> T {
    let directory = try ScratchDirectory()
    let store = try await openStore(directory.file("market.sqlite"))
    do {
        let result = try await body(store, directory)
        await store.close()
        directory.remove()
        return result
    } catch {
        await store.close()
        directory.remove()
        throw error
    }
}

/// A connection of our own to inspect the file (on the test's thread: tests
/// may block).
func rawConnection(_ path: String) throws -> SQLiteConnection {
    let connection = try SQLiteConnection.open(path: path, flags: SQLITE_OPEN_READWRITE)
    try connection.exec("PRAGMA busy_timeout = 5000")
    return connection
}

func tick(_ product: String, at timestamp: Int64, price: Double = 100, tickID: BSONValue? = nil) throws -> Tick {
    var pairs: [(String, BSONValue)] = [("product", .string(product)), ("price", .double(price)), ("timestamp", .datetime(timestamp))]
    if let tickID { pairs.append(("tick_id", tickID)) }
    return try Tick(document: BSONDocument(pairs))
}

func quote(_ product: String, strike: Double, expiry: String, _ type: Quote.OptionType, at timestamp: Int64) throws -> Quote {
    try Quote(document: [
        "symbol": .string("\(product)-\(expiry)-\(Int(strike))-\(type.rawValue)"), "product": .string(product),
        "strike": .double(strike), "expiry": .string(expiry), "option_type": .string(type.rawValue),
        "bid": 1.5, "ask": 2.0, "timestamp": .datetime(timestamp),
    ])
}

func chain(_ product: String, expiry: String, at timestamp: Int64) throws -> Chain {
    try Chain(document: [
        "product": .string(product), "expiry": .string(expiry), "pcr_oi": 0.9,
        "calls": .array([.document(["strike": 100.0, "bid": 1.0])]), "puts": .array([]),
        "timestamp": .datetime(timestamp),
    ])
}

/// Asserts that `body` throws a `StoreError` of the kind `matches` accepts.
func expectStoreError(
    _ matches: (StoreError) -> Bool,
    _ comment: Comment? = nil,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> Void
) async {
    do {
        try await body()
        Issue.record("expected a StoreError, nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as StoreError {
        #expect(matches(error), "unexpected \(error) \(comment.map { "\($0)" } ?? "")", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected a StoreError, got \(error)", sourceLocation: sourceLocation)
    }
}

extension StoreError {
    var isUnavailable: Bool { if case .unavailable = self { return true } else { return false } }
    var isFailure: Bool { if case .failure = self { return true } else { return false } }
    var message: String {
        switch self {
        case .unavailable(let s), .conflict(let s), .failure(let s): return s
        }
    }
}
