import Domain
import Logging
import NIOCore
import RequestDispatch
import ServiceLifecycle
import Systemd

/// Everything the daemon does for systemd, in one place: journal logging,
/// the inherited listening socket, READY/STATUS/STOPPING notifications, the
/// watchdog, the status line, and fatal signals that end the process once
/// backtraced (`FatalSignals`). Each piece is inert when not run by systemd.
struct SystemdIntegration: Sendable {
    let notifier = ServiceNotifier()
    let inheritedSocket: ListenSockets.Inherited?

    init() throws {
        // A watchdog SIGABRT must end the process after its backtrace, not 30 s later.
        FatalSignals.terminateAfterBacktrace()
        inheritedSocket = try ListenSockets.inherited()
    }

    /// Journal entries with priorities and fields when stderr is the journal;
    /// readable lines otherwise.
    static func bootstrapLogging(level: Logger.Level) {
        let toJournal = JournalLogHandler.stderrIsJournal()
        LoggingSystem.bootstrap { label in
            if toJournal {
                var handler = JournalLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }

    /// `15 s`, `200 ms`.
    static func text(_ amount: TimeAmount) -> String {
        let milliseconds = amount.nanoseconds / 1_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(milliseconds) ms"
    }

    /// STATUS text while the store is being opened.
    func openingStore(_ location: StoreLocation) {
        notifier.status("opening the store \(location.redacted)")
    }

    /// READY=1: sent once the listener accepts and the store is open.
    func ready(_ listening: String) {
        notifier.ready(status: "serving on \(listening)")
    }

    func stopping(connections: Int) {
        notifier.stopping(status: "stopping: draining \(connections) connection\(connections == 1 ? "" : "s")")
    }

    /// The watchdog (when `WatchdogSec=` is set) and the live status line.
    func services(group: any EventLoopGroup, store: any MarketStore, statistics: ServerStatistics, logger: Logger) -> [ServiceGroupConfiguration.ServiceConfiguration] {
        guard notifier.isActive else { return [] }
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
