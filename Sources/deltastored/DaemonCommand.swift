import ArgumentParser
import DaemonAssembly
import Foundation
import Logging
import MongoStore
import NIOCore
import RequestDispatch
import Systemd
import WireProtocol

/// `deltastored`: parses and checks the command line, sets up what belongs to
/// the process (logging, signals), and hands a `DaemonConfiguration` to
/// `DaemonAssembly`, which builds and runs the daemon.
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
    var maxUnsentBytes: Int = DaemonLimits.defaultMaxUnsentBytesPerConnection

    @Option(name: .long, help: "Memory budget, over all connections, for frames received and not answered, unsent replies, and the largest reply of each running read; at the bound the largest holders stop being read (at least 2 x --max-message-bytes, at most 1099511627776).")
    var maxBufferedBytes: Int = DaemonLimits.defaultMaxBufferedBytes

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

    // [auth] --jwt-keys, --bcrypt-cost, --access-token-ttl, --refresh-token-ttl (AuthOptions.swift).
    @OptionGroup(title: "Authentication") var auth: AuthOptions

    // [lifecycle] --retain, --retention-interval, --backup-dir (LifecycleOptions.swift).
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

    /// Process-wide set-up (signals, logging, libmongoc's shared-memory file),
    /// then the daemon itself: `DaemonAssembly` builds it from the options and
    /// runs it until SIGTERM/SIGINT.
    func run() async throws {
        // SIGHUP before the reload service traps it must not end the daemon.
        signal(SIGHUP, SIG_IGN)
        // A watchdog SIGABRT must end the process after its backtrace, not 30 s later.
        FatalSignals.terminateAfterBacktrace()
        LoggingBootstrap.bootstrap(level: Logger.Level(rawValue: logLevel) ?? .info)
        // libmongoc (linked whatever the store) made /dev/shm/mongoc-PID as it loaded: leave nothing behind.
        MongoCLibrary.releaseCounterSegment()
        // Journal entries are sent off the event loops: the last ones before an exit must not be lost.
        defer { JournalLogHandler.flush() }
        let logger = Logger(label: "deltastored")
        logger.info("deltastored \(ProtocolVersion.serverVersion) starting (pid \(getpid()))", metadata: ["version": "\(ProtocolVersion.serverVersion)", "pid": "\(getpid())"])
        let configuration = try daemonConfiguration(environment: ProcessInfo.processInfo.environment)
        do {
            try await DaemonAssembly.start(configuration, logger: logger).run()
        } catch {
            // Logged where it happened (DaemonAssembly, RunningDaemon.run).
            throw ExitCode.failure
        }
    }
}
