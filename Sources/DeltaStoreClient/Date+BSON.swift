import Foundation

extension Date {
    /// The instant of a BSON datetime (milliseconds since the Unix epoch, UTC).
    public init(bsonMilliseconds milliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(milliseconds) / 1000)
    }

    /// This instant as a BSON datetime: milliseconds since the Unix epoch,
    /// rounded down (a time between two milliseconds belongs to the earlier
    /// one). A `Date(bsonMilliseconds:)` gives back its milliseconds exactly:
    /// a `Date` is a double of seconds since 2001, which near the year 9999
    /// is only about 30 µs precise, so a time within 50 µs of a millisecond is
    /// that millisecond. An instant beyond what a BSON datetime holds is
    /// clamped to its range instead of trapping.
    public var bsonMilliseconds: Int64 {
        let milliseconds = timeIntervalSince1970 * 1000
        guard milliseconds.isFinite else { return milliseconds > 0 ? .max : .min }
        let nearest = milliseconds.rounded()
        let whole = abs(milliseconds - nearest) < 0.05 ? nearest : milliseconds.rounded(.down)
        // 2^63 is the first double above Int64.max.
        if whole >= 9_223_372_036_854_775_808.0 { return .max }
        if whole < -9_223_372_036_854_775_808.0 { return .min }
        return Int64(whole)
    }
}

extension Duration {
    /// Whole milliseconds, rounded up so that a positive duration is at least 1 ms.
    var roundedUpMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return attoseconds % 1_000_000_000_000_000 == 0 ? milliseconds : milliseconds + 1
    }
}
