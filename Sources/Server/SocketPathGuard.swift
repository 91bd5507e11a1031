#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Owns the socket file's lifecycle: checks the path before binding, sets its
/// mode after, and removes it at exit only if it is still the file we created.
///
/// Two daemons on one path would silently split clients between them, and a
/// file left by a crash would stop the next start: so a path held by a live
/// listener is refused, a stale one (nobody accepts on it) is replaced, and
/// anything that is not a socket is never touched.
public struct SocketPathGuard: Sendable {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case inUse(String)
        case notASocket(String)
        case pathTooLong(String, limit: Int)
        case system(String, errno: Int32)

        public var description: String {
            switch self {
            case .inUse(let path): return "another process is already listening on \(path)"
            case .notASocket(let path): return "\(path) exists and is not a socket; refusing to replace it"
            case .pathTooLong(let path, let limit): return "socket path \(path) is longer than \(limit) bytes"
            case .system(let what, let code): return "\(what): \(String(cString: strerror(code)))"
            }
        }
    }

    public let path: String
    /// Device, inode and change time of the file we created: the inode number
    /// alone can be reused by a later daemon's socket on the same path.
    private var identity: (device: UInt64, inode: UInt64, changed: Int, changedNanoseconds: Int)?

    /// The longest path `sockaddr_un` holds, less its terminating NUL.
    public static let maxPathBytes = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1

    public init(path: String) {
        self.path = path
    }

    /// Makes the path ready to bind: creates missing parent directories and
    /// removes a stale socket file. Throws if a live daemon holds the path.
    public func prepare() throws(Failure) {
        guard path.utf8.count <= Self.maxPathBytes else { throw .pathTooLong(path, limit: Self.maxPathBytes) }
        try Self.makeParentDirectories(of: path)
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return }
            throw .system("cannot inspect \(path)", errno: errno)
        }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else { throw .notASocket(path) }
        switch Self.probe(path) {
        case .accepting: throw .inUse(path)
        case .refused:
            guard unlink(path) == 0 || errno == ENOENT else { throw .system("cannot remove stale socket \(path)", errno: errno) }
        case .failed(let code): throw .system("cannot probe \(path)", errno: code)
        }
    }

    /// After binding: applies the mode and remembers which file is ours.
    public mutating func adopt(mode: UInt32) throws(Failure) {
        guard chmod(path, mode_t(mode)) == 0 else { throw .system("cannot chmod \(path)", errno: errno) }
        var info = stat()
        guard lstat(path, &info) == 0 else { throw .system("cannot inspect \(path)", errno: errno) }
        identity = (UInt64(info.st_dev), UInt64(info.st_ino), info.st_ctim.tv_sec, info.st_ctim.tv_nsec)
    }

    /// Removes the socket file if it is still the one `adopt` saw. Returns
    /// whether it removed it.
    @discardableResult
    public func remove() -> Bool {
        guard let identity else { return false }
        var info = stat()
        guard lstat(path, &info) == 0, UInt64(info.st_dev) == identity.device, UInt64(info.st_ino) == identity.inode,
              info.st_ctim.tv_sec == identity.changed, info.st_ctim.tv_nsec == identity.changedNanoseconds
        else {
            return false
        }
        return unlink(path) == 0
    }

    enum Probe: Equatable { case accepting, refused, failed(Int32) }

    /// Tries to connect: a live listener accepts, a stale file refuses.
    static func probe(_ path: String) -> Probe {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failed(errno) }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[index] = byte }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if result == 0 { return .accepting }
        switch errno {
        case ECONNREFUSED, ENOENT: return .refused
        case EAGAIN: return .accepting  // listening, backlog full: alive
        default: return .failed(errno)
        }
    }

    private static func makeParentDirectories(of path: String) throws(Failure) {
        var components = path.split(separator: "/", omittingEmptySubsequences: false).dropLast()
        guard !components.isEmpty else { return }
        var current = path.hasPrefix("/") ? "" : "."
        if path.hasPrefix("/") { components = components.dropFirst() }
        for component in components where !component.isEmpty && component != "." {
            current += "/" + component
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw .system("cannot create directory \(current)", errno: errno)
            }
        }
    }
}
