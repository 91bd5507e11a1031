import BSONCore

/// The result of `ticks.insert`, `quotes.insert` and `chains.insert`: how many
/// items were stored and how many were recognised as duplicates (they add up
/// to the batch's size).
public struct InsertResult: Sendable, Equatable {
    public var inserted: Int
    public var duplicates: Int

    public init(inserted: Int, duplicates: Int) {
        self.inserted = inserted
        self.duplicates = duplicates
    }

    init(_ document: BSONDocument, op: String) throws {
        let reader = ResultReader(document, op: op)
        inserted = try reader.int("inserted")
        duplicates = try reader.int("duplicates")
    }
}
