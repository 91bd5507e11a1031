#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A `deltastored` process started by a test, with its stderr captured to a
/// file, stopped (SIGKILL if need be) when the test is done with it. The
/// binary driver of `DaemonUnderTest`.
public final class DaemonProcess: @unchecked Sendable {
    public let process: Process
    public let socketPath: String
    public let logPath: String

    /// Starts `deltastored --socket socketPath <arguments>` in `workingDirectory`.
    public init(socketPath: String, arguments: [String] = [], workingDirectory: String, environment: [String: String] = [:], logPath: String? = nil) throws {
        self.socketPath = socketPath
        self.logPath = logPath ?? workingDirectory + "/deltastored-\(UUID().uuidString.prefix(8)).log"
        if logPath == nil { _ = FileManager.default.createFile(atPath: self.logPath, contents: nil) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: self.logPath))
        process = Process()
        process.executableURL = try BuildProducts.executable("deltastored")
        process.arguments = ["--socket", socketPath] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory)
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.standardError = log
        process.standardOutput = log
        try process.run()
    }

    /// Waits until the socket accepts a connection; throws with the log if the
    /// daemon exits or does not listen in time.
    public func waitUntilListening(timeout: TimeInterval = 20) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if !process.isRunning {
                throw TestSupportError("deltastored exited with \(process.terminationStatus) before listening:\n\(log)")
            }
            if let socket = try? RawSocket(connectingTo: socketPath) {
                socket.close()
                return
            }
            usleep(20_000)
        }
        throw TestSupportError("deltastored did not listen on \(socketPath) within \(timeout) s:\n\(log)")
    }

    public func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits for the process to exit; returns its status, or nil on timeout.
    @discardableResult
    public func waitForExit(timeout: TimeInterval = 20) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// Stops the daemon if it still runs: SIGTERM, then SIGKILL after `grace`.
    public func stop(grace: TimeInterval = 10) {
        guard process.isRunning else { return }
        signal(SIGTERM)
        if waitForExit(timeout: grace) == nil {
            signal(SIGKILL)
            waitForExit(timeout: 5)
        }
    }

    /// Everything the daemon wrote so far.
    public var log: String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
    }
}
