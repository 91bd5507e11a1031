import BSONCore
import Foundation
import TestSupport
import XCTest

/// How a test's daemon runs: the built `deltastored` as a process, or the
/// same assembly inside the test process (`InProcessDaemon`).
enum DaemonDriver {
    case binary
    case inProcess
}

/// Base for tests that run the daemon: each test gets its own temporary
/// directory and socket, and every daemon it starts is stopped and the
/// directory removed afterwards. `startDaemon` always spawns the binary;
/// `serveDaemon` uses `driver`, which a subclass overrides to run the same
/// test bodies against an in-process daemon (one body, two drivers).
class DaemonTestCase: XCTestCase {
    var directory: TemporaryDirectory!
    private var daemons: [any DaemonUnderTest] = []

    var socketPath: String { directory.file("d.sock") }

    /// How `serveDaemon` runs the daemon.
    var driver: DaemonDriver { .binary }

    /// The daemon processes this test started that still run, oldest first.
    var runningDaemons: [DaemonProcess] { daemons.compactMap { $0 as? DaemonProcess }.filter { $0.process.isRunning } }

    /// For a test that needs what only a process has (exit codes, signals,
    /// stderr, the working directory): skipped under the in-process driver, saying why.
    func binaryOnly(_ reason: String) throws {
        try XCTSkipIf(driver == .inProcess, "binary only: \(reason)")
    }

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
    }

    override func tearDown() {
        for daemon in daemons {
            daemon.stop(grace: 5)
        }
        daemons = []
        directory?.remove()
    }

    /// Starts a daemon for `deltastored <arguments>` with `driver` and waits until it listens.
    @discardableResult
    func serveDaemon(socket: String? = nil, arguments: [String] = [], environment: [String: String] = [:]) throws -> any DaemonUnderTest {
        switch driver {
        case .binary:
            return try startDaemon(socket: socket, arguments: arguments, environment: environment)
        case .inProcess:
            let daemon = try InProcessDaemon(
                socketPath: socket ?? socketPath, arguments: arguments, stateDirectory: directory.file("data"), environment: environment
            )
            daemons.append(daemon)
            try daemon.waitUntilListening(timeout: 20)
            return daemon
        }
    }

    /// Starts a `deltastored` process and waits until it listens.
    @discardableResult
    func startDaemon(socket: String? = nil, arguments: [String] = [], environment: [String: String] = [:], waitForListening: Bool = true, logPath: String? = nil) throws -> DaemonProcess {
        let daemon = try DaemonProcess(socketPath: socket ?? socketPath, arguments: arguments, workingDirectory: directory.path, environment: environment, logPath: logPath)
        daemons.append(daemon)
        if waitForListening { try daemon.waitUntilListening(timeout: 20) }
        return daemon
    }

    /// Lets every user connect to `daemon`'s socket (mode 0666). The daemon
    /// accepts connections a moment before it sets its socket's own mode (and
    /// logs "listening"): the mode is changed only after that, or the daemon's
    /// 0660 would replace it.
    func openSocketToEveryone(_ daemon: DaemonProcess) {
        let deadline = Date().addingTimeInterval(10)
        while !daemon.log.contains("listening") && Date() < deadline { usleep(10_000) }
        chmod(daemon.socketPath, 0o666)
    }

    func connect(_ path: String? = nil) throws -> RawSocket {
        try RawSocket(connectingTo: path ?? socketPath)
    }

    /// Sends one request on a new connection and returns the reply.
    func roundTrip(_ request: BSONDocument) throws -> BSONDocument {
        let socket = try connect()
        defer { socket.close() }
        try socket.send(request)
        guard let reply = try socket.receiveDocument() else { throw TestSupportError("connection closed without a reply") }
        return reply
    }

    /// How many ticks of `product` the store holds, page by page on new connections.
    func storedTicks(product: String) throws -> Int {
        var stored = 0
        var cursor: String?
        repeat {
            var args: BSONDocument = ["product": .string(product), "limit": 1000]
            if let cursor { args = args.appending("cursor", .string(cursor)) }
            let result = try XCTUnwrap(try roundTrip(RequestBuilder.request(id: 1, op: "ticks.query", args: args))["result"]?.documentValue)
            stored += Int(result["count"]?.integerValue ?? 0)
            cursor = result["next"]?.stringValue
        } while cursor != nil
        return stored
    }
}
