#if canImport(Glibc)
import Glibc
#endif
import CSystemd

/// Tells the service manager what the daemon is doing (`sd_notify`):
/// READY=1 once it serves, STATUS= lines for `systemctl status`, RELOADING=1 /
/// STOPPING=1 around reloads and shutdown, WATCHDOG=1 keep-alives.
///
/// A no-op when `NOTIFY_SOCKET` is unset (not run by systemd), so the daemon
/// calls it unconditionally.
public struct ServiceNotifier: Sendable {
    public init() {}

    /// Whether a service manager listens (`NOTIFY_SOCKET` is set).
    public var isActive: Bool { getenv("NOTIFY_SOCKET") != nil }

    public func ready(status: String) {
        send(["READY=1", "STATUS=" + status])
    }

    public func status(_ text: String) {
        send(["STATUS=" + text])
    }

    /// Starting a reload; systemd ≥ 253 also wants the monotonic time.
    public func reloading(status: String) {
        send(["RELOADING=1", "MONOTONIC_USEC=\(Self.monotonicMicroseconds())", "STATUS=" + status])
    }

    public func stopping(status: String) {
        send(["STOPPING=1", "STATUS=" + status])
    }

    public func watchdog() {
        send(["WATCHDOG=1"])
    }

    /// The daemon's main PID, for when a wrapper process reports for it.
    public func send(_ assignments: [String]) {
        guard isActive else { return }
        // Newlines inside a value would start a new assignment.
        let text = assignments.map { $0.replacingNewlines() }.joined(separator: "\n")
        _ = sd_notify(0, text)
    }

    static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
    }
}

extension String {
    fileprivate func replacingNewlines() -> String {
        String(map { $0 == "\n" ? " " : $0 })
    }
}
