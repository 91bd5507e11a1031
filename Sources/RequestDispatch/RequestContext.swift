import Logging
import NIOCore

/// What a handler may know about the request it serves besides its arguments:
/// where to schedule work, whom to log as, and when the client stops waiting.
public struct RequestContext: Sendable {
    /// The event loop of the connection; futures returned by handlers complete here.
    public var eventLoop: any EventLoop
    public var logger: Logger
    /// A number unique to the connection within this daemon's lifetime.
    public var connectionID: UInt64
    public var receivedAt: NIODeadline
    /// When the client's `deadline_ms` runs out, if it gave one.
    public var deadline: NIODeadline?
    /// The connected process's credentials (nil when the kernel gave none,
    /// e.g. in tests without a socket).
    public var peer: PeerCredentials?

    public init(eventLoop: any EventLoop, logger: Logger, connectionID: UInt64, receivedAt: NIODeadline = .now(), deadline: NIODeadline? = nil, peer: PeerCredentials? = nil) {
        self.eventLoop = eventLoop
        self.logger = logger
        self.connectionID = connectionID
        self.receivedAt = receivedAt
        self.deadline = deadline
        self.peer = peer
    }
}
