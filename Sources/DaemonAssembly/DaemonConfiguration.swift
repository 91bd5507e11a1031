import Auth
import Domain
import NIOCore
import NIOPosix
import RequestDispatch

/// Everything `deltastored`'s options decide, as one value: what
/// `DaemonAssembly.start` builds a daemon from. The executable fills it from
/// its command line and environment; a test fills it by hand (a temporary
/// socket and state directory, systemd and signals off) and runs the same
/// daemon in its own process.
public struct DaemonConfiguration: Sendable {
    /// The socket file to listen on (unless systemd passes a listening socket).
    public var socketPath: String
    /// The store: a SQLite file or a MongoDB URI.
    public var store: StoreLocation
    /// Where the daemon keeps its own files: the known SQLite stores, the
    /// cursor key, the JWT keys it creates, backups by default.
    public var stateDirectory: String
    /// Start on a new, empty SQLite store where the state directory shows one existed (`--new-store`).
    public var allowNewStore: Bool
    /// MongoDB write concern for inserts and index builds.
    public var mongoWriteConcern: String
    /// How long to wait at start for MongoDB to answer and its indexes to exist.
    public var mongoStartupTimeout: TimeAmount
    /// Threads for blocking store work (SQLite calls), and SQLite readers.
    public var workerThreads: Int
    /// Event-loop threads serving connections.
    public var eventLoops: Int
    /// The size limits the listener enforces and `hello` announces.
    public var limits: DaemonLimits
    /// Frame, stall, idle and drain timeouts.
    public var timeouts: DaemonTimeouts
    /// Where the access rules come from (read again at every reload).
    public var accessRules: AccessRulesSource
    /// Signing keys, bcrypt cost, token lifetimes.
    public var auth: AuthConfiguration
    /// Retention and backups.
    public var lifecycle: LifecycleConfiguration
    /// Use systemd's listening socket, notifications and watchdog when present
    /// (false in a test process, which is not the service).
    public var systemd: Bool
    /// SIGTERM and SIGINT stop the daemon, SIGHUP reloads it (false in a test
    /// process: it stops through `RunningDaemon.stop()` and reloads through the
    /// `reload` operation).
    public var handlesSignals: Bool

    public init(
        socketPath: String,
        store: StoreLocation,
        stateDirectory: String,
        allowNewStore: Bool = false,
        mongoWriteConcern: String = "majority",
        mongoStartupTimeout: TimeAmount = .seconds(30),
        workerThreads: Int = max(2, System.coreCount),
        eventLoops: Int = System.coreCount,
        limits: DaemonLimits = DaemonLimits(),
        timeouts: DaemonTimeouts = DaemonTimeouts(),
        accessRules: AccessRulesSource = .defaults,
        auth: AuthConfiguration = AuthConfiguration(),
        lifecycle: LifecycleConfiguration = LifecycleConfiguration(),
        systemd: Bool = false,
        handlesSignals: Bool = false
    ) {
        self.socketPath = socketPath
        self.store = store
        self.stateDirectory = stateDirectory
        self.allowNewStore = allowNewStore
        self.mongoWriteConcern = mongoWriteConcern
        self.mongoStartupTimeout = mongoStartupTimeout
        self.workerThreads = workerThreads
        self.eventLoops = eventLoops
        self.limits = limits
        self.timeouts = timeouts
        self.accessRules = accessRules
        self.auth = auth
        self.lifecycle = lifecycle
        self.systemd = systemd
        self.handlesSignals = handlesSignals
    }
}

/// The listener's timeouts (`--frame-timeout`, `--stall-timeout`,
/// `--idle-timeout`, `--drain-timeout`).
public struct DaemonTimeouts: Sendable {
    /// How long one frame may take to arrive, from its first byte.
    public var frame: TimeAmount
    /// How long a connection may hold memory without progress while the memory budget is exhausted.
    public var stall: TimeAmount
    /// Close connections idle for this long; nil: never.
    public var idle: TimeAmount?
    /// How long a shutdown waits for requests in progress.
    public var drain: TimeAmount

    public init(frame: TimeAmount = .seconds(30), stall: TimeAmount = .seconds(2), idle: TimeAmount? = nil, drain: TimeAmount = .seconds(10)) {
        self.frame = frame
        self.stall = stall
        self.idle = idle
        self.drain = drain
    }
}

/// Where the access rules come from.
public enum AccessRulesSource: Sendable, Equatable {
    /// A rules file named by `--access-rules`.
    case file(String)
    /// `/etc/deltastore/access.conf` when it exists (an installed daemon), else the built-in rules.
    case installedWhenPresent
    /// The built-in rules (a daemon run from a checkout, or a test).
    case defaults
}

/// The auth options: where the signing keys are, bcrypt's cost, token lifetimes.
public struct AuthConfiguration: Sendable {
    /// `--jwt-keys`; nil: `credentialsDirectory/jwt-keys` when it exists, else
    /// `jwt-keys` in the state directory (created when missing).
    public var jwtKeysPath: String?
    /// systemd's `$CREDENTIALS_DIRECTORY`, if any.
    public var credentialsDirectory: String?
    /// bcrypt cost of new password hashes.
    public var bcryptCost: Int
    public var accessTokenLifetimeSeconds: Int64
    public var refreshTokenLifetimeSeconds: Int64

    public init(
        jwtKeysPath: String? = nil, credentialsDirectory: String? = nil, bcryptCost: Int = PasswordHasher.defaultCost,
        accessTokenLifetimeSeconds: Int64 = TokenSettings.defaultAccessTokenLifetime,
        refreshTokenLifetimeSeconds: Int64 = SessionSettings.defaultRefreshTokenLifetime / 1000
    ) {
        self.jwtKeysPath = jwtKeysPath
        self.credentialsDirectory = credentialsDirectory
        self.bcryptCost = bcryptCost
        self.accessTokenLifetimeSeconds = accessTokenLifetimeSeconds
        self.refreshTokenLifetimeSeconds = refreshTokenLifetimeSeconds
    }
}

/// The data-lifecycle options: what retention deletes, how often, where backups go.
public struct LifecycleConfiguration: Sendable {
    public var retention: RetentionPolicy
    /// Seconds between two retention purges.
    public var retentionIntervalSeconds: Int
    /// Where `backup` writes; nil: `backups/` in the state directory.
    public var backupDirectory: String?

    public init(retention: RetentionPolicy = RetentionPolicy(), retentionIntervalSeconds: Int = 60, backupDirectory: String? = nil) {
        self.retention = retention
        self.retentionIntervalSeconds = retentionIntervalSeconds
        self.backupDirectory = backupDirectory
    }
}
