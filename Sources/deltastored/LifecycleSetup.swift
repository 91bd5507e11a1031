import ArgumentParser
import Domain
import Foundation
import Logging
import RequestDispatch
import ServiceLifecycle

/// The data-lifecycle options of `deltastored`: retention and backups.
struct LifecycleOptions: ParsableArguments {
    @Option(
        name: .customLong("retain"),
        help: ArgumentHelp(
            "Keep records of COLLECTION (ticks, quotes or chains) for DURATION (seconds, or a number with s, m, h or d: 900, 90m, 12h, 30d); older ones are deleted in the background. Repeatable. None: keep everything.",
            valueName: "collection=duration"
        )
    )
    var retain: [RetentionOption] = []

    @Option(name: .customLong("retention-interval"), help: "Seconds between two retention purges (1 to 60); the first runs at start.")
    var retentionInterval: Int = 60

    @Option(name: .customLong("backup-dir"), help: "Directory the backup operation writes into. Default: backups/ in the state directory.")
    var backupDir: String?

    func validate() throws {
        guard (1...60).contains(retentionInterval) else { throw ValidationError("--retention-interval must be between 1 and 60 seconds") }
        guard backupDir.map({ !$0.isEmpty }) ?? true else { throw ValidationError("--backup-dir must not be empty") }
    }

    var policy: RetentionPolicy {
        var policy = RetentionPolicy()
        for option in retain { policy.retain(option.collection, milliseconds: option.duration.seconds * 1000) }
        return policy
    }
}

/// One `--retain COLLECTION=DURATION`; the duration as `--access-token-ttl` takes it.
struct RetentionOption: ExpressibleByArgument, Sendable {
    var collection: RecordCollection
    var duration: AuthDuration

    init?(argument: String) {
        guard let (collection, text) = try? RetentionPolicy.split(argument), let duration = AuthDuration(argument: text), duration.seconds > 0 else {
            return nil
        }
        self.collection = collection
        self.duration = duration
    }
}

/// Runs the retention purge at start and then every `interval` until the
/// daemon stops.
struct RetentionService: Service {
    let purger: RetentionPurger
    let interval: Duration

    func run() async {
        while true {
            await purger.runOnce()
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
        }
    }
}

/// Builds the data lifecycle for the store the daemon opened.
enum LifecycleSetup {
    struct Running {
        var lifecycle: DataLifecycle?
        var operations: [RequestDispatch.Operation]
        var absentOperations: [String: String]
        var services: [ServiceGroupConfiguration.ServiceConfiguration]

        /// `stats`' `store` part.
        var storeStats: StoreStatsSource? {
            guard let lifecycle else { return nil }
            return { logger in await lifecycle.statsDocument(logger: logger) }
        }
    }

    /// `path` against the working directory, so `backup` answers a path that
    /// means the same to every client.
    static func absolute(_ path: String) -> String {
        guard !path.hasPrefix("/") else { return path }
        var relative = Substring(path)
        while relative.hasPrefix("./") { relative = relative.dropFirst(2) }
        let directory = FileManager.default.currentDirectoryPath
        return (directory.hasSuffix("/") ? directory : directory + "/") + relative
    }

    static func start(options: LifecycleOptions, store: any MarketStore, stateDirectory: String, logger: Logger) -> Running {
        guard let lifecycleStore = store as? any LifecycleStore else {
            return Running(lifecycle: nil, operations: [], absentOperations: [:], services: [])
        }
        let policy = options.policy
        let lifecycle = DataLifecycle(
            kind: store.kind, store: lifecycleStore, backups: store as? any BackupStore, retention: policy,
            backupDirectory: absolute(options.backupDir ?? stateDirectory + "/backups")
        )
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if !policy.isEmpty {
            let retained = policy.collections.map { "\($0.rawValue) \(AuthDuration(seconds: (policy.durations[$0] ?? 0) / 1000))" }.joined(separator: ", ")
            logger.info("retention: \(retained), purged every \(options.retentionInterval) s", metadata: ["retention": "\(retained)"])
            let purger = RetentionPurger(store: lifecycleStore, policy: policy, logger: logger)
            services.append(.init(service: RetentionService(purger: purger, interval: .seconds(options.retentionInterval)), successTerminationBehavior: .ignore))
        }
        return Running(
            lifecycle: lifecycle, operations: LifecycleOperations.all(lifecycle),
            absentOperations: LifecycleOperations.absent(lifecycle), services: services
        )
    }
}
