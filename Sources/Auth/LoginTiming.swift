/// How long a failed login waits before it answers, so that its time tells
/// neither whether the email exists nor what cost the account's hash has.
///
/// Every failed check — a wrong password against the stored hash, or an
/// unknown email against a dummy of the census's modal cost — is followed by
/// a pause (a timer, no CPU) that brings the computation's time up to
/// `(1 + margin)` times the expected time of one check at the census's
/// maximum cost (`CheckTimings`, `HashCostCensus`), as estimated when the
/// attempt started (`target`), before its own check moved the estimates. The margin lets the
/// check at the slowest cost finish inside the padded time most of the
/// time, so every failure answers at about the same moment after its
/// check started. Measured from the start of the computation on its pool
/// thread, so time spent queueing for a hashing thread (which any login may
/// meet) is not padded away. A check that overran the target is not padded.
/// Successful logins are never padded: their answer already says the email
/// exists.
public struct LoginTiming: Sendable {
    /// Extra time over the slowest cost's expected check, as a fraction of it.
    public var margin: Double
    /// False turns padding off (tests of other things).
    public var padsFailures: Bool
    /// The longest pause ever taken, whatever the estimates say.
    public static let maximumPaddingNanoseconds: Int64 = 10_000_000_000

    public init(margin: Double = 0.1, padsFailures: Bool = true) {
        self.margin = max(0, margin)
        self.padsFailures = padsFailures
    }

    /// The time a failed check is held to now, in nanoseconds of
    /// computation: `(1 + margin)` times the expected check at the census's
    /// maximum cost; nil when padding is off or nothing was measured yet.
    /// Taken when the attempt starts, before its own check: the check's
    /// duration depends on the account's cost, and once recorded it moves
    /// the estimates, so a target taken after it would lean toward the very
    /// cost it must hide.
    public func target(census: HashCostCensus, timings: CheckTimings) -> Int64? {
        guard padsFailures else { return nil }
        let slowest = min(max(census.maximumCost, PasswordHasher.costRange.lowerBound), PasswordHasher.costRange.upperBound)
        guard let expected = timings.estimate(cost: slowest) else { return nil }
        let scaled = (Double(expected) * (1 + margin)).rounded()
        return scaled < Double(Int64.max) ? Int64(scaled) : .max
    }

    /// The pause after a failed check that took `nanoseconds` of computation,
    /// toward `target` (taken before the check).
    public func padding(afterCheckOf nanoseconds: Int64, target: Int64?) -> Int64 {
        guard padsFailures, let target else { return 0 }
        return min(max(0, target.saturatingSubtract(nanoseconds)), Self.maximumPaddingNanoseconds)
    }

    /// The pause after a failed check that took `nanoseconds`, toward the target of now.
    public func padding(afterCheckOf nanoseconds: Int64, census: HashCostCensus, timings: CheckTimings) -> Int64 {
        padding(afterCheckOf: nanoseconds, target: target(census: census, timings: timings))
    }
}
