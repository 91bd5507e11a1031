/// Arithmetic on times and lengths that a client, a token or a stored record
/// supplies, which must never trap: a trap in Swift ends the daemon.
///
/// A token signed with a key of the ring may still carry any `Int64` in
/// `iat`, `exp` or `nbf` (`iat = -2^63` once made `exp - iat` overflow and
/// killed the process); a stored session may carry any time. Every sum,
/// difference and product of such numbers goes through these, which clamp to
/// `Int64.min ... Int64.max` instead of overflowing. Clamping is the right
/// answer for every rule they serve: a clamped lifetime is still far longer
/// than any lifetime the server issues, a clamped deadline is still in the
/// past or the far future.
extension Int64 {
    /// `self + other`, clamped.
    @inlinable
    public func saturatingAdd(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }

    /// `self - other`, clamped.
    @inlinable
    public func saturatingSubtract(_ other: Int64) -> Int64 {
        let (difference, overflow) = subtractingReportingOverflow(other)
        guard overflow else { return difference }
        return other < 0 ? .max : .min
    }

    /// `self * other`, clamped.
    @inlinable
    public func saturatingMultiply(_ other: Int64) -> Int64 {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        guard overflow else { return product }
        return (self < 0) == (other < 0) ? .max : .min
    }
}
