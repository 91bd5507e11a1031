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

    /// `SO_PEERGROUPS` (Linux ≥ 4.13): the peer's supplementary groups at connect time.
    static let peerGroupsOption: Int32 = 59

    /// Room for 64 supplementary groups. The kernel returns them sorted and
    /// NIO zero-fills the buffer, so the groups are the non-zero entries
    /// (membership of gid 0 as a supplementary group is therefore not seen;
    /// a primary gid 0 is). More than 64 groups: ERANGE, treated as none.
    struct PeerGroups: Sendable {
        var storage = InlineArray<64, UInt32>(repeating: 0)

        var nonZero: [UInt32] {
            var out: [UInt32] = []
            for index in storage.indices where storage[index] != 0 { out.append(storage[index]) }
            return out
        }
    }

    /// The peer's credentials; nil when the channel cannot tell (never fails the connection).
    static func read(_ channel: any Channel) -> EventLoopFuture<PeerCredentials?> {
        #if os(Linux)
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeSucceededFuture(nil)
        }
        let credentials: EventLoopFuture<UCred> = provider.unsafeGetSocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
        let groups: EventLoopFuture<PeerGroups> = provider.unsafeGetSocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(Self.peerGroupsOption))
        let supplementary = groups.map { $0.nonZero }.recover { _ in [] }
        return credentials.and(supplementary)
            .map { Optional(PeerCredentials(pid: $0.0.pid, uid: $0.0.uid, gid: $0.0.gid, groups: $0.1)) }
            .recover { _ in nil }
        #else
        return channel.eventLoop.makeSucceededFuture(nil)
        #endif
    }
}
