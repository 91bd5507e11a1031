/// One page of a query: the records, and where the next page starts if the
/// store had more.
public struct Page<Record: Sendable>: Sendable {
    public var records: [Record]
    /// Present when more records may follow; pass it back to continue.
    public var next: PageCursor?

    public init(records: [Record], next: PageCursor?) {
        self.records = records
        self.next = next
    }
}

/// How many records a store reads for a page of `limit`: one more, whose
/// presence only tells that another page follows (saturating, so no limit
/// can overflow it).
public func recordsToRead(forPageOf limit: Int) -> Int64 {
    let (count, overflow) = Int64(limit).addingReportingOverflow(1)
    return overflow ? .max : count
}

/// What an insert of a batch did: how many records were new, how many were
/// already there (re-sent items, idempotent), and which items were not stored
/// because their idempotency key was taken by a record with other content.
///
/// A duplicate is an item whose key and whole document (byte for byte) equal
/// those of a stored record or of an earlier item of the batch: it is what a
/// retry sends. An item whose key matches but whose document differs is a
/// *conflict*: it is not stored (the stored record stays as it was), it is
/// never counted as a duplicate, and its 0-based position in the batch is in
/// `conflicts`, ascending. `inserted + duplicates + conflicts.count` is the
/// number of items.
public struct InsertOutcome: Sendable, Equatable {
    public var inserted: Int
    public var duplicates: Int
    public var conflicts: [Int]

    public init(inserted: Int, duplicates: Int, conflicts: [Int] = []) {
        self.inserted = inserted
        self.duplicates = duplicates
        self.conflicts = conflicts
    }

    /// Counts one item whose key was already taken: a duplicate when the
    /// taken record's document is `stored`'s bytes exactly, else a conflict at
    /// `index`.
    public mutating func keyTaken(at index: Int, stored: [UInt8]?, sent: [UInt8]) {
        if let stored, stored == sent {
            duplicates += 1
        } else {
            conflicts.append(index)
        }
    }
}
