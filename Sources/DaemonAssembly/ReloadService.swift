import BSONCore
import Logging
import RequestDispatch
import ServiceLifecycle
import Systemd
import UnixSignals
import WireProtocol

/// Re-reads what can change without a restart (the access rules, the JWT key
/// ring), between RELOADING=1 and READY=1 notifications, without dropping
/// connections. A step that fails keeps its previous configuration and is
/// logged; the others still apply. Triggered by SIGHUP (`ReloadService`) or by
/// the `reload` operation; one reload runs at a time.
actor Reloader {
    /// One thing to reload: a name for the logs and the work.
    struct Step: Sendable {
        var name: String
        var reload: @Sendable () async throws -> String
    }

    /// What one step did.
    struct Outcome: Sendable {
        var name: String
        var ok: Bool
        var summary: String
    }

    let steps: [Step]
    let systemd: SystemdIntegration
    let logger: Logger
    /// What READY=1's status names after a reload: the socket served.
    let listening: String

    init(steps: [Step], systemd: SystemdIntegration, logger: Logger, listening: String) {
        self.steps = steps
        self.systemd = systemd
        self.logger = logger
        self.listening = listening
    }

    func reload(trigger: String) async -> [Outcome] {
        systemd.reloading(status: "reloading \(steps.map(\.name).joined(separator: ", "))")
        logger.notice("\(trigger): reloading \(steps.map(\.name).joined(separator: " and "))", metadata: ["steps": "\(steps.map(\.name))"])
        var outcomes: [Outcome] = []
        for step in steps {
            do {
                let summary = try await step.reload()
                logger.notice("reloaded \(step.name): \(summary)", metadata: ["summary": "\(summary)"])
                outcomes.append(Outcome(name: step.name, ok: true, summary: summary))
            } catch {
                logger.error("reload of \(step.name) failed; keeping the previous one: \(error)")
                outcomes.append(Outcome(name: step.name, ok: false, summary: String(describing: error)))
            }
        }
        systemd.ready(listening)
        return outcomes
    }

    /// The `reload` operation (group admin): the same reload as SIGHUP, with
    /// each step's outcome in the reply.
    nonisolated func operation() -> RequestDispatch.Operation {
        let descriptor = OperationDescriptor(
            name: "reload", group: .admin,
            summary: "Re-read the access rules and the JWT key ring, as SIGHUP does, without dropping connections; a step that fails keeps its previous configuration.",
            result: "{steps: [{name: string, ok: bool, summary: string}]}"
        )
        return RequestDispatch.Operation(descriptor) { [self] _, context in
            return AsyncWork.run(context) {
                let outcomes = await self.reload(trigger: "reload operation")
                let steps: [BSONValue] = outcomes.map { outcome in
                    .document(["name": .string(outcome.name), "ok": .bool(outcome.ok), "summary": .string(outcome.summary)])
                }
                return ["steps": .array(steps)]
            }
        }
    }
}

/// SIGHUP → `Reloader.reload`. The signal sequence is created before the
/// daemon reports READY=1, so a SIGHUP sent right after readiness is queued
/// for this service rather than lost; before that, SIGHUP is ignored (never
/// fatal).
struct ReloadService: Service {
    let reloader: Reloader
    let hangups: UnixSignalsSequence

    func run() async throws {
        for await _ in hangups.cancelOnGracefulShutdown() {
            _ = await reloader.reload(trigger: "SIGHUP")
        }
    }
}
