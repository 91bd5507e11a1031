import ArgumentParser
import DaemonAssembly
import Domain

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

    /// What the assembly takes.
    var configuration: LifecycleConfiguration {
        LifecycleConfiguration(retention: policy, retentionIntervalSeconds: retentionInterval, backupDirectory: backupDir)
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

