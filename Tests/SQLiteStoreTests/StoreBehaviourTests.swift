import BSONCore
import CSQLite
import Domain
@testable import SQLiteStore
import Testing

/// SQLite-specific behaviour the contract suite cannot reach: a batch failing
/// half-way, error mapping, cursors from elsewhere, concurrent use.
@Suite("SQLite store behaviour")
struct StoreBehaviourTests {
    /// A batch that fails on its third item leaves nothing behind: not the
    /// first two items, not their products. (A NaN price binds as NULL and
    /// breaks `price NOT NULL`; validated ticks can never carry one.)
    @Test func aBatchFailingHalfWayWritesNothing() async throws {
        try await withStore { store, _ in
            _ = try await store.ticks.insert([try tick("NIFTY", at: marketOpen, tickID: "kept")])
            let broken = Tick(stored: try tick("SENSEX", at: marketOpen + 2).document, product: "SENSEX", price: .nan, timestamp: marketOpen + 2)
            let batch = [try tick("BANKNIFTY", at: marketOpen), try tick("NIFTY", at: marketOpen + 1, tickID: "new"), broken, try tick("NIFTY", at: marketOpen + 3)]
            await expectStoreError({ $0.isFailure && $0.message.contains("NOT NULL") }) {
                _ = try await store.ticks.insert(batch)
            }
            #expect(try await store.ticks.query(TickQuery(product: "NIFTY", limit: 10)).records.map(\.tickID?.storageKey) == ["s:kept"])
            #expect(try await store.ticks.query(TickQuery(product: "BANKNIFTY", limit: 10)).records.isEmpty)
            #expect(try await store.catalog.products() == ["NIFTY"])
            // The writer is usable again, and the failed items can be sent again.
            #expect(try await store.ticks.insert([batch[0], batch[1], batch[3]]) == InsertOutcome(inserted: 3, duplicates: 0))
        }
    }

    @Test func errorsMapToStoreErrors() {
        let transient: [Int32] = [SQLITE_BUSY, SQLITE_LOCKED, SQLITE_FULL, SQLITE_IOERR, SQLITE_IOERR | (4 << 8), SQLITE_BUSY | (2 << 8)]
        for code in transient {
            #expect(SQLiteError(code: code, message: "m", context: "c").storeError.isUnavailable, "code \(code)")
        }
        let permanent: [Int32] = [SQLITE_ERROR, SQLITE_CONSTRAINT, SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_MISUSE, SQLITE_CANTOPEN]
        for code in permanent {
            let error = SQLiteError(code: code, message: "the message", context: "doing x").storeError
            #expect(error.isFailure, "code \(code)")
            #expect(error.message.contains("the message") && error.message.contains("doing x"))
        }
    }

    @Test func aCursorFromAnotherStoreOrQueryIsRefused() async throws {
        try await withStore { store, _ in
            _ = try await store.ticks.insert(try (0..<3).map { try tick("NIFTY", at: marketOpen + Int64($0)) })
            var query = TickQuery(product: "NIFTY", limit: 1)
            // A MongoDB ObjectId is 12 bytes, not a row id.
            query.after = PageCursor(timestamp: marketOpen, recordKey: Array(repeating: 1, count: 12), query: query.identity)
            await #expect(throws: FieldError.self) { _ = try await store.ticks.query(query) }
            query.after = PageCursor(timestamp: marketOpen, recordKey: KeysetPagination.recordKey(1), query: TickQuery(product: "BANKNIFTY", limit: 1).identity)
            await #expect(throws: FieldError.self) { _ = try await store.ticks.query(query) }
            await #expect(throws: FieldError.self) { _ = try await store.ticks.query(TickQuery(product: "NIFTY", limit: 0)) }
            await #expect(throws: FieldError.self) { _ = try await store.quotes.query(QuoteQuery(limit: 10)) }
        }
    }

    @Test func recordKeysRoundTrip() throws {
        for id: Int64 in [1, 255, 256, 1 << 40, Int64.max] {
            let identity = TickQuery(product: "NIFTY", limit: 9).identity
            let cursor = PageCursor(timestamp: 0, recordKey: KeysetPagination.recordKey(id), query: identity)
            #expect(cursor.recordKey.count == 8)
            #expect(try KeysetPagination.rowID(of: cursor, identity: identity) == id)
        }
    }

    /// Many writers and readers at once through one writer and two readers.
    @Test func concurrentReadsAndWritesAllSucceed() async throws {
        try await withStore { store, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<8 {
                    group.addTask {
                        for batch in 0..<10 {
                            let ticks = try (0..<20).map { try tick("NIFTY", at: marketOpen + Int64(batch * 20 + $0), tickID: .string("\(writer)-\(batch)-\($0)")) }
                            let outcome = try await store.ticks.insert(ticks)
                            #expect(outcome == InsertOutcome(inserted: 20, duplicates: 0))
                        }
                    }
                }
                for _ in 0..<8 {
                    group.addTask {
                        for _ in 0..<20 {
                            let page = try await store.ticks.query(TickQuery(product: "NIFTY", limit: 50))
                            #expect(page.records.count <= 50)
                            _ = try await store.ticks.latest(product: "NIFTY")
                            try await store.ping()
                        }
                    }
                }
                try await group.waitForAll()
            }
            let all = try await store.ticks.query(TickQuery(product: "NIFTY", limit: 10_000))
            #expect(all.records.count == 8 * 10 * 20)
        }
    }

    /// A damaged stored document is reported, not handed on.
    @Test func aDamagedDocumentIsAFailure() async throws {
        try await withStore { store, directory in
            _ = try await store.ticks.insert([try tick("NIFTY", at: marketOpen)])
            let connection = try rawConnection(directory.file("market.sqlite"))
            try connection.exec("UPDATE ticks SET doc = X'0500000001'")
            connection.close()
            await expectStoreError({ $0.isFailure && $0.message.contains("damaged") }) {
                _ = try await store.ticks.latest(product: "NIFTY")
            }
        }
    }
}
