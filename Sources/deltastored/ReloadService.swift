import Logging
import ServiceLifecycle
import UnixSignals
import Systemd

/// SIGHUP: re-reads what can change without a restart (the access rules, the
/// JWT key ring), between RELOADING=1 and READY=1 notifications, without
/// dropping connections. A step that fails keeps its previous configuration
/// and is logged; the others still apply.
struct ReloadService: Service {
    /// One thing to reload: a name for the logs and the work.
    struct Step: Sendable {
        var name: String
        var reload: @Sendable () async throws -> String
    }

    let steps: [Step]
    let notifier: ServiceNotifier
    let logger: Logger
    let readyStatus: @Sendable () -> String

    func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        for await _ in hangups.cancelOnGracefulShutdown() {
            notifier.reloading(status: "reloading \(steps.map(\.name).joined(separator: ", "))")
            logger.notice("SIGHUP: reloading", metadata: ["steps": "\(steps.map(\.name))"])
            for step in steps {
                do {
                    let summary = try await step.reload()
                    logger.notice("reloaded \(step.name)", metadata: ["summary": "\(summary)"])
                } catch {
                    logger.error("reload of \(step.name) failed; keeping the previous one: \(error)")
                }
            }
            notifier.ready(status: readyStatus())
        }
    }
}
