#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import RequestDispatch

/// Reads `SO_PEERCRED` of a freshly accepted Unix-socket connection.
enum PeerCredentialsReader {
    /// Swift's mirror of Linux's `struct ucred`, which Glibc only declares
    /// under `_GNU_SOURCE` (so Swift does not see it): same fields, same layout.
    struct UCred: Sendable {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
    }

    /// The peer's credentials; nil when the channel cannot tell (never fails the connection).
    static func read(_ channel: any Channel) -> EventLoopFuture<PeerCredentials?> {
        #if os(Linux)
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeSucceededFuture(nil)
        }
        let future: EventLoopFuture<UCred> = provider.unsafeGetSocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
        return future.map { Optional(PeerCredentials(pid: $0.pid, uid: $0.uid, gid: $0.gid)) }.recover { _ in nil }
        #else
        return channel.eventLoop.makeSucceededFuture(nil)
        #endif
    }
}
