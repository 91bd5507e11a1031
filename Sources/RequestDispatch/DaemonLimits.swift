import WireProtocol

/// The daemon's size limits, fixed at start: one value that the listener
/// (`Server`) enforces and `hello` announces (`ServerInfo`), so what clients
/// are told and what connections are held to cannot differ.
public struct DaemonLimits: Sendable, Equatable {
    /// Largest frame accepted or sent, in bytes (`--max-message-bytes`; in `hello`).
    public var maxMessageBytes: Int
    /// Largest batch an insert accepts (`--max-batch`; in `hello`).
    public var maxBatch: Int
    /// Largest page a query returns (`--max-page`; in `hello`).
    public var maxPage: Int
    /// Requests one connection may have in progress; past it the server stops
    /// reading that connection until replies go out (`--max-in-flight`; in `hello`).
    public var maxInFlight: Int
    /// Open connections in all; one more is answered RESOURCE_EXHAUSTED and closed.
    public var maxConnections: Int
    /// Open connections per peer uid.
    public var maxConnectionsPerUID: Int
    /// Reply bytes of one connection not yet written to its socket, past which
    /// the server starts none of its requests and stops reading it (a reply is
    /// never cut: one of any size still goes out).
    public var maxUnsentBytesPerConnection: Int
    /// The daemon's memory budget: bytes of frames received and not answered,
    /// of requests running, of unsent replies, and `maxMessageBytes` per
    /// running read operation, over all connections (`MemoryBudget`).
    public var maxBufferedBytes: Int
    /// The frame limit of peers that may call no operation taking large
    /// requests (no `write` group), capped by `maxMessageBytes`.
    public var smallPeerMaxFrameBytes: Int

    /// The defaults of the options above.
    public static let defaultMaxUnsentBytesPerConnection = 1 << 20
    public static let defaultMaxBufferedBytes = 256 << 20
    public static let defaultSmallPeerMaxFrameBytes = 65_536

    public init(
        maxMessageBytes: Int = BSONFrameDecoder.defaultMaximumFrameBytes,
        maxBatch: Int = 1000,
        maxPage: Int = 1000,
        maxInFlight: Int = 128,
        maxConnections: Int = 4096,
        maxConnectionsPerUID: Int = 1024,
        maxUnsentBytesPerConnection: Int = DaemonLimits.defaultMaxUnsentBytesPerConnection,
        maxBufferedBytes: Int = DaemonLimits.defaultMaxBufferedBytes,
        smallPeerMaxFrameBytes: Int = DaemonLimits.defaultSmallPeerMaxFrameBytes
    ) {
        self.maxMessageBytes = maxMessageBytes
        self.maxBatch = maxBatch
        self.maxPage = maxPage
        self.maxInFlight = maxInFlight
        self.maxConnections = maxConnections
        self.maxConnectionsPerUID = maxConnectionsPerUID
        self.maxUnsentBytesPerConnection = maxUnsentBytesPerConnection
        self.maxBufferedBytes = maxBufferedBytes
        self.smallPeerMaxFrameBytes = smallPeerMaxFrameBytes
    }
}
