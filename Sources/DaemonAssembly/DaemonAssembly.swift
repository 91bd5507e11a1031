import Domain
import Logging
import NIOCore
import NIOPosix
import RequestDispatch
import Server
import ServiceLifecycle
import UnixSignals

/// Puts a daemon together from a `DaemonConfiguration`: opens every resource
/// in order (systemd's socket, the access rules, event loops, store threads,
/// the store, the cursor key, auth, the data lifecycle), builds the
/// dispatcher, the listener and the service group, and hands back one owner
/// of all of it (`RunningDaemon`). The `deltastored` executable and the
/// in-process end-to-end tests both start the daemon this way.
public enum DaemonAssembly {
    /// Opens everything and returns the daemon, not yet serving (`RunningDaemon.run()`).
    /// A step that fails is logged (critical) with its reason, whatever had
    /// opened is closed again, and `DaemonStartFailure` is thrown.
    public static func start(_ configuration: DaemonConfiguration, logger: Logger) async throws -> RunningDaemon {
        var teardown = Teardown()
        do {
            return try await assemble(configuration, logger: logger, teardown: &teardown)
        } catch {
            await teardown.run()
            throw error
        }
    }

    private static func assemble(_ configuration: DaemonConfiguration, logger: Logger, teardown: inout Teardown) async throws -> RunningDaemon {
        let systemd = try await step(logger, { "cannot use the socket passed by systemd: \($0)" }) { try SystemdIntegration(enabled: configuration.systemd) }
        let socketPath = configuration.socketPath
        let listening = systemd.inheritedSocket.map { "inherited socket \($0.name)" } ?? socketPath
        let rules = configuration.accessRules
        let access = try await step(logger, { "\($0)" }) { AccessControl(try AccessSetup.load(path: AccessSetup.rulesPath(rules))) }
        logger.info("access rules: \(AccessSetup.summary(access.policy))", metadata: ["source": "\(access.policy.source)", "rules": "\(AccessSetup.describe(access.policy))"])
        let info = ServerInfo(storeKind: configuration.store.kind, limits: configuration.limits)
        let stateDirectory = configuration.stateDirectory

        let group = MultiThreadedEventLoopGroup(numberOfThreads: configuration.eventLoops)
        teardown.add("event loops") { try? await group.shutdownGracefully() }
        let threadPool = NIOThreadPool(numberOfThreads: configuration.workerThreads)
        threadPool.start()
        teardown.add("store threads") { try? await threadPool.shutdownGracefully() }

        systemd.openingStore(configuration.store)
        let store = try await step(logger, { "cannot open the store: \($0)" }, metadata: ["store": "\(configuration.store.redacted)"]) {
            try await StoreOpener.open(
                configuration.store, threadPool: threadPool, workerThreads: configuration.workerThreads, logger: logger,
                stateDirectory: stateDirectory, allowNewStore: configuration.allowNewStore,
                mongoWriteConcern: configuration.mongoWriteConcern, mongoStartupTimeout: configuration.mongoStartupTimeout
            )
        }
        teardown.add("store") { await store.close() }

        // [records] The secret of page cursors, kept in the state directory.
        let cursorKey = try await step(logger, { "\($0)" }) { try loadCursorKey(stateDirectory: stateDirectory, logger: logger) }
        // [auth] Key ring, password hashing, sessions, the auth.* operations, key reload step (AuthSetup.swift).
        let auth = try await step(logger, { "cannot set up authentication: \($0)" }) {
            try await AuthSetup.start(options: configuration.auth, store: store, stateDirectory: stateDirectory, access: access, logger: logger)
        }
        teardown.add("hashing threads") { await auth.shutdown() }

        let reloader = Reloader(
            steps: [
                .init(name: "access rules") {
                    let policy = try AccessSetup.load(path: AccessSetup.rulesPath(rules))
                    access.replace(with: policy)
                    return AccessSetup.summary(policy)
                },
            ] + auth.reloadSteps, // [auth] the JWT key ring
            systemd: systemd, logger: logger, listening: listening
        )
        // [lifecycle] Retention purge, `backup`, the store part of `stats`.
        let lifecycle = LifecycleSetup.start(options: configuration.lifecycle, store: store, stateDirectory: stateDirectory, logger: logger)
        let dispatcher = Dispatcher(
            info: info,
            operations: MarketDataOperations.all(store: store, info: info, cursorKey: cursorKey) + auth.operations + [reloader.operation()]
                + lifecycle.operations,
            access: access,
            storeStats: lifecycle.storeStats,
            absentOperations: lifecycle.absentOperations
        )

        let server = DeltaStoreServer(
            configuration: ServerConfiguration(
                socketPath: socketPath, limits: configuration.limits,
                drainTimeout: configuration.timeouts.drain, frameTimeout: configuration.timeouts.frame,
                idleTimeout: configuration.timeouts.idle, stallTimeout: configuration.timeouts.stall
            ),
            dispatcher: dispatcher,
            group: group,
            logger: logger,
            inheritedSocket: systemd.inheritedSocket.map { NIOBSDSocket.Handle($0.descriptor) },
            onListening: { systemd.ready(listening) },
            onShutdown: { connections in systemd.stopping(connections: connections) }
        )
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: server, successTerminationBehavior: .gracefullyShutdownGroup)]
        services += systemd.services(group: group, store: store, statistics: dispatcher.statistics, logger: logger)
        if configuration.handlesSignals {
            // Trapped now, before READY=1: a SIGHUP from then on waits for the reload service.
            services.append(.init(service: ReloadService(reloader: reloader, hangups: await UnixSignalsSequence(trapping: .sighup))))
        }
        services += auth.services // [auth] housekeeping
        services += lifecycle.services // [lifecycle] retention purge
        let serviceGroup = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services,
            gracefulShutdownSignals: configuration.handlesSignals ? [.sigterm, .sigint] : [],
            logger: logger
        ))
        return RunningDaemon(serviceGroup: serviceGroup, socketPath: socketPath, logger: logger, teardown: teardown)
    }

    private static func loadCursorKey(stateDirectory: String, logger: Logger) throws -> CursorKey {
        let (key, origin) = try CursorKeyFile.loadOrCreate(directory: stateDirectory)
        let level: Logger.Level = origin == .created ? .info : .debug
        logger.log(level: level, "cursor key \(origin == .created ? "created" : "loaded")", metadata: ["path": "\(stateDirectory)/\(CursorKeyFile.fileName)"])
        return key
    }

    /// One step of the start: its failure is logged (critical) as `message` says and thrown as `DaemonStartFailure`.
    private static func step<T>(
        _ logger: Logger, _ message: (any Error) -> String, metadata: Logger.Metadata? = nil, _ body: () async throws -> T
    ) async throws -> T {
        do {
            return try await body()
        } catch {
            let text = message(error)
            logger.critical("\(text)", metadata: metadata)
            throw DaemonStartFailure(text)
        }
    }
}
