import CSystemd
import Logging
import NIOCore
import ServiceLifecycle

/// Sends WATCHDOG=1 at half the interval systemd asked for (`WatchdogSec=`),
/// but only while the daemon is really well: every event loop runs a task
/// promptly and the store answers a ping. A hung daemon therefore stops
/// petting the watchdog and systemd restarts it.
public struct Watchdog: Service {
    /// The check that must pass before each keep-alive.
    public typealias HealthCheck = @Sendable () async -> Bool

    let interval: TimeAmount
    let notifier: ServiceNotifier
    let check: HealthCheck
    let logger: Logger

    /// The keep-alive period systemd expects (half of `WATCHDOG_USEC`), or nil
    /// when no watchdog is configured for this process.
    public static func configuredInterval() -> TimeAmount? {
        var microseconds: UInt64 = 0
        guard sd_watchdog_enabled(0, &microseconds) > 0, microseconds > 0 else { return nil }
        return keepAliveInterval(watchdogMicroseconds: microseconds)
    }

    /// Half of systemd's `WATCHDOG_USEC`, saturating: a value too large for a
    /// `TimeAmount` means "practically never" rather than a trap.
    static func keepAliveInterval(watchdogMicroseconds microseconds: UInt64) -> TimeAmount {
        let half = microseconds / 2
        let (nanoseconds, overflow) = Int64(clamping: half).multipliedReportingOverflow(by: 1000)
        return .nanoseconds(overflow ? Int64.max : nanoseconds)
    }

    public init(interval: TimeAmount, notifier: ServiceNotifier, logger: Logger, check: @escaping HealthCheck) {
        self.interval = interval
        self.notifier = notifier
        self.check = check
        self.logger = logger
    }

    public func run() async throws {
        var wasHealthy = true
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let started = NIODeadline.now()
            let healthy = await check()
            if healthy {
                notifier.watchdog()
                if !wasHealthy { logger.notice("health check passes again: watchdog keep-alives resumed") }
            } else if wasHealthy {
                logger.warning("health check failed (an event loop or the store did not answer in time): no watchdog keep-alive until it passes; systemd restarts the daemon if none comes in time")
            }
            wasHealthy = healthy
            let elapsed = NIODeadline.now() - started
            let pause = interval - elapsed
            if pause.nanoseconds > 0 {
                // Ends at once on a graceful shutdown: the group stops its
                // services one after the other, and the server waits behind us.
                try? await cancelWhenGracefulShutdown { try await Task.sleep(nanoseconds: UInt64(pause.nanoseconds)) }
            }
        }
    }

    /// A health check that every event loop of `group` runs a task within
    /// `timeout`, and that `store` answers within it too. A check stuck on a
    /// hung loop never returns, which is as good as failing: no keep-alive.
    public static func standardCheck(group: any EventLoopGroup, timeout: TimeAmount, store: @escaping @Sendable () async throws -> Void) -> HealthCheck {
        return {
            for loop in group.makeIterator() {
                guard await within(timeout, { try await loop.submit {}.get() }) else { return false }
            }
            return await within(timeout, store)
        }
    }

    /// Whether `work` finishes without error before `timeout`.
    static func within(_ timeout: TimeAmount, _ work: @escaping @Sendable () async throws -> Void) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { (try? await work()) != nil }
            group.addTask {
                try? await Task.sleep(nanoseconds: UInt64(max(timeout.nanoseconds, 0)))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }
}
