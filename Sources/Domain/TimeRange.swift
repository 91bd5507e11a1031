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

    /// The range left to read after a record at `timestamp`, in `order`: the
    /// bound on the cursor's side is tightened to it (the rows after the
    /// cursor lie on that side anyway, so no result changes, but the stores
    /// can then seek straight to the cursor). Comparisons only: no arithmetic,
    /// so any Int64 is fine.
    public func narrowed(after timestamp: Int64, order: SortOrder) -> TimeRange {
        switch order {
        case .descending: return TimeRange(start: start, end: Swift.min(end ?? .max, timestamp))
        case .ascending: return TimeRange(start: Swift.max(start ?? .min, timestamp), end: end)
        }
    }
}
