import BSONCore

/// One page of `ticks.query`: the ticks exactly as their producer sent them,
/// and `next`, the cursor of the following page when there is one.
public struct TickPage: Sendable, Equatable {
    public var product: String
    public var ticks: [BSONDocument]
    /// The number of ticks in this page.
    public var count: Int { ticks.count }
    /// Pass it back as `cursor` (with the same query) for the next page; `nil` on the last page.
    public var next: String?

    init(_ document: BSONDocument) throws {
        let reader = ResultReader(document, op: "ticks.query")
        product = try reader.string("product")
        ticks = try reader.documents("ticks")
        next = try reader.optionalString("next")
    }
}

/// One page of `quotes.query`.
public struct QuotePage: Sendable, Equatable {
    public var quotes: [BSONDocument]
    /// The number of quotes in this page.
    public var count: Int { quotes.count }
    /// The cursor of the next page; `nil` on the last page.
    public var next: String?

    init(_ document: BSONDocument) throws {
        let reader = ResultReader(document, op: "quotes.query")
        quotes = try reader.documents("quotes")
        next = try reader.optionalString("next")
    }
}

/// One page of `chains.query` (each chain whole, or projected by `fields`).
public struct ChainPage: Sendable, Equatable {
    public var product: String
    public var chains: [BSONDocument]
    /// The number of chains in this page.
    public var count: Int { chains.count }
    /// The cursor of the next page; `nil` on the last page.
    public var next: String?

    init(_ document: BSONDocument) throws {
        let reader = ResultReader(document, op: "chains.query")
        product = try reader.string("product")
        chains = try reader.documents("chains")
        next = try reader.optionalString("next")
    }
}
