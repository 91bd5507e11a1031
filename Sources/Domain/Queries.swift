/// `ticks.query`: one product's ticks in a time range, keyset-paginated.
public struct TickQuery: Sendable, Equatable {
    public var product: String
    public var range: TimeRange
    public var limit: Int
    public var order: SortOrder
    /// Continue after this position (a cursor opened for this query's `identity`).
    public var after: PageCursor?

    public init(product: String, range: TimeRange = TimeRange(), limit: Int, order: SortOrder = .descending, after: PageCursor? = nil) {
        self.product = product
        self.range = range
        self.limit = limit
        self.order = order
        self.after = after
    }

}

/// `quotes.query`: quotes by symbol or by product, with optional filters.
public struct QuoteQuery: Sendable, Equatable {
    public var symbol: String?
    public var product: String?
    public var expiry: String?
    public var optionType: Quote.OptionType?
    public var strikeMin: Double?
    public var strikeMax: Double?
    public var range: TimeRange
    public var limit: Int
    public var order: SortOrder
    public var after: PageCursor?

    public init(symbol: String? = nil, product: String? = nil, expiry: String? = nil, optionType: Quote.OptionType? = nil, strikeMin: Double? = nil, strikeMax: Double? = nil, range: TimeRange = TimeRange(), limit: Int, order: SortOrder = .descending, after: PageCursor? = nil) {
        self.symbol = symbol
        self.product = product
        self.expiry = expiry
        self.optionType = optionType
        self.strikeMin = strikeMin
        self.strikeMax = strikeMax
        self.range = range
        self.limit = limit
        self.order = order
        self.after = after
    }

    /// Whether a quote passes the filters other than the time range.
    public func matches(_ quote: Quote) -> Bool {
        if let symbol, quote.symbol != symbol { return false }
        if let product, quote.product != product { return false }
        if let expiry, quote.expiry != expiry { return false }
        if let optionType, quote.optionType != optionType { return false }
        if let strikeMin, quote.strike < strikeMin { return false }
        if let strikeMax, quote.strike > strikeMax { return false }
        return true
    }
}

/// `chains.query`: one product's chains (optionally one expiry), with an
/// optional projection of top-level fields.
public struct ChainQuery: Sendable, Equatable {
    public var product: String
    public var expiry: String?
    public var range: TimeRange
    public var limit: Int
    public var order: SortOrder
    public var after: PageCursor?
    /// Top-level fields to return besides product, expiry and timestamp; nil = all.
    public var fields: [String]?

    public init(product: String, expiry: String? = nil, range: TimeRange = TimeRange(), limit: Int, order: SortOrder = .descending, after: PageCursor? = nil, fields: [String]? = nil) {
        self.product = product
        self.expiry = expiry
        self.range = range
        self.limit = limit
        self.order = order
        self.after = after
        self.fields = fields
    }

    /// The fields always returned by a projection.
    public static let identifyingFields: [String] = ["product", "expiry", "timestamp"]
}
