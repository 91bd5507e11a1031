import NIOConcurrencyHelpers

/// How long one bcrypt computation takes on this machine now, per cost, from
/// the computations the hasher has done: the 90th percentile of the last
/// `samplesPerCost` of each cost.
///
/// A high percentile rather than the median: failed logins are held until
/// the slowest stored cost's check would be done (`LoginTiming`), and on a
/// loaded machine that check's own time varies; held to its median, half of
/// those checks would end later than every padded failure and show. A cost
/// never computed here is estimated from the nearest one that was: bcrypt's
/// work doubles with each step of cost, so the estimate is that one's times
/// 2 to the difference (an over-estimate going up, by bcrypt's small fixed
/// part, which only makes padding err long).
public final class CheckTimings: Sendable {
    public static let samplesPerCost = 15
    private let samples = NIOLockedValueBox<[Int: [Int64]]>([:])

    public init() {}

    /// Records one computation at `cost` that took `nanoseconds`.
    public func record(cost: Int, nanoseconds: Int64) {
        samples.withLockedValue { table in
            var recent = table[cost] ?? []
            recent.append(max(0, nanoseconds))
            if recent.count > Self.samplesPerCost { recent.removeFirst(recent.count - Self.samplesPerCost) }
            table[cost] = recent
        }
    }

    /// The duration of one computation at `cost` that 9 in 10 recent ones
    /// did not exceed, in nanoseconds; nil before any computation was measured.
    public func estimate(cost: Int) -> Int64? {
        let recentHighs = samples.withLockedValue { table in
            table.compactMapValues { recent -> Int64? in
                guard !recent.isEmpty else { return nil }
                return recent.sorted()[min(recent.count - 1, recent.count * 9 / 10)]
            }
        }
        if let exact = recentHighs[cost] { return exact }
        // The nearest measured cost; between two equally near, the higher.
        guard let nearest = recentHighs.keys.min(by: { (abs($0 - cost), -$0) < (abs($1 - cost), -$1) }), let base = recentHighs[nearest] else {
            return nil
        }
        let steps = cost - nearest
        if steps > 0 { return base.saturatingMultiply(Int64(1) << Int64(min(steps, 40))) }
        return base >> Int64(min(-steps, 62))
    }
}
