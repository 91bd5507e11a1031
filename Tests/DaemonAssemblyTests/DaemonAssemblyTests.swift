import BSONCore
import DaemonAssembly
import Domain
import Foundation
import Logging
import TestSupport
import XCTest

/// The assembly on its own, in the test process: a daemon that starts,
/// serves, stops and closes; a start that fails on a later step.
final class DaemonAssemblyTests: XCTestCase {
    private var directory: TemporaryDirectory!
    private let records = LogRecords()

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
    }

    override func tearDown() {
        directory?.remove()
    }

    private var logger: Logger {
        let records = records
        return Logger(label: "deltastored") { _ in CapturingLogHandler(records: records) }
    }

    private func configuration(accessRules: AccessRulesSource = .defaults) -> DaemonConfiguration {
        DaemonConfiguration(
            socketPath: directory.file("d.sock"), store: .sqlite(path: directory.file("store.db")),
            stateDirectory: directory.file("data"), workerThreads: 2, eventLoops: 1, accessRules: accessRules,
            auth: AuthConfiguration(bcryptCost: 4)
        )
    }

    func testStartServeStopAndShutDown() async throws {
        let daemon = try await DaemonAssembly.start(configuration(), logger: logger)
        let running = Task { try await daemon.run() }
        let reply = try await Self.firstReply(at: daemon.socketPath, to: RequestBuilder.ping(id: 1))
        XCTAssertEqual(reply["ok"], .bool(true), "\(reply)")
        await daemon.stop()
        try await running.value
        XCTAssertFalse(FileManager.default.fileExists(atPath: daemon.socketPath), "the socket file is removed at the stop")
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory.file("data/cursor-key")), "state lives in the configured directory")
        await daemon.shutdown() // a second shutdown does nothing
        XCTAssertTrue(records.all.contains { $0.message == "stopped" })
    }

    func testAFailedStepIsLoggedAndThrownAndNothingListens() async throws {
        let missing = directory.file("no-such-rules")
        do {
            _ = try await DaemonAssembly.start(configuration(accessRules: .file(missing)), logger: logger)
            XCTFail("a missing rules file must stop the start")
        } catch let failure as DaemonStartFailure {
            XCTAssertTrue(failure.description.contains(missing), failure.description)
        }
        XCTAssertTrue(records.all.contains { $0.level == .critical && $0.message.contains(missing) })
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.file("d.sock")))
    }

    /// Connects (retrying until the listener is up) and returns the reply to `request`.
    private static func firstReply(at path: String, to request: BSONDocument) async throws -> BSONDocument {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let socket = try? RawSocket(connectingTo: path) {
                defer { socket.close() }
                try socket.send(request)
                return try socket.receiveDocument() ?? [:]
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestSupportError("nothing listened on \(path)")
    }
}
