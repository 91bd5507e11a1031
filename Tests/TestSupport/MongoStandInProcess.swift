#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The MongoDB stand-in (`Tests/MongoStandIn/mongo_standin.py`: the real wire
/// protocol over mongomock) as a process a test starts, stops and restarts.
///
/// It listens on a Unix socket in its own temporary directory (or on a free
/// loopback TCP port) and keeps that address across `stop()`/`restart()`, so
/// a store that was opened before an outage reconnects to the same URI. With
/// `persistent: true` the stand-in keeps its data and indexes in a state file
/// in that directory, so a restart (even after `kill()`) brings back every
/// acknowledged write, as a real server would. With `recording: true` it logs
/// every command it receives; `recordedCommands()` reads them.
///
/// The Python interpreter is `$DELTASTORE_TEST_PYTHON` (`./dev test` points it
/// at a venv with the stand-in's requirements), or `python3` from PATH.
public final class MongoStandInProcess: @unchecked Sendable {
    public enum Transport: Sendable {
        case unixSocket
        case tcp
    }

    public let directory: TemporaryDirectory
    public let transport: Transport
    public let statePath: String?
    public let recordPath: String?
    public let logPath: String
    /// The socket path (Unix transport).
    public var socketPath: String { directory.file("m.sock") }
    /// The TCP port, known once started (TCP transport).
    public var port: Int? { lock.withLock { tcpPort } }

    private let baseArguments: [String]
    private let lock = NSLock()
    private var process: Process?
    private var tcpPort: Int?
    private var logOffset: UInt64 = 0

    /// Prepares (does not start) a stand-in.
    public init(transport: Transport = .unixSocket, persistent: Bool = false, recording: Bool = false, arguments: [String] = []) throws {
        directory = try TemporaryDirectory(prefix: "ds-mongo")
        self.transport = transport
        statePath = persistent ? directory.file("state.pickle") : nil
        recordPath = recording ? directory.file("commands.jsonl") : nil
        logPath = directory.file("standin.log")
        baseArguments = arguments
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
    }

    public static var python: String {
        let configured = ProcessInfo.processInfo.environment["DELTASTORE_TEST_PYTHON"] ?? ""
        return configured.isEmpty ? "python3" : configured
    }

    public static var script: String {
        BuildProducts.repositoryRoot.appendingPathComponent("Tests/MongoStandIn/mongo_standin.py").path
    }

    // MARK: starting and stopping

    /// How long a start waits for the ready line before it fails. Normally
    /// about a second; but the suites start their stand-ins in parallel, and
    /// on a loaded 2-core machine (others building beside the tests) Python's
    /// start-up with mongomock was measured past 20 s. It bounds a wait, not
    /// a figure a test asserts: a stand-in that cannot start still fails.
    public static let readinessTimeout: TimeInterval = 60

    /// Starts the stand-in and waits until it accepts connections (blocking;
    /// for XCTest). `arguments` are added for this run only (e.g. `--exit-on`).
    public func start(arguments: [String] = [], timeout: TimeInterval = readinessTimeout) throws {
        try spawn(arguments)
        let deadline = Date().addingTimeInterval(timeout)
        while try !isReady() {
            guard Date() < deadline else { throw notReady(timeout) }
            usleep(20_000)
        }
    }

    /// Starts the stand-in and waits until it accepts connections, sleeping
    /// (not blocking a thread) between checks.
    public func launch(arguments: [String] = [], timeout: TimeInterval = readinessTimeout) async throws {
        try spawn(arguments)
        let deadline = Date().addingTimeInterval(timeout)
        while try !isReady() {
            guard Date() < deadline else { throw notReady(timeout) }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
    }

    /// Stops it (SIGTERM, then SIGKILL after a second) and waits for the exit.
    public func stop() {
        guard let process = lock.withLock({ self.process }) else { return }
        if process.isRunning {
            Glibc.kill(process.processIdentifier, SIGTERM)
            if !wait(process, timeout: 1) {
                Glibc.kill(process.processIdentifier, SIGKILL)
                _ = wait(process, timeout: 5)
            }
        }
        lock.withLock { self.process = nil }
    }

    /// Kills it at once (SIGKILL), like a crash, and waits for the exit.
    public func kill() {
        guard let process = lock.withLock({ self.process }) else { return }
        if process.isRunning {
            Glibc.kill(process.processIdentifier, SIGKILL)
            _ = wait(process, timeout: 5)
        }
        lock.withLock { self.process = nil }
    }

    /// Stops it if it runs, then starts it again on the same address.
    public func restart(arguments: [String] = []) throws {
        stop()
        try start(arguments: arguments)
    }

    /// Stops it and removes its directory.
    public func remove() {
        stop()
        directory.remove()
    }

    public var isRunning: Bool {
        lock.withLock { process?.isRunning ?? false }
    }

    /// Waits until the process ends by itself (e.g. `--exit-on`); false on timeout.
    public func waitForExit(timeout: TimeInterval = 10) -> Bool {
        guard let process = lock.withLock({ self.process }) else { return true }
        return wait(process, timeout: timeout)
    }

    // MARK: the same, for Swift concurrency

    // The blocking calls above wait with usleep; from async code they would
    // hold one of the few cooperative threads (one per core) and stall other
    // tests. These run them on a Dispatch thread instead.

    /// `stop()` without blocking the calling task's thread.
    public func stopAsync() async { await offThread { self.stop() } }

    /// `kill()` without blocking the calling task's thread.
    public func killAsync() async { await offThread { self.kill() } }

    /// `remove()` without blocking the calling task's thread.
    public func removeAsync() async { await offThread { self.remove() } }

    /// `waitForExit(timeout:)` without blocking the calling task's thread.
    public func waitForExitAsync(timeout: TimeInterval = 10) async -> Bool {
        await offThread { self.waitForExit(timeout: timeout) }
    }

    private func offThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: body()) }
        }
    }

    // MARK: addressing    // MARK: addressing

    /// A connection string for `database` (options as URI query items).
    public func uri(database: String, options: [String: String] = [:]) -> String {
        let host: String
        switch transport {
        case .unixSocket:
            host = socketPath.replacingOccurrences(of: "/", with: "%2F")
        case .tcp:
            host = "127.0.0.1:\(port ?? 0)"
        }
        let query = options.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
        return "mongodb://\(host)/\(database)" + (query.isEmpty ? "" : "?" + query)
    }

    // MARK: what it saw

    /// The commands received so far (with `recording: true`), in order: the
    /// database, the command's name and the command document's BSON bytes
    /// (kind-1 document sequences merged in, driver fields such as `lsid`
    /// and `$db` included).
    public func recordedCommands() -> [(database: String, name: String, bson: [UInt8])] {
        guard let recordPath, let text = try? String(contentsOfFile: recordPath, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let database = object["db"] as? String, let name = object["name"] as? String,
                  let encoded = object["bson"] as? String, let bytes = Data(base64Encoded: encoded)
            else { return nil }
            return (database, name, Array(bytes))
        }
    }

    /// Everything the stand-in wrote to stdout and stderr.
    public var log: String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }

    // MARK: internals

    private func spawn(_ extra: [String]) throws {
        guard !isRunning else { throw TestSupportError("the MongoDB stand-in is already running") }
        var arguments = [Self.script, "--exit-with-parent"]
        switch transport {
        case .unixSocket:
            arguments += ["--unix", socketPath]
        case .tcp:
            arguments += ["--port", String(port ?? 0)]
        }
        if let statePath { arguments += ["--state", statePath] }
        if let recordPath { arguments += ["--record", recordPath] }
        arguments += baseArguments + extra

        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let offset = log.seekToEndOfFile()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [Self.python] + arguments
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? log.close()
        lock.withLock {
            self.process = process
            self.logOffset = offset
        }
    }

    /// True once this run printed its ready line; throws if it exited.
    private func isReady() throws -> Bool {
        let (process, offset) = lock.withLock { (self.process, self.logOffset) }
        guard let process else { throw TestSupportError("the MongoDB stand-in is not running") }
        let output = currentRunOutput(from: offset)
        if let line = output.split(separator: "\n").first(where: { $0.hasPrefix("mongo-standin ready") }) {
            if transport == .tcp, let range = line.range(of: "port=") {
                let port = Int(line[range.upperBound...].prefix { $0.isNumber })
                lock.withLock { tcpPort = port }
            }
            return true
        }
        if !process.isRunning {
            let hint = process.terminationStatus == 3
                ? "\nThe stand-in's Python packages are missing: run ./dev test, or create a venv with Tests/MongoStandIn/requirements.txt and set DELTASTORE_TEST_PYTHON to its python."
                : ""
            throw TestSupportError("the MongoDB stand-in exited with status \(process.terminationStatus) before it was ready (\(Self.python) \(Self.script)):\n\(output)\(hint)")
        }
        return false
    }

    private func currentRunOutput(from offset: UInt64) -> String {
        guard let handle = FileHandle(forReadingAtPath: logPath) else { return "" }
        defer { try? handle.close() }
        handle.seek(toFileOffset: offset)
        return String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
    }

    private func notReady(_ timeout: TimeInterval) -> TestSupportError {
        stop()
        return TestSupportError("the MongoDB stand-in was not ready within \(timeout) s:\n\(log)")
    }

    private func wait(_ process: Process, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        return !process.isRunning
    }

    deinit {
        if let process, process.isRunning {
            Glibc.kill(process.processIdentifier, SIGKILL)
        }
    }
}
