import WireProtocol

/// Who may call which group of operations, decided from the peer's kernel
/// credentials (uid, gid and supplementary groups from `SO_PEERCRED` /
/// `SO_PEERGROUPS`), never from anything the client sends.
///
/// A peer's permissions are the union of every rule that matches it. `public`
/// operations (`hello`, `ping`, `describe`) are always allowed: a client must
/// be able to learn what it may do.
public struct AccessPolicy: Sendable, Equatable {
    /// Whom a rule applies to.
    public enum Subject: Sendable, Equatable, CustomStringConvertible {
        case uid(UInt32)
        /// The peer's primary or any supplementary group.
        case gid(UInt32)
        case anyone

        public var description: String {
            switch self {
            case .uid(let uid): return "uid:\(uid)"
            case .gid(let gid): return "gid:\(gid)"
            case .anyone: return "*"
            }
        }
    }

    public struct Rule: Sendable, Equatable {
        public var subject: Subject
        public var groups: Set<OperationDescriptor.Group>

        public init(_ subject: Subject, _ groups: Set<OperationDescriptor.Group>) {
            self.subject = subject
            self.groups = groups
        }
    }

    public var rules: [Rule]
    /// Where the rules came from, for logs and `stats`.
    public var source: String

    public init(rules: [Rule], source: String) {
        self.rules = rules
        self.source = source
    }

    /// Every group except `public`, which is implied (`forward` included:
    /// the permission to name end users in `client`).
    public static let allGroups: Set<OperationDescriptor.Group> = [.read, .write, .auth, .admin, .forward]

    /// The documented default when no rules file is given: the daemon's own
    /// user and root get everything (`forward` included); members of the
    /// daemon's group (the socket's group, which client services join) get
    /// read, write and auth; anyone else only the public operations.
    public static func defaults(daemonUID: UInt32, daemonGID: UInt32) -> AccessPolicy {
        var rules = [Rule(.uid(0), allGroups)]
        if daemonUID != 0 { rules.append(Rule(.uid(daemonUID), allGroups)) }
        rules.append(Rule(.gid(daemonGID), [.read, .write, .auth]))
        return AccessPolicy(rules: rules, source: "built-in defaults")
    }

    /// Allows everything: for tests and embedding, never the daemon's default.
    public static let allowAll = AccessPolicy(rules: [Rule(.anyone, allGroups)], source: "allow all")

    /// The groups `peer` may call (always including `public`).
    public func groups(for peer: PeerCredentials) -> Set<OperationDescriptor.Group> {
        var granted: Set<OperationDescriptor.Group> = [.public]
        for rule in rules where Self.matches(rule.subject, peer) {
            granted.formUnion(rule.groups)
        }
        return granted
    }

    public func allows(_ peer: PeerCredentials, _ group: OperationDescriptor.Group) -> Bool {
        if group == .public { return true }
        return rules.contains { $0.groups.contains(group) && Self.matches($0.subject, peer) }
    }

    static func matches(_ subject: Subject, _ peer: PeerCredentials) -> Bool {
        switch subject {
        case .anyone: return true
        case .uid(let uid): return peer.uid == uid
        case .gid(let gid): return peer.gid == gid || peer.groups.contains(gid)
        }
    }
}
