import Domain
import Logging
import NIOCore
import RequestDispatch
import ServiceLifecycle
import Systemd

/// Everything the daemon does for systemd, in one place: the inherited
/// listening socket, READY/RELOADING/STATUS/STOPPING notifications, the
/// watchdog and the status line. Each piece is inert when not run by systemd,
/// and all of it when the configuration turns it off (a daemon assembled in a
/// test process). Journal logging and fatal signals are the executable's
/// (process-wide).
struct SystemdIntegration: Sendable {
    private let notifier = ServiceNotifier()
    private let enabled: Bool
    let inheritedSocket: ListenSockets.Inherited?

    /// - Parameter enabled: false: no inherited socket, no notifications, no watchdog.
    init(enabled: Bool) throws {
        self.enabled = enabled
        inheritedSocket = enabled ? try ListenSockets.inherited() : nil
    }

    private var isActive: Bool { enabled && notifier.isActive }

    /// `15 s`, `200 ms`.
    static func text(_ amount: TimeAmount) -> String {
        let milliseconds = amount.nanoseconds / 1_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(milliseconds) ms"
    }

    /// STATUS text while the store is being opened.
    func openingStore(_ location: StoreLocation) {
        guard isActive else { return }
        notifier.status("opening the store \(location.redacted)")
    }

    /// READY=1: sent once the listener accepts and the store is open, and again after a reload.
    func ready(_ listening: String) {
        guard isActive else { return }
        notifier.ready(status: "serving on \(listening)")
    }

    /// RELOADING=1, at the start of a reload.
    func reloading(status: String) {
        guard isActive else { return }
        notifier.reloading(status: status)
    }

    func stopping(connections: Int) {
        guard isActive else { return }
        notifier.stopping(status: "stopping: draining \(connections) connection\(connections == 1 ? "" : "s")")
    }

    /// The watchdog (when `WatchdogSec=` is set) and the live status line.
    func services(group: any EventLoopGroup, store: any MarketStore, statistics: ServerStatistics, logger: Logger) -> [ServiceGroupConfiguration.ServiceConfiguration] {
        guard isActive else { return [] }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: StatusReporter(notifier: notifier) {
                let open = statistics.openConnections
                return "serving \(open) connection\(open == 1 ? "" : "s")"
            }),
        ]
        if let interval = Watchdog.configuredInterval() {
            logger.info(
                "watchdog enabled: every \(Self.text(interval)) a health check (each event loop, then the store) before the keep-alive; systemd restarts the daemon after \(Self.text(interval * 2)) without one",
                metadata: ["keepalive_ms": "\(interval.nanoseconds / 1_000_000)"]
            )
            // The store must be healthy, not only answer: a removed, replaced or corrupt
            // SQLite file stops the keep-alives, so systemd restarts the daemon.
            let check = Watchdog.standardCheck(group: group, timeout: interval, store: { try await store.requireHealthy() })
            services.append(.init(service: Watchdog(interval: interval, notifier: notifier, logger: logger, check: check)))
        }
        return services
    }
}
