import RequestDispatch
#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import WireProtocol

/// The listening side of deltastored, run as a swift-service-lifecycle service.
///
/// `run()` binds the socket (or adopts an inherited listening fd), serves until a
/// graceful shutdown is requested (SIGTERM/SIGINT), then stops accepting,
/// removes the socket file it created, lets every connection answer what it
/// has in progress (bounded by `drainTimeout`), and returns.
public final class DeltaStoreServer: Service, Sendable {
    private let configuration: ServerConfiguration
    private let dispatcher: Dispatcher
    private let group: any EventLoopGroup
    private let logger: Logger
    private let inheritedSocket: NIOBSDSocket.Handle?
    private let onListening: @Sendable () -> Void
    private let onShutdown: @Sendable (Int) -> Void
    private let registry: ConnectionRegistry
    private let budget: MemoryBudget
    private let pools = BufferPools()

    /// - Parameters:
    ///   - inheritedSocket: a listening socket passed by systemd; when set, no file is created or removed.
    ///   - onListening: called once the listener accepts connections.
    ///   - onShutdown: called when a graceful shutdown starts, with the number of open connections.
    public init(
        configuration: ServerConfiguration,
        dispatcher: Dispatcher,
        group: any EventLoopGroup,
        logger: Logger,
        inheritedSocket: NIOBSDSocket.Handle? = nil,
        onListening: @escaping @Sendable () -> Void = {},
        onShutdown: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.dispatcher = dispatcher
        self.group = group
        self.logger = logger
        self.inheritedSocket = inheritedSocket
        self.onListening = onListening
        self.registry = ConnectionRegistry(maxConnections: configuration.limits.maxConnections, maxPerUID: configuration.limits.maxConnectionsPerUID)
        self.onShutdown = onShutdown
        // After a burst (the budget held a sixteenth of its limit, or 16 MiB),
        // once it falls to under a quarter of that, free pages go back to the
        // system (at most once every 5 s).
        let arm = max(16 << 20, configuration.limits.maxBufferedBytes / 16)
        let pressureLog = PressureLog(logger: logger, limit: configuration.limits.maxBufferedBytes, stallTimeout: configuration.stallTimeout)
        self.budget = MemoryBudget(
            limit: configuration.limits.maxBufferedBytes,
            monitor: MemoryPressureMonitor(armBytes: arm, calmBytes: arm / 4) { [logger] in
                let before = AllocatorTuning.residentBytes()
                AllocatorTuning.trim()
                let after = AllocatorTuning.residentBytes()
                logger.info(
                    "memory returned to the system after a burst: resident \(Self.mebibytes(before)) → \(Self.mebibytes(after))",
                    metadata: ["rss_before": "\(before ?? 0)", "rss_after": "\(after ?? 0)"]
                )
            },
            onPressure: { pressureLog.changed(exhausted: $0, used: $1) }
        )
    }

    private static func mebibytes(_ bytes: Int?) -> String {
        guard let bytes else { return "?" }
        return "\(bytes >> 20) MiB"
    }

    /// Bytes the memory budget holds now, over all connections.
    public var bufferedBytes: Int { budget.used }

    public func run() async throws {
        if AllocatorTuning.mapLargeBuffers() {
            logger.debug("allocator: buffers of \(AllocatorTuning.mmapThreshold) bytes or more are mapped on their own")
        }
        var pathGuard = SocketPathGuard(path: configuration.socketPath)
        let listener: any Channel
        if let inheritedSocket {
            listener = try await bootstrap().withBoundSocket(inheritedSocket).get()
            logger.info("serving on inherited socket", metadata: ["fd": "\(inheritedSocket)"])
        } else {
            try pathGuard.prepare()
            // Create the socket file with its final mode: no window where it has
            // the process umask's looser one. (chmod afterwards all the same.)
            let previousMask = umask(mode_t(0o777 & ~configuration.socketMode))
            do {
                listener = try await bootstrap().bind(unixDomainSocketPath: configuration.socketPath).get()
                umask(previousMask)
            } catch {
                umask(previousMask)
                throw error
            }
            try pathGuard.adopt(mode: configuration.socketMode)
            logger.info("listening", metadata: ["socket": "\(configuration.socketPath)"])
        }
        onListening()

        try? await gracefulShutdown()

        onShutdown(registry.count)
        logger.info("shutting down: no longer accepting connections", metadata: ["connections": "\(registry.count)"])
        try? await listener.close()
        if inheritedSocket == nil { pathGuard.remove() }
        await drain()
        logger.info("stopped")
    }

    private func bootstrap() -> ServerBootstrap {
        let dispatcher = self.dispatcher
        let configuration = self.configuration
        let logger = self.logger
        let registry = self.registry
        let budget = self.budget
        let pools = self.pools
        let limits = ConnectionHandler.Machine.Limits(
            maxInFlight: configuration.limits.maxInFlight,
            maxUnsentBytes: configuration.limits.maxUnsentBytesPerConnection,
            maxReplyBytes: configuration.limits.maxMessageBytes,
            frameTimeout: configuration.frameTimeout,
            stallTimeout: configuration.stallTimeout,
            smallBytes: budget.smallBytes
        )
        return ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            // One read of at most 64 KiB at a time: what a connection can bring
            // in before the memory budget is consulted again.
            .childChannelOption(.maxMessagesPerRead, value: 1)
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 2048, maximum: budget.smallBytes))
            // Not writable while any byte waits to be written: how a
            // connection learns, without a promise per write, that the socket
            // took its replies (ConnectionHandler.flush).
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 1, high: 1))
            .childChannelInitializer { channel in
                PeerCredentialsReader.read(channel).flatMapThrowing { peer in
                    let connectionID = registry.makeID()
                    if let refusal = registry.admit(channel, uid: peer?.uid) {
                        logger.warning("connection refused: \(refusal)", metadata: ["peer_uid": "\(peer.map { String($0.uid) } ?? "-")", "peer_pid": "\(peer.map { String($0.pid) } ?? "-")"])
                        try channel.pipeline.syncOperations.addHandler(RefusingHandler(reason: refusal))
                        return
                    }
                    let frameLimit = PeerFrameLimit.decide(
                        peer: peer, policy: dispatcher.access.policy,
                        maxMessageBytes: configuration.limits.maxMessageBytes, smallPeerMaxFrameBytes: configuration.limits.smallPeerMaxFrameBytes
                    )
                    let handler = ConnectionHandler(
                        dispatcher: dispatcher,
                        budget: budget,
                        pool: pools.pool(for: channel.eventLoop, allocator: channel.allocator),
                        connectionID: connectionID,
                        peer: peer,
                        limits: limits,
                        maximumFrameBytes: frameLimit.maximumFrameBytes,
                        frameLimitReason: frameLimit.reason,
                        logger: logger,
                        now: channel.eventLoop.now
                    )
                    var handlers: [any ChannelHandler] = [handler]
                    if let idle = configuration.idleTimeout {
                        handlers.insert(IdleStateHandler(readTimeout: idle), at: 0)
                    }
                    try channel.pipeline.syncOperations.addHandlers(handlers)
                }
            }
    }

    /// Asks every connection to finish and close; force-closes the rest after the timeout.
    private func drain() async {
        let channels = registry.all
        guard !channels.isEmpty else { return }
        logger.info("draining connections", metadata: ["connections": "\(channels.count)"])
        for channel in channels {
            channel.pipeline.fireUserInboundEventTriggered(DrainEvent())
        }
        let deadline = NIODeadline.now() + configuration.drainTimeout
        while registry.count > 0, NIODeadline.now() < deadline {
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
        let left = registry.all
        if !left.isEmpty {
            logger.warning("drain timeout reached, closing connections with requests in progress", metadata: ["connections": "\(left.count)"])
            for channel in left { try? await channel.close() }
        }
    }
}
