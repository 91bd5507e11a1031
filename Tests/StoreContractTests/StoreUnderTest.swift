import Domain
import Logging
import NIOPosix
import SQLiteStore
import TestSupport

/// The stores the contract suite runs against. The factory below is the only
/// store-specific code in this target: every test takes a `StoreUnderTest`
/// and sees nothing but `MarketStore`.
enum StoreUnderTest: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite

    var description: String { rawValue }

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
    let remove: @Sendable () -> Void

    func dispose() async {
        await store.close()
        remove()
    }
}

let quietLogger = Logger(label: "deltastore.contract-tests", factory: { _ in SwiftLogNoOpLogHandler() })
