import BSONCore
import Domain
import WireProtocol

/// Argument readers shared by the market-data operations: names, ranges,
/// limits, order and cursors, each with the field named on failure.
extension Arguments {
    /// A required name (product, symbol): 1 to 64 of `[A-Za-z0-9._-]`.
    func requiredName(_ field: String) throws -> String {
        try FieldRules.name(try required(field, type: "string"), field: field)
    }

    /// An optional name.
    func name(_ field: String) throws -> String? {
        try optional(field, type: "string").map { value throws in try FieldRules.name(value, field: field) }
    }

    /// A required expiry date, `YYYY-MM-DD`.
    func requiredExpiry(_ field: String) throws -> String {
        try FieldRules.expiry(try required(field, type: "string"), field: field)
    }

    /// An optional expiry date.
    func expiry(_ field: String) throws -> String? {
        try optional(field, type: "string").map { value throws in try FieldRules.expiry(value, field: field) }
    }

    /// `start`/`end`, inclusive, BSON datetimes; `start` after `end` is refused.
    func timeRange() throws -> TimeRange {
        let range = TimeRange(start: try datetime("start"), end: try datetime("end"))
        if let start = range.start, let end = range.end, start > end {
            throw WireError.invalidArgument(field: "start", reason: "is after end")
        }
        return range
    }

    func limit(default defaultLimit: Int, maximum: Int) throws -> Int {
        Int(try integer("limit", in: 1...Int64(maximum)) ?? Int64(min(defaultLimit, maximum)))
    }

    func order() throws -> SortOrder {
        guard let text = try string("order", maxBytes: 8) else { return .descending }
        guard let order = SortOrder(rawValue: text) else {
            throw WireError.invalidArgument(field: "order", reason: "must be \"desc\" or \"asc\"")
        }
        return order
    }

    /// The `cursor` argument, opened with the server's key for the query
    /// with `identity` (forged, altered and other queries' cursors refused).
    func cursor(for identity: QueryIdentity, key: CursorKey) throws -> PageCursor? {
        guard let token = try string("cursor", maxBytes: CursorKey.maximumTokenBytes) else { return nil }
        return try key.open(token, for: identity)
    }

    func finiteNumber(_ field: String) throws -> Double? {
        guard let value = try optional(field, type: "double|int32|int64") else { return nil }
        guard let number = value.numericValue else { throw Arguments.wrongType(field, "a number", value) }
        guard number.isFinite else { throw WireError.invalidArgument(field: field, reason: "must be finite") }
        return number
    }

    /// A batch argument (required, `array<document>`): 1 to `maximum` documents.
    func batch(_ field: String, maximum: Int) throws -> [BSONDocument] {
        let items = try requiredArray(field, type: "array<document>")
        guard (1...maximum).contains(items.count) else {
            throw WireError.invalidArgument(field: field, reason: "must hold 1 to \(maximum) items, got \(items.count)")
        }
        return try items.enumerated().map { index, item in
            guard case .document(let document) = item else {
                throw BatchItemError(batchField: field, index: index, error: FieldError("(item)", "must be a document, got \(item.typeName)"))
            }
            return document
        }
    }
}

/// Validates every item of a batch before anything is written.
func validateBatch<Record>(_ documents: [BSONDocument], field: String, _ make: (BSONDocument) throws(FieldError) -> Record) throws -> [Record] {
    var records: [Record] = []
    records.reserveCapacity(documents.count)
    for (index, document) in documents.enumerated() {
        do {
            records.append(try make(document))
        } catch {
            throw BatchItemError(batchField: field, index: index, error: error)
        }
    }
    return records
}

/// The result of a page: records, count and `next` (sealed with
/// `cursorKey`) when more may follow.
func pageResult(_ prefix: [(String, BSONValue)], key: String, documents: [BSONDocument], next: PageCursor?, cursorKey: CursorKey) -> BSONDocument {
    var pairs = prefix
    pairs.append(("count", .int32(Int32(clamping: documents.count))))
    pairs.append((key, .array(documents.map { .document($0) })))
    if let next { pairs.append(("next", .string(cursorKey.seal(next)))) }
    return BSONDocument(pairs)
}

/// `{inserted, duplicates, conflicts}`: `conflicts` (always present, often
/// empty) holds the positions of the items not stored because their key was
/// taken by a record with other content.
func insertResult(_ outcome: InsertOutcome) -> BSONDocument {
    [
        "inserted": .int32(Int32(clamping: outcome.inserted)), "duplicates": .int32(Int32(clamping: outcome.duplicates)),
        "conflicts": .array(outcome.conflicts.map { .int32(Int32(clamping: $0)) }),
    ]
}

/// The result notation of the insert operations (for `describe`).
let insertResultNotation = "{inserted: int32, duplicates: int32, conflicts: [int32] (positions of items whose key is taken by a record with other content; not stored)}"
