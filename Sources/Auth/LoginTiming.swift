/// How long a failed login waits before it answers, so that its time tells
/// neither whether the email exists nor what cost the account's hash has.
///
/// Every failed check — a wrong password against the stored hash, or an
/// unknown email against a dummy of the census's modal cost — is followed by
/// a pause (a timer, no CPU) that brings the computation's time up to
/// `(1 + margin)` times the expected time of one check at the census's
/// maximum cost (`CheckTimings`, `HashCostCensus`). The margin lets the
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

    /// The pause after a failed check that took `nanoseconds` of computation.
    public func padding(afterCheckOf nanoseconds: Int64, census: HashCostCensus, timings: CheckTimings) -> Int64 {
        guard padsFailures else { return 0 }
        let slowest = min(max(census.maximumCost, PasswordHasher.costRange.lowerBound), PasswordHasher.costRange.upperBound)
        guard let expected = timings.estimate(cost: slowest) else { return 0 }
        let scaled = (Double(expected) * (1 + margin)).rounded()
        let target = scaled < Double(Int64.max) ? Int64(scaled) : .max
        return min(max(0, target.saturatingSubtract(nanoseconds)), Self.maximumPaddingNanoseconds)
    }
}
