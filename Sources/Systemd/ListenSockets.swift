import CSystemd

/// Listening sockets passed by systemd socket activation (`LISTEN_FDS`).
///
/// With `deltastore.socket`, systemd owns the socket file: it creates it with
/// the unit's mode and group before the daemon runs, queues connections while
/// the daemon starts or restarts, and removes it. The daemon only adopts the
/// descriptor, and must never unlink the path.
public enum ListenSockets {
    public struct Inherited: Sendable, Equatable {
        public var descriptor: Int32
        /// The name from `FileDescriptorName=` (systemd's default is the socket unit's name).
        public var name: String
    }

    public enum Failure: Error, CustomStringConvertible, Equatable {
        case notAUnixStreamListener(descriptor: Int32, name: String)
        case system(String)

        public var description: String {
            switch self {
            case .notAUnixStreamListener(let fd, let name):
                return "inherited descriptor \(fd) (\(name)) is not a listening Unix stream socket"
            case .system(let message):
                return message
            }
        }
    }

    /// The first passed socket, checked to be a listening `AF_UNIX`
    /// `SOCK_STREAM` socket; nil when the daemon was not socket-activated.
    /// Clears the `LISTEN_*` variables so child processes do not inherit them.
    public static func inherited() throws(Failure) -> Inherited? {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let count = sd_listen_fds_with_names(1, &names)
        defer {
            if let names {
                var index = 0
                while let name = names[index] {
                    free(name)
                    index += 1
                }
                free(names)
            }
        }
        guard count >= 0 else { throw .system("sd_listen_fds failed: error \(-count)") }
        guard count > 0 else { return nil }
        let descriptor = SD_LISTEN_FDS_START
        let name = names?[0].map { String(cString: $0) } ?? "unknown"
        guard sd_is_socket_unix(descriptor, Int32(SOCK_STREAM.rawValue), 1, nil, 0) > 0 else {
            throw .notAUnixStreamListener(descriptor: descriptor, name: name)
        }
        return Inherited(descriptor: descriptor, name: name)
    }
}

#if canImport(Glibc)
import Glibc
#endif
