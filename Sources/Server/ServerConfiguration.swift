import NIOCore
import WireProtocol

/// Everything the listener needs to know, set once at start.
public struct ServerConfiguration: Sendable {
    /// The socket file to create (ignored when a listening fd is inherited).
    public var socketPath: String
    /// Permissions of the socket file: owner and group may connect.
    public var socketMode: UInt32
    public var maxMessageBytes: Int
    /// Requests one connection may have in progress; past it the server stops
    /// reading that connection until replies go out.
    public var maxInFlightPerConnection: Int
    /// How long a SIGTERM waits for requests in progress before closing anyway.
    public var drainTimeout: TimeAmount
    /// Open connections in all; one more is answered RESOURCE_EXHAUSTED and closed.
    public var maxConnections: Int
    /// Open connections per peer uid.
    public var maxConnectionsPerUID: Int
    /// How long one frame may take to arrive, from its first byte, counting
    /// only time the server was reading the connection.
    public var frameTimeout: TimeAmount
    /// Close connections that sent nothing for this long with nothing in
    /// progress; nil keeps idle connections open (pooled clients).
    public var idleTimeout: TimeAmount?
    /// Reply bytes of one connection not yet written to its socket, past which
    /// the server starts none of its requests and stops reading it (a reply is
    /// never cut: one of any size still goes out).
    public var maxUnsentBytesPerConnection: Int
    /// The daemon's memory budget: bytes of frames received and not answered,
    /// of requests running, of unsent replies, and `maxMessageBytes` per
    /// running read operation, over all connections (`MemoryBudget`).
    public var maxBufferedBytes: Int
    /// How long a connection may hold memory without progress while the budget
    /// is exhausted before it is closed.
    public var stallTimeout: TimeAmount
    /// The frame limit of peers that may call no operation taking large
    /// requests (no `write` group), capped by `maxMessageBytes`.
    public var smallPeerMaxFrameBytes: Int

    /// The defaults of the options above.
    public static let defaultMaxUnsentBytesPerConnection = 1 << 20
    public static let defaultMaxBufferedBytes = 256 << 20
    public static let defaultSmallPeerMaxFrameBytes = 65_536

    public init(
        socketPath: String,
        socketMode: UInt32 = 0o660,
        maxMessageBytes: Int = BSONFrameDecoder.defaultMaximumFrameBytes,
        maxInFlightPerConnection: Int = 128,
        drainTimeout: TimeAmount = .seconds(10),
        maxConnections: Int = 4096,
        maxConnectionsPerUID: Int = 1024,
        frameTimeout: TimeAmount = .seconds(30),
        idleTimeout: TimeAmount? = nil,
        maxUnsentBytesPerConnection: Int = ServerConfiguration.defaultMaxUnsentBytesPerConnection,
        maxBufferedBytes: Int = ServerConfiguration.defaultMaxBufferedBytes,
        stallTimeout: TimeAmount = .seconds(2),
        smallPeerMaxFrameBytes: Int = ServerConfiguration.defaultSmallPeerMaxFrameBytes
    ) {
        self.socketPath = socketPath
        self.socketMode = socketMode
        self.maxMessageBytes = maxMessageBytes
        self.maxInFlightPerConnection = maxInFlightPerConnection
        self.drainTimeout = drainTimeout
        self.maxConnections = maxConnections
        self.maxConnectionsPerUID = maxConnectionsPerUID
        self.frameTimeout = frameTimeout
        self.idleTimeout = idleTimeout
        self.maxUnsentBytesPerConnection = maxUnsentBytesPerConnection
        self.maxBufferedBytes = maxBufferedBytes
        self.stallTimeout = stallTimeout
        self.smallPeerMaxFrameBytes = smallPeerMaxFrameBytes
    }
}
