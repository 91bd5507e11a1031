import BSONCore
import CSQLite
import Domain
import Foundation
@testable import SQLiteStore
import Testing

/// The file under a running store (`StoreFileWatch`): removed, replaced or
/// corrupt, the store fails — writes are refused with `unavailable` and
/// `health` is `failed`, naming the file — and a corrupt file, or one missing
/// where the state directory shows it existed, is refused at start.
@Suite("SQLite store: the file is watched")
struct StoreWatchTests {
    static func expectFailed(_ store: SQLiteMarketStore, containing text: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        guard case .failed(let reason) = await store.health() else {
            Issue.record("health should be failed", sourceLocation: sourceLocation)
            return
        }
        #expect(reason.contains(text) && reason.contains(store.path), "\(reason)", sourceLocation: sourceLocation)
        await expectStoreError({ $0.isUnavailable && $0.message.contains(text) }, sourceLocation: sourceLocation) {
            _ = try await store.ticks.insert([try tick("NIFTY", at: marketOpen + 99, tickID: "after")])
        }
        await expectStoreError({ $0.isUnavailable }, sourceLocation: sourceLocation) {
            _ = try await store.quotes.insert([try quote("NIFTY", strike: 1, expiry: "2024-03-28", .call, at: marketOpen)])
        }
        await expectStoreError({ $0.isUnavailable }, sourceLocation: sourceLocation) {
            try await store.users.create(User(id: "650000000000000000000009", email: "x@y.z", name: nil, passwordHash: "$2b$04$x", createdAt: 1, updatedAt: 1))
        }
        await #expect(throws: StoreError.self, sourceLocation: sourceLocation) { try await store.requireHealthy() }
    }

    @Test func aRemovedFileFailsTheStore() async throws {
        try await withStore { store, directory in
            #expect(await store.health() == .ok)
            try await store.requireHealthy()
            _ = try await store.ticks.insert([try tick("NIFTY", at: marketOpen, tickID: "before")])
            try FileManager.default.removeItem(atPath: store.path)
            try await Self.expectFailed(store, containing: "was removed")
            // Sticky: a new file at the path is not the store's file either.
            FileManager.default.createFile(atPath: store.path, contents: nil)
            try await Self.expectFailed(store, containing: "was removed")
        }
    }

    @Test func aReplacedFileFailsTheStore() async throws {
        try await withStore { store, directory in
            _ = try await store.ticks.insert([try tick("NIFTY", at: marketOpen, tickID: "before")])
            let other = directory.file("other.sqlite")
            await (try await openStore(other)).close()
            #expect(rename(other, store.path) == 0)
            try await Self.expectFailed(store, containing: "was replaced")
        }
    }

    /// A page overwritten under the running store: the first call that reads
    /// it finds SQLITE_CORRUPT, and from then on the store is failed.
    @Test func aCorruptionFoundByAnyCallFailsTheStore() async throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let path = directory.file("market.sqlite")
        let first = try await openStore(path)
        for chunk in 0..<10 {
            _ = try await first.ticks.insert(try (0..<500).map { try tick("NIFTY", at: marketOpen + Int64(chunk * 500 + $0), tickID: .int32(Int32(chunk * 500 + $0))) })
        }
        await first.close()
        let store = try await openStore(path)
        try Self.overwritePages(of: path, from: 3)
        await expectStoreError({ $0.isUnavailable && $0.message.contains("is corrupt") }) {
            _ = try await store.ticks.query(TickQuery(product: "NIFTY", limit: 1000, order: .ascending))
        }
        try await Self.expectFailed(store, containing: "is corrupt")
        await store.close()
    }

    @Test func aCorruptFileIsRefusedAtStart() async throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let path = directory.file("market.sqlite")
        let first = try await openStore(path)
        _ = try await first.ticks.insert(try (0..<2000).map { try tick("NIFTY", at: marketOpen + Int64($0), tickID: .int32(Int32($0))) })
        await first.close()
        try Self.overwritePages(of: path, from: 3)
        await expectStoreError({ $0.isFailure && $0.message.contains(path) && $0.message.contains("corrupt") && $0.message.contains("does not start") }) {
            _ = try await openStore(path)
        }

        let garbage = directory.file("garbage.sqlite")
        FileManager.default.createFile(atPath: garbage, contents: Data(repeating: 0x41, count: 8192))
        await expectStoreError({ $0.isFailure && $0.message.contains(garbage) && $0.message.contains("not a SQLite database") }) {
            _ = try await openStore(garbage)
        }
    }

    @Test func aStoreMissingWhereTheStateDirectoryShowsOneIsRefused() async throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let known = KnownStores(stateDirectory: directory.path)
        let path = directory.file("deltastore.db")
        func open(allowNew: Bool = false) async throws -> SQLiteMarketStore {
            try await SQLiteMarketStore.open(path: path, threadPool: .singleton, logger: quietLogger, knownStores: known, allowNewStore: allowNew)
        }
        // The first start creates the store, and the state directory remembers it.
        let first = try await open()
        _ = try await first.ticks.insert([try tick("NIFTY", at: marketOpen, tickID: "kept")])
        await first.close()
        #expect(known.paths() == [path])
        await (try await open()).close()
        #expect(known.paths() == [path], "remembered once")

        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        await expectStoreError({ $0.isFailure && $0.message.contains(path) && $0.message.contains("is missing") && $0.message.contains("--new-store") }) {
            _ = try await open()
        }
        #expect(!FileManager.default.fileExists(atPath: path), "nothing was created")

        let fresh = try await open(allowNew: true)
        #expect(try await fresh.ticks.query(TickQuery(product: "NIFTY", limit: 10)).records.isEmpty)
        await fresh.close()
        await (try await open()).close()

        // A store elsewhere is another store: created, and remembered too.
        let elsewhere = directory.file("elsewhere/market.sqlite")
        await (try await SQLiteMarketStore.open(path: elsewhere, threadPool: .singleton, logger: quietLogger, knownStores: known)).close()
        #expect(known.paths() == [path, elsewhere])
    }

    /// Writes 0xFF over every page from `first` (1-based) on: b-tree pages
    /// no SQLite reader accepts.
    static func overwritePages(of path: String, from first: Int) throws {
        let connection = try rawConnection(path)
        let pageSize = Int(try connection.scalarInt("PRAGMA page_size") ?? 4096)
        connection.close()
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        let size = Int(try handle.seekToEnd())
        #expect(size > first * pageSize, "the file has pages to overwrite")
        try handle.seek(toOffset: UInt64((first - 1) * pageSize))
        try handle.write(contentsOf: Data(repeating: 0xFF, count: size - (first - 1) * pageSize))
        try handle.synchronize()
    }
}
