import Domain
import Foundation
import Logging
import RequestDispatch
import ServiceLifecycle

/// Runs the retention purge at start and then every `interval` until the
/// daemon stops; a graceful shutdown stops a pass between two batches (the
/// rest of a backlog goes at the next start).
struct RetentionService: Service {
    let purger: RetentionPurger
    let interval: Duration

    func run() async {
        while true {
            do {
                try await cancelWhenGracefulShutdown {
                    await purger.runOnce()
                    try Task.checkCancellation()
                    try await Task.sleep(for: interval)
                }
            } catch {
                return
            }
        }
    }
}

/// Builds the data lifecycle for the store the daemon opened.
enum LifecycleSetup {
    /// What `DaemonAssembly` wires in: the `backup` operation (or why it is
    /// absent), the retention service, the store part of `stats`.
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

    static func start(options: LifecycleConfiguration, store: any MarketStore, stateDirectory: String, logger: Logger) -> Running {
        guard let lifecycleStore = store as? any LifecycleStore else {
            return Running(lifecycle: nil, operations: [], absentOperations: [:], services: [])
        }
        let policy = options.retention
        let lifecycle = DataLifecycle(
            kind: store.kind, store: lifecycleStore, backups: store as? any BackupStore, retention: policy,
            backupDirectory: absolute(options.backupDirectory ?? stateDirectory + "/backups")
        )
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if !policy.isEmpty {
            let retained = policy.collections.map { "\($0.rawValue) \(DurationText.compact(seconds: (policy.durations[$0] ?? 0) / 1000))" }.joined(separator: ", ")
            logger.info("retention: \(retained), purged every \(options.retentionIntervalSeconds) s", metadata: ["retention": "\(retained)"])
            let purger = RetentionPurger(store: lifecycleStore, policy: policy, logger: logger)
            services.append(.init(service: RetentionService(purger: purger, interval: .seconds(options.retentionIntervalSeconds)), successTerminationBehavior: .ignore))
        }
        return Running(
            lifecycle: lifecycle, operations: LifecycleOperations.all(lifecycle),
            absentOperations: LifecycleOperations.absent(lifecycle), services: services
        )
    }
}
