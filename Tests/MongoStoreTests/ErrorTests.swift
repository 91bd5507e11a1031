import BSONCore
import CMongoC
import Domain
import Foundation
@_spi(Testing) @testable import MongoStore
import NIOCore
import NIOPosix
import Testing
import TestSupport

/// How MongoDB's failures reach clients, and the write concern setting.
@Suite("MongoDB store: errors and configuration")
struct ErrorTests {
    @Test func networkAndSelectionFailuresAreUnavailableWithoutServerDetails() {
        let cases: [(UInt32, UInt32)] = [
            (MONGOC_ERROR_STREAM.rawValue, MONGOC_ERROR_STREAM_SOCKET.rawValue),
            (MONGOC_ERROR_STREAM.rawValue, MONGOC_ERROR_STREAM_CONNECT.rawValue),
            (MONGOC_ERROR_SERVER_SELECTION.rawValue, MONGOC_ERROR_SERVER_SELECTION_FAILURE.rawValue),
            (MONGOC_ERROR_PROTOCOL.rawValue, MONGOC_ERROR_PROTOCOL_INVALID_REPLY.rawValue),
            (MONGOC_ERROR_WRITE_CONCERN.rawValue, 64),
            (MONGOC_ERROR_SERVER.rawValue, 10107), // NotWritablePrimary
            (MONGOC_ERROR_SERVER.rawValue, 91), // ShutdownInProgress
            (MONGOC_ERROR_SERVER.rawValue, 189), // PrimarySteppedDown
            (MONGOC_ERROR_SERVER.rawValue, 50), // MaxTimeMSExpired
            (MONGOC_ERROR_CLIENT.rawValue, MONGOC_ERROR_CLIENT_NOT_READY.rawValue),
        ]
        for (domain, code) in cases {
            let error = MongoError(domain: domain, code: code, message: "No suitable servers found: db1.internal:27017 secret-detail")
            guard case .unavailable(let reason) = error.storeError else {
                Issue.record("domain \(domain) code \(code) should be unavailable")
                continue
            }
            #expect(!reason.contains("db1.internal") && !reason.contains("secret-detail"), "no server details in \(reason)")
        }
        // A labelled network error from the server.
        let labelled = MongoError(domain: MONGOC_ERROR_SERVER.rawValue, code: 1, message: "x", reply: ["errorLabels": ["NetworkError"]])
        #expect(labelled.isUnavailable)
    }

    @Test func everythingElseIsAFailureThatTheProtocolReportsAsInternal() {
        let cases: [(UInt32, UInt32)] = [
            (MONGOC_ERROR_SERVER.rawValue, 2), // BadValue
            (MONGOC_ERROR_SERVER.rawValue, 11000), // duplicate key outside an insert
            (MONGOC_ERROR_SERVER.rawValue, 13), // Unauthorized
            (MONGOC_ERROR_SERVER.rawValue, 238), // NotImplemented (the stand-in)
            (MONGOC_ERROR_CLIENT.rawValue, MONGOC_ERROR_CLIENT_AUTHENTICATE.rawValue),
            (MONGOC_ERROR_BSON.rawValue, MONGOC_ERROR_BSON_INVALID.rawValue),
        ]
        for (domain, code) in cases {
            guard case .failure = MongoError(domain: domain, code: code, message: "m").storeError else {
                Issue.record("domain \(domain) code \(code) should be a failure")
                continue
            }
        }
    }

    @Test func writeConcernsParse() throws {
        #expect(try MongoWriteConcern(parsing: "majority").document == ["w": "majority", "wtimeout": 10_000])
        #expect(try MongoWriteConcern(parsing: "1").document == ["w": 1])
        #expect(try MongoWriteConcern(parsing: "3", timeoutMS: 2_500).document == ["w": 3, "wtimeout": 2_500])
        #expect(try MongoWriteConcern(parsing: "eastCoast").document == ["w": "eastCoast", "wtimeout": 10_000])
        for bad in ["0", "-1", "", "51", "a b", "{\"$gt\":1}", String(repeating: "x", count: 65)] {
            #expect(throws: FieldError.self, "\(bad)") { try MongoWriteConcern(parsing: bad) }
        }
    }

    /// The stand-in answers as a standalone mongod: `majority` and 1 work,
    /// more members or a tag cannot be satisfied. The store refuses to start
    /// (a failure, not a wait) and says why in its error.
    @Test func aWriteConcernTheDeploymentCannotMeetStopsTheStart() async throws {
        try await withBareStandIn { standIn in
            for concern in ["2", "eastCoast"] {
                do {
                    let store = try await MongoMarketStore.open(uri: standIn.uri(database: "wc"), threadPool: mongoTestThreads, logger: quietLogger, writeConcern: concern)
                    await store.close()
                    Issue.record("opened with w=\(concern) on a standalone")
                } catch let error as StoreError {
                    guard case .failure(let message) = error else { Issue.record("expected a failure, got \(error)"); continue }
                    #expect(message.contains("cannot create index"))
                }
            }
            await #expect(throws: StoreError.failure("--mongo-write-concern: must be at least 1: w:0 writes are not acknowledged, so duplicates could not be reported")) {
                _ = try await MongoMarketStore.open(uri: standIn.uri(database: "wc"), threadPool: mongoTestThreads, logger: quietLogger, writeConcern: "0")
            }
        }
    }

    @Test func theURIsWriteConcernTimeoutBoundsTheConfiguredWriteConcern() async throws {
        try await withBareStandIn { standIn in
            let store = try await MongoMarketStore.open(
                uri: standIn.uri(database: "wt", options: ["wtimeoutMS": "2500", "w": "1"]), threadPool: mongoTestThreads, logger: quietLogger
            )
            #expect(store.writeConcern == MongoWriteConcern(level: .majority, timeoutMS: 2_500), "--mongo-write-concern wins over the URI's w")
            await store.close()
        }
    }

    @Test func aURILibmongocRefusesFailsAtOnce() async throws {
        let clock = ContinuousClock()
        let started = clock.now
        for uri in ["mongodb://", "mongodb://host:notaport/db", "mongodb://localhost/db?serverSelectionTimeoutMS=abc&w=x"] {
            do {
                let store = try await MongoMarketStore.open(uri: uri, threadPool: mongoTestThreads, logger: quietLogger, startupTimeout: .seconds(30))
                await store.close()
                Issue.record("\(uri) was accepted")
            } catch let error as StoreError {
                guard case .failure = error else { Issue.record("\(uri): expected a failure, got \(error)"); continue }
            }
        }
        // Well under one server selection timeout (3 s) each, even on a loaded machine.
        #expect(clock.now - started < .seconds(20), "no waiting for a URI that cannot work")
    }

    @Test func aClosedStoreIsUnavailable() async throws {
        try await withStandIn { _, store in
            await store.close()
            _ = await expectUnavailable("insert") { _ = try await store.ticks.insert([Make.tick("NIFTY", at: marketOpen)]) }
            _ = await expectUnavailable("query") { _ = try await store.ticks.query(TickQuery(product: "NIFTY", limit: 1)) }
            _ = await expectUnavailable("ping") { try await store.ping() }
            await store.close()
        }
    }

    @Test func aCommandTheStandInDoesNotImplementIsAFailure() async throws {
        try await withStandIn { _, store in
            do {
                _ = try await store.runCommand(["collMod": "underlying_ticks"])
                Issue.record("collMod succeeded on the stand-in")
            } catch let error as StoreError {
                guard case .failure(let message) = error else { Issue.record("expected failure, got \(error)"); return }
                #expect(message.contains("238"))
            }
        }
    }

    @Test func aCursorFromAnotherStoreOrQueryIsRefused() async throws {
        try await withStandIn { _, store in
            let query = TickQuery(product: "NIFTY", limit: 1)
            var sqliteStyle = query
            sqliteStyle.after = PageCursor(timestamp: marketOpen, recordKey: [0, 0, 0, 0, 0, 0, 0, 1], query: query.identity)
            await #expect(throws: FieldError("cursor", "not a cursor issued by this store")) { _ = try await store.ticks.query(sqliteStyle) }
            var otherQuery = query
            otherQuery.after = PageCursor(timestamp: marketOpen, recordKey: BSONObjectID().bytes, query: TickQuery(product: "BANKNIFTY", limit: 1).identity)
            await #expect(throws: FieldError.self) { _ = try await store.ticks.query(otherQuery) }
        }
    }
}
