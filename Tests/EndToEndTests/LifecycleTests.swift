import BSONCore
import Foundation
import TestSupport
import XCTest

/// Starting and stopping: the socket file's life, refusing a live path,
/// replacing a stale one, draining on SIGTERM.
final class LifecycleTests: DaemonTestCase {
    func testSocketFileIsCreatedWithMode0660AndRemovedOnExit() throws {
        let daemon = try startDaemon()
        let attributes = try FileManager.default.attributesOfItem(atPath: socketPath)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o660)
        XCTAssertEqual(attributes[.type] as? FileAttributeType, .typeSocket)
        daemon.signal(SIGTERM)
        XCTAssertEqual(daemon.waitForExit(), 0, daemon.log)
        XCTAssertFalse(FileManager.default.fileExists(atPath: socketPath))
    }

    func testTheDaemonLeavesNoSharedMemorySegment() throws {
        let daemon = try startDaemon()
        let segment = "/dev/shm/mongoc-\(daemon.process.processIdentifier)"
        XCTAssertFalse(FileManager.default.fileExists(atPath: segment), "libmongoc's counters segment \(segment) outlives a killed daemon")
    }

    func testStaleSocketFileIsReplaced() throws {
        // A socket file nobody listens on, as a crashed daemon leaves behind.
        try StaleSocketFile.create(at: socketPath)
        XCTAssertTrue(FileManager.default.fileExists(atPath: socketPath))

        try startDaemon()
        XCTAssertEqual(try roundTrip(RequestBuilder.ping(id: 1))["ok"], .bool(true))
    }

    func testLiveSocketIsNotStolen() throws {
        let first = try startDaemon()
        let second = try startDaemon(waitForListening: false)
        XCTAssertEqual(second.waitForExit(), 1, "the second daemon must refuse to start:\n\(second.log)")
        XCTAssertTrue(second.log.contains("already listening"), second.log)
        XCTAssertTrue(first.process.isRunning)
        XCTAssertEqual(try roundTrip(RequestBuilder.ping(id: 1))["ok"], .bool(true))
    }

    func testNonSocketFileIsLeftAlone() throws {
        try "keep me".write(toFile: socketPath, atomically: true, encoding: .utf8)
        let daemon = try startDaemon(waitForListening: false)
        XCTAssertEqual(daemon.waitForExit(), 1)
        XCTAssertTrue(daemon.log.contains("not a socket"), daemon.log)
        XCTAssertEqual(try String(contentsOfFile: socketPath, encoding: .utf8), "keep me")
    }

    func testSigtermAnswersRequestsInFlightThenExitsZero() throws {
        let daemon = try startDaemon()
        let socket = try connect()
        let count = 50
        var stream = [UInt8]()
        for id in 1...count { stream += RequestBuilder.ping(id: Int32(id), delayMs: 1500).bytes }
        try socket.send(stream)
        // Let the daemon read them, then ask it to stop while all 50 are pending.
        let idle = try connect()
        try idle.send(RequestBuilder.ping(id: 1000))
        XCTAssertNotNil(try idle.receiveDocument())
        usleep(300_000)
        daemon.signal(SIGTERM)

        var answered = Set<Int32>()
        while let reply = try socket.receiveDocument() {
            XCTAssertEqual(reply["ok"], .bool(true), "\(reply)")
            if case .int32(let id) = reply["id"] { answered.insert(id) }
        }
        XCTAssertEqual(answered, Set(1...Int32(count)), "every request in flight is answered before the connection closes")
        XCTAssertTrue(try idle.isAtEOF(), "idle connections are closed at shutdown")
        XCTAssertEqual(daemon.waitForExit(), 0, daemon.log)
        XCTAssertFalse(FileManager.default.fileExists(atPath: socketPath), "the socket file is removed")
    }

    func testNewConnectionsAreRefusedOnceShutdownStarts() throws {
        let daemon = try startDaemon()
        let socket = try connect()
        try socket.send(RequestBuilder.ping(id: 1, delayMs: 2000))
        usleep(200_000)
        daemon.signal(SIGTERM)
        // The daemon keeps draining for ~2 s; the listener must already be gone.
        var refused = false
        let deadline = Date().addingTimeInterval(1.5)
        while Date() < deadline {
            if (try? RawSocket(connectingTo: socketPath)) == nil { refused = true; break }
            usleep(20_000)
        }
        XCTAssertTrue(refused, "connections are not accepted during the drain")
        XCTAssertEqual(try socket.receiveDocument()?["ok"], .bool(true))
        XCTAssertEqual(daemon.waitForExit(), 0)
    }
}
