import Logging
import NIOConcurrencyHelpers
import NIOCore
import Server
import ServiceLifecycle

/// A daemon `DaemonAssembly.start` put together: the one owner of every
/// resource it opened (event loops, store threads, the store, the hashing
/// threads) and the service group that serves. `run()` serves until a
/// signal, `stop()` or a failure ends the group, then `shutdown()` closes
/// everything in the reverse of the order it opened.
public final class RunningDaemon: Sendable {
    /// The listener, the systemd services, reload, auth housekeeping and retention.
    public let serviceGroup: ServiceGroup
    /// The socket file the listener creates (unless systemd passed one).
    public let socketPath: String
    private let logger: Logger
    private let teardown: NIOLockedValueBox<Teardown?>

    init(serviceGroup: ServiceGroup, socketPath: String, logger: Logger, teardown: Teardown) {
        self.serviceGroup = serviceGroup
        self.socketPath = socketPath
        self.logger = logger
        self.teardown = NIOLockedValueBox(teardown)
    }

    /// Serves until the service group ends, then shuts down. A failure of a
    /// service (a socket path that is in use, …) is logged (critical) and thrown.
    public func run() async throws {
        do {
            try await serviceGroup.run()
        } catch {
            logger.critical("cannot run: \(Self.explain(error))")
            await shutdown()
            throw error
        }
        await shutdown()
    }

    /// Starts a graceful shutdown (what SIGTERM does): stop accepting, drain, return from `run()`.
    public func stop() async {
        await serviceGroup.triggerGracefulShutdown()
    }

    /// Closes every resource, newest first; only the first call does anything.
    /// Call it after the service group has stopped (`run()` does).
    public func shutdown() async {
        let steps = teardown.withLockedValue { steps -> Teardown? in
            defer { steps = nil }
            return steps
        }
        await steps?.run()
    }

    /// Unwraps service-lifecycle's wrapper so the operator sees the real cause.
    static func explain(_ error: any Error) -> String {
        if let failure = error as? SocketPathGuard.Failure { return failure.description }
        if let io = error as? IOError { return io.description }
        return String(describing: error)
    }
}
