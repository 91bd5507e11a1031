import BSONCore

/// The result of `ticks.insert`, `quotes.insert` and `chains.insert`: how many
/// items were stored, how many were recognised as duplicates (re-sent exactly
/// as stored), and the positions of the items not stored because a record
/// with their key but other content is stored (`conflicts`, ascending).
/// `inserted + duplicates + conflicts.count` is the batch's size.
public struct InsertResult: Sendable, Equatable {
    public var inserted: Int
    public var duplicates: Int
    public var conflicts: [Int]

    public init(inserted: Int, duplicates: Int, conflicts: [Int] = []) {
        self.inserted = inserted
        self.duplicates = duplicates
        self.conflicts = conflicts
    }

    init(_ document: BSONDocument, op: String) throws {
        let reader = ResultReader(document, op: op)
        inserted = try reader.int("inserted")
        duplicates = try reader.int("duplicates")
        conflicts = try reader.integers("conflicts").map { Int($0) }
    }
}
