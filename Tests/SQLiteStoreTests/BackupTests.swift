import BSONCore
import CSQLite
import Domain
import Foundation
@testable import SQLiteStore
import Testing

/// The online backup: a consistent, checked copy that is itself a store.
@Suite("SQLite store: backup")
struct BackupTests {
    @Test func aBackupIsACheckedCopyOfMode0600ThatOpensAsAStore() async throws {
        try await withStore { store, directory in
            let ticks = try (0..<50).map { try tick("NIFTY", at: marketOpen + Int64($0), tickID: .int32(Int32($0))) }
            try await store.ticks.insert(ticks)
            try await store.quotes.insert([try quote("NIFTY", strike: 100, expiry: "2024-03-28", .put, at: marketOpen)])
            let seen = ProgressLog()
            let outcome = try await store.backup(directory: directory.file("backups"), name: "first") { seen.add($0) }
            #expect(outcome.path == directory.file("backups/first.db"))
            #expect(outcome.records.map(\.kind) == ["ticks", "quotes", "chains", "users", "sessions"])
            #expect(outcome.records.map(\.count) == [50, 1, 0, 0, 0])
            #expect(outcome.bytes == SQLiteMarketStore.size(of: outcome.path))
            #expect(seen.last.map { $0.done == $0.total && $0.total > 0 } == true, "progress reached the end: \(seen.all)")
            let attributes = try FileManager.default.attributesOfItem(atPath: outcome.path)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            let listing = try FileManager.default.contentsOfDirectory(atPath: directory.file("backups"))
            #expect(listing == ["first.db"], "no temporary file or journal left: \(listing)")

            let report = try BackupFile.verify(path: outcome.path)
            #expect(report.isIntact)
            #expect(report.schemaVersion == Migrations.currentVersion)
            #expect(report.records.map(\.count) == [50, 1, 0, 0, 0])
            #expect(!FileManager.default.fileExists(atPath: outcome.path + "-wal"), "verifying writes nothing beside the file")

            let restored = try await openStore(outcome.path)
            #expect(try await restored.ticks.query(TickQuery(product: "NIFTY", limit: 100, order: .ascending)).records == ticks)
            await restored.close()
        }
    }

    @Test func aNameThatExistsIsAConflictAndTheFirstBackupIsKept() async throws {
        try await withStore { store, directory in
            try await store.ticks.insert([try tick("NIFTY", at: marketOpen)])
            let first = try await store.backup(directory: directory.path, name: "same") { _ in }
            let before = try Data(contentsOf: URL(fileURLWithPath: first.path))
            await expectStoreError({ if case .conflict = $0 { return true } else { return false } }) {
                _ = try await store.backup(directory: directory.path, name: "same") { _ in }
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: first.path)) == before)
        }
    }

    /// A backup directory others may write into (e.g. `--backup-dir /tmp/b`
    /// made by another user) would let them swap the temporary file for a
    /// symlink to the live store, or replace a finished backup: refused.
    @Test func aBackupDirectoryOthersCanWriteIsRefusedAndNothingIsWritten() async throws {
        try await withStore { store, directory in
            let shared = directory.file("shared")
            #expect(mkdir(shared, 0o777) == 0 && chmod(shared, 0o777) == 0)
            await expectStoreError({ if case .failure(let message) = $0 { return message.contains("other users") } else { return false } }) {
                _ = try await store.backup(directory: shared, name: "b") { _ in }
            }
            let listing = try FileManager.default.contentsOfDirectory(atPath: shared)
            #expect(listing.isEmpty, "nothing written: \(listing)")
        }
    }

    @Test func aDamagedFileIsReportedNotTrusted() async throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let path = directory.file("junk.db")
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: path))
        let report = try BackupFile.verify(path: path)
        #expect(!report.isIntact)
        #expect(throws: StoreError.self) { try BackupFile.verify(path: directory.file("missing.db")) }
    }

    /// A directory or a FIFO is not a backup: refused at once (a FIFO's open would block forever).
    @Test func somethingThatIsNotARegularFileIsRefusedAtOnce() throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let fifo = directory.file("fifo.db")
        #expect(mkfifo(fifo, 0o600) == 0)
        for path in [directory.path, fifo] {
            #expect {
                try BackupFile.verify(path: path)
            } throws: { error in
                guard case .failure(let message) = error as? StoreError else { return false }
                return message.contains("not a regular file")
            }
        }
    }
}

/// The progress reports a backup made.
final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var reports: [BackupProgress] = []

    func add(_ progress: BackupProgress) { lock.withLock { reports.append(progress) } }
    var all: [BackupProgress] { lock.withLock { reports } }
    var last: BackupProgress? { all.last }
}

/// Inserts the writer had acknowledged.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
