import BSONCore
import Domain

/// The insert loop of the tick, quote and chain repositories: each record is
/// inserted with `INSERT … ON CONFLICT DO NOTHING` against the table's unique
/// index on the record kind's idempotency key; when nothing was inserted, the
/// record holding the key is read back and compared byte for byte, which
/// tells a duplicate (a retry: same document) from a conflict (same key, other
/// content; see `InsertOutcome`).
///
/// It exists so that the three repositories decide "duplicate or conflict" in
/// exactly one way. It runs inside the caller's write transaction, so the
/// record read back is the one the insert collided with (an earlier item of
/// the same batch included).
enum IdempotentInsert {
    struct Statements {
        /// The insert of one record (`ON CONFLICT DO NOTHING`).
        let insert: String
        /// `SELECT doc FROM table WHERE <the key>`, bound by `bindKey`.
        let storedByKey: String
    }

    /// Inserts `records` in order; returns the outcome and the records stored.
    static func run<Record>(
        _ records: [Record],
        on connection: SQLiteConnection,
        statements: Statements,
        document: (Record) -> BSONDocument,
        bind: (SQLiteStatement, Record) throws -> Void,
        bindKey: (SQLiteStatement, Record) throws -> Void
    ) throws -> (outcome: InsertOutcome, stored: [Record]) {
        var outcome = InsertOutcome(inserted: 0, duplicates: 0)
        var stored: [Record] = []
        stored.reserveCapacity(records.count)
        try connection.withStatement(statements.insert) { statement in
            for (index, record) in records.enumerated() {
                try bind(statement, record)
                try statement.run()
                let changed = connection.changes > 0
                statement.reset()
                if changed {
                    stored.append(record)
                    continue
                }
                let existing = try connection.withStatement(statements.storedByKey) { lookup -> [UInt8]? in
                    try bindKey(lookup, record)
                    return try lookup.step() ? lookup.blob(0) : nil
                }
                outcome.keyTaken(at: index, stored: existing, sent: document(record).bytes)
            }
        }
        outcome.inserted = stored.count
        return (outcome, stored)
    }
}
