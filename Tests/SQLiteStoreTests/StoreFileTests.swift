import BSONCore
import CSQLite
import Domain
import Foundation
import NIOPosix
@testable import SQLiteStore
import Testing

/// The file on disk: where it is created and with which modes, WAL mode,
/// durability across close and reopen, and paths that cannot be used.
@Suite("SQLite store file")
struct StoreFileTests {
    static func mode(_ path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode & 0o7777
    }

    @Test func missingDirectoriesAre0750AndTheFileIs0600() async throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let path = directory.file("state/deltastore/market.sqlite")
        let store = try await openStore(path)
        _ = try await store.ticks.insert([try tick("NIFTY", at: marketOpen)])
        #expect(Self.mode(directory.file("state")) == 0o750)
        #expect(Self.mode(directory.file("state/deltastore")) == 0o750)
        #expect(Self.mode(path) == 0o600)
        // SQLite gives the WAL and shared-memory files the database file's mode.
        #expect(Self.mode(path + "-wal") == 0o600)
        #expect(Self.mode(path + "-shm") == 0o600)
        // The existing scratch directory keeps its mode (mkdtemp: 0700).
        #expect(Self.mode(directory.path) == 0o700)
        await store.close()
    }

    @Test func theJournalIsWAL() async throws {
        try await withStore { store, directory in
            let connection = try rawConnection(directory.file("market.sqlite"))
            defer { connection.close() }
            #expect(try connection.scalarText("PRAGMA journal_mode") == "wal")
            try await store.ping()
        }
    }

    @Test func dataSurvivesCloseAndReopen() async throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let path = directory.file("durable.sqlite")
        let ticks = try (0..<5).map { try tick("NIFTY", at: marketOpen + Int64($0), price: 100 + Double($0), tickID: .int32(Int32($0))) }
        let quotes = try [quote("NIFTY", strike: 22000, expiry: "2024-03-28", .call, at: marketOpen)]
        let chains = try [chain("BANKNIFTY", expiry: "2024-04-25", at: marketOpen)]
        let first = try await openStore(path)
        _ = try await first.ticks.insert(ticks)
        _ = try await first.quotes.insert(quotes)
        _ = try await first.chains.insert(chains)
        await first.close()
        // Closing the last connection checkpoints the WAL into the main file.
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))

        let second = try await openStore(path)
        #expect(try await second.ticks.query(TickQuery(product: "NIFTY", limit: 10, order: .ascending)).records == ticks)
        #expect(try await second.quotes.query(QuoteQuery(product: "NIFTY", limit: 10)).records == quotes)
        #expect(try await second.chains.latest(product: "BANKNIFTY", expiry: "2024-04-25") == chains[0])
        #expect(try await second.catalog.products() == ["BANKNIFTY", "NIFTY"])
        #expect(try await second.catalog.expiries(product: "NIFTY") == ["2024-03-28"])
        // Still idempotent after reopening.
        #expect(try await second.ticks.insert(ticks) == InsertOutcome(inserted: 0, duplicates: 5))
        await second.close()
    }

    @Test func unusablePathsFailWithAReadableMessage() async throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        _ = FileManager.default.createFile(atPath: directory.file("plain-file"), contents: Data("x".utf8))
        try FileManager.default.createDirectory(atPath: directory.file("a-directory"), withIntermediateDirectories: false)
        _ = FileManager.default.createFile(atPath: directory.file("not-sqlite"), contents: Data(repeating: 0x41, count: 4096))

        let cases: [(path: String, mentions: String)] = [
            (directory.file("a-directory"), "directory"),
            (directory.file("plain-file/market.sqlite"), "not a directory"),
            (directory.file("not-sqlite"), "not a database"),
            ("", "empty"),
            (":memory:", "must name a file"),
        ]
        for (path, mentions) in cases {
            await expectStoreError({ $0.isFailure && $0.message.contains(mentions) }, "\(path)") {
                _ = try await openStore(path)
            }
        }
        if getuid() != 0 {
            try FileManager.default.createDirectory(atPath: directory.file("locked"), withIntermediateDirectories: false, attributes: [.posixPermissions: 0o500])
            await expectStoreError({ $0.isFailure && $0.message.contains("Permission denied") }) {
                _ = try await openStore(directory.file("locked/sub/market.sqlite"))
            }
        }
    }

    @Test func atLeastOneReaderIsRequired() async throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        await expectStoreError({ $0.isFailure }) {
            _ = try await openStore(directory.file("x.sqlite"), readerCount: 0)
        }
    }

    /// SQLite work runs on the given thread pool: one that is not running
    /// makes the store unavailable instead of running work elsewhere.
    @Test func aStoppedThreadPoolMakesTheStoreUnavailable() async throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let idle = NIOThreadPool(numberOfThreads: 1)
        await expectStoreError({ $0.isUnavailable }) {
            _ = try await SQLiteMarketStore.open(path: directory.file("x.sqlite"), threadPool: idle, logger: quietLogger)
        }
        #expect(!FileManager.default.fileExists(atPath: directory.file("x.sqlite")), "nothing ran")

        let pool = NIOThreadPool(numberOfThreads: 2)
        pool.start()
        let store = try await SQLiteMarketStore.open(path: directory.file("y.sqlite"), threadPool: pool, logger: quietLogger)
        try await store.ping()
        try await pool.shutdownGracefully()
        await expectStoreError({ $0.isUnavailable }) { try await store.ping() }
        await expectStoreError({ $0.isUnavailable }) { _ = try await store.ticks.insert([try tick("NIFTY", at: 0)]) }
        await store.close()
    }

    @Test func aClosedStoreIsUnavailable() async throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let store = try await openStore(directory.file("closed.sqlite"))
        #expect(store.kind == "sqlite")
        await store.close()
        await store.close()
        await expectStoreError({ $0.isUnavailable }) { try await store.ping() }
        await expectStoreError({ $0.isUnavailable }) { _ = try await store.ticks.query(TickQuery(product: "NIFTY", limit: 1)) }
        await expectStoreError({ $0.isUnavailable }) { _ = try await store.ticks.insert([try tick("NIFTY", at: 0)]) }
        await expectStoreError({ $0.isUnavailable }) { _ = try await store.catalog.products() }
        await expectStoreError({ $0.isUnavailable }) { _ = try await store.chains.latest(product: "NIFTY", expiry: "2024-03-28") }
    }
}
