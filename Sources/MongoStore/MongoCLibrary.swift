#if canImport(Glibc)
import Glibc
#endif
import CMongoC
import Logging

/// Facts about the libmongoc this build links, for `deltastored --version`,
/// and its one-time process setup.
public enum MongoCLibrary {
    /// The linked libmongoc version, e.g. "1.23.1".
    public static var version: String { String(cString: mongoc_get_version()) }

    /// Runs `mongoc_init()` once per process and routes libmongoc's own log
    /// messages to swift-log (label `deltastore.mongoc`) instead of its default
    /// handler, which prints to stdout/stderr. Safe to call from any thread:
    /// a Swift `static let` is initialised exactly once, under a lock. There is
    /// no matching `mongoc_cleanup()`: the library lives as long as the process.
    static func initialize() {
        _ = initialized
    }

    /// Removes the name of libmongoc's shared-memory counters segment,
    /// `/dev/shm/mongoc-PID`, which the library creates as it is loaded (its
    /// automatic initialisation) and removes only in `mongoc_cleanup()`, never
    /// called here. Every daemon and test process would leave one behind; once
    /// a later process gets a PID whose segment is still there, libmongoc
    /// prints "Falling back to malloc for counters" straight to stderr, past
    /// the journal's priority prefixes. The counters stay mapped and keep
    /// working (for `mongoc-stat` nothing is lost: nothing here reads them).
    /// Called by every process that links libmongoc, at start; idempotent.
    public static func releaseCounterSegment() {
        _ = shm_unlink("/mongoc-\(getpid())")
    }

    private static let initialized: Bool = {
        mongoc_init()
        releaseCounterSegment()
        mongoc_log_set_handler(forwardLog, nil)
        return true
    }()
}

/// libmongoc's log messages, at the nearest swift-log level. A global so the
/// C callback (which cannot capture context) can reach it; created on first
/// use, after the daemon bootstrapped its logging.
private let mongocLogger = Logger(label: "deltastore.mongoc")

private let forwardLog: mongoc_log_func_t = { level, domain, message, _ in
    let text = message.map { String(cString: $0) } ?? ""
    let origin = domain.map { String(cString: $0) } ?? "mongoc"
    let swiftLevel: Logger.Level
    switch level {
    case MONGOC_LOG_LEVEL_ERROR, MONGOC_LOG_LEVEL_CRITICAL: swiftLevel = .error
    case MONGOC_LOG_LEVEL_WARNING: swiftLevel = .warning
    case MONGOC_LOG_LEVEL_MESSAGE, MONGOC_LOG_LEVEL_INFO: swiftLevel = .info
    case MONGOC_LOG_LEVEL_DEBUG: swiftLevel = .debug
    default: swiftLevel = .trace
    }
    mongocLogger.log(level: swiftLevel, "\(text)", metadata: ["mongoc.domain": "\(origin)"])
}
