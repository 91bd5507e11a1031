import NIOConcurrencyHelpers

/// How long one bcrypt computation takes on this machine now, per cost, from
/// the computations the hasher has done (the last `samplesPerCost` of each
/// cost; their median).
///
/// A cost never computed here is estimated from the nearest one that was:
/// bcrypt's work doubles with each step of cost, so the estimate is that
/// median times 2 to the difference (an over-estimate going up, by bcrypt's
/// small fixed part, which only makes padding err long). Used to pad failed
/// logins to the time of the slowest stored hash (`LoginTiming`).
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

    /// The expected duration of one computation at `cost`, in nanoseconds;
    /// nil before any computation was measured.
    public func estimate(cost: Int) -> Int64? {
        let medians = samples.withLockedValue { table in
            table.compactMapValues { recent -> Int64? in
                guard !recent.isEmpty else { return nil }
                return recent.sorted()[recent.count / 2]
            }
        }
        if let exact = medians[cost] { return exact }
        // The nearest measured cost; between two equally near, the higher.
        guard let nearest = medians.keys.min(by: { (abs($0 - cost), -$0) < (abs($1 - cost), -$1) }), let base = medians[nearest] else {
            return nil
        }
        let steps = cost - nearest
        if steps > 0 { return base.saturatingMultiply(Int64(1) << Int64(min(steps, 40))) }
        return base >> Int64(min(-steps, 62))
    }
}
