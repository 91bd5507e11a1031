import NIOCore
import ServiceLifecycle

/// Keeps the `STATUS=` line of `systemctl status deltastore` current
/// ("serving 12 connections"), sending it only when the text changes.
public struct StatusReporter: Service {
    let interval: TimeAmount
    let notifier: ServiceNotifier
    let text: @Sendable () -> String

    public init(interval: TimeAmount = .seconds(2), notifier: ServiceNotifier, text: @escaping @Sendable () -> String) {
        self.interval = interval
        self.notifier = notifier
        self.text = text
    }

    public func run() async throws {
        var last = ""
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let current = text()
            if current != last {
                notifier.status(current)
                last = current
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(nanoseconds: UInt64(interval.nanoseconds)) }
        }
    }
}
