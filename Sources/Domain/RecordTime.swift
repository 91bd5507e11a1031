/// The times a record may carry: from 0001-01-01T00:00:00.000Z to
/// 9999-12-31T23:59:59.999Z (UTC), in milliseconds since the Unix epoch.
///
/// It exists because a BSON datetime is any Int64 of milliseconds, far more
/// than a calendar (or the ISO-8601 text of the CLI, or Python's `datetime`)
/// can write, and far more than window arithmetic can round without
/// overflowing: `ticks.ohlc` rounds a timestamp down to its window, which for
/// −2^63 lies below Int64.min. Records are refused outside this range when
/// they are inserted, so every stored time has a calendar date of years 1 to
/// 9999 (the same years an `expiry` may name), and every computation on it
/// has room to spare. Query bounds (`start`, `end`) are not limited: a bound
/// outside the range only selects nothing more.
public enum RecordTime {
    /// 0001-01-01T00:00:00.000Z.
    public static let earliest: Int64 = -62_135_596_800_000
    /// 9999-12-31T23:59:59.999Z.
    public static let latest: Int64 = 253_402_300_799_999

    public static let range: ClosedRange<Int64> = earliest...latest

    /// The rule as people read it (in errors and in the protocol text).
    public static let rangeText = "0001-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z"

    public static func contains(_ milliseconds: Int64) -> Bool {
        range.contains(milliseconds)
    }
}
