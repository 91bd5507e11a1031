import DaemonAssembly
@testable import deltastored
import Foundation
import Logging
import NIOConcurrencyHelpers
import TestSupport

/// The in-process driver of `DaemonUnderTest`: the daemon `deltastored` would
/// run for the same command line (parsed and checked by `DaemonCommand`,
/// assembled by `DaemonAssembly`), started inside the test process on the
/// test's socket, with its state directory in the test's directory, without
/// systemd or signal handling, and its log kept in memory.
final class InProcessDaemon: DaemonUnderTest, @unchecked Sendable {
    let socketPath: String
    private let records = LogRecords()
    private let state = NIOLockedValueBox(State())
    private let finished = DispatchSemaphore(value: 0)

    private struct State {
        var daemon: RunningDaemon?
        /// Set once `run()` (or the start) returned: 0 clean, 1 failed.
        var exitStatus: Int32?
    }

    /// Starts the daemon for `deltastored --socket socketPath <arguments>`;
    /// `environment` adds to (or replaces) the test process's, as for a spawned daemon.
    init(socketPath: String, arguments: [String], stateDirectory: String, environment: [String: String]) throws {
        self.socketPath = socketPath
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        env["STATE_DIRECTORY"] = stateDirectory
        let command = try DaemonCommand.parse(["--socket", socketPath] + arguments)
        var configuration = try command.daemonConfiguration(environment: env, executablePath: "/.build/deltastored")
        configuration.systemd = false
        configuration.handlesSignals = false
        let level = Logger.Level(rawValue: command.logLevel) ?? .info
        let records = records
        var logger = Logger(label: "deltastored") { _ in CapturingLogHandler(records: records) }
        logger.logLevel = level
        Task { [state, finished] in
            var status: Int32 = 1
            do {
                let daemon = try await DaemonAssembly.start(configuration, logger: logger)
                state.withLockedValue { $0.daemon = daemon }
                try await daemon.run()
                status = 0
            } catch {
                logger.debug("in-process daemon ended: \(error)")
            }
            state.withLockedValue { $0.exitStatus = status }
            finished.signal()
        }
    }

    var isRunning: Bool { state.withLockedValue { $0.exitStatus == nil } }

    /// The records as lines: `level message key=value …`, the fields a spawned daemon's stderr shows.
    var log: String {
        records.all.map { record in
            let fields = record.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            return ([record.level.rawValue, record.message] + fields).joined(separator: " ")
        }.joined(separator: "\n")
    }

    func waitUntilListening(timeout: TimeInterval = 20) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if !isRunning { throw TestSupportError("the in-process daemon stopped before listening:\n\(log)") }
            if let socket = try? RawSocket(connectingTo: socketPath) {
                socket.close()
                return
            }
            usleep(20_000)
        }
        throw TestSupportError("the in-process daemon did not listen on \(socketPath) within \(timeout) s:\n\(log)")
    }

    @discardableResult
    func stopGracefully(timeout: TimeInterval = 20) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        // Still starting: wait for the running daemon (or the end of a failed start).
        var daemon = state.withLockedValue { $0.daemon }
        while daemon == nil, isRunning, Date() < deadline {
            usleep(10_000)
            daemon = state.withLockedValue { $0.daemon }
        }
        if let status = state.withLockedValue({ $0.exitStatus }) { return status }
        Task { [daemon] in await daemon?.stop() }
        guard finished.wait(timeout: .now() + max(0, deadline.timeIntervalSinceNow)) == .success else { return nil }
        finished.signal() // for the next waiter
        return state.withLockedValue { $0.exitStatus }
    }

    func stop(grace: TimeInterval = 10) {
        stopGracefully(timeout: grace)
    }
}
