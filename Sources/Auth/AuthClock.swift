import Foundation

/// Where auth reads the time: milliseconds since the Unix epoch (UTC).
///
/// Injected everywhere time matters (token expiry, refresh grace window,
/// throttling delays) so tests can move time by hand instead of sleeping.
public struct AuthClock: Sendable {
    private let read: @Sendable () -> Int64

    public init(_ read: @escaping @Sendable () -> Int64) {
        self.read = read
    }

    public var nowMilliseconds: Int64 { read() }

    /// Whole seconds, as JWT times are written.
    public var nowSeconds: Int64 { Int64((Double(read()) / 1000).rounded(.down)) }

    /// The wall clock.
    public static let system = AuthClock { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
}
