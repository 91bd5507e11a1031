import CSQLite
import Domain
@testable import SQLiteStore
import Testing

/// Schema version 2 (users, sessions): durable writes, the upgrade from
/// version 1, and index use of every auth query.
@Suite("SQLite auth schema")
struct AuthSchemaTests {
    @Test func durableWritesRunWithSynchronousFullAndRestoreNormal() async throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let connection = try SQLiteConnection.open(path: directory.file("sync.sqlite"), flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        defer { connection.close() }
        try connection.exec("PRAGMA journal_mode = WAL")
        try connection.exec("PRAGMA synchronous = NORMAL")
        try connection.exec("CREATE TABLE t (x INTEGER)")
        // 1 = NORMAL, 2 = FULL.
        let inside = try connection.durableWriteTransaction { () throws -> Int64? in
            try connection.exec("INSERT INTO t VALUES (1)")
            return try connection.scalarInt("PRAGMA synchronous")
        }
        #expect(inside == 2)
        #expect(try connection.scalarInt("PRAGMA synchronous") == 1)

        struct Planned: Error {}
        #expect(throws: Planned.self) {
            try connection.durableWriteTransaction { () throws -> Void in
                try connection.exec("INSERT INTO t VALUES (2)")
                throw Planned()
            }
        }
        #expect(try connection.scalarInt("PRAGMA synchronous") == 1, "restored after a failed transaction too")
        #expect(try connection.scalarInt("SELECT count(*) FROM t") == 1, "the failed transaction was rolled back")
    }

    @Test func aVersionOneDatabaseGainsTheAuthTablesAndKeepsItsData() async throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let path = directory.file("v1.sqlite")
        do {
            let connection = try SQLiteConnection.open(path: path, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
            try connection.exec(Migrations.all[0].sql)
            try connection.exec("PRAGMA user_version = 1")
            connection.close()
        }
        let store = try await openStore(path)
        _ = try await store.ticks.insert([try tick("NIFTY", at: marketOpen, tickID: "a")])
        try await store.users.create(User(id: "650000000000000000000001", email: "a@b.c", name: nil, passwordHash: "$2b$04$x", createdAt: 1, updatedAt: 1))
        #expect(try await store.users.find(email: "a@b.c")?.id == "650000000000000000000001")
        await store.close()
        let connection = try rawConnection(path)
        defer { connection.close() }
        #expect(try Migrations.userVersion(of: connection) == Migrations.currentVersion)
    }

    @Test func migrationFourBringsStoredEmailsToTheNormalFormAndExistingAccountsStillAreFound() async throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let path = directory.file("v2.sqlite")
        // A version 2 database, as deltastored wrote it before: emails only trimmed and lower-cased.
        let legacy: [(id: String, email: String, created: Int64)] = [
            ("650000000000000000000001", "jose\u{301}@example.com", 1),   // decomposed é: one account …
            ("650000000000000000000002", "jos\u{E9}@example.com", 2),     // … and its look-alike, composed
            ("650000000000000000000003", "stra\u{DF}e@example.de", 3),
            ("650000000000000000000004", "ana@example.com", 4),
            ("650000000000000000000005", "ana@example.com\u{200B}", 5),   // a zero-width look-alike
        ]
        do {
            let connection = try SQLiteConnection.open(path: path, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
            try connection.exec(Migrations.all[0].sql)
            try connection.exec(Migrations.all[1].sql)
            try connection.exec("PRAGMA user_version = 2")
            for user in legacy {
                try connection.withStatement("INSERT INTO users (id, email, name, password_hash, created_at, updated_at) VALUES (:id, :email, NULL, '$2b$04$x', :t, :t)") { statement in
                    try statement.bind(":id", user.id)
                    try statement.bind(":email", user.email)
                    try statement.bind(":t", user.created)
                    try statement.run()
                }
            }
            connection.close()
        }
        let store = try await openStore(path)
        func found(_ typed: String) async throws -> String? {
            try await store.users.find(email: try EmailAddress(normalizing: typed).value)?.id
        }
        // However the user types it now, the old accounts are found.
        #expect(try await found("JOS\u{C9}@example.com") == "650000000000000000000002", "the composed one was already normal and keeps it")
        #expect(Array(try await store.users.find(id: "650000000000000000000003")?.email.utf8 ?? "".utf8) == Array("strasse@example.de".utf8))
        #expect(try await found("jose\u{301}@EXAMPLE.com") == "650000000000000000000002")
        #expect(try await found("STRASSE@example.de") == "650000000000000000000003", "ß now folds to ss: rewritten")
        #expect(try await found("Stra\u{DF}e@example.de") == "650000000000000000000003")
        #expect(try await found("Ana@Example.com") == "650000000000000000000004")
        // The decomposed twin and the zero-width look-alike are left as they were, unreachable.
        #expect(Array(try await store.users.find(id: "650000000000000000000001")?.email.utf8 ?? "".utf8) == Array("jose\u{301}@example.com".utf8), "bytes: Swift's == would call the composed form equal")
        #expect(try await store.users.find(id: "650000000000000000000005")?.email == "ana@example.com\u{200B}")
        #expect(try await store.users.passwordHashPrefixes() == ["$2b$04$": 5])
        // The revocation sequence starts at 0 and a revocation advances it.
        #expect(try await store.sessions.revocationSequence() == 0)
        let session = Session(id: "s1", userID: "650000000000000000000004", familyID: "f1", tokenHash: [UInt8](repeating: 1, count: 32), createdAt: 1, expiresAt: .max)
        try await store.sessions.create(session)
        #expect(try await store.sessions.revokeFamily("f1", at: 2, reason: "logout") == 1)
        #expect(try await store.sessions.revocationSequence() == 1)
        #expect(try await store.sessions.revokeFamily("f1", at: 3, reason: "logout") == 0)
        #expect(try await store.sessions.revocationSequence() == 1, "nothing revoked, nothing announced")
        await store.close()
        let connection = try rawConnection(path)
        defer { connection.close() }
        #expect(try Migrations.userVersion(of: connection) == Migrations.currentVersion)
    }

    @Test(arguments: [
        ("users by email", SQLiteUserRepository.byEmailSQL, "users_email"),
        ("sessions by token hash", SQLiteSessionRepository.byHashSQL, "sessions_token_hash"),
        ("sessions: revoke a family", SQLiteSessionRepository.revokeFamilySQL, "sessions_family"),
        ("sessions: live families of a user", SQLiteSessionRepository.liveFamiliesOfUserSQL, "sessions_user"),
        ("sessions: revoke a user's", SQLiteSessionRepository.revokeUserSQL, "sessions_user"),
        ("sessions: revoked since", SQLiteSessionRepository.revokedSinceSQL, "sessions_revoked_at"),
        ("sessions: delete expired", SQLiteSessionRepository.deleteExpiredSQL, "sessions_expires_at"),
    ])
    func everyAuthQueryUsesItsIndex(_ name: String, _ sql: String, _ index: String) async throws {
        try await withStore { store, directory in
            let connection = try rawConnection(store.path)
            defer { connection.close() }
            let plan = try QueryPlanTests.plan(sql, on: connection)
            #expect(plan.contains { $0.contains(index) }, "\(name): \(plan)")
            #expect(!plan.contains { $0.hasPrefix("SCAN") }, "\(name): \(plan)")
        }
    }
}
