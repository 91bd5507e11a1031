import NIOCore
import RequestDispatch
import WireProtocol

/// Everything the listener needs to know, set once at start: where to
/// listen, the limits (the same value `hello` announces) and the timeouts.
public struct ServerConfiguration: Sendable {
    /// The socket file to create (ignored when a listening fd is inherited).
    public var socketPath: String
    /// Permissions of the socket file: owner and group may connect.
    public var socketMode: UInt32
    /// Frame, in-flight, connection and memory limits.
    public var limits: DaemonLimits
    /// How long a SIGTERM waits for requests in progress before closing anyway.
    public var drainTimeout: TimeAmount
    /// How long one frame may take to arrive, from its first byte, counting
    /// only time the server was reading the connection.
    public var frameTimeout: TimeAmount
    /// Close connections that sent nothing for this long with nothing in
    /// progress; nil keeps idle connections open (pooled clients).
    public var idleTimeout: TimeAmount?
    /// How long a connection may hold memory without progress while the budget
    /// is exhausted before it is closed.
    public var stallTimeout: TimeAmount

    public init(
        socketPath: String,
        socketMode: UInt32 = 0o660,
        limits: DaemonLimits = DaemonLimits(),
        drainTimeout: TimeAmount = .seconds(10),
        frameTimeout: TimeAmount = .seconds(30),
        idleTimeout: TimeAmount? = nil,
        stallTimeout: TimeAmount = .seconds(2)
    ) {
        self.socketPath = socketPath
        self.socketMode = socketMode
        self.limits = limits
        self.drainTimeout = drainTimeout
        self.frameTimeout = frameTimeout
        self.idleTimeout = idleTimeout
        self.stallTimeout = stallTimeout
    }
}
