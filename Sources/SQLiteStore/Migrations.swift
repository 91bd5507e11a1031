import Domain
import Logging

/// One step of the schema's history: the SQL that takes a database from
/// `version - 1` to `version`, and, for a change SQL alone cannot make (a
/// Unicode normalization), Swift code run after it in the same transaction.
struct Migration: Sendable {
    let version: Int
    let summary: String
    let sql: String
    var transform: (@Sendable (SQLiteConnection, Logger) throws -> Void)? = nil
}

/// The schema, as an ordered list of migrations.
///
/// It exists so that a database file written by any earlier deltastored can be
/// brought up to date at start, and so that a file written by a newer one is
/// refused instead of misread. The version is kept in `PRAGMA user_version`;
/// each migration runs in its own transaction together with the version bump,
/// so a crash leaves the file at one version or the next, never in between.
/// Migrations are append-only: never edit one that has shipped.
enum Migrations {
    static let all: [Migration] = [
        Migration(
            version: 1,
            summary: "ticks, quotes, chains, products, expiries",
            // Indexes: SQLite appends the rowid (`id`) to every index entry, so
            // an index on (product, ts) is ordered by (product, ts, id). Walked
            // backwards it yields exactly `ORDER BY ts DESC, id DESC`, forwards
            // `ts ASC, id ASC`: both orders of the keyset pagination come
            // straight from the index. Declaring `ts DESC` would order entries
            // by (ts DESC, id ASC) and force a sort for either order (the
            // query-plan tests check this).
            // The unique (symbol, ts) index also serves quotes by symbol, and
            // the unique (product, expiry, ts) index chains by product+expiry.
            sql: """
            CREATE TABLE ticks (
                id INTEGER PRIMARY KEY,
                product TEXT NOT NULL,
                ts INTEGER NOT NULL,
                price REAL NOT NULL,
                tick_key TEXT,
                doc BLOB NOT NULL
            ) STRICT;
            CREATE INDEX ticks_product_ts ON ticks (product, ts);
            CREATE INDEX ticks_ts ON ticks (ts);
            CREATE UNIQUE INDEX ticks_product_tick_key ON ticks (product, tick_key) WHERE tick_key IS NOT NULL;

            CREATE TABLE quotes (
                id INTEGER PRIMARY KEY,
                symbol TEXT NOT NULL,
                product TEXT NOT NULL,
                expiry TEXT NOT NULL,
                option_type TEXT NOT NULL,
                strike REAL NOT NULL,
                ts INTEGER NOT NULL,
                doc BLOB NOT NULL
            ) STRICT;
            CREATE UNIQUE INDEX quotes_symbol_ts ON quotes (symbol, ts);
            CREATE INDEX quotes_product_ts ON quotes (product, ts);

            CREATE TABLE chains (
                id INTEGER PRIMARY KEY,
                product TEXT NOT NULL,
                expiry TEXT NOT NULL,
                ts INTEGER NOT NULL,
                doc BLOB NOT NULL
            ) STRICT;
            CREATE UNIQUE INDEX chains_product_expiry_ts ON chains (product, expiry, ts);
            CREATE INDEX chains_product_ts ON chains (product, ts);

            CREATE TABLE products (
                product TEXT PRIMARY KEY
            ) STRICT, WITHOUT ROWID;

            CREATE TABLE expiries (
                product TEXT NOT NULL,
                expiry TEXT NOT NULL,
                PRIMARY KEY (product, expiry)
            ) STRICT, WITHOUT ROWID;
            """
        ),
        // Auth (issue 5): see `SQLiteUserRepository` and `SQLiteSessionRepository`.
        Migration(version: 2, summary: "users, sessions", sql: AuthSchema.migration2),
        // Ticks are the same tick when (product, tick_id, timestamp) are: a
        // feed that numbers tick_id from 0 again after a restart sends new
        // ticks, not duplicates. Every database that held the old, stricter
        // key also holds the new one, so the index builds on any file.
        Migration(
            version: 3,
            summary: "tick idempotency key (product, tick_id, timestamp)",
            sql: """
            CREATE UNIQUE INDEX ticks_product_tick_key_ts ON ticks (product, tick_key, ts) WHERE tick_key IS NOT NULL;
            DROP INDEX ticks_product_tick_key;
            """
        ),
        // Retention (issue 17): the purge deletes the oldest records of a
        // collection by time, a few hundred per transaction; quotes and chains
        // had no index led by `ts` (ticks have `ticks_ts`), so each batch would
        // scan the whole table.
        Migration(
            version: 4,
            summary: "time indexes of quotes and chains (retention)",
            sql: """
            CREATE INDEX quotes_ts ON quotes (ts);
            CREATE INDEX chains_ts ON chains (ts);
            """
        ),
        // Auth (issue 15): the revocation sequence, and emails in their NFC case-folded form.
        Migration(
            version: 5, summary: "auth_state (revocation sequence); emails in NFC case-folded form",
            sql: AuthSchema.migration5, transform: AuthSchema.normalizeEmails
        ),
        // Retention and the catalog: a purge that takes the last quotes of an
        // expiry takes the expiry from `expiries` (as MongoDB's `distinct`
        // would no longer find it), which needs quotes found by (product,
        // expiry) without a scan of the product's quotes; and what earlier
        // purges left behind goes now.
        Migration(
            version: 6,
            summary: "quotes by (product, expiry); the catalog keeps only what the store holds",
            sql: """
            CREATE INDEX quotes_product_expiry ON quotes (product, expiry);
            \(SQLiteCatalogRepository.forgetUnheldExpiriesSQL);
            \(SQLiteCatalogRepository.forgetUnheldProductsSQL);
            """
        ),
    ]

    /// The version a database has once every migration is applied.
    static var currentVersion: Int { all.last?.version ?? 0 }

    static func userVersion(of connection: SQLiteConnection) throws -> Int {
        Int(try connection.scalarInt("PRAGMA user_version") ?? 0)
    }

    /// Brings the database behind `connection` (the writer) to `currentVersion`.
    /// Throws `StoreError.failure` for a database newer than this code.
    static func apply(to connection: SQLiteConnection, logger: Logger) throws {
        let found = try userVersion(of: connection)
        guard found <= currentVersion else {
            throw StoreError.failure(
                "the database \(connection.path) has schema version \(found), newer than this deltastored knows (\(currentVersion)); refusing to open it: run a newer deltastored"
            )
        }
        var applied: [Migration] = []
        for migration in all where migration.version > found {
            let ran = try connection.writeTransaction { () throws -> Bool in
                // Re-read under the write lock: another process may have
                // migrated the file since the check above.
                guard try userVersion(of: connection) < migration.version else { return false }
                try connection.exec(migration.sql)
                try migration.transform?(connection, logger)
                try connection.exec("PRAGMA user_version = \(migration.version)")
                return true
            }
            if ran { applied.append(migration) }
        }
        // One line for all of them: a fresh file gets every migration at once
        // (and a journal's socket queue is short: see the journal test).
        if let last = applied.last {
            logger.info(
                "applied SQLite schema migration\(applied.count == 1 ? "" : "s") \(found) → \(last.version) (\(applied.map(\.summary).joined(separator: "; "))) to \(connection.path)",
                metadata: [
                    "version": "\(last.version)", "versions": "\(applied.map { String($0.version) }.joined(separator: ","))",
                    "summary": "\(applied.map(\.summary).joined(separator: "; "))", "path": "\(connection.path)",
                ]
            )
        }
    }
}
