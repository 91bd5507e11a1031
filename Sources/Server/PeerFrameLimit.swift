import RequestDispatch
import WireProtocol

/// The largest frame a connection may send, decided once at accept from the
/// peer's credentials and the access rules then in force.
///
/// Only `write` operations take large requests (batches of records); every
/// other request is small (names, ranges, a cursor, credentials). So a peer
/// the rules give no `write` group is held to a small limit: a stranger who
/// may only call `hello` and `ping` cannot make the daemon buffer 16 MiB
/// frames on each of its connections. A reload of the rules applies to
/// connections accepted after it.
struct PeerFrameLimit: Equatable {
    var maximumFrameBytes: Int
    /// Said in the BAD_FRAME of a longer frame; nil for the full limit.
    var reason: String?

    static func decide(peer: PeerCredentials?, policy: AccessPolicy, maxMessageBytes: Int, smallPeerMaxFrameBytes: Int) -> PeerFrameLimit {
        let mayWrite: Bool
        if let peer {
            mayWrite = policy.allows(peer, .write)
        } else {
            mayWrite = policy.rules.contains { $0.subject == .anyone && $0.groups.contains(.write) }
        }
        guard !mayWrite, smallPeerMaxFrameBytes < maxMessageBytes else {
            return PeerFrameLimit(maximumFrameBytes: maxMessageBytes, reason: nil)
        }
        let who = peer.map { "uid \($0.uid)" } ?? "this peer"
        return PeerFrameLimit(
            maximumFrameBytes: smallPeerMaxFrameBytes,
            reason: "\(who) may call no write operation, and no other operation takes a request that large"
        )
    }
}
