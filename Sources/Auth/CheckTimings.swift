import NIOConcurrencyHelpers

/// How long one bcrypt computation at a given cost takes on this machine
/// now, from the computations the hasher has done: what failed logins are
/// held to (`LoginTiming`), so it errs long.
///
/// Two views, and the estimate is the larger:
/// - per cost, the 90th percentile of the last `samplesPerCost` computations
///   of that cost (a cost never computed is scaled from the nearest one that
///   was: bcrypt's work doubles with each step of cost);
/// - across costs, the 90th percentile of the last `samplesPerCost`
///   computations of *any* cost, each divided by 2^cost, times 2^cost.
/// The second follows a change of load within a few logins whatever their
/// cost, where the first waits for the next logins of that very cost — and
/// the slowest stored cost, the one failures are held to, may be the rarest.
/// A high percentile rather than the median: held to a median, half of the
/// checks at the slowest cost would end after every padded failure and show.
/// Both over-estimate rather than under-estimate (bcrypt's small fixed part
/// counts as if it doubled too), which only makes the holding err long.
public final class CheckTimings: Sendable {
    public static let samplesPerCost = 15

    struct State {
        var byCost: [Int: [Int64]] = [:]
        /// Recent computations of any cost, in nanoseconds per 2^cost.
        var perUnit: [Double] = []
    }

    private let state = NIOLockedValueBox(State())

    public init() {}

    /// Records one computation at `cost` that took `nanoseconds`.
    public func record(cost: Int, nanoseconds: Int64) {
        let nanoseconds = max(0, nanoseconds)
        state.withLockedValue { state in
            var recent = state.byCost[cost] ?? []
            recent.append(nanoseconds)
            if recent.count > Self.samplesPerCost { recent.removeFirst(recent.count - Self.samplesPerCost) }
            state.byCost[cost] = recent
            state.perUnit.append(Double(nanoseconds) / Self.work(cost))
            if state.perUnit.count > Self.samplesPerCost { state.perUnit.removeFirst(state.perUnit.count - Self.samplesPerCost) }
        }
    }

    /// The duration of one computation at `cost` that 9 in 10 recent ones did
    /// not exceed (the larger of the two views above), in nanoseconds; nil
    /// before any computation was measured.
    public func estimate(cost: Int) -> Int64? {
        let (byCost, perUnit) = state.withLockedValue { state in
            (state.byCost.compactMapValues(Self.highPercentile), Self.highPercentile(state.perUnit))
        }
        var estimate: Int64?
        if let exact = byCost[cost] {
            estimate = exact
        } else if let nearest = byCost.keys.min(by: { (abs($0 - cost), -$0) < (abs($1 - cost), -$1) }), let base = byCost[nearest] {
            // The nearest measured cost; between two equally near, the higher.
            let steps = cost - nearest
            estimate = steps > 0 ? base.saturatingMultiply(Int64(1) << Int64(min(steps, 40))) : base >> Int64(min(-steps, 62))
        }
        if let perUnit {
            let scaled = (perUnit * Self.work(cost)).rounded()
            let acrossCosts = scaled < Double(Int64.max) ? Int64(scaled) : .max
            estimate = max(estimate ?? acrossCosts, acrossCosts)
        }
        return estimate
    }

    /// bcrypt's work at `cost`: 2^cost key expansions.
    static func work(_ cost: Int) -> Double {
        Double(sign: .plus, exponent: min(max(cost, 0), 62), significand: 1)
    }

    /// The value 9 in 10 of `values` do not exceed (nil for none).
    static func highPercentile<Value: Comparable>(_ values: [Value]) -> Value? {
        guard !values.isEmpty else { return nil }
        return values.sorted()[min(values.count - 1, values.count * 9 / 10)]
    }
}
