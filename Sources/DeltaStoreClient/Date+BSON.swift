import Foundation

extension Date {
    /// The instant of a BSON datetime (milliseconds since the Unix epoch, UTC).
    public init(bsonMilliseconds milliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(milliseconds) / 1000)
    }

    /// This instant as a BSON datetime: milliseconds since the Unix epoch,
    /// rounded down (a time between two milliseconds belongs to the earlier one).
    public var bsonMilliseconds: Int64 {
        Int64((timeIntervalSince1970 * 1000).rounded(.down))
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
