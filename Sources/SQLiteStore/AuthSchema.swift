import CSQLite
import Domain
import Logging

/// The auth tables (schema versions 2 and 3) and how their writes are made durable.
///
/// `users` keeps the normalized email under a UNIQUE index: the store trusts
/// the domain's `EmailAddress` normalization (trimmed, lower-cased with
/// Unicode rules, which SQLite's ASCII-only `lower()` could not check).
/// `sessions` has one row per refresh token (see `Domain.Session`), found by
/// the SHA-256 of the token (unique index), by user (logout of all sessions)
/// and by family (revocation); a partial index on `revoked_at` serves the
/// revocation list that `auth.verify` keeps in memory, and one on
/// `expires_at` the removal of expired rows.
enum AuthSchema {
    static let migration2 = """
        CREATE TABLE users (
            id TEXT PRIMARY KEY,
            email TEXT NOT NULL,
            name TEXT,
            password_hash TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        ) STRICT, WITHOUT ROWID;
        CREATE UNIQUE INDEX users_email ON users (email);

        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            family_id TEXT NOT NULL,
            token_hash BLOB NOT NULL,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            rotated_at INTEGER,
            replaced_by TEXT,
            revoked_at INTEGER,
            revoked_reason TEXT
        ) STRICT, WITHOUT ROWID;
        CREATE UNIQUE INDEX sessions_token_hash ON sessions (token_hash);
        CREATE INDEX sessions_user ON sessions (user_id);
        CREATE INDEX sessions_family ON sessions (family_id);
        CREATE INDEX sessions_revoked_at ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;
        CREATE INDEX sessions_expires_at ON sessions (expires_at);
        """

    /// Schema version 5: `auth_state` holds named counters; the one named
    /// `revocation_seq` is the revocation sequence, advanced in the same
    /// transaction as every revocation (`SQLiteSessionRepository`).
    static let migration5 = """
        CREATE TABLE auth_state (
            name TEXT PRIMARY KEY,
            value INTEGER NOT NULL
        ) STRICT, WITHOUT ROWID;
        INSERT INTO auth_state (name, value) VALUES ('revocation_seq', 0);
        """

    /// The name of the revocation sequence in `auth_state`.
    static let revocationSequenceName = "revocation_seq"

    /// Part of migration 5: every stored email to the current normal form
    /// (`Domain.EmailNormalizationPlan`); conflicts and refused emails are
    /// left as they are and logged, with user ids only.
    static func normalizeEmails(_ connection: SQLiteConnection, logger: Logger) throws {
        let accounts = try connection.withStatement("SELECT id, email, created_at FROM users") { statement in
            var accounts: [EmailNormalizationPlan.Account] = []
            while try statement.step() {
                accounts.append(.init(id: statement.text(0), email: statement.text(1), createdAt: statement.int64(2)))
            }
            return accounts
        }
        let plan = EmailNormalizationPlan(accounts)
        for rewrite in plan.rewrites {
            try connection.withStatement("UPDATE users SET email = :email WHERE id = :id") { statement in
                try statement.bind(":email", rewrite.to)
                try statement.bind(":id", rewrite.id)
                try statement.run()
            }
        }
        if !plan.rewrites.isEmpty {
            logger.notice("rewrote \(plan.rewrites.count) stored email\(plan.rewrites.count == 1 ? "" : "s") to the NFC case-folded normal form", metadata: ["count": "\(plan.rewrites.count)"])
        }
        for warning in plan.warnings { logger.warning("\(warning)") }
    }

    /// `SQLITE_CONSTRAINT_UNIQUE` and `SQLITE_CONSTRAINT_PRIMARYKEY`: extended
    /// result codes are function-like macros, which Swift does not import.
    static let constraintUnique = SQLITE_CONSTRAINT | (8 << 8)
    static let constraintPrimaryKey = SQLITE_CONSTRAINT | (6 << 8)

    /// Whether `error` is a UNIQUE or PRIMARY KEY violation.
    static func isUniqueViolation(_ error: any Error) -> Bool {
        guard let sqlite = error as? SQLiteError else { return false }
        return sqlite.code == constraintUnique || sqlite.code == constraintPrimaryKey
    }
}

extension SQLiteConnection {
    /// A write transaction committed with `synchronous=FULL`.
    ///
    /// The market-data tables run with `synchronous=NORMAL`, which in WAL mode
    /// may lose the last transactions on a power failure (never on a crash of
    /// the process). A lost logout or rotation is a security problem, a lost
    /// tick is not, so auth writes are committed with FULL: the WAL is synced
    /// at every commit.
    ///
    /// `synchronous` is a property of the connection, not of a transaction.
    /// It is switched around the transaction on the one writer connection
    /// rather than by keeping a second writer connection at FULL: a second
    /// writer would contend for SQLite's write lock in its busy handler
    /// (polling) instead of queueing fairly behind `ConnectionPool`'s lock, and
    /// setting the pragma costs no I/O. Only code holding the writer runs
    /// here, so no other write can commit while FULL is in effect, and NORMAL
    /// is restored whatever the outcome.
    func durableWriteTransaction<T>(_ body: () throws -> T) throws -> T {
        try exec("PRAGMA synchronous = FULL")
        defer { try? exec("PRAGMA synchronous = NORMAL") }
        return try writeTransaction(body)
    }
}

extension StoreExecutor {
    /// `body` in a durable write transaction on the writer, on the thread pool.
    func durableWrite<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await write { connection in
            try connection.durableWriteTransaction { try body(connection) }
        }
    }
}
