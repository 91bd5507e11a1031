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

/// What an insert of a batch did: how many records were new and how many were
/// already there (re-sent items, idempotent).
public struct InsertOutcome: Sendable, Equatable {
    public var inserted: Int
    public var duplicates: Int

    public init(inserted: Int, duplicates: Int) {
        self.inserted = inserted
        self.duplicates = duplicates
    }
}
