import NIOCore
import WireProtocol

/// The facts `hello` reports, fixed at start from the configuration: the
/// store's kind, the limits (the same `DaemonLimits` the listener enforces)
/// and the start time.
public struct ServerInfo: Sendable {
    /// "sqlite" or "mongodb".
    public var storeKind: String
    public var limits: DaemonLimits
    public var startedAt: NIODeadline

    public init(storeKind: String, limits: DaemonLimits = DaemonLimits(), startedAt: NIODeadline = .now()) {
        self.storeKind = storeKind
        self.limits = limits
        self.startedAt = startedAt
    }

    public var uptimeSeconds: Int64 {
        (NIODeadline.now() - startedAt).nanoseconds / 1_000_000_000
    }
}
