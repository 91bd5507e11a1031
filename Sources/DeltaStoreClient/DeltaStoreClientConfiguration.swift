import Foundation

/// How a `DeltaStoreClient` reaches the daemon and how long it waits.
public struct DeltaStoreClientConfiguration: Sendable {
    /// The daemon's Unix socket.
    public var socketPath: String
    /// Connections in the pool; calls are spread over them round-robin, each
    /// connection multiplexing many calls.
    public var poolSize: Int
    /// The deadline of calls that give none: sent as `deadline_ms`, and the
    /// basis of the client's own timer. `nil`: wait as long as it takes.
    public var defaultDeadline: Duration?
    /// How much longer than a call's deadline the client waits for the server's
    /// own answer (`DEADLINE_EXCEEDED` or the result) before giving up itself.
    public var timeoutGrace: Duration
    /// Sent as `hello`'s `client` argument, for the daemon's logs.
    public var clientName: String

    public init(
        socketPath: String = DeltaStoreClientConfiguration.defaultSocketPath(),
        poolSize: Int = 2,
        defaultDeadline: Duration? = .seconds(30),
        timeoutGrace: Duration = .seconds(1),
        clientName: String = "DeltaStoreClient/0.1"
    ) {
        self.socketPath = socketPath
        self.poolSize = max(1, poolSize)
        self.defaultDeadline = defaultDeadline
        self.timeoutGrace = timeoutGrace
        self.clientName = clientName
    }

    /// `$DELTASTORE_SOCKET` when set, else the installed daemon's socket,
    /// `/run/deltastore/deltastore.sock`.
    public static func defaultSocketPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let path = environment["DELTASTORE_SOCKET"], !path.isEmpty { return path }
        return "/run/deltastore/deltastore.sock"
    }
}
