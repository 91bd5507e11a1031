import ArgumentParser
import Auth
import Domain
import RequestDispatch
import Foundation
import Logging
import MongoStore
import NIOCore
import NIOPosix
import SQLiteStore
import Server
import Systemd
import ServiceLifecycle
import UnixSignals
import WireProtocol

/// `deltastored`: parses the command line, sets up logging, wires the server
/// into a service group that handles SIGTERM/SIGINT, and runs until stopped.
@main
struct DaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deltastored",
        abstract: "The deltastore daemon: DeltaStream's storage and auth over a Unix socket.",
        version: VersionText.full
    )

    @Option(name: .long, help: "Unix socket to listen on. Default: ./run/deltastore.sock from a checkout, $RUNTIME_DIRECTORY/deltastore.sock under systemd, /run/deltastore/deltastore.sock when installed.")
    var socket: String?

    @Option(name: .long, help: "The store: sqlite:PATH (default: deltastore.db in the state directory — ./data from a checkout, $STATE_DIRECTORY under systemd, /var/lib/deltastore when installed) or a mongodb:// URI. Under systemd the credential store-uri, when present, gives it instead (keeping passwords off the command line).")
    var store: String?

    @Flag(name: .long, help: "Start on a new, empty SQLite store even though the state directory shows that a store existed at that path (its file is missing). Without it the daemon refuses to start, so that lost data is never silently replaced.")
    var newStore = false

    @Option(name: .long, help: "Largest batch an insert accepts (1 to 100000).")
    var maxBatch: Int = 1000

    @Option(name: .long, help: "Largest page a query returns (1 to 100000).")
    var maxPage: Int = 1000

    @Option(name: .long, help: "MongoDB write concern for inserts and index builds: majority, a number of members, or a tag.")
    var mongoWriteConcern: String = "majority"

    @Option(name: .long, help: "Seconds to wait at start for MongoDB to answer and its indexes to exist (1 to 3600) before giving up.")
    var mongoStartupTimeout: Int = 30

    @Option(name: .long, help: "Threads for blocking store work (SQLite calls).")
    var workerThreads: Int = max(2, System.coreCount)

    @Option(name: .long, help: "Event-loop threads serving connections (default: one per core).")
    var eventLoops: Int?

    @Option(name: .long, help: "Largest frame accepted or sent, in bytes (1024 to 67108864).")
    var maxMessageBytes: Int = BSONFrameDecoder.defaultMaximumFrameBytes

    @Option(name: .long, help: "Requests one connection may have in progress before the server stops reading it.")
    var maxInFlight: Int = 128

    @Option(name: .long, help: "Open connections in all (beyond: RESOURCE_EXHAUSTED, then close).")
    var maxConnections: Int = 4096

    @Option(name: .long, help: "Open connections per client uid.")
    var maxConnectionsPerUid: Int = 1024

    @Option(name: .long, help: "Seconds one frame may take to arrive, from its first byte (time the server is not reading the connection does not count).")
    var frameTimeout: Double = 30

    @Option(name: .long, help: "Reply bytes of one connection not yet written to its socket, past which the server starts none of its requests and stops reading it (4096 to 1073741824).")
    var maxUnsentBytes: Int = ServerConfiguration.defaultMaxUnsentBytesPerConnection

    @Option(name: .long, help: "Memory budget, over all connections, for frames received and not answered, unsent replies, and the largest reply of each running read; at the bound the largest holders stop being read (at least 2 x --max-message-bytes, at most 1099511627776).")
    var maxBufferedBytes: Int = ServerConfiguration.defaultMaxBufferedBytes

    @Option(name: .long, help: "Seconds a connection may hold memory without progress while the memory budget is exhausted, before it is closed.")
    var stallTimeout: Double = 2

    @Option(name: .long, help: "Close connections idle (nothing received, nothing in progress) for this many seconds; 0 = never.")
    var idleTimeout: Double = 0

    @Option(name: .long, help: "Seconds a shutdown waits for requests in progress.")
    var drainTimeout: Double = 10

    @Option(name: .long, help: "Access rules file (who may call which operations). Default: /etc/deltastore/access.conf when installed and present, else built-in rules.")
    var accessRules: String?

    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    // [auth] --jwt-keys, --bcrypt-cost, --access-token-ttl, --refresh-token-ttl (AuthSetup.swift).
    @OptionGroup(title: "Authentication") var auth: AuthOptions

    // [lifecycle] --retain, --retention-interval, --backup-dir (LifecycleSetup.swift).
    @OptionGroup(title: "Data lifecycle") var lifecycle: LifecycleOptions

    func validate() throws {
        guard (1024...64 * 1024 * 1024).contains(maxMessageBytes) else {
            throw ValidationError("--max-message-bytes must be between 1024 and 67108864")
        }
        guard (1...100_000).contains(maxBatch) else { throw ValidationError("--max-batch must be between 1 and 100000") }
        guard (1...100_000).contains(maxPage) else { throw ValidationError("--max-page must be between 1 and 100000") }
        guard (1...3600).contains(mongoStartupTimeout) else { throw ValidationError("--mongo-startup-timeout must be between 1 and 3600 seconds") }
        guard (1...256).contains(workerThreads) else { throw ValidationError("--worker-threads must be between 1 and 256") }
        if let eventLoops, !(1...256).contains(eventLoops) { throw ValidationError("--event-loops must be between 1 and 256") }
        guard (1...65_536).contains(maxInFlight) else { throw ValidationError("--max-in-flight must be between 1 and 65536") }
        guard (1...1_000_000).contains(maxConnections) else { throw ValidationError("--max-connections must be between 1 and 1000000") }
        guard (1...1_000_000).contains(maxConnectionsPerUid) else { throw ValidationError("--max-connections-per-uid must be between 1 and 1000000") }
        guard frameTimeout > 0, frameTimeout <= 3600 else { throw ValidationError("--frame-timeout must be between 0 and 3600 seconds") }
        guard (4096...1 << 30).contains(maxUnsentBytes) else { throw ValidationError("--max-unsent-bytes must be between 4096 and 1073741824") }
        guard maxBufferedBytes >= 2 * maxMessageBytes, maxBufferedBytes <= 1 << 40 else {
            throw ValidationError("--max-buffered-bytes must be at least twice --max-message-bytes (\(2 * maxMessageBytes)) and at most 1099511627776")
        }
        guard stallTimeout > 0, stallTimeout <= 3600 else { throw ValidationError("--stall-timeout must be between 0 and 3600 seconds") }
        guard idleTimeout >= 0, idleTimeout <= 86_400 else { throw ValidationError("--idle-timeout must be between 0 and 86400 seconds") }
        guard drainTimeout >= 0, drainTimeout <= 3600 else { throw ValidationError("--drain-timeout must be between 0 and 3600 seconds") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level '\(logLevel)'") }
    }

    func run() async throws {
        // SIGHUP before the reload service traps it must not end the daemon.
        signal(SIGHUP, SIG_IGN)
        SystemdIntegration.bootstrapLogging(level: Logger.Level(rawValue: logLevel) ?? .info)
        // libmongoc (linked whatever the store) made /dev/shm/mongoc-PID as it loaded: leave nothing behind.
        MongoCLibrary.releaseCounterSegment()
        // Journal entries are sent off the event loops: the last ones before an exit must not be lost.
        defer { JournalLogHandler.flush() }
        let logger = Logger(label: "deltastored")
        logger.info("deltastored \(ProtocolVersion.serverVersion) starting (pid \(getpid()))", metadata: ["version": "\(ProtocolVersion.serverVersion)", "pid": "\(getpid())"])
        let systemd: SystemdIntegration
        do {
            systemd = try SystemdIntegration()
        } catch {
            logger.critical("cannot use the socket passed by systemd: \(error)")
            throw ExitCode.failure
        }

        let locations = DefaultLocations(environment: ProcessInfo.processInfo.environment, executablePath: Self.executablePath())
        let socketPath = socket ?? locations.socketPath
        let location: StoreLocation
        do {
            location = try StoreLocation(parsing: store ?? Self.storeCredential(), stateDirectory: locations.stateDirectory)
        } catch {
            throw ValidationError(String(describing: error))
        }
        let access: AccessControl
        let rulesPath: @Sendable () -> String? = { [accessRules, fromCheckout = locations.fromCheckout] in
            AccessSetup.rulesPath(option: accessRules, fromCheckout: fromCheckout)
        }
        do {
            access = AccessControl(try AccessSetup.load(path: rulesPath()))
            logger.info("access rules: \(AccessSetup.summary(access.policy))", metadata: ["source": "\(access.policy.source)", "rules": "\(AccessSetup.describe(access.policy))"])
        } catch {
            logger.critical("\(error)")
            throw ExitCode.failure
        }
        let limits = ServerInfo.Limits(maxMessageBytes: maxMessageBytes, maxBatch: maxBatch, maxPage: maxPage, maxInFlight: maxInFlight)
        let info = ServerInfo(storeKind: location.kind, limits: limits)

        let threadPool = NIOThreadPool(numberOfThreads: workerThreads)
        threadPool.start()
        let marketStore: any MarketStore
        systemd.openingStore(location)
        do {
            marketStore = try await StoreOpener.open(
                location, threadPool: threadPool, workerThreads: workerThreads, logger: logger,
                stateDirectory: locations.stateDirectory, allowNewStore: newStore,
                mongoWriteConcern: mongoWriteConcern, mongoStartupTimeout: .seconds(Int64(mongoStartupTimeout))
            )
        } catch {
            logger.critical("cannot open the store: \(error)", metadata: ["store": "\(location.redacted)"])
            try? await threadPool.shutdownGracefully()
            throw ExitCode.failure
        }
        // [records] The secret of page cursors, kept in the state directory.
        let cursorKey: CursorKey
        do {
            let (key, origin) = try CursorKeyFile.loadOrCreate(directory: locations.stateDirectory)
            cursorKey = key
            let level: Logger.Level = origin == .created ? .info : .debug
            logger.log(level: level, "cursor key \(origin == .created ? "created" : "loaded")", metadata: ["path": "\(locations.stateDirectory)/\(CursorKeyFile.fileName)"])
        } catch {
            logger.critical("\(error)")
            await marketStore.close()
            try? await threadPool.shutdownGracefully()
            throw ExitCode.failure
        }
        // [auth] Key ring, password hashing, sessions, the auth.* operations, key reload step (AuthSetup.swift).
        let authSetup: AuthSetup.Running
        do {
            authSetup = try await AuthSetup.start(options: auth, store: marketStore, stateDirectory: locations.stateDirectory, access: access, logger: logger)
        } catch {
            logger.critical("cannot set up authentication: \(error)")
            await marketStore.close()
            try? await threadPool.shutdownGracefully()
            throw ExitCode.failure
        }
        let reloader = Reloader(
            steps: [
                .init(name: "access rules") {
                    let policy = try AccessSetup.load(path: rulesPath())
                    access.replace(with: policy)
                    return AccessSetup.summary(policy)
                },
            ] + authSetup.reloadSteps, // [auth] the JWT key ring
            notifier: systemd.notifier,
            logger: logger,
            readyStatus: { [systemd] in systemd.inheritedSocket.map { "serving on inherited socket \($0.name)" } ?? "serving on \(socketPath)" }
        )
        // [lifecycle] Retention purge, `backup`, the store part of `stats`.
        let lifecycleSetup = LifecycleSetup.start(options: lifecycle, store: marketStore, stateDirectory: locations.stateDirectory, logger: logger)
        let dispatcher = Dispatcher(
            info: info,
            operations: MarketDataOperations.all(store: marketStore, info: info, cursorKey: cursorKey) + authSetup.operations + [reloader.operation()]
                + lifecycleSetup.operations,
            access: access,
            storeStats: lifecycleSetup.storeStats,
            absentOperations: lifecycleSetup.absentOperations
        )

        // Trapped now, before READY=1: a SIGHUP from then on waits for the reload service.
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: eventLoops ?? System.coreCount)
        let server = DeltaStoreServer(
            configuration: ServerConfiguration(
                socketPath: socketPath,
                maxMessageBytes: maxMessageBytes,
                maxInFlightPerConnection: maxInFlight,
                drainTimeout: .milliseconds(Int64(drainTimeout * 1000)),
                maxConnections: maxConnections,
                maxConnectionsPerUID: maxConnectionsPerUid,
                frameTimeout: .milliseconds(Int64(frameTimeout * 1000)),
                idleTimeout: idleTimeout > 0 ? .milliseconds(Int64(idleTimeout * 1000)) : nil,
                maxUnsentBytesPerConnection: maxUnsentBytes,
                maxBufferedBytes: maxBufferedBytes,
                stallTimeout: .milliseconds(Int64(stallTimeout * 1000))
            ),
            dispatcher: dispatcher,
            group: group,
            logger: logger,
            inheritedSocket: systemd.inheritedSocket.map { NIOBSDSocket.Handle($0.descriptor) },
            onListening: { [systemd] in systemd.ready(systemd.inheritedSocket.map { "inherited socket \($0.name)" } ?? socketPath) },
            onShutdown: { [systemd] connections in systemd.stopping(connections: connections) }
        )
        let services = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: server, successTerminationBehavior: .gracefullyShutdownGroup)]
                + systemd.services(group: group, store: marketStore, statistics: dispatcher.statistics, logger: logger)
                + [.init(service: ReloadService(reloader: reloader, hangups: hangups))]
                + authSetup.services // [auth] housekeeping
                + lifecycleSetup.services, // [lifecycle] retention purge
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
        var failed = false
        do {
            try await services.run()
        } catch {
            logger.critical("cannot run: \(Self.explain(error))")
            failed = true
        }
        await marketStore.close()
        await authSetup.shutdown() // [auth] the hashing threads
        try? await threadPool.shutdownGracefully()
        try? await group.shutdownGracefully()
        if failed { throw ExitCode.failure }
    }

    /// The store's connection string from systemd's credential `store-uri`
    /// (`LoadCredential=store-uri:/etc/deltastore/store-uri`), so a MongoDB
    /// password never appears on the command line.
    static func storeCredential() -> String? {
        guard let directory = ProcessInfo.processInfo.environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty,
              let text = try? String(contentsOfFile: directory + "/store-uri", encoding: .utf8)
        else { return nil }
        let uri = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return uri.isEmpty ? nil : uri
    }

    /// The real path of this executable, to tell a checkout build from an install.
    static func executablePath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments.first ?? ""
    }

    /// Unwraps service-lifecycle's wrapper so the operator sees the real cause.
    static func explain(_ error: any Error) -> String {
        if let failure = error as? SocketPathGuard.Failure { return failure.description }
        if let io = error as? IOError { return io.description }
        return String(describing: error)
    }
}
