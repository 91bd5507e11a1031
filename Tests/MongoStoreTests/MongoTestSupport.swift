import BSONCore
import Domain
import Foundation
import Logging
@_spi(Testing) @testable import MongoStore
import NIOCore
import NIOPosix
import Testing
import TestSupport

let quietLogger = Logger(label: "deltastore.mongo-tests", factory: { _ in SwiftLogNoOpLogHandler() })

/// The thread pool the stores under test run libmongoc calls on. Larger than
/// the shared singleton (one thread per core): tests run in parallel and a
/// call during an outage holds its thread for the server selection timeout,
/// which would otherwise delay other tests' calls and their timing checks.
let mongoTestThreads: NIOThreadPool = {
    let pool = NIOThreadPool(numberOfThreads: 16)
    pool.start()
    return pool
}()

/// 2024-03-01T09:15:00Z.
let marketOpen: Int64 = 1_709_284_500_000

/// A started stand-in and a store opened on it; both are torn down afterwards.
/// `arguments` apply to every run of the stand-in, `firstRun` only to the
/// first (e.g. `--exit-on`, so that a restarted stand-in behaves).
func withStandIn<T: Sendable>(
    persistent: Bool = false,
    recording: Bool = false,
    arguments: [String] = [],
    firstRun: [String] = [],
    writeConcern: String = "majority",
    _ body: (MongoStandInProcess, MongoMarketStore) async throws -> T
) async throws -> T {
    let standIn = try MongoStandInProcess(persistent: persistent, recording: recording, arguments: arguments)
    let store: MongoMarketStore
    do {
        try await standIn.launch(arguments: firstRun)
        store = try await MongoMarketStore.open(
            uri: standIn.uri(database: "deltastore_test"), threadPool: mongoTestThreads, logger: quietLogger,
            writeConcern: writeConcern, startupTimeout: .seconds(15)
        )
    } catch {
        await standIn.removeAsync()
        throw error
    }
    do {
        let result = try await body(standIn, store)
        await store.close()
        await standIn.removeAsync()
        return result
    } catch {
        await store.close()
        await standIn.removeAsync()
        throw error
    }
}

/// A stand-in for a test that opens its own stores; removed afterwards.
func withBareStandIn<T: Sendable>(
    transport: MongoStandInProcess.Transport = .unixSocket,
    persistent: Bool = false,
    start: Bool = true,
    _ body: (MongoStandInProcess) async throws -> T
) async throws -> T {
    let standIn = try MongoStandInProcess(transport: transport, persistent: persistent)
    do {
        if start { try await standIn.launch() }
        let result = try await body(standIn)
        await standIn.removeAsync()
        return result
    } catch {
        await standIn.removeAsync()
        throw error
    }
}

enum Make {
    static func tick(_ product: String, at timestamp: Int64, price: Double = 100, tickID: BSONValue? = nil, extra: [(String, BSONValue)] = []) throws -> Tick {
        var pairs: [(String, BSONValue)] = [("product", .string(product)), ("price", .double(price)), ("timestamp", .datetime(timestamp))]
        if let tickID { pairs.append(("tick_id", tickID)) }
        return try Tick(document: BSONDocument(pairs + extra))
    }

    static func quote(_ symbol: String, product: String = "NIFTY", strike: Double = 22000, expiry: String = "2024-03-28", type: Quote.OptionType = .call, at timestamp: Int64) throws -> Quote {
        try Quote(document: [
            "symbol": .string(symbol), "product": .string(product), "strike": .double(strike), "expiry": .string(expiry),
            "option_type": .string(type.rawValue), "bid": 1.5, "timestamp": .datetime(timestamp),
        ])
    }

    static func chain(_ product: String, expiry: String = "2024-03-28", at timestamp: Int64) throws -> Chain {
        try Chain(document: [
            "product": .string(product), "expiry": .string(expiry), "spot_price": 22_010.5, "pcr_oi": 0.93,
            "calls": [], "puts": [], "timestamp": .datetime(timestamp),
        ])
    }
}

extension MongoMarketStore {
    /// The documents of `collection` exactly as stored (with `_id` and the
    /// bookkeeping fields), in insertion order.
    func storedDocuments(_ collection: String) async throws -> [BSONDocument] {
        let reply = try await runCommand(["find": .string(collection), "sort": ["_id": 1], "batchSize": 10_000])
        return (reply["cursor"]?.documentValue?["firstBatch"]?.arrayValue ?? []).compactMap(\.documentValue)
    }

    /// The first batch of a cursor-returning command.
    func firstBatch(_ command: BSONDocument) async throws -> [BSONDocument] {
        let reply = try await runCommand(command)
        return (reply["cursor"]?.documentValue?["firstBatch"]?.arrayValue ?? []).compactMap(\.documentValue)
    }
}

/// Runs `body`, expecting `StoreError.unavailable`; returns how long it took.
func expectUnavailable(_ what: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void) async -> Duration {
    let clock = ContinuousClock()
    let started = clock.now
    do {
        try await body()
        Issue.record("\(what) succeeded; expected UNAVAILABLE", sourceLocation: sourceLocation)
    } catch let error as StoreError {
        if case .unavailable = error {} else { Issue.record("\(what): expected unavailable, got \(error)", sourceLocation: sourceLocation) }
    } catch {
        Issue.record("\(what): expected StoreError.unavailable, got \(error)", sourceLocation: sourceLocation)
    }
    return clock.now - started
}

/// Retries `body` until it succeeds or `timeout` passes.
func eventually<T>(timeout: Duration = .seconds(20), _ body: () async throws -> T) async throws -> T {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while true {
        do {
            return try await body()
        } catch {
            if clock.now >= deadline { throw error }
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}
