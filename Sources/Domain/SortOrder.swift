/// The order of a time-series query: newest first unless asked otherwise.
public enum SortOrder: String, Sendable, CaseIterable {
    case descending = "desc"
    case ascending = "asc"
}

/// A time range with inclusive bounds, in milliseconds since the epoch.
public struct TimeRange: Sendable, Equatable {
    public var start: Int64?
    public var end: Int64?

    public init(start: Int64? = nil, end: Int64? = nil) {
        self.start = start
        self.end = end
    }

    public func contains(_ timestamp: Int64) -> Bool {
        (start.map { timestamp >= $0 } ?? true) && (end.map { timestamp <= $0 } ?? true)
    }
}
