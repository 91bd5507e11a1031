import Domain
import Foundation
import Logging
@_spi(Testing) import MongoStore
import NIOPosix
import SQLiteStore
import TestSupport

/// The stores the contract suite runs against. The factory below is the only
/// store-specific code in this target: every test takes a `StoreUnderTest`
/// and sees nothing but `MarketStore`.
enum StoreUnderTest: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    /// Through the MongoDB stand-in (one per store, on a Unix socket), or a
    /// real MongoDB when `DELTASTORE_TEST_MONGODB_URI` is set: then each store
    /// gets a throwaway database that is dropped afterwards.
    case mongodb

    var description: String { rawValue }

    /// Whether the store can hold records whose datetimes lie outside years 1
    /// to 9999 (what an older deltastored let in). The MongoDB stand-in cannot
    /// (mongomock compares Python datetimes; its README lists the gap); a real
    /// MongoDB (`DELTASTORE_TEST_MONGODB_URI`) can.
    var holdsDatetimesBeyondYears1To9999: Bool {
        switch self {
        case .sqlite: return true
        case .mongodb: return !(ProcessInfo.processInfo.environment["DELTASTORE_TEST_MONGODB_URI"] ?? "").isEmpty
        }
    }

    /// Opens a fresh, empty store.
    func make() async throws -> StoreHandle {
        switch self {
        case .sqlite:
            let directory = try TemporaryDirectory(prefix: "ds-contract")
            let path = directory.file("data/market.sqlite")
            let open: @Sendable () async throws -> any MarketStore = {
                try await SQLiteMarketStore.open(path: path, threadPool: .singleton, logger: quietLogger)
            }
            let store = try await open()
            return StoreHandle(store: store, reopen: open, remove: { directory.remove() })
        case .mongodb:
            let database = "deltastore_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
            if let real = ProcessInfo.processInfo.environment["DELTASTORE_TEST_MONGODB_URI"], !real.isEmpty {
                let uri = try MongoTestURI.replacingDatabase(in: real, with: database)
                let open: @Sendable () async throws -> MongoMarketStore = {
                    try await MongoMarketStore.open(uri: uri, threadPool: .singleton, logger: quietLogger, startupTimeout: .seconds(15))
                }
                let store = try await open()
                return StoreHandle(store: store, reopen: { try await open() }, remove: {
                    guard let dropper = try? await open() else { return }
                    try? await dropper.dropDatabase()
                    await dropper.close()
                })
            }
            let standIn = try MongoStandInProcess()
            do {
                try await standIn.launch()
                let uri = standIn.uri(database: database)
                let open: @Sendable () async throws -> any MarketStore = {
                    try await MongoMarketStore.open(uri: uri, threadPool: .singleton, logger: quietLogger, startupTimeout: .seconds(15))
                }
                let store = try await open()
                return StoreHandle(store: store, reopen: open, remove: { await standIn.removeAsync() })
            } catch {
                await standIn.removeAsync()
                throw error
            }
        }
    }

    /// Runs `body` with a fresh store, then closes it and removes its data.
    func withStore<T: Sendable>(_ body: (StoreHandle) async throws -> T) async throws -> T {
        let handle = try await make()
        do {
            let result = try await body(handle)
            await handle.dispose()
            return result
        } catch {
            await handle.dispose()
            throw error
        }
    }

    func withStore<T: Sendable>(_ body: (any MarketStore) async throws -> T) async throws -> T {
        try await withStore { (handle: StoreHandle) in try await body(handle.store) }
    }
}

/// An open store under test, and how to open its data again after `close()`.
struct StoreHandle: Sendable {
    let store: any MarketStore
    /// Opens the same data again (a new store object; the caller closes it).
    let reopen: @Sendable () async throws -> any MarketStore
    let remove: @Sendable () async -> Void

    func dispose() async {
        await store.close()
        await remove()
    }
}

/// Connection strings for a real MongoDB given by the environment.
enum MongoTestURI {
    /// `uri` with its database (the path) replaced by `database`, options kept.
    static func replacingDatabase(in uri: String, with database: String) throws -> String {
        guard let schemeEnd = uri.range(of: "://") else { throw TestSupportError("DELTASTORE_TEST_MONGODB_URI is not a mongodb:// URI") }
        let rest = uri[schemeEnd.upperBound...]
        let hostsEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let hosts = rest[..<hostsEnd]
        let afterHosts = rest[hostsEnd...]
        let query = afterHosts.firstIndex(of: "?").map { String(afterHosts[$0...]) } ?? ""
        return String(uri[..<schemeEnd.upperBound]) + hosts + "/" + database + query
    }
}

let quietLogger = Logger(label: "deltastore.contract-tests", factory: { _ in SwiftLogNoOpLogHandler() })
