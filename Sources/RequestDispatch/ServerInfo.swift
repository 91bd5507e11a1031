import NIOCore
import WireProtocol

/// The facts `hello` reports and the limits every connection enforces, fixed at
/// start from the configuration.
public struct ServerInfo: Sendable {
    /// Limits announced in `hello` so that clients size their requests.
    public struct Limits: Sendable {
        public var maxMessageBytes: Int
        public var maxBatch: Int
        public var maxPage: Int
        public var maxInFlight: Int

        public init(maxMessageBytes: Int = BSONFrameDecoder.defaultMaximumFrameBytes, maxBatch: Int = 1000, maxPage: Int = 1000, maxInFlight: Int = 128) {
            self.maxMessageBytes = maxMessageBytes
            self.maxBatch = maxBatch
            self.maxPage = maxPage
            self.maxInFlight = maxInFlight
        }
    }

    /// "sqlite" or "mongodb".
    public var storeKind: String
    public var limits: Limits
    public var startedAt: NIODeadline

    public init(storeKind: String, limits: Limits = Limits(), startedAt: NIODeadline = .now()) {
        self.storeKind = storeKind
        self.limits = limits
        self.startedAt = startedAt
    }

    public var uptimeSeconds: Int64 {
        (NIODeadline.now() - startedAt).nanoseconds / 1_000_000_000
    }
}
