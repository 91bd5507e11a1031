/// Who is on the other end of a connection, as the kernel reports it
/// (`SO_PEERCRED`): the process, user and group that connected.
///
/// Unforgeable by the client, so it is what access rules, per-peer throttling
/// and logs key on.
public struct PeerCredentials: Sendable, Equatable, CustomStringConvertible {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32
    /// Supplementary groups (`SO_PEERGROUPS`): how a service that joined the
    /// socket's group with `SupplementaryGroups=` is recognized.
    public var groups: [UInt32]

    public init(pid: Int32, uid: UInt32, gid: UInt32, groups: [UInt32] = []) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
        self.groups = groups
    }

    public var description: String { "uid=\(uid) gid=\(gid) pid=\(pid)" }
}
