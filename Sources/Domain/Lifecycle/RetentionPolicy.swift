/// How long each collection keeps its records: a record whose `timestamp` is
/// older than now − duration is deleted by the background purge.
///
/// It exists so that the daemon's `--retain COLLECTION=DURATION` options,
/// the purge and `stats` share one value. A collection without a duration
/// keeps everything (the behaviour without any `--retain`).
public struct RetentionPolicy: Sendable, Equatable {
    /// Milliseconds each collection keeps, for the collections that have one.
    public private(set) var durations: [RecordCollection: Int64]

    public init(_ durations: [RecordCollection: Int64] = [:]) {
        self.durations = durations
    }

    public var isEmpty: Bool { durations.isEmpty }

    /// The collections with a retention, in their canonical order.
    public var collections: [RecordCollection] {
        RecordCollection.allCases.filter { durations[$0] != nil }
    }

    /// Sets (or replaces) the retention of `collection`.
    public mutating func retain(_ collection: RecordCollection, milliseconds: Int64) {
        durations[collection] = milliseconds
    }

    /// The time before which records of `collection` are deleted, at `now`
    /// (milliseconds since the epoch); nil when the collection keeps all.
    /// Saturating: a duration longer than the calendar keeps everything.
    public func cutoff(for collection: RecordCollection, now: Int64) -> Int64? {
        guard let duration = durations[collection] else { return nil }
        let (cutoff, overflow) = now.subtractingReportingOverflow(duration)
        return overflow ? Int64.min : cutoff
    }

    /// Parses the `COLLECTION=` part of `--retain COLLECTION=DURATION`:
    /// returns the collection and the text after `=` (the duration, parsed by
    /// the caller as its other duration options are).
    public static func split(_ text: String) throws(FieldError) -> (RecordCollection, String) {
        let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw FieldError("--retain", "expected COLLECTION=DURATION (e.g. ticks=30d), got '\(text)'")
        }
        guard let collection = RecordCollection(rawValue: String(parts[0])) else {
            throw FieldError("--retain", "unknown collection '\(parts[0])' (ticks, quotes or chains)")
        }
        return (collection, String(parts[1]))
    }
}
