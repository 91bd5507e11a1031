import BSONCore
import Domain

/// Keyset pagination over `(ts, id)`, shared by the tick, quote and chain
/// queries: the SQL shape, the bindings, the cursor's record key, and reading
/// one page plus the look-ahead row.
///
/// It exists so that the three repositories paginate in exactly one way. A page
/// reads `limit + 1` rows: the extra row only tells that more follow. The next
/// page continues strictly after the last returned `(ts, id)` with a row-value
/// comparison, so every record present when the first page was read comes
/// exactly once, in order, whatever is inserted meanwhile; equal timestamps
/// are ordered by `id` (insertion order).
enum KeysetPagination {
    /// `SELECT columns FROM table WHERE filters AND ts BETWEEN :start AND :end
    /// [AND (ts, id) </> (:after_ts, :after_id)] ORDER BY ts, id LIMIT :limit`.
    /// The first two selected columns must be `id, ts`.
    static func sql(select columns: String, from table: String, where filters: [String], order: SortOrder, afterCursor: Bool) -> String {
        var conditions = filters
        conditions.append("ts BETWEEN :start AND :end")
        if afterCursor {
            conditions.append(order == .descending ? "(ts, id) < (:after_ts, :after_id)" : "(ts, id) > (:after_ts, :after_id)")
        }
        let direction = order == .descending ? "DESC" : "ASC"
        return "SELECT \(columns) FROM \(table) WHERE \(conditions.joined(separator: " AND ")) ORDER BY ts \(direction), id \(direction) LIMIT :limit"
    }

    /// The cursor's record key: the row id, 8 bytes big-endian.
    static func recordKey(_ id: Int64) -> [UInt8] {
        (0..<8).reversed().map { UInt8(truncatingIfNeeded: UInt64(bitPattern: id) >> (8 * UInt64($0))) }
    }

    /// The row id in a cursor this store issued for the query with `identity`.
    static func rowID(of cursor: PageCursor, identity: QueryIdentity) throws(FieldError) -> Int64 {
        guard cursor.belongs(to: identity) else { throw FieldError("cursor", PageCursor.otherQueryReason) }
        guard cursor.recordKey.count == 8 else {
            throw FieldError("cursor", "not a cursor issued by this store")
        }
        var value: UInt64 = 0
        for byte in cursor.recordKey { value = value << 8 | UInt64(byte) }
        return Int64(bitPattern: value)
    }

    static func checkLimit(_ limit: Int) throws(FieldError) {
        guard limit >= 1 else { throw FieldError("limit", "must be at least 1") }
    }

    /// Binds `:start`, `:end`, `:limit` and, after a cursor, `:after_ts` and
    /// `:after_id`.
    ///
    /// After a cursor the range bound on the cursor's side is tightened to the
    /// cursor's timestamp. That changes no result (rows after the cursor lie on
    /// that side of it anyway) but makes SQLite seek straight to the cursor:
    /// given both `ts <= :end` and `(ts, id) < (…)` it uses only one as the
    /// index bound, and the page must not start by skipping every row already
    /// returned.
    static func bind(_ statement: SQLiteStatement, range: TimeRange, order: SortOrder, after: (ts: Int64, id: Int64)?, limit: Int) throws(SQLiteError) {
        var bounds = range
        if let after {
            bounds = range.narrowed(after: after.ts, order: order)
            try statement.bind(":after_ts", after.ts)
            try statement.bind(":after_id", after.id)
        }
        try statement.bind(":start", bounds.start ?? Int64.min)
        try statement.bind(":end", bounds.end ?? Int64.max)
        // One more than asked for: its presence means another page follows.
        try statement.bind(":limit", recordsToRead(forPageOf: limit))
    }

    /// Steps the bound statement: at most `limit` records, and `next` when a
    /// further row exists. Column 0 must be `id`, column 1 `ts`.
    static func readPage<Record: Sendable>(
        _ statement: SQLiteStatement,
        limit: Int,
        identity: QueryIdentity,
        decode: (SQLiteStatement) throws -> Record
    ) throws -> Page<Record> {
        var records: [Record] = []
        var last: (ts: Int64, id: Int64)?
        while records.count < limit, try statement.step() {
            records.append(try decode(statement))
            last = (statement.int64(1), statement.int64(0))
        }
        guard let last, records.count == limit, try statement.step() else {
            return Page(records: records, next: nil)
        }
        return Page(records: records, next: PageCursor(timestamp: last.ts, recordKey: recordKey(last.id), query: identity))
    }

    /// The stored document in `column`, checked to be well-formed BSON (a
    /// damaged file must not hand malformed bytes to the protocol layer).
    static func document(_ statement: SQLiteStatement, column: Int32, table: String) throws -> BSONDocument {
        do {
            return try BSONDocument(validating: statement.blob(column))
        } catch {
            throw StoreError.failure("\(table) row \(statement.int64(0)) holds a damaged document: \(error)")
        }
    }
}

/// Every page statement of one table — one per (filter shape, order, after a
/// cursor or not) — built once, so each query shape has exactly one SQL text
/// (which the query-plan tests check) and nothing is formatted per request.
struct PageStatements<Shape: Hashable & CaseIterable & Sendable>: Sendable {
    private struct Key: Hashable, Sendable {
        let shape: Shape
        let order: SortOrder
        let afterCursor: Bool
    }

    private let statements: [Key: String]

    init(select columns: String, from table: String, filters: (Shape) -> [String]) {
        var statements: [Key: String] = [:]
        for shape in Shape.allCases {
            for order in SortOrder.allCases {
                for afterCursor in [false, true] {
                    statements[Key(shape: shape, order: order, afterCursor: afterCursor)] =
                        KeysetPagination.sql(select: columns, from: table, where: filters(shape), order: order, afterCursor: afterCursor)
                }
            }
        }
        self.statements = statements
    }

    /// The statement for a page; every combination was built in `init`.
    func sql(_ shape: Shape, _ order: SortOrder, afterCursor: Bool) -> String {
        statements[Key(shape: shape, order: order, afterCursor: afterCursor)] ?? ""
    }
}
