import Domain

/// Sessions (refresh tokens) in the `sessions` table (schema version 2,
/// `AuthSchema`). Every write is durable (`synchronous=FULL`); rotation is a
/// compare-and-set inside one transaction, so two concurrent refreshes of the
/// same token cannot both succeed. A revocation advances the revocation
/// sequence (`auth_state`, schema version 5) in its own transaction, so a
/// daemon that sees the new value also sees the revoked rows.
struct SQLiteSessionRepository: SessionRepository {
    let executor: StoreExecutor

    static let columns = "id, user_id, family_id, token_hash, created_at, expires_at, rotated_at, replaced_by, revoked_at, revoked_reason"
    static let insertSQL = """
        INSERT INTO sessions (id, user_id, family_id, token_hash, created_at, expires_at) \
        VALUES (:id, :user_id, :family_id, :token_hash, :created_at, :expires_at)
        """
    static let byHashSQL = "SELECT \(columns) FROM sessions WHERE token_hash = :hash"
    static let byIDSQL = "SELECT \(columns) FROM sessions WHERE id = :id"
    static let markRotatedSQL = """
        UPDATE sessions SET rotated_at = :now, replaced_by = :successor \
        WHERE id = :id AND rotated_at IS NULL AND revoked_at IS NULL
        """
    static let revokeFamilySQL = """
        UPDATE sessions SET revoked_at = :now, revoked_reason = :reason WHERE family_id = :family AND revoked_at IS NULL
        """
    static let liveFamiliesOfUserSQL = "SELECT DISTINCT family_id FROM sessions WHERE user_id = :user AND revoked_at IS NULL ORDER BY family_id"
    static let revokeUserSQL = """
        UPDATE sessions SET revoked_at = :now, revoked_reason = :reason WHERE user_id = :user AND revoked_at IS NULL
        """
    /// Aggregated in Swift: with GROUP BY the planner prefers walking the
    /// family index over the whole table to seeking the few recent revocations.
    static let revokedSinceSQL = "SELECT family_id, revoked_at FROM sessions WHERE revoked_at >= :since"
    static let deleteExpiredSQL = "DELETE FROM sessions WHERE expires_at < :before"
    static let advanceSequenceSQL = "UPDATE auth_state SET value = value + 1 WHERE name = '\(AuthSchema.revocationSequenceName)'"
    static let sequenceSQL = "SELECT value FROM auth_state WHERE name = '\(AuthSchema.revocationSequenceName)'"

    func create(_ session: Session) async throws {
        try await executor.durableWrite { connection in
            do {
                try Self.insert(session, on: connection)
            } catch let error where AuthSchema.isUniqueViolation(error) {
                throw StoreError.conflict("a session with this id or token exists")
            }
        }
    }

    private static func insert(_ session: Session, on connection: SQLiteConnection) throws {
        try connection.withStatement(insertSQL) { statement in
            try statement.bind(":id", session.id)
            try statement.bind(":user_id", session.userID)
            try statement.bind(":family_id", session.familyID)
            try statement.bind(":token_hash", blob: session.tokenHash)
            try statement.bind(":created_at", session.createdAt)
            try statement.bind(":expires_at", session.expiresAt)
            try statement.run()
        }
    }

    func find(tokenHash: [UInt8]) async throws -> Session? {
        try await executor.read { connection in
            try connection.withStatement(Self.byHashSQL) { statement in
                try statement.bind(":hash", blob: tokenHash)
                return try statement.step() ? Self.decode(statement) : nil
            }
        }
    }

    func find(id: String) async throws -> Session? {
        try await executor.read { connection in
            try connection.withStatement(Self.byIDSQL) { statement in
                try statement.bind(":id", id)
                return try statement.step() ? Self.decode(statement) : nil
            }
        }
    }

    func rotate(id: String, to successor: Session, at time: Int64) async throws -> Bool {
        try await executor.durableWrite { connection in
            try connection.withStatement(Self.markRotatedSQL) { statement in
                try statement.bind(":id", id)
                try statement.bind(":successor", successor.id)
                try statement.bind(":now", time)
                try statement.run()
            }
            guard connection.changes == 1 else { return false }
            do {
                try Self.insert(successor, on: connection)
            } catch let error where AuthSchema.isUniqueViolation(error) {
                // The transaction is rolled back: the old session stays current.
                throw StoreError.conflict("a session with this id or token exists")
            }
            return true
        }
    }

    func revokeFamily(_ familyID: String, at time: Int64, reason: String) async throws -> Int {
        try await executor.durableWrite { connection in
            try connection.withStatement(Self.revokeFamilySQL) { statement in
                try statement.bind(":family", familyID)
                try statement.bind(":now", time)
                try statement.bind(":reason", reason)
                try statement.run()
            }
            let revoked = connection.changes
            if revoked > 0 { try connection.exec(Self.advanceSequenceSQL) }
            return revoked
        }
    }

    func revokeAll(userID: String, at time: Int64, reason: String) async throws -> [String] {
        try await executor.durableWrite { connection in
            let families = try connection.withStatement(Self.liveFamiliesOfUserSQL) { statement in
                try statement.bind(":user", userID)
                var families: [String] = []
                while try statement.step() { families.append(statement.text(0)) }
                return families
            }
            try connection.withStatement(Self.revokeUserSQL) { statement in
                try statement.bind(":user", userID)
                try statement.bind(":now", time)
                try statement.bind(":reason", reason)
                try statement.run()
            }
            if connection.changes > 0 { try connection.exec(Self.advanceSequenceSQL) }
            return families
        }
    }

    func revokedFamilies(since: Int64) async throws -> [RevokedFamily] {
        try await executor.read { connection in
            try connection.withStatement(Self.revokedSinceSQL) { statement in
                try statement.bind(":since", since)
                var latest: [String: Int64] = [:]
                while try statement.step() {
                    let family = statement.text(0)
                    latest[family] = max(latest[family] ?? .min, statement.int64(1))
                }
                return latest.map { RevokedFamily(familyID: $0.key, revokedAt: $0.value) }.sorted { $0.familyID < $1.familyID }
            }
        }
    }

    func deleteExpired(before: Int64) async throws -> Int {
        try await executor.durableWrite { connection in
            try connection.withStatement(Self.deleteExpiredSQL) { statement in
                try statement.bind(":before", before)
                try statement.run()
            }
            return connection.changes
        }
    }

    func revocationSequence() async throws -> Int64 {
        try await executor.read { connection in
            try connection.scalarInt(Self.sequenceSQL) ?? 0
        }
    }

    static func decode(_ statement: SQLiteStatement) -> Session {
        func optionalInt(_ column: Int32) -> Int64? { statement.isNull(column) ? nil : statement.int64(column) }
        func optionalText(_ column: Int32) -> String? { statement.isNull(column) ? nil : statement.text(column) }
        return Session(
            id: statement.text(0),
            userID: statement.text(1),
            familyID: statement.text(2),
            tokenHash: statement.blob(3),
            createdAt: statement.int64(4),
            expiresAt: statement.int64(5),
            rotatedAt: optionalInt(6),
            replacedBy: optionalText(7),
            revokedAt: optionalInt(8),
            revokedReason: optionalText(9)
        )
    }
}
