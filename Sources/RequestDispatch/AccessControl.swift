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

    /// PERMISSION_DENIED unless `peer` may call an operation of `group`. A
    /// request without credentials (no socket: tests, embedding) is checked as
    /// an anonymous peer only when the policy is not allow-all.
    func check(_ peer: PeerCredentials?, op: String, group: OperationDescriptor.Group, logger: Logger) -> WireError? {
        guard group != .public else { return nil }
        let policy = self.policy
        if let peer {
            if policy.allows(peer, group) { return nil }
            logger.notice("permission denied: uid \(peer.uid) may not call \(op) (group \(group.rawValue); rules: \(policy.source))", metadata: ["op": "\(op)", "group": "\(group.rawValue)"])
            return WireError(.permissionDenied, "uid \(peer.uid) may not call '\(op)' (operations of group '\(group.rawValue)'; rules: \(policy.source))")
        }
        if policy.rules.contains(where: { $0.subject == .anyone && $0.groups.contains(group) }) { return nil }
        return WireError(.permissionDenied, "'\(op)' needs peer credentials")
    }
}
