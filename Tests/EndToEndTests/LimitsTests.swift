import BSONCore
import Foundation
import TestSupport
import XCTest

/// Connection limits, the frame timeout and the idle timeout.
final class LimitsTests: DaemonTestCase {
    private func expectRefusal(_ socket: RawSocket, file: StaticString = #filePath, line: UInt = #line) throws {
        let reply = try XCTUnwrap(try socket.receiveDocument(), file: file, line: line)
        XCTAssertNil(reply["id"], file: file, line: line)
        XCTAssertEqual(reply["error"]?.documentValue?["code"], "RESOURCE_EXHAUSTED", "\(reply)", file: file, line: line)
        XCTAssertTrue(try socket.isAtEOF(), file: file, line: line)
    }

    /// A connection the daemon serves. The probe connection `startDaemon` made
    /// may still be counted for a moment, so a refused attempt is retried.
    private func servedConnection() throws -> RawSocket {
        for _ in 0..<100 {
            let socket = try connect()
            try socket.send(RequestBuilder.ping(id: 1))
            if let reply = try socket.receiveDocument(), reply["ok"] == .bool(true) { return socket }
            socket.close()
            usleep(50_000)
        }
        throw TestSupportError("no connection was served")
    }

    func testConnectionsPerUIDAreCapped() throws {
        let daemon = try startDaemon(arguments: ["--store", "sqlite:" + directory.file("l.db"), "--max-connections-per-uid", "3"])
        var open = try (0..<3).map { _ in try servedConnection() }
        try expectRefusal(try connect())
        XCTAssertTrue(daemon.log.contains("has reached its limit of 3 connections"), daemon.log)
        open.removeLast().close()
        // The slot frees once the daemon has seen the close.
        var served = false
        for _ in 0..<50 where !served {
            let socket = try connect()
            try socket.send(RequestBuilder.ping(id: 2))
            served = (try? socket.receiveDocument())??["ok"] == .bool(true)
            if !served { usleep(20_000) }
        }
        XCTAssertTrue(served)
    }

    func testConnectionsInAllAreCapped() throws {
        try startDaemon(arguments: ["--store", "sqlite:" + directory.file("l.db"), "--max-connections", "2"])
        let first = try servedConnection()
        let second = try servedConnection()
        try expectRefusal(try connect())
        first.close()
        second.close()
    }

    func testAFrameThatNeverCompletesIsCutOff() throws {
        try startDaemon(arguments: ["--store", "sqlite:" + directory.file("l.db"), "--frame-timeout", "0.5"])
        let slow = try connect()
        let frame = RequestBuilder.ping(id: 1).bytes
        try slow.send(Array(frame.prefix(6)))
        let started = Date()
        let reply = try XCTUnwrap(try slow.receiveDocument())
        XCTAssertEqual(reply["error"]?.documentValue?["code"], "BAD_FRAME")
        XCTAssertTrue(reply["error"]?.documentValue?["message"]?.stringValue?.contains("not completed within 500 ms") ?? false, "\(reply)")
        XCTAssertEqual(Date().timeIntervalSince(started), 0.5, accuracy: 0.4)
        XCTAssertTrue(try slow.isAtEOF())

        // Whole frames sent slowly but each within the limit are fine.
        let patient = try connect()
        for id in 1...3 {
            try patient.send(RequestBuilder.ping(id: Int32(id)).bytes)
            usleep(300_000)
            XCTAssertEqual(try patient.receiveDocument()?["id"], .int32(Int32(id)))
        }
    }

    func testIdleConnectionsAreClosedButNotWhileWorkIsInProgress() throws {
        try startDaemon(arguments: ["--store", "sqlite:" + directory.file("l.db"), "--idle-timeout", "0.4"])
        let idle = try connect()
        let started = Date()
        XCTAssertTrue(try idle.isAtEOF())
        XCTAssertLessThan(Date().timeIntervalSince(started), 2)

        let busy = try connect()
        try busy.send(RequestBuilder.ping(id: 1, delayMs: 1200))
        let reply = try XCTUnwrap(try busy.receiveDocument(), "a request in progress keeps the connection open")
        XCTAssertEqual(reply["ok"], .bool(true))
    }
}
