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

    public init(
        socketPath: String,
        socketMode: UInt32 = 0o660,
        maxMessageBytes: Int = BSONFrameDecoder.defaultMaximumFrameBytes,
        maxInFlightPerConnection: Int = 128,
        drainTimeout: TimeAmount = .seconds(10)
    ) {
        self.socketPath = socketPath
        self.socketMode = socketMode
        self.maxMessageBytes = maxMessageBytes
        self.maxInFlightPerConnection = maxInFlightPerConnection
        self.drainTimeout = drainTimeout
    }
}
