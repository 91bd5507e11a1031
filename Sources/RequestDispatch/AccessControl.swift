import Logging
import NIOConcurrencyHelpers
import WireProtocol

/// The access policy in force, replaceable at run time (SIGHUP reload) without
/// dropping connections: each request is checked against the current policy.
public final class AccessControl: Sendable {
    private let current: NIOLockedValueBox<AccessPolicy>

    public init(_ policy: AccessPolicy) {
        current = NIOLockedValueBox(policy)
    }

    public var policy: AccessPolicy { current.withLockedValue { $0 } }

    public func replace(with policy: AccessPolicy) {
        current.withLockedValue { $0 = policy }
    }

    /// Whether `peer` has `group` under the rules in force. A request without
    /// credentials (no socket: tests, embedding) has only what `*` rules give.
    public func allows(_ peer: PeerCredentials?, _ group: OperationDescriptor.Group) -> Bool {
        guard group != .public else { return true }
        let policy = self.policy
        if let peer { return policy.allows(peer, group) }
        return policy.rules.contains { $0.subject == .anyone && $0.groups.contains(group) }
    }

    /// PERMISSION_DENIED unless `peer` may call an operation of `group`
    /// (`what` names it: `'stats'`, or `'auth.login' with 'client'`). The
    /// message names the operation and the group, never where the rules
    /// live; the log line adds the rules' source for the operator.
    public func check(_ peer: PeerCredentials?, op what: String, group: OperationDescriptor.Group, logger: Logger) -> WireError? {
        guard !allows(peer, group) else { return nil }
        let source = policy.source
        guard let peer else {
            logger.notice("permission denied: \(what) without peer credentials (group \(group.rawValue); rules: \(source))", metadata: ["op": "\(what)", "group": "\(group.rawValue)"])
            return WireError(.permissionDenied, "\(what) needs group '\(group.rawValue)' (no peer credentials)")
        }
        logger.notice("permission denied: uid \(peer.uid) may not call \(what) (group \(group.rawValue); rules: \(source))", metadata: ["op": "\(what)", "group": "\(group.rawValue)"])
        return WireError(.permissionDenied, "uid \(peer.uid) may not call \(what) (group '\(group.rawValue)')")
    }
}
