#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// Why a connection to the daemon's socket could not be opened, said the way
/// a person needs it: the socket path, what is (not) there, and what to do.
///
/// NIO reports a failed `connect(2)` as `connect(descriptor:addr:size:): No
/// such file or directory (errno: 2)`; a user of `deltastorectl` or of the
/// client library wants to know that no daemon listens at the path they gave.
enum ConnectFailure {
    /// The sentence for a failed connect to `socketPath`.
    static func reason(_ error: any Error, socketPath: String) -> String {
        if let io = error as? IOError { return reason(errno: io.errnoCode, socketPath: socketPath) }
        if let address = error as? SocketAddressError, case .unixDomainSocketPathTooLong = address {
            return "the socket path \(socketPath) is longer than a Unix socket address holds (107 bytes)"
        }
        return "cannot connect to \(socketPath): \(error)"
    }

    /// The sentence for `connect(2)` failing with `errno`.
    static func reason(errno code: Int32, socketPath: String) -> String {
        switch code {
        case ENOENT:
            return "no socket at \(socketPath): deltastored is not running there (or listens elsewhere)"
        case ECONNREFUSED:
            return "nothing listens on \(socketPath): the socket file is left from a daemon that has stopped"
        case EACCES, EPERM:
            return "permission denied on \(socketPath): this user may not open the daemon's socket (its directory or the socket's group and mode)"
        case ENOTDIR:
            return "no socket at \(socketPath): a part of the path is not a directory"
        case ENOTSOCK:
            return "\(socketPath) is not a socket"
        case EAGAIN:
            return "the daemon at \(socketPath) accepts no more connections right now (its listen queue is full)"
        default:
            return "cannot connect to \(socketPath): \(String(cString: strerror(code))) (errno \(code))"
        }
    }
}
