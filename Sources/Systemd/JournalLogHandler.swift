#if canImport(Glibc)
import Glibc
#endif
import CSystemd
import Logging

/// A swift-log handler for running under systemd: every entry goes to the
/// journal with its priority and the logger's metadata as journal fields
/// (`OP=ticks.query`, `PEER_UID=1000`, `CODE=NOT_FOUND`, …), so operators can
/// filter with `journalctl -u deltastore OP=auth.login PRIORITY=4`.
///
/// Two sinks: the native journal protocol (`sd_journal_sendv`) when the
/// journal's socket exists, else `<N>`-prefixed lines on stderr, which journald
/// reads as the priority of a stdout/stderr stream (fields then appear as
/// `key=value` in the message). Used only when `JOURNAL_STREAM` says stderr is
/// connected to the journal; otherwise the daemon logs readable lines.
public struct JournalLogHandler: LogHandler {
    public enum Sink: Sendable, Equatable {
        case native
        case prefixedLines
    }

    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public let label: String
    public let sink: Sink
    let identifier: String

    public init(label: String, identifier: String = "deltastored", sink: Sink = JournalLogHandler.defaultSink) {
        self.label = label
        self.identifier = identifier
        self.sink = sink
    }

    /// The path every native journal client writes to.
    public static let journalSocketPath = "/run/systemd/journal/socket"

    /// Native when a journald listens, lines otherwise.
    public static var defaultSink: Sink {
        var info = stat()
        return stat(journalSocketPath, &info) == 0 && (info.st_mode & S_IFMT) == S_IFSOCK ? .native : .prefixedLines
    }

    /// Whether stderr is the stream systemd connected to the journal: the
    /// `JOURNAL_STREAM` variable holds its `device:inode`.
    public static func stderrIsJournal(environment value: String? = getenv("JOURNAL_STREAM").map { String(cString: $0) }) -> Bool {
        guard let value else { return false }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var info = stat()
        guard fstat(2, &info) == 0 else { return false }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let priority = Self.priority(event.level)
        switch sink {
        case .native:
            var fields = [
                "MESSAGE=\(event.message)",
                "PRIORITY=\(priority)",
                "SYSLOG_IDENTIFIER=\(identifier)",
                "LOGGER=\(event.source)",
            ]
            for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
                fields.append("\(Self.fieldName(key))=\(value)")
            }
            Self.nativeQueue.enqueue(.fields(fields))
        case .prefixedLines:
            var line = "<\(priority)>\(event.message)"
            for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
                line += " \(key)=\(value)"
            }
            line = String(line.map { $0 == "\n" ? " " : $0 }) + "\n"
            Self.lineQueue.enqueue(.line(line))
        }
    }

    /// Entries on their way to the journal, sent off the logging thread (an
    /// event loop must never wait for journald): one queue per sink.
    static let nativeQueue = JournalQueue(
        notice: { .fields(["MESSAGE=\($0)", "PRIORITY=4", "SYSLOG_IDENTIFIER=deltastored"]) },
        send: { entry in if case .fields(let fields) = entry { send(fields) } }
    )
    static let lineQueue = JournalQueue(
        notice: { .line("<4>\($0)\n") },
        send: { entry in if case .line(let line) = entry { writeToStderr(line) } }
    )

    /// Sends what is still queued (the last lines before exit), waiting at
    /// most `seconds`.
    public static func flush(seconds: Double = 2) {
        nativeQueue.flush(seconds: seconds)
        lineQueue.flush(seconds: seconds)
    }

    private static func writeToStderr(_ line: String) {
        var bytes = Array(line.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { raw -> Int in
                guard let base = raw.baseAddress else { return -1 }
                return write(2, base + offset, raw.count - offset)
            }
            if written > 0 { offset += written } else if written < 0 && errno == EINTR { continue } else { return }
        }
    }

    /// syslog priorities, as journald stores them.
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    /// A journal field name: upper-case letters, digits and `_`, not starting
    /// with `_` or a digit (`peer_uid` → `PEER_UID`).
    public static func fieldName(_ key: String) -> String {
        var name = String(key.uppercased().map { ($0.isASCII && ($0.isLetter || $0.isNumber)) ? $0 : "_" })
        while name.first == "_" || (name.first?.isNumber ?? false) { name.removeFirst() }
        return name.isEmpty ? "FIELD" : String(name.prefix(64))
    }

    private static func send(_ fields: [String]) {
        // One buffer for every field; the iovecs point into it while it is pinned.
        var buffer: [UInt8] = []
        var ranges: [Range<Int>] = []
        for field in fields {
            let start = buffer.count
            buffer.append(contentsOf: field.utf8)
            ranges.append(start..<buffer.count)
        }
        buffer.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return }
            var vectors = ranges.map { iovec(iov_base: base + $0.lowerBound, iov_len: $0.count) }
            _ = sd_journal_sendv(&vectors, Int32(vectors.count))
        }
    }
}
